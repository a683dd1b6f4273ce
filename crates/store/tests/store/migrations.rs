//! The schema: applies to an empty database, re-applies as a no-op, rolls back.

use confab_domain::model::ProjectRole;
use confab_domain::ports::{MessageRepository, ProjectRepository};
use confab_migrations::{Migrator, MigratorTrait};
use confab_store::{Backend, Database};
use sea_orm::{ConnectionTrait, Statement};

use uuid::Uuid;

use crate::support::{at, fixture, send};

const TABLES: [&str; 10] = [
    "users",
    "projects",
    "conversations",
    "conversation_participants",
    "messages",
    "message_edits",
    "message_files",
    "message_read_receipts",
    "message_reports",
    "project_members",
];

async fn count(db: &Database, sql: &str, name: &str) -> i64 {
    let statement =
        Statement::from_sql_and_values(db.connection().get_database_backend(), sql, [name.into()]);
    let row = crate::support::one_row(db, statement).await;
    row.try_get_by_index::<i64>(0).unwrap()
}

async fn has_table(db: &Database, name: &str) -> bool {
    let sql = match db.backend() {
        Backend::Postgres => {
            "SELECT COUNT(*) FROM information_schema.tables \
             WHERE table_schema = current_schema() AND table_name = $1"
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
                       WHERE table_schema = current_schema() AND table_name = 'messages' \
                       AND column_name = $1";
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

pub(crate) async fn migrations_apply_to_an_empty_database_and_a_second_run_is_a_no_op(
    db: &Database,
) {
    assert_schema(db, false).await;
    db.migrate().await.unwrap();
    assert_schema(db, true).await;

    db.migrate().await.unwrap();
    assert_schema(db, true).await;
    let pending = Migrator::get_pending_migrations(db.connection().pool())
        .await
        .unwrap();
    assert!(pending.is_empty());
    let applied = Migrator::get_applied_migrations(db.connection().pool())
        .await
        .unwrap();
    assert_eq!(applied.len(), Migrator::migrations().len());
}

pub(crate) async fn migrating_down_removes_everything_and_up_restores_it(db: &Database) {
    let f = fixture(db).await;
    send(&f.store, f.conversation, f.alice, "before the rollback").await;

    Migrator::down(db.connection().pool(), None).await.unwrap();
    assert_schema(db, false).await;

    db.migrate().await.unwrap();
    assert_schema(db, true).await;
    let f = fixture(db).await;
    send(&f.store, f.conversation, f.alice, "running again").await;
    let hits = f.store.search(f.conversation, "run", 10).await.unwrap();
    assert_eq!(hits.len(), 1);
}

/// The backfill: on a database that predates membership, every active participant becomes
/// a member of the conversation's project (once, as of their first join); participants who
/// left and users with no conversation do not.
pub(crate) async fn existing_participants_become_members_of_their_conversations_projects(
    db: &Database,
) {
    let before_membership = 4;
    if db.backend() == Backend::Postgres {
        // What `migrate` does before it applies anything.
        let sql = format!("CREATE SCHEMA IF NOT EXISTS \"{}\"", db.schema());
        db.connection().execute_unprepared(&sql).await.unwrap();
    }
    Migrator::up(db.connection().pool(), Some(before_membership))
        .await
        .unwrap();
    let (alice, bob, gone, idle) = (
        Uuid::new_v4(),
        Uuid::new_v4(),
        Uuid::new_v4(),
        Uuid::new_v4(),
    );
    let (apollo, gemini) = (Uuid::new_v4(), Uuid::new_v4());
    let (first, second, third) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
    for user in [alice, bob, gone, idle] {
        insert(
            db,
            "INSERT INTO users (id, created_at, updated_at) VALUES ($1, $2, $2)",
            vec![user.into(), at(0).into()],
        )
        .await;
    }
    for project in [apollo, gemini] {
        insert(
            db,
            "INSERT INTO projects (id, name, created_at) VALUES ($1, 'p', $2)",
            vec![project.into(), at(0).into()],
        )
        .await;
    }
    for (conversation, project) in [(first, apollo), (second, apollo), (third, gemini)] {
        insert(
            db,
            "INSERT INTO conversations (id, project_id, type, status, last_seq, created_at, updated_at) \
             VALUES ($1, $2, 'project', 'active', 0, $3, $3)",
            vec![conversation.into(), project.into(), at(0).into()],
        )
        .await;
    }
    let joins = [
        (first, alice, at(5), None),
        (second, alice, at(3), None),
        (first, bob, at(1), None),
        (third, bob, at(2), None),
        (second, gone, at(1), Some(at(4))),
    ];
    for (conversation, user, joined, left) in joins {
        insert(
            db,
            "INSERT INTO conversation_participants \
               (conversation_id, user_id, role, joined_at, left_at, notifications_enabled, last_read_seq) \
             VALUES ($1, $2, 'member', $3, $4, $5, 0)",
            vec![conversation.into(), user.into(), joined.into(), left.into(), true.into()],
        )
        .await;
    }

    db.migrate().await.unwrap();

    let store = db.store();
    let members = |project: Uuid| {
        let store = store.clone();
        async move {
            let mut list: Vec<(Uuid, chrono::DateTime<chrono::Utc>)> = store
                .list_members(project.into())
                .await
                .unwrap()
                .into_iter()
                .map(|m| (m.user_id.as_uuid(), m.added_at))
                .collect();
            list.sort();
            list
        }
    };
    let mut apollo_expected = vec![(alice, at(3)), (bob, at(1))];
    apollo_expected.sort();
    assert_eq!(members(apollo).await, apollo_expected);
    assert_eq!(members(gemini).await, vec![(bob, at(2))]);
    let role = store
        .project_role(apollo.into(), alice.into())
        .await
        .unwrap();
    assert_eq!(role, Some(ProjectRole::Member));
    assert!(store.projects_of(gone.into()).await.unwrap().is_empty());
    assert!(store.projects_of(idle.into()).await.unwrap().is_empty());
}

async fn insert(db: &Database, sql: &str, values: Vec<sea_orm::Value>) {
    let backend = db.connection().get_database_backend();
    let statement = Statement::from_sql_and_values(backend, sql, values);
    db.connection().execute_raw(statement).await.unwrap();
}
