//! What every socket handler shares.

use std::sync::Arc;

use confab_domain::Services;
use confab_domain::ports::Presence;
use socketioxide::SocketIo;
use socketioxide::adapter::Adapter;

use crate::config::GatewayConfig;
use crate::presence::Announcer;
use crate::typing::Typing;

pub struct Hub<A: Adapter> {
    pub(crate) io: SocketIo<A>,
    pub(crate) services: Arc<Services>,
    pub(crate) config: GatewayConfig,
    pub(crate) presence: Announcer,
    pub(crate) typing: Typing,
}

impl<A: Adapter> Hub<A> {
    pub(crate) fn new(
        io: SocketIo<A>,
        services: Arc<Services>,
        presence: Arc<dyn Presence>,
        config: GatewayConfig,
    ) -> Self {
        Self {
            io,
            services,
            presence: Announcer::new(presence),
            typing: Typing::default(),
            config,
        }
    }

    pub fn services(&self) -> &Arc<Services> {
        &self.services
    }
}
