//! confab-cluster-state: what the nodes of a cluster share in Redis, behind the domain's
//! ports: presence (per user and node, with node heartbeats and cleanup after dead nodes),
//! per-user rate limits (GCRA in Lua) and typing expiry. Each degrades gracefully when Redis
//! is unreachable (presence answers from this node's own sockets, limits let requests through,
//! typing signals are dropped) and logs the outage once per interval.
//!
//! The single-node equivalents are the domain's in-process ones; rooms across nodes are the
//! Socket.IO adapter's (confab-redis-adapter), which shares nothing with this crate but the
//! pool and log throttle of confab-redis-link.
//!
//! Depends on confab-domain (the ports), redis and confab-redis-link; never on
//! Socket.IO, confab-store, confab-http, confab-gateway or confab-server.

#![warn(missing_docs)]

mod limiter;
mod presence;
mod throttle;
mod typing;

use std::sync::Arc;
use std::time::Duration;

use confab_domain::limits::Limits;
use confab_redis_link::Pool;

pub use limiter::RedisLimiter;
pub use presence::RedisPresence;
pub use throttle::ErrorLog;
pub use typing::RedisTyping;

/// Why a Redis call of these stores failed.
#[derive(Debug)]
pub(crate) enum CallError {
    Pool(String),
    Redis(redis::RedisError),
    Timeout(Duration),
}

impl std::fmt::Display for CallError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Pool(e) => write!(f, "no Redis connection: {e}"),
            Self::Redis(e) => write!(f, "{e}"),
            Self::Timeout(after) => write!(f, "Redis did not answer within {after:?}"),
        }
    }
}

impl From<redis::RedisError> for CallError {
    fn from(e: redis::RedisError) -> Self {
        Self::Redis(e)
    }
}

/// Where these stores' commands go: a pool on one Redis, or one multiplexed Redis Cluster
/// connection (every key these stores touch in one script shares a hash slot; see
/// `presence.rs`).
#[derive(Clone, Debug)]
pub(crate) enum Backend {
    Pool(Pool),
    Cluster(Box<confab_redis_link::cluster::LazyCluster>),
}

/// A connection of either backend (what the stores' closures are given).
pub(crate) enum Conn {
    Pooled(confab_redis_link::Connection),
    Cluster(redis::cluster_async::ClusterConnection),
}

impl redis::aio::ConnectionLike for Conn {
    fn req_packed_command<'a>(
        &'a mut self,
        cmd: &'a redis::Cmd,
    ) -> redis::RedisFuture<'a, redis::Value> {
        match self {
            Self::Pooled(c) => c.req_packed_command(cmd),
            Self::Cluster(c) => c.req_packed_command(cmd),
        }
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        cmd: &'a redis::Pipeline,
        offset: usize,
        count: usize,
    ) -> redis::RedisFuture<'a, Vec<redis::Value>> {
        match self {
            Self::Pooled(c) => c.req_packed_commands(cmd, offset, count),
            Self::Cluster(c) => c.req_packed_commands(cmd, offset, count),
        }
    }

    fn get_db(&self) -> i64 {
        match self {
            Self::Pooled(c) => c.get_db(),
            Self::Cluster(c) => c.get_db(),
        }
    }
}

/// A connection plus the bound every call of these stores runs under.
#[derive(Clone, Debug)]
pub(crate) struct Link {
    backend: Backend,
    timeout: Duration,
}

impl Link {
    /// True on a Redis Cluster (keys that one script touches together need a hash tag).
    pub(crate) fn is_cluster(&self) -> bool {
        matches!(self.backend, Backend::Cluster(_))
    }

    /// Runs `work` on a connection, bounded by the timeout.
    pub(crate) async fn run<T, F>(&self, work: F) -> Result<T, CallError>
    where
        F: AsyncFnOnce(&mut Conn) -> Result<T, CallError>,
    {
        let bounded = async {
            let mut conn = match &self.backend {
                Backend::Pool(pool) => Conn::Pooled(
                    pool.get()
                        .await
                        .map_err(|e| CallError::Pool(e.to_string()))?,
                ),
                Backend::Cluster(cluster) => Conn::Cluster(cluster.get().await?),
            };
            work(&mut conn).await
        };
        tokio::time::timeout(self.timeout, bounded)
            .await
            .unwrap_or(Err(CallError::Timeout(self.timeout)))
    }
}

/// Settings for the cluster-wide state.
#[derive(Clone, Debug)]
pub struct StateConfig {
    /// Prefix of every key (`confab` by default); nodes of one cluster share it.
    pub key_prefix: String,
    /// Unique per running node.
    pub node_id: String,
    /// A node silent for this long is presumed dead and its sockets are cleared.
    pub node_dead_after: Duration,
    /// Bound on each Redis call (an unreachable Redis must not stall a request).
    pub redis_timeout: Duration,
    /// The per-user allowances the limiter enforces across the cluster.
    pub limits: Limits,
}

/// The three stores, sharing one pool and one error log.
#[derive(Clone, Debug)]
pub struct RedisState {
    /// Who is online, per user and node (the domain's `Presence` port).
    pub presence: Arc<RedisPresence>,
    /// Per-user rate limits shared by every node (the domain's `RateLimiter` port).
    pub limiter: Arc<RedisLimiter>,
    /// Typing signals with their expiry (the domain's `TypingState` port).
    pub typing: Arc<RedisTyping>,
    errors: Arc<ErrorLog>,
}

impl RedisState {
    /// The three stores on `pool`, each call bounded by `config.redis_timeout`.
    pub fn new(pool: Pool, config: StateConfig) -> Self {
        Self::with_backend(Backend::Pool(pool), config)
    }

    fn with_backend(backend: Backend, config: StateConfig) -> Self {
        let errors = Arc::new(ErrorLog::new(
            "redis (presence, limits, typing)",
            Duration::from_secs(10),
        ));
        let prefix = config.key_prefix.as_str();
        let link = Link {
            backend,
            timeout: config.redis_timeout,
        };
        Self {
            presence: Arc::new(RedisPresence::new(
                link.clone(),
                prefix,
                config.node_id.clone(),
                config.node_dead_after,
                errors.clone(),
            )),
            limiter: Arc::new(RedisLimiter::new(
                link.clone(),
                prefix,
                config.limits,
                errors.clone(),
            )),
            typing: Arc::new(RedisTyping::new(link, prefix, errors.clone())),
            errors,
        }
    }

    /// Builds the connections on `link`, each wait and connect bounded by `redis_timeout`: a
    /// pool for a server (`redis://`, `rediss://`, Sentinel), one multiplexed Cluster
    /// connection for a Redis Cluster (`redis+cluster://`, `rediss+cluster://`). Connects
    /// lazily.
    pub fn from_link(
        link: &confab_redis_link::Link,
        config: StateConfig,
    ) -> Result<Self, confab_redis_link::TargetError> {
        let backend = match link.cluster_seed() {
            Some(seed) => Backend::Cluster(Box::new(
                confab_redis_link::cluster::LazyCluster::new(seed, config.redis_timeout)
                    .map_err(|e| confab_redis_link::TargetError(e.to_string()))?,
            )),
            None => Backend::Pool(link.pool(confab_redis_link::POOL_SIZE, config.redis_timeout)),
        };
        Ok(Self::with_backend(backend, config))
    }

    /// [`Self::from_link`] on a URL with default [`confab_redis_link::LinkOptions`].
    pub fn from_url(
        url: &str,
        config: StateConfig,
    ) -> Result<Self, confab_redis_link::TargetError> {
        let link = confab_redis_link::Link::open(url, &confab_redis_link::LinkOptions::default())?;
        Self::from_link(&link, config)
    }

    /// `false` while the last Redis call of these stores failed.
    pub fn is_healthy(&self) -> bool {
        !self.errors.is_failing()
    }

    /// The last Redis error these stores met while they are failing (the reason the readiness check gives).
    pub fn last_error(&self) -> Option<String> {
        self.errors.last_error()
    }
}
