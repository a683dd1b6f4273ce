//! Nodes on real Redis: each test gets its own channel prefix, so tests never hear each other.

use std::time::{Duration, Instant};

use confab_redis_adapter::{ClusterConfig, RedisAdapter, RedisAdapterCtr};
use socketioxide::SocketIo;
use socketioxide::adapter::Emitter;
use socketioxide::extract::SocketRef;
use socketioxide::socket::Sid;

pub(crate) type Adapter = RedisAdapter<Emitter>;
pub(crate) type Io = SocketIo<Adapter>;

pub(crate) fn test_config(prefix: &str) -> ClusterConfig {
    ClusterConfig {
        prefix: prefix.to_owned(),
        request_timeout: Duration::from_secs(3),
        redis_timeout: Duration::from_secs(1),
        reconnect_max_backoff: Duration::from_millis(500),
        ping_interval: Duration::from_millis(500),
        room_prune_interval: Duration::from_millis(200),
        ..ClusterConfig::default()
    }
}

/// A socketioxide server on the cluster adapter, on a random port.
pub(crate) struct Node {
    pub io: Io,
    pub ctr: RedisAdapterCtr,
    pub port: u16,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for Node {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl Node {
    pub(crate) async fn start(url: &str, prefix: &str) -> Self {
        // Logs show up for failing tests (and with --nocapture).
        let _ = tracing_subscriber::fmt()
            .with_env_filter("confab_redis_adapter=debug")
            .with_test_writer()
            .try_init();
        let ctr = RedisAdapterCtr::from_url(url, test_config(prefix)).unwrap();
        let (layer, io) = SocketIo::builder()
            .with_adapter::<Adapter>(ctr.clone())
            .build_layer();
        io.ns("/", async |_s: SocketRef<Adapter>| {})
            .await
            .expect("the namespace subscribes to redis");
        let app = axum::Router::new().layer(layer);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Self {
            io,
            ctr,
            port,
            server,
        }
    }

    /// Joins this node's socket `sid` to `rooms` (local, like `socket.join`).
    pub(crate) fn join(&self, sid: &str, rooms: &[&'static str]) {
        let socket = self
            .io
            .get_socket(sid.parse::<Sid>().unwrap())
            .expect("the socket is on this node");
        socket.join(rooms.to_vec());
    }

    /// The ids of this node's own sockets in `room`.
    pub(crate) fn local_members(&self, room: &'static str) -> Vec<String> {
        let mut ids: Vec<String> = self
            .io
            .local()
            .to(room)
            .sockets()
            .iter()
            .map(|s| s.id.to_string())
            .collect();
        ids.sort();
        ids
    }
}

/// Starts `n` nodes on one prefix.
impl Node {
    /// Emits `ask` with an ack to `room` from this node and returns the `node` numbers the
    /// sockets answered with, sorted.
    pub(crate) async fn acks_from(&self, room: &'static str) -> Vec<i64> {
        use futures::StreamExt;
        let stream = self
            .io
            .to(room)
            .timeout(Duration::from_secs(2))
            .emit_with_ack::<_, serde_json::Value>("ask", &1)
            .await
            .unwrap();
        let acks: Vec<serde_json::Value> = stream
            .filter_map(|(_, ack)| async move { ack.ok() })
            .collect()
            .await;
        let mut nodes: Vec<i64> = acks.iter().map(|a| a["node"].as_i64().unwrap()).collect();
        nodes.sort();
        nodes
    }
}

/// Every node but the first records the server-side emits it hears (`record(node index,
/// emit)`) and acks those that ask with `{"node": index}`. The first node then emits `hello`
/// `[1]` and waits (up to `within`) until both others heard it, then emits `ping` asking for
/// acks. Returns what was recorded of `hello` and the node numbers that acked `ping`, sorted.
pub(crate) async fn server_side_round<T: Clone + Send + 'static>(
    nodes: &[Node],
    within: Duration,
    record: impl Fn(usize, &confab_redis_adapter::ServerSideEmit) -> T + Clone + Send + Sync + 'static,
) -> (Vec<T>, Vec<i64>) {
    let heard = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    for (i, node) in nodes.iter().enumerate().skip(1) {
        let (heard, record) = (heard.clone(), record.clone());
        node.ctr.on_server_side_emit("/", move |emit| {
            heard.lock().unwrap().push(record(i, &emit));
            if emit.wants_ack() {
                emit.ack(serde_json::json!({ "node": i }));
            }
        });
    }
    nodes[0]
        .ctr
        .server_side_emit("/", "hello", vec![serde_json::json!(1)])
        .await
        .unwrap();
    assert!(eventually(within, || heard.lock().unwrap().len() == 2).await);
    let hello = heard.lock().unwrap().clone();
    let answers = nodes[0]
        .ctr
        .server_side_emit_with_ack("/", "ping", vec![])
        .await
        .unwrap();
    let mut from: Vec<i64> = answers
        .iter()
        .map(|a| a["node"].as_i64().unwrap())
        .collect();
    from.sort();
    (hello, from)
}

pub(crate) async fn cluster(n: usize) -> Vec<Node> {
    let url = redis_url();
    require_redis(&url).await;
    let prefix = unique_prefix();
    let mut nodes = Vec::with_capacity(n);
    for _ in 0..n {
        nodes.push(Node::start(&url, &prefix).await);
    }
    nodes
}

/// Polls `check` every 50 ms until it holds or `within` passes.
pub(crate) async fn eventually(within: Duration, mut check: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < within {
        if check() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    check()
}

pub(crate) use confab_redis_link::testing::{
    PrivateCluster, PrivateRedis, redis_url, require_redis, unique_prefix,
};
