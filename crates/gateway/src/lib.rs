//! confab's Socket.IO gateway: the `/` namespace that official Socket.IO clients talk to.
//! Handshake authentication, the contract's client events (`join`, `leave`, `message:send`,
//! `typing:*`, `message:read`, `message:sync`), acks, presence and typing signals, and the
//! domain's notifier port (every stored change is fanned out to the conversation's room).
//!
//! Depends on the domain's use cases and on socketioxide; knows nothing of databases or HTTP
//! routes. Generic over the socketioxide adapter, so rooms span nodes when a cluster adapter
//! is plugged in.
//!
//! The files import one another in one direction, no loop: this file on top, then
//! `handshake`; `events` and `presence` below it; `hub`; `typing` and `notifier`; and at
//! the ground `reply`, `rooms`, `metrics`, `config`.

#![warn(missing_docs)]

mod config;
mod events;
mod handshake;
mod hub;
pub mod metrics;
mod notifier;
mod presence;
mod reply;
mod rooms;
mod trace;
mod typing;

use std::sync::Arc;

use confab_domain::Services;
use confab_domain::ports::{AddressLimiter, Presence, TypingState};
use socketioxide::SocketIo;
use socketioxide::adapter::Adapter;
use socketioxide_core::adapter::DefinedAdapter;

pub use config::GatewayConfig;
pub use events::ClientEvent;
#[doc(hidden)]
pub use events::check_payload;
pub use hub::Hub;
pub use notifier::SocketNotifier;
pub use rooms::{conversation_room, user_room};

/// The gateway's collaborators besides the use cases.
pub struct Stores {
    /// Who is online (in-process on a single node, Redis in a cluster).
    pub presence: Arc<dyn Presence>,
    /// Typing signals and their expiry (in-process or Redis).
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
    let typing = typing::Typing::new(
        io.clone(),
        services.clone(),
        stores.typing,
        config.typing_ttl,
    );
    let hub = Arc::new(Hub {
        io: io.clone(),
        services,
        config,
        presence: stores.presence,
        typing: Arc::new(typing),
        address_limit: stores.address_limit,
    });
    tokio::spawn(presence::maintain(Arc::downgrade(&hub)));
    let init = handshake::register(io, hub.clone());
    (hub, init)
}

/// Clean shutdown: forgets this node's sockets in the presence store and announces the
/// users who left with them. Call before closing the sockets.
pub async fn shutdown<A: Adapter>(hub: &Hub<A>) {
    presence::leave(hub).await;
}
