//! Typed configuration: defaults, then an optional `confab.toml`, then `CONFAB_*`
//! environment variables (nested with `__`). Loaded once in `main` and passed down. The other
//! readers of the environment are few and each reads a variable another tool defines: the CLI
//! (`CONFAB_CONFIG`, through clap), [`rust_log`] (`RUST_LOG`, for the log filter),
//! [`Config::load`] (`OTEL_EXPORTER_OTLP_ENDPOINT` and the `OTEL_*` variables of [`otel`]), and
//! confab-http's S3 storage (`AWS_*` credentials, through `AmazonS3Builder::from_env`).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use confab_domain::MessagingFlags;
use secrecy::SecretString;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

pub mod check;
#[cfg(test)]
mod example;
mod files;
mod http;
pub mod keys;
pub mod otel;
pub mod print;
mod redis;

pub use check::{Checked, Invalid, Problem, Sources};
pub use files::{FilesConfig, S3Config};
pub use http::HttpConfig;
pub use redis::RedisConfig;

/// Every setting. Unknown keys and `CONFAB_*` variables are refused at start-up (see
/// `check`); the key list is read off `Config::default()` serialized, so a new field needs no
/// other registration, only a line in `confab.example.toml` (a test compares the two).
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default)]
pub struct Config {
    /// `CONFAB_BIND`: where the HTTP + Socket.IO listener binds.
    pub bind: SocketAddr,
    /// `CONFAB_OPS_BIND`: a second listener for `/metrics` and a detailed `/readyz` (unset:
    /// `/metrics` stays on the main listener). When set, the main listener no longer serves
    /// `/metrics`.
    pub ops_bind: Option<SocketAddr>,
    /// `CONFAB_DATA_DIR`: SQLite file, local uploads and the development token secret.
    pub data_dir: PathBuf,
    /// `CONFAB_DATABASE_URL`: `postgres://…` or `sqlite://…`; unset: SQLite under the data dir.
    pub database_url: Option<String>,
    /// `CONFAB_DATABASE_SCHEMA`: the PostgreSQL schema confab's tables, view, search index and
    /// migration records live in (created when missing). On Supabase use `confab`: `public`
    /// holds the app's own `users`, `conversations`, ….
    #[serde(deserialize_with = "database_schema")]
    pub database_schema: String,
    /// `CONFAB_DATABASE_POOLER`: `session` (a direct connection or a session pooler) or
    /// `transaction` (PgBouncer `pool_mode = transaction`, Supabase's pooler on port 6543).
    pub database_pooler: DatabasePooler,
    /// `CONFAB_DATABASE_MIGRATION_URL`: a direct PostgreSQL connection (no pooler) for
    /// migrations (`confab migrate`, migrate on start) and `confab import`; unset: the
    /// database URL.
    pub database_migration_url: Option<String>,
    /// `CONFAB_DATABASE__*`: pool and durability settings.
    pub database: DatabaseConfig,
    /// `CONFAB_REDIS_URL`: unset runs a single node with in-process state.
    pub redis_url: Option<String>,
    /// `CONFAB_REDIS__*`: cluster settings (used only when `CONFAB_REDIS_URL` is set).
    pub redis: RedisConfig,
    /// `CONFAB_STORAGE_URL`: `s3://bucket/prefix`; unset: a directory under the data dir.
    pub storage_url: Option<String>,
    /// `CONFAB_JWT_SECRET`: HS256 secret; unset (and no JWKS): generated once in the data dir.
    #[serde(deserialize_with = "secret", serialize_with = "masked")]
    pub jwt_secret: Option<SecretString>,
    /// `CONFAB_JWKS_URL`: asymmetric keys (Supabase signing keys): URL or local file.
    pub jwks_url: Option<String>,
    /// `CONFAB_JWT_AUDIENCE` / `CONFAB_JWT_ISSUER`: required claims when set.
    pub jwt_audience: Option<String>,
    /// See `jwt_audience`: the required `iss` claim, when set.
    pub jwt_issuer: Option<String>,
    /// `CONFAB_AUTH__*`: token verification settings beyond the keys.
    pub auth: AuthConfig,
    /// `CONFAB_CORS_ORIGINS`: comma-separated origins allowed with credentials; unset or
    /// empty: any origin, without credentials.
    #[serde(deserialize_with = "string_list")]
    pub cors_origins: Vec<String>,
    /// `CONFAB_LOG_FORMAT`: `text` (default) or `json`.
    pub log_format: LogFormat,
    /// `RUST_LOG`-style filter; `RUST_LOG` itself wins when set.
    pub log_filter: String,
    /// `OTEL_EXPORTER_OTLP_ENDPOINT`: where traces go, when set.
    pub otlp_endpoint: Option<String>,
    /// The other standard `OTEL_*` variables (service name, resource, sampler): no file key.
    #[serde(skip)]
    pub otel: otel::OtelSettings,
    /// How long shutdown waits for in-flight requests.
    #[serde(with = "humantime_serde")]
    pub shutdown_timeout: Duration,
    /// `CONFAB_LIMITS__*`: per-user rate limits and size caps.
    pub limits: LimitsConfig,
    /// `CONFAB_FEATURES__*`: feature flags.
    pub features: FeaturesConfig,
    /// `CONFAB_REALTIME__*`: Socket.IO settings; see [`Config::gateway`] for the values used.
    pub realtime: RealtimeConfig,
    /// `CONFAB_FILES__*`: upload rules, unattached-file sweeping and S3 settings.
    pub files: FilesConfig,
    /// `CONFAB_ANALYTICS__*`: upkeep of the PostgreSQL analytics view.
    pub analytics: AnalyticsConfig,
    /// `CONFAB_HTTP__*`: transport timeouts of the listener.
    pub http: HttpConfig,
}

/// `CONFAB_AUTH__*`: token verification beyond the keys.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default)]
pub struct AuthConfig {
    /// `CONFAB_AUTH__LEEWAY` (e.g. `60s`): clock skew allowed on `exp` and `nbf`; a socket's
    /// session ends this long after its token's `exp`.
    #[serde(with = "humantime_serde")]
    pub leeway: Duration,
}

impl Default for AuthConfig {
    fn default() -> Self {
        Self {
            leeway: confab_auth::DEFAULT_LEEWAY,
        }
    }
}

/// `CONFAB_ANALYTICS__*`: the PostgreSQL analytics view's upkeep (SQLite has none).
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default)]
pub struct AnalyticsConfig {
    /// `CONFAB_ANALYTICS__REFRESH_INTERVAL` (e.g. `60s`, `5m`): how often the materialized
    /// view is refreshed; `0s` never. Results are exact either way, only cheaper to compute
    /// when the view is fresh.
    #[serde(with = "humantime_serde")]
    pub refresh_interval: Duration,
}

impl Default for AnalyticsConfig {
    fn default() -> Self {
        Self {
            refresh_interval: Duration::from_secs(60),
        }
    }
}

/// Socket.IO settings (`CONFAB_REALTIME__*`): the gateway's own settings struct, read as it is
/// (engine values default to Node's; the defaults live in `GatewayConfig::default`). Its caps
/// (`sockets_per_user`, `rooms_per_socket`) are not read here but from [`LimitsConfig`]; see
/// [`Config::gateway`].
pub type RealtimeConfig = confab_gateway::GatewayConfig;

impl LimitsConfig {
    /// The admission control of sends these limits configure.
    pub fn admission(&self) -> confab_domain::admission::AdmissionConfig {
        confab_domain::admission::AdmissionConfig {
            max_in_flight: self.sends_in_flight,
            max_deliveries: self.deliveries_in_flight,
            target: self.send_queue_target,
            lag_target: self.send_lag_target,
            ..confab_domain::admission::AdmissionConfig::default()
        }
    }
}

impl Config {
    /// The gateway's settings: `[realtime]` with the caps of `[limits]`
    /// (`CONFAB_LIMITS__SOCKETS_PER_USER` / `ROOMS_PER_SOCKET`), and a read buffer of at
    /// least 256 bytes.
    pub fn gateway(&self) -> confab_gateway::GatewayConfig {
        let mut gateway = self.realtime.clone();
        gateway.ws_read_buffer = gateway.ws_read_buffer.max(256);
        gateway.sockets_per_user = self.limits.sockets_per_user;
        gateway.rooms_per_socket = self.limits.rooms_per_socket;
        gateway
    }
}

/// `CONFAB_DATABASE__*`: the connection pool and durability settings.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default)]
pub struct DatabaseConfig {
    /// `CONFAB_DATABASE__MIGRATE_ON_START`: `confab serve` applies migrations first.
    pub migrate_on_start: bool,
    /// `CONFAB_DATABASE__MAX_CONNECTIONS`: the most connections the node's pool opens.
    pub max_connections: u32,
    /// `CONFAB_DATABASE__ACQUIRE_TIMEOUT` (e.g. `5s`): how long to wait for a pooled connection
    /// (and the first one); an unreachable database fails within it.
    #[serde(with = "humantime_serde")]
    pub acquire_timeout: Duration,
    /// SQLite `synchronous=FULL` (every commit reaches the disk before the ack).
    pub sqlite_synchronous_full: bool,
    /// `CONFAB_DATABASE__GROUP_COMMIT`: sends waiting for the database together are stored in
    /// one transaction (false: one transaction per send).
    pub group_commit: bool,
    /// `CONFAB_DATABASE__GROUP_COMMIT_MAX_ROWS`: most sends in one group commit.
    pub group_commit_max_rows: u32,
    /// `CONFAB_DATABASE__GROUP_COMMIT_WINDOW` (e.g. `2ms`): how long a writer waits for more
    /// sends after the first; `0ms` takes what is queued, adding no latency when idle.
    #[serde(with = "humantime_serde")]
    pub group_commit_window: Duration,
    /// `CONFAB_DATABASE__GROUP_COMMIT_WRITERS`: PostgreSQL writer tasks (conversations are
    /// spread over them); SQLite always has one.
    pub group_commit_writers: u32,
    /// `CONFAB_DATABASE__GROUP_READS`: PostgreSQL: access checks waiting for the database
    /// together are read in one statement (false: one statement each).
    pub group_reads: bool,
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        Self {
            migrate_on_start: true,
            max_connections: 16,
            acquire_timeout: Duration::from_secs(5),
            sqlite_synchronous_full: true,
            group_commit: true,
            group_commit_max_rows: 256,
            group_commit_window: Duration::ZERO,
            group_commit_writers: 1,
            group_reads: true,
        }
    }
}

/// `CONFAB_DATABASE_POOLER`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DatabasePooler {
    /// `session`: directly, or through a pooler that keeps one server connection per client
    /// session; the schema is set once per connection.
    #[default]
    Session,
    /// `transaction`: through a pooler that hands out a server connection per transaction
    /// (PgBouncer `pool_mode = transaction`, Supabase's port 6543); no statement cache, the schema
    /// set in every transaction.
    Transaction,
}

impl From<DatabasePooler> for confab_store::Pooler {
    fn from(pooler: DatabasePooler) -> Self {
        match pooler {
            DatabasePooler::Session => Self::Session,
            DatabasePooler::Transaction => Self::Transaction,
        }
    }
}

/// `CONFAB_LOG_FORMAT`: how log lines are written to stdout.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines (the default).
    #[default]
    Text,
    /// One JSON object per line, for log collectors.
    Json,
}

/// Per-user limits (`CONFAB_LIMITS__*`). A rate of 0 disables that limit.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default)]
pub struct LimitsConfig {
    /// `CONFAB_LIMITS__MESSAGES_PER_MINUTE`: messages one user may send per minute.
    pub messages_per_minute: u32,
    /// `CONFAB_LIMITS__UPLOADS_PER_HOUR`: files one user may upload per hour.
    pub uploads_per_hour: u32,
    /// `CONFAB_LIMITS__SEARCHES_PER_MINUTE`: searches one user may run per minute.
    pub searches_per_minute: u32,
    /// `CONFAB_LIMITS__MAX_FILE_BYTES`: the largest upload accepted, in bytes.
    pub max_file_bytes: u64,
    /// Edits and deletions of one's own messages.
    pub edits_per_minute: u32,
    /// Adding or removing reactions.
    pub reactions_per_minute: u32,
    /// Reports one user may file per hour.
    pub reports_per_hour: u32,
    /// Conversations a member creates (admins are not limited).
    pub conversations_per_hour: u32,
    /// Read receipts (REST and `message:read`).
    pub reads_per_minute: u32,
    /// Distinct emoji on one message (0: no cap).
    pub max_reactions_per_message: u32,
    /// Sockets one user holds on one node (0: no cap).
    pub sockets_per_user: u32,
    /// Conversations one socket has joined (0: no cap).
    pub rooms_per_socket: u32,
    /// Parts of one multipart upload (0: no cap).
    pub upload_max_parts: u32,
    /// Failed authentications (401s, refused handshakes) one client address may make per
    /// minute, after a burst of `unauthenticated_burst` (0: no limit).
    pub unauthenticated_per_minute: u32,
    /// Failed authentications one client address may make at once before
    /// `unauthenticated_per_minute` applies.
    pub unauthenticated_burst: u32,
    /// `CONFAB_LIMITS__SENDS_IN_FLIGHT`: sends (socket and REST) this node works on at once,
    /// from admission to the broadcast; more are refused with `overloaded` (0: no cap).
    pub sends_in_flight: u32,
    /// `CONFAB_LIMITS__DELIVERIES_IN_FLIGHT`: the deliveries to this node's sockets the sends
    /// in flight may cause at once, each send counting its conversation room's sockets here
    /// (at least 1, at most a quarter of this); more sends are refused with `overloaded`
    /// (0: no cap). A send is taken whatever its fan-out when no other is in flight.
    pub deliveries_in_flight: u32,
    /// `CONFAB_LIMITS__SEND_QUEUE_TARGET` (e.g. `100ms`): when even the fastest send of a
    /// 100 ms window waited longer than this from its receipt to its commit, new sends are
    /// refused with `overloaded` until the delay falls (`0s`: the delay is not watched).
    #[serde(with = "humantime_serde")]
    pub send_queue_target: Duration,
    /// `CONFAB_LIMITS__SEND_LAG_TARGET` (e.g. `10ms`): when the node's runtime falls this far
    /// behind (a probe wakes that late: the CPU is saturated, typically by fan-out), new sends
    /// are refused with `overloaded` for 100 ms (`0s`: not watched).
    #[serde(with = "humantime_serde")]
    pub send_lag_target: Duration,
}

impl Default for LimitsConfig {
    /// The contract's defaults, each taken from the crate that enforces it.
    fn default() -> Self {
        let rates = confab_domain::limits::Limits::default();
        let files = confab_http::files::FileSettings::default();
        let gateway = confab_gateway::GatewayConfig::default();
        let admission = confab_domain::admission::AdmissionConfig::default();
        Self {
            messages_per_minute: rates.messages.limit,
            uploads_per_hour: rates.uploads.limit,
            searches_per_minute: rates.searches.limit,
            max_file_bytes: files.max_file_bytes,
            edits_per_minute: rates.edits.limit,
            reactions_per_minute: rates.reactions.limit,
            reports_per_hour: rates.reports.limit,
            conversations_per_hour: rates.conversations.limit,
            reads_per_minute: rates.reads.limit,
            max_reactions_per_message: confab_domain::service::DEFAULT_MAX_REACTIONS,
            sockets_per_user: gateway.sockets_per_user,
            rooms_per_socket: gateway.rooms_per_socket,
            upload_max_parts: files.max_parts,
            unauthenticated_per_minute: 60,
            unauthenticated_burst: 120,
            sends_in_flight: admission.max_in_flight,
            deliveries_in_flight: admission.max_deliveries,
            send_queue_target: admission.target,
            send_lag_target: admission.lag_target,
        }
    }
}

/// `CONFAB_FEATURES__*`: feature flags.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct FeaturesConfig {
    /// `CONFAB_FEATURES__MESSAGING__*`: who may use messaging.
    pub messaging: MessagingConfig,
}

/// `CONFAB_FEATURES__MESSAGING__*`.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default)]
pub struct MessagingConfig {
    /// Off: only admins and `enabled_users` may use messaging.
    pub enabled: bool,
    /// 0..=100 (larger values count as 100): the share of users let in, chosen by a stable hash of
    /// the user id.
    pub rollout_percentage: u8,
    /// User ids or emails always let in (comma-separated in the variable).
    #[serde(deserialize_with = "string_list")]
    pub enabled_users: Vec<String>,
}

impl Default for MessagingConfig {
    fn default() -> Self {
        let flags = MessagingFlags::default();
        Self {
            enabled: flags.enabled,
            rollout_percentage: flags.rollout_percentage,
            enabled_users: flags.enabled_users,
        }
    }
}

impl MessagingConfig {
    /// These settings as the domain's flags, the rollout percentage capped at 100.
    pub fn flags(&self) -> MessagingFlags {
        MessagingFlags {
            enabled: self.enabled,
            rollout_percentage: self.rollout_percentage.min(100),
            enabled_users: self.enabled_users.clone(),
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Self {
            bind: SocketAddr::from(([0, 0, 0, 0], 3000)),
            ops_bind: None,
            data_dir: PathBuf::from("./data"),
            database_url: None,
            database_schema: confab_store::DEFAULT_SCHEMA.to_owned(),
            database_pooler: DatabasePooler::Session,
            database_migration_url: None,
            database: DatabaseConfig::default(),
            redis_url: None,
            redis: RedisConfig::default(),
            storage_url: None,
            jwt_secret: None,
            jwks_url: None,
            jwt_audience: None,
            jwt_issuer: None,
            auth: AuthConfig::default(),
            cors_origins: Vec::new(),
            log_format: LogFormat::Text,
            log_filter: "info".into(),
            otlp_endpoint: None,
            otel: otel::OtelSettings::default(),
            shutdown_timeout: Duration::from_secs(20),
            limits: LimitsConfig::default(),
            features: FeaturesConfig::default(),
            realtime: RealtimeConfig::default(),
            files: FilesConfig::default(),
            analytics: AnalyticsConfig::default(),
            http: HttpConfig::default(),
        }
    }
}

/// Accepts `"a, b"` (what an environment variable holds), `["a", "b"]` or nothing.
fn string_list<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        One(String),
        Many(Vec<String>),
        Other(serde_json::Value),
    }
    let items = match Raw::deserialize(deserializer)? {
        Raw::One(text) => text.split(',').map(str::to_owned).collect(),
        Raw::Many(items) => items,
        Raw::Other(serde_json::Value::Null) => Vec::new(),
        Raw::Other(other) => vec![other.to_string()],
    };
    Ok(items
        .into_iter()
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect())
}

/// Secrets never leave the process in clear: serialized (`confab config print`) they are
/// masked.
fn masked<S: Serializer>(value: &Option<SecretString>, serializer: S) -> Result<S::Ok, S::Error> {
    value.as_ref().map(|_| print::MASK).serialize(serializer)
}

/// A schema name PostgreSQL and confab accept (`confab_store::validate_schema`).
fn database_schema<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    let name = String::deserialize(deserializer)?;
    confab_store::validate_schema(&name).map_err(serde::de::Error::custom)?;
    Ok(name)
}

/// A secret from any scalar: an environment value such as `123456` arrives as a number.
fn secret<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<SecretString>, D::Error> {
    let value = Option::<serde_json::Value>::deserialize(deserializer)?;
    Ok(match value {
        None | Some(serde_json::Value::Null) => None,
        Some(serde_json::Value::String(text)) if text.is_empty() => None,
        Some(serde_json::Value::String(text)) => Some(SecretString::from(text)),
        Some(other) => Some(SecretString::from(other.to_string())),
    })
}

impl Config {
    /// Defaults < `confab.toml` (or `path`) < `CONFAB_*` < `OTEL_EXPORTER_OTLP_ENDPOINT`,
    /// refusing unknown keys and variables and bad values (all of them listed in the error).
    pub fn load(path: Option<&Path>) -> Result<Self, Invalid> {
        let checked = check::check(&Sources::from_process(path));
        match checked.config {
            Some(config) => Ok(config),
            None => Err(Invalid(checked.problems)),
        }
    }

    /// The per-address limit on failed authentication; bad proxy entries are an error.
    pub fn unauthenticated_settings(
        &self,
    ) -> anyhow::Result<confab_http::address_limit::UnauthenticatedSettings> {
        let trusted_proxies = self
            .http
            .trusted_proxies
            .iter()
            .map(|p| confab_http::address_limit::Network::parse(p))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| anyhow::anyhow!("CONFAB_HTTP__TRUSTED_PROXIES: {e}"))?;
        Ok(confab_http::address_limit::UnauthenticatedSettings {
            per_minute: self.limits.unauthenticated_per_minute,
            burst: self.limits.unauthenticated_burst,
            trusted_proxies,
        })
    }

    /// The database URL, defaulting to a SQLite file in the data dir.
    pub fn database_url(&self) -> String {
        match &self.database_url {
            Some(url) => url.clone(),
            None => format!(
                "sqlite://{}?mode=rwc",
                self.data_dir.join("confab.db").display()
            ),
        }
    }
}

/// `RUST_LOG`, the log filter the environment asks for (it wins over `log_filter`).
#[expect(
    clippy::disallowed_methods,
    reason = "the config module is the one place that reads the process environment"
)]
pub fn rust_log() -> Option<String> {
    std::env::var("RUST_LOG").ok()
}

#[cfg(test)]
#[expect(
    clippy::result_large_err,
    reason = "figment's Jail API returns its own large error type"
)]
mod tests {
    use super::*;

    #[test]
    fn environment_variables_override_the_file_and_lists_split_on_commas() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "confab.toml",
                "bind = \"127.0.0.1:4000\"\n[limits]\nmessages_per_minute = 5\n",
            )?;
            jail.set_env("CONFAB_LIMITS__MESSAGES_PER_MINUTE", "7");
            jail.set_env("CONFAB_LIMITS__EDITS_PER_MINUTE", "0");
            jail.set_env("CONFAB_LIMITS__MAX_REACTIONS_PER_MESSAGE", "3");
            jail.set_env(
                "CONFAB_FEATURES__MESSAGING__ENABLED_USERS",
                "a@example.com, 3f1c0e7e-2f7a-4a39-9a43-2c1f8e1b7c11",
            );
            jail.set_env("CONFAB_FEATURES__MESSAGING__ROLLOUT_PERCENTAGE", "20");
            jail.set_env("CONFAB_CORS_ORIGINS", "http://localhost:3000");
            let config = Config::load(None).map_err(|e| e.to_string())?;
            assert_eq!(config.bind.port(), 4000);
            assert_eq!(config.ops_bind, None);
            assert_eq!(config.limits.messages_per_minute, 7);
            assert_eq!(config.limits.edits_per_minute, 0);
            assert_eq!(config.limits.max_reactions_per_message, 3);
            assert_eq!(config.limits.reads_per_minute, 240);
            assert_eq!(config.features.messaging.enabled_users.len(), 2);
            assert_eq!(config.features.messaging.rollout_percentage, 20);
            assert_eq!(
                config.cors_origins,
                vec!["http://localhost:3000".to_owned()]
            );
            Ok(())
        });
    }

    #[test]
    fn the_ops_listener_address_is_read_from_confab_ops_bind() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("CONFAB_OPS_BIND", "127.0.0.1:9464");
            let config = Config::load(None).map_err(|e| e.to_string())?;
            assert_eq!(config.ops_bind, Some("127.0.0.1:9464".parse().unwrap()));
            jail.set_env("CONFAB_OPS_BIND", "not an address");
            assert!(Config::load(None).is_err());
            Ok(())
        });
    }

    #[test]
    fn the_gateway_reads_realtime_settings_and_takes_its_caps_from_limits() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("CONFAB_REALTIME__OFFLINE_GRACE", "750ms");
            jail.set_env("CONFAB_REALTIME__WS_READ_BUFFER", "16");
            jail.set_env("CONFAB_LIMITS__SOCKETS_PER_USER", "3");
            let gateway = Config::load(None).map_err(|e| e.to_string())?.gateway();
            let defaults = confab_gateway::GatewayConfig::default();
            assert_eq!(gateway.offline_grace, Duration::from_millis(750));
            assert_eq!(gateway.ws_read_buffer, 256);
            assert_eq!(gateway.sockets_per_user, 3);
            assert_eq!(gateway.rooms_per_socket, defaults.rooms_per_socket);
            assert_eq!(gateway.sync_max, defaults.sync_max);
            assert_eq!(gateway.ping_interval, defaults.ping_interval);
            Ok(())
        });
    }

    #[test]
    fn group_commit_is_on_by_default_and_its_knobs_are_read() {
        figment::Jail::expect_with(|jail| {
            let defaults = Config::load(None).map_err(|e| e.to_string())?.database;
            assert!(defaults.group_commit);
            assert_eq!(defaults.group_commit_max_rows, 256);
            assert_eq!(defaults.group_commit_window, Duration::ZERO);
            assert_eq!(defaults.group_commit_writers, 1);
            assert!(defaults.group_reads);
            jail.set_env("CONFAB_DATABASE__GROUP_COMMIT", "false");
            jail.set_env("CONFAB_DATABASE__GROUP_COMMIT_MAX_ROWS", "64");
            jail.set_env("CONFAB_DATABASE__GROUP_COMMIT_WINDOW", "2ms");
            jail.set_env("CONFAB_DATABASE__GROUP_COMMIT_WRITERS", "2");
            jail.set_env("CONFAB_DATABASE__GROUP_READS", "false");
            let database = Config::load(None).map_err(|e| e.to_string())?.database;
            assert!(!database.group_commit);
            assert_eq!(database.group_commit_max_rows, 64);
            assert_eq!(database.group_commit_window, Duration::from_millis(2));
            assert_eq!(database.group_commit_writers, 2);
            assert!(!database.group_reads);
            Ok(())
        });
    }

    #[test]
    fn a_cap_of_the_gateway_is_not_a_realtime_setting() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("CONFAB_REALTIME__SOCKETS_PER_USER", "3");
            assert!(Config::load(None).is_err());
            Ok(())
        });
    }

    #[test]
    fn the_default_database_is_sqlite_in_the_data_dir() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("CONFAB_DATA_DIR", "/tmp/x");
            let config = Config::load(None).map_err(|e| e.to_string())?;
            assert_eq!(config.database_url(), "sqlite:///tmp/x/confab.db?mode=rwc");
            Ok(())
        });
    }
}
