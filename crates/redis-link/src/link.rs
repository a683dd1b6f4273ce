//! [`Link`]: how this node opens Redis connections, whatever [`RedisTarget`] names: the
//! pooled, multiplexed connections (commands and publishing) and the dedicated Pub/Sub
//! connection of the adapter's subscriber. Both go over TLS for `rediss…` URLs (rustls, the
//! system roots or the CA bundle given), and for Sentinel both ask the sentinels for the
//! current master each time they open a connection, so a failover is followed by reconnecting.

use std::fmt;
use std::ops::{Deref, DerefMut};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use deadpool::managed;
use redis::aio::{ConnectionLike, MultiplexedConnection, PubSub};
use redis::sentinel::{SentinelClient, SentinelClientBuilder, SentinelServerType};
use redis::{ConnectionAddr, RedisError, RedisResult, TlsCertificates, TlsMode};

use crate::target::{RedisTarget, TargetError};

/// Settings that go with the URL (`CONFAB_REDIS__*`).
#[derive(Clone, Default)]
pub struct LinkOptions {
    /// PEM certificates to trust for `rediss…` instead of the system roots (the contents of
    /// `CONFAB_REDIS__TLS_CA_FILE`).
    pub tls_ca_pem: Option<Vec<u8>>,
    /// The sentinels' own user (`CONFAB_REDIS__SENTINEL_USERNAME`); the URL's user is the
    /// data nodes'. `None`: the sentinels are asked without a user.
    pub sentinel_username: Option<String>,
    /// The sentinels' own password (`CONFAB_REDIS__SENTINEL_PASSWORD`); the URL's password is
    /// the data nodes'. `None`: no AUTH to the sentinels. Never printed by `Debug`.
    pub sentinel_password: Option<String>,
}

impl fmt::Debug for LinkOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LinkOptions")
            .field("tls_ca_pem", &self.tls_ca_pem.as_ref().map(Vec::len))
            .field("sentinel_username", &self.sentinel_username)
            .field(
                "sentinel_password",
                &self.sentinel_password.as_ref().map(|_| "********"),
            )
            .finish()
    }
}

/// Opens connections to the deployment a URL names. Cheap to clone.
#[derive(Clone)]
pub struct Link {
    target: Arc<RedisTarget>,
    connector: Arc<Connector>,
}

enum Connector {
    Standalone(redis::Client),
    Sentinel(tokio::sync::Mutex<SentinelClient>),
    /// A Redis Cluster is reached through [`crate::cluster`]'s clients, not through the
    /// connections and pools of this type.
    Cluster(crate::cluster::Seed),
}

impl fmt::Debug for Link {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Link")
            .field("kind", &self.target.kind())
            .field("tls", &self.target.tls())
            .finish()
    }
}

impl Link {
    /// Parses `url` ([`RedisTarget::parse`]) and prepares to connect. Connects lazily: Redis
    /// need not be up. Errors are short, safe to log and never repeat a password.
    pub fn open(url: &str, options: &LinkOptions) -> Result<Self, TargetError> {
        Self::new(RedisTarget::parse(url)?, options)
    }

    /// Prepares to connect to an already parsed `target`; connects lazily (Redis need not be
    /// up). Errs when `tls_ca_pem` is set for a non-TLS target or holds no PEM certificate,
    /// or when the redis crate refuses the URL or the Sentinel settings.
    pub fn new(target: RedisTarget, options: &LinkOptions) -> Result<Self, TargetError> {
        let certificates = match &options.tls_ca_pem {
            None => None,
            Some(_) if !target.tls() => {
                return Err(TargetError(
                    "CONFAB_REDIS__TLS_CA_FILE is set but CONFAB_REDIS_URL does not use TLS (rediss://, rediss+sentinel://, rediss+cluster://)".into(),
                ));
            }
            Some(pem) => Some(ca_certificates(pem)?),
        };
        let connector = match &target {
            RedisTarget::Standalone { url, .. } => {
                let client = match certificates {
                    Some(certs) => redis::Client::build_with_tls(url.as_str(), certs),
                    None => redis::Client::open(url.as_str()),
                }
                .map_err(|e| redis_config_error(&e))?;
                Connector::Standalone(client)
            }
            RedisTarget::Sentinel {
                sentinels,
                master_name,
                db,
                tls,
                credentials,
            } => {
                let addrs = sentinels.iter().map(|s| {
                    if *tls {
                        ConnectionAddr::TcpTls {
                            host: s.host.clone(),
                            port: s.port,
                            insecure: false,
                            tls_params: None,
                        }
                    } else {
                        ConnectionAddr::Tcp(s.host.clone(), s.port)
                    }
                });
                let mut builder =
                    SentinelClientBuilder::new(addrs, master_name, SentinelServerType::Master)
                        .map_err(|e| redis_config_error(&e))?
                        .set_client_to_redis_db(*db);
                if *tls {
                    builder = builder
                        .set_client_to_redis_tls_mode(TlsMode::Secure)
                        .set_client_to_sentinel_tls_mode(TlsMode::Secure);
                }
                if let Some(certs) = certificates {
                    builder = builder
                        .set_client_to_redis_certificates(certs.clone())
                        .set_client_to_sentinel_certificates(certs);
                }
                if let Some(user) = &credentials.username {
                    builder = builder.set_client_to_redis_username(user);
                }
                if let Some(password) = &credentials.password {
                    builder = builder.set_client_to_redis_password(password);
                }
                if let Some(user) = &options.sentinel_username {
                    builder = builder.set_client_to_sentinel_username(user);
                }
                if let Some(password) = &options.sentinel_password {
                    builder = builder.set_client_to_sentinel_password(password);
                }
                let client = builder.build().map_err(|e| redis_config_error(&e))?;
                Connector::Sentinel(tokio::sync::Mutex::new(client))
            }
            RedisTarget::Cluster { .. } => match crate::cluster::Seed::of(&target, certificates) {
                Some(seed) => Connector::Cluster(seed),
                None => unreachable!("a Cluster target always has a seed"),
            },
        };
        Ok(Self {
            target: Arc::new(target),
            connector: Arc::new(connector),
        })
    }

    /// What the URL named.
    pub fn target(&self) -> &RedisTarget {
        &self.target
    }

    /// The seed nodes when the URL names a Redis Cluster (whose users open Cluster
    /// connections through [`crate::cluster`] instead of [`Self::connection`] and pools).
    pub fn cluster_seed(&self) -> Option<&crate::cluster::Seed> {
        match &*self.connector {
            Connector::Cluster(seed) => Some(seed),
            Connector::Standalone(_) | Connector::Sentinel(_) => None,
        }
    }

    /// A new multiplexed connection (for Sentinel: to the master the sentinels name now).
    pub async fn connection(&self) -> RedisResult<MultiplexedConnection> {
        match &*self.connector {
            Connector::Standalone(client) => client.get_multiplexed_async_connection().await,
            Connector::Sentinel(client) => client.lock().await.get_async_connection().await,
            Connector::Cluster(_) => Err(not_a_server()),
        }
    }

    /// A new dedicated Pub/Sub connection (for Sentinel: to the current master).
    pub async fn pubsub(&self) -> RedisResult<PubSub> {
        match &*self.connector {
            Connector::Standalone(client) => client.get_async_pubsub().await,
            Connector::Sentinel(client) => {
                let master = client.lock().await.async_get_client().await?;
                master.get_async_pubsub().await
            }
            Connector::Cluster(_) => Err(not_a_server()),
        }
    }

    /// A pool of `size` connections. Waiting for a connection, opening one and recycling one
    /// are each bounded by `timeout`. Building it does not need Redis to be up.
    pub fn pool(&self, size: usize, timeout: Duration) -> Pool {
        let manager = Manager {
            link: self.clone(),
            ping_number: AtomicUsize::new(0),
        };
        let timeouts = managed::Timeouts {
            wait: Some(timeout),
            create: Some(timeout),
            recycle: Some(timeout),
        };
        // `build` fails only for timeouts without a runtime, and the runtime is given.
        let built = Pool::builder(manager)
            .max_size(size)
            .timeouts(timeouts)
            .runtime(deadpool::Runtime::Tokio1)
            .build();
        match built {
            Ok(pool) => pool,
            Err(e) => unreachable!("a pool with a runtime always builds: {e}"),
        }
    }
}

/// The PEM bundle as certificates, refusing one that holds none.
fn ca_certificates(pem: &[u8]) -> Result<TlsCertificates, TargetError> {
    let text = String::from_utf8_lossy(pem);
    if !text.contains("-----BEGIN CERTIFICATE-----") {
        return Err(TargetError(
            "CONFAB_REDIS__TLS_CA_FILE holds no PEM certificate (-----BEGIN CERTIFICATE-----)"
                .into(),
        ));
    }
    Ok(TlsCertificates {
        client_tls: None,
        root_cert: Some(pem.to_vec()),
    })
}

/// What a server connection asked of a Cluster link answers (a programming error: Cluster
/// users go through [`crate::cluster`]).
fn not_a_server() -> RedisError {
    RedisError::from((
        redis::ErrorKind::Client,
        "a Redis Cluster link opens Cluster connections (confab_redis_link::cluster), not server ones",
    ))
}

fn redis_config_error(e: &RedisError) -> TargetError {
    TargetError(format!(
        "CONFAB_REDIS_URL and CONFAB_REDIS__* settings: {}",
        e.detail().unwrap_or("invalid")
    ))
}

/// Creates and recycles the pool's connections through a [`Link`].
pub struct Manager {
    link: Link,
    ping_number: AtomicUsize,
}

impl fmt::Debug for Manager {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Manager").field("link", &self.link).finish()
    }
}

impl managed::Manager for Manager {
    type Type = MultiplexedConnection;
    type Error = RedisError;

    async fn create(&self) -> Result<MultiplexedConnection, RedisError> {
        self.link.connection().await
    }

    async fn recycle(
        &self,
        conn: &mut MultiplexedConnection,
        _: &managed::Metrics,
    ) -> managed::RecycleResult<RedisError> {
        let ping_number = self.ping_number.fetch_add(1, Ordering::Relaxed).to_string();
        // UNWATCH and PING in one round trip (a connection back from a failed transaction
        // must not keep watching keys); behind Sentinel also ROLE, so that a connection to a
        // master that was demoted (and still answers) is dropped and the next one asks the
        // sentinels again.
        let mut pipe = redis::Pipeline::with_capacity(3);
        pipe.cmd("UNWATCH").ignore().cmd("PING").arg(&ping_number);
        let (n, still_master) = if matches!(*self.link.connector, Connector::Sentinel(_)) {
            pipe.cmd("ROLE");
            let (n, role): (String, Vec<redis::Value>) = pipe.query_async(conn).await?;
            let master = role
                .into_iter()
                .next()
                .and_then(|v| redis::from_redis_value::<String>(v).ok())
                .is_some_and(|r| r == "master");
            (n, master)
        } else {
            let (n,): (String,) = pipe.query_async(conn).await?;
            (n, true)
        };
        if n != ping_number {
            Err(managed::RecycleError::message("Invalid PING response"))
        } else if !still_master {
            Err(managed::RecycleError::message(
                "no longer the master Sentinel names",
            ))
        } else {
            Ok(())
        }
    }
}

/// The pool's connections: bounded waits, connects and recycles ([`Link::pool`]).
pub type Pool = managed::Pool<Manager, Connection>;
/// Errors of [`Pool::get`].
pub type PoolError = managed::PoolError<RedisError>;

/// A pooled connection; back to the pool when dropped.
pub struct Connection {
    conn: managed::Object<Manager>,
}

impl Connection {
    /// Takes the connection out of its pool for good (a broken one is not put back).
    #[must_use]
    pub fn take(this: Self) -> MultiplexedConnection {
        managed::Object::take(this.conn)
    }
}

impl From<managed::Object<Manager>> for Connection {
    fn from(conn: managed::Object<Manager>) -> Self {
        Self { conn }
    }
}

impl Deref for Connection {
    type Target = MultiplexedConnection;

    fn deref(&self) -> &MultiplexedConnection {
        &self.conn
    }
}

impl DerefMut for Connection {
    fn deref_mut(&mut self) -> &mut MultiplexedConnection {
        &mut self.conn
    }
}

impl ConnectionLike for Connection {
    fn req_packed_command<'a>(
        &'a mut self,
        cmd: &'a redis::Cmd,
    ) -> redis::RedisFuture<'a, redis::Value> {
        self.conn.req_packed_command(cmd)
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        cmd: &'a redis::Pipeline,
        offset: usize,
        count: usize,
    ) -> redis::RedisFuture<'a, Vec<redis::Value>> {
        self.conn.req_packed_commands(cmd, offset, count)
    }

    fn get_db(&self) -> i64 {
        self.conn.get_db()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ca_file_needs_a_tls_url_and_a_certificate() {
        let pem = LinkOptions {
            tls_ca_pem: Some(b"-----BEGIN CERTIFICATE-----\n".to_vec()),
            ..LinkOptions::default()
        };
        let e = Link::open("redis://127.0.0.1:6379", &pem).unwrap_err();
        assert!(e.0.contains("does not use TLS"), "{e}");
        let junk = LinkOptions {
            tls_ca_pem: Some(b"not a certificate".to_vec()),
            ..LinkOptions::default()
        };
        let e = Link::open("rediss://127.0.0.1:6379", &junk).unwrap_err();
        assert!(e.0.contains("no PEM certificate"), "{e}");
    }

    #[test]
    fn a_cluster_link_hands_out_its_seed_not_server_connections() {
        let link = Link::open(
            "rediss+cluster://u:pw@127.0.0.1:7000,127.0.0.1:7001",
            &LinkOptions::default(),
        )
        .unwrap();
        let seed = link.cluster_seed().expect("a Cluster link has a seed");
        assert_eq!(
            seed.nodes,
            ["rediss://127.0.0.1:7000", "rediss://127.0.0.1:7001"]
        );
        assert_eq!(seed.credentials.password.as_deref(), Some("pw"));
        let standalone = Link::open("redis://127.0.0.1:1", &LinkOptions::default()).unwrap();
        assert!(standalone.cluster_seed().is_none());
    }

    #[test]
    fn links_are_built_without_redis() {
        let options = LinkOptions::default();
        for url in [
            "redis://127.0.0.1:1",
            "rediss://localhost:1/2",
            "redis+sentinel://127.0.0.1:1,127.0.0.1:2/mymaster",
            "rediss+sentinel://:pw@127.0.0.1:1/mymaster/1",
        ] {
            let link = Link::open(url, &options).unwrap_or_else(|e| panic!("{url}: {e}"));
            let _pool = link.pool(2, Duration::from_millis(10));
        }
    }
}
