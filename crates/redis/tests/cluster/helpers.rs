//! Nodes on real Redis: each test gets its own channel prefix, so tests never hear each other.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use confab_redis::{ClusterConfig, RedisAdapter, RedisAdapterCtr};
use socketioxide::SocketIo;
use socketioxide::adapter::Emitter;
use socketioxide::extract::SocketRef;
use socketioxide::socket::Sid;

pub type Adapter = RedisAdapter<Emitter>;
pub type Io = SocketIo<Adapter>;

/// The shared test Redis (`CONFAB_TEST_REDIS_URL`, default `redis://127.0.0.1:6379`).
#[expect(
    clippy::disallowed_methods,
    reason = "a test fixture's service address, not a confab setting"
)]
pub fn redis_url() -> String {
    std::env::var("CONFAB_TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}

/// Fails the test loudly when Redis is not there: these tests are never skipped.
pub async fn require_redis(url: &str) {
    let ping = async {
        let client = redis::Client::open(url)?;
        let mut conn = client.get_multiplexed_async_connection().await?;
        redis::cmd("PING").query_async::<String>(&mut conn).await
    };
    match tokio::time::timeout(Duration::from_secs(3), ping).await {
        Ok(Ok(_)) => {}
        Ok(Err(e)) => panic!(
            "Redis at {url} is required by these tests and is not reachable: {e} (scripts/services starts it)"
        ),
        Err(_) => {
            panic!("Redis at {url} is required by these tests and did not answer PING within 3 s")
        }
    }
}

/// A channel prefix no other test uses.
pub fn unique_prefix() -> String {
    static N: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!(
        "confab-test-{}-{nanos}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

pub fn test_config(prefix: &str) -> ClusterConfig {
    ClusterConfig {
        prefix: prefix.to_owned(),
        request_timeout: Duration::from_secs(3),
        redis_timeout: Duration::from_secs(1),
        reconnect_max_backoff: Duration::from_millis(500),
        ping_interval: Duration::from_millis(500),
        ..ClusterConfig::default()
    }
}

/// A socketioxide server on the cluster adapter, on a random port.
pub struct Node {
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
    pub async fn start(url: &str, prefix: &str) -> Self {
        // Logs show up for failing tests (and with --nocapture).
        let _ = tracing_subscriber::fmt()
            .with_env_filter("confab_redis=debug")
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
    pub fn join(&self, sid: &str, rooms: &[&'static str]) {
        let socket = self
            .io
            .get_socket(sid.parse::<Sid>().unwrap())
            .expect("the socket is on this node");
        socket.join(rooms.to_vec());
    }

    /// The ids of this node's own sockets in `room`.
    pub fn local_members(&self, room: &'static str) -> Vec<String> {
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
pub async fn cluster(n: usize) -> Vec<Node> {
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
pub async fn eventually(within: Duration, mut check: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < within {
        if check() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    check()
}

pub use confab_redis::testing::PrivateRedis;
