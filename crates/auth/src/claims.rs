//! The claims confab reads and the tokens `confab token` signs.

use std::time::Duration;

use confab_domain::{Error, Identity, Result};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::{Deserialize, Serialize};

/// The default clock skew allowed on `exp` and `nbf` (contract: "Sessions").
pub const DEFAULT_LEEWAY: Duration = Duration::from_secs(60);

/// The claims confab reads (Supabase's layout).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Claims {
    /// The user's id (a UUID); a user row is created or updated from the claims on first use.
    pub sub: String,
    /// Expiry (Unix seconds), honoured with the leeway; a socket is disconnected at it.
    pub exp: i64,
    /// Issued at (Unix seconds); written by `confab token`, not checked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iat: Option<i64>,
    /// Not before (Unix seconds), honoured with the leeway.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<i64>,
    /// The user's email, copied to the user row.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Supabase's `user_metadata`: where the display name comes from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_metadata: Option<UserMetadata>,
    /// Supabase's `app_metadata`: where the admin role comes from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_metadata: Option<AppMetadata>,
}

/// The `user_metadata` claim: what the user may edit about themselves.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct UserMetadata {
    /// The display name (`user_metadata.name`), copied to the user row.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// The `app_metadata` claim: what only the issuer sets.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct AppMetadata {
    /// `admin` makes the caller an admin (the Supabase convention); anything else is a user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
}

impl Claims {
    pub(crate) fn identity(self, leeway: Duration) -> Result<Identity> {
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
