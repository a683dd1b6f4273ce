//! The HTTP side's Prometheus metrics, recorded through the `metrics` facade (the binary
//! installs the exporter): requests and their latency by route template and status, storage
//! operations, and rate-limit refusals.

use std::future::Future;
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;

pub use crate::address_limit::RATE_LIMITED;

/// Requests answered, by `method`, `route` (the template, e.g. `/api/messages/{id}`) and
/// `status`.
pub const HTTP_REQUESTS: &str = "confab_http_requests_total";
/// Time from the request's arrival to its response head, by `method`, `route` and `status`.
pub const HTTP_REQUEST_SECONDS: &str = "confab_http_request_duration_seconds";
/// Object storage calls, by `op` (`put`, `get`, `delete`, `presign`, `ping`) and `outcome`.
pub const STORAGE_OPERATIONS: &str = "confab_storage_operations_total";
/// Time an object storage call took, by `op`.
pub const STORAGE_SECONDS: &str = "confab_storage_operation_duration_seconds";
/// Bytes written to object storage by uploads.
pub const STORAGE_WRITTEN: &str = "confab_storage_written_bytes_total";

/// 1 while the node is ready (`/readyz` answers 200, degraded included), 0 otherwise;
/// updated on each scrape.
pub const READY: &str = "confab_ready";
/// 1 while a readiness check (`database`, `storage`, `redis`) passes, 0 otherwise; updated on
/// each scrape.
pub const READINESS_CHECK_OK: &str = "confab_readiness_check_ok";

/// The `route` of a request no route matched (404s, the Engine.IO transport's own paths).
pub const UNMATCHED: &str = "unmatched";
/// The `route` of Socket.IO's Engine.IO requests (long polling and websocket upgrades).
pub const SOCKET_IO: &str = "/socket.io/";

/// Describes every metric of this crate (call once after installing a recorder).
pub fn describe() {
    metrics::describe_counter!(
        HTTP_REQUESTS,
        "HTTP requests answered, by method, route template and status"
    );
    metrics::describe_histogram!(
        HTTP_REQUEST_SECONDS,
        metrics::Unit::Seconds,
        "Time from a request's arrival to its response head, by method, route template and status"
    );
    metrics::describe_counter!(
        STORAGE_OPERATIONS,
        "Object storage calls, by op and outcome (ok, not_found, error)"
    );
    metrics::describe_histogram!(
        STORAGE_SECONDS,
        metrics::Unit::Seconds,
        "Time an object storage call took, by op"
    );
    metrics::describe_counter!(
        STORAGE_WRITTEN,
        metrics::Unit::Bytes,
        "Bytes of uploads stored"
    );
    metrics::describe_counter!(
        RATE_LIMITED,
        "Actions refused by a rate limit, by limit (messages, uploads, searches, ..., unauthenticated)"
    );
    metrics::describe_gauge!(
        READY,
        "1 while the node is ready (/readyz answers 200, degraded included); sampled on each scrape"
    );
    metrics::describe_gauge!(
        READINESS_CHECK_OK,
        "1 while a readiness check passes, by check (database, storage, redis); sampled on each scrape"
    );
    metrics::counter!(STORAGE_WRITTEN).increment(0);
}

/// Records a readiness report (`{ status, checks: { name: { status } } }`) as gauges.
pub fn readiness(ready: bool, report: &serde_json::Value) {
    metrics::gauge!(READY).set(if ready { 1.0 } else { 0.0 });
    if let Some(checks) = report["checks"].as_object() {
        for (name, check) in checks {
            let ok = check["status"] == "ok";
            metrics::gauge!(READINESS_CHECK_OK, "check" => name.clone()).set(if ok {
                1.0
            } else {
                0.0
            });
        }
    }
}

/// Middleware (a `Router::layer`, so routing has run and [`MatchedPath`] is known): counts
/// and times every request by its route template, never by its concrete path (ids would make
/// a series per conversation).
pub async fn record(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = method_label(request.method());
    let route = route_label(
        request
            .extensions()
            .get::<MatchedPath>()
            .map(MatchedPath::as_str),
        request.uri().path(),
    );
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    let labels = [
        ("method", method.to_owned()),
        ("route", route),
        ("status", status),
    ];
    metrics::counter!(HTTP_REQUESTS, &labels).increment(1);
    metrics::histogram!(HTTP_REQUEST_SECONDS, &labels).record(started.elapsed().as_secs_f64());
    response
}

/// Known methods by name; anything else as `other` (a client could invent any number).
fn method_label(method: &axum::http::Method) -> &'static str {
    use axum::http::Method;
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

/// The matched route template; a nested router's fallback (the `/api` 404) and paths no route
/// matched become [`UNMATCHED`], Engine.IO paths [`SOCKET_IO`].
pub fn route_label(matched: Option<&str>, path: &str) -> String {
    if path.starts_with("/socket.io") {
        return SOCKET_IO.to_owned();
    }
    match matched {
        Some(template) if !template.contains("__private__") && !template.contains("{*") => {
            template.to_owned()
        }
        _ => UNMATCHED.to_owned(),
    }
}

/// Times one storage call and counts it by outcome; `NotFound` is an answer, not a failure.
pub(crate) async fn storage<T>(
    op: &'static str,
    work: impl Future<Output = object_store::Result<T>>,
) -> object_store::Result<T> {
    let started = Instant::now();
    let result = work.await;
    let outcome = match &result {
        Ok(_) => "ok",
        Err(object_store::Error::NotFound { .. }) => "not_found",
        Err(_) => "error",
    };
    storage_done(op, outcome, started.elapsed());
    result
}

fn storage_done(op: &'static str, outcome: &'static str, took: Duration) {
    metrics::counter!(STORAGE_OPERATIONS, "op" => op, "outcome" => outcome).increment(1);
    metrics::histogram!(STORAGE_SECONDS, "op" => op).record(took.as_secs_f64());
}

/// Counts one refusal by a per-user limit (`messages`, `uploads`...).
pub fn rate_limited(limit: &'static str) {
    metrics::counter!(RATE_LIMITED, "limit" => limit).increment(1);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_are_labelled_by_template_and_unknown_paths_share_one_label() {
        assert_eq!(
            route_label(Some("/api/messages/{id}"), "/api/messages/123"),
            "/api/messages/{id}"
        );
        assert_eq!(route_label(None, "/nope/123"), UNMATCHED);
        let nest_tail = "/api/{*__private__axum_nest_tail_param}";
        assert_eq!(route_label(Some(nest_tail), "/api/x/1"), UNMATCHED);
        assert_eq!(route_label(None, "/socket.io/"), SOCKET_IO);
    }
}
