//! What every handler shares.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use confab_domain::Services;

/// A dependency `/readyz` reports on besides the database (Redis, object storage...).
#[async_trait]
pub trait ReadinessCheck: Send + Sync + 'static {
    /// A short name for the report (`redis`).
    fn name(&self) -> &'static str;
    /// `Err(reason)` when degraded.
    async fn check(&self) -> Result<(), String>;
}

/// Shared handler state.
#[derive(Clone)]
pub struct AppState {
    pub services: Arc<Services>,
    pub checks: Arc<Vec<Arc<dyn ReadinessCheck>>>,
    /// Renders `/metrics` (Prometheus text); `None` serves an empty page.
    pub metrics: Option<Arc<dyn Fn() -> String + Send + Sync>>,
    /// Upload storage and rules; `None`: the file routes answer 503.
    pub files: Option<Arc<crate::files::Files>>,
    /// Non-streaming routes answer 408 past this (`None`: no limit).
    pub request_timeout: Option<Duration>,
}

impl AppState {
    pub fn new(services: Arc<Services>) -> Self {
        Self {
            services,
            checks: Arc::new(Vec::new()),
            metrics: None,
            files: None,
            request_timeout: None,
        }
    }
}
