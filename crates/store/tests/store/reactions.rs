//! Reactions: concurrent read-modify-writes of the metadata JSON lose nothing.

use confab_domain::Error;
use confab_domain::ids::{MessageId, UserId};
use confab_domain::ports::MessageRepository;
use confab_store::Database;
use serde_json::json;
use tokio::task::JoinSet;

use crate::support::{fixture, send};

pub(crate) async fn concurrent_reactions_from_twenty_users_all_land(db: &Database) {
    let f = fixture(db).await;
    let message = send(&f.store, f.conversation, f.alice, "react to me").await;
    let users: Vec<UserId> = (0..20).map(|_| UserId::new()).collect();
    let mut tasks = JoinSet::new();
    for &user in &users {
        let store = db.store();
        tasks.spawn(async move {
            store
                .set_reaction(message.id, user, "👍", true, 50)
                .await
                .unwrap();
            store
                .set_reaction(message.id, user, "🎉", true, 50)
                .await
                .unwrap();
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.unwrap();
    }
    let read = f.store.get_message(message.id).await.unwrap().unwrap();
    for emoji in ["👍", "🎉"] {
        let mut reacted: Vec<String> = read.metadata["reactions"][emoji]
            .as_array()
            .unwrap()
            .iter()
            .map(|id| id.as_str().unwrap().to_owned())
            .collect();
        assert_eq!(reacted.len(), 20, "{emoji}: {reacted:?}");
        reacted.sort();
        reacted.dedup();
        assert_eq!(reacted.len(), 20, "{emoji}: duplicates");
    }
}

pub(crate) async fn reacting_twice_changes_nothing_and_removing_the_last_drops_the_emoji(
    db: &Database,
) {
    let f = fixture(db).await;
    let message = send(&f.store, f.conversation, f.alice, "hi").await;
    let (alice, bob) = (f.alice.to_string(), f.bob.to_string());

    let updated = f
        .store
        .set_reaction(message.id, f.bob, "👍", true, 50)
        .await
        .unwrap();
    assert_eq!(
        updated.unwrap().metadata,
        json!({"reactions": {"👍": [bob]}})
    );
    assert!(
        f.store
            .set_reaction(message.id, f.bob, "👍", true, 50)
            .await
            .unwrap()
            .is_none()
    );
    f.store
        .set_reaction(message.id, f.alice, "👍", true, 50)
        .await
        .unwrap();
    let read = f.store.get_message(message.id).await.unwrap().unwrap();
    assert_eq!(read.metadata, json!({"reactions": {"👍": [bob, alice]}}));

    f.store
        .set_reaction(message.id, f.bob, "👍", false, 50)
        .await
        .unwrap();
    let updated = f
        .store
        .set_reaction(message.id, f.alice, "👍", false, 50)
        .await
        .unwrap();
    assert_eq!(updated.unwrap().metadata, json!({"reactions": {}}));
    assert!(
        f.store
            .set_reaction(message.id, f.alice, "👍", false, 50)
            .await
            .unwrap()
            .is_none()
    );
}

pub(crate) async fn reacting_to_an_unknown_message_is_not_found(db: &Database) {
    let f = fixture(db).await;
    let err = f
        .store
        .set_reaction(MessageId::new(), f.alice, "👍", true, 50)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::NotFound("message")), "{err:?}");
}

/// Ten users race to add ten new emoji to a message that carries 48: exactly two land, the
/// rest are refused with `too_many_reactions`, and existing emoji still take reactions.
pub(crate) async fn racing_new_emoji_never_pass_the_distinct_cap(db: &Database) {
    let f = fixture(db).await;
    let message = send(&f.store, f.conversation, f.alice, "popular").await;
    for n in 0..48 {
        f.store
            .set_reaction(message.id, f.alice, &format!("e{n}"), true, 50)
            .await
            .unwrap();
    }
    let mut tasks = JoinSet::new();
    for n in 0..10 {
        let store = db.store();
        tasks.spawn(async move {
            store
                .set_reaction(message.id, UserId::new(), &format!("new{n}"), true, 50)
                .await
        });
    }
    let (mut landed, mut refused) = (0, 0);
    while let Some(done) = tasks.join_next().await {
        match done.unwrap() {
            Ok(Some(_)) => landed += 1,
            Err(err) => {
                assert_eq!(err.code(), "too_many_reactions", "{err:?}");
                refused += 1;
            }
            Ok(None) => panic!("a new emoji changed nothing"),
        }
    }
    assert_eq!((landed, refused), (2, 8));
    let read = f.store.get_message(message.id).await.unwrap().unwrap();
    assert_eq!(read.metadata["reactions"].as_object().unwrap().len(), 50);
    assert!(
        f.store
            .set_reaction(message.id, f.bob, "e0", true, 50)
            .await
            .unwrap()
            .is_some(),
        "an emoji the message carries takes more users"
    );
}
