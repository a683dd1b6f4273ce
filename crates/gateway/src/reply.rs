//! Answers to client events, through the ack callback when the client asked for one:
//! `{ ok: true, ...fields }` or the contract's error body (`confab_domain::error::wire`, the
//! same mapping REST uses). `events::dispatch` answers every event once; the only earlier
//! answer is `message:send`'s, sent at the commit, before the broadcast.

use std::convert::Infallible;
use std::sync::{Arc, Mutex, PoisonError};

use confab_domain::Error;
use confab_domain::error::wire::{self, Surface};
use serde::Serialize;
use serde_json::{Map, Value};
use socketioxide::adapter::Adapter;
use socketioxide::extract::AckSender;
use socketioxide::handler::{FromMessageParts, Value as SioValue};
use socketioxide::socket::Socket;

/// A handler's success: the ack's fields besides `ok: true`.
#[derive(Debug, Default)]
pub(crate) struct Reply(Map<String, Value>);

impl Reply {
    /// `{ ok: true }` and nothing else.
    pub(crate) fn done() -> Self {
        Self::default()
    }

    /// `fields` as the ack's fields. They must serialise to a JSON object: anything else is
    /// an internal error, answered as one (never an `{ ok: true }` without its data).
    pub(crate) fn of<T: Serialize + ?Sized>(fields: &T) -> Result<Self, Error> {
        match serde_json::to_value(fields) {
            Ok(Value::Object(map)) => Ok(Self(map)),
            Ok(other) => Err(Error::internal(format!(
                "an ack's fields serialised to {other:.40}, not an object"
            ))),
            Err(e) => Err(Error::internal(format!(
                "an ack could not be serialised: {e}"
            ))),
        }
    }
}

/// The ack of the event being handled: `None` once answered, or when the client did not
/// ask for one.
pub(crate) struct Ack<A: Adapter>(Mutex<Option<AckSender<A>>>);

impl<A: Adapter> FromMessageParts<A> for Ack<A> {
    type Error = Infallible;

    fn from_message_parts(
        s: &Arc<Socket<A>>,
        v: &mut SioValue,
        ack_id: &Option<i64>,
    ) -> Result<Self, Infallible> {
        let ack = AckSender::from_message_parts(s, v, ack_id)?;
        Ok(Self(Mutex::new(ack_id.is_some().then_some(ack))))
    }
}

impl<A: Adapter> Ack<A> {
    /// Answers the event with its outcome; only the first answer is sent.
    pub(crate) fn answer(&self, outcome: &Result<Reply, Error>) {
        let Some(ack) = self.0.lock().unwrap_or_else(PoisonError::into_inner).take() else {
            return;
        };
        let sent = match outcome {
            Ok(Reply(fields)) => ack.send(&Success { ok: true, fields }),
            Err(error) => ack.send(&wire::body(error, Surface::Socket)),
        };
        if let Err(e) = sent {
            tracing::debug!(error = %e, "could not send ack");
        }
    }
}

/// `{ ok: true, ...fields }`, serialised without copying the fields.
#[derive(Serialize)]
struct Success<'a> {
    ok: bool,
    #[serde(flatten)]
    fields: &'a Map<String, Value>,
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn fields_that_are_no_object_are_an_internal_error_not_an_empty_success() {
        assert_eq!(
            Reply::of(&json!([1, 2])).err().map(|e| e.code()),
            Some("internal_error")
        );
        let unserialisable = std::collections::BTreeMap::from([((1, 2), 3)]);
        assert_eq!(
            Reply::of(&unserialisable).err().map(|e| e.code()),
            Some("internal_error")
        );
        let reply = Reply::of(&json!({ "lastSeq": 3 })).map(|Reply(map)| map);
        assert_eq!(reply.ok(), json!({ "lastSeq": 3 }).as_object().cloned());
    }
}
