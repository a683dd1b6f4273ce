//! Project membership as the use cases enforce it.

use super::*;

fn conversation_with(ids: &[UserId]) -> CreateConversationInput {
    CreateConversationInput {
        title: None,
        kind: None,
        participant_ids: ids.iter().map(ToString::to_string).collect(),
    }
}

fn admin() -> Identity {
    Identity {
        is_admin: true,
        ..Identity::user(UserId::new())
    }
}

#[tokio::test]
async fn a_non_member_can_neither_list_nor_create_conversations_in_the_project() {
    let w = world().await;
    let outsider = Identity::user(UserId::new());
    let err = w
        .services
        .list_conversations(&outsider, w.project)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "not_a_project_member");
    let err = w
        .services
        .create_conversation(&outsider, w.project, conversation_with(&[w.bob.user_id]))
        .await
        .unwrap_err();
    assert_eq!(err.code(), "not_a_project_member");
    let err = w
        .services
        .list_conversations(&outsider, ProjectId::new())
        .await
        .unwrap_err();
    assert_eq!(err.code(), "not_found", "an unknown project is not found");
}

#[tokio::test]
async fn a_member_may_not_add_a_stranger_to_a_conversation() {
    let w = world().await;
    let stranger = UserId::new();
    let err = w
        .services
        .create_conversation(
            &w.alice,
            w.project,
            conversation_with(&[w.bob.user_id, stranger]),
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), "not_a_project_member");
    assert_eq!(
        w.services.my_projects(&w.bob).await.unwrap().len(),
        1,
        "bob is in the one project"
    );
    let stranger = Identity::user(stranger);
    assert!(w.services.my_projects(&stranger).await.unwrap().is_empty());
}

#[tokio::test]
async fn an_admins_conversation_makes_its_participants_members() {
    let w = world().await;
    let newcomer = Identity::user(UserId::new());
    w.services
        .create_conversation(&admin(), w.project, conversation_with(&[newcomer.user_id]))
        .await
        .unwrap();
    let projects = w.services.my_projects(&newcomer).await.unwrap();
    assert_eq!(
        projects.iter().map(|p| p.id).collect::<Vec<_>>(),
        [w.project]
    );
    w.services
        .create_conversation(&newcomer, w.project, conversation_with(&[w.alice.user_id]))
        .await
        .unwrap();
}

#[tokio::test]
async fn removing_a_member_ends_their_part_in_the_projects_conversations() {
    let w = world().await;
    let admin = admin();
    w.services
        .remove_member(&admin, w.project, w.bob.user_id)
        .await
        .unwrap();
    assert!(matches!(
        w.events.0.lock().unwrap().last(),
        Some(Event::ParticipantRemoved { conversation_id, user_id })
            if *user_id == w.bob.user_id && *conversation_id == w.conversation
    ));
    let err = w.services.join(&w.bob, w.conversation).await.unwrap_err();
    assert_eq!(err.code(), "forbidden");
    let err = w
        .services
        .remove_member(&admin, w.project, w.bob.user_id)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "not_found", "no longer a member");
    let err = w
        .services
        .remove_member(&w.alice, w.project, w.bob.user_id)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "forbidden", "admins only");
}
