//! The schema: applies to an empty database, re-applies as a no-op, rolls back.

use confab_domain::ports::MessageRepository;
use confab_migrations::{Migrator, MigratorTrait};
use confab_store::{Backend, Database};
use sea_orm::{ConnectionTrait, Statement};

use crate::support::{fixture, send};

const TABLES: [&str; 9] = [
    "users",
    "projects",
    "conversations",
    "conversation_participants",
    "messages",
    "message_edits",
    "message_files",
    "message_read_receipts",
    "message_reports",
];

async fn count(db: &Database, sql: &str, name: &str) -> i64 {
    let statement =
        Statement::from_sql_and_values(db.connection().get_database_backend(), sql, [name.into()]);
    let row = db
        .connection()
        .query_one_raw(statement)
        .await
        .unwrap()
        .unwrap();
    row.try_get_by_index::<i64>(0).unwrap()
}

async fn has_table(db: &Database, name: &str) -> bool {
    let sql = match db.backend() {
        Backend::Postgres => {
            "SELECT COUNT(*) FROM information_schema.tables \
             WHERE table_schema = 'public' AND table_name = $1"
        }
        Backend::Sqlite => "SELECT COUNT(*) FROM sqlite_master WHERE name = $1",
    };
    count(db, sql, name).await > 0
}

/// The search machinery of each backend: the `tsvector` column, or the FTS5 table.
async fn has_search(db: &Database) -> bool {
    match db.backend() {
        Backend::Postgres => {
            let sql = "SELECT COUNT(*) FROM information_schema.columns \
                       WHERE table_name = 'messages' AND column_name = $1";
            count(db, sql, "search_tsv").await > 0
        }
        Backend::Sqlite => has_table(db, "messages_fts").await,
    }
}

async fn assert_schema(db: &Database, present: bool) {
    for table in TABLES {
        assert_eq!(has_table(db, table).await, present, "table {table}");
    }
    assert_eq!(has_search(db).await, present, "search");
}

pub async fn migrations_apply_to_an_empty_database_and_a_second_run_is_a_no_op(db: &Database) {
    assert_schema(db, false).await;
    db.migrate().await.unwrap();
    assert_schema(db, true).await;

    db.migrate().await.unwrap();
    assert_schema(db, true).await;
    let pending = Migrator::get_pending_migrations(db.connection())
        .await
        .unwrap();
    assert!(pending.is_empty());
    let applied = Migrator::get_applied_migrations(db.connection())
        .await
        .unwrap();
    assert_eq!(applied.len(), Migrator::migrations().len());
}

pub async fn migrating_down_removes_everything_and_up_restores_it(db: &Database) {
    let f = fixture(db).await;
    send(&f.store, f.conversation, f.alice, "before the rollback").await;

    Migrator::down(db.connection(), None).await.unwrap();
    assert_schema(db, false).await;

    db.migrate().await.unwrap();
    assert_schema(db, true).await;
    let f = fixture(db).await;
    send(&f.store, f.conversation, f.alice, "running again").await;
    let hits = f.store.search(f.conversation, "run", 10).await.unwrap();
    assert_eq!(hits.len(), 1);
}
