//! The cluster adapter's settings and its constructor (socketioxide's adapter state).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use rmpv::Value as Mp;
use socketioxide_core::adapter::stream::ResponseHandlers;

use super::error::Error;
use super::health::{ClusterHealth, LastError};
use super::publisher::Publisher;
use super::server_side::{Listener, ServerSideEmit};
use super::subscriber::{Subscriber, Timing};
use super::wire::Channels;

/// How the adapter talks to Redis.
#[derive(Debug, Clone)]
pub struct ClusterConfig {
    /// The channel prefix (the Node adapter's `key` option). Every node, Node.js server and
    /// emitter that shares rooms must use the same one. Default `socket.io`.
    pub prefix: String,
    /// How long a request to the other nodes (fetch sockets, all rooms, server-side emit with
    /// ack) waits for all the answers. Default 5 s, like the Node adapter's `requestsTimeout`.
    pub request_timeout: Duration,
    /// The bound on one Redis operation (a publish batch, `PUBSUB NUMSUB`, connecting and
    /// subscribing): past it, Redis counts as unreachable. Default 2 s.
    pub redis_timeout: Duration,
    /// At most one log line per interval for repeated publish or subscribe failures (with the
    /// number held back). Default 10 s.
    pub error_log_interval: Duration,
    /// The subscriber reconnects after 100 ms, doubling up to this. Default 5 s.
    pub reconnect_max_backoff: Duration,
    /// The subscriber pings Redis this often to notice a dead link. Default 5 s.
    pub ping_interval: Duration,
    /// Messages waiting to be published; past it, broadcasts to other nodes are dropped (and
    /// counted as publish failures) until Redis catches up. Default 10 000.
    pub publish_queue: usize,
}

impl Default for ClusterConfig {
    fn default() -> Self {
        Self {
            prefix: "socket.io".into(),
            request_timeout: Duration::from_secs(5),
            redis_timeout: Duration::from_secs(2),
            error_log_interval: Duration::from_secs(10),
            reconnect_max_backoff: Duration::from_secs(5),
            ping_interval: Duration::from_secs(5),
            publish_queue: 10_000,
        }
    }
}

/// The adapter's shared state: build one and pass it to
/// `SocketIo::builder().with_adapter::<RedisAdapter<_>>(ctr)`. Cheap to clone; keep a clone for
/// [`health`](Self::health) and server-side emits.
#[derive(Clone)]
pub struct RedisAdapterCtr {
    pub(crate) shared: Arc<Shared>,
}

impl std::fmt::Debug for RedisAdapterCtr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisAdapterCtr")
            .field("config", &self.shared.config)
            .field("healthy", &self.shared.health.is_healthy())
            .finish_non_exhaustive()
    }
}

/// A namespace this node serves through the adapter.
#[derive(Clone)]
pub(crate) struct NsEntry {
    pub uid: String,
    pub channels: Channels,
}

pub(crate) struct Shared {
    pub config: ClusterConfig,
    pub health: ClusterHealth,
    pub publisher: Publisher,
    pub subscriber: Subscriber,
    /// Requests of ours waiting for answers, by request id.
    pub pending: Arc<Mutex<ResponseHandlers<Mp>>>,
    pub namespaces: RwLock<HashMap<String, NsEntry>>,
    pub listeners: RwLock<HashMap<String, Listener>>,
}

impl RedisAdapterCtr {
    /// `pool` publishes (and answers `PUBSUB NUMSUB`); `subscriber` opens the one dedicated
    /// subscriber connection. Give the pool wait/create timeouts (see [`Self::from_url`]) so
    /// that an unreachable Redis fails fast; the adapter also bounds every operation by
    /// [`ClusterConfig::redis_timeout`].
    pub fn new(
        pool: deadpool_redis::Pool,
        subscriber: redis::Client,
        config: ClusterConfig,
    ) -> Self {
        let health = ClusterHealth::new(config.error_log_interval);
        let timing = Timing {
            op_timeout: config.redis_timeout,
            ping_interval: config.ping_interval,
            backoff_min: Duration::from_millis(100),
            backoff_max: config.reconnect_max_backoff,
        };
        let shared = Shared {
            publisher: Publisher::new(
                pool,
                health.clone(),
                config.redis_timeout,
                config.publish_queue,
            ),
            subscriber: Subscriber::new(subscriber, health.clone(), timing),
            health,
            config,
            pending: Arc::default(),
            namespaces: RwLock::default(),
            listeners: RwLock::default(),
        };
        Self {
            shared: Arc::new(shared),
        }
    }

    /// Both connections from one URL (`redis://host:port/db`), with a pool of 16 whose waits
    /// and connects are bounded by [`ClusterConfig::redis_timeout`].
    pub fn from_url(url: &str, config: ClusterConfig) -> Result<Self, Error> {
        let client = redis::Client::open(url).map_err(|e| Error::Config(e.to_string()))?;
        let mut pool_config = deadpool_redis::PoolConfig::new(16);
        pool_config.timeouts = deadpool_redis::Timeouts {
            wait: Some(config.redis_timeout),
            create: Some(config.redis_timeout),
            recycle: Some(config.redis_timeout),
        };
        let mut cfg = deadpool_redis::Config::from_url(url);
        cfg.pool = Some(pool_config);
        let pool = cfg
            .create_pool(Some(deadpool_redis::Runtime::Tokio1))
            .map_err(|e| Error::Config(e.to_string()))?;
        Ok(Self::new(pool, client, config))
    }

    /// The link's health (cloneable, for `/readyz`).
    pub fn health(&self) -> ClusterHealth {
        self.shared.health.clone()
    }

    /// True when this node both receives from and publishes to Redis.
    pub fn is_healthy(&self) -> bool {
        self.shared.health.is_healthy()
    }

    /// The most recent Redis failure, if any.
    pub fn last_error(&self) -> Option<LastError> {
        self.shared.health.last_error()
    }

    /// The settings in use.
    pub fn config(&self) -> &ClusterConfig {
        &self.shared.config
    }

    /// Calls `listener` for every server-side emit another server makes on namespace `nsp`
    /// (Node's `io.on("event", ...)` for `serverSideEmit`). One listener per namespace; a new
    /// one replaces the old.
    pub fn on_server_side_emit(
        &self,
        nsp: &str,
        listener: impl Fn(ServerSideEmit) + Send + Sync + 'static,
    ) {
        self.shared
            .listeners
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(nsp.to_owned(), Arc::new(listener));
    }
}
