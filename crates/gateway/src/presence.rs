//! Presence: `user:online` when a user's first socket connects, `user:offline` when the last
//! one has been gone for the grace period (a reconnect within it announces nothing).
//! Both go to the rooms of the conversations the user takes part in.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, PoisonError};

use confab_domain::Identity;
use confab_domain::ids::UserId;
use confab_domain::ports::Presence;
use serde_json::json;
use socketioxide::adapter::Adapter;
use socketioxide::extract::SocketRef;
use socketioxide::socket::DisconnectReason;

use crate::handshake::identity;
use crate::hub::Hub;
use crate::{conversation_room, user_room};

/// The presence store plus which users this node has announced online.
pub struct Announcer {
    pub(crate) store: Arc<dyn Presence>,
    announced: Mutex<HashSet<UserId>>,
}

impl Announcer {
    pub(crate) fn new(store: Arc<dyn Presence>) -> Self {
        Self {
            store,
            announced: Mutex::new(HashSet::new()),
        }
    }

    /// `true` when `user` was not announced yet (and now is).
    fn mark(&self, user: UserId) -> bool {
        self.announced
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(user)
    }

    fn unmark(&self, user: UserId) -> bool {
        self.announced
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&user)
    }
}

/// Runs after the CONNECT ack.
pub(crate) async fn socket_connected<A: Adapter>(hub: &Arc<Hub<A>>, s: SocketRef<A>) {
    crate::metrics::connected(1.0);
    let Some(identity) = identity(&s) else { return };
    let user = identity.user_id;
    let sid = s.id.to_string();
    hub.presence.store.connect(user, &sid).await;
    if !s.connected() {
        // Gone before this handler ran: its disconnect handler may have found nothing to do.
        if hub.presence.store.disconnect(user, &sid).await {
            schedule_offline(hub, user);
        }
        return;
    }
    if hub.presence.mark(user) {
        announce(hub, user, "user:online").await;
    }
}

/// Runs when a socket goes, whatever the reason.
pub(crate) async fn socket_disconnected<A: Adapter>(
    hub: &Arc<Hub<A>>,
    s: &SocketRef<A>,
    identity: &Identity,
    reason: DisconnectReason,
) {
    crate::metrics::connected(-1.0);
    tracing::debug!(sid = %s.id, user = %identity.user_id, ?reason, "socket disconnected");
    for room in s.rooms() {
        if let Some(conversation) = room
            .strip_prefix("conversation:")
            .and_then(|c| c.parse().ok())
        {
            crate::typing::stop(hub, identity.user_id, conversation).await;
        }
    }
    if hub
        .presence
        .store
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
        if !hub.presence.store.is_online(user).await && hub.presence.unmark(user) {
            announce(&hub, user, "user:offline").await;
        }
    });
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
    if let Err(e) = hub
        .io
        .to(rooms)
        .except(user_room(user))
        .emit(event, &payload)
        .await
    {
        tracing::warn!(%user, event, error = %e, "presence broadcast failed");
    }
    crate::metrics::broadcast(event, 0);
}
