//! Full-text search over message content, with English stemming on both backends.
//!
//! PostgreSQL: a stored generated `tsvector` column plus a GIN index; queries use
//! `websearch_to_tsquery('english', ...)`.
//!
//! SQLite: an FTS5 external-content table over `messages` (the text is stored once, in
//! `messages`), kept in sync by triggers; the `porter` tokenizer stems. External content is
//! keyed by `messages.rowid`: `VACUUM` may renumber the rowids of a table without an
//! `INTEGER PRIMARY KEY`, so after a `VACUUM` run
//! `INSERT INTO messages_fts(messages_fts) VALUES('rebuild')`.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

use crate::m20261124_000001_create_core_tables::Messages;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Search {
    SearchTsv,
}

const PG_INDEX: &str = "idx_messages_search_tsv";

/// The SQLite side, in order. The 'delete' command form is how an external-content FTS5
/// table forgets a row: it needs the old text to find the old tokens.
const SQLITE_UP: &[&str] = &[
    "CREATE VIRTUAL TABLE messages_fts USING fts5(\
        content, content='messages', content_rowid='rowid', tokenize='porter unicode61')",
    "CREATE TRIGGER messages_fts_after_insert AFTER INSERT ON messages BEGIN \
        INSERT INTO messages_fts(rowid, content) VALUES (new.rowid, new.content); \
     END",
    "CREATE TRIGGER messages_fts_after_update AFTER UPDATE OF content ON messages BEGIN \
        INSERT INTO messages_fts(messages_fts, rowid, content) \
            VALUES ('delete', old.rowid, old.content); \
        INSERT INTO messages_fts(rowid, content) VALUES (new.rowid, new.content); \
     END",
    "CREATE TRIGGER messages_fts_after_delete AFTER DELETE ON messages BEGIN \
        INSERT INTO messages_fts(messages_fts, rowid, content) \
            VALUES ('delete', old.rowid, old.content); \
     END",
    // Index the messages stored before this migration.
    "INSERT INTO messages_fts(messages_fts) VALUES ('rebuild')",
];

const SQLITE_DOWN: &[&str] = &[
    "DROP TRIGGER IF EXISTS messages_fts_after_delete",
    "DROP TRIGGER IF EXISTS messages_fts_after_update",
    "DROP TRIGGER IF EXISTS messages_fts_after_insert",
    "DROP TABLE IF EXISTS messages_fts",
];

#[expect(
    elided_lifetimes_in_paths,
    reason = "sea-orm-migration's MigrationTrait declares `&SchemaManager` with an elided lifetime; async_trait refuses `SchemaManager<'_>` here"
)]
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        match manager.get_database_backend() {
            DbBackend::Postgres => postgres_up(manager).await,
            DbBackend::Sqlite => run_all(manager, SQLITE_UP).await,
            other => Err(unsupported(other)),
        }
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        match manager.get_database_backend() {
            DbBackend::Postgres => postgres_down(manager).await,
            DbBackend::Sqlite => run_all(manager, SQLITE_DOWN).await,
            other => Err(unsupported(other)),
        }
    }

    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}

async fn postgres_up(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .alter_table(
            Table::alter()
                .table(Messages::Table)
                .add_column(
                    ColumnDef::new(Search::SearchTsv)
                        .custom("tsvector")
                        .generated(Expr::cust("to_tsvector('english', content)"), true),
                )
                .to_owned(),
        )
        .await?;
    manager
        .create_index(
            Index::create()
                .name(PG_INDEX)
                .table(Messages::Table)
                .col(Search::SearchTsv)
                .index_type(IndexType::FullText)
                .to_owned(),
        )
        .await
}

async fn postgres_down(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .drop_index(
            Index::drop()
                .name(PG_INDEX)
                .table(Messages::Table)
                .to_owned(),
        )
        .await?;
    manager
        .alter_table(
            Table::alter()
                .table(Messages::Table)
                .drop_column(Search::SearchTsv)
                .to_owned(),
        )
        .await
}

async fn run_all(manager: &SchemaManager<'_>, statements: &[&str]) -> Result<(), DbErr> {
    let connection = manager.get_connection();
    for sql in statements {
        connection.execute_unprepared(sql).await?;
    }
    Ok(())
}

fn unsupported(backend: DbBackend) -> DbErr {
    DbErr::Migration(format!(
        "confab supports PostgreSQL and SQLite, not {backend:?}"
    ))
}
