//! The Socket.IO side of a node, assembled the same way whatever the adapter: the
//! in-process one for a single node, the Redis one for a cluster.

use std::sync::Arc;

use axum::Router;
use axum::extract::{OriginalUri, Request};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Uri};
use confab_domain::Services;
use confab_domain::ports::Notifier;
use confab_gateway::{GatewayConfig, SocketNotifier, Stores};
use futures::future::BoxFuture;
use socketioxide::SocketIo;
use socketioxide::adapter::Adapter;
use socketioxide_core::adapter::DefinedAdapter;

/// Run at shutdown: announce this node's users gone, then close every socket.
pub type Closer = Box<dyn FnOnce() -> BoxFuture<'static, ()> + Send>;

/// What [`assemble`] builds: the HTTP router with Socket.IO mounted, the use cases, and the
/// shutdown hook.
pub struct Assembled<A: Adapter> {
    /// The HTTP routes with the Socket.IO layer (`/socket.io`) mounted.
    pub router: Router,
    /// The use cases, their notifier broadcasting through this node's Socket.IO.
    pub services: Arc<Services>,
    /// Run once at shutdown (see [`Closer`]).
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
    let ws_max = usize::try_from(gateway.max_payload).unwrap_or(usize::MAX);
    let (layer, io) = SocketIo::builder()
        .req_path("/socket.io")
        .ping_interval(gateway.ping_interval)
        .ping_timeout(gateway.ping_timeout)
        .connect_timeout(gateway.connect_timeout)
        .max_payload(gateway.max_payload)
        // engineioxide bounds websocket messages separately (64 MiB by default): the same
        // bound as polling, so a pre-login packet cannot cost more memory over websocket.
        .ws_max_message_size(ws_max)
        .ws_max_frame_size(ws_max)
        .ws_read_buffer_size(gateway.ws_read_buffer)
        // A bounded queue per socket: a slow consumer costs at most this many packets, then
        // misses broadcasts and is closed at its next ping (see `GatewayConfig`).
        .max_buffer_size(gateway.max_buffer_size.max(1))
        .with_adapter::<A>(adapter)
        .build_layer();
    let services = services(Arc::new(SocketNotifier::new(io.clone())));
    let (hub, init) = confab_gateway::register(&io, services.clone(), stores, gateway);
    let router = http(services.clone())
        .layer(layer)
        .layer(axum::middleware::map_request(detach_request_head));
    let closer: Closer = Box::new(move || {
        Box::pin(async move {
            confab_gateway::shutdown(&hub).await;
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

/// Socket.IO keeps each connection's request head (`SocketRef::req_parts`) for the socket's
/// whole life. hyper parses the URI and header values as slices of its read buffer, so a kept
/// head pins that buffer (8-16 KiB) per connection. Copying them into allocations of their own
/// lets the buffer go (docs/performance.md has the measurement).
async fn detach_request_head(mut req: Request) -> Request {
    if !req.uri().path().starts_with("/socket.io") {
        return req;
    }
    let mut headers = HeaderMap::with_capacity(req.headers().len());
    for (name, value) in req.headers() {
        let owned = (
            HeaderName::from_bytes(name.as_str().as_bytes()),
            HeaderValue::from_bytes(value.as_bytes()),
        );
        if let (Ok(name), Ok(mut copy)) = owned {
            copy.set_sensitive(value.is_sensitive());
            headers.append(name, copy);
        }
    }
    *req.headers_mut() = headers;
    if let Ok(uri) = Uri::try_from(req.uri().to_string()) {
        // axum's router keeps a clone of the original URI in the extensions, which the
        // kept head clones too.
        if req.extensions().get::<OriginalUri>().is_some() {
            req.extensions_mut().insert(OriginalUri(uri.clone()));
        }
        *req.uri_mut() = uri;
    }
    req
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_request_head_is_copied_not_changed() {
        let req = Request::builder()
            .uri("/socket.io/?EIO=4&transport=websocket&token=a%2Eb")
            .header("authorization", "Bearer abc")
            .header("x-custom", "1")
            .header("x-custom", "2")
            .body(axum::body::Body::empty())
            .unwrap_or_default();
        let copied = detach_request_head(req).await;
        assert_eq!(
            copied.uri(),
            "/socket.io/?EIO=4&transport=websocket&token=a%2Eb"
        );
        assert_eq!(copied.headers()["authorization"], "Bearer abc");
        let custom: Vec<_> = copied.headers().get_all("x-custom").iter().collect();
        assert_eq!(custom, ["1", "2"]);
    }
}
