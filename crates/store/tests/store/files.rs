//! Attaching uploads to messages: only the sender's own, unattached uploads in the same
//! conversation; otherwise the send fails and leaves no trace.

use confab_domain::Error;
use confab_domain::files::{FileRepository, StoredFile};
use confab_domain::ids::{ConversationId, FileId, UserId};
use confab_domain::ports::MessageRepository;
use confab_store::Database;
use confab_store::entity::message_file;
use sea_orm::EntityTrait;

use crate::support::{
    all_messages, at, created, fixture, last_seq, new_message, now, send, upload,
};

async fn attached_to(db: &Database, file: FileId) -> Option<uuid::Uuid> {
    message_file::Entity::find_by_id(file.as_uuid())
        .one(db.connection())
        .await
        .unwrap()
        .unwrap()
        .message_id
}

pub(crate) async fn files_attach_when_they_are_the_senders_unattached_uploads_in_the_conversation(
    db: &Database,
) {
    let f = fixture(db).await;
    let first = upload(db, f.conversation, f.alice).await;
    let second = upload(db, f.conversation, f.alice).await;
    let mut new = new_message(f.conversation, f.alice, "the plans");
    new.file_ids = vec![first, second, first];
    let message = created(f.store.insert_message(new).await.unwrap());

    let ids: Vec<FileId> = message.files.iter().map(|file| file.id).collect();
    assert_eq!(ids, vec![first, second]);
    assert_eq!(message.files[0].file_url, format!("/api/files/{first}"));
    assert_eq!(message.files[0].file_name, "plan.pdf");
    assert_eq!(message.files[0].file_size, 1234);
    assert_eq!(message.files[0].file_type, "application/pdf");
    assert_eq!(attached_to(db, first).await, Some(message.id.as_uuid()));

    let read = f.store.get_message(message.id).await.unwrap().unwrap();
    assert_eq!(read.files, message.files);
    let page = f
        .store
        .list_messages(f.conversation, None, 10)
        .await
        .unwrap();
    assert_eq!(page.messages[0].files, message.files);
}

/// Sends `file` as `sender` and expects a validation error that consumed nothing.
async fn rejected(db: &Database, conversation: ConversationId, sender: UserId, files: Vec<FileId>) {
    let store = db.store();
    let before = last_seq(&store, conversation, sender).await;
    let mut new = new_message(conversation, sender, "with a file");
    new.file_ids = files.clone();
    let err = store.insert_message(new.clone()).await.unwrap_err();
    match err {
        Error::Validation { message, .. } => assert!(message.starts_with("fileIds"), "{message}"),
        other => panic!("expected a validation error, got {other:?}"),
    }
    assert_eq!(last_seq(&store, conversation, sender).await, before);
    assert!(store.get_message(new.id).await.unwrap().is_none());
}

pub(crate) async fn an_upload_that_is_not_the_senders_to_attach_fails_validation_and_stores_nothing(
    db: &Database,
) {
    let f = fixture(db).await;
    let other = f.alices_own_conversation().await;
    let bobs = upload(db, f.conversation, f.bob).await;
    let elsewhere = upload(db, other, f.alice).await;
    let mine = upload(db, f.conversation, f.alice).await;
    let taken = upload(db, f.conversation, f.alice).await;
    let mut first = new_message(f.conversation, f.alice, "takes the file");
    first.file_ids = vec![taken];
    created(f.store.insert_message(first).await.unwrap());

    rejected(db, f.conversation, f.alice, vec![bobs]).await;
    rejected(db, f.conversation, f.alice, vec![elsewhere]).await;
    rejected(db, f.conversation, f.alice, vec![taken]).await;
    rejected(db, f.conversation, f.alice, vec![FileId::new()]).await;
    rejected(db, f.conversation, f.alice, vec![mine, bobs]).await;
    assert_eq!(
        attached_to(db, mine).await,
        None,
        "rolled back with the send"
    );
    assert_eq!(attached_to(db, bobs).await, None);

    let next = send(&f.store, f.conversation, f.alice, "no gap").await;
    assert_eq!(next.seq, 2);
    assert_eq!(all_messages(&f.store, f.conversation).await.len(), 2);
}

pub(crate) async fn uploads_are_recorded_and_found_through_the_store(db: &Database) {
    let f = fixture(db).await;
    let upload = stored_file(f.conversation, f.bob, now());
    f.store.record_upload(&upload).await.unwrap();
    let found = f.store.get_file(upload.id).await.unwrap().unwrap();
    assert_eq!(found, upload);
    assert_eq!(found.message_id, None);
    assert!(f.store.get_file(FileId::new()).await.unwrap().is_none());

    let mut new = new_message(f.conversation, f.bob, "photo");
    new.file_ids = vec![upload.id];
    let message = created(f.store.insert_message(new).await.unwrap());
    let found = f.store.get_file(upload.id).await.unwrap().unwrap();
    assert_eq!(found.message_id, Some(message.id));
}

fn stored_file(
    conversation: ConversationId,
    uploader: UserId,
    created_at: confab_domain::time::Timestamp,
) -> StoredFile {
    let id = FileId::new();
    StoredFile {
        id,
        message_id: None,
        conversation_id: conversation,
        uploader_id: uploader,
        file_name: "notes.txt".to_owned(),
        file_size: 12,
        file_type: "text/plain".to_owned(),
        file_url: format!("/api/files/{id}"),
        storage_path: format!("{conversation}/{id}"),
        created_at,
    }
}

pub(crate) async fn the_file_port_records_finds_lists_expired_and_deletes_only_unattached_uploads(
    db: &Database,
) {
    let f = fixture(db).await;
    let old = stored_file(f.conversation, f.alice, at(0));
    let older_attached = stored_file(f.conversation, f.alice, at(-10));
    let recent = stored_file(f.conversation, f.bob, at(100));
    for file in [&old, &older_attached, &recent] {
        f.store.record_upload(file).await.unwrap();
    }
    assert_eq!(f.store.get_file(old.id).await.unwrap().as_ref(), Some(&old));
    assert!(f.store.get_file(FileId::new()).await.unwrap().is_none());

    let mut new = new_message(f.conversation, f.alice, "attached");
    new.file_ids = vec![older_attached.id];
    let message = created(f.store.insert_message(new).await.unwrap());
    let attached = f.store.get_file(older_attached.id).await.unwrap().unwrap();
    assert_eq!(attached.message_id, Some(message.id));

    let expired = f.store.unattached_before(at(50), 10).await.unwrap();
    assert_eq!(expired, vec![old.clone()]);
    let all = f.store.unattached_before(at(200), 10).await.unwrap();
    assert_eq!(
        all.iter().map(|f| f.id).collect::<Vec<_>>(),
        vec![old.id, recent.id]
    );
    assert_eq!(
        f.store.unattached_before(at(200), 1).await.unwrap().len(),
        1
    );

    assert!(!f.store.delete_upload(older_attached.id).await.unwrap());
    assert!(f.store.get_file(older_attached.id).await.unwrap().is_some());
    assert!(f.store.delete_upload(old.id).await.unwrap());
    assert!(!f.store.delete_upload(old.id).await.unwrap());
    assert!(f.store.get_file(old.id).await.unwrap().is_none());
}
