//! The adapter's runtime state, shared by every namespace of a node: socketioxide's adapter
//! state ([`RedisAdapterCtr`], what `with_adapter` is given), the driver, the namespaces served
//! and the requests waiting for answers; and what the constructor offers beside socketioxide's
//! interface (health, server-side emits).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError, RwLock};

use rmpv::Value as Mp;
use serde_json::Value as Json;
use socketioxide_core::adapter::stream::ResponseHandlers;

use crate::config::ClusterConfig;
use crate::driver::Driver;
use crate::error::Error;
use crate::health::{ClusterHealth, LastError};
use crate::pubsub::RedisDriver;
use crate::server_side::{Listener, ServerSideEmit, to_json};
use crate::wire::{self, Channels};

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
    pub driver: Arc<dyn Driver>,
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
        pool: confab_redis_link::Pool,
        subscriber: confab_redis_link::Link,
        config: ClusterConfig,
    ) -> Self {
        let driver = RedisDriver::new(pool, subscriber, &config);
        Self::with_driver(Arc::new(driver), config)
    }

    /// The adapter on another driver (the tests' in-memory bus).
    pub(crate) fn with_driver(driver: Arc<dyn Driver>, config: ClusterConfig) -> Self {
        let shared = Shared {
            health: driver.health(),
            driver,
            config,
            pending: Arc::default(),
            namespaces: RwLock::default(),
            listeners: RwLock::default(),
        };
        Self {
            shared: Arc::new(shared),
        }
    }

    /// Both connections from one [`confab_redis_link::Link`], with a pool of
    /// [`confab_redis_link::POOL_SIZE`] whose waits and connects are bounded by
    /// [`ClusterConfig::redis_timeout`]. A Redis Cluster link (`redis+cluster://h1:p1,h2:p2`,
    /// TLS `rediss+cluster://`) selects sharded Pub/Sub in the format of
    /// `@socket.io/redis-adapter`'s `createShardedAdapter`.
    pub fn from_link(link: &confab_redis_link::Link, config: ClusterConfig) -> Result<Self, Error> {
        if let Some(seed) = link.cluster_seed() {
            let driver = crate::sharded::ShardedDriver::new(seed, &config)?;
            return Ok(Self::with_driver(Arc::new(driver), config));
        }
        let pool = link.pool(confab_redis_link::POOL_SIZE, config.redis_timeout);
        Ok(Self::new(pool, link.clone(), config))
    }

    /// [`Self::from_link`] on a URL (`redis://host:port/db`, ...) with default
    /// [`confab_redis_link::LinkOptions`].
    pub fn from_url(url: &str, config: ClusterConfig) -> Result<Self, Error> {
        let link = confab_redis_link::Link::open(url, &confab_redis_link::LinkOptions::default())
            .map_err(|e| Error::Config(e.to_string()))?;
        Self::from_link(&link, config)
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
            .unwrap_or_else(PoisonError::into_inner)
            .insert(nsp.to_owned(), Arc::new(listener));
    }
}

impl RedisAdapterCtr {
    fn namespace(&self, nsp: &str) -> Result<NsEntry, Error> {
        self.shared
            .namespaces
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(nsp)
            .cloned()
            .ok_or_else(|| {
                Error::Config(format!("namespace {nsp} is not registered on this adapter"))
            })
    }

    /// Emits `event` with `args` to every other server of the cluster (Node's
    /// `io.of(nsp).serverSideEmit(event, ...args)`); does not wait for answers.
    pub async fn server_side_emit(
        &self,
        nsp: &str,
        event: &str,
        args: Vec<Json>,
    ) -> Result<(), Error> {
        let ns = self.namespace(nsp)?;
        let mut data = Vec::with_capacity(args.len() + 1);
        data.push(Json::from(event));
        data.extend(args);
        let body = wire::encode_server_side_emit(&ns.uid, None, &data);
        self.shared
            .driver
            .publish_wait(ns.channels.request, body)
            .await
    }

    /// Emits to every other server and collects one answer from each (Node's
    /// `serverSideEmit(event, ...args, (err, responses) => ...)`). Fails with
    /// [`Error::Timeout`] when some server does not answer within the request timeout.
    pub async fn server_side_emit_with_ack(
        &self,
        nsp: &str,
        event: &str,
        args: Vec<Json>,
    ) -> Result<Vec<Json>, Error> {
        let ns = self.namespace(nsp)?;
        let expected = self.shared.remote_count(&ns.channels).await?;
        if expected == 0 {
            return Ok(Vec::new());
        }
        let mut data = Vec::with_capacity(args.len() + 1);
        data.push(Json::from(event));
        data.extend(args);
        let answers = self
            .shared
            .request(&ns.channels, expected, "server_side_emit", |id| {
                wire::encode_server_side_emit(&ns.uid, Some(id), &data)
            })
            .await?;
        Ok(answers
            .iter()
            .map(|a| wire::get(a, "data").map_or(Json::Null, to_json))
            .collect())
    }

    /// The number of servers on namespace `nsp` (this one included), from `PUBSUB NUMSUB`.
    pub async fn server_count(&self, nsp: &str) -> Result<u16, Error> {
        let ns = self.namespace(nsp)?;
        let n = self.shared.driver.numsub(&ns.channels.request).await?;
        Ok(u16::try_from(n).unwrap_or(u16::MAX))
    }
}
