//! Group commit: random interleavings of sends, retries and failing sends keep every
//! conversation's `seq` gapless and store each `clientMsgId` once; concurrent sends share
//! transactions; a lone send is written at once.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use confab_domain::Error;
use confab_domain::ids::{ConversationId, MessageId, UserId};
use confab_domain::model::Message;
use confab_domain::ports::{ConversationRepository, Inserted, MessageRepository, NewMessage};
use confab_store::testing::TestDb;
use confab_store::{Database, GroupCommitOptions, SqlStore, StoreOptions, connect};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tokio::task::JoinSet;

use crate::support::{all_messages, created, fixture, last_seq, new_message, send};

/// Cases per backend; each runs about 60 sends at once.
const CASES: u64 = 12;
const SENDS: usize = 60;

/// What a generated send is, and so what its outcome must be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    /// A new message, or a retry of one (same conversation, sender and `clientMsgId`).
    Valid,
    /// To a conversation that does not exist: not found.
    MissingConversation,
    /// From a sender who does not exist (the foreign key fails): an error, nothing stored.
    UnknownSender,
}

pub(crate) async fn random_interleavings_keep_seq_gapless_and_each_client_msg_id_once(
    db: &Database,
) {
    let f = fixture(db).await;
    for seed in 0..CASES {
        let mut rng = StdRng::seed_from_u64(seed);
        let mut conversations = Vec::new();
        for _ in 0..3 {
            conversations.push(f.alices_own_conversation().await);
        }
        let senders = [f.alice, f.bob];
        let mut keys: Vec<(ConversationId, UserId, String)> = Vec::new();
        let mut sends: Vec<(Kind, NewMessage)> = Vec::new();
        for n in 0..SENDS {
            let conversation = conversations[rng.random_range(0..conversations.len())];
            let sender = senders[rng.random_range(0..senders.len())];
            let roll = rng.random_range(0..100);
            let send = if roll < 20 && !keys.is_empty() {
                // A retry of an earlier send (it may still be in flight).
                let (conversation, sender, key) = keys[rng.random_range(0..keys.len())].clone();
                let mut new = new_message(conversation, sender, "retried");
                new.client_msg_id = Some(key);
                (Kind::Valid, new)
            } else if roll < 28 {
                let mut new = new_message(ConversationId::new(), sender, "nowhere");
                new.client_msg_id = Some(format!("missing-{n}"));
                (Kind::MissingConversation, new)
            } else if roll < 36 {
                let mut new = new_message(conversation, UserId::new(), "nobody");
                new.client_msg_id = Some(format!("ghost-{n}"));
                (Kind::UnknownSender, new)
            } else {
                let mut new = new_message(conversation, sender, &format!("case {seed} send {n}"));
                if rng.random_bool(0.7) {
                    let key = format!("key-{seed}-{n}");
                    keys.push((conversation, sender, key.clone()));
                    new.client_msg_id = Some(key);
                }
                (Kind::Valid, new)
            };
            sends.push(send);
        }
        // Later retries of some keys, after everything settled.
        let later: Vec<(Kind, NewMessage)> = keys
            .iter()
            .filter(|_| rng.random_bool(0.3))
            .map(|(conversation, sender, key)| {
                let mut new = new_message(*conversation, *sender, "later");
                new.client_msg_id = Some(key.clone());
                (Kind::Valid, new)
            })
            .collect();

        let mut outcomes = run_together(&f.store, sends, &mut rng).await;
        outcomes.extend(run_together(&f.store, later, &mut rng).await);
        check(&f.store, &conversations, f.alice, outcomes, seed).await;
    }
    // The cases did exercise batches, and on PostgreSQL batches whose statement failed.
    let stats = f.store.group_commit_stats();
    eprintln!("{:?}: {stats:?}", db.backend());
    assert!(stats.batches < stats.rows, "{stats:?}");
    if db.backend() == confab_store::Backend::Postgres {
        assert!(stats.fallbacks > 0, "{stats:?}");
    }
}

type Outcomes = Vec<(Kind, NewMessage, confab_domain::Result<Inserted>)>;

/// Starts every send at once, each after a random pause of up to 2 ms, so that they meet
/// the writers in random batches.
async fn run_together(
    store: &Arc<SqlStore>,
    sends: Vec<(Kind, NewMessage)>,
    rng: &mut StdRng,
) -> Outcomes {
    let mut tasks = JoinSet::new();
    for (kind, new) in sends {
        let store = Arc::clone(store);
        let pause = Duration::from_micros(rng.random_range(0..2_000));
        tasks.spawn(async move {
            tokio::time::sleep(pause).await;
            let outcome = store.insert_message(new.clone()).await;
            (kind, new, outcome)
        });
    }
    let mut outcomes = Vec::new();
    while let Some(done) = tasks.join_next().await {
        outcomes.push(done.unwrap());
    }
    outcomes
}

async fn check(
    store: &SqlStore,
    conversations: &[ConversationId],
    viewer: UserId,
    outcomes: Outcomes,
    seed: u64,
) {
    let mut stored: HashMap<MessageId, Message> = HashMap::new();
    for &conversation in conversations {
        let messages = all_messages(store, conversation).await;
        let seqs: Vec<i64> = messages.iter().map(|m| m.seq).collect();
        let n = i64::try_from(messages.len()).unwrap();
        assert_eq!(seqs, (1..=n).collect::<Vec<_>>(), "case {seed}: gapless");
        assert_eq!(
            last_seq(store, conversation, viewer).await,
            n,
            "case {seed}"
        );
        stored.extend(messages.into_iter().map(|m| (m.id, m)));
    }
    let mut by_key: BTreeMap<(ConversationId, UserId, String), Vec<MessageId>> = BTreeMap::new();
    for message in stored.values() {
        if let Some(key) = &message.client_msg_id {
            let key = (message.conversation_id, message.sender_id, key.clone());
            by_key.entry(key).or_default().push(message.id);
        }
    }
    for (key, ids) in &by_key {
        assert_eq!(ids.len(), 1, "case {seed}: {key:?} stored once");
    }
    let mut created_ids = HashSet::new();
    for (kind, new, outcome) in outcomes {
        match (kind, outcome) {
            (Kind::Valid, Ok(Inserted::Created(message))) => {
                assert_eq!(message.id, new.id, "case {seed}");
                assert_eq!(
                    stored.get(&message.id),
                    Some(&message),
                    "case {seed}: a created message is stored as acked"
                );
                assert!(created_ids.insert(message.id), "case {seed}");
            }
            (Kind::Valid, Ok(Inserted::Existing(message))) => {
                let key = new
                    .client_msg_id
                    .clone()
                    .expect("only keyed sends are retries");
                let ids = &by_key[&(new.conversation_id, new.sender_id, key)];
                assert_eq!(ids, &vec![message.id], "case {seed}: the original answers");
                assert_eq!(stored.get(&message.id), Some(&message), "case {seed}");
                assert!(
                    !stored.contains_key(&new.id),
                    "case {seed}: a retry stores nothing"
                );
            }
            (Kind::MissingConversation, Err(Error::NotFound(what))) => {
                assert_eq!(what, "conversation");
            }
            (Kind::UnknownSender, Err(_)) => {
                assert!(!stored.contains_key(&new.id), "case {seed}");
            }
            (kind, outcome) => panic!("case {seed}: {kind:?} {new:?} ended {outcome:?}"),
        }
    }
    assert_eq!(
        created_ids.len(),
        stored.len(),
        "case {seed}: every stored message was acked as created once"
    );
}

/// 64 sends at once take fewer transactions than 64, with gapless `seq`s.
pub(crate) async fn concurrent_sends_share_transactions(db: &Database) {
    let f = fixture(db).await;
    let before = f.store.group_commit_stats();
    let mut tasks = JoinSet::new();
    for n in 0..64 {
        let store = Arc::clone(&f.store);
        let (conversation, sender) = (f.conversation, if n % 2 == 0 { f.alice } else { f.bob });
        tasks.spawn(async move { send(&store, conversation, sender, &format!("n {n}")).await });
    }
    let mut seqs = Vec::new();
    while let Some(done) = tasks.join_next().await {
        seqs.push(done.unwrap().seq);
    }
    seqs.sort_unstable();
    assert_eq!(seqs, (1..=64).collect::<Vec<i64>>());
    let after = f.store.group_commit_stats();
    assert_eq!(after.rows - before.rows, 64);
    let batches = after.batches - before.batches;
    assert!(batches < 64, "64 sends in {batches} transactions");
    assert_eq!(after.fallbacks, before.fallbacks);
}

/// With the default window (0) a lone send is written at once, in a batch of its own.
pub(crate) async fn a_lone_send_is_not_delayed(db: &Database) {
    let f = fixture(db).await;
    let before = f.store.group_commit_stats();
    let started = Instant::now();
    let message = send(&f.store, f.conversation, f.alice, "alone").await;
    let took = started.elapsed();
    assert_eq!(message.seq, 1);
    let after = f.store.group_commit_stats();
    assert_eq!(
        (after.batches - before.batches, after.rows - before.rows),
        (1, 1)
    );
    assert!(took < Duration::from_secs(1), "took {took:?}");
}

fn options(test_db: &TestDb, group_commit: GroupCommitOptions) -> StoreOptions {
    StoreOptions {
        group_commit,
        ..test_db.options()
    }
}

/// With a window, sends arriving within it after the first join its batch; with group
/// commit off no batch is formed at all.
pub(crate) async fn a_window_gathers_sends_and_off_means_one_transaction_each(test_db: &TestDb) {
    let windowed = GroupCommitOptions {
        window: Duration::from_millis(400),
        ..GroupCommitOptions::default()
    };
    let db = connect(test_db.url(), &options(test_db, windowed))
        .await
        .unwrap();
    db.migrate().await.unwrap();
    let f = fixture(&db).await;
    let mut tasks = JoinSet::new();
    for n in 0..5u64 {
        let store = Arc::clone(&f.store);
        let (conversation, sender) = (f.conversation, f.alice);
        tasks.spawn(async move {
            tokio::time::sleep(Duration::from_millis(20 * n)).await;
            send(&store, conversation, sender, &format!("n {n}"))
                .await
                .seq
        });
    }
    let mut seqs = Vec::new();
    while let Some(done) = tasks.join_next().await {
        seqs.push(done.unwrap());
    }
    seqs.sort_unstable();
    assert_eq!(seqs, vec![1, 2, 3, 4, 5]);
    let stats = f.store.group_commit_stats();
    assert_eq!((stats.batches, stats.rows), (1, 5), "{stats:?}");
    let _ = db.close().await;

    let off = GroupCommitOptions {
        enabled: false,
        ..GroupCommitOptions::default()
    };
    let db = connect(test_db.url(), &options(test_db, off))
        .await
        .unwrap();
    let store = db.store();
    let mut retry = new_message(f.conversation, f.alice, "again");
    retry.client_msg_id = Some("off".to_owned());
    let first = created(store.insert_message(retry.clone()).await.unwrap());
    assert_eq!(first.seq, 6);
    retry.id = MessageId::new();
    match store.insert_message(retry).await.unwrap() {
        Inserted::Existing(message) => assert_eq!(message, first),
        Inserted::Created(message) => panic!("stored twice: {message:?}"),
    }
    assert_eq!(store.group_commit_stats(), Default::default());
    let _ = db.close().await;
}

/// With no connection to give, every send and access check waiting in a batch fails
/// `unavailable` within about one acquire timeout (not one timeout each, one after the other),
/// and the store serves again once connections come back. PostgreSQL: the backend with group
/// reads, and whose pool `connection()` is the one the writers use.
async fn an_exhausted_pool_fails_waiting_sends_and_checks_at_once(test_db: &TestDb) {
    let store_options = StoreOptions {
        max_connections: 2,
        acquire_timeout: Duration::from_millis(300),
        ..options(test_db, GroupCommitOptions::default())
    };
    let db = connect(test_db.url(), &store_options).await.unwrap();
    db.migrate().await.unwrap();
    let f = fixture(&db).await;
    let held = (
        db.connection().begin().await.unwrap(),
        db.connection().begin().await.unwrap(),
    );
    let started = Instant::now();
    let sends = (0..20).map(|n| {
        let store = Arc::clone(&f.store);
        let new = new_message(f.conversation, f.alice, &format!("n {n}"));
        async move { store.insert_message(new).await }
    });
    let checks = (0..20).map(|_| {
        let store = Arc::clone(&f.store);
        let (conversation, user) = (f.conversation, f.alice);
        async move { store.access(conversation, user).await }
    });
    let (sent, checked) = tokio::join!(
        futures::future::join_all(sends),
        futures::future::join_all(checks)
    );
    let took = started.elapsed();
    for outcome in &sent {
        assert!(matches!(outcome, Err(Error::Unavailable(_))), "{outcome:?}");
    }
    for outcome in &checked {
        assert!(matches!(outcome, Err(Error::Unavailable(_))), "{outcome:?}");
    }
    // One by one, 20 waits of 300 ms each would take 6 s per kind.
    assert!(took < Duration::from_secs(3), "took {took:?}");
    assert!(
        f.store.group_read_stats().batches == 0,
        "no batch read succeeded"
    );
    drop(held);
    let message = send(&f.store, f.conversation, f.alice, "after").await;
    assert_eq!(message.seq, 1);
    assert!(
        f.store
            .access(f.conversation, f.alice)
            .await
            .unwrap()
            .is_some()
    );
    let _ = db.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn on_postgres_an_exhausted_pool_fails_waiting_sends_and_checks_at_once() {
    crate::support::with_postgres(an_exhausted_pool_fails_waiting_sends_and_checks_at_once).await;
}
