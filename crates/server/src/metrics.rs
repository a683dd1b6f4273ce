//! The Prometheus exporter behind `/metrics`. One recorder per process (several test nodes
//! in one process share it); each node's page adds what is sampled when it is scraped (its
//! database pools, its Redis links, the process and the tokio runtime: [`sampled`]).

pub mod sampled;

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use async_trait::async_trait;
use confab_domain::ids::UserId;
use confab_domain::ports::{LimitKind, RateLimiter};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

pub use sampled::Sources;

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Histogram buckets of every `_seconds` metric: 0.5 ms to 10 s (statements and acks sit at
/// the low end, HTTP requests and Redis round trips reach the high end).
pub const SECONDS_BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// Histogram buckets of `confab_db_group_commit_rows`: sends per group commit.
const BATCH_ROWS_BUCKETS: &[f64] = &[1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0];

fn handle() -> Option<&'static PrometheusHandle> {
    HANDLE
        .get_or_init(|| {
            let builder = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), SECONDS_BUCKETS)
                .ok()?
                .set_buckets_for_metric(
                    Matcher::Full(confab_store::metrics::GROUP_COMMIT_ROWS.into()),
                    BATCH_ROWS_BUCKETS,
                )
                .ok()?;
            match builder.install_recorder() {
                Ok(handle) => {
                    describe();
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

fn describe() {
    confab_gateway::metrics::describe();
    confab_http::metrics::describe();
    confab_store::metrics::describe();
    describe_redis();
}

/// The Redis adapter records these (crates/redis); described here, where the recorder is.
fn describe_redis() {
    metrics::describe_counter!(
        "confab_redis_published_total",
        "Messages this node published to Redis (broadcasts, requests, answers), by outcome"
    );
    metrics::describe_counter!(
        "confab_redis_received_total",
        "Messages this node received from Redis"
    );
    metrics::describe_histogram!(
        "confab_redis_request_duration_seconds",
        metrics::Unit::Seconds,
        "Round trip of a request to the other nodes (fetch sockets, room changes, server-side emits with acks) until every node answered"
    );
    metrics::describe_counter!(
        "confab_redis_request_timeouts_total",
        "Requests to the other nodes that did not get every answer within the request timeout"
    );
    metrics::describe_counter!(
        "confab_redis_reconnects_total",
        "Times the Redis subscription came back after a failure"
    );
    for name in [
        "confab_redis_received_total",
        "confab_redis_request_timeouts_total",
        "confab_redis_reconnects_total",
    ] {
        metrics::counter!(name).increment(0);
    }
    // A registered histogram is exported (with empty buckets) before its first sample.
    let _ = metrics::histogram!("confab_redis_request_duration_seconds");
}

/// Renders this node's Prometheus text page: the recorded metrics, then the sampled ones.
pub fn renderer(sources: Sources) -> Arc<dyn Fn() -> String + Send + Sync> {
    let handle = handle();
    Arc::new(move || {
        let mut page = handle.map(PrometheusHandle::render).unwrap_or_default();
        sources.write(&mut page);
        page
    })
}

/// The rate limiter the domain sees, counting each refusal in
/// `confab_rate_limited_total{limit}` (REST and socket alike: both go through this port).
pub struct CountingLimiter(pub Arc<dyn RateLimiter>);

#[async_trait]
impl RateLimiter for CountingLimiter {
    async fn acquire(&self, user: UserId, kind: LimitKind) -> Result<(), Duration> {
        let result = self.0.acquire(user, kind).await;
        if result.is_err() {
            confab_http::metrics::rate_limited(kind.as_str());
        }
        result
    }
}
