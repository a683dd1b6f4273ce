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

/// How long fetched JWKS keys are trusted before a refresh, and the least time between
/// refreshes triggered by an unknown `kid` (so a flood of forged tokens cannot hammer the
/// key server).
const JWKS_TTL: Duration = Duration::from_secs(600);
const JWKS_MIN_REFRESH: Duration = Duration::from_secs(30);

/// The claims confab reads (Supabase's layout).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub exp: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iat: Option<i64>,
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
    fn identity(self) -> Result<Identity> {
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
#[derive(Clone, Debug, Default)]
pub struct JwtSettings {
    /// HS256 shared secret; `None` disables HS256.
    pub secret: Option<Vec<u8>>,
    pub jwks: Option<JwksSource>,
    /// Required `aud` when set (Supabase uses `authenticated`).
    pub audience: Option<String>,
    /// Required `iss` when set.
    pub issuer: Option<String>,
}

struct KeyCache {
    keys: JwkSet,
    fetched: Option<Instant>,
}

/// Verifies HS256 and JWKS-signed tokens.
pub struct JwtAuthenticator {
    settings: JwtSettings,
    hs256: Option<DecodingKey>,
    jwks: RwLock<KeyCache>,
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
            }),
            http,
        };
        if let Some(source) = &auth.settings.jwks {
            let keys = auth.load_jwks(source).await?;
            *auth.jwks.write().await = KeyCache {
                keys,
                fetched: Some(Instant::now()),
            };
        }
        Ok(Arc::new(auth))
    }

    async fn load_jwks(&self, source: &JwksSource) -> std::result::Result<JwkSet, String> {
        match source {
            JwksSource::File(path) => {
                let text = tokio::fs::read_to_string(path)
                    .await
                    .map_err(|e| format!("reading JWKS {}: {e}", path.display()))?;
                serde_json::from_str(&text)
                    .map_err(|e| format!("parsing JWKS {}: {e}", path.display()))
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
                response
                    .json()
                    .await
                    .map_err(|e| format!("parsing JWKS {url}: {e}"))
            }
        }
    }

    fn validation(&self, algorithm: Algorithm) -> Validation {
        let mut validation = Validation::new(algorithm);
        // An expired token is expired: tests and clients rely on `exp` meaning what it says.
        validation.leeway = 0;
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
        if let Some(key) = self.find_key(kid, algorithm).await {
            let stale = self
                .jwks
                .read()
                .await
                .fetched
                .is_some_and(|t| t.elapsed() > JWKS_TTL);
            if !stale {
                return key;
            }
        }
        self.refresh_jwks().await;
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

    async fn refresh_jwks(&self) {
        let Some(source) = &self.settings.jwks else {
            return;
        };
        if self
            .jwks
            .read()
            .await
            .fetched
            .is_some_and(|t| t.elapsed() < JWKS_MIN_REFRESH)
        {
            return;
        }
        match self.load_jwks(source).await {
            Ok(keys) => {
                *self.jwks.write().await = KeyCache {
                    keys,
                    fetched: Some(Instant::now()),
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "JWKS refresh failed; keeping the previous keys");
                self.jwks.write().await.fetched = Some(Instant::now());
            }
        }
    }
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
                        ErrorKind::InvalidSignature => "the token's signature does not verify",
                        ErrorKind::InvalidAudience => "the token's audience is not accepted",
                        ErrorKind::InvalidIssuer => "the token's issuer is not accepted",
                        ErrorKind::MissingRequiredClaim(_) => "the token lacks a required claim",
                        _ => "the token is invalid",
                    }
                    .to_owned(),
                )
            })?;
        data.claims.identity()
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
        claims.exp = chrono::Utc::now().timestamp() - 1;
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
}
