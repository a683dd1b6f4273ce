//! Room names and the namespace broadcasts go through.

use socketioxide::SocketIo;
use socketioxide::adapter::Adapter;
use socketioxide::extract::SocketRef;
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

/// Puts the socket in `room` through the adapter (not only the local room map), so that a
/// cluster adapter on sharded Pub/Sub listens on the room's channel before the ack goes out.
pub(crate) async fn join_room<A: Adapter>(s: &SocketRef<A>, room: String) {
    if let Err(e) = s.local().join(room).await {
        tracing::warn!(error = %e, "joined the room on this node only");
    }
}
