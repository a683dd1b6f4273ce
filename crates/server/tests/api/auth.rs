use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::json;
use uuid::Uuid;

use crate::helpers::{Backend, TestApp, User, expired_token_for};

async fn requests_without_a_valid_token_are_401(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let project = app.project().await;
    let path = format!("/api/projects/{project}/conversations");
    let (status, body) = app.call(Method::GET, &path, None, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"]["code"], "unauthorized");
    assert!(body["error"]["message"].is_string());

    let id = Uuid::new_v4();
    let expired = User {
        id,
        token: expired_token_for(id),
    };
    let (status, body) = app.get(&path, &expired).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("expired"),
        "{body}"
    );

    let claims = confab_auth::claims_for(id, None, None, true, Duration::from_secs(60));
    let foreign = User {
        id,
        token: confab_auth::mint_hs256(b"someone-elses-secret-0123456789abcdef", &claims).unwrap(),
    };
    assert_eq!(app.status(&path, &foreign).await, StatusCode::UNAUTHORIZED);
    let garbage = User {
        id,
        token: "garbage".into(),
    };
    assert_eq!(app.status(&path, &garbage).await, StatusCode::UNAUTHORIZED);
    app.stop().await;
}

async fn admin_routes_refuse_non_admins(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let user = app.user();
    let (status, body) = app
        .post("/api/admin/projects", &user, json!({ "name": "x" }))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["error"]["code"], "forbidden");
    assert_eq!(
        app.status("/api/admin/projects", &user).await,
        StatusCode::FORBIDDEN
    );
    let admin = app.admin();
    let (status, body) = app.get("/api/admin/projects", &admin).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body["projects"].is_array());
    app.stop().await;
}

async fn outsiders_and_removed_participants_cannot_read_or_write(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (owner, member, outsider, admin) = (app.user(), app.user(), app.user(), app.admin());
    let conversation = app.conversation(&owner, &[&member]).await;
    let messages = format!("/api/conversations/{conversation}/messages");
    let sent = app.send(&conversation, &member, "hello").await;

    let (status, body) = app.get(&messages, &outsider).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(
        app.post(
            &messages,
            &outsider,
            json!({ "content": "hi", "type": "text" })
        )
        .await
        .0,
        StatusCode::FORBIDDEN
    );
    let message_id = sent["id"].as_str().unwrap();
    assert_eq!(
        app.patch(
            &format!("/api/messages/{message_id}"),
            &outsider,
            json!({ "content": "x" })
        )
        .await
        .0,
        StatusCode::FORBIDDEN
    );

    app.remove_participant(&admin, &conversation, &member).await;
    assert_eq!(app.status(&messages, &member).await, StatusCode::FORBIDDEN);
    assert_eq!(
        app.post(&messages, &member, json!({ "content": "still here?" }))
            .await
            .0,
        StatusCode::FORBIDDEN
    );

    // Admins see every conversation and may post in it.
    assert_eq!(app.status(&messages, &admin).await, StatusCode::OK);
    let (status, _) = app
        .post(&messages, &admin, json!({ "content": "admin here" }))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    app.stop().await;
}

async fn users_outside_the_messaging_rollout_get_messaging_disabled(backend: Backend) {
    let app = TestApp::spawn_with(backend, |c| {
        c.features.messaging.rollout_percentage = 0;
    })
    .await;
    let project = app.project().await;
    let (status, body) = app
        .get(
            &format!("/api/projects/{project}/conversations"),
            &app.user(),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["error"]["code"], "messaging_disabled");
    let (status, _) = app
        .get(
            &format!("/api/projects/{project}/conversations"),
            &app.admin(),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    app.stop().await;
}

crate::on_both_backends!(
    requests_without_a_valid_token_are_401,
    admin_routes_refuse_non_admins,
    outsiders_and_removed_participants_cannot_read_or_write,
    users_outside_the_messaging_rollout_get_messaging_disabled,
);
