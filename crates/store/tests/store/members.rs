//! Project membership: granting, checking, listing, and removal together with the user's
//! part in the project's conversations.

use confab_domain::ids::{ConversationId, UserId};
use confab_domain::model::{ParticipantRole, Project, ProjectRole};
use confab_domain::ports::{ConversationRepository, MemberRule, NewParticipant, ProjectRepository};
use confab_store::Database;
use confab_store::entity::user;
use sea_orm::EntityTrait;

use crate::support::{at, conversation, fixture, now};

fn participants(owner: UserId, members: &[UserId]) -> Vec<NewParticipant> {
    let mut list = vec![NewParticipant {
        user_id: owner,
        role: ParticipantRole::Owner,
    }];
    list.extend(members.iter().map(|&user_id| NewParticipant {
        user_id,
        role: ParticipantRole::Member,
    }));
    list
}

pub(crate) async fn a_project_is_created_with_its_members_who_see_it_in_their_list(db: &Database) {
    let f = fixture(db).await;
    let project = Project {
        id: confab_domain::ids::ProjectId::new(),
        name: "Gemini".into(),
        created_by: Some(f.alice),
        created_at: at(0),
    };
    let dave = UserId::new();
    f.store
        .create_project(&project, &[f.bob, dave, f.bob])
        .await
        .unwrap();
    let members = f.store.list_members(project.id).await.unwrap();
    let mut ids: Vec<UserId> = members.iter().map(|m| m.user_id).collect();
    ids.sort();
    let mut expected = vec![f.bob, dave];
    expected.sort();
    assert_eq!(ids, expected);
    assert!(members.iter().all(|m| m.role == ProjectRole::Member));
    assert!(members.iter().all(|m| m.added_at == at(0)));
    let bobs: Vec<_> = f.store.projects_of(f.bob).await.unwrap();
    assert_eq!(bobs.len(), 2, "the fixture's project and this one");
    assert_eq!(bobs[0].id, f.project, "newest first");
    assert_eq!(f.store.projects_of(dave).await.unwrap()[0].id, project.id);
    let row = user::Entity::find_by_id(dave.as_uuid())
        .one(db.connection())
        .await
        .unwrap();
    assert!(row.is_some(), "a user row for an id not seen yet");
    assert!(f.store.projects_of(f.carol).await.unwrap().is_empty());
}

pub(crate) async fn a_members_only_conversation_refuses_non_members_and_stores_nothing(
    db: &Database,
) {
    let f = fixture(db).await;
    let stranger = UserId::new();
    for outsider in [f.carol, stranger] {
        let c = conversation(f.project, f.alice, now());
        let err = f
            .store
            .create_conversation(
                &c,
                &participants(f.alice, &[f.bob, outsider]),
                MemberRule::Require,
            )
            .await
            .unwrap_err();
        assert_eq!(err.code(), "not_a_project_member", "{err:?}");
        assert!(err.to_string().contains(&outsider.to_string()), "{err}");
        assert!(f.store.access(c.id, f.alice).await.unwrap().is_none());
    }
    let row = user::Entity::find_by_id(stranger.as_uuid())
        .one(db.connection())
        .await
        .unwrap();
    assert!(row.is_none(), "no placeholder user for an arbitrary id");

    let c = conversation(f.project, f.alice, now());
    f.store
        .create_conversation(&c, &participants(f.alice, &[f.bob]), MemberRule::Require)
        .await
        .unwrap();
    let access = f.store.access(c.id, f.bob).await.unwrap().unwrap();
    assert!(access.participant.is_some());
}

pub(crate) async fn adding_members_is_idempotent_and_an_explicit_role_is_applied(db: &Database) {
    let f = fixture(db).await;
    let role = |user| {
        let store = f.store.clone();
        async move { store.project_role(f.project, user).await.unwrap() }
    };
    assert_eq!(role(f.carol).await, None);
    f.store
        .add_members(f.project, &[f.carol], None, at(1))
        .await
        .unwrap();
    f.store
        .add_members(f.project, &[f.carol], None, at(2))
        .await
        .unwrap();
    assert_eq!(role(f.carol).await, Some(ProjectRole::Member));
    f.store
        .add_members(
            f.project,
            &[f.carol, f.bob],
            Some(ProjectRole::Owner),
            at(3),
        )
        .await
        .unwrap();
    assert_eq!(role(f.bob).await, Some(ProjectRole::Owner));
    f.store
        .add_members(f.project, &[f.bob], None, at(4))
        .await
        .unwrap();
    assert_eq!(
        role(f.bob).await,
        Some(ProjectRole::Owner),
        "kept without a role"
    );
    let carol = f
        .store
        .list_members(f.project)
        .await
        .unwrap()
        .into_iter()
        .find(|m| m.user_id == f.carol)
        .unwrap();
    assert_eq!(carol.added_at, at(1), "added once");
}

pub(crate) async fn an_admin_added_participant_becomes_a_member(db: &Database) {
    let f = fixture(db).await;
    let dave = UserId::new();
    f.store
        .add_participant(f.conversation, dave, ParticipantRole::Member, now())
        .await
        .unwrap();
    assert_eq!(
        f.store.project_role(f.project, dave).await.unwrap(),
        Some(ProjectRole::Member)
    );
}

pub(crate) async fn removing_a_member_ends_their_part_in_every_conversation_of_the_project(
    db: &Database,
) {
    let f = fixture(db).await;
    let second = conversation(f.project, f.alice, now());
    f.store
        .create_conversation(
            &second,
            &participants(f.alice, &[f.bob]),
            MemberRule::Require,
        )
        .await
        .unwrap();
    let elsewhere = crate::support::create_project(&f.store, f.alice).await;
    let other = crate::support::create_conversation(
        &f.store,
        elsewhere,
        f.alice,
        &[
            (f.alice, ParticipantRole::Owner),
            (f.bob, ParticipantRole::Member),
        ],
        now(),
    )
    .await;

    let mut left = f
        .store
        .remove_member(f.project, f.bob, now())
        .await
        .unwrap()
        .unwrap();
    left.sort();
    let mut expected: Vec<ConversationId> = vec![f.conversation, second.id];
    expected.sort();
    assert_eq!(left, expected);
    assert_eq!(f.store.project_role(f.project, f.bob).await.unwrap(), None);
    for id in [f.conversation, second.id] {
        let access = f.store.access(id, f.bob).await.unwrap().unwrap();
        assert!(access.participant.is_none());
    }
    assert_eq!(
        f.store.conversations_of(f.bob).await.unwrap(),
        vec![other],
        "other projects are untouched"
    );
    assert!(
        f.store
            .remove_member(f.project, f.bob, now())
            .await
            .unwrap()
            .is_none()
    );
}
