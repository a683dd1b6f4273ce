//! `CONFAB_DATABASE_SCHEMA` on PostgreSQL (every other PostgreSQL test already runs in the
//! schema `confab`): the default `public` still works, two schemas in one database do not see
//! each other, a `public.users` of another shape (Supabase's) is left alone, and a bad name is
//! refused before anything is touched.

use confab_domain::ports::MessageRepository;
use confab_store::testing::{fresh_postgres, fresh_postgres_in};
use confab_store::{Database, StoreError, StoreOptions, connect};
use sea_orm::{ConnectionTrait, Statement};

use crate::support::{fixture, send};

async fn scalar(db: &Database, sql: &str) -> i64 {
    let statement = Statement::from_string(db.connection().get_database_backend(), sql);
    let row = db
        .connection()
        .query_one_raw(statement)
        .await
        .unwrap()
        .unwrap();
    row.try_get_by_index::<i64>(0).unwrap()
}

/// confab's tables in `schema`, counted from the catalogue.
async fn tables_in(db: &Database, schema: &str) -> i64 {
    scalar(
        db,
        &format!(
            "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = '{schema}' \
             AND table_name IN ('messages', 'conversations', 'seaql_migrations')"
        ),
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_default_public_schema_still_holds_everything() {
    let test_db = fresh_postgres_in("public").await;
    let db = test_db.database().await;
    assert_eq!(db.schema(), "public");
    let f = fixture(&db).await;
    send(&f.store, f.conversation, f.alice, "hello from public").await;
    let hits = f.store.search(f.conversation, "public", 10).await.unwrap();
    assert_eq!(hits.len(), 1);
    assert_eq!(tables_in(&db, "public").await, 3);
    db.close().await.unwrap();
    test_db.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_schemas_in_one_database_are_isolated_and_leave_public_users_alone() {
    let test_db = fresh_postgres().await;
    // What Supabase's `public` holds before confab arrives: a `users` of another shape.
    let plain = connect(
        test_db.url(),
        &StoreOptions {
            schema: "public".to_owned(),
            ..StoreOptions::default()
        },
    )
    .await
    .unwrap();
    plain
        .connection()
        .execute_unprepared(
            "CREATE TABLE public.users (id bigint PRIMARY KEY, full_name text NOT NULL); \
             INSERT INTO public.users VALUES (1, 'Seed User')",
        )
        .await
        .unwrap();

    let open = async |schema: &str| {
        let options = StoreOptions {
            schema: schema.to_owned(),
            ..StoreOptions::default()
        };
        let db = connect(test_db.url(), &options).await.unwrap();
        db.migrate().await.unwrap();
        db
    };
    let (a, b) = (open("chat_a").await, open("chat_b").await);
    let (fa, fb) = (fixture(&a).await, fixture(&b).await);
    send(&fa.store, fa.conversation, fa.alice, "apples in a").await;
    send(&fa.store, fa.conversation, fa.alice, "again in a").await;
    send(&fb.store, fb.conversation, fb.alice, "apples in b").await;

    let page_a = fa
        .store
        .list_messages(fa.conversation, None, 10)
        .await
        .unwrap();
    assert_eq!(page_a.messages.len(), 2);
    assert_eq!(
        page_a.messages[0].seq, 2,
        "a's seq counts a's messages only"
    );
    let page_b = fb
        .store
        .list_messages(fb.conversation, None, 10)
        .await
        .unwrap();
    assert_eq!(page_b.messages.len(), 1);
    let seen_from_a = fa
        .store
        .list_messages(fb.conversation, None, 10)
        .await
        .map_or(0, |page| page.messages.len());
    assert_eq!(seen_from_a, 0, "b's conversation is not visible from a");
    assert_eq!(
        fa.store
            .search(fa.conversation, "apples", 10)
            .await
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        fb.store
            .search(fb.conversation, "apples", 10)
            .await
            .unwrap()
            .len(),
        1
    );

    // Each schema has its own tables and migration records; public has none of confab's.
    assert_eq!(tables_in(&a, "chat_a").await, 3);
    assert_eq!(tables_in(&a, "chat_b").await, 3);
    assert_eq!(tables_in(&a, "public").await, 0);
    assert_eq!(
        scalar(&a, "SELECT COUNT(*) FROM users").await,
        3,
        "a's users"
    );
    // The foreign `users` keeps its shape and its one row.
    assert_eq!(
        scalar(
            &plain,
            "SELECT COUNT(*) FROM information_schema.columns \
             WHERE table_schema = 'public' AND table_name = 'users'"
        )
        .await,
        2
    );
    assert_eq!(scalar(&plain, "SELECT COUNT(*) FROM public.users").await, 1);

    for db in [a, b, plain] {
        db.close().await.unwrap();
    }
    test_db.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_schema_name_is_refused_before_connecting() {
    let test_db = fresh_postgres().await;
    for bad in ["Confab", "chat; DROP TABLE users", "", "pg_chat"] {
        let options = StoreOptions {
            schema: bad.to_owned(),
            ..StoreOptions::default()
        };
        match connect(test_db.url(), &options).await {
            Err(StoreError::InvalidSchema(message)) => {
                assert!(message.starts_with("invalid database schema"), "{message}");
                assert!(message.len() < 120, "a short message: {message}");
            }
            other => panic!("{bad:?} was not refused: {other:?}"),
        }
    }
    let db = test_db.connect().await;
    assert_eq!(
        scalar(
            &db,
            "SELECT COUNT(*) FROM pg_namespace WHERE nspname NOT LIKE 'pg_%' \
             AND nspname NOT IN ('public', 'information_schema')"
        )
        .await,
        0,
        "no schema was created"
    );
    db.close().await.unwrap();
    test_db.cleanup().await;
}
