//! The helpers every repository module builds its SQL with: statements with `$n` placeholders
//! for either backend, placeholder lists, parameters bound piece by piece, and write
//! transactions (begun so that SQLite takes its lock up front; rolled back on a failure).

use sea_orm::{
    ConnectionTrait, DatabaseTransaction, DbErr, SqliteTransactionMode, Statement,
    TransactionOptions, Value,
};

use crate::scoped::Db;

use crate::error::{Failure, Outcome};

/// A statement with `$n` placeholders for the connection's backend.
pub(crate) fn stmt<C, I>(db: &C, sql: impl Into<String>, values: I) -> Statement
where
    C: ConnectionTrait,
    I: IntoIterator<Item = Value>,
{
    Statement::from_sql_and_values(db.get_database_backend(), sql, values)
}

/// `$first, $first+1, ...`: `count` placeholders for an `IN (...)` list.
pub(crate) fn placeholders(first: usize, count: usize) -> String {
    (first..first + count)
        .map(|n| format!("${n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Starts a transaction that writes. On SQLite it is `BEGIN IMMEDIATE`: it takes the write
/// lock up front (waiting up to the busy timeout), so it never has to upgrade a read lock
/// half-way, which SQLite refuses without waiting. Each such transaction also makes a write
/// its first statement, which takes the row lock on PostgreSQL.
pub(crate) async fn begin_write(db: &Db) -> Result<DatabaseTransaction, DbErr> {
    let _waiting = crate::metrics::Acquiring::start();
    db.begin_with_options(TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..TransactionOptions::default()
    })
    .await
}

/// Numbered placeholders for a statement assembled piece by piece.
#[derive(Default)]
pub(crate) struct Params {
    pub(crate) values: Vec<Value>,
}

impl Params {
    /// Binds `value` and returns its placeholder (`$n`).
    pub(crate) fn bind(&mut self, value: impl Into<Value>) -> String {
        self.values.push(value.into());
        format!("${}", self.values.len())
    }
}

/// Rolls back and fails with `failure`.
pub(crate) async fn abort<T>(txn: DatabaseTransaction, failure: Failure) -> Outcome<T> {
    txn.rollback().await?;
    Err(failure)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_number_from_the_first() {
        assert_eq!(placeholders(3, 3), "$3, $4, $5");
        assert_eq!(placeholders(1, 0), "");
    }
}
