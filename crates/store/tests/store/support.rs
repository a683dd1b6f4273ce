//! Test harness: runs a scenario on a fresh database of each backend, and fixtures every
//! scenario starts from.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use confab_domain::ids::{ConversationId, FileId, MessageId, ProjectId, UserId};
use confab_domain::model::{
    Conversation, ConversationStatus, ConversationType, Message, MessageKind, ParticipantRole,
    Project, User,
};
use confab_domain::ports::{
    ConversationRepository, Inserted, MemberRule, MessageRepository, NewMessage, NewParticipant,
    ProjectRepository, UserRepository,
};
use confab_domain::time::{Timestamp, truncate_micros};
use confab_store::entity::message_file;
use confab_store::testing::{TestDb, fresh_postgres, fresh_sqlite};
use confab_store::{Database, SqlStore};
use sea_orm::ActiveValue::Set;
use sea_orm::EntityTrait;

/// Runs `scenario` on a migrated PostgreSQL database, then drops the database.
pub(crate) async fn on_postgres(scenario: impl AsyncFnOnce(&Database)) {
    on(fresh_postgres().await, true, scenario).await;
}

pub(crate) async fn on_sqlite(scenario: impl AsyncFnOnce(&Database)) {
    on(fresh_sqlite(), true, scenario).await;
}

/// Runs `scenario` on an empty (not migrated) database.
pub(crate) async fn on_empty_postgres(scenario: impl AsyncFnOnce(&Database)) {
    on(fresh_postgres().await, false, scenario).await;
}

pub(crate) async fn on_empty_sqlite(scenario: impl AsyncFnOnce(&Database)) {
    on(fresh_sqlite(), false, scenario).await;
}

/// Runs `scenario` with the test database itself, for scenarios that open several pools
/// (as several nodes would).
pub(crate) async fn with_postgres(scenario: impl AsyncFnOnce(&TestDb)) {
    let test_db = fresh_postgres().await;
    scenario(&test_db).await;
    test_db.cleanup().await;
}

pub(crate) async fn with_sqlite(scenario: impl AsyncFnOnce(&TestDb)) {
    let test_db = fresh_sqlite();
    scenario(&test_db).await;
    test_db.cleanup().await;
}

async fn on(test_db: TestDb, migrated: bool, scenario: impl AsyncFnOnce(&Database)) {
    let db = if migrated {
        test_db.database().await
    } else {
        test_db.connect().await
    };
    scenario(&db).await;
    let _ = db.close().await;
    test_db.cleanup().await;
}

/// Now, at the microsecond precision both databases keep.
pub(crate) fn now() -> Timestamp {
    truncate_micros(Utc::now())
}

/// A fixed instant plus `seconds`, for tests that order by time.
pub(crate) fn at(seconds: i64) -> Timestamp {
    let base = DateTime::parse_from_rfc3339("2026-11-24T10:00:00.123456Z")
        .map(|t| t.to_utc())
        .unwrap_or_else(|_| Utc::now());
    truncate_micros(base + Duration::seconds(seconds))
}

/// A project with one conversation: alice (owner) and bob (member) take part; carol is a
/// known user outside it.
pub(crate) struct Fixture {
    pub store: Arc<SqlStore>,
    pub project: ProjectId,
    pub conversation: ConversationId,
    pub alice: UserId,
    pub bob: UserId,
    pub carol: UserId,
}

pub(crate) async fn fixture(db: &Database) -> Fixture {
    let store = db.store();
    let (alice, bob, carol) = (UserId::new(), UserId::new(), UserId::new());
    for (id, name) in [(alice, "Alice"), (bob, "Bob"), (carol, "Carol")] {
        let user = User {
            id,
            email: Some(format!("{}@example.com", name.to_lowercase())),
            name: Some(name.to_owned()),
        };
        store.upsert_user(&user, now()).await.unwrap();
    }
    let project = create_project(&store, alice).await;
    let conversation = create_conversation(
        &store,
        project,
        alice,
        &[
            (alice, ParticipantRole::Owner),
            (bob, ParticipantRole::Member),
        ],
        now(),
    )
    .await;
    Fixture {
        store,
        project,
        conversation,
        alice,
        bob,
        carol,
    }
}

impl Fixture {
    /// Another conversation in the fixture's project with Alice alone, as its owner.
    pub(crate) async fn alices_own_conversation(&self) -> ConversationId {
        create_conversation(
            &self.store,
            self.project,
            self.alice,
            &[(self.alice, ParticipantRole::Owner)],
            now(),
        )
        .await
    }
}

/// The single row `statement` returns; panics if it fails or returns none.
pub(crate) async fn one_row(db: &Database, statement: sea_orm::Statement) -> sea_orm::QueryResult {
    use sea_orm::ConnectionTrait;
    db.connection()
        .query_one_raw(statement)
        .await
        .unwrap()
        .expect("the query returns a row")
}

pub(crate) async fn create_project(store: &SqlStore, creator: UserId) -> ProjectId {
    let project = Project {
        id: ProjectId::new(),
        name: "Apollo".to_owned(),
        created_by: Some(creator),
        created_at: now(),
    };
    store.create_project(&project, &[]).await.unwrap();
    project.id
}

/// A conversation as an admin creates it: its participants become project members.
pub(crate) async fn create_conversation(
    store: &SqlStore,
    project: ProjectId,
    creator: UserId,
    participants: &[(UserId, ParticipantRole)],
    created_at: Timestamp,
) -> ConversationId {
    let conversation = conversation(project, creator, created_at);
    let participants: Vec<NewParticipant> = participants
        .iter()
        .map(|&(user_id, role)| NewParticipant { user_id, role })
        .collect();
    store
        .create_conversation(&conversation, &participants, MemberRule::Grant)
        .await
        .unwrap();
    conversation.id
}

pub(crate) fn conversation(
    project: ProjectId,
    creator: UserId,
    created_at: Timestamp,
) -> Conversation {
    Conversation {
        id: ConversationId::new(),
        project_id: project,
        title: Some("Launch".to_owned()),
        kind: ConversationType::Project,
        status: ConversationStatus::Active,
        created_by: Some(creator),
        last_seq: 0,
        created_at,
        updated_at: created_at,
    }
}

pub(crate) fn new_message(
    conversation: ConversationId,
    sender: UserId,
    content: &str,
) -> NewMessage {
    NewMessage {
        id: MessageId::new(),
        conversation_id: conversation,
        sender_id: sender,
        content: content.to_owned(),
        kind: MessageKind::Text,
        metadata: serde_json::json!({}),
        file_ids: Vec::new(),
        client_msg_id: None,
        created_at: now(),
    }
}

/// Sends and expects a new message.
pub(crate) async fn send(
    store: &SqlStore,
    conversation: ConversationId,
    sender: UserId,
    content: &str,
) -> Message {
    created(
        store
            .insert_message(new_message(conversation, sender, content))
            .await
            .unwrap(),
    )
}

pub(crate) fn created(inserted: Inserted) -> Message {
    match inserted {
        Inserted::Created(message) => message,
        Inserted::Existing(message) => panic!("expected a new message, got {message:?}"),
    }
}

/// Records an upload by inserting its `message_files` row directly.
pub(crate) async fn upload(
    db: &Database,
    conversation: ConversationId,
    uploader: UserId,
) -> FileId {
    let id = FileId::new();
    let row = message_file::ActiveModel {
        id: Set(id.as_uuid()),
        message_id: Set(None),
        conversation_id: Set(conversation.as_uuid()),
        uploader_id: Set(uploader.as_uuid()),
        file_name: Set("plan.pdf".to_owned()),
        file_size: Set(1234),
        file_type: Set("application/pdf".to_owned()),
        file_url: Set(format!("/api/files/{id}")),
        storage_path: Set(format!("uploads/{id}")),
        created_at: Set(now()),
    };
    message_file::Entity::insert(row)
        .exec_without_returning(db.connection())
        .await
        .unwrap();
    id
}

/// The conversation's `last_seq`, as `access` reads it.
pub(crate) async fn last_seq(
    store: &SqlStore,
    conversation: ConversationId,
    viewer: UserId,
) -> i64 {
    store
        .access(conversation, viewer)
        .await
        .unwrap()
        .unwrap()
        .conversation
        .last_seq
}

/// Every message of the conversation, oldest first.
pub(crate) async fn all_messages(store: &SqlStore, conversation: ConversationId) -> Vec<Message> {
    store
        .messages_after(conversation, 0, 10_000)
        .await
        .unwrap()
        .messages
}
