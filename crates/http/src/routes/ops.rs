//! Operations: liveness, readiness, metrics. The handlers take only what they read
//! ([`Readiness`], [`MetricsPage`], drawn from `AppState` by `FromRef`), so this module needs
//! nothing else of the crate: what `/readyz` checks is declared here ([`ReadinessCheck`]) and
//! implemented where the dependency lives (the object store in `files`, Redis in the server).

use std::sync::Arc;

use async_trait::async_trait;
use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use confab_domain::Services;
use serde_json::{Value, json};

/// A dependency `/readyz` reports on besides the database (Redis, object storage...).
#[async_trait]
pub trait ReadinessCheck: Send + Sync + 'static {
    /// A short name for the report (`redis`).
    fn name(&self) -> &'static str;
    /// `Err(reason)` when degraded.
    async fn check(&self) -> Result<(), String>;
}

/// What `/readyz` reads: the database (through the services) and the other checks.
#[derive(Clone)]
pub struct Readiness {
    pub services: Arc<Services>,
    pub checks: Arc<Vec<Arc<dyn ReadinessCheck>>>,
}

/// Renders `/metrics` (Prometheus text); `None` serves an empty page.
#[derive(Clone)]
pub struct MetricsPage(pub Option<Arc<dyn Fn() -> String + Send + Sync>>);

/// Liveness: the process answers.
pub async fn healthz() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

/// Readiness: the database answers; other dependencies are reported, and a degraded one
/// (e.g. Redis) is named without failing the check, since the node still serves. The page is
/// public: it names each check's status only; why a check failed goes to the log.
pub async fn readyz(State(state): State<Readiness>) -> impl IntoResponse {
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
pub async fn metrics(State(MetricsPage(render)): State<MetricsPage>) -> impl IntoResponse {
    let body = render.as_ref().map(|render| render()).unwrap_or_default();
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], body)
}
