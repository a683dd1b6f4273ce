//! Running as one node of many: the Redis adapter for rooms, Redis-backed presence, limits
//! and typing, and the `/readyz` check that reports a Redis outage as "degraded" (the node
//! keeps serving its own sockets meanwhile).

use anyhow::Context;
use async_trait::async_trait;
use confab_cluster_state::{RedisState, StateConfig};
use confab_domain::limits::Limits;
use confab_http::ReadinessCheck;
use confab_redis_adapter::{ClusterConfig, RedisAdapterCtr};

use crate::config::Config;

/// The cluster connections of this node.
#[derive(Clone)]
pub struct Cluster {
    pub adapter: RedisAdapterCtr,
    pub state: RedisState,
}

impl Cluster {
    /// Prepares the Redis connections (they connect lazily and reconnect by themselves, so an
    /// unreachable Redis does not stop the node from starting).
    pub fn new(url: &str, config: &Config, limits: Limits) -> anyhow::Result<Self> {
        let redis = &config.redis;
        let cluster = ClusterConfig {
            prefix: redis.channel_prefix.clone(),
            request_timeout: redis.request_timeout,
            redis_timeout: redis.timeout,
            ..ClusterConfig::default()
        };
        let adapter =
            RedisAdapterCtr::from_url(url, cluster).context("configuring the Redis adapter")?;
        let state = RedisState::from_url(
            url,
            StateConfig {
                key_prefix: redis.key_prefix.clone(),
                node_id: uuid::Uuid::new_v4().to_string(),
                node_dead_after: redis.node_dead_after,
                redis_timeout: redis.timeout,
                limits,
            },
        )
        .map_err(anyhow::Error::msg)
        .context("configuring Redis state")?;
        Ok(Self { adapter, state })
    }
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
