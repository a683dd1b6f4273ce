//! Edits (with history) and soft deletes.

use confab_domain::Error;
use confab_domain::ids::MessageId;
use confab_domain::ports::MessageRepository;
use confab_store::Database;
use confab_store::entity::message_edit;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

use crate::support::{at, fixture, send};

pub(crate) async fn editing_keeps_the_previous_content_in_the_history(db: &Database) {
    let f = fixture(db).await;
    let original = send(&f.store, f.conversation, f.alice, "first draft").await;
    f.store
        .edit_message(original.id, f.alice, "second draft", at(1))
        .await
        .unwrap();
    let edited = f
        .store
        .edit_message(original.id, f.alice, "final", at(2))
        .await
        .unwrap();
    assert_eq!(edited.content, "final");
    assert_eq!(edited.edited_at, Some(at(2)));
    assert_eq!(edited.seq, original.seq);
    assert_eq!(edited.created_at, original.created_at);

    let history = message_edit::Entity::find()
        .filter(message_edit::Column::MessageId.eq(original.id.as_uuid()))
        .order_by_asc(message_edit::Column::EditedAt)
        .all(db.connection())
        .await
        .unwrap();
    let previous: Vec<&str> = history
        .iter()
        .map(|e| e.previous_content.as_str())
        .collect();
    assert_eq!(previous, vec!["first draft", "second draft"]);
    assert!(history.iter().all(|e| e.editor_id == f.alice.as_uuid()));
    assert_eq!(history[1].edited_at, at(2));
    let read = f.store.get_message(original.id).await.unwrap().unwrap();
    assert_eq!(read, edited);
}

pub(crate) async fn deleting_records_who_and_why_and_a_second_delete_changes_nothing(
    db: &Database,
) {
    let f = fixture(db).await;
    let message = send(&f.store, f.conversation, f.bob, "regrettable").await;
    let deleted = f
        .store
        .delete_message(message.id, f.alice, Some("spam"), at(5))
        .await
        .unwrap();
    assert_eq!(deleted.deleted_at, Some(at(5)));
    assert_eq!(
        deleted.content, "regrettable",
        "the store keeps content; the domain redacts"
    );

    let again = f
        .store
        .delete_message(message.id, f.bob, None, at(9))
        .await
        .unwrap();
    assert_eq!(again.deleted_at, Some(at(5)));

    let row = confab_store::entity::message::Entity::find_by_id(message.id.as_uuid())
        .one(db.connection())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.deleted_by, Some(f.alice.as_uuid()));
    assert_eq!(row.delete_reason.as_deref(), Some("spam"));
}

pub(crate) async fn editing_or_deleting_an_unknown_message_is_not_found(db: &Database) {
    let f = fixture(db).await;
    let missing = MessageId::new();
    let err = f
        .store
        .edit_message(missing, f.alice, "x", at(0))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::NotFound("message")), "{err:?}");
    let err = f
        .store
        .delete_message(missing, f.alice, None, at(0))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::NotFound("message")), "{err:?}");
}
