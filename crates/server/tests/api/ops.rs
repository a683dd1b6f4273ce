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
    let doc = app.openapi().await;
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
    let (_socket, _) = app.sent_and_refused(&alice, "measured").await;
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
    crate::helpers::assert_contains_all(
        &text,
        &[
            "confab_sockets_connected",
            "confab_socket_events_received_total{event=\"message:send\"}",
            "confab_messages_sent_total",
            "confab_broadcast_fanout_total{event=\"message:new\"}",
            "confab_send_ack_seconds_bucket",
            "confab_errors_total{code=\"validation_failed\"}",
        ],
    );
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

async fn get_text(app: &TestApp, url: String) -> (StatusCode, String) {
    let response = app.client.get(url).send().await.unwrap();
    (response.status(), response.text().await.unwrap())
}

async fn the_ops_listener_serves_metrics_and_detailed_readiness_instead_of_the_main_one(
    backend: Backend,
) {
    let app = TestApp::spawn_with(backend, |c| {
        c.ops_bind = Some("127.0.0.1:0".parse().unwrap());
    })
    .await;
    let ops = app.ops.clone().expect("the ops listener is bound");
    assert_ne!(ops, app.base);
    let user = app.user();
    assert_eq!(app.status("/api/projects", &user).await, StatusCode::OK);

    // The main listener keeps health and the status-only readiness, and drops /metrics.
    let (status, _) = get_text(&app, format!("{}/metrics", app.base)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, body) = app.call(Method::GET, "/readyz", None, None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let keys: Vec<&String> = body["checks"]["database"]
        .as_object()
        .unwrap()
        .keys()
        .collect();
    assert_eq!(keys, ["status"], "{body}");
    assert_eq!(
        app.call(Method::GET, "/healthz", None, None).await.0,
        StatusCode::OK
    );

    // The ops listener has the metrics (traffic of the main listener included)...
    let (status, page) = get_text(&app, format!("{ops}/metrics")).await;
    assert_eq!(status, StatusCode::OK);
    crate::helpers::assert_contains_all(
        &page,
        &[
            "confab_build_info{",
            "confab_http_requests_total{method=\"GET\",route=\"/api/projects\",status=\"200\"}",
            "confab_db_pool_connections{pool=\"main\",state=\"in_use\"}",
            "process_resident_memory_bytes ",
        ],
    );
    // ...a readiness page that says how long each check took...
    let (status, text) = get_text(&app, format!("{ops}/readyz")).await;
    assert_eq!(status, StatusCode::OK, "{text}");
    let body: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(body["status"], "ok", "{body}");
    assert_eq!(body["checks"]["database"]["status"], "ok", "{body}");
    assert!(
        body["checks"]["database"]["durationMs"].is_number(),
        "{body}"
    );
    assert!(
        body["checks"]["storage"]["durationMs"].is_number(),
        "{body}"
    );
    // ...and no API.
    let (status, _) = get_text(&app, format!("{ops}/api/projects")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    app.stop().await;
}

crate::on_both_backends!(
    the_ops_listener_serves_metrics_and_detailed_readiness_instead_of_the_main_one,
    health_and_readiness_answer,
    the_openapi_document_lists_the_contract_routes_and_the_docs_ui_is_served,
    unknown_routes_answer_404_in_the_error_shape,
    metrics_count_sockets_events_sends_and_errors,
    cors_allows_listed_origins_with_credentials_and_no_others,
);

#[tokio::test]
async fn the_ops_readiness_says_why_a_check_failed_and_the_public_one_does_not() {
    let app = TestApp::spawn_with(Backend::Sqlite, |c| {
        // Nothing listens on port 1: the Redis check fails.
        c.redis_url = Some("redis://127.0.0.1:1".into());
        c.redis.channel_prefix = crate::helpers::unique_prefix();
        c.ops_bind = Some("127.0.0.1:0".parse().unwrap());
    })
    .await;
    let ops = app.ops.clone().unwrap();
    let (status, text) = get_text(&app, format!("{ops}/readyz")).await;
    assert_eq!(status, StatusCode::OK, "{text}");
    let body: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(body["status"], "degraded", "{body}");
    assert_eq!(body["checks"]["redis"]["status"], "degraded", "{body}");
    let error = body["checks"]["redis"]["error"]
        .as_str()
        .unwrap_or_default();
    assert!(error.contains("cross-node delivery is down"), "{body}");
    let (_, public) = app.call(Method::GET, "/readyz", None, None).await;
    assert_eq!(
        public["checks"]["redis"],
        serde_json::json!({ "status": "degraded" })
    );
    let (_, page) = get_text(&app, format!("{ops}/metrics")).await;
    assert!(
        page.contains("confab_redis_degraded{link=\"adapter\"} 1"),
        "{page}"
    );
    app.stop().await;
}
