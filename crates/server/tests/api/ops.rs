use reqwest::{Method, StatusCode};

use crate::helpers::{Backend, TestApp};

async fn health_and_readiness_answer(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (status, body) = app.call(Method::GET, "/healthz", None, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["status"], "ok");
    let (status, body) = app.call(Method::GET, "/readyz", None, None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["checks"]["database"]["status"], "ok");
    app.stop().await;
}

async fn the_openapi_document_lists_the_contract_routes_and_the_docs_ui_is_served(
    backend: Backend,
) {
    let app = TestApp::spawn(backend).await;
    let (status, doc) = app.call(Method::GET, "/api/openapi.json", None, None).await;
    assert_eq!(status, StatusCode::OK);
    let paths = doc["paths"].as_object().unwrap();
    for path in [
        "/projects/{projectId}/conversations",
        "/conversations/{id}/messages",
        "/messages/{id}",
        "/messages/{id}/reactions",
        "/messages/{id}/reactions/{emoji}",
        "/messages/{id}/report",
        "/conversations/{id}/read",
        "/conversations/{id}/search",
        "/admin/projects",
        "/admin/conversations/{id}/participants",
        "/admin/conversations/{id}/participants/{userId}",
        "/admin/conversations/{id}",
        "/admin/reports",
        "/admin/reports/{id}",
        "/admin/messages/{id}",
    ] {
        assert!(paths.contains_key(path), "missing {path}");
    }
    let response = app
        .client
        .get(format!("{}/api/docs/", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .to_lowercase()
            .contains("swagger")
    );
    app.stop().await;
}

async fn unknown_routes_answer_404_in_the_error_shape(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let user = app.user();
    let (status, body) = app.get("/api/nope", &user).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["error"]["code"], "not_found");
    app.stop().await;
}

async fn metrics_count_sockets_events_sends_and_errors(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let alice = app.user();
    let conversation = app.conversation(&alice, &[]).await;
    let socket = app.joined(&alice, &conversation).await;
    let ack = socket
        .ask(
            "message:send",
            serde_json::json!({ "conversationId": conversation, "content": "measured" }),
        )
        .await;
    assert_eq!(ack["ok"], true);
    let ack = socket
        .ask("message:send", serde_json::json!({ "conversationId": 1 }))
        .await;
    assert_eq!(ack["error"]["code"], "validation_failed");
    let response = app
        .client
        .get(format!("{}/metrics", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    let text = response.text().await.unwrap();
    for metric in [
        "confab_sockets_connected",
        "confab_socket_events_received_total{event=\"message:send\"}",
        "confab_messages_sent_total",
        "confab_broadcast_fanout_total{event=\"message:new\"}",
        "confab_send_ack_seconds_bucket",
        "confab_errors_total{code=\"validation_failed\"}",
    ] {
        assert!(text.contains(metric), "missing {metric} in:\n{text}");
    }
    app.stop().await;
}

async fn cors_allows_listed_origins_with_credentials_and_no_others(backend: Backend) {
    let app = TestApp::spawn_with(backend, |c| {
        c.cors_origins = vec!["https://app.example".into()]
    })
    .await;
    let preflight = |origin: &'static str| {
        app.client
            .request(
                Method::OPTIONS,
                format!("{}/socket.io/?EIO=4&transport=polling", app.base),
            )
            .header("origin", origin)
            .header("access-control-request-method", "GET")
            .send()
    };
    let allowed = preflight("https://app.example").await.unwrap();
    assert_eq!(
        allowed.headers()["access-control-allow-origin"],
        "https://app.example"
    );
    assert_eq!(
        allowed.headers()["access-control-allow-credentials"],
        "true"
    );
    let other = preflight("https://evil.example").await.unwrap();
    assert!(other.headers().get("access-control-allow-origin").is_none());
    app.stop().await;

    let open = TestApp::spawn(backend).await;
    let response = open
        .client
        .get(format!("{}/healthz", open.base))
        .header("origin", "http://localhost:3000")
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["access-control-allow-origin"], "*");
    assert!(
        response
            .headers()
            .get("access-control-allow-credentials")
            .is_none()
    );
    open.stop().await;
}

crate::on_both_backends!(
    health_and_readiness_answer,
    the_openapi_document_lists_the_contract_routes_and_the_docs_ui_is_served,
    unknown_routes_answer_404_in_the_error_shape,
    metrics_count_sockets_events_sends_and_errors,
    cors_allows_listed_origins_with_credentials_and_no_others,
);
