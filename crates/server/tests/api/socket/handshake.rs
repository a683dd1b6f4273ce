use serde_json::json;
use uuid::Uuid;

use crate::helpers::{Backend, TestApp, expired_token_for};
use confab_test_client::Client as SocketClient;

async fn handshakes_without_a_valid_token_are_refused_with_a_code(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.assert_handshake_refused(None, "unauthorized").await;
    app.assert_handshake_refused(Some("garbage"), "unauthorized")
        .await;
    let expired = expired_token_for(Uuid::new_v4());
    let refused = app.refused_handshake(Some(&expired)).await;
    assert!(
        refused["message"].as_str().unwrap().contains("expired"),
        "{refused}"
    );
    app.stop().await;
}

async fn the_token_is_also_read_from_the_query_string(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let user = app.user();
    let socket = SocketClient::handshake(&app.base, None, &format!("&token={}", user.token))
        .await
        .connected();
    assert!(!socket.sid.is_empty());
    app.stop().await;
}

async fn users_outside_the_rollout_are_refused_but_admins_connect(backend: Backend) {
    let app = TestApp::spawn_with(backend, |c| c.features.messaging.enabled = false).await;
    app.assert_handshake_refused(Some(&app.user().token), "messaging_disabled")
        .await;
    app.socket(&app.admin()).await;
    app.stop().await;
}

/// Clients that emit inside their connect callback must not lose that first event.
async fn a_thousand_connect_then_emit_clients_lose_no_event(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let owner = app.user();
    let conversation = app.conversation(&owner, &[]).await;
    let base = app.base.clone();
    let mut tasks = Vec::new();
    for _ in 0..1000 {
        let base = base.clone();
        let token = owner.token.clone();
        let conversation = conversation.clone();
        tasks.push(tokio::spawn(async move {
            let socket = SocketClient::handshake(&base, Some(json!({ "token": token })), "")
                .await
                .connected();
            // The join goes out the moment CONNECT is acked.
            let ack = socket
                .ask("join", json!({ "conversationId": conversation }))
                .await;
            socket.close();
            ack["ok"] == true
        }));
    }
    let mut ok = 0;
    for task in tasks {
        ok += usize::from(task.await.unwrap());
    }
    assert_eq!(ok, 1000);
    app.stop().await;
}

crate::on_both_backends!(
    handshakes_without_a_valid_token_are_refused_with_a_code,
    the_token_is_also_read_from_the_query_string,
    users_outside_the_rollout_are_refused_but_admins_connect,
    a_thousand_connect_then_emit_clients_lose_no_event,
);
