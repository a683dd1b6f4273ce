use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{Backend, TestApp};

async fn admins_manage_participants_status_and_titles(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (alice, bob, admin) = (app.user(), app.user(), app.admin());
    let conversation = app.conversation(&alice, &[]).await;
    let messages = format!("/api/conversations/{conversation}/messages");
    let moderated = format!("/api/admin/conversations/{conversation}");
    let participants = format!("{moderated}/participants");
    let bob_participant = format!("{participants}/{}", bob.id);
    assert_eq!(app.status(&messages, &bob).await, StatusCode::FORBIDDEN);

    let (status, body) = app
        .post(
            &participants,
            &admin,
            json!({ "userId": bob.id, "role": "member" }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["participant"]["role"], "member");
    assert_eq!(app.status(&messages, &bob).await, StatusCode::OK);
    let (status, _) = app
        .post(&participants, &admin, json!({ "userId": "x" }))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    let (status, body) = app
        .patch(
            &moderated,
            &admin,
            json!({ "status": "locked", "title": "Frozen" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["conversation"]["status"], "locked");
    assert_eq!(body["conversation"]["title"], "Frozen");
    let (status, body) = app
        .post(&messages, &alice, json!({ "content": "hello?" }))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["error"]["code"], "conversation_locked");
    assert_eq!(
        app.status(&messages, &alice).await,
        StatusCode::OK,
        "locked conversations stay readable"
    );

    let patched = async |who: &crate::helpers::User, body: serde_json::Value| {
        app.patch(&moderated, who, body).await.0
    };
    assert_eq!(
        patched(&admin, json!({ "status": "archived" })).await,
        StatusCode::OK
    );
    let (_, body) = app
        .post(&messages, &alice, json!({ "content": "hello?" }))
        .await;
    assert_eq!(body["error"]["code"], "conversation_archived");
    assert_eq!(
        patched(&admin, json!({ "status": "gone" })).await,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(patched(&admin, json!({})).await, StatusCode::BAD_REQUEST);
    assert_eq!(
        patched(&alice, json!({ "status": "active" })).await,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        patched(&admin, json!({ "status": "active" })).await,
        StatusCode::OK
    );
    app.send(&conversation, &alice, "back").await;

    app.remove_participant(&admin, &conversation, &bob).await;
    let (status, _) = app.delete(&bob_participant, &admin).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "removing twice");
    // Re-adding restores access.
    app.post(&participants, &admin, json!({ "userId": bob.id }))
        .await;
    assert_eq!(app.status(&messages, &bob).await, StatusCode::OK);
    app.stop().await;
}

async fn admin_moderation_deletes_any_message(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (alice, bob, admin) = (app.user(), app.user(), app.admin());
    let conversation = app.conversation(&alice, &[&bob]).await;
    let message = app.send(&conversation, &alice, "rude words").await;
    let id = message["id"].as_str().unwrap();
    assert_eq!(
        app.delete(&format!("/api/admin/messages/{id}"), &bob)
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    let (status, body) = app
        .delete(&format!("/api/admin/messages/{id}?reason=abuse"), &admin)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, page) = app
        .get(&format!("/api/conversations/{conversation}/messages"), &bob)
        .await;
    assert_eq!(page["messages"][0]["content"], "");
    assert!(page["messages"][0]["deletedAt"].is_string());
    app.stop().await;
}

crate::on_both_backends!(
    admins_manage_participants_status_and_titles,
    admin_moderation_deletes_any_message
);
