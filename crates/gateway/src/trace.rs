//! The connection's span: `socket.connection` (INFO) opens at the handshake and ends with the
//! socket; every event handler runs inside it, so each event's span and the database spans
//! under it share the connection's trace. A browser that sends W3C trace context, as
//! `auth.traceparent` (and `auth.tracestate`) or as the upgrade request's `traceparent`
//! header, has its trace continued: the span's parent is the browser's span. The context is
//! read through OpenTelemetry's global propagator, which the binary sets (W3C trace context);
//! with no trace exporter the span is a plain tracing span.

use confab_domain::ids::UserId;
use opentelemetry::propagation::Extractor;
use serde_json::Value;
use socketioxide::adapter::Adapter;
use socketioxide::extract::SocketRef;
use tracing_opentelemetry::OpenTelemetrySpanExt as _;

/// The span every handler of a socket runs in (kept in the socket's extensions).
#[derive(Clone, Debug)]
pub(crate) struct ConnectionSpan(pub(crate) tracing::Span);

/// Opens the connection's span, a child of the caller's remote span when it sent one.
pub(crate) fn connection_span<A: Adapter>(
    s: &SocketRef<A>,
    auth: Option<&Value>,
    user: UserId,
) -> tracing::Span {
    let span = tracing::info_span!(
        "socket.connection",
        otel.kind = "server",
        socket.id = %s.id,
        user.id = %user,
    );
    let field = |name: &str| auth.and_then(|a| a.get(name)).and_then(Value::as_str);
    let header = |name: &str| {
        s.req_parts()
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
    };
    let fields = match field("traceparent") {
        Some(traceparent) => TraceFields {
            traceparent: Some(traceparent),
            tracestate: field("tracestate"),
        },
        None => TraceFields {
            traceparent: header("traceparent"),
            tracestate: header("tracestate"),
        },
    };
    if fields.traceparent.is_some() {
        let remote = opentelemetry::global::get_text_map_propagator(|p| p.extract(&fields));
        // Without an OpenTelemetry layer (no exporter) there is no trace to continue.
        let _ = span.set_parent(remote);
    }
    span
}

/// The two W3C trace-context fields, from wherever the client put them.
struct TraceFields<'a> {
    traceparent: Option<&'a str>,
    tracestate: Option<&'a str>,
}

impl Extractor for TraceFields<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        match key {
            "traceparent" => self.traceparent,
            "tracestate" => self.tracestate,
            _ => None,
        }
    }

    fn keys(&self) -> Vec<&str> {
        vec!["traceparent", "tracestate"]
    }
}
