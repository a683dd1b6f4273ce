//! Running as one node of many: the Redis adapter for rooms, Redis-backed presence, limits
//! and typing, and the `/readyz` check that reports a Redis outage as "degraded" (the node
//! keeps serving its own sockets meanwhile).

use anyhow::Context;
use async_trait::async_trait;
use confab_cluster_state::{RedisState, StateConfig};
use confab_domain::limits::Limits;
use confab_http::ReadinessCheck;
use confab_redis_adapter::{ClusterConfig, RedisAdapterCtr};
use confab_redis_link::{Link, LinkOptions};
use secrecy::ExposeSecret;

use crate::config::Config;

/// The cluster connections of this node.
#[derive(Clone)]
pub struct Cluster {
    /// The Socket.IO Redis adapter's constructor (rooms and broadcasts across nodes).
    pub adapter: RedisAdapterCtr,
    /// Redis-backed presence, rate limits and typing state shared by every node.
    pub state: RedisState,
}

impl Cluster {
    /// Prepares the Redis connections (they connect lazily and reconnect by themselves, so an
    /// unreachable Redis does not stop the node from starting).
    pub fn new(url: &str, config: &Config, limits: Limits) -> anyhow::Result<Self> {
        let redis = &config.redis;
        let link = link(url, config)?;
        tracing::info!(
            kind = link.target().kind(),
            tls = link.target().tls(),
            "Redis"
        );
        let cluster = ClusterConfig {
            prefix: redis.channel_prefix.clone(),
            request_timeout: redis.request_timeout,
            redis_timeout: redis.timeout,
            ..ClusterConfig::default()
        };
        let adapter =
            RedisAdapterCtr::from_link(&link, cluster).context("configuring the Redis adapter")?;
        let state = RedisState::from_link(
            &link,
            StateConfig {
                key_prefix: redis.key_prefix.clone(),
                node_id: uuid::Uuid::new_v4().to_string(),
                node_dead_after: redis.node_dead_after,
                redis_timeout: redis.timeout,
                limits,
            },
        )
        .map_err(|e| anyhow::anyhow!(e.0))
        .context("configuring Redis state")?;
        Ok(Self { adapter, state })
    }
}

/// The connections `CONFAB_REDIS_URL` and `CONFAB_REDIS__*` describe (TLS, Sentinel).
pub fn link(url: &str, config: &Config) -> anyhow::Result<Link> {
    let redis = &config.redis;
    let tls_ca_pem = match &redis.tls_ca_file {
        Some(path) => Some(std::fs::read(path).with_context(|| {
            format!("CONFAB_REDIS__TLS_CA_FILE: cannot read {}", path.display())
        })?),
        None => None,
    };
    let options = LinkOptions {
        tls_ca_pem,
        sentinel_username: redis.sentinel_username.clone(),
        sentinel_password: redis
            .sentinel_password
            .as_ref()
            .map(|p| p.expose_secret().to_owned()),
    };
    Ok(Link::open(url, &options)?)
}

/// `/readyz`: Redis reachable for both the adapter and the shared state.
pub struct RedisCheck(pub Cluster);

#[async_trait]
impl ReadinessCheck for RedisCheck {
    fn name(&self) -> &'static str {
        "redis"
    }

    async fn check(&self) -> Result<(), String> {
        if !self.0.adapter.is_healthy() {
            let reason = self
                .0
                .adapter
                .last_error()
                .map_or_else(|| "not connected yet".to_owned(), |e| e.message);
            return Err(format!("cross-node delivery is down: {reason}"));
        }
        if !self.0.state.is_healthy() {
            let reason = self.0.state.last_error().unwrap_or_default();
            return Err(format!("shared presence and limits are down: {reason}"));
        }
        Ok(())
    }
}
