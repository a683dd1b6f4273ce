//! Answers to client events: `{ ok: true, ... }` or `{ error: { code, message } }` through
//! the ack callback when the client asked for one. Failures are logged either way, so an
//! event sent without a callback never fails silently.

use std::convert::Infallible;
use std::sync::Arc;

use std::time::Duration;

use confab_domain::Error;
use confab_domain::logs::{Clip, LogGate};
use confab_domain::{gated_error, gated_warn};
use serde::Serialize;
use serde_json::{Value, json};
use socketioxide::adapter::Adapter;
use socketioxide::extract::AckSender;
use socketioxide::handler::{FromMessageParts, Value as SioValue};
use socketioxide::socket::Socket;

/// The ack of the event being handled, and whether the client is waiting for it.
pub struct Reply<A: Adapter> {
    ack: AckSender<A>,
    wants_ack: bool,
}

impl<A: Adapter> FromMessageParts<A> for Reply<A> {
    type Error = Infallible;

    fn from_message_parts(
        s: &Arc<Socket<A>>,
        v: &mut SioValue,
        ack_id: &Option<i64>,
    ) -> Result<Self, Infallible> {
        let ack = AckSender::from_message_parts(s, v, ack_id)?;
        Ok(Self {
            ack,
            wants_ack: ack_id.is_some(),
        })
    }
}

/// The error payload of the contract (`retryAfterMs` for rate limits).
pub fn error_body(error: &Error) -> Value {
    let mut body = json!({ "code": error.code(), "message": error.public_message() });
    if let Error::RateLimited { retry_after, .. } = error {
        body["retryAfterMs"] = json!(u64::try_from(retry_after.as_millis()).unwrap_or(u64::MAX));
    }
    if let Error::Validation {
        details: Some(details),
        ..
    } = error
    {
        body["details"] = details.clone();
    }
    json!({ "error": body })
}

impl<A: Adapter> Reply<A> {
    /// Sends `{ ok: true, ..fields }`; `fields` must serialise to an object.
    pub fn ok<T: Serialize>(self, fields: &T) {
        if !self.wants_ack {
            return;
        }
        let mut body = serde_json::to_value(fields).unwrap_or_else(|_| json!({}));
        if let Value::Object(map) = &mut body {
            map.insert("ok".into(), Value::Bool(true));
        } else {
            body = json!({ "ok": true });
        }
        if let Err(e) = self.ack.send(&body) {
            tracing::debug!(error = %e, "could not send ack");
        }
    }

    /// Sends `{ ok: true }`.
    pub fn done(self) {
        self.ok(&json!({}));
    }

    /// Logs the failure and answers it. A client's mistake (bad payload, unknown event,
    /// refusal) is logged at DEBUG: clients can send those at will. Failures of ours are
    /// logged at WARN/ERROR, rate-limited, since a client can provoke them at will too.
    /// Client-controlled text (the event name, messages quoting the payload) is clipped.
    pub fn fail(self, event: &str, error: &Error) {
        static INTERNAL: LogGate = LogGate::new(20, Duration::from_secs(1));
        static UNAVAILABLE: LogGate = LogGate::new(5, Duration::from_secs(1));
        crate::metrics::error(error.code());
        let event = Clip(event);
        match error {
            Error::Internal(cause) => {
                gated_error!(INTERNAL, %event, cause = %Clip(cause), "socket event failed")
            }
            Error::Unavailable(cause) => {
                gated_warn!(UNAVAILABLE, %event, cause = %Clip(cause), "socket event failed: dependency unavailable")
            }
            other => {
                tracing::debug!(%event, code = other.code(), error = %Clip(other), wants_ack = self.wants_ack, "socket event refused")
            }
        }
        if self.wants_ack
            && let Err(e) = self.ack.send(&error_body(error))
        {
            tracing::debug!(error = %e, "could not send error ack");
        }
    }
}
