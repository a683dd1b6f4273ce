//! HS256 tokens in the shape confab (and the reference servers) accept: `sub` = user UUID,
//! `exp`, `user_metadata.name`, and `app_metadata.role = "admin"` for the admin.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::json;
use uuid::Uuid;

pub(crate) struct Minter {
    key: EncodingKey,
    exp: u64,
}

impl Minter {
    /// Tokens valid for `ttl` from now.
    pub(crate) fn new(secret: &str, ttl: Duration) -> anyhow::Result<Self> {
        anyhow::ensure!(!secret.is_empty(), "--secret must not be empty");
        let now = SystemTime::now().duration_since(UNIX_EPOCH)?;
        Ok(Self {
            key: EncodingKey::from_secret(secret.as_bytes()),
            exp: (now + ttl).as_secs(),
        })
    }

    pub(crate) fn user(&self, id: Uuid, name: &str) -> anyhow::Result<String> {
        self.sign(&json!({
            "sub": id.to_string(),
            "exp": self.exp,
            "user_metadata": { "name": name },
        }))
    }

    pub(crate) fn admin(&self, id: Uuid) -> anyhow::Result<String> {
        self.sign(&json!({
            "sub": id.to_string(),
            "exp": self.exp,
            "user_metadata": { "name": "loadgen admin" },
            "app_metadata": { "role": "admin" },
        }))
    }

    fn sign(&self, claims: &serde_json::Value) -> anyhow::Result<String> {
        Ok(jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            claims,
            &self.key,
        )?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonwebtoken::{DecodingKey, Validation};

    #[test]
    fn minted_tokens_verify_with_the_same_secret_and_carry_the_admin_role() {
        let m = Minter::new("s3cret", Duration::from_secs(60)).unwrap();
        let id = Uuid::new_v4();
        let token = m.admin(id).unwrap();
        let data = jsonwebtoken::decode::<serde_json::Value>(
            &token,
            &DecodingKey::from_secret(b"s3cret"),
            &Validation::new(Algorithm::HS256),
        )
        .unwrap();
        assert_eq!(data.claims["sub"], id.to_string());
        assert_eq!(data.claims["app_metadata"]["role"], "admin");
        let user = m.user(id, "u1").unwrap();
        let wrong = jsonwebtoken::decode::<serde_json::Value>(
            &user,
            &DecodingKey::from_secret(b"other"),
            &Validation::new(Algorithm::HS256),
        );
        assert!(wrong.is_err());
    }
}
