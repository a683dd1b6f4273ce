//! Presence: `user:online` when a user's first socket (on any node) connects, `user:offline`
//! when the last one has been gone for the grace period (a reconnect within it announces
//! nothing). Both go to the rooms of the conversations the user takes part in. The presence
//! store decides the transitions, so in a cluster each is announced once.

use std::sync::Arc;

use confab_domain::Identity;
use confab_domain::ids::UserId;
use serde_json::json;
use socketioxide::adapter::Adapter;
use socketioxide::extract::SocketRef;

use crate::hub::Hub;
use crate::rooms::{conversation_room, root, user_room};

/// Runs after the CONNECT ack.
pub(crate) async fn socket_connected<A: Adapter>(hub: &Arc<Hub<A>>, s: SocketRef<A>) {
    crate::metrics::connected(1.0);
    let Some(identity) = Hub::identity(&s) else {
        return;
    };
    let user = identity.user_id;
    let sid = s.id.to_string();
    let arrived = hub.presence.connect(user, &sid).await;
    if !s.connected() {
        // Gone before this handler ran: its disconnect handler found nothing to forget.
        if hub.presence.disconnect(user, &sid).await {
            schedule_offline(hub, user);
        }
        return;
    }
    if arrived {
        announce(hub, user, "user:online").await;
    }
}

/// Runs when a socket goes, whatever the reason.
pub(crate) async fn socket_disconnected<A: Adapter>(
    hub: &Arc<Hub<A>>,
    s: &SocketRef<A>,
    identity: &Identity,
) {
    crate::metrics::connected(-1.0);
    for room in s.rooms() {
        if let Some(conversation) = room
            .strip_prefix("conversation:")
            .and_then(|c| c.parse().ok())
        {
            hub.typing.stop(identity.user_id, conversation).await;
        }
    }
    if hub
        .presence
        .disconnect(identity.user_id, &s.id.to_string())
        .await
    {
        schedule_offline(hub, identity.user_id);
    }
}

fn schedule_offline<A: Adapter>(hub: &Arc<Hub<A>>, user: UserId) {
    let hub = hub.clone();
    tokio::spawn(async move {
        tokio::time::sleep(hub.config.offline_grace).await;
        if hub.presence.settle_offline(user).await {
            announce(&hub, user, "user:offline").await;
        }
    });
}

/// Periodic presence upkeep (node heartbeat, cleanup after dead nodes); announces the
/// departures it finds. Runs until the hub is dropped.
pub(crate) async fn maintain<A: Adapter>(hub: std::sync::Weak<Hub<A>>) {
    // First round at once: a node registers itself before it has any socket to lose.
    loop {
        let Some(upkeep) = hub.upgrade() else { return };
        for user in upkeep.presence.maintain().await {
            announce(&upkeep, user, "user:offline").await;
        }
        let interval = upkeep.config.presence_interval;
        drop(upkeep);
        tokio::time::sleep(interval).await;
    }
}

/// Forgets this node's sockets (clean shutdown) and announces who left with them.
pub(crate) async fn leave<A: Adapter>(hub: &Hub<A>) {
    for user in hub.presence.leave_cluster().await {
        announce(hub, user, "user:offline").await;
    }
}

async fn announce<A: Adapter>(hub: &Hub<A>, user: UserId, event: &'static str) {
    let conversations = match hub.services.conversations_of(user).await {
        Ok(list) => list,
        Err(e) => {
            tracing::warn!(%user, error = %e, "cannot announce presence: conversations unknown");
            return;
        }
    };
    if conversations.is_empty() {
        return;
    }
    let rooms: Vec<String> = conversations.iter().map(conversation_room).collect();
    let payload = json!({ "userId": user });
    let Some(root) = root(&hub.io) else {
        return; // shutting down: nobody left to tell
    };
    if let Err(e) = root
        .to(rooms)
        .except(user_room(user))
        .emit(event, &payload)
        .await
    {
        tracing::warn!(%user, event, error = %e, "presence broadcast failed");
    }
    crate::metrics::broadcast(event, 0);
}
