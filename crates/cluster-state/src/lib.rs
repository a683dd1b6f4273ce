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
//! Depends on confab-domain (the ports), redis, deadpool-redis and confab-redis-link; never on
//! Socket.IO, confab-store, confab-http, confab-gateway or confab-server.

#![warn(missing_docs)]

mod limiter;
mod presence;
mod throttle;
mod typing;

use std::sync::Arc;
use std::time::Duration;

use confab_domain::limits::Limits;
use deadpool_redis::Pool;

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

/// A pooled connection plus the bound every call of these stores runs under.
#[derive(Clone, Debug)]
pub(crate) struct Link {
    pool: Pool,
    timeout: Duration,
}

impl Link {
    /// Runs `work` on a pooled connection, bounded by the timeout.
    pub(crate) async fn run<T, F>(&self, work: F) -> Result<T, CallError>
    where
        F: AsyncFnOnce(&mut deadpool_redis::Connection) -> Result<T, CallError>,
    {
        let bounded = async {
            let mut conn = self
                .pool
                .get()
                .await
                .map_err(|e| CallError::Pool(e.to_string()))?;
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
        let errors = Arc::new(ErrorLog::new(
            "redis (presence, limits, typing)",
            Duration::from_secs(10),
        ));
        let prefix = config.key_prefix.as_str();
        let link = Link {
            pool,
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

    /// Builds the pool from a URL, each wait and connect bounded by `redis_timeout`.
    pub fn from_url(
        url: &str,
        config: StateConfig,
    ) -> Result<Self, confab_redis_link::CreatePoolError> {
        let pool = confab_redis_link::pool(url, config.redis_timeout)?;
        Ok(Self::new(pool, config))
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
