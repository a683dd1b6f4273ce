//! What every socket handler shares: the use cases, the settings, the presence and typing
//! stores, and each socket's authenticated identity.

use std::sync::Arc;

use confab_domain::ports::{AddressLimiter, Presence};
use confab_domain::{Identity, Services};
use socketioxide::SocketIo;
use socketioxide::adapter::Adapter;
use socketioxide::extract::SocketRef;

use crate::config::GatewayConfig;
use crate::typing::Typing;

/// What every socket handler shares: the Socket.IO server, the use cases, the settings,
/// presence, typing and the handshake allowance per address.
pub struct Hub<A: Adapter> {
    pub(crate) io: SocketIo<A>,
    pub(crate) services: Arc<Services>,
    pub(crate) config: GatewayConfig,
    pub(crate) presence: Arc<dyn Presence>,
    pub(crate) typing: Arc<Typing<A>>,
    /// The per-address allowance of failed handshakes (`None`: unlimited).
    pub(crate) address_limit: Option<Arc<dyn AddressLimiter>>,
}

impl<A: Adapter> Hub<A> {
    /// Records who the socket is (the handshake, once it verified the token).
    pub(crate) fn set_identity(s: &SocketRef<A>, identity: Arc<Identity>) {
        s.extensions.insert(identity);
    }

    /// The socket's authenticated user (`None` before the handshake accepted it).
    pub(crate) fn identity(s: &SocketRef<A>) -> Option<Arc<Identity>> {
        s.extensions.get::<Arc<Identity>>()
    }
}
