//! Operations: liveness, readiness, metrics.

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use serde_json::{Value, json};
use std::time::Instant;

use crate::state::AppState;

/// Liveness: the process answers.
pub async fn healthz() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

/// Readiness: the database answers; other dependencies are reported, and a degraded one
/// (e.g. Redis) is named without failing the check, since the node still serves. The page is
/// public: it names each check's status only; why a check failed goes to the log.
pub async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    readiness(&state, false).await
}

/// The ops listener's readiness (`CONFAB_OPS_BIND`, a private address): the same verdict and
/// status code as `/readyz`, and each check also says why it failed (`error`) and how long it
/// took (`durationMs`).
pub async fn readyz_detailed(State(state): State<AppState>) -> impl IntoResponse {
    readiness(&state, true).await
}

async fn readiness(state: &AppState, detailed: bool) -> (StatusCode, Json<Value>) {
    let entry = |status: &str, error: Option<String>, started: Instant| {
        let mut entry = json!({ "status": status });
        if detailed {
            entry["durationMs"] = json!(started.elapsed().as_secs_f64() * 1000.0);
            if let Some(error) = error {
                entry["error"] = json!(error);
            }
        }
        entry
    };
    let started = Instant::now();
    let database = match state.services.ready().await {
        Ok(()) => entry("ok", None, started),
        Err(e) => {
            tracing::warn!(error = %e, "readiness: database check failed");
            let check = entry("error", Some(e.to_string()), started);
            let body = json!({ "status": "unavailable", "checks": { "database": check } });
            return (StatusCode::SERVICE_UNAVAILABLE, Json(body));
        }
    };
    let mut checks = serde_json::Map::new();
    checks.insert("database".into(), database);
    let mut degraded = false;
    for check in state.checks.iter() {
        let started = Instant::now();
        let result = match check.check().await {
            Ok(()) => entry("ok", None, started),
            Err(reason) => {
                degraded = true;
                tracing::warn!(check = check.name(), error = %reason, "readiness: dependency degraded");
                entry("degraded", Some(reason), started)
            }
        };
        checks.insert(check.name().into(), result);
    }
    let status = if degraded { "degraded" } else { "ok" };
    (
        StatusCode::OK,
        Json(json!({ "status": status, "checks": checks })),
    )
}

/// Prometheus text exposition. Each scrape first runs the readiness checks, so alerts can
/// watch `confab_ready` and `confab_readiness_check_ok{check}` without probing `/readyz`.
pub async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    let (status, Json(report)) = readiness(&state, false).await;
    crate::metrics::readiness(status.is_success(), &report);
    let body = state
        .metrics
        .as_ref()
        .map(|render| render())
        .unwrap_or_default();
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], body)
}
