//! Redis Cluster connections: one multiplexed [`ClusterConnection`] per use (it keeps a
//! connection to each master, follows `MOVED`/`ASK` and reconnects by itself), opened lazily so
//! that an unreachable Cluster does not stop a node from starting.

use std::time::Duration;

use redis::cluster::{ClusterClient, ClusterClientBuilder};
use redis::cluster_async::ClusterConnection;
use redis::{PushInfo, RedisResult, TlsCertificates};
use tokio::sync::OnceCell;

use crate::target::{Credentials, RedisTarget};

/// Where a Redis Cluster is: its seed nodes (`redis://host:port`, `rediss://` for TLS), the
/// data nodes' user and password, and the CA to trust for TLS (`CONFAB_REDIS__TLS_CA_FILE`).
#[derive(Clone)]
pub struct Seed {
    /// The seed nodes as `redis://host:port` (`rediss://` with TLS).
    pub nodes: Vec<String>,
    /// The data nodes' user and password.
    pub credentials: Credentials,
    /// The CA bundle to trust instead of the system roots, when set.
    pub certificates: Option<TlsCertificates>,
}

impl std::fmt::Debug for Seed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Seed")
            .field("nodes", &self.nodes)
            .field("credentials", &self.credentials)
            .field("private_ca", &self.certificates.is_some())
            .finish()
    }
}

impl Seed {
    /// The seed of a [`RedisTarget::Cluster`]; `None` for any other target.
    pub fn of(target: &RedisTarget, certificates: Option<TlsCertificates>) -> Option<Self> {
        let RedisTarget::Cluster {
            nodes,
            tls,
            credentials,
        } = target
        else {
            return None;
        };
        let scheme = if *tls { "rediss" } else { "redis" };
        Some(Self {
            nodes: nodes.iter().map(|n| format!("{scheme}://{n}")).collect(),
            credentials: credentials.clone(),
            certificates,
        })
    }
}

/// A client for the Cluster at `seed`, each connect and answer bounded by `timeout`. With
/// `push`, the connections speak RESP3 and deliver Pub/Sub messages there (the subscriber);
/// without, RESP2 (commands).
pub fn client(
    seed: &Seed,
    timeout: Duration,
    push: Option<tokio::sync::mpsc::UnboundedSender<PushInfo>>,
) -> RedisResult<ClusterClient> {
    let mut builder = ClusterClientBuilder::new(seed.nodes.clone())
        .connection_timeout(timeout)
        .response_timeout(timeout)
        .retries(2);
    if let Some(user) = &seed.credentials.username {
        builder = builder.username(user);
    }
    if let Some(password) = &seed.credentials.password {
        builder = builder.password(password);
    }
    if let Some(certificates) = &seed.certificates {
        builder = builder.certs(certificates.clone());
    }
    if let Some(push) = push {
        builder = builder
            .use_protocol(redis::ProtocolVersion::RESP3)
            .push_sender(push);
    }
    builder.build()
}

/// A Cluster connection opened on first use (and again after a failed first attempt).
#[derive(Clone)]
pub struct LazyCluster {
    client: ClusterClient,
    conn: std::sync::Arc<OnceCell<ClusterConnection>>,
    timeout: Duration,
}

impl std::fmt::Debug for LazyCluster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LazyCluster")
            .field("connected", &self.conn.initialized())
            .finish_non_exhaustive()
    }
}

impl LazyCluster {
    /// Builds the client; connects on the first [`get`](Self::get).
    pub fn new(seed: &Seed, timeout: Duration) -> RedisResult<Self> {
        Ok(Self {
            client: client(seed, timeout, None)?,
            conn: std::sync::Arc::default(),
            timeout,
        })
    }

    /// The shared connection (a cheap clone), connecting first if needed, bounded by the
    /// timeout.
    pub async fn get(&self) -> RedisResult<ClusterConnection> {
        let connect = async {
            match tokio::time::timeout(self.timeout, self.client.get_async_connection()).await {
                Ok(result) => result,
                Err(_) => Err(redis::RedisError::from((
                    redis::ErrorKind::Io,
                    "connecting to the Redis Cluster timed out",
                ))),
            }
        };
        self.conn.get_or_try_init(|| connect).await.cloned()
    }
}
