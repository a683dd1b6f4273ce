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

crate::on_both_backends!(
    health_and_readiness_answer,
    the_openapi_document_lists_the_contract_routes_and_the_docs_ui_is_served,
    unknown_routes_answer_404_in_the_error_shape,
);
