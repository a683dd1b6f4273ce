//! Per-address limits on unauthenticated traffic: failed authentications (401s, refused
//! Socket.IO handshakes) and new connections without credentials from an address over its
//! allowance are answered 429 with `Retry-After`.
//!
//! The allowance is a keyed GCRA limiter built with tower_governor's configuration. Its
//! `GovernorLayer` charges every request, which would slow a load generator's thousands of
//! authenticated clients behind one address; here only failures are charged, and an address
//! over its allowance still gets through with a valid token.
//!
//! The client address is the TCP peer, or, when the peer is a configured trusted proxy, the
//! right-most `X-Forwarded-For` hop that is not itself a trusted proxy (the left-most is
//! whatever the client wrote).

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use confab_domain::Error;
use confab_domain::ports::{AddressLimiter, ClientAddr};
use governor::clock::{Clock, DefaultClock};
use governor::middleware::NoOpMiddleware;
use tower_governor::GovernorError;
use tower_governor::governor::{GovernorConfigBuilder, SharedRateLimiter};
use tower_governor::key_extractor::KeyExtractor;

use crate::error::ApiError;

/// `confab_rate_limited_total{limit="unauthenticated"}`: requests and handshakes refused.
pub const RATE_LIMITED: &str = "confab_rate_limited_total";

/// Above this many tracked addresses, forgotten ones are swept on the next failure.
const SWEEP_ABOVE: usize = 10_000;

/// An address or a CIDR block (`10.0.0.0/8`, `fd00::/8`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Network {
    addr: IpAddr,
    prefix: u8,
}

impl Network {
    /// Parses `addr` or `addr/prefix`; errs on a malformed address or a prefix longer than
    /// the address (32 for IPv4, 128 for IPv6).
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let (addr, prefix) = match text.split_once('/') {
            Some((addr, prefix)) => (addr, Some(prefix)),
            None => (text, None),
        };
        let addr: IpAddr = addr
            .parse()
            .map_err(|_| format!("{text:?} is not an IP address or CIDR block"))?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(p) => p
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= max)
                .ok_or_else(|| format!("{text:?}: the prefix length must be 0..={max}"))?,
            None => max,
        };
        Ok(Self { addr, prefix })
    }

    /// Whether `ip` lies in this block; IPv4-mapped IPv6 addresses match IPv4 blocks.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            v4 => v4,
        };
        match (self.addr, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                masked(u128::from(u32::from(net)), 32, self.prefix)
                    == masked(u128::from(u32::from(ip)), 32, self.prefix)
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                masked(u128::from(net), 128, self.prefix)
                    == masked(u128::from(ip), 128, self.prefix)
            }
            _ => false,
        }
    }
}

fn masked(bits: u128, width: u8, prefix: u8) -> u128 {
    let drop = u32::from(width - prefix.min(width));
    bits.checked_shr(drop).unwrap_or(0)
}

/// The client address of a request (tower_governor's key).
#[derive(Clone, Debug, Default)]
pub struct ClientIp {
    trusted: Arc<Vec<Network>>,
}

impl ClientIp {
    /// Believes `X-Forwarded-For` only from peers in `trusted_proxies` (none: always the TCP peer).
    pub fn new(trusted_proxies: Vec<Network>) -> Self {
        Self {
            trusted: Arc::new(trusted_proxies),
        }
    }

    fn trusted(&self, ip: IpAddr) -> bool {
        self.trusted.iter().any(|n| n.contains(ip))
    }

    /// The peer, or behind trusted proxies the nearest forwarded hop they did not add.
    pub fn client(&self, peer: IpAddr, forwarded_for: Option<&str>) -> IpAddr {
        if !self.trusted(peer) {
            return peer;
        }
        let Some(hops) = forwarded_for else {
            return peer;
        };
        let mut client = peer;
        for hop in hops.rsplit(',').map(str::trim) {
            let Ok(ip) = hop.parse::<IpAddr>() else {
                break;
            };
            client = ip;
            if !self.trusted(ip) {
                break;
            }
        }
        client
    }
}

impl KeyExtractor for ClientIp {
    type Key = IpAddr;

    fn extract<T>(&self, req: &axum::http::Request<T>) -> Result<IpAddr, GovernorError> {
        let peer = req
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(addr)| addr.ip())
            .ok_or(GovernorError::UnableToExtractKey)?;
        let forwarded = req
            .headers()
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok());
        Ok(self.client(peer, forwarded))
    }
}

/// Settings: `per_minute` failures refill the allowance, up to `burst` at once.
#[derive(Clone, Debug)]
pub struct UnauthenticatedSettings {
    /// 0 turns the limit off.
    pub per_minute: u32,
    /// Failures an address may make at once before the per-minute refill applies (at least 1).
    pub burst: u32,
    /// Peers whose `X-Forwarded-For` is believed (load balancers, reverse proxies).
    pub trusted_proxies: Vec<Network>,
}

/// The allowance of failed authentication per client address.
pub struct UnauthenticatedLimit {
    limiter: Option<SharedRateLimiter<IpAddr, NoOpMiddleware>>,
    key: ClientIp,
    /// Addresses over their allowance, and until when.
    blocked: Mutex<HashMap<IpAddr, Instant>>,
}

impl std::fmt::Debug for UnauthenticatedLimit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UnauthenticatedLimit")
            .field("enabled", &self.limiter.is_some())
            .finish_non_exhaustive()
    }
}

impl UnauthenticatedLimit {
    /// Builds the limit; with `per_minute` 0 it is off and never blocks an address.
    pub fn new(settings: UnauthenticatedSettings) -> Arc<Self> {
        let key = ClientIp::new(settings.trusted_proxies);
        let limiter = (settings.per_minute > 0).then(|| {
            let period = Duration::from_secs(60) / settings.per_minute;
            GovernorConfigBuilder::default()
                .period(period.max(Duration::from_millis(1)))
                .burst_size(settings.burst.max(1))
                .key_extractor(key.clone())
                .finish()
                .map(|config| config.limiter().clone())
        });
        Arc::new(Self {
            limiter: limiter.flatten(),
            key,
            blocked: Mutex::new(HashMap::new()),
        })
    }

    /// The client address of `req` (also what the Socket.IO handshake sees).
    pub fn client_of<T>(&self, req: &axum::http::Request<T>) -> Option<IpAddr> {
        self.key.extract(req).ok()
    }
}

impl AddressLimiter for UnauthenticatedLimit {
    fn blocked(&self, addr: IpAddr) -> Option<Duration> {
        self.limiter.as_ref()?;
        let mut blocked = self.blocked.lock().unwrap_or_else(PoisonError::into_inner);
        let until = *blocked.get(&addr)?;
        let left = until.saturating_duration_since(Instant::now());
        if left.is_zero() {
            blocked.remove(&addr);
            return None;
        }
        Some(left)
    }

    fn failed(&self, addr: IpAddr) -> Option<Duration> {
        let limiter = self.limiter.as_ref()?;
        if limiter.len() > SWEEP_ABOVE {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
        let not_until = limiter.check_key(&addr).err()?;
        let wait = not_until
            .wait_time_from(DefaultClock::default().now())
            .max(Duration::from_secs(1));
        let mut blocked = self.blocked.lock().unwrap_or_else(PoisonError::into_inner);
        if blocked.len() > SWEEP_ABOVE {
            let now = Instant::now();
            blocked.retain(|_, until| *until > now);
        }
        blocked.insert(addr, Instant::now() + wait);
        Some(wait)
    }
}

/// Counts one refusal in `confab_rate_limited_total{limit="unauthenticated"}`.
pub fn count_refusal() {
    metrics::counter!(RATE_LIMITED, "limit" => "unauthenticated").increment(1);
}

/// The middleware: records the client address for the handlers and the Socket.IO handshake,
/// refuses new credential-less requests from an address over its allowance, and charges
/// every 401 to the address (the one that goes over is answered 429 instead).
pub async fn guard(
    State(limit): State<Arc<UnauthenticatedLimit>>,
    mut req: Request,
    next: Next,
) -> Response {
    let Some(ip) = limit.client_of(&req) else {
        return next.run(req).await;
    };
    req.extensions_mut().insert(ClientAddr(ip));
    if !carries_credentials(&req)
        && opens_something(&req)
        && let Some(wait) = limit.blocked(ip)
    {
        return too_many(wait);
    }
    let response = next.run(req).await;
    if response.status() == StatusCode::UNAUTHORIZED
        && let Some(wait) = limit.failed(ip)
    {
        tracing::info!(client = %ip, ?wait, "too many failed authentications from one address");
        return too_many(wait);
    }
    response
}

/// An `Authorization` header or a `token` query parameter.
fn carries_credentials(req: &Request) -> bool {
    req.headers().contains_key(header::AUTHORIZATION)
        || req
            .uri()
            .query()
            .is_some_and(|q| q.split('&').any(|pair| pair.starts_with("token=")))
}

/// A REST request. Engine.IO traffic is never refused here: a socket's token travels in
/// the CONNECT packet, not the HTTP request, so only the handshake can tell a valid client
/// from a failing one (it charges and refuses failures itself). Probes keep answering.
fn opens_something(req: &Request) -> bool {
    let path = req.uri().path();
    !matches!(path, "/healthz" | "/readyz" | "/metrics") && !path.starts_with("/socket.io")
}

fn too_many(wait: Duration) -> Response {
    count_refusal();
    // Whole seconds, rounded up: `Retry-After` is in seconds.
    let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    ApiError(Error::RateLimited {
        kind: "unauthenticated",
        retry_after: Duration::from_secs(seconds),
    })
    .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn networks_parse_and_match() {
        let net = Network::parse("10.0.0.0/8").unwrap();
        assert!(net.contains(ip("10.1.2.3")));
        assert!(!net.contains(ip("11.0.0.1")));
        assert!(net.contains(ip("::ffff:10.0.0.1")));
        assert!(Network::parse("fd00::/8").unwrap().contains(ip("fd12::1")));
        assert!(
            Network::parse("127.0.0.1")
                .unwrap()
                .contains(ip("127.0.0.1"))
        );
        assert!(
            !Network::parse("127.0.0.1")
                .unwrap()
                .contains(ip("127.0.0.2"))
        );
        assert!(Network::parse("0.0.0.0/0").unwrap().contains(ip("8.8.8.8")));
        assert!(Network::parse("10.0.0.0/33").is_err());
        assert!(Network::parse("proxy").is_err());
    }

    #[test]
    fn forwarded_for_counts_only_behind_a_trusted_proxy_and_from_the_right() {
        let key = ClientIp::new(vec![Network::parse("10.0.0.0/8").unwrap()]);
        // An untrusted peer's header is ignored.
        assert_eq!(
            key.client(ip("203.0.113.9"), Some("1.2.3.4")),
            ip("203.0.113.9")
        );
        // Behind the proxy: the right-most hop the proxies did not add; a forged left-most
        // entry does not change it.
        assert_eq!(
            key.client(ip("10.0.0.2"), Some("6.6.6.6, 198.51.100.7, 10.0.0.3")),
            ip("198.51.100.7")
        );
        assert_eq!(key.client(ip("10.0.0.2"), None), ip("10.0.0.2"));
    }

    #[test]
    fn only_failures_count_and_an_address_over_its_allowance_waits() {
        let limit = UnauthenticatedLimit::new(UnauthenticatedSettings {
            per_minute: 6,
            burst: 3,
            trusted_proxies: vec![],
        });
        let attacker = ip("192.0.2.1");
        let other = ip("192.0.2.2");
        assert_eq!(limit.blocked(attacker), None);
        for _ in 0..3 {
            assert_eq!(limit.failed(attacker), None);
        }
        let wait = limit
            .failed(attacker)
            .expect("the fourth failure is refused");
        assert!(wait >= Duration::from_secs(1) && wait <= Duration::from_secs(10));
        assert!(limit.blocked(attacker).is_some());
        assert_eq!(limit.blocked(other), None, "other addresses are unaffected");

        let off = UnauthenticatedLimit::new(UnauthenticatedSettings {
            per_minute: 0,
            burst: 3,
            trusted_proxies: vec![],
        });
        for _ in 0..100 {
            assert_eq!(off.failed(attacker), None);
        }
    }
}
