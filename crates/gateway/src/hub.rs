//! What every socket handler shares.

use std::sync::Arc;

use confab_domain::Services;
use confab_domain::ports::{AddressLimiter, Presence, TypingState};
use socketioxide::SocketIo;
use socketioxide::adapter::Adapter;

use crate::config::GatewayConfig;

pub struct Hub<A: Adapter> {
    pub(crate) io: SocketIo<A>,
    pub(crate) services: Arc<Services>,
    pub(crate) config: GatewayConfig,
    pub(crate) presence: Arc<dyn Presence>,
    pub(crate) typing: Arc<dyn TypingState>,
    pub(crate) address_limit: Option<Arc<dyn AddressLimiter>>,
    /// Typing broadcasts held back by the 2 s allowance, one pending flush each.
    pub(crate) typing_flushes: crate::typing::Flushes,
}

impl<A: Adapter> Hub<A> {
    pub fn services(&self) -> &Arc<Services> {
        &self.services
    }

    /// Clean shutdown: forgets this node's sockets in the presence store and announces the
    /// users who left with them. Call before closing the sockets.
    pub async fn leave(&self) {
        crate::presence::leave(self).await;
    }
}
