//! Conversations, participants, users and projects.

use confab_domain::ids::{ConversationId, UserId};
use confab_domain::model::{ConversationStatus, ParticipantRole, User};
use confab_domain::ports::{
    ConversationRepository, MessageRepository, ProjectRepository, UserRepository,
};
use confab_store::Database;
use confab_store::entity::user;
use sea_orm::EntityTrait;

use crate::support::{at, create_conversation, create_project, fixture, new_message, now, send};

async fn user_row(db: &Database, id: UserId) -> Option<user::Model> {
    user::Entity::find_by_id(id.as_uuid())
        .one(db.connection())
        .await
        .unwrap()
}

/// The admin path (`MemberRule::Grant`): unknown users get placeholder rows.
pub(crate) async fn an_admins_conversation_gives_unknown_participants_placeholder_users(
    db: &Database,
) {
    let f = fixture(db).await;
    let (dave, eve) = (UserId::new(), UserId::new());
    let conversation = create_conversation(
        &f.store,
        f.project,
        f.alice,
        &[
            (f.alice, ParticipantRole::Owner),
            (dave, ParticipantRole::Member),
        ],
        now(),
    )
    .await;
    let placeholder = user_row(db, dave).await.expect("a placeholder row");
    assert_eq!((placeholder.email, placeholder.name), (None, None));

    f.store
        .add_participant(conversation, eve, ParticipantRole::Admin, now())
        .await
        .unwrap();
    assert!(user_row(db, eve).await.is_some());
    let participants = f.store.list_participants(conversation).await.unwrap();
    let ids: Vec<UserId> = participants.iter().map(|p| p.user_id).collect();
    assert_eq!(ids.len(), 3);
    assert!(ids.contains(&dave) && ids.contains(&eve) && ids.contains(&f.alice));

    let claims = User {
        id: dave,
        email: Some("dave@example.com".into()),
        name: Some("Dave".into()),
    };
    f.store.upsert_user(&claims, now()).await.unwrap();
    let filled = user_row(db, dave).await.unwrap();
    assert_eq!(filled.name.as_deref(), Some("Dave"));
}

pub(crate) async fn a_removed_participant_can_be_added_again_with_a_new_role(db: &Database) {
    let f = fixture(db).await;
    let message = send(&f.store, f.conversation, f.alice, "read me").await;
    f.store.mark_read(&message, f.bob, now()).await.unwrap();

    assert!(
        f.store
            .remove_participant(f.conversation, f.bob, at(1))
            .await
            .unwrap()
    );
    assert!(
        !f.store
            .remove_participant(f.conversation, f.bob, at(2))
            .await
            .unwrap()
    );
    assert!(f.store.conversations_of(f.bob).await.unwrap().is_empty());
    let ids: Vec<UserId> = f
        .store
        .list_participants(f.conversation)
        .await
        .unwrap()
        .iter()
        .map(|p| p.user_id)
        .collect();
    assert_eq!(ids, vec![f.alice]);

    let back = f
        .store
        .add_participant(f.conversation, f.bob, ParticipantRole::Admin, at(3))
        .await
        .unwrap();
    assert_eq!(back.role, ParticipantRole::Admin);
    assert_eq!(back.joined_at, at(3));
    assert_eq!(back.last_read_seq, 1, "the read marker survives");
    assert_eq!(
        f.store.conversations_of(f.bob).await.unwrap(),
        vec![f.conversation]
    );

    let again = f
        .store
        .add_participant(f.conversation, f.bob, ParticipantRole::Member, at(4))
        .await
        .unwrap();
    assert_eq!(again.role, ParticipantRole::Member);
    assert_eq!(
        again.joined_at,
        at(3),
        "an active participant keeps joined_at"
    );
}

pub(crate) async fn listing_shows_the_viewers_conversations_newest_activity_first(db: &Database) {
    let f = fixture(db).await;
    let project = create_project(&f.store, f.alice).await;
    let both = [
        (f.alice, ParticipantRole::Owner),
        (f.bob, ParticipantRole::Member),
    ];
    let older = create_conversation(&f.store, project, f.alice, &both, at(0)).await;
    let newer = create_conversation(&f.store, project, f.alice, &both, at(1)).await;
    let bobs = create_conversation(
        &f.store,
        project,
        f.bob,
        &[(f.bob, ParticipantRole::Owner)],
        at(2),
    )
    .await;

    let listed: Vec<ConversationId> = list_ids(&f.store, project, f.alice, false).await;
    assert_eq!(listed, vec![newer, older]);

    let mut new = new_message(older, f.bob, "wake up");
    new.created_at = at(10);
    let last = crate::support::created(f.store.insert_message(new).await.unwrap());
    let list = f
        .store
        .list_conversations(project, f.alice, false)
        .await
        .unwrap();
    let listed: Vec<ConversationId> = list.iter().map(|s| s.conversation.id).collect();
    assert_eq!(
        listed,
        vec![older, newer],
        "activity moves a conversation up"
    );
    assert_eq!(list[0].last_message.as_ref(), Some(&last));
    assert_eq!(list[0].conversation.last_seq, 1);
    assert_eq!(list[0].conversation.updated_at, at(10));
    assert_eq!(list[0].participants, 2);
    assert_eq!(list[0].unread_count, 1);
    assert_eq!(list[1].last_message, None);
    assert!(
        !list_ids(&f.store, project, f.alice, false)
            .await
            .contains(&bobs)
    );
}

async fn list_ids(
    store: &confab_store::SqlStore,
    project: confab_domain::ids::ProjectId,
    viewer: UserId,
    all: bool,
) -> Vec<ConversationId> {
    store
        .list_conversations(project, viewer, all)
        .await
        .unwrap()
        .iter()
        .map(|s| s.conversation.id)
        .collect()
}

pub(crate) async fn admins_list_every_conversation_of_the_project(db: &Database) {
    let f = fixture(db).await;
    let second = create_conversation(
        &f.store,
        f.project,
        f.bob,
        &[(f.bob, ParticipantRole::Owner)],
        now(),
    )
    .await;
    send(&f.store, second, f.bob, "only bob is here").await;
    let all = f
        .store
        .list_conversations(f.project, f.carol, true)
        .await
        .unwrap();
    assert_eq!(all.len(), 2);
    assert!(all.iter().all(|s| s.unread_count == 0));
    assert!(
        f.store
            .list_conversations(f.project, f.carol, false)
            .await
            .unwrap()
            .is_empty()
    );
    let other = create_project(&f.store, f.alice).await;
    assert!(
        f.store
            .list_conversations(other, f.alice, true)
            .await
            .unwrap()
            .is_empty()
    );
}

pub(crate) async fn updating_changes_status_and_title_and_can_clear_the_title(db: &Database) {
    let f = fixture(db).await;
    let updated = f
        .store
        .update_conversation(
            f.conversation,
            Some(ConversationStatus::Archived),
            Some(Some("New".into())),
            at(5),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(updated.status, ConversationStatus::Archived);
    assert_eq!(updated.title.as_deref(), Some("New"));
    assert_eq!(updated.updated_at, at(5));

    let kept = f
        .store
        .update_conversation(f.conversation, None, None, at(6))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (kept.status, kept.title.as_deref()),
        (ConversationStatus::Archived, Some("New"))
    );

    let cleared = f
        .store
        .update_conversation(
            f.conversation,
            Some(ConversationStatus::Locked),
            Some(None),
            at(7),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (cleared.status, cleared.title.clone()),
        (ConversationStatus::Locked, None)
    );
    let read = f
        .store
        .access(f.conversation, f.alice)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(read.conversation, cleared);

    let missing = f
        .store
        .update_conversation(ConversationId::new(), None, None, at(8))
        .await
        .unwrap();
    assert!(missing.is_none());
}

pub(crate) async fn upserting_a_user_creates_then_refreshes_email_and_name(db: &Database) {
    let store = db.store();
    let id = UserId::new();
    let mut user = User {
        id,
        email: Some("old@example.com".into()),
        name: Some("Old".into()),
    };
    store.upsert_user(&user, at(1)).await.unwrap();
    user.email = Some("new@example.com".into());
    user.name = None;
    store.upsert_user(&user, at(2)).await.unwrap();
    let row = user_row(db, id).await.unwrap();
    assert_eq!(row.email.as_deref(), Some("new@example.com"));
    assert_eq!(row.name, None);
    assert_eq!((row.created_at, row.updated_at), (at(1), at(2)));
}

pub(crate) async fn projects_are_created_listed_and_found(db: &Database) {
    let f = fixture(db).await;
    let second = create_project(&f.store, f.bob).await;
    let projects = f.store.list_projects().await.unwrap();
    assert_eq!(projects.len(), 2);
    assert!(projects.iter().any(|p| p.id == f.project));
    assert!(
        projects
            .iter()
            .any(|p| p.id == second && p.created_by == Some(f.bob))
    );
    assert!(f.store.project_exists(second).await.unwrap());
    assert!(
        !f.store
            .project_exists(confab_domain::ids::ProjectId::new())
            .await
            .unwrap()
    );
}
