//! Read markers and unread counts.

use confab_domain::ports::{ConversationRepository, MessageRepository};
use confab_domain::time::Timestamp;
use confab_store::Database;
use confab_store::entity::message_read_receipt;
use sea_orm::EntityTrait;

use crate::support::{Fixture, at, fixture, send};

/// Alice's read marker: `(last_read_seq, last_read_at)`.
async fn marker(f: &Fixture) -> (i64, Option<Timestamp>) {
    let participant = f
        .store
        .access(f.conversation, f.alice)
        .await
        .unwrap()
        .unwrap()
        .participant
        .unwrap();
    (participant.last_read_seq, participant.last_read_at)
}

pub(crate) async fn mark_read_moves_the_marker_forward_only(db: &Database) {
    let f = fixture(db).await;
    let mut messages = Vec::new();
    for n in 1..=5 {
        messages.push(send(&f.store, f.conversation, f.bob, &format!("m{n}")).await);
    }
    let receipt = f
        .store
        .mark_read(&messages[2], f.alice, at(1))
        .await
        .unwrap();
    assert_eq!(receipt.message_id, messages[2].id);
    assert_eq!(receipt.user_id, f.alice);
    assert_eq!(receipt.conversation_id, f.conversation);
    assert_eq!(receipt.read_at, at(1));
    assert_eq!(marker(&f).await, (3, Some(at(1))));

    f.store
        .mark_read(&messages[1], f.alice, at(2))
        .await
        .unwrap();
    assert_eq!(marker(&f).await, (3, Some(at(2))), "never back");

    f.store
        .mark_read(&messages[2], f.alice, at(3))
        .await
        .unwrap();
    let row =
        message_read_receipt::Entity::find_by_id((messages[2].id.as_uuid(), f.alice.as_uuid()))
            .one(db.connection())
            .await
            .unwrap()
            .unwrap();
    assert_eq!(row.read_at, at(3), "a second read refreshes the receipt");

    f.store
        .mark_read(&messages[4], f.alice, at(4))
        .await
        .unwrap();
    assert_eq!(marker(&f).await, (5, Some(at(4))));
}

pub(crate) async fn unread_counts_are_messages_from_others_after_the_marker_without_deleted_ones(
    db: &Database,
) {
    let f = fixture(db).await;
    let mut messages = Vec::new();
    for (n, sender) in [f.bob, f.bob, f.bob, f.bob, f.alice, f.bob]
        .into_iter()
        .enumerate()
    {
        messages.push(send(&f.store, f.conversation, sender, &format!("m{}", n + 1)).await);
    }
    f.store
        .mark_read(&messages[1], f.alice, at(1))
        .await
        .unwrap();
    f.store
        .delete_message(messages[3].id, f.bob, None, at(2))
        .await
        .unwrap();

    let unread = async |viewer, all| {
        let list = f
            .store
            .list_conversations(f.project, viewer, all)
            .await
            .unwrap();
        assert_eq!(list.len(), 1);
        list[0].unread_count
    };
    assert_eq!(unread(f.alice, false).await, 2, "seq 3 and 6");
    assert_eq!(unread(f.bob, false).await, 1, "alice's seq 5");
    assert_eq!(unread(f.carol, true).await, 0, "not a participant");
}
