//! The trace a socket's spans belong to. `socket.connection` (INFO, opened in the handshake)
//! is the parent of every `socket.event` span, so each event and the database spans under it
//! share the connection's trace. A browser that sends W3C trace context, as
//! `auth.traceparent` (and `auth.tracestate`) or as the upgrade request's `traceparent`
//! header, has its trace continued: the connection span's parent is the browser's span. The
//! context is read through OpenTelemetry's global propagator, which the binary sets (W3C trace
//! context); with no trace exporter the span is a plain tracing span.

use opentelemetry::propagation::Extractor;
use serde_json::Value;
use socketioxide::adapter::Adapter;
use socketioxide::extract::SocketRef;
use tracing_opentelemetry::OpenTelemetrySpanExt as _;

/// Makes the caller's remote span, when the handshake names one, the parent of `connection`.
pub(crate) fn continue_trace<A: Adapter>(
    connection: &tracing::Span,
    s: &SocketRef<A>,
    auth: Option<&Value>,
) {
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
        let _ = connection.set_parent(remote);
    }
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
