//! The handshake: every socket proves who it is before the namespace accepts it.
//!
//! The token comes from `auth.token`, else the `Authorization: Bearer` header, else the
//! `?token=` query parameter. Event handlers are registered here, in the connect middleware,
//! because socketioxide awaits middlewares before acking CONNECT; a handler registered in the
//! (later) connect handler would miss events a client emits in its `connect` callback.

use std::convert::Infallible;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use confab_domain::Error;
use confab_domain::logs::{Clip, LogGate};
use confab_domain::ports::ClientAddr;
use serde_json::Value;
use socketioxide::SocketIo;
use socketioxide::adapter::Adapter;
use socketioxide::extract::{Event, SocketRef, TryData};
use socketioxide::handler::{ConnectHandler, FromConnectParts, Value as SioValue};
use socketioxide::socket::DisconnectReason;
use socketioxide::socket::Socket;
use socketioxide_core::adapter::DefinedAdapter;

use crate::hub::Hub;
use crate::reply::Ack;
use crate::rooms::user_room;
use crate::{events, presence};

/// Why a handshake was refused. socketioxide sends only a `message` in `connect_error`
/// (no `data`), so the machine-readable code leads the message: `unauthorized: …`.
#[derive(Debug)]
pub(crate) struct HandshakeError {
    code: &'static str,
    message: String,
}

impl fmt::Display for HandshakeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl From<Error> for HandshakeError {
    fn from(error: Error) -> Self {
        crate::metrics::error(error.code());
        Self {
            code: error.code(),
            message: error.public_message(),
        }
    }
}

pub(crate) fn register<A: Adapter + DefinedAdapter>(
    io: &SocketIo<A>,
    hub: Arc<Hub<A>>,
) -> A::InitRes {
    let connected = {
        let hub = hub.clone();
        move |s: SocketRef<A>| {
            let hub = hub.clone();
            async move { presence::socket_connected(&hub, s).await }
        }
    };
    let middleware = move |s: SocketRef<A>, auth: AuthPayload| {
        let hub = hub.clone();
        async move { accept(hub, s, auth).await }
    };
    io.ns("/", connected.with(middleware))
}

/// The contract's bound on the handshake `auth` object, in bytes of its JSON text.
pub(crate) const MAX_AUTH_BYTES: usize = 8 * 1024;

/// The CONNECT packet's `auth` object. socketioxide hands it over as the raw JSON text;
/// its size is checked here before anything parses it, so a large `auth` costs no more
/// than its (Engine.IO-bounded) text.
pub(crate) enum AuthPayload {
    /// No `auth`, or not a JSON value (the token may still come from a header).
    Absent,
    Parsed(Value),
    /// Larger than [`MAX_AUTH_BYTES`] (the size it had).
    TooLarge(usize),
}

impl AuthPayload {
    fn of(raw: Option<&SioValue>, parse: impl FnOnce() -> Option<Value>) -> Self {
        let size = match raw {
            None => return Self::Absent,
            Some(SioValue::Str(text, binaries)) => {
                text.len() + binaries.iter().flatten().map(|b| b.len()).sum::<usize>()
            }
            Some(SioValue::Bytes(bytes)) => bytes.len(),
        };
        if size > MAX_AUTH_BYTES {
            return Self::TooLarge(size);
        }
        parse().map_or(Self::Absent, Self::Parsed)
    }
}

impl<A: Adapter> FromConnectParts<A> for AuthPayload {
    type Error = Infallible;

    fn from_connect_parts(s: &Arc<Socket<A>>, auth: &Option<SioValue>) -> Result<Self, Infallible> {
        Ok(Self::of(auth.as_ref(), || {
            let TryData(parsed) = TryData::<Value>::from_connect_parts(s, auth).ok()?;
            parsed.ok()
        }))
    }
}

async fn accept<A: Adapter>(
    hub: Arc<Hub<A>>,
    s: SocketRef<A>,
    auth: AuthPayload,
) -> Result<(), HandshakeError> {
    let auth = match auth {
        AuthPayload::TooLarge(size) => {
            tracing::debug!(size, "socket handshake refused: auth payload too large");
            return Err(Error::TooLarge(format!(
                "the handshake auth object is {size} bytes; at most {MAX_AUTH_BYTES} are accepted"
            ))
            .into());
        }
        AuthPayload::Parsed(value) => Some(value),
        AuthPayload::Absent => None,
    };
    let verified = match token(&s, auth.as_ref()) {
        Some(token) => hub.services.authenticate(&token).await,
        None => Err(Error::Unauthenticated(
            "no token: pass auth: { token }".into(),
        )),
    };
    let identity = match verified {
        Ok(identity) => Arc::new(identity),
        Err(error) => {
            // Anyone can knock: at most a few lines a second, the rest counted.
            static REFUSED: LogGate = LogGate::new(10, Duration::from_secs(1));
            if let Some(suppressed) = REFUSED.allow() {
                tracing::info!(code = error.code(), error = %Clip(&error), suppressed, "socket handshake refused");
            }
            if let Error::Unauthenticated(_) = error
                && let Some(wait) = charge_failure(&hub, &s)
            {
                crate::metrics::error("rate_limited");
                return Err(HandshakeError {
                    code: "rate_limited",
                    message: format!(
                        "too many failed sign-ins from this address; retry in {} s",
                        wait.as_secs().max(1)
                    ),
                });
            }
            return Err(error.into());
        }
    };
    let cap = hub.config.sockets_per_user;
    if cap > 0 && hub.io.within(user_room(identity.user_id)).sockets().len() >= cap as usize {
        tracing::info!(user = %identity.user_id, cap, "socket handshake refused: too many sockets");
        crate::metrics::error("too_many_sockets");
        return Err(HandshakeError {
            code: "too_many_sockets",
            message: format!("a user holds at most {cap} sockets on this node"),
        });
    }
    Hub::set_identity(&s, identity.clone());
    crate::rooms::join_room(&s, user_room(identity.user_id)).await;
    if let Some(expires_at) = identity.expires_at {
        s.extensions.insert(expire_at(&s, expires_at));
    }
    // The parent of the socket's event spans, for as long as the socket lives.
    let connection =
        tracing::info_span!("socket.connection", sid = %s.id, user = %identity.user_id);
    crate::trace::continue_trace(&connection, &s, auth.as_ref());
    connection.in_scope(|| tracing::info!(transport = ?s.transport_type(), "socket connected"));
    let on_event = {
        let hub = hub.clone();
        let identity = identity.clone();
        let connection = connection.clone();
        move |s: SocketRef<A>, Event(event): Event, TryData(data): TryData<Value>, ack: Ack<A>| {
            let hub = hub.clone();
            let identity = identity.clone();
            let connection = connection.clone();
            async move {
                let event = (event.as_str(), data.ok());
                events::dispatch(&hub, &s, &identity, &connection, event, ack).await;
            }
        }
    };
    s.on_fallback(on_event);
    s.on_disconnect(move |s: SocketRef<A>, reason: DisconnectReason| {
        let hub = hub.clone();
        let identity = identity.clone();
        if let Some(SessionTimer(timer)) = s.extensions.get::<SessionTimer>() {
            timer.abort();
        }
        connection.in_scope(|| match reason {
            // No pong in time, or the ping did not fit in a full outgoing queue: a client
            // that stopped reading (a slow consumer) ends here, its queue bounded.
            DisconnectReason::HeartbeatTimeout => tracing::info!(
                ?reason,
                "socket disconnected: no pong, or its outgoing queue stayed full (slow consumer); it recovers with message:sync"
            ),
            _ => tracing::info!(?reason, "socket disconnected"),
        });
        async move { presence::socket_disconnected(&hub, &s, &identity).await }
    });
    Ok(())
}

/// Charges a refused handshake to the client's address; how long it must wait when over.
fn charge_failure<A: Adapter>(hub: &Hub<A>, s: &SocketRef<A>) -> Option<std::time::Duration> {
    let limit = hub.address_limit.as_ref()?;
    let ClientAddr(addr) = *s.req_parts().extensions.get::<ClientAddr>()?;
    let wait = limit.failed(addr)?;
    metrics::counter!("confab_rate_limited_total", "limit" => "unauthenticated").increment(1);
    tracing::info!(client = %addr, ?wait, "too many failed handshakes from one address");
    Some(wait)
}

/// The task that ends a socket's session; aborted when the socket goes first.
#[derive(Clone)]
struct SessionTimer(tokio::task::AbortHandle);

/// At `expires_at` (Unix seconds: the token's `exp` plus the leeway) the socket is told
/// `session:expired` `{}` and disconnected; the client reconnects with a fresh token.
fn expire_at<A: Adapter>(s: &SocketRef<A>, expires_at: i64) -> SessionTimer {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let end = std::time::Duration::from_secs(u64::try_from(expires_at).unwrap_or(0));
    let left = end.saturating_sub(now);
    let socket = s.clone();
    let task = tokio::spawn(async move {
        tokio::time::sleep(left).await;
        if socket.connected() {
            tracing::debug!(sid = %socket.id, "session expired: disconnecting the socket");
            crate::metrics::session_expired();
            if let Err(e) = socket.emit("session:expired", &serde_json::json!({})) {
                tracing::debug!(sid = %socket.id, error = %e, "could not announce session:expired");
            }
            if let Err(e) = socket.disconnect() {
                tracing::debug!(error = %e, "could not disconnect an expired session");
            }
        }
    });
    SessionTimer(task.abort_handle())
}

/// The caller's token from the auth payload, the Authorization header or the query string.
fn token<A: Adapter>(s: &SocketRef<A>, auth: Option<&Value>) -> Option<String> {
    let from_auth = auth
        .and_then(|a| a.get("token"))
        .and_then(Value::as_str)
        .map(strip_bearer);
    let parts = s.req_parts();
    let from_header = || {
        let value = parts.headers.get(http_authorization())?.to_str().ok()?;
        let (scheme, token) = value.trim().split_once(' ')?;
        scheme
            .eq_ignore_ascii_case("bearer")
            .then(|| token.trim().to_owned())
    };
    let from_query = || {
        parts
            .uri
            .query()?
            .split('&')
            .find_map(|pair| pair.strip_prefix("token="))
            .map(percent_decode)
    };
    from_auth
        .or_else(from_header)
        .or_else(from_query)
        .filter(|t| !t.is_empty())
}

fn http_authorization() -> &'static str {
    "authorization"
}

fn strip_bearer(token: &str) -> String {
    let token = token.trim();
    match token.split_once(' ') {
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("bearer") => rest.trim().to_owned(),
        _ => token.to_owned(),
    }
}

/// JWTs are URL-safe already; decode `%XX` anyway for clients that escape everything.
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match (bytes[i], bytes.get(i + 1..i + 3)) {
            (b'%', Some(hex)) => match std::str::from_utf8(hex)
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok())
            {
                Some(byte) => {
                    out.push(byte);
                    i += 3;
                }
                None => {
                    out.push(b'%');
                    i += 1;
                }
            },
            (b'+', _) => {
                out.push(b' ');
                i += 1;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_prefixes_and_escapes_are_undone() {
        assert_eq!(strip_bearer("Bearer abc.def"), "abc.def");
        assert_eq!(strip_bearer("abc.def"), "abc.def");
        assert_eq!(percent_decode("a%2Eb%zz+c"), "a.b%zz c");
    }

    #[test]
    fn an_auth_payload_over_8_kib_is_refused_without_being_parsed() {
        let big = SioValue::Str(
            format!("{{\"token\":\"{}\"}}", "a".repeat(MAX_AUTH_BYTES)).into(),
            None,
        );
        let parsed = AuthPayload::of(Some(&big), || panic!("a too large auth must not be parsed"));
        assert!(matches!(parsed, AuthPayload::TooLarge(n) if n > MAX_AUTH_BYTES));
        let small = SioValue::Str("{\"token\":\"t\"}".into(), None);
        let parsed = AuthPayload::of(Some(&small), || Some(serde_json::json!({ "token": "t" })));
        assert!(matches!(parsed, AuthPayload::Parsed(_)));
        assert!(matches!(
            AuthPayload::of(None, || None),
            AuthPayload::Absent
        ));
    }

    #[test]
    fn refusals_lead_with_their_code() {
        let error = HandshakeError::from(Error::Unauthenticated("the token has expired".into()));
        assert_eq!(error.to_string(), "unauthorized: the token has expired");
    }
}
