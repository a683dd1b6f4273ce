//! Token verification (the [`Authenticator`] port) and token minting for `confab token`.
//!
//! HS256 with a shared secret (`CONFAB_JWT_SECRET`, or the development secret kept in the
//! data dir) and asymmetric keys from a JWKS (`CONFAB_JWKS_URL`: an `http(s)://` URL, or a
//! local file as a path or `file://` URL), e.g. Supabase signing keys (RS256/ES256).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use confab_domain::ports::Authenticator;
use confab_domain::{Error, Identity, Result};
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use tokio::sync::RwLock;

/// How long fetched JWKS keys are trusted before a refresh when the key server sends no
/// `Cache-Control: max-age`, the longest a `max-age` is honoured, and the least time between
/// refreshes (so a flood of forged tokens with unknown `kid`s cannot hammer the key server).
const JWKS_TTL: Duration = Duration::from_secs(600);
const JWKS_MAX_TTL: Duration = Duration::from_secs(24 * 3600);
const JWKS_MIN_REFRESH: Duration = Duration::from_secs(30);

/// The default clock skew allowed on `exp` and `nbf` (contract: "Sessions").
pub const DEFAULT_LEEWAY: Duration = Duration::from_secs(60);

/// The claims confab reads (Supabase's layout).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub exp: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iat: Option<i64>,
    /// Not before (Unix seconds), honoured with the leeway.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_metadata: Option<UserMetadata>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_metadata: Option<AppMetadata>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct UserMetadata {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct AppMetadata {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
}

impl Claims {
    fn identity(self, leeway: Duration) -> Result<Identity> {
        let expires_at = self
            .exp
            .saturating_add(i64::try_from(leeway.as_secs()).unwrap_or(i64::MAX));
        let user_id = self
            .sub
            .parse()
            .map_err(|_| Error::Unauthenticated("the token's sub is not a UUID".into()))?;
        let is_admin = self
            .app_metadata
            .and_then(|m| m.role)
            .is_some_and(|role| role == "admin");
        // Claims come from the identity provider, not the user, but may still hold NUL, which
        // no database stores: drop it rather than refuse a validly signed token.
        let clean = |text: String| text.replace('\0', "");
        let name = self
            .user_metadata
            .and_then(|m| m.name)
            .map(clean)
            .filter(|n| !n.trim().is_empty());
        let email = self.email.map(clean).filter(|e| !e.trim().is_empty());
        Ok(Identity {
            user_id,
            email,
            name,
            is_admin,
            expires_at: Some(expires_at),
        })
    }
}

/// Where asymmetric keys come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum JwksSource {
    Url(String),
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
    min_refresh: Duration,
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
fn cache_lifetime(value: &str) -> Option<Duration> {
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

/// Signs an HS256 token (for `confab token`, tests and load generators).
pub fn mint_hs256(secret: &[u8], claims: &Claims) -> std::result::Result<String, String> {
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(secret),
    )
    .map_err(|e| e.to_string())
}

/// Claims for a user, valid for `ttl` from now.
pub fn claims_for(
    user: uuid::Uuid,
    name: Option<String>,
    email: Option<String>,
    admin: bool,
    ttl: Duration,
) -> Claims {
    let now = chrono::Utc::now().timestamp();
    Claims {
        sub: user.to_string(),
        exp: now + i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX / 2),
        iat: Some(now),
        nbf: None,
        email,
        user_metadata: name.map(|name| UserMetadata { name: Some(name) }),
        app_metadata: admin.then(|| AppMetadata {
            role: Some("admin".into()),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn hs(secret: &[u8]) -> Arc<JwtAuthenticator> {
        JwtAuthenticator::new(JwtSettings {
            secret: Some(secret.to_vec()),
            ..JwtSettings::default()
        })
        .await
        .unwrap()
    }

    #[tokio::test]
    async fn a_minted_token_verifies_with_its_claims() {
        let user = uuid::Uuid::new_v4();
        let claims = claims_for(
            user,
            Some("Ada".into()),
            Some("ada@example.com".into()),
            true,
            Duration::from_secs(60),
        );
        let token = mint_hs256(b"secret", &claims).unwrap();
        let who = hs(b"secret").await.authenticate(&token).await.unwrap();
        assert_eq!(who.user_id.as_uuid(), user);
        assert_eq!(who.name.as_deref(), Some("Ada"));
        assert_eq!(who.email.as_deref(), Some("ada@example.com"));
        assert!(who.is_admin);
    }

    #[tokio::test]
    async fn expired_foreign_and_garbage_tokens_are_refused() {
        let auth = hs(b"secret").await;
        let mut claims = claims_for(
            uuid::Uuid::new_v4(),
            None,
            None,
            false,
            Duration::from_secs(60),
        );
        let foreign = mint_hs256(b"other", &claims).unwrap();
        assert!(
            auth.authenticate(&foreign)
                .await
                .unwrap_err()
                .to_string()
                .contains("signature")
        );
        // Past the 60 s leeway.
        claims.exp = chrono::Utc::now().timestamp() - 61;
        let expired = mint_hs256(b"secret", &claims).unwrap();
        assert!(
            auth.authenticate(&expired)
                .await
                .unwrap_err()
                .to_string()
                .contains("expired")
        );
        assert!(auth.authenticate("not.a.jwt").await.is_err());
        let mut bad_sub = claims_for(
            uuid::Uuid::new_v4(),
            None,
            None,
            false,
            Duration::from_secs(60),
        );
        bad_sub.sub = "alice".into();
        assert!(
            auth.authenticate(&mint_hs256(b"secret", &bad_sub).unwrap())
                .await
                .is_err()
        );
    }

    #[tokio::test]
    async fn supabase_style_audiences_are_accepted_unless_an_audience_is_required() {
        #[derive(Serialize)]
        struct WithAud {
            sub: String,
            exp: i64,
            aud: String,
        }
        let claims = WithAud {
            sub: uuid::Uuid::new_v4().to_string(),
            exp: chrono::Utc::now().timestamp() + 60,
            aud: "authenticated".into(),
        };
        let token = jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &EncodingKey::from_secret(b"s"),
        )
        .unwrap();
        assert!(hs(b"s").await.authenticate(&token).await.is_ok());
        let strict = JwtAuthenticator::new(JwtSettings {
            secret: Some(b"s".to_vec()),
            audience: Some("other".into()),
            ..JwtSettings::default()
        })
        .await
        .unwrap();
        assert!(strict.authenticate(&token).await.is_err());
    }

    #[tokio::test]
    async fn es256_tokens_verify_against_a_jwks_file_by_kid() {
        use aws_lc_rs::rand::SystemRandom;
        use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair};
        let pkcs8 =
            EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &SystemRandom::new())
                .unwrap();
        let signing = EncodingKey::from_ec_der(pkcs8.as_ref());
        let mut jwk =
            jsonwebtoken::jwk::Jwk::from_encoding_key(&signing, Algorithm::ES256).unwrap();
        jwk.common.key_id = Some("key-1".into());
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("jwks.json");
        std::fs::write(
            &path,
            serde_json::to_string(&JwkSet { keys: vec![jwk] }).unwrap(),
        )
        .unwrap();

        let auth = JwtAuthenticator::new(JwtSettings {
            jwks: Some(JwksSource::parse(path.to_str().unwrap())),
            ..JwtSettings::default()
        })
        .await
        .unwrap();
        let claims = claims_for(
            uuid::Uuid::new_v4(),
            None,
            None,
            false,
            Duration::from_secs(60),
        );
        let mut header = Header::new(Algorithm::ES256);
        header.kid = Some("key-1".into());
        let token = jsonwebtoken::encode(&header, &claims, &signing).unwrap();
        assert!(auth.authenticate(&token).await.is_ok());

        header.kid = Some("unknown".into());
        let token = jsonwebtoken::encode(&header, &claims, &signing).unwrap();
        assert!(auth.authenticate(&token).await.is_err());
        let hs = mint_hs256(b"secret", &claims).unwrap();
        assert!(
            auth.authenticate(&hs)
                .await
                .unwrap_err()
                .to_string()
                .contains("not accepted")
        );
    }

    #[tokio::test]
    async fn exp_and_nbf_are_honoured_with_the_leeway_and_the_session_ends_after_it() {
        let auth = hs(b"secret").await;
        let now = chrono::Utc::now().timestamp();
        let mut claims = claims_for(uuid::Uuid::new_v4(), None, None, false, Duration::ZERO);
        claims.exp = now - 30;
        let who = auth
            .authenticate(&mint_hs256(b"secret", &claims).unwrap())
            .await
            .expect("30 s past exp is inside the leeway");
        assert_eq!(who.expires_at, Some(now + 30));

        claims.exp = now + 3600;
        claims.nbf = Some(now + 120);
        let early = mint_hs256(b"secret", &claims).unwrap();
        assert!(
            auth.authenticate(&early)
                .await
                .unwrap_err()
                .to_string()
                .contains("not valid yet")
        );
        claims.nbf = Some(now + 30);
        assert!(
            auth.authenticate(&mint_hs256(b"secret", &claims).unwrap())
                .await
                .is_ok()
        );

        let strict = JwtAuthenticator::new(JwtSettings {
            secret: Some(b"secret".to_vec()),
            leeway: Duration::ZERO,
            ..JwtSettings::default()
        })
        .await
        .unwrap();
        claims.nbf = None;
        claims.exp = now - 2;
        assert!(
            strict
                .authenticate(&mint_hs256(b"secret", &claims).unwrap())
                .await
                .is_err()
        );
    }

    #[test]
    fn plain_http_jwks_urls_are_insecure_unless_loopback() {
        assert!(insecure_jwks_url(
            "http://auth.example.com/.well-known/jwks.json"
        ));
        assert!(insecure_jwks_url("http://10.0.0.5:8080/jwks"));
        assert!(!insecure_jwks_url("http://127.0.0.1:9999/jwks"));
        assert!(!insecure_jwks_url("http://localhost/jwks"));
        assert!(!insecure_jwks_url("http://[::1]:80/jwks"));
        assert!(!insecure_jwks_url("https://auth.example.com/jwks"));
    }

    #[test]
    fn cache_control_sets_the_key_lifetime() {
        assert_eq!(
            cache_lifetime("public, max-age=120"),
            Some(Duration::from_secs(120))
        );
        assert_eq!(cache_lifetime("no-store"), Some(Duration::ZERO));
        assert_eq!(cache_lifetime("public"), None);
    }

    /// An ES256 key pair as a signing key and its JWKS entry with `kid`.
    fn es256(kid: &str) -> (EncodingKey, jsonwebtoken::jwk::Jwk) {
        use aws_lc_rs::rand::SystemRandom;
        use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair};
        let pkcs8 =
            EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &SystemRandom::new())
                .unwrap();
        let signing = EncodingKey::from_ec_der(pkcs8.as_ref());
        let mut jwk =
            jsonwebtoken::jwk::Jwk::from_encoding_key(&signing, Algorithm::ES256).unwrap();
        jwk.common.key_id = Some(kid.into());
        (signing, jwk)
    }

    /// A key server on 127.0.0.1 answering `body` with `cache_control`, slowly, counting hits.
    async fn key_server(
        body: String,
        cache_control: &'static str,
    ) -> (String, Arc<std::sync::atomic::AtomicUsize>) {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let hits = Arc::new(AtomicUsize::new(0));
        let counter = hits.clone();
        let app = axum::Router::new().route(
            "/jwks",
            axum::routing::get(move || {
                let body = body.clone();
                let counter = counter.clone();
                async move {
                    counter.fetch_add(1, Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_millis(200)).await;
                    ([(axum::http::header::CACHE_CONTROL, cache_control)], body)
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/jwks", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        (url, hits)
    }

    #[tokio::test]
    async fn concurrent_refreshes_share_one_fetch_and_max_age_bounds_the_key_lifetime() {
        use std::sync::atomic::Ordering;
        let (signing, jwk) = es256("key-1");
        let body = serde_json::to_string(&JwkSet { keys: vec![jwk] }).unwrap();
        let (url, hits) = key_server(body, "public, max-age=1").await;
        let mut auth = JwtAuthenticator::new(JwtSettings {
            jwks: Some(JwksSource::parse(&url)),
            ..JwtSettings::default()
        })
        .await
        .unwrap();
        Arc::get_mut(&mut auth).unwrap().min_refresh = Duration::ZERO;
        assert_eq!(hits.load(Ordering::SeqCst), 1, "fetched at start-up");
        let claims = claims_for(
            uuid::Uuid::new_v4(),
            None,
            None,
            false,
            Duration::from_secs(60),
        );
        let mut header = Header::new(Algorithm::ES256);
        header.kid = Some("key-1".into());
        let token = jsonwebtoken::encode(&header, &claims, &signing).unwrap();
        assert!(auth.authenticate(&token).await.is_ok());
        assert_eq!(hits.load(Ordering::SeqCst), 1, "fresh keys are reused");

        // max-age=1: a second later the keys are stale, and 20 callers at once cause one fetch.
        tokio::time::sleep(Duration::from_millis(1100)).await;
        let calls: Vec<_> = (0..20)
            .map(|_| {
                let auth = auth.clone();
                let token = token.clone();
                tokio::spawn(async move { auth.authenticate(&token).await.is_ok() })
            })
            .collect();
        for call in calls {
            assert!(call.await.unwrap());
        }
        assert_eq!(hits.load(Ordering::SeqCst), 2, "one refresh for 20 callers");
    }
}
