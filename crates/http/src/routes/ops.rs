//! Operations: liveness, readiness, metrics.

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use serde_json::{Value, json};

use crate::state::AppState;

/// Liveness: the process answers.
pub async fn healthz() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

/// Readiness: the database answers; other dependencies are reported, and a degraded one
/// (e.g. Redis) is named without failing the check, since the node still serves. The page is
/// public: it names each check's status only; why a check failed goes to the log.
pub async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    let database = match state.services.ready().await {
        Ok(()) => json!({ "status": "ok" }),
        Err(e) => {
            tracing::warn!(error = %e, "readiness: database check failed");
            let body =
                json!({ "status": "unavailable", "checks": { "database": { "status": "error" } } });
            return (StatusCode::SERVICE_UNAVAILABLE, Json(body));
        }
    };
    let mut checks = serde_json::Map::new();
    checks.insert("database".into(), database);
    let mut degraded = false;
    for check in state.checks.iter() {
        let entry = match check.check().await {
            Ok(()) => json!({ "status": "ok" }),
            Err(reason) => {
                degraded = true;
                tracing::warn!(check = check.name(), error = %reason, "readiness: dependency degraded");
                json!({ "status": "degraded" })
            }
        };
        checks.insert(check.name().into(), entry);
    }
    let status = if degraded { "degraded" } else { "ok" };
    (
        StatusCode::OK,
        Json(json!({ "status": status, "checks": checks })),
    )
}

/// Prometheus text exposition.
pub async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    let body = state
        .metrics
        .as_ref()
        .map(|render| render())
        .unwrap_or_default();
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], body)
}
