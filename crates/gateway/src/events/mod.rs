//! The contract's client events: [`dispatch`] decodes each into a typed [`Request`], runs its
//! handler and answers the ack once, then logs, counts and times it. Handlers return
//! `Result<Reply, Error>` and never disconnect the socket for bad input.

mod conversation;
mod message;
mod read;
mod request;

use std::time::Instant;

use confab_domain::error::wire;
use confab_domain::ids::ConversationId;
use confab_domain::logs::Clip;
use confab_domain::{Error, Identity};
use serde_json::Value;
use socketioxide::adapter::Adapter;
use socketioxide::extract::SocketRef;
use tracing::{Instrument, Span, field};

pub use request::ClientEvent;
use request::Request;

use crate::hub::Hub;
use crate::reply::{Ack, Reply};

/// Handles one event from `me` on socket `s`, inside a `socket.event` span under the
/// connection's span: the one place every event passes. Logs one INFO line per event
/// (event, conversationId when known, outcome code, latency) and records its metrics.
pub(crate) async fn dispatch<A: Adapter>(
    hub: &Hub<A>,
    s: &SocketRef<A>,
    me: &Identity,
    connection: &Span,
    (name, data): (&str, Option<Value>),
    ack: Ack<A>,
) {
    let received = Instant::now();
    let event = name.parse::<ClientEvent>();
    let label = event.as_ref().map_or("unknown", |e| e.as_str());
    crate::metrics::event(label);
    let span = tracing::info_span!(parent: connection, "socket.event", event = label, conversation_id = field::Empty);
    let request = event.and_then(|event| Request::decode(event, data, hub.config.sync_max));
    let conversation = request.as_ref().ok().and_then(Request::conversation_id);
    if let Some(id) = conversation {
        span.record("conversation_id", field::display(id));
    }
    let outcome = match request {
        Ok(request) => {
            handle(hub, s, me, request, &ack, received)
                .instrument(span.clone())
                .await
        }
        Err(error) => Err(error),
    };
    ack.answer(&outcome);
    span.in_scope(|| finish(name, conversation, &outcome, label, received));
}

async fn handle<A: Adapter>(
    hub: &Hub<A>,
    s: &SocketRef<A>,
    me: &Identity,
    request: Request,
    ack: &Ack<A>,
    received: Instant,
) -> Result<Reply, Error> {
    match request {
        Request::Join(p) => conversation::join(hub, s, me, p).await,
        Request::Leave(p) => conversation::leave(s, p),
        Request::Send(p) => message::send(hub, me, p, ack, received).await,
        Request::Typing(p, start) => conversation::typing(hub, s, me, p, start).await,
        Request::Read(p) => read::read(hub, me, p).await,
        Request::Sync(p) => read::sync(hub, me, p).await,
    }
}

/// The event's log line and metrics; a failure's cause is logged here, once.
fn finish(
    name: &str,
    conversation: Option<ConversationId>,
    outcome: &Result<Reply, Error>,
    label: &'static str,
    received: Instant,
) {
    let code = match outcome {
        Ok(_) => "ok",
        Err(error) => {
            wire::report(error, "socket event");
            crate::metrics::error(error.code());
            error.code()
        }
    };
    let elapsed = received.elapsed();
    crate::metrics::event_handled(label, code, elapsed);
    tracing::info!(
        event = %Clip(name),
        conversation_id = conversation.map(field::display),
        outcome = code,
        latency_ms = elapsed.as_secs_f64() * 1000.0,
        "socket event"
    );
}

/// The checks an event's payload goes through before any IO: its decoding (the same as
/// [`dispatch`]'s) and, for `message:send`, the message's own validation, which the use case
/// runs first. A pure function for the fuzz target (`fuzz/fuzz_targets/socket_event.rs`);
/// the server does not call it.
#[doc(hidden)]
pub fn check_payload(event: &str, data: Option<Value>, sync_max: u32) -> Result<(), Error> {
    match Request::decode(event.parse()?, data, sync_max)? {
        Request::Send(send) => send.message.parse().map(drop),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::{ClientEvent, check_payload};

    const ID: &str = "0192f0c1-7b7a-7cc3-9a4e-3f1c2d4b5a60";

    fn code(event: &str, data: serde_json::Value) -> &'static str {
        match check_payload(event, Some(data), 500) {
            Ok(()) => "ok",
            Err(e) => e.code(),
        }
    }

    #[test]
    fn every_contract_event_parses_from_its_name_and_nothing_else_does() {
        let names: Vec<_> = ClientEvent::ALL.iter().map(|e| e.as_str()).collect();
        assert_eq!(
            names,
            [
                "join",
                "leave",
                "message:send",
                "typing:start",
                "typing:stop",
                "message:read",
                "message:sync"
            ]
        );
        for event in ClientEvent::ALL {
            assert_eq!(event.as_str().parse::<ClientEvent>().ok(), Some(*event));
        }
        let unknown = "x".repeat(10_000).parse::<ClientEvent>().err();
        assert_eq!(
            unknown.as_ref().map(|e| e.code()),
            Some("validation_failed")
        );
        assert!(unknown.is_some_and(|e| e.to_string().len() < 300));
        assert!("Join".parse::<ClientEvent>().is_err());
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

    #[test]
    fn a_field_that_does_not_decode_is_named() {
        let error = check_payload("join", Some(json!({ "conversationId": "nope" })), 500).err();
        assert_eq!(
            error.map(|e| e.to_string()),
            Some("conversationId: must be a UUID".to_owned())
        );
        let error = check_payload("message:read", Some(json!({ "messageId": 7 })), 500).err();
        assert!(error.is_some_and(|e| e.to_string().starts_with("messageId: invalid type")),);
    }
}
