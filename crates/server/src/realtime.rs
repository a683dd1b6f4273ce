//! The Socket.IO side of a node, assembled the same way whatever the adapter: the
//! in-process one for a single node, the Redis one for a cluster.

use std::sync::Arc;

use axum::Router;
use confab_domain::Services;
use confab_domain::ports::Notifier;
use confab_gateway::{GatewayConfig, SocketNotifier, Stores};
use futures::future::BoxFuture;
use socketioxide::SocketIo;
use socketioxide::adapter::Adapter;
use socketioxide_core::adapter::DefinedAdapter;

/// Run at shutdown: announce this node's users gone, then close every socket.
pub type Closer = Box<dyn FnOnce() -> BoxFuture<'static, ()> + Send>;

pub struct Assembled<A: Adapter> {
    pub router: Router,
    pub services: Arc<Services>,
    pub closer: Closer,
    /// For a cluster adapter: resolves once the namespace is subscribed.
    pub init: A::InitRes,
}

/// Builds the Socket.IO layer on adapter `A`, the use cases (whose notifier broadcasts
/// through it), the `/` namespace, and the HTTP router with the layer mounted.
pub fn assemble<A: Adapter + DefinedAdapter>(
    gateway: GatewayConfig,
    adapter: A::State,
    stores: Stores,
    services: impl FnOnce(Arc<dyn Notifier>) -> Arc<Services>,
    http: impl FnOnce(Arc<Services>) -> Router,
) -> Assembled<A> {
    let (layer, io) = SocketIo::builder()
        .req_path("/socket.io")
        .ping_interval(gateway.ping_interval)
        .ping_timeout(gateway.ping_timeout)
        .connect_timeout(gateway.connect_timeout)
        .max_payload(gateway.max_payload)
        .with_adapter::<A>(adapter)
        .build_layer();
    let services = services(Arc::new(SocketNotifier::new(io.clone())));
    let (hub, init) = confab_gateway::register(&io, services.clone(), stores, gateway);
    let router = http(services.clone()).layer(layer);
    let closer: Closer = Box::new(move || {
        Box::pin(async move {
            hub.leave().await;
            io.close().await;
        })
    });
    Assembled {
        router,
        services,
        closer,
        init,
    }
}
