//! confab's Socket.IO gateway: the `/` namespace that official Socket.IO clients talk to.
//! Handshake authentication, the contract's client events (`join`, `leave`, `message:send`,
//! `typing:*`, `message:read`, `message:sync`), acks, presence and typing signals, and the
//! domain's notifier port (every stored change is fanned out to the conversation's room).
//!
//! Depends on the domain's use cases and on socketioxide; knows nothing of databases or HTTP
//! routes. Generic over the socketioxide adapter, so rooms span nodes when a cluster adapter
//! is plugged in.

mod config;
mod events;
mod handshake;
mod hub;
pub mod metrics;
mod notifier;
mod presence;
mod reply;
mod trace;
mod typing;

use std::sync::Arc;

use confab_domain::Services;
use confab_domain::ports::{AddressLimiter, Presence, TypingState};
use socketioxide::SocketIo;
use socketioxide::adapter::Adapter;
use socketioxide_core::adapter::DefinedAdapter;

pub use config::GatewayConfig;
#[doc(hidden)]
pub use events::check_payload;
pub use hub::Hub;
pub use notifier::SocketNotifier;

/// Room of every socket of a user.
pub fn user_room(user: impl std::fmt::Display) -> String {
    format!("user:{user}")
}

/// Room of a joined conversation.
pub fn conversation_room(conversation: impl std::fmt::Display) -> String {
    format!("conversation:{conversation}")
}

/// The gateway's collaborators besides the use cases.
pub struct Stores {
    pub presence: Arc<dyn Presence>,
    pub typing: Arc<dyn TypingState>,
    /// The per-address allowance of failed handshakes (`None`: unlimited).
    pub address_limit: Option<Arc<dyn AddressLimiter>>,
}

/// Registers the `/` namespace on `io` and starts presence upkeep. Call after the services
/// (which hold this gateway's notifier) are built. For a cluster adapter, await the returned
/// `InitRes` (it subscribes to the cluster).
pub fn register<A: Adapter + DefinedAdapter>(
    io: &SocketIo<A>,
    services: Arc<Services>,
    stores: Stores,
    config: GatewayConfig,
) -> (Arc<Hub<A>>, A::InitRes) {
    let hub = Arc::new(Hub {
        io: io.clone(),
        services,
        config,
        presence: stores.presence,
        typing: stores.typing,
        address_limit: stores.address_limit,
        typing_flushes: Default::default(),
    });
    tokio::spawn(presence::maintain(Arc::downgrade(&hub)));
    let init = handshake::register(io, hub.clone());
    (hub, init)
}

/// The default namespace's broadcast operators, or `None` once `SocketIo::close` has removed
/// it: a broadcast that comes late during shutdown (an offline grace ending, a typing expiry)
/// has nobody left to reach, and socketioxide's `io.to(..)` would panic.
pub(crate) fn root<A: socketioxide::adapter::Adapter>(
    io: &socketioxide::SocketIo<A>,
) -> Option<socketioxide::operators::BroadcastOperators<A>> {
    io.of("/")
}
