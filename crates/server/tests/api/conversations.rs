use reqwest::StatusCode;
use serde_json::json;
use uuid::Uuid;

use crate::helpers::{Backend, TestApp};

async fn a_created_conversation_is_listed_with_unread_count_last_message_and_participants(
    backend: Backend,
) {
    let app = TestApp::spawn(backend).await;
    let (alice, bob) = (app.user(), app.user());
    let project = app.project_with(&[&alice, &bob]).await;
    let (status, body) = app
        .post(
            &format!("/api/projects/{project}/conversations"),
            &alice,
            json!({ "title": "Launch", "type": "support", "participantIds": [bob.id] }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let conversation = &body["conversation"];
    assert_eq!(conversation["title"], "Launch");
    assert_eq!(conversation["type"], "support");
    assert_eq!(conversation["status"], "active");
    assert_eq!(conversation["projectId"], project);
    let id = conversation["id"].as_str().unwrap().to_owned();

    app.send(&id, &alice, "one").await;
    let last = app.send(&id, &alice, "two").await;

    let (status, body) = app
        .get(&format!("/api/projects/{project}/conversations"), &bob)
        .await;
    assert_eq!(status, StatusCode::OK);
    let list = body["conversations"].as_array().unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["id"], id.as_str());
    assert_eq!(list[0]["unreadCount"], 2);
    assert_eq!(list[0]["participants"], 2);
    assert_eq!(list[0]["lastMessage"]["id"], last["id"]);
    assert_eq!(list[0]["lastMessage"]["content"], "two");

    // The sender's own messages are never unread for them.
    let (_, body) = app
        .get(&format!("/api/projects/{project}/conversations"), &alice)
        .await;
    assert_eq!(body["conversations"][0]["unreadCount"], 0);

    // Reading the latest message clears the count.
    let (status, body) = app
        .post(
            &format!("/api/conversations/{id}/read"),
            &bob,
            json!({ "messageId": last["id"] }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["success"], true);
    let (_, body) = app
        .get(&format!("/api/projects/{project}/conversations"), &bob)
        .await;
    assert_eq!(body["conversations"][0]["unreadCount"], 0);

    // A member of the project who takes part in nothing sees nothing.
    let carol = app.user();
    let (status, _) = app
        .post(
            &format!("/api/admin/projects/{project}/members"),
            &app.admin(),
            json!({ "userIds": [carol.id] }),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, body) = app
        .get(&format!("/api/projects/{project}/conversations"), &carol)
        .await;
    assert_eq!(body["conversations"].as_array().unwrap().len(), 0);
    app.stop().await;
}

async fn conversations_in_unknown_projects_are_404(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let user = app.user();
    let missing = Uuid::new_v4();
    let (status, body) = app
        .post(
            &format!("/api/projects/{missing}/conversations"),
            &user,
            json!({ "title": "x" }),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert_eq!(body["error"]["code"], "not_found");
    assert_eq!(
        app.status(&format!("/api/projects/{missing}/conversations"), &user)
            .await,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.status(&format!("/api/conversations/{missing}/messages"), &user)
            .await,
        StatusCode::NOT_FOUND
    );
    app.stop().await;
}

async fn only_owners_and_admins_post_in_announcement_conversations(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (owner, member) = (app.user(), app.user());
    let project = app.project_with(&[&owner, &member]).await;
    let (_, body) = app
        .post(
            &format!("/api/projects/{project}/conversations"),
            &owner,
            json!({ "title": "News", "type": "announcement", "participantIds": [member.id] }),
        )
        .await;
    let id = body["conversation"]["id"].as_str().unwrap().to_owned();
    let (status, body) = app
        .post(
            &format!("/api/conversations/{id}/messages"),
            &member,
            json!({ "content": "me too" }),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["error"]["code"], "announcement_only");
    app.send(&id, &owner, "release today").await;
    let (_, page) = app
        .get(&format!("/api/conversations/{id}/messages"), &member)
        .await;
    assert_eq!(page["messages"].as_array().unwrap().len(), 1);
    app.stop().await;
}

crate::on_both_backends!(
    a_created_conversation_is_listed_with_unread_count_last_message_and_participants,
    conversations_in_unknown_projects_are_404,
    only_owners_and_admins_post_in_announcement_conversations,
);
