//! The stub driver: an in-process pub/sub with the delivery rules the adapter relies on in
//! Redis (every subscriber of a channel or matching pattern gets each message, the sender's
//! own connection included; one node's messages arrive in the order they were published;
//! `numsub` counts the connections subscribed to a channel). Several [`MemoryDriver`]s on one
//! [`MemoryBus`] are several nodes, so the adapter's logic (requests, answers, server-side
//! emits, what goes on which channel) is tested here without a Redis server. What only Redis
//! has (reconnection, outages, pipelining) is tested against real Redis in `tests/cluster`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::Duration;

use async_trait::async_trait;
use tokio::sync::mpsc;

use crate::driver::{Driver, Inbox, Route};
use crate::error::Error;
use crate::health::ClusterHealth;

/// One subscription of one node: a channel, or a pattern (`prefix*`, the only form the
/// adapter uses).
struct Subscription {
    node: u64,
    name: String,
    pattern: bool,
    inbox: Inbox,
    route: Weak<dyn Route>,
}

impl Subscription {
    fn matches(&self, channel: &str) -> bool {
        match self.name.strip_suffix('*').filter(|_| self.pattern) {
            Some(prefix) => channel.starts_with(prefix),
            None => !self.pattern && self.name == channel,
        }
    }
}

type Subscriptions = Arc<Mutex<Vec<Subscription>>>;

/// The shared bus: one delivery task hands every message to its subscribers, in order.
#[derive(Clone)]
pub(crate) struct MemoryBus {
    subscriptions: Subscriptions,
    tx: mpsc::UnboundedSender<(String, Vec<u8>)>,
    nodes: Arc<AtomicU64>,
}

impl MemoryBus {
    /// A new bus; call inside a Tokio runtime (it spawns the delivery task, which ends when
    /// the bus and every driver on it are dropped).
    pub(crate) fn new() -> Self {
        let subscriptions = Subscriptions::default();
        let (tx, mut rx) = mpsc::unbounded_channel::<(String, Vec<u8>)>();
        let delivery = subscriptions.clone();
        tokio::spawn(async move {
            while let Some((channel, payload)) = rx.recv().await {
                let targets: Vec<(Inbox, Weak<dyn Route>)> = lock(&delivery)
                    .iter()
                    .filter(|s| s.matches(&channel))
                    .map(|s| (s.inbox, s.route.clone()))
                    .collect();
                for (inbox, route) in targets {
                    if let Some(route) = route.upgrade() {
                        route.on_message(inbox, &channel, &payload);
                    }
                }
            }
        });
        Self {
            subscriptions,
            tx,
            nodes: Arc::default(),
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// One node's connection to the bus. Always healthy; dropping it unsubscribes everything.
pub(crate) struct MemoryDriver {
    bus: MemoryBus,
    node: u64,
    health: ClusterHealth,
}

impl MemoryDriver {
    pub(crate) fn new(bus: &MemoryBus) -> Self {
        let health = ClusterHealth::new(Duration::from_secs(10));
        health.subscriber_up();
        Self {
            bus: bus.clone(),
            node: bus.nodes.fetch_add(1, Ordering::Relaxed),
            health,
        }
    }
}

impl Drop for MemoryDriver {
    fn drop(&mut self) {
        lock(&self.bus.subscriptions).retain(|s| s.node != self.node);
    }
}

#[async_trait]
impl Driver for MemoryDriver {
    fn health(&self) -> ClusterHealth {
        self.health.clone()
    }

    fn publish(&self, channel: String, payload: Vec<u8>) {
        let _ = self.bus.tx.send((channel, payload));
    }

    async fn publish_wait(&self, channel: String, payload: Vec<u8>) -> Result<(), Error> {
        self.bus
            .tx
            .send((channel, payload))
            .map_err(|_| Error::unavailable("the bus is gone"))
    }

    async fn numsub(&self, channel: &str) -> Result<usize, Error> {
        let mut nodes: Vec<u64> = lock(&self.bus.subscriptions)
            .iter()
            .filter(|s| !s.pattern && s.name == channel)
            .map(|s| s.node)
            .collect();
        nodes.sort_unstable();
        nodes.dedup();
        Ok(nodes.len())
    }

    async fn register(
        &self,
        channels: Vec<(String, Inbox)>,
        pattern: String,
        route: Weak<dyn Route>,
    ) -> Result<(), Error> {
        let mut subscriptions = lock(&self.bus.subscriptions);
        for (name, inbox) in channels {
            subscriptions.push(Subscription {
                node: self.node,
                name,
                pattern: false,
                inbox,
                route: route.clone(),
            });
        }
        subscriptions.push(Subscription {
            node: self.node,
            name: pattern,
            pattern: true,
            inbox: Inbox::Broadcast,
            route,
        });
        Ok(())
    }

    async fn unregister(&self, channels: &[String], pattern: &str) {
        lock(&self.bus.subscriptions).retain(|s| {
            s.node != self.node
                || !(s.pattern && s.name == pattern || !s.pattern && channels.contains(&s.name))
        });
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use socketioxide::SocketIo;
    use socketioxide::adapter::Emitter;
    use socketioxide::extract::SocketRef;

    use super::*;
    use crate::{ClusterAdapter, ClusterConfig, RedisAdapterCtr, msgpack, wire};

    type Adapter = ClusterAdapter<Emitter>;

    /// A socketioxide server on the bus, serving `/` (no HTTP: nothing connects to it).
    async fn node(bus: &MemoryBus, config: ClusterConfig) -> (SocketIo<Adapter>, RedisAdapterCtr) {
        let ctr = RedisAdapterCtr::with_driver(Arc::new(MemoryDriver::new(bus)), config);
        let (_service, io) = SocketIo::builder()
            .with_adapter::<Adapter>(ctr.clone())
            .build_svc();
        io.ns("/", async |_s: SocketRef<Adapter>| {}).await.unwrap();
        (io, ctr)
    }

    /// Records every message on the channels and pattern it listens to.
    struct Recorder(mpsc::UnboundedSender<(Inbox, String, Vec<u8>)>);

    impl Route for Recorder {
        fn on_message(&self, inbox: Inbox, channel: &str, payload: &[u8]) {
            let _ = self.0.send((inbox, channel.to_owned(), payload.to_vec()));
        }
    }

    /// A bare connection to the bus that hears `channels` and `pattern` and never answers.
    async fn listener(
        bus: &MemoryBus,
        channels: &[&str],
        pattern: &str,
    ) -> (
        MemoryDriver,
        Arc<Recorder>,
        mpsc::UnboundedReceiver<(Inbox, String, Vec<u8>)>,
    ) {
        let driver = MemoryDriver::new(bus);
        let (tx, rx) = mpsc::unbounded_channel();
        let recorder = Arc::new(Recorder(tx));
        let channels = channels
            .iter()
            .map(|c| ((*c).to_owned(), Inbox::Request))
            .collect();
        let route: Arc<dyn Route> = recorder.clone();
        driver
            .register(channels, pattern.to_owned(), Arc::downgrade(&route))
            .await
            .unwrap();
        (driver, recorder, rx)
    }

    #[tokio::test]
    async fn every_node_on_the_bus_counts_as_a_server() {
        let bus = MemoryBus::new();
        let (_a, ctr_a) = node(&bus, ClusterConfig::default()).await;
        assert_eq!(ctr_a.server_count("/").await.unwrap(), 1);
        let (_b, _ctr_b) = node(&bus, ClusterConfig::default()).await;
        assert_eq!(ctr_a.server_count("/").await.unwrap(), 2);
    }

    #[tokio::test]
    async fn a_server_side_emit_with_ack_collects_the_other_nodes_answer() {
        let bus = MemoryBus::new();
        let (_a, ctr_a) = node(&bus, ClusterConfig::default()).await;
        let (_b, ctr_b) = node(&bus, ClusterConfig::default()).await;
        ctr_b.on_server_side_emit("/", |emit| {
            let answer = json!({ "event": emit.event, "args": emit.args });
            emit.ack(answer);
        });
        let answers = ctr_a
            .server_side_emit_with_ack("/", "ping", vec![json!(1), json!("two")])
            .await
            .unwrap();
        assert_eq!(
            answers,
            vec![json!({ "event": "ping", "args": [1, "two"] })]
        );
    }

    #[tokio::test]
    async fn a_broadcast_to_one_room_goes_on_that_rooms_channel_in_the_node_adapters_format() {
        let bus = MemoryBus::new();
        let (io, _ctr) = node(&bus, ClusterConfig::default()).await;
        let (_driver, _recorder, mut heard) = listener(&bus, &[], "socket.io#/#*").await;
        io.to("room-1").emit("hello", &("world", 2)).await.unwrap();
        let (inbox, channel, payload) = heard.recv().await.unwrap();
        assert_eq!(inbox, Inbox::Broadcast);
        assert_eq!(channel, "socket.io#/#room-1#");
        let message = wire::decode_broadcast(&payload).unwrap();
        assert_eq!(message.nsp, "/");
        assert_eq!(message.opts.rooms, ["room-1"]);
        let (json, _) = msgpack::mp_to_payload(&message.data);
        assert_eq!(json, r#"["hello","world",2]"#);
    }

    #[tokio::test]
    async fn a_request_fails_with_a_timeout_when_a_server_does_not_answer() {
        let bus = MemoryBus::new();
        let config = ClusterConfig {
            request_timeout: Duration::from_millis(100),
            ..ClusterConfig::default()
        };
        let (_a, ctr_a) = node(&bus, config).await;
        // A server that hears requests and never answers (a Node.js server without listener).
        let (_driver, _recorder, _heard) =
            listener(&bus, &["socket.io-request#/#"], "socket.io#/#*").await;
        let error = ctr_a
            .server_side_emit_with_ack("/", "ping", Vec::new())
            .await
            .unwrap_err();
        assert!(
            matches!(
                error,
                Error::Timeout {
                    expected: 1,
                    received: 0,
                    ..
                }
            ),
            "{error:?}"
        );
    }

    #[tokio::test]
    async fn a_dropped_node_no_longer_counts() {
        let bus = MemoryBus::new();
        let (_a, ctr_a) = node(&bus, ClusterConfig::default()).await;
        let (driver, _recorder, _heard) = listener(&bus, &["socket.io-request#/#"], "x*").await;
        assert_eq!(ctr_a.server_count("/").await.unwrap(), 2);
        drop(driver);
        assert_eq!(ctr_a.server_count("/").await.unwrap(), 1);
    }
}
