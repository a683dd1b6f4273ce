//! `confab healthcheck`: one short request to a node's `/readyz`, for container
//! healthchecks (the image's HEALTHCHECK runs it; no curl or shell needed in the image).
//! Healthy means what readiness means to a load balancer: `/readyz` answers 200, with status
//! `ok`, or `degraded` when Redis or object storage is down but messaging still works.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use anyhow::Context;
use reqwest::Url;

/// A node that answered ready.
#[derive(Debug)]
pub struct Ready {
    /// The `/readyz` URL that was asked.
    pub url: Url,
    /// `ok` or `degraded`.
    pub status: String,
    /// The checks that are not ok (only when degraded).
    pub degraded: Vec<String>,
}

impl fmt::Display for Ready {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.url, self.status)?;
        if !self.degraded.is_empty() {
            write!(f, " ({} down)", self.degraded.join(", "))?;
        }
        Ok(())
    }
}

/// The `/readyz` URL to ask: `url` when given (`/readyz` appended when it has no path),
/// otherwise this machine's side of the configured bind address (a wildcard bind such as
/// `0.0.0.0:3000` is asked on loopback).
pub fn readyz_url(bind: SocketAddr, url: Option<&str>) -> anyhow::Result<Url> {
    let Some(url) = url else {
        let ip = match bind.ip() {
            IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
            ip => ip,
        };
        let addr = SocketAddr::new(ip, bind.port());
        return Url::parse(&format!("http://{addr}/readyz")).context("building the /readyz URL");
    };
    let mut parsed = Url::parse(url).with_context(|| format!("--url {url}: not a URL"))?;
    anyhow::ensure!(
        matches!(parsed.scheme(), "http" | "https"),
        "--url {url}: only http:// and https:// URLs"
    );
    if parsed.path() == "/" {
        parsed.set_path("/readyz");
    }
    Ok(parsed)
}

/// Asks `url` once, giving up after `timeout`; an error says why the node is not ready.
pub async fn check(url: Url, timeout: Duration) -> anyhow::Result<Ready> {
    let client = reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout)
        // A proxy from the environment must not stand between a container and itself.
        .no_proxy()
        .build()
        .context("building the HTTP client")?;
    let response = client
        .get(url.clone())
        .send()
        .await
        .map_err(|e| anyhow::anyhow!("{url}: {}", describe(&e, timeout)))?;
    let status = response.status();
    let body = response
        .text()
        .await
        .map_err(|e| anyhow::anyhow!("{url}: {}", describe(&e, timeout)))?;
    anyhow::ensure!(
        status.is_success(),
        "{url}: not ready: HTTP {status}: {}",
        excerpt(&body)
    );
    let json: serde_json::Value = serde_json::from_str(&body)
        .with_context(|| format!("{url}: not a /readyz answer: {}", excerpt(&body)))?;
    let state = json["status"].as_str().unwrap_or_default();
    anyhow::ensure!(
        matches!(state, "ok" | "degraded"),
        "{url}: not ready: status {state:?}: {}",
        excerpt(&body)
    );
    let degraded = json["checks"]
        .as_object()
        .map(|checks| {
            checks
                .iter()
                .filter(|(_, c)| c["status"] != "ok")
                .map(|(name, _)| name.clone())
                .collect()
        })
        .unwrap_or_default();
    Ok(Ready {
        url,
        status: state.to_owned(),
        degraded,
    })
}

/// reqwest's top-level message is "error sending request"; the cause is at the bottom.
fn describe(error: &reqwest::Error, timeout: Duration) -> String {
    if error.is_timeout() {
        return format!("no answer within {}", humantime::format_duration(timeout));
    }
    let mut cause: &dyn std::error::Error = error;
    while let Some(next) = cause.source() {
        cause = next;
    }
    let kind = if error.is_connect() {
        "cannot connect"
    } else {
        "request failed"
    };
    format!("{kind}: {cause}")
}

fn excerpt(body: &str) -> String {
    let body = body.trim();
    match body.char_indices().nth(200) {
        Some((at, _)) => format!("{}…", &body[..at]),
        None => body.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(bind: &str, given: Option<&str>) -> String {
        readyz_url(bind.parse().unwrap(), given)
            .unwrap()
            .to_string()
    }

    #[test]
    fn the_default_url_asks_a_wildcard_bind_on_loopback() {
        assert_eq!(url("0.0.0.0:3000", None), "http://127.0.0.1:3000/readyz");
        assert_eq!(url("[::]:3000", None), "http://[::1]:3000/readyz");
        assert_eq!(url("10.1.2.3:8080", None), "http://10.1.2.3:8080/readyz");
    }

    #[test]
    fn a_given_url_gets_readyz_only_when_it_has_no_path() {
        let bind = "0.0.0.0:3000";
        assert_eq!(
            url(bind, Some("http://node1:3000")),
            "http://node1:3000/readyz"
        );
        assert_eq!(
            url(bind, Some("https://chat.example/confab/readyz")),
            "https://chat.example/confab/readyz"
        );
        assert!(readyz_url(bind.parse().unwrap(), Some("ftp://x")).is_err());
        assert!(readyz_url(bind.parse().unwrap(), Some("not a url")).is_err());
    }
}
