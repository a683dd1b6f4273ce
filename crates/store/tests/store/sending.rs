//! The send path: gapless seq, exact round trips, idempotent retries.

use confab_domain::Error;
use confab_domain::ids::ConversationId;
use confab_domain::model::MessageKind;
use confab_domain::ports::{Inserted, MessageRepository};
use confab_store::Database;

use crate::support::{all_messages, created, fixture, last_seq, new_message, send};

pub(crate) async fn insert_assigns_seq_one_to_n(db: &Database) {
    let f = fixture(db).await;
    for n in 1..=5 {
        let sender = if n % 2 == 0 { f.bob } else { f.alice };
        let message = send(&f.store, f.conversation, sender, &format!("message {n}")).await;
        assert_eq!(message.seq, n);
    }
    assert_eq!(last_seq(&f.store, f.conversation, f.alice).await, 5);
    let seqs: Vec<i64> = all_messages(&f.store, f.conversation)
        .await
        .iter()
        .map(|m| m.seq)
        .collect();
    assert_eq!(seqs, vec![1, 2, 3, 4, 5]);
}

pub(crate) async fn a_stored_message_reads_back_exactly(db: &Database) {
    let f = fixture(db).await;
    let mut new = new_message(f.conversation, f.alice, "exactly this, with ünïcödé 🎉");
    new.kind = MessageKind::System;
    new.metadata = serde_json::json!({"pinned": true, "n": 3});
    new.client_msg_id = Some("c-1".to_owned());
    let stored = created(f.store.insert_message(new.clone()).await.unwrap());

    let read = f.store.get_message(new.id).await.unwrap().unwrap();
    assert_eq!(read, stored);
    assert_eq!(read.created_at, new.created_at);
    assert_eq!(read.metadata, new.metadata);
    assert_eq!(read.kind, MessageKind::System);
    assert_eq!(read.client_msg_id.as_deref(), Some("c-1"));
    assert!(read.files.is_empty());
    assert!(
        f.store
            .get_message(confab_domain::ids::MessageId::new())
            .await
            .unwrap()
            .is_none()
    );
}

pub(crate) async fn a_retry_with_the_same_client_msg_id_returns_the_stored_message_and_consumes_no_seq(
    db: &Database,
) {
    let f = fixture(db).await;
    let mut first = new_message(f.conversation, f.alice, "hello");
    first.client_msg_id = Some("retry-me".to_owned());
    let stored = created(f.store.insert_message(first.clone()).await.unwrap());

    let mut retry = new_message(f.conversation, f.alice, "hello");
    retry.client_msg_id = Some("retry-me".to_owned());
    match f.store.insert_message(retry).await.unwrap() {
        Inserted::Existing(existing) => assert_eq!(existing, stored),
        Inserted::Created(message) => panic!("stored twice: {message:?}"),
    }
    assert_eq!(last_seq(&f.store, f.conversation, f.alice).await, 1);

    let next = send(&f.store, f.conversation, f.alice, "next").await;
    assert_eq!(next.seq, 2);
}

pub(crate) async fn the_same_client_msg_id_from_another_sender_is_another_message(db: &Database) {
    let f = fixture(db).await;
    for (sender, seq) in [(f.alice, 1), (f.bob, 2)] {
        let mut new = new_message(f.conversation, sender, "same id");
        new.client_msg_id = Some("shared".to_owned());
        let message = created(f.store.insert_message(new).await.unwrap());
        assert_eq!(message.seq, seq);
    }
}

pub(crate) async fn sending_to_an_unknown_conversation_is_not_found(db: &Database) {
    let f = fixture(db).await;
    let new = new_message(ConversationId::new(), f.alice, "into the void");
    let err = f.store.insert_message(new).await.unwrap_err();
    assert!(matches!(err, Error::NotFound("conversation")), "{err:?}");
}
