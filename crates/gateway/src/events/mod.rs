//! The contract's client events, dispatched by name. Every handler answers through the ack
//! (when the client gave one) and never disconnects the socket for bad input.

mod conversation;
mod message;
mod read;

use std::sync::Arc;
use std::time::Instant;

use confab_domain::logs::{Clip, clip};
use confab_domain::{Error, Identity};
use serde::de::DeserializeOwned;
use serde_json::Value;
use socketioxide::adapter::Adapter;
use socketioxide::extract::SocketRef;

use crate::hub::Hub;
use crate::reply::Reply;

/// The events clients may send, as `&'static str` for metric labels.
const EVENTS: &[&str] = &[
    "join",
    "leave",
    "message:send",
    "typing:start",
    "typing:stop",
    "message:read",
    "message:sync",
];

pub(crate) async fn dispatch<A: Adapter>(
    hub: &Arc<Hub<A>>,
    s: &SocketRef<A>,
    me: &Identity,
    event: &str,
    data: Option<Value>,
    reply: Reply<A>,
) {
    let received = Instant::now();
    let Some(name) = EVENTS.iter().copied().find(|e| *e == event) else {
        crate::metrics::event("unknown");
        let error = Error::validation(format!("unknown event {:?}", clip(event)));
        return reply.fail(event, &error);
    };
    crate::metrics::event(name);
    let result = match name {
        "join" => conversation::join(hub, s, me, data, reply).await,
        "leave" => conversation::leave(s, data, reply),
        "message:send" => message::send(hub, me, data, reply, received).await,
        "typing:start" => conversation::typing(hub, s, me, data, reply, true).await,
        "typing:stop" => conversation::typing(hub, s, me, data, reply, false).await,
        "message:read" => read::read(hub, me, data, reply).await,
        "message:sync" => read::sync(hub, me, data, reply).await,
        _ => return,
    };
    if let Err((error, reply)) = result {
        reply.fail(name, &error);
    }
}

/// The checks an event's payload goes through before any IO: its shape (the same decoding as
/// the handlers) and, for `message:send`, the message's own validation, which the use case runs
/// first. Unknown events are refused as [`dispatch`] refuses them. A pure function for the fuzz
/// target (`fuzz/fuzz_targets/socket_event.rs`); the server does not call it.
#[doc(hidden)]
pub fn check_payload(event: &str, data: Option<Value>, sync_max: u32) -> Result<(), Error> {
    match event {
        "join" | "leave" | "typing:start" | "typing:stop" => {
            conversation::conversation_id(data).map(drop)
        }
        "message:send" => message::decode(data).and_then(|(_, input)| input.parse().map(drop)),
        "message:read" => read::decode_read(data).map(drop),
        "message:sync" => read::decode_sync(data, sync_max).map(drop),
        other => Err(Error::validation(format!("unknown event {other:?}"))),
    }
}

/// A handler's failure, with the reply it still has to send.
pub(crate) type Outcome<A> = Result<(), (Error, Reply<A>)>;

/// Decodes an event's payload, turning shape errors into validation errors.
pub(crate) fn payload<T: DeserializeOwned>(data: Option<Value>) -> Result<T, Error> {
    let value = data.ok_or_else(|| Error::validation("missing payload object"))?;
    serde_json::from_value(value)
        .map_err(|e| Error::validation(format!("invalid payload: {}", Clip(e))))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::check_payload;

    const ID: &str = "0192f0c1-7b7a-7cc3-9a4e-3f1c2d4b5a60";

    fn code(event: &str, data: serde_json::Value) -> &'static str {
        match check_payload(event, Some(data), 500) {
            Ok(()) => "ok",
            Err(e) => e.code(),
        }
    }

    #[test]
    fn well_formed_payloads_pass_the_checks() {
        assert_eq!(code("join", json!({ "conversationId": ID })), "ok");
        assert_eq!(
            code(
                "message:send",
                json!({ "conversationId": ID, "content": "hi", "type": "text" })
            ),
            "ok"
        );
        assert_eq!(code("message:read", json!({ "messageId": ID })), "ok");
        assert_eq!(
            code(
                "message:sync",
                json!({ "conversationId": ID, "afterSeq": 3, "limit": 500 })
            ),
            "ok"
        );
    }

    #[test]
    fn what_the_handlers_refuse_the_checks_refuse() {
        let invalid = code("join", json!({ "conversationId": "nope" }));
        assert_eq!(code("typing:start", json!({})), invalid);
        assert_eq!(
            code(
                "message:send",
                json!({ "conversationId": ID, "content": "" })
            ),
            invalid
        );
        assert_eq!(
            code(
                "message:sync",
                json!({ "conversationId": ID, "limit": 501 })
            ),
            invalid
        );
        assert_eq!(
            code(
                "message:sync",
                json!({ "conversationId": ID, "afterSeq": -1 })
            ),
            invalid
        );
        assert_eq!(code("no:such:event", json!({})), invalid);
        assert_eq!(
            check_payload("leave", None, 500).err().map(|e| e.code()),
            Some(invalid)
        );
        assert_ne!(invalid, "ok");
    }
}
