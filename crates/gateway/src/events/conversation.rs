//! `join`, `leave`, `typing:start`, `typing:stop`.

use std::sync::Arc;

use confab_domain::ids::ConversationId;
use confab_domain::{Error, Identity};
use serde::Deserialize;
use serde_json::{Value, json};
use socketioxide::adapter::Adapter;
use socketioxide::extract::SocketRef;

use super::{Outcome, payload};
use crate::conversation_room;
use crate::hub::Hub;
use crate::reply::Reply;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ConversationRef {
    conversation_id: String,
}

pub(super) fn conversation_id(data: Option<Value>) -> Result<ConversationId, Error> {
    let ConversationRef { conversation_id } = payload(data)?;
    conversation_id
        .parse()
        .map_err(|_| Error::validation("conversationId: must be a UUID"))
}

/// Participants and admins join the room; the ack carries `lastSeq` for `message:sync`.
pub(crate) async fn join<A: Adapter>(
    hub: &Arc<Hub<A>>,
    s: &SocketRef<A>,
    me: &Identity,
    data: Option<Value>,
    reply: Reply<A>,
) -> Outcome<A> {
    let id = match conversation_id(data) {
        Ok(id) => id,
        Err(e) => return Err((e, reply)),
    };
    let room = conversation_room(id);
    let cap = hub.config.rooms_per_socket;
    if cap > 0 {
        let rooms = s.rooms();
        let joined = rooms
            .iter()
            .filter(|r| r.starts_with("conversation:"))
            .count();
        if joined >= cap as usize && !rooms.iter().any(|r| *r == room) {
            let error = Error::LimitReached {
                code: "too_many_rooms",
                message: format!("a socket joins at most {cap} conversations; leave one first"),
            };
            return Err((error, reply));
        }
    }
    match hub.services.join(me, id).await {
        Ok(conversation) => {
            s.join(conversation_room(id));
            let last_seq = conversation.last_seq;
            reply.ok(&json!({ "conversation": conversation, "lastSeq": last_seq }));
            Ok(())
        }
        Err(e) => Err((e, reply)),
    }
}

pub(crate) fn leave<A: Adapter>(
    s: &SocketRef<A>,
    data: Option<Value>,
    reply: Reply<A>,
) -> Outcome<A> {
    match conversation_id(data) {
        Ok(id) => {
            s.leave(conversation_room(id));
            reply.done();
            Ok(())
        }
        Err(e) => Err((e, reply)),
    }
}

/// Typing signals need the socket to have joined the room (no database round trip per
/// keystroke: joining already proved membership).
pub(crate) async fn typing<A: Adapter>(
    hub: &Arc<Hub<A>>,
    s: &SocketRef<A>,
    me: &Identity,
    data: Option<Value>,
    reply: Reply<A>,
    start: bool,
) -> Outcome<A> {
    let id = match conversation_id(data) {
        Ok(id) => id,
        Err(e) => return Err((e, reply)),
    };
    let room = conversation_room(id);
    if !s.rooms().iter().any(|r| *r == room) {
        let error = Error::Forbidden {
            code: "not_joined",
            message: "join the conversation before sending typing signals".into(),
        };
        return Err((error, reply));
    }
    if start {
        crate::typing::start(hub, me.user_id, id).await;
    } else {
        crate::typing::stop(hub, me.user_id, id).await;
    }
    reply.done();
    Ok(())
}
