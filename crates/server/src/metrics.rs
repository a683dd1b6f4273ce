//! The Prometheus exporter behind `/metrics`. One recorder per process (several test nodes
//! in one process share it).

use std::sync::{Arc, OnceLock};

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

fn handle() -> Option<&'static PrometheusHandle> {
    HANDLE
        .get_or_init(|| {
            let builder = PrometheusBuilder::new()
                .set_buckets_for_metric(
                    Matcher::Suffix("_seconds".into()),
                    &[
                        0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
                    ],
                )
                .ok()?;
            match builder.install_recorder() {
                Ok(handle) => {
                    confab_gateway::metrics::describe();
                    Some(handle)
                }
                Err(e) => {
                    tracing::warn!(error = %e, "metrics recorder not installed");
                    None
                }
            }
        })
        .as_ref()
}

/// Renders the Prometheus text page.
pub fn renderer() -> Arc<dyn Fn() -> String + Send + Sync> {
    let handle = handle();
    Arc::new(move || handle.map(PrometheusHandle::render).unwrap_or_default())
}
