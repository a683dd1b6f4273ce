//! `CONFAB_HTTP__*`: how long the HTTP listener waits for slow clients. Streaming routes
//! (uploads, downloads, export) and Socket.IO are not bounded by the request timeout; they
//! keep their own limits.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// `CONFAB_HTTP__*`: the listener's transport timeouts and trusted proxies.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default)]
pub struct HttpConfig {
    /// `CONFAB_HTTP__HEADER_READ_TIMEOUT`: a request's head (request line and headers) must
    /// arrive within this long of its first byte (of the connection, for the first request);
    /// otherwise the connection is closed. `0s`: no limit.
    #[serde(with = "humantime_serde")]
    pub header_read_timeout: Duration,
    /// `CONFAB_HTTP__IDLE_TIMEOUT`: a keep-alive connection with no request in progress is
    /// closed after this long. `0s`: no limit.
    #[serde(with = "humantime_serde")]
    pub idle_timeout: Duration,
    /// `CONFAB_HTTP__REQUEST_TIMEOUT`: a non-streaming REST request (body read included)
    /// must be answered within this long, or it is answered 408 `request_timeout`.
    /// `0s`: no limit.
    #[serde(with = "humantime_serde")]
    pub request_timeout: Duration,
    /// `CONFAB_HTTP__TRUSTED_PROXIES`: comma-separated addresses or CIDR blocks of reverse
    /// proxies whose `X-Forwarded-For` names the client (for per-address limits). Empty: the
    /// TCP peer is the client.
    #[serde(deserialize_with = "super::string_list")]
    pub trusted_proxies: Vec<String>,
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            header_read_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            request_timeout: Duration::from_secs(30),
            trusted_proxies: Vec::new(),
        }
    }
}

impl HttpConfig {
    /// `Some(d)` unless `d` is zero (off).
    fn enabled(d: Duration) -> Option<Duration> {
        (!d.is_zero()).then_some(d)
    }

    /// The listener's connection timeouts; a zero setting becomes `None` (no limit).
    pub fn timeouts(&self) -> crate::transport::Timeouts {
        crate::transport::Timeouts {
            header_read: Self::enabled(self.header_read_timeout),
            idle: Self::enabled(self.idle_timeout),
        }
    }

    /// The REST request timeout; `None` when set to `0s` (no limit).
    pub fn request_timeout(&self) -> Option<Duration> {
        Self::enabled(self.request_timeout)
    }
}

#[cfg(test)]
#[expect(
    clippy::result_large_err,
    reason = "figment's Jail API returns its own large error type"
)]
mod tests {
    use super::*;
    use crate::config::Config;

    #[test]
    fn defaults_are_the_contracts_and_variables_override_them() {
        figment::Jail::expect_with(|jail| {
            let config = Config::load(None).map_err(|e| e.to_string())?;
            assert_eq!(config.http.header_read_timeout, Duration::from_secs(10));
            assert_eq!(config.http.idle_timeout, Duration::from_secs(60));
            assert_eq!(config.http.request_timeout(), Some(Duration::from_secs(30)));
            jail.set_env("CONFAB_HTTP__HEADER_READ_TIMEOUT", "2s");
            jail.set_env("CONFAB_HTTP__IDLE_TIMEOUT", "0s");
            jail.set_env("CONFAB_HTTP__REQUEST_TIMEOUT", "500ms");
            let config = Config::load(None).map_err(|e| e.to_string())?;
            let timeouts = config.http.timeouts();
            assert_eq!(timeouts.header_read, Some(Duration::from_secs(2)));
            assert_eq!(timeouts.idle, None);
            assert_eq!(
                config.http.request_timeout(),
                Some(Duration::from_millis(500))
            );
            Ok(())
        });
    }
}
