//! Verification: HS256 with a shared secret, and asymmetric keys from a JWKS (a file, or a URL
//! fetched and cached by its `Cache-Control`).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use confab_domain::ports::Authenticator;
use confab_domain::{Error, Identity, Result};
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use tokio::sync::RwLock;

use crate::claims::{Claims, DEFAULT_LEEWAY};

/// How long fetched JWKS keys are trusted before a refresh when the key server sends no
/// `Cache-Control: max-age`, the longest a `max-age` is honoured, and the least time between
/// refreshes (so a flood of forged tokens with unknown `kid`s cannot hammer the key server).
const JWKS_TTL: Duration = Duration::from_secs(600);
const JWKS_MAX_TTL: Duration = Duration::from_secs(24 * 3600);
const JWKS_MIN_REFRESH: Duration = Duration::from_secs(30);

/// Where asymmetric keys come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum JwksSource {
    /// A JWKS fetched over HTTP(S) and refreshed (e.g. Supabase's signing keys).
    Url(String),
    /// A JWKS read from a local file (read again when its keys are stale, like a fetched one).
    File(PathBuf),
}

impl JwksSource {
    /// `http(s)://…` is fetched; `file://…` or anything else is a local path.
    pub fn parse(text: &str) -> Self {
        if text.starts_with("http://") || text.starts_with("https://") {
            Self::Url(text.to_owned())
        } else {
            Self::File(PathBuf::from(text.strip_prefix("file://").unwrap_or(text)))
        }
    }
}

/// Verification settings.
#[derive(Clone, Debug)]
pub struct JwtSettings {
    /// HS256 shared secret; `None` disables HS256.
    pub secret: Option<Vec<u8>>,
    /// Where the asymmetric (RS/ES/EdDSA) keys come from; `None` accepts HS256 only.
    pub jwks: Option<JwksSource>,
    /// Required `aud` when set (Supabase uses `authenticated`).
    pub audience: Option<String>,
    /// Required `iss` when set.
    pub issuer: Option<String>,
    /// Clock skew allowed on `exp` and `nbf`; a socket's session also ends this long after
    /// `exp`.
    pub leeway: Duration,
}

impl Default for JwtSettings {
    fn default() -> Self {
        Self {
            secret: None,
            jwks: None,
            audience: None,
            issuer: None,
            leeway: DEFAULT_LEEWAY,
        }
    }
}

struct KeyCache {
    keys: JwkSet,
    fetched: Option<Instant>,
    /// How long these keys are trusted: the response's `max-age`, else [`JWKS_TTL`].
    ttl: Duration,
}

impl KeyCache {
    fn stale(&self) -> bool {
        self.fetched.is_some_and(|t| t.elapsed() >= self.ttl)
    }
}

/// Verifies HS256 and JWKS-signed tokens.
pub struct JwtAuthenticator {
    settings: JwtSettings,
    hs256: Option<DecodingKey>,
    jwks: RwLock<KeyCache>,
    /// Held while the JWKS is fetched: concurrent refreshes wait for one fetch (single-flight).
    refreshing: tokio::sync::Mutex<()>,
    /// The least time between refreshes ([`JWKS_MIN_REFRESH`]; tests shorten it).
    pub(crate) min_refresh: Duration,
    http: reqwest::Client,
}

impl std::fmt::Debug for JwtAuthenticator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwtAuthenticator")
            .field("jwks", &self.settings.jwks)
            .finish_non_exhaustive()
    }
}

impl JwtAuthenticator {
    /// Loads the JWKS now (so a bad file or URL fails at start-up, loudly).
    pub async fn new(settings: JwtSettings) -> std::result::Result<Arc<Self>, String> {
        if settings.secret.is_none() && settings.jwks.is_none() {
            return Err("no token keys: set CONFAB_JWT_SECRET or CONFAB_JWKS_URL".into());
        }
        if let Some(JwksSource::Url(url)) = &settings.jwks
            && insecure_jwks_url(url)
        {
            tracing::warn!(url = %url, "CONFAB_JWKS_URL uses plain http:// to a non-loopback host: anyone on the path can swap the signing keys; use https://");
        }
        let hs256 = settings.secret.as_deref().map(DecodingKey::from_secret);
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| format!("http client: {e}"))?;
        let auth = Self {
            settings,
            hs256,
            jwks: RwLock::new(KeyCache {
                keys: JwkSet { keys: vec![] },
                fetched: None,
                ttl: JWKS_TTL,
            }),
            refreshing: tokio::sync::Mutex::new(()),
            min_refresh: JWKS_MIN_REFRESH,
            http,
        };
        if let Some(source) = &auth.settings.jwks {
            let (keys, ttl) = auth.load_jwks(source).await?;
            *auth.jwks.write().await = KeyCache {
                keys,
                fetched: Some(Instant::now()),
                ttl,
            };
        }
        Ok(Arc::new(auth))
    }

    /// The key set and how long to trust it.
    async fn load_jwks(
        &self,
        source: &JwksSource,
    ) -> std::result::Result<(JwkSet, Duration), String> {
        match source {
            JwksSource::File(path) => {
                let text = tokio::fs::read_to_string(path)
                    .await
                    .map_err(|e| format!("reading JWKS {}: {e}", path.display()))?;
                let keys = serde_json::from_str(&text)
                    .map_err(|e| format!("parsing JWKS {}: {e}", path.display()))?;
                Ok((keys, JWKS_TTL))
            }
            JwksSource::Url(url) => {
                let response = self
                    .http
                    .get(url)
                    .send()
                    .await
                    .map_err(|e| format!("fetching JWKS {url}: {e}"))?;
                let response = response
                    .error_for_status()
                    .map_err(|e| format!("fetching JWKS {url}: {e}"))?;
                let ttl = response
                    .headers()
                    .get(reqwest::header::CACHE_CONTROL)
                    .and_then(|v| v.to_str().ok())
                    .and_then(cache_lifetime)
                    .map_or(JWKS_TTL, |ttl| ttl.min(JWKS_MAX_TTL));
                let keys = response
                    .json()
                    .await
                    .map_err(|e| format!("parsing JWKS {url}: {e}"))?;
                Ok((keys, ttl))
            }
        }
    }

    fn validation(&self, algorithm: Algorithm) -> Validation {
        let mut validation = Validation::new(algorithm);
        // The contract's leeway on both `exp` and `nbf` (clocks of token issuers drift).
        validation.leeway = self.settings.leeway.as_secs();
        validation.validate_nbf = true;
        validation.set_required_spec_claims(&["exp", "sub"]);
        match &self.settings.audience {
            Some(aud) => validation.set_audience(&[aud]),
            None => validation.validate_aud = false,
        }
        if let Some(iss) = &self.settings.issuer {
            validation.set_issuer(&[iss]);
        }
        validation
    }

    /// The JWKS key for `kid`, refreshing the set when the key is unknown or stale.
    async fn jwk_key(&self, kid: Option<&str>, algorithm: Algorithm) -> Result<DecodingKey> {
        let seen = self.jwks.read().await.fetched;
        if let Some(key) = self.find_key(kid, algorithm).await
            && !self.jwks.read().await.stale()
        {
            return key;
        }
        self.refresh_jwks(seen).await;
        self.find_key(kid, algorithm).await.unwrap_or_else(|| {
            Err(Error::Unauthenticated(
                "the token's signing key is unknown".into(),
            ))
        })
    }

    async fn find_key(
        &self,
        kid: Option<&str>,
        algorithm: Algorithm,
    ) -> Option<Result<DecodingKey>> {
        let cache = self.jwks.read().await;
        let jwk = match kid {
            Some(kid) => cache.keys.find(kid),
            None => cache.keys.keys.iter().find(|k| {
                k.common.key_algorithm.map(|a| a.to_string()) == Some(format!("{algorithm:?}"))
            }),
        }?;
        Some(
            DecodingKey::from_jwk(jwk)
                .map_err(|e| Error::Unauthenticated(format!("unusable signing key: {e}"))),
        )
    }

    /// Fetches the key set again, unless another caller did so since `seen` (the fetch time
    /// this caller looked at): concurrent callers wait for one fetch. Refreshes are at least
    /// `min_refresh` apart whatever the callers send.
    async fn refresh_jwks(&self, seen: Option<Instant>) {
        let Some(source) = &self.settings.jwks else {
            return;
        };
        let _flight = self.refreshing.lock().await;
        let fetched = self.jwks.read().await.fetched;
        if fetched != seen || fetched.is_some_and(|t| t.elapsed() < self.min_refresh) {
            return;
        }
        match self.load_jwks(source).await {
            Ok((keys, ttl)) => {
                *self.jwks.write().await = KeyCache {
                    keys,
                    fetched: Some(Instant::now()),
                    ttl,
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "JWKS refresh failed; keeping the previous keys");
                self.jwks.write().await.fetched = Some(Instant::now());
            }
        }
    }
}

/// `max-age` of a `Cache-Control` value; `no-cache`/`no-store` mean "refresh whenever asked"
/// (still at most once per [`JWKS_MIN_REFRESH`]).
pub(crate) fn cache_lifetime(value: &str) -> Option<Duration> {
    let mut max_age = None;
    for directive in value.split(',').map(str::trim) {
        let lower = directive.to_ascii_lowercase();
        if lower == "no-cache" || lower == "no-store" {
            return Some(Duration::ZERO);
        }
        if let Some(seconds) = lower.strip_prefix("max-age=") {
            max_age = seconds
                .trim_matches('"')
                .parse()
                .ok()
                .map(Duration::from_secs);
        }
    }
    max_age
}

/// A JWKS fetched over plain `http://` from anything but a loopback host.
pub fn insecure_jwks_url(url: &str) -> bool {
    let Some(rest) = url.strip_prefix("http://") else {
        return false;
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let authority = authority.rsplit('@').next().unwrap_or_default();
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => authority.split(':').next().unwrap_or_default(),
    };
    let loopback = host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    !loopback
}

#[async_trait]
impl Authenticator for JwtAuthenticator {
    async fn authenticate(&self, token: &str) -> Result<Identity> {
        let header = jsonwebtoken::decode_header(token)
            .map_err(|_| Error::Unauthenticated("malformed token".into()))?;
        let key = match header.alg {
            Algorithm::HS256 => self
                .hs256
                .clone()
                .ok_or_else(|| Error::Unauthenticated("HS256 tokens are not accepted".into()))?,
            Algorithm::RS256
            | Algorithm::RS384
            | Algorithm::RS512
            | Algorithm::ES256
            | Algorithm::ES384
            | Algorithm::EdDSA
                if self.settings.jwks.is_some() =>
            {
                self.jwk_key(header.kid.as_deref(), header.alg).await?
            }
            other => {
                return Err(Error::Unauthenticated(format!(
                    "{other:?} tokens are not accepted"
                )));
            }
        };
        let data = jsonwebtoken::decode::<Claims>(token, &key, &self.validation(header.alg))
            .map_err(|e| {
                use jsonwebtoken::errors::ErrorKind;
                Error::Unauthenticated(
                    match e.kind() {
                        ErrorKind::ExpiredSignature => "the token has expired",
                        ErrorKind::ImmatureSignature => "the token is not valid yet (nbf)",
                        ErrorKind::InvalidSignature => "the token's signature does not verify",
                        ErrorKind::InvalidAudience => "the token's audience is not accepted",
                        ErrorKind::InvalidIssuer => "the token's issuer is not accepted",
                        ErrorKind::MissingRequiredClaim(_) => "the token lacks a required claim",
                        _ => "the token is invalid",
                    }
                    .to_owned(),
                )
            })?;
        data.claims.identity(self.settings.leeway)
    }
}
