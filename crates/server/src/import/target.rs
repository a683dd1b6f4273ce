//! Writing confab's tables: multi-row inserts that skip rows already there, and the id sets
//! that tell a re-run what is new.

use std::collections::{HashMap, HashSet};

use anyhow::Context;
use chrono::{DateTime, Utc};
use confab_store::{Backend, Db};
use sea_orm::{
    ConnectionTrait, DatabaseTransaction, QueryResult, SqliteTransactionMode, Statement,
    TransactionOptions, Value,
};
use uuid::Uuid;

/// Bound parameters per statement: under SQLite's 32 766 and PostgreSQL's 65 535.
const MAX_PARAMETERS: usize = 30_000;

/// What confab's database holds of one conversation's messages.
#[derive(Clone, Copy, Debug)]
pub(super) struct Stored {
    pub seq: i64,
    pub sender: Uuid,
    pub created_at: DateTime<Utc>,
}

/// confab's database, or (dry run) a reader of it.
pub(super) struct Target {
    db: Db,
    backend: Backend,
    /// False on a dry run against a database that was never migrated: it holds nothing.
    migrated: bool,
}

impl Target {
    pub(super) fn new(db: Db, backend: Backend, migrated: bool) -> Self {
        Self {
            db,
            backend,
            migrated,
        }
    }

    /// Whether confab's tables exist (a dry run does not create them).
    pub(super) async fn has_tables(db: &Db) -> bool {
        let sql = "SELECT COUNT(*) AS n FROM project_members";
        db.query_all_raw(Statement::from_string(db.get_database_backend(), sql))
            .await
            .is_ok()
    }

    fn statement(&self, sql: &str, values: Vec<Value>) -> Statement {
        Statement::from_sql_and_values(self.db.get_database_backend(), sql, values)
    }

    /// The rows a query returns (none before migrations).
    async fn rows(&self, sql: &str, values: Vec<Value>) -> anyhow::Result<Vec<QueryResult>> {
        if !self.migrated {
            return Ok(Vec::new());
        }
        self.db
            .query_all_raw(self.statement(sql, values))
            .await
            .context("reading confab's database")
    }

    /// The ids a query returns in column `id` (nothing before migrations).
    pub(super) async fn ids(&self, sql: &str, values: Vec<Value>) -> anyhow::Result<HashSet<Uuid>> {
        self.rows(sql, values)
            .await?
            .iter()
            .map(|r| Ok(r.try_get::<Uuid>("", "id")?))
            .collect()
    }

    /// The `(a, b)` pairs a query returns.
    pub(super) async fn pairs(
        &self,
        sql: &str,
        values: Vec<Value>,
    ) -> anyhow::Result<HashSet<(Uuid, Uuid)>> {
        self.rows(sql, values)
            .await?
            .iter()
            .map(|r| Ok((r.try_get::<Uuid>("", "a")?, r.try_get::<Uuid>("", "b")?)))
            .collect()
    }

    /// The stored messages of a conversation by id.
    pub(super) async fn messages(
        &self,
        conversation: Uuid,
    ) -> anyhow::Result<HashMap<Uuid, Stored>> {
        let sql = "SELECT id, seq, sender_id, created_at FROM messages WHERE conversation_id = $1";
        self.rows(sql, vec![conversation.into()])
            .await?
            .iter()
            .map(|r| {
                Ok((
                    r.try_get::<Uuid>("", "id")?,
                    Stored {
                        seq: r.try_get("", "seq")?,
                        sender: r.try_get("", "sender_id")?,
                        created_at: r.try_get("", "created_at")?,
                    },
                ))
            })
            .collect()
    }

    /// A write transaction (SQLite: taking the write lock at once).
    pub(super) async fn begin(&self) -> anyhow::Result<DatabaseTransaction> {
        let options = TransactionOptions {
            sqlite_transaction_mode: (self.backend == Backend::Sqlite)
                .then_some(SqliteTransactionMode::Immediate),
            ..TransactionOptions::default()
        };
        self.db
            .begin_with_options(options)
            .await
            .context("starting a transaction on confab's database")
    }

    pub(super) fn connection(&self) -> &Db {
        &self.db
    }
}

/// Inserts `rows` into `table (columns)`, skipping rows whose key is already there.
pub(super) async fn insert<C: ConnectionTrait>(
    db: &C,
    table: &str,
    columns: &[&str],
    rows: Vec<Vec<Value>>,
) -> anyhow::Result<u64> {
    let width = columns.len();
    let per_statement = (MAX_PARAMETERS / width).max(1);
    let mut inserted = 0;
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<Vec<Value>> = rows.by_ref().take(per_statement).collect();
        let mut tuples = Vec::with_capacity(chunk.len());
        let mut values = Vec::with_capacity(chunk.len() * width);
        for row in chunk {
            anyhow::ensure!(row.len() == width, "a row for {table} has the wrong width");
            let first = values.len() + 1;
            let slots: Vec<String> = (first..first + width).map(|n| format!("${n}")).collect();
            tuples.push(format!("({})", slots.join(", ")));
            values.extend(row);
        }
        let sql = format!(
            "INSERT INTO {table} ({}) VALUES {} ON CONFLICT DO NOTHING",
            columns.join(", "),
            tuples.join(", ")
        );
        let statement = Statement::from_sql_and_values(db.get_database_backend(), sql, values);
        let result = db
            .execute_raw(statement)
            .await
            .with_context(|| format!("writing {table}"))?;
        inserted += result.rows_affected();
    }
    Ok(inserted)
}

/// Takes `count` numbers from the conversation's `seq` counter and returns the first. Runs
/// in the caller's transaction, which holds the conversation row until it commits, so a
/// node sending into the conversation meanwhile numbers after the import (or before it).
pub(super) async fn take_seqs(
    txn: &DatabaseTransaction,
    conversation: Uuid,
    count: i64,
) -> anyhow::Result<i64> {
    let sql = "UPDATE conversations SET last_seq = last_seq + $2 WHERE id = $1 RETURNING last_seq";
    let statement = Statement::from_sql_and_values(
        txn.get_database_backend(),
        sql,
        [conversation.into(), count.into()],
    );
    let row = txn
        .query_one_raw(statement)
        .await
        .context("numbering messages")?
        .context("the conversation is missing from confab's database")?;
    let last: i64 = row.try_get("", "last_seq")?;
    Ok(last - count + 1)
}

/// Raises a participant's read marker to `seq` (never lowers it).
pub(super) async fn raise_read_marker<C: ConnectionTrait>(
    db: &C,
    conversation: Uuid,
    user: Uuid,
    seq: i64,
) -> anyhow::Result<()> {
    let sql = "UPDATE conversation_participants SET last_read_seq = $3 \
               WHERE conversation_id = $1 AND user_id = $2 AND last_read_seq < $3";
    let statement = Statement::from_sql_and_values(
        db.get_database_backend(),
        sql,
        [conversation.into(), user.into(), seq.into()],
    );
    db.execute_raw(statement)
        .await
        .context("setting read markers")?;
    Ok(())
}
