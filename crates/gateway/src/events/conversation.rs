//! `join`, `leave`, `typing:start`, `typing:stop`.

use confab_domain::{Error, Identity};
use serde_json::json;
use socketioxide::adapter::Adapter;
use socketioxide::extract::SocketRef;

use crate::events::request::ConversationRef;
use crate::hub::Hub;
use crate::reply::Reply;
use crate::rooms::{conversation_room, join_room};

/// Participants and admins join the room; the ack carries `lastSeq` for `message:sync`.
pub(crate) async fn join<A: Adapter>(
    hub: &Hub<A>,
    s: &SocketRef<A>,
    me: &Identity,
    ConversationRef { conversation_id }: ConversationRef,
) -> Result<Reply, Error> {
    let room = conversation_room(conversation_id);
    let cap = hub.config.rooms_per_socket;
    if cap > 0 {
        let rooms = s.rooms();
        let joined = rooms
            .iter()
            .filter(|r| r.starts_with("conversation:"))
            .count();
        if joined >= cap as usize && !rooms.iter().any(|r| *r == room) {
            return Err(Error::LimitReached {
                code: "too_many_rooms",
                message: format!("a socket joins at most {cap} conversations; leave one first"),
            });
        }
    }
    let conversation = hub.services.join(me, conversation_id).await?;
    join_room(s, room).await;
    let last_seq = conversation.last_seq;
    Reply::of(&json!({ "conversation": conversation, "lastSeq": last_seq }))
}

pub(crate) fn leave<A: Adapter>(
    s: &SocketRef<A>,
    ConversationRef { conversation_id }: ConversationRef,
) -> Result<Reply, Error> {
    s.leave(conversation_room(conversation_id));
    Ok(Reply::done())
}

/// Typing signals need the socket to have joined the room (no database round trip per
/// keystroke: joining already proved membership).
pub(crate) async fn typing<A: Adapter>(
    hub: &Hub<A>,
    s: &SocketRef<A>,
    me: &Identity,
    ConversationRef { conversation_id }: ConversationRef,
    start: bool,
) -> Result<Reply, Error> {
    let room = conversation_room(conversation_id);
    if !s.rooms().iter().any(|r| *r == room) {
        return Err(Error::Forbidden {
            code: "not_joined",
            message: "join the conversation before sending typing signals".into(),
        });
    }
    if start {
        hub.typing.start(me.user_id, conversation_id).await;
    } else {
        hub.typing.stop(me.user_id, conversation_id).await;
    }
    Ok(Reply::done())
}
