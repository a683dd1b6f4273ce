//! Opening databases: readiness, SQLite files in missing directories, in-memory SQLite.

use confab_domain::ports::Store;
use confab_store::{Backend, Database, StoreOptions, connect};

use crate::support::{fixture, send};

pub(crate) async fn ping_answers(db: &Database) {
    db.store().ping().await.unwrap();
}

#[tokio::test]
async fn a_sqlite_file_in_a_missing_directory_is_created() {
    let dir = std::env::temp_dir().join(format!("confab-dir-{}", uuid::Uuid::new_v4().simple()));
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.join("nested/confab.db").display()
    );
    let db = connect(&url, &StoreOptions::default()).await.unwrap();
    db.migrate().await.unwrap();
    assert_eq!(db.backend(), Backend::Sqlite);
    assert!(dir.join("nested/confab.db").exists());
    db.close().await.unwrap();
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn an_in_memory_sqlite_database_keeps_its_data_across_queries() {
    let db = connect("sqlite::memory:", &StoreOptions::default())
        .await
        .unwrap();
    db.migrate().await.unwrap();
    let f = fixture(&db).await;
    for n in 1..=3 {
        send(&f.store, f.conversation, f.alice, &format!("m{n}")).await;
    }
    let page = confab_domain::ports::MessageRepository::list_messages(
        f.store.as_ref(),
        f.conversation,
        None,
        10,
    )
    .await
    .unwrap();
    assert_eq!(page.messages.len(), 3);
}

async fn pragma(db: &Database, name: &str) -> String {
    use sea_orm::{ConnectionTrait, Statement};
    let statement = Statement::from_string(
        db.connection().get_database_backend(),
        format!("PRAGMA {name}"),
    );
    let row = crate::support::one_row(db, statement).await;
    row.try_get_by_index::<i64>(0)
        .map(|n| n.to_string())
        .or_else(|_| row.try_get_by_index::<String>(0))
        .unwrap()
}

#[tokio::test]
async fn sqlite_runs_in_wal_mode_with_foreign_keys_and_a_busy_timeout() {
    let test_db = confab_store::testing::fresh_sqlite();
    let db = test_db.database().await;
    assert_eq!(pragma(&db, "journal_mode").await, "wal");
    assert_eq!(pragma(&db, "foreign_keys").await, "1");
    assert_eq!(pragma(&db, "busy_timeout").await, "5000");
    assert_eq!(pragma(&db, "synchronous").await, "2", "FULL by default");
    db.close().await.unwrap();

    let relaxed = StoreOptions {
        sqlite_synchronous_full: false,
        ..StoreOptions::default()
    };
    let db = connect(test_db.url(), &relaxed).await.unwrap();
    assert_eq!(pragma(&db, "synchronous").await, "1", "NORMAL");
    db.close().await.unwrap();
    test_db.cleanup().await;
}

/// Statements outside a transaction wait their turn for one of the pool's connections:
/// 300 at once on a pool of two all get their answer; and a statement that cannot get a
/// turn within the acquire timeout fails as the pool itself would (unavailable), rather
/// than waiting for as long as the statements ahead of it run.
async fn statements_past_the_pools_connections_wait_their_turn_up_to_the_acquire_timeout(
    test_db: &confab_store::testing::TestDb,
) {
    use std::time::{Duration, Instant};

    use sea_orm::{ConnectionTrait, DbBackend, DbErr, Statement};

    let options = StoreOptions {
        max_connections: 2,
        acquire_timeout: Duration::from_millis(300),
        ..test_db.options()
    };
    let db = connect(test_db.url(), &options).await.unwrap();
    let conn = db.connection();
    let sql = |s: &str| Statement::from_string(DbBackend::Postgres, s.to_owned());
    let answers = futures::future::join_all(
        (0..300).map(|n| conn.query_one_raw(sql(&format!("SELECT {n}::int8 AS n")))),
    )
    .await;
    for (n, answer) in answers.into_iter().enumerate() {
        let row = answer.unwrap().unwrap();
        assert_eq!(row.try_get_by_index::<i64>(0).unwrap(), n as i64);
    }
    // Both turns taken by statements that run for 2 s.
    let slow =
        futures::future::join_all((0..2).map(|_| conn.execute_raw(sql("SELECT pg_sleep(2)"))));
    let waiting = async {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let started = Instant::now();
        let outcome = conn.query_one_raw(sql("SELECT 1")).await;
        (outcome, started.elapsed())
    };
    let (slow, (outcome, waited)) = tokio::join!(slow, waiting);
    for s in slow {
        s.unwrap();
    }
    assert!(
        matches!(outcome, Err(DbErr::ConnectionAcquire(_))),
        "{outcome:?}"
    );
    assert!(waited < Duration::from_millis(1_500), "waited {waited:?}");
    // Free again.
    assert!(conn.query_one_raw(sql("SELECT 1")).await.unwrap().is_some());
    db.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_postgres_statements_past_the_pools_connections_wait_their_turn_up_to_the_acquire_timeout()
 {
    crate::support::with_postgres(
        statements_past_the_pools_connections_wait_their_turn_up_to_the_acquire_timeout,
    )
    .await;
}
