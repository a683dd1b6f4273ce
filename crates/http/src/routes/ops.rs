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
use std::time::Instant;

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
    /// Probed for the database part of the report (`Services::ready`).
    pub services: Arc<Services>,
    /// The other dependencies to report on; a failing one makes `/readyz` degraded.
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
    readiness(&state, false).await
}

/// The ops listener's readiness (`CONFAB_OPS_BIND`, a private address): the same verdict and
/// status code as `/readyz`, and each check also says why it failed (`error`) and how long it
/// took (`durationMs`).
pub async fn readyz_detailed(State(state): State<Readiness>) -> impl IntoResponse {
    readiness(&state, true).await
}

async fn readiness(state: &Readiness, detailed: bool) -> (StatusCode, Json<Value>) {
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
pub async fn metrics(
    State(readiness_state): State<Readiness>,
    State(MetricsPage(render)): State<MetricsPage>,
) -> impl IntoResponse {
    let (status, Json(report)) = readiness(&readiness_state, false).await;
    crate::metrics::readiness(status.is_success(), &report);
    let body = render.as_ref().map(|render| render()).unwrap_or_default();
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], body)
}
