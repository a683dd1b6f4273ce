//! Concurrent senders, each on a pool of its own as separate nodes would be.

use confab_domain::ports::{Inserted, MessageRepository};
use confab_store::testing::TestDb;
use confab_store::{Backend, Database, StoreOptions, connect};
use tokio::task::JoinSet;

use crate::support::{all_messages, fixture, last_seq, new_message, send};

/// A node's pool: small, in the test database's schema.
fn node_options(test_db: &TestDb) -> StoreOptions {
    StoreOptions {
        max_connections: 2,
        ..test_db.options()
    }
}

/// PostgreSQL: 8 writers x 50 sends; SQLite (one writer at a time by design): 4 x 25.
pub(crate) async fn concurrent_writers_on_separate_pools_get_gapless_seqs(test_db: &TestDb) {
    let (writers, sends) = match test_db.backend() {
        Backend::Postgres => (8, 50),
        Backend::Sqlite => (4, 25),
    };
    let db = test_db.database().await;
    let f = fixture(&db).await;
    let mut tasks = JoinSet::new();
    for writer in 0..writers {
        let url = test_db.url().to_owned();
        let options = node_options(test_db);
        let (conversation, sender) = (
            f.conversation,
            if writer % 2 == 0 { f.alice } else { f.bob },
        );
        tasks.spawn(async move {
            let node = connect(&url, &options).await.unwrap();
            let store = node.store();
            let mut seqs = Vec::new();
            for n in 0..sends {
                let content = format!("writer {writer} message {n}");
                seqs.push(send(&store, conversation, sender, &content).await.seq);
            }
            seqs
        });
    }
    let mut seqs = Vec::new();
    while let Some(done) = tasks.join_next().await {
        let mine = done.unwrap();
        assert!(
            mine.windows(2).all(|w| w[0] < w[1]),
            "a writer's own sends stay in order"
        );
        seqs.extend(mine);
    }
    let total = writers * sends;
    seqs.sort_unstable();
    assert_eq!(seqs, (1..=total).collect::<Vec<i64>>());
    let stored: Vec<i64> = all_messages(&f.store, f.conversation)
        .await
        .iter()
        .map(|m| m.seq)
        .collect();
    assert_eq!(stored, (1..=total).collect::<Vec<i64>>());
    assert_eq!(last_seq(&f.store, f.conversation, f.alice).await, total);
}

pub(crate) async fn concurrent_retries_of_one_client_msg_id_store_one_message(test_db: &TestDb) {
    let db = test_db.database().await;
    let f = fixture(&db).await;
    let mut tasks = JoinSet::new();
    for _ in 0..8 {
        let url = test_db.url().to_owned();
        let options = node_options(test_db);
        let (conversation, sender) = (f.conversation, f.alice);
        tasks.spawn(async move {
            let node = connect(&url, &options).await.unwrap();
            let mut new = new_message(conversation, sender, "only once");
            new.client_msg_id = Some("tap-tap-tap".to_owned());
            node.store().insert_message(new).await.unwrap()
        });
    }
    let mut created = Vec::new();
    let mut existing = Vec::new();
    while let Some(done) = tasks.join_next().await {
        match done.unwrap() {
            Inserted::Created(message) => created.push(message),
            Inserted::Existing(message) => existing.push(message),
        }
    }
    assert_eq!(created.len(), 1, "{created:?}");
    assert_eq!(existing.len(), 7);
    assert!(existing.iter().all(|m| m.id == created[0].id && m.seq == 1));
    assert_eq!(last_seq(&f.store, f.conversation, f.alice).await, 1);
    let next = send(&f.store, f.conversation, f.bob, "after").await;
    assert_eq!(next.seq, 2);
}

/// Retries racing their originals, interleaved with fresh sends, from four nodes: every key
/// is stored once, and a retry that lost consumes no `seq` (on PostgreSQL this is the
/// one-statement path, whose losing retry aborts on the unique key).
pub(crate) async fn racing_retries_among_fresh_sends_leave_no_gap(test_db: &TestDb) {
    let (nodes, keys) = match test_db.backend() {
        Backend::Postgres => (4, 40),
        Backend::Sqlite => (4, 15),
    };
    let db = test_db.database().await;
    let f = fixture(&db).await;
    let mut tasks = JoinSet::new();
    for node in 0..nodes {
        let url = test_db.url().to_owned();
        let options = node_options(test_db);
        let (conversation, alice, bob) = (f.conversation, f.alice, f.bob);
        tasks.spawn(async move {
            let store = connect(&url, &options).await.unwrap().store();
            let mut created = Vec::new();
            for n in 0..keys {
                // Each node walks the keys from a different place, so retries collide.
                let key = format!("key-{}", (n + node * keys / nodes) % keys);
                let mut retry = new_message(conversation, alice, &key);
                retry.client_msg_id = Some(key);
                if let Inserted::Created(m) = store.insert_message(retry).await.unwrap() {
                    created.push(m.client_msg_id.unwrap());
                }
                send(&store, conversation, bob, &format!("node {node} fresh {n}")).await;
            }
            created
        });
    }
    let mut created = Vec::new();
    while let Some(done) = tasks.join_next().await {
        created.extend(done.unwrap());
    }
    created.sort_unstable();
    let mut expected: Vec<String> = (0..keys).map(|k| format!("key-{k}")).collect();
    expected.sort_unstable();
    assert_eq!(created, expected, "each key is created exactly once");
    let total = i64::from(keys + nodes * keys);
    let stored = all_messages(&f.store, f.conversation).await;
    let seqs: Vec<i64> = stored.iter().map(|m| m.seq).collect();
    assert_eq!(seqs, (1..=total).collect::<Vec<i64>>(), "gapless");
    assert_eq!(last_seq(&f.store, f.conversation, f.alice).await, total);
}

/// Many senders sharing one store (one node): on SQLite every write queues for the one write
/// connection instead of racing for the database lock.
pub(crate) async fn concurrent_senders_on_one_store_get_gapless_seqs(db: &Database) {
    let f = fixture(db).await;
    let (tasks_n, sends) = (16, 25);
    let mut tasks = JoinSet::new();
    for task in 0..tasks_n {
        let store = f.store.clone();
        let (conversation, sender) = (f.conversation, if task % 2 == 0 { f.alice } else { f.bob });
        tasks.spawn(async move {
            for n in 0..sends {
                send(
                    &store,
                    conversation,
                    sender,
                    &format!("task {task} message {n}"),
                )
                .await;
            }
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.unwrap();
    }
    let total = i64::from(tasks_n * sends);
    let seqs: Vec<i64> = all_messages(&f.store, f.conversation)
        .await
        .iter()
        .map(|m| m.seq)
        .collect();
    assert_eq!(seqs, (1..=total).collect::<Vec<i64>>());
}
