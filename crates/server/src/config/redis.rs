//! `CONFAB_REDIS__*`: how a node joins a cluster (only used when `CONFAB_REDIS_URL` is set).

use std::path::PathBuf;
use std::time::Duration;

use secrecy::SecretString;
use serde::{Deserialize, Serialize};

use super::{masked, secret};

/// `CONFAB_REDIS__*`: channel and key prefixes, timeouts, TLS trust and sentinel credentials.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default)]
pub struct RedisConfig {
    /// `CONFAB_REDIS__CHANNEL_PREFIX`: the Socket.IO adapter's channel prefix (the Node
    /// adapter's `key`); Node.js servers and emitters sharing rooms must use the same one.
    pub channel_prefix: String,
    /// `CONFAB_REDIS__KEY_PREFIX`: prefix of confab's own keys (presence, limits, typing).
    pub key_prefix: String,
    /// `CONFAB_REDIS__REQUEST_TIMEOUT`: how long a cluster-wide request waits for answers.
    #[serde(with = "humantime_serde")]
    pub request_timeout: Duration,
    /// `CONFAB_REDIS__TIMEOUT`: the bound on one Redis call; past it Redis counts as down.
    #[serde(with = "humantime_serde")]
    pub timeout: Duration,
    /// `CONFAB_REDIS__NODE_DEAD_AFTER`: a node silent this long is presumed dead; a live node
    /// then clears its users and announces them offline.
    #[serde(with = "humantime_serde")]
    pub node_dead_after: Duration,
    /// `CONFAB_REDIS__TLS_CA_FILE`: a PEM bundle of the certificates to trust for `rediss…`
    /// URLs instead of the system roots (a private CA, a self-signed server). Certificate
    /// checks cannot be turned off.
    pub tls_ca_file: Option<PathBuf>,
    /// `CONFAB_REDIS__SENTINEL_USERNAME` / `CONFAB_REDIS__SENTINEL_PASSWORD`: the sentinels'
    /// own credentials, when they differ from the data nodes' (the user info of a
    /// `redis+sentinel://` URL is the data nodes').
    pub sentinel_username: Option<String>,
    /// See `sentinel_username` (masked when printed).
    #[serde(deserialize_with = "secret", serialize_with = "masked")]
    pub sentinel_password: Option<SecretString>,
}

impl Default for RedisConfig {
    fn default() -> Self {
        Self {
            channel_prefix: "socket.io".into(),
            key_prefix: "confab".into(),
            request_timeout: Duration::from_secs(5),
            timeout: Duration::from_secs(2),
            node_dead_after: Duration::from_secs(15),
            tls_ca_file: None,
            sentinel_username: None,
            sentinel_password: None,
        }
    }
}
