//! Room names and the namespace broadcasts go through.

use socketioxide::SocketIo;
use socketioxide::adapter::Adapter;
use socketioxide::operators::BroadcastOperators;

/// Room of every socket of a user.
pub fn user_room(user: impl std::fmt::Display) -> String {
    format!("user:{user}")
}

/// Room of a joined conversation.
pub fn conversation_room(conversation: impl std::fmt::Display) -> String {
    format!("conversation:{conversation}")
}

/// The default namespace's broadcast operators, or `None` once `SocketIo::close` has removed
/// it: a broadcast that comes late during shutdown (an offline grace ending, a typing expiry)
/// has nobody left to reach, and socketioxide's `io.to(..)` would panic.
pub(crate) fn root<A: Adapter>(io: &SocketIo<A>) -> Option<BroadcastOperators<A>> {
    io.of("/")
}
