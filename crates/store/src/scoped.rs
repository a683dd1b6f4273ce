//! [`Db`]: the connection pool every query goes through, which keeps confab's statements in
//! its own PostgreSQL schema whatever sits between confab and the server.
//!
//! Unqualified names (`messages`, `users`, …) resolve through `search_path`:
//!
//! - [`Pooler::Session`] (a direct connection or a session-mode pooler): each pooled connection
//!   runs `SET search_path TO "<schema>"` once, when it opens; statements then run as they are.
//! - [`Pooler::Transaction`] (PgBouncer `pool_mode = transaction`, Supabase's port 6543): a
//!   server connection is only ours for one transaction, so a session `SET` would be lost (or
//!   leak to another client) and a statement prepared in one transaction may be missing, or
//!   taken, in the next. Every statement therefore runs inside a transaction that starts with
//!   `SET LOCAL search_path TO "<schema>"; DEALLOCATE ALL`: the setting ends with the
//!   transaction, and the statements sqlx prepares (the statement cache is off, so none is
//!   reused; sqlx still names them) cannot collide with names another client left on that
//!   server connection. A statement outside a transaction is wrapped in one of its own;
//!   [`Db::begin`] starts a transaction the same way.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use sea_orm::{
    ConnAcquireErr, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr,
    ExecResult, QueryResult, Statement, TransactionOptions, TransactionTrait,
};
use tokio::sync::{Semaphore, SemaphorePermit};

/// How confab reaches PostgreSQL (`CONFAB_DATABASE_POOLER`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Pooler {
    /// Directly, or through a pooler that gives a client one server connection for the whole
    /// session.
    #[default]
    Session,
    /// Through a pooler that hands out a server connection per transaction.
    Transaction,
}

/// The pool, and in transaction mode the statement each transaction starts with.
#[derive(Clone, Debug)]
pub struct Db {
    inner: DatabaseConnection,
    /// `Some` in transaction mode: `SET LOCAL search_path …; DEALLOCATE ALL`.
    scope: Option<Arc<str>>,
    /// The statements outside a transaction running at once: at most the pool's connections.
    gate: Arc<Gate>,
}

/// Where statements wait for a connection. A statement waiting inside the pool holds
/// sea-orm's future for it, ~14.5 KB (heaptrack, `join` scenario: 9,177 of them, 133 MB, were
/// most of the peak of 10,000 users connecting at once); waiting here holds a few bytes,
/// and the statement's future is built once a connection is likely free.
#[derive(Debug)]
struct Gate {
    permits: Semaphore,
    /// The pool's acquire timeout: the longest a statement waits here, as it would there.
    wait: Duration,
}

impl Db {
    pub(crate) fn new(
        inner: DatabaseConnection,
        transaction_scope: Option<String>,
        connections: u32,
        acquire_timeout: Duration,
    ) -> Self {
        let permits = usize::try_from(connections.max(1)).unwrap_or(1);
        Self {
            inner,
            scope: transaction_scope.map(Arc::from),
            gate: Arc::new(Gate {
                permits: Semaphore::new(permits),
                wait: acquire_timeout,
            }),
        }
    }

    /// Waits for a turn to run one statement (or, in transaction mode, its transaction), up
    /// to the acquire timeout; past it, the pool's own timeout error.
    async fn turn(&self) -> Result<SemaphorePermit<'_>, DbErr> {
        let acquire = self.gate.permits.acquire();
        match tokio::time::timeout(self.gate.wait, acquire).await {
            Ok(Ok(permit)) => Ok(permit),
            Ok(Err(_closed)) => Err(DbErr::ConnectionAcquire(ConnAcquireErr::ConnectionClosed)),
            Err(_elapsed) => Err(DbErr::ConnectionAcquire(ConnAcquireErr::Timeout)),
        }
    }

    /// The sea-orm pool underneath. In transaction mode its statements do not see confab's
    /// schema: use [`Db`] itself.
    pub fn pool(&self) -> &DatabaseConnection {
        &self.inner
    }

    /// A transaction in confab's schema.
    pub async fn begin(&self) -> Result<DatabaseTransaction, DbErr> {
        self.begin_with_options(TransactionOptions::default()).await
    }

    /// A transaction in confab's schema, with `options`.
    pub async fn begin_with_options(
        &self,
        options: TransactionOptions,
    ) -> Result<DatabaseTransaction, DbErr> {
        let txn = self.inner.begin_with_options(options).await?;
        if let Some(scope) = &self.scope
            && let Err(err) = txn.execute_unprepared(scope).await
        {
            let _ = txn.rollback().await;
            return Err(err);
        }
        Ok(txn)
    }

    /// Checks that a pooled connection answers.
    pub async fn ping(&self) -> Result<(), DbErr> {
        self.inner.ping().await
    }

    /// Closes the pool.
    pub async fn close(self) -> Result<(), DbErr> {
        self.inner.close().await
    }
}

/// Commits `txn` when `result` is a success, rolls it back otherwise.
async fn finish<T>(txn: DatabaseTransaction, result: Result<T, DbErr>) -> Result<T, DbErr> {
    match result {
        Ok(value) => {
            txn.commit().await?;
            Ok(value)
        }
        Err(err) => {
            let _ = txn.rollback().await;
            Err(err)
        }
    }
}

#[async_trait]
impl ConnectionTrait for Db {
    fn get_database_backend(&self) -> DbBackend {
        self.inner.get_database_backend()
    }

    async fn execute_raw(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        let _turn = self.turn().await?;
        match self.scope {
            None => self.inner.execute_raw(stmt).await,
            Some(_) => {
                let txn = self.begin().await?;
                let result = txn.execute_raw(stmt).await;
                finish(txn, result).await
            }
        }
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        let _turn = self.turn().await?;
        match self.scope {
            None => self.inner.execute_unprepared(sql).await,
            Some(_) => {
                let txn = self.begin().await?;
                let result = txn.execute_unprepared(sql).await;
                finish(txn, result).await
            }
        }
    }

    async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        let _turn = self.turn().await?;
        match self.scope {
            None => self.inner.query_one_raw(stmt).await,
            Some(_) => {
                let txn = self.begin().await?;
                let result = txn.query_one_raw(stmt).await;
                finish(txn, result).await
            }
        }
    }

    async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        let _turn = self.turn().await?;
        match self.scope {
            None => self.inner.query_all_raw(stmt).await,
            Some(_) => {
                let txn = self.begin().await?;
                let result = txn.query_all_raw(stmt).await;
                finish(txn, result).await
            }
        }
    }

    fn support_returning(&self) -> bool {
        self.inner.support_returning()
    }

    fn is_mock_connection(&self) -> bool {
        false
    }
}

/// The longest PostgreSQL identifier, in bytes.
const MAX_IDENTIFIER: usize = 63;

/// Checks a schema name (`CONFAB_DATABASE_SCHEMA`): 1 to 63 characters, lower-case ASCII
/// letters, digits and `_`, not starting with a digit, and not `pg_…` (reserved by
/// PostgreSQL). Such a name needs no quoting, but confab quotes it anyway.
pub fn validate_schema(name: &str) -> Result<(), String> {
    let valid_chars = name
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    let problem = if name.is_empty() {
        "is empty"
    } else if name.len() > MAX_IDENTIFIER {
        "is longer than 63 characters"
    } else if !valid_chars {
        "may only hold lower-case letters a-z, digits and _"
    } else if name.as_bytes()[0].is_ascii_digit() {
        "must not start with a digit"
    } else if name.starts_with("pg_") {
        "must not start with pg_ (reserved by PostgreSQL)"
    } else {
        return Ok(());
    };
    Err(format!("invalid database schema {name:?}: it {problem}"))
}

/// `"name"`: a validated schema name as a quoted identifier.
pub(crate) fn quoted(schema: &str) -> String {
    format!("\"{}\"", schema.replace('"', "\"\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_names_are_plain_lower_case_identifiers() {
        for good in ["public", "confab", "chat_2", "_x"] {
            assert_eq!(validate_schema(good), Ok(()), "{good}");
        }
        for (bad, why) in [
            ("", "is empty"),
            ("Confab", "lower-case"),
            ("con-fab", "lower-case"),
            ("a\"b", "lower-case"),
            ("x; DROP TABLE users", "lower-case"),
            ("2chat", "digit"),
            ("pg_temp", "pg_"),
        ] {
            let err = validate_schema(bad).unwrap_err();
            assert!(err.contains(why), "{bad}: {err}");
        }
        assert!(validate_schema(&"s".repeat(64)).unwrap_err().contains("63"));
        assert!(validate_schema(&"s".repeat(63)).is_ok());
    }

    #[test]
    fn a_schema_is_quoted() {
        assert_eq!(quoted("confab"), "\"confab\"");
    }
}
