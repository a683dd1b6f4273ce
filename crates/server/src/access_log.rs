//! One INFO line and one INFO span (`http.request`) per HTTP request, REST and Socket.IO
//! transport alike. The span continues the caller's W3C trace (`traceparent`) and carries
//! OpenTelemetry's semantic names; the line carries method, route template, status, latency,
//! request id and the authenticated user. Client-controlled text is clipped, and nothing of
//! the query but its parameter names (token values replaced) is recorded: tokens travel in
//! `Authorization` and `?token=`, neither of which reaches a log line or a span.

use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::http::HeaderMap;
use axum::middleware::Next;
use axum::response::Response;
use confab_domain::logs::Clip;
use confab_http::extract::Caller;
use opentelemetry::propagation::Extractor;
use opentelemetry::trace::TraceContextExt as _;
use tracing::Instrument as _;
use tracing::field::{Empty, display};
use tracing_opentelemetry::OpenTelemetrySpanExt as _;

/// The header `SetRequestIdLayer` fills (or keeps, when the client sent one).
const REQUEST_ID: &str = "x-request-id";

/// The Socket.IO transport's path: no axum route matches it (socketioxide answers it in a
/// layer), but it is a route all the same.
const SOCKET_IO: &str = "/socket.io/";

/// The middleware: wraps the rest of the stack in the request span, then logs the line.
pub async fn access_log(mut request: Request, next: Next) -> Response {
    let started = Instant::now();
    let caller = Caller::default();
    request.extensions_mut().insert(caller.clone());
    let method = Clip(request.method().as_str()).to_string();
    let route = route(&request);
    let request_id = request
        .headers()
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .map(|v| Clip(v).to_string());
    let span = tracing::info_span!(
        "http.request",
        otel.kind = "server",
        otel.status_code = Empty,
        http.request.method = %method,
        http.route = route,
        url.path = %Clip(request.uri().path()),
        url.query = request.uri().query().map(|q| display(Clip(redact_query(q)))),
        http.response.status_code = Empty,
        request.id = request_id.as_deref(),
        user.id = Empty,
    );
    // Without an OpenTelemetry layer (no OTLP endpoint) there is no trace to continue.
    let _ = span.set_parent(remote_context(request.headers()));
    // In scope, not `parent: &span`: the JSON formatter lists the current spans only.
    span.in_scope(|| tracing::debug!("request started"));
    let response = next.run(request).instrument(span.clone()).await;
    let status = response.status().as_u16();
    let user = caller.user_id();
    span.record("http.response.status_code", status);
    if let Some(user) = user {
        span.record("user.id", display(user));
    }
    if status >= 500 {
        span.record("otel.status_code", "ERROR");
    }
    let trace_id = trace_id(&span);
    // Outside the span: a JSON line carries its own fields, and the span's exported events
    // stay free of a copy of its attributes.
    tracing::info!(
        parent: None,
        method = %method,
        route,
        status,
        latency_ms = started.elapsed().as_secs_f64() * 1000.0,
        request_id = request_id.as_deref(),
        user_id = user.map(display),
        trace_id = trace_id.as_deref(),
        "request"
    );
    response
}

/// The matched route template (`/api/conversations/{id}/messages`), the Socket.IO path, or
/// `None` for a path nothing serves (its text is client-controlled and stays out of `route`).
fn route(request: &Request) -> Option<&'static str> {
    if let Some(matched) = request.extensions().get::<MatchedPath>() {
        return Some(intern(matched.as_str()));
    }
    request
        .uri()
        .path()
        .starts_with(SOCKET_IO)
        .then_some(SOCKET_IO)
}

/// Route templates are few and fixed (the router's): each is leaked once and reused, so the
/// span and the line borrow a `&'static str` instead of allocating per request.
fn intern(template: &str) -> &'static str {
    use std::collections::HashSet;
    use std::sync::{Mutex, OnceLock};
    static TEMPLATES: OnceLock<Mutex<HashSet<&'static str>>> = OnceLock::new();
    let mut templates = TEMPLATES
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    match templates.get(template) {
        Some(found) => found,
        None => {
            let leaked: &'static str = Box::leak(template.to_owned().into_boxed_str());
            templates.insert(leaked);
            leaked
        }
    }
}

/// The W3C trace context (`traceparent`, `tracestate`) of the request's headers, through the
/// global propagator [`crate::telemetry::init`] installs; an empty context when absent or bad.
pub fn remote_context(headers: &HeaderMap) -> opentelemetry::Context {
    opentelemetry::global::get_text_map_propagator(|p| p.extract(&Headers(headers)))
}

struct Headers<'a>(&'a HeaderMap);

impl Extractor for Headers<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(|k| k.as_str()).collect()
    }
}

/// The span's trace id in hex, when it is part of an exported trace.
fn trace_id(span: &tracing::Span) -> Option<String> {
    let context = span.context();
    let span_context = context.span().span_context().clone();
    span_context
        .is_valid()
        .then(|| span_context.trace_id().to_string())
}

/// The query with the value of every parameter whose name mentions `token` replaced.
pub fn redact_query(query: &str) -> String {
    query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((name, _)) if name.to_ascii_lowercase().contains("token") => {
                format!("{name}=[redacted]")
            }
            _ => pair.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_values_are_replaced_in_the_query() {
        assert_eq!(
            redact_query("EIO=4&transport=websocket&token=abc.def&access_token=x"),
            "EIO=4&transport=websocket&token=[redacted]&access_token=[redacted]"
        );
        assert_eq!(redact_query("q=hello"), "q=hello");
    }

    #[test]
    fn a_route_template_is_interned_once() {
        let a = intern("/api/conversations/{id}");
        let b = intern(&String::from("/api/conversations/{id}"));
        assert!(std::ptr::eq(a, b));
    }
}
