//! The gateway's Prometheus metrics, recorded through the `metrics` facade (the binary
//! installs the exporter).

use std::time::Duration;

/// Sockets connected to this node (gauge).
pub const SOCKETS_CONNECTED: &str = "confab_sockets_connected";
/// Client events received, by `event`.
pub const EVENTS_RECEIVED: &str = "confab_socket_events_received_total";
/// Client events handled, by `event` and `outcome` (`ok` or the error code).
pub const EVENTS_HANDLED: &str = "confab_socket_events_total";
/// Time from receiving a client event to having handled it, by `event`.
pub const EVENT_SECONDS: &str = "confab_socket_event_duration_seconds";
/// Messages stored and broadcast.
pub const MESSAGES_SENT: &str = "confab_messages_sent_total";
/// Broadcasts emitted, by `event`.
pub const BROADCASTS: &str = "confab_broadcasts_total";
/// Sockets on this node broadcasts were written to, by `event` (sampled).
pub const FANOUT: &str = "confab_broadcast_fanout_total";
/// Time from receiving `message:send` to acking it.
pub const SEND_ACK_SECONDS: &str = "confab_send_ack_seconds";
/// Failed socket events, by `code`.
pub const ERRORS: &str = "confab_errors_total";
/// Sockets disconnected because their token expired (`session:expired`).
pub const SESSIONS_EXPIRED: &str = "confab_sessions_expired_total";
/// Deliveries skipped because the socket's outgoing queue was full, by `event`.
pub const DROPPED: &str = "confab_socket_deliveries_dropped_total";
/// Time from a new message's `createdAt` to its `message:new` leaving this node.
pub const DELIVERY_SECONDS: &str = "confab_delivery_seconds";

/// Describes every metric (call once after installing a recorder).
pub fn describe() {
    metrics::describe_gauge!(
        SOCKETS_CONNECTED,
        "Socket.IO sockets connected to this node"
    );
    metrics::describe_counter!(EVENTS_RECEIVED, "Client events received, by event name");
    metrics::describe_counter!(
        EVENTS_HANDLED,
        "Client events handled, by event name and outcome (`ok` or the error code)"
    );
    metrics::describe_histogram!(
        EVENT_SECONDS,
        metrics::Unit::Seconds,
        "Time from receiving a client event to having handled it (ack sent, broadcasts emitted), by event name"
    );
    metrics::describe_counter!(MESSAGES_SENT, "Messages stored and broadcast");
    metrics::describe_counter!(BROADCASTS, "Broadcasts emitted, by event name");
    metrics::describe_counter!(
        FANOUT,
        "Sockets on this node broadcasts were written to, by event name (sampled: one broadcast in 16 is counted, times 16)"
    );
    metrics::describe_histogram!(
        SEND_ACK_SECONDS,
        metrics::Unit::Seconds,
        "Time from receiving message:send to acking it"
    );
    metrics::describe_counter!(ERRORS, "Failed socket events, by error code");
    metrics::describe_histogram!(
        DELIVERY_SECONDS,
        metrics::Unit::Seconds,
        "Time from a new message's createdAt to its message:new being handed to this node's sockets and the cluster adapter"
    );
    let _ = metrics::histogram!(DELIVERY_SECONDS);
    metrics::describe_counter!(
        DROPPED,
        "Broadcast deliveries skipped because the socket's outgoing queue was full (a slow consumer, closed at its next ping), by event name"
    );
    metrics::describe_counter!(
        SESSIONS_EXPIRED,
        "Sockets disconnected because their token expired (session:expired)"
    );
}

pub(crate) fn dropped(event: &'static str, sockets: usize) {
    metrics::counter!(DROPPED, "event" => event).increment(sockets as u64);
}

pub(crate) fn session_expired() {
    metrics::counter!(SESSIONS_EXPIRED).increment(1);
}

pub(crate) fn connected(delta: f64) {
    metrics::gauge!(SOCKETS_CONNECTED).increment(delta);
}

pub(crate) fn event(name: &'static str) {
    metrics::counter!(EVENTS_RECEIVED, "event" => name).increment(1);
}

/// One event handled: `event` is the contract name or `unknown`, `outcome` is `ok` or the
/// error code (both bounded sets, so the label sets stay small).
pub(crate) fn event_handled(event: &'static str, outcome: &'static str, took: Duration) {
    metrics::counter!(EVENTS_HANDLED, "event" => event, "outcome" => outcome).increment(1);
    metrics::histogram!(EVENT_SECONDS, "event" => event).record(took.as_secs_f64());
}

pub(crate) fn message_sent(ack_latency: Duration) {
    metrics::counter!(MESSAGES_SENT).increment(1);
    metrics::histogram!(SEND_ACK_SECONDS).record(ack_latency.as_secs_f64());
}

pub(crate) fn broadcast(event: &'static str, local_recipients: usize) {
    metrics::counter!(BROADCASTS, "event" => event).increment(1);
    metrics::counter!(FANOUT, "event" => event).increment(local_recipients as u64);
}

pub(crate) fn error(code: &'static str) {
    metrics::counter!(ERRORS, "code" => code).increment(1);
}

/// Records the delivery latency of a new message created at `created_at_micros` (Unix time).
pub(crate) fn delivered(created_at_micros: i64) {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX));
    let micros = now.saturating_sub(created_at_micros).max(0);
    metrics::histogram!(DELIVERY_SECONDS).record(micros as f64 / 1e6);
}
