//! Wiring: configuration in, a bound listener and a running node out.
//! `App::build` binds (port 0 in tests) and exposes the address; `App::run` serves until the
//! shutdown future resolves, then drains in-flight requests.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::Router;
use axum::http::{HeaderName, HeaderValue, Method, header};
use confab_auth::{JwksSource, JwtAuthenticator, JwtSettings};
use confab_domain::Services;
use confab_domain::limits::{InProcessLimiter, Limits, Quota, TYPING_QUOTA};
use confab_domain::ports::{Notifier, RateLimiter};
use confab_domain::presence::{InProcessPresence, InProcessTyping};
use confab_gateway::Stores;
use confab_http::address_limit::UnauthenticatedLimit;
use confab_http::files::{Files, Storage, StorageCheck, SweepHandle, Sweeper};
use confab_http::{AppState, ReadinessCheck};
use confab_redis_adapter::RedisAdapter;
use confab_store::{Database, StoreOptions};
use secrecy::ExposeSecret;
use socketioxide::adapter::{Emitter, LocalAdapter};
use tokio::net::TcpListener;
use tower_http::cors::{AllowOrigin, Any, CorsLayer};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};

use crate::cluster::{Cluster, RedisCheck};
use crate::config::Config;
use crate::realtime::{self, Closer};
use crate::secret;
use crate::transport::{self, Timeouts};

/// A node, built and bound, not yet serving.
pub struct App {
    listener: TcpListener,
    router: Router,
    services: Arc<Services>,
    closer: Closer,
    shutdown_timeout: Duration,
    timeouts: Timeouts,
    /// The sweeper of expired unattached uploads and how often it runs (`None`: off).
    sweeper: Option<(Sweeper, Duration)>,
    /// The ops listener (`CONFAB_OPS_BIND`) and its routes, when configured.
    ops: Option<(TcpListener, Router)>,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App")
            .field("addr", &self.listener.local_addr().ok())
            .finish_non_exhaustive()
    }
}

impl App {
    /// Connects the database (migrating it unless told not to), builds the services and
    /// binds the listener.
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        // Key settings first: a refused secret stops the node before it touches anything.
        let jwt = jwt_settings(&config)?;
        let database = open_database(&config).await?;
        if config.database.migrate_on_start {
            migrate(&config, &database).await?;
        }
        let auth = JwtAuthenticator::new(jwt)
            .await
            .map_err(anyhow::Error::msg)?;
        let storage_settings = config
            .files
            .storage(config.storage_url.as_deref(), &config.data_dir);
        let storage = Storage::open(&storage_settings).context("opening the file storage")?;
        tracing::info!(storage = ?storage, "file storage");
        let cluster = match config.redis_url.as_deref().filter(|u| !u.trim().is_empty()) {
            Some(url) => Some(Cluster::new(url, &config, limits(&config))?),
            None => None,
        };
        let address_limit = UnauthenticatedLimit::new(config.unauthenticated_settings()?);
        let sources = crate::metrics::Sources {
            database: Some(database.clone()),
            cluster: cluster.clone(),
        };
        let (limiter, stores): (Arc<dyn RateLimiter>, Stores) = match &cluster {
            Some(cluster) => (
                cluster.state.limiter.clone(),
                Stores {
                    presence: cluster.state.presence.clone(),
                    typing: cluster.state.typing.clone(),
                    address_limit: Some(address_limit.clone()),
                },
            ),
            None => (
                Arc::new(InProcessLimiter::new(limits(&config))),
                Stores {
                    presence: Arc::new(InProcessPresence::new()),
                    typing: Arc::new(InProcessTyping::new()),
                    address_limit: Some(address_limit.clone()),
                },
            ),
        };
        let limiter: Arc<dyn RateLimiter> = Arc::new(crate::metrics::CountingLimiter(limiter));
        let services = |notifier: Arc<dyn Notifier>| {
            Arc::new(
                Services::builder(database.store(), auth)
                    .with_admin(database.store())
                    .with_files(database.store())
                    .with_flags(config.features.messaging.flags())
                    .with_max_reactions(config.limits.max_reactions_per_message)
                    .with_admission(config.limits.admission())
                    .build(limiter, notifier),
            )
        };
        let mut checks: Vec<Arc<dyn ReadinessCheck>> =
            vec![Arc::new(StorageCheck(storage.clone()))];
        if let Some(cluster) = &cluster {
            checks.push(Arc::new(RedisCheck(cluster.clone())));
        }
        let files = Arc::new(Files::new(
            storage.clone(),
            config.files.settings(&config.limits),
        ));
        let checks = Arc::new(checks);
        let main_metrics = config
            .ops_bind
            .is_none()
            .then(|| crate::metrics::renderer(sources.clone()));
        let http = |services: Arc<Services>| {
            let mut state = AppState::new(services);
            state.metrics = main_metrics;
            state.files = Some(files);
            state.checks = checks.clone();
            state.request_timeout = config.http.request_timeout();
            confab_http::router(state)
        };
        let gateway = config.gateway();
        let (router, services, closer) = match cluster {
            None => {
                let parts = realtime::assemble::<LocalAdapter>(gateway, (), stores, services, http);
                (parts.router, parts.services, parts.closer)
            }
            Some(cluster) => {
                let parts = realtime::assemble::<RedisAdapter<Emitter>>(
                    gateway,
                    cluster.adapter.clone(),
                    stores,
                    services,
                    http,
                );
                // A node whose Redis is down still starts and serves its own sockets; the
                // adapter joins the cluster when Redis answers.
                match tokio::time::timeout(config.redis.timeout * 3, parts.init).await {
                    Ok(Ok(())) => {
                        tracing::info!(prefix = %config.redis.channel_prefix, "joined the cluster over Redis")
                    }
                    Ok(Err(e)) => {
                        tracing::warn!(error = %e, "Redis unreachable at start-up; serving local sockets until it answers")
                    }
                    Err(_) => tracing::warn!(
                        "Redis slow at start-up; serving local sockets until it answers"
                    ),
                }
                (parts.router, parts.services, parts.closer)
            }
        };
        crate::analytics::spawn_refresh(&services, config.analytics.refresh_interval);
        crate::lag::spawn_probe(&services);
        let sweeper = (!config.files.sweep_interval.is_zero()).then(|| {
            let sweeper = Sweeper::new(services.clone(), storage, config.files.unattached_ttl);
            (sweeper, config.files.sweep_interval)
        });
        let router = with_layers(router, &config, address_limit);
        let listener = TcpListener::bind(config.bind)
            .await
            .with_context(|| format!("binding {}", config.bind))?;
        let ops = match config.ops_bind {
            Some(addr) => {
                let mut state = AppState::new(services.clone());
                state.metrics = Some(crate::metrics::renderer(sources));
                state.checks = checks;
                let listener = TcpListener::bind(addr)
                    .await
                    .with_context(|| format!("binding the ops listener {addr}"))?;
                Some((listener, confab_http::ops_router(state)))
            }
            None => None,
        };
        Ok(Self {
            listener,
            router,
            services,
            closer,
            shutdown_timeout: config.shutdown_timeout,
            timeouts: config.http.timeouts(),
            sweeper,
            ops,
        })
    }

    /// Where the ops listener (`CONFAB_OPS_BIND`) is bound, when configured.
    pub fn ops_addr(&self) -> Option<SocketAddr> {
        self.ops
            .as_ref()
            .and_then(|(listener, _)| listener.local_addr().ok())
    }

    /// The address the main listener is bound to (the real port when the configured one was 0);
    /// loopback port 0 if the socket cannot tell.
    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], 0)))
    }

    /// The use cases this node serves, shared with the HTTP routes and the Socket.IO handlers.
    pub fn services(&self) -> &Arc<Services> {
        &self.services
    }

    /// Serves until `shutdown` resolves, then stops accepting and gives in-flight requests
    /// up to the configured timeout to finish.
    pub async fn run(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let addr = self.local_addr();
        tracing::info!(%addr, "confab listening");
        let sweeping: Option<SweepHandle> = self
            .sweeper
            .map(|(sweeper, interval)| sweeper.spawn(interval));
        let (stopping_tx, stopping_rx) = tokio::sync::oneshot::channel::<()>();
        let (ops_stop_tx, ops_stop_rx) = tokio::sync::oneshot::channel::<()>();
        let ops = self.ops.map(|(listener, router)| {
            let addr = listener.local_addr().ok();
            tracing::info!(?addr, "ops listener (/metrics, /readyz)");
            let stop = async move {
                let _ = ops_stop_rx.await;
            };
            tokio::spawn(transport::serve(listener, router, self.timeouts, stop))
        });
        let closer = self.closer;
        let signal = async move {
            shutdown.await;
            let _ = ops_stop_tx.send(());
            tracing::info!(
                "shutting down: no new connections, closing sockets, finishing in-flight requests"
            );
            let _ = stopping_tx.send(());
            // Sockets are long-lived: announce this node's users gone and tell the sockets to
            // go (clients reconnect elsewhere), so the HTTP drain is not held open by them.
            closer().await;
        };
        let serve = transport::serve(self.listener, self.router, self.timeouts, signal);
        let timeout = self.shutdown_timeout;
        tokio::pin!(serve);
        tokio::select! {
            () = &mut serve => {}
            () = async move {
                let _ = stopping_rx.await;
                tokio::time::sleep(timeout).await;
            } => {
                tracing::warn!(?timeout, "shutdown timeout reached; dropping remaining connections");
            }
        }
        if let Some(sweeping) = sweeping {
            sweeping.stop().await;
        }
        if let Some(ops) = ops {
            // Scrapes are short; one held open past the timeout is dropped.
            let abort = ops.abort_handle();
            if tokio::time::timeout(self.shutdown_timeout, ops)
                .await
                .is_err()
            {
                abort.abort();
            }
        }
        tracing::info!("confab stopped");
        Ok(())
    }
}

/// Connects the configured database, creating the data dir for SQLite.
pub async fn open_database(config: &Config) -> anyhow::Result<Database> {
    std::fs::create_dir_all(&config.data_dir)
        .with_context(|| format!("creating data dir {}", config.data_dir.display()))?;
    let url = config.database_url();
    confab_store::connect(&url, &store_options(config))
        .await
        .with_context(|| format!("connecting to the database ({})", redact_url(&url)))
}

/// The database for migrations and imports: `database_migration_url` (a direct connection,
/// so session mode) when set, otherwise the configured database.
pub async fn open_direct_database(config: &Config) -> anyhow::Result<Database> {
    let Some(url) = &config.database_migration_url else {
        return open_database(config).await;
    };
    let options = StoreOptions {
        pooler: confab_store::Pooler::Session,
        ..store_options(config)
    };
    confab_store::connect(url, &options).await.with_context(|| {
        format!(
            "connecting to the database's migration URL ({})",
            redact_url(url)
        )
    })
}

/// Applies pending migrations: over `database_migration_url` when it is set, otherwise over
/// `database` (through a transaction pooler too: the migration is one transaction holding a
/// transaction-level lock).
pub async fn migrate(config: &Config, database: &Database) -> anyhow::Result<()> {
    if config.database_migration_url.is_none() {
        return database.migrate().await.context("applying migrations");
    }
    let direct = open_direct_database(config).await?;
    let result = direct.migrate().await.context("applying migrations");
    let _ = direct.close().await;
    result
}

fn store_options(config: &Config) -> StoreOptions {
    StoreOptions {
        max_connections: config.database.max_connections,
        acquire_timeout: config.database.acquire_timeout,
        sqlite_synchronous_full: config.database.sqlite_synchronous_full,
        schema: config.database_schema.clone(),
        pooler: config.database_pooler.into(),
        group_commit: confab_store::GroupCommitOptions {
            enabled: config.database.group_commit,
            max_rows: config.database.group_commit_max_rows.max(1) as usize,
            window: config.database.group_commit_window,
            writers: config.database.group_commit_writers.max(1) as usize,
            reads: config.database.group_reads,
        },
    }
}

/// The least length of `CONFAB_JWT_SECRET` (contract: "Security defaults"): HS256 with a
/// shorter secret can be brute-forced from any token.
pub const MIN_SECRET_BYTES: usize = 32;

/// The HS256 secret: configured, or (with no JWKS either) the data dir's development secret.
/// A configured secret shorter than [`MIN_SECRET_BYTES`] is refused, and so is the
/// development secret on a cluster (each node would generate its own).
pub fn hs256_secret(config: &Config) -> anyhow::Result<Option<Vec<u8>>> {
    match (&config.jwt_secret, &config.jwks_url) {
        (Some(secret), _) => {
            let bytes = secret.expose_secret().as_bytes();
            anyhow::ensure!(
                bytes.len() >= MIN_SECRET_BYTES,
                "CONFAB_JWT_SECRET is {} bytes long; it must be at least {MIN_SECRET_BYTES} (e.g. `openssl rand -hex 32`)",
                bytes.len()
            );
            Ok(Some(bytes.to_vec()))
        }
        (None, Some(_)) => Ok(None),
        (None, None) => {
            anyhow::ensure!(
                !clustered(config),
                "CONFAB_REDIS_URL is set but CONFAB_JWT_SECRET is not: every node would generate its own development secret and refuse the others' tokens; set CONFAB_JWT_SECRET (at least {MIN_SECRET_BYTES} bytes, the same on every node) or CONFAB_JWKS_URL"
            );
            secret::dev_secret(&config.data_dir).map(Some)
        }
    }
}

fn clustered(config: &Config) -> bool {
    config
        .redis_url
        .as_deref()
        .is_some_and(|u| !u.trim().is_empty())
}

fn jwt_settings(config: &Config) -> anyhow::Result<JwtSettings> {
    Ok(JwtSettings {
        secret: hs256_secret(config)?,
        jwks: config.jwks_url.as_deref().map(JwksSource::parse),
        audience: config.jwt_audience.clone(),
        issuer: config.jwt_issuer.clone(),
        leeway: config.auth.leeway,
    })
}

fn limits(config: &Config) -> Limits {
    let l = &config.limits;
    Limits {
        messages: Quota::per_minute(l.messages_per_minute),
        uploads: Quota::per_hour(l.uploads_per_hour),
        searches: Quota::per_minute(l.searches_per_minute),
        edits: Quota::per_minute(l.edits_per_minute),
        reactions: Quota::per_minute(l.reactions_per_minute),
        reports: Quota::per_hour(l.reports_per_hour),
        conversations: Quota::per_hour(l.conversations_per_hour),
        reads: Quota::per_minute(l.reads_per_minute),
        typing: TYPING_QUOTA,
    }
}

/// Request ids, the access log and request spans (`crate::access_log`), CORS and the
/// per-address limit on unauthenticated traffic, shared by REST and Socket.IO; outermost, a
/// response sent before its request body was read closes its connection.
fn with_layers(router: Router, config: &Config, limit: Arc<UnauthenticatedLimit>) -> Router {
    let request_id = HeaderName::from_static("x-request-id");
    router
        .layer(axum::middleware::from_fn_with_state(
            limit,
            confab_http::address_limit::guard,
        ))
        // Outside the per-address limit, so its 429s are counted too.
        .layer(axum::middleware::from_fn(confab_http::metrics::record))
        .layer(cors(&config.cors_origins))
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(axum::middleware::from_fn(crate::access_log::access_log))
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
        .layer(axum::middleware::from_fn(
            transport::unread::close_if_unread,
        ))
}

/// Listed origins get credentials; with none listed any origin may call without them
/// (tokens travel in headers, not cookies).
fn cors(origins: &[String]) -> CorsLayer {
    let methods = [
        Method::GET,
        Method::POST,
        Method::PATCH,
        Method::PUT,
        Method::DELETE,
        Method::OPTIONS,
    ];
    let headers = [
        header::AUTHORIZATION,
        header::CONTENT_TYPE,
        HeaderName::from_static("x-request-id"),
    ];
    let listed: Vec<HeaderValue> = origins
        .iter()
        .filter_map(|o| HeaderValue::from_str(o).ok())
        .collect();
    if listed.is_empty() {
        CorsLayer::new()
            .allow_origin(Any)
            .allow_methods(methods)
            .allow_headers(headers)
    } else {
        CorsLayer::new()
            .allow_origin(AllowOrigin::list(listed))
            .allow_methods(methods)
            .allow_headers(headers)
            .allow_credentials(true)
    }
}

/// A URL with any password replaced, for logs and errors.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            let user = userinfo.split(':').next().unwrap_or_default();
            format!("{}://{user}:***@{}", &url[..scheme], &url[at + 1..])
        }
        _ => url.to_owned(),
    }
}
