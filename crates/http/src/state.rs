//! What every handler shares.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::FromRef;
use confab_domain::Services;

use crate::files::Files;
use crate::routes::ops::{MetricsPage, Readiness, ReadinessCheck};

/// Shared handler state.
#[derive(Clone)]
pub struct AppState {
    /// The domain's use cases.
    pub services: Arc<Services>,
    /// Dependencies `/readyz` reports on besides the database.
    pub checks: Arc<Vec<Arc<dyn ReadinessCheck>>>,
    /// Renders `/metrics` (Prometheus text); `None` serves an empty page.
    pub metrics: Option<Arc<dyn Fn() -> String + Send + Sync>>,
    /// Upload storage and rules; `None`: the file routes answer 503.
    pub files: Option<Arc<Files>>,
    /// Non-streaming routes answer 408 past this (`None`: no limit).
    pub request_timeout: Option<Duration>,
}

impl AppState {
    /// State with no extra readiness checks, no metrics page, no file storage and no timeout.
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

impl FromRef<AppState> for Readiness {
    fn from_ref(state: &AppState) -> Self {
        Self {
            services: state.services.clone(),
            checks: state.checks.clone(),
        }
    }
}

impl FromRef<AppState> for MetricsPage {
    fn from_ref(state: &AppState) -> Self {
        Self(state.metrics.clone())
    }
}
