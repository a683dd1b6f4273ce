//! Who is calling: the verified claims of a token, and the feature flags that gate messaging.

use serde::Deserialize;

use crate::ids::UserId;

/// A verified caller. Built by an [`Authenticator`](crate::ports::Authenticator) from token
/// claims: `sub`, optional `email` and `user_metadata.name`, admin iff
/// `app_metadata.role == "admin"`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identity {
    /// The token's `sub`.
    pub user_id: UserId,
    /// The token's `email` claim, if any.
    pub email: Option<String>,
    /// The token's `user_metadata.name`, if any.
    pub name: Option<String>,
    /// Whether the token says `app_metadata.role == "admin"`.
    pub is_admin: bool,
    /// When the session ends, in Unix seconds: the token's `exp` plus the verifier's leeway.
    /// A socket is disconnected then (`session:expired`); `None`: no end (tests).
    pub expires_at: Option<i64>,
}

impl Identity {
    /// A plain user with no email, name or expiry (tests and internal callers).
    pub fn user(user_id: UserId) -> Self {
        Self {
            user_id,
            email: None,
            name: None,
            is_admin: false,
            expires_at: None,
        }
    }
}

/// `features.messaging` from configuration.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(default, rename_all = "snake_case")]
pub struct MessagingFlags {
    /// Off: only admins and `enabled_users` may use messaging.
    pub enabled: bool,
    /// 0..=100: the share of users let in, chosen by a stable hash of the user id.
    pub rollout_percentage: u8,
    /// User ids or emails always let in.
    pub enabled_users: Vec<String>,
}

impl Default for MessagingFlags {
    fn default() -> Self {
        Self {
            enabled: true,
            rollout_percentage: 100,
            enabled_users: Vec::new(),
        }
    }
}

impl MessagingFlags {
    /// Whether `who` may use messaging. Admins always may.
    ///
    /// ```
    /// use confab_domain::ids::UserId;
    /// use confab_domain::{Identity, MessagingFlags};
    ///
    /// let off = MessagingFlags { enabled: false, ..MessagingFlags::default() };
    /// let user = Identity::user(UserId::new());
    /// assert!(!off.allows(&user));
    /// assert!(off.allows(&Identity { is_admin: true, ..user.clone() }));
    ///
    /// let listed = MessagingFlags { enabled_users: vec![user.user_id.to_string()], ..off };
    /// assert!(listed.allows(&user));
    /// ```
    pub fn allows(&self, who: &Identity) -> bool {
        if who.is_admin || self.is_listed(who) {
            return true;
        }
        self.enabled && rollout_bucket(who.user_id) < u32::from(self.rollout_percentage.min(100))
    }

    fn is_listed(&self, who: &Identity) -> bool {
        let id = who.user_id.to_string();
        self.enabled_users
            .iter()
            .map(|entry| entry.trim())
            .any(|entry| {
                entry.eq_ignore_ascii_case(&id)
                    || who
                        .email
                        .as_deref()
                        .is_some_and(|email| entry.eq_ignore_ascii_case(email))
            })
    }
}

/// A user's rollout bucket in 0..100: FNV-1a over the hyphenated lowercase id, so it is the
/// same on every node, across restarts and in any other implementation of the same rule.
pub fn rollout_bucket(user: UserId) -> u32 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in user.to_string().bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    u32::try_from(hash % 100).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(n: u128) -> Identity {
        Identity::user(UserId::from_uuid(uuid::Uuid::from_u128(n)))
    }

    #[test]
    fn defaults_let_everyone_in() {
        assert!(MessagingFlags::default().allows(&user(1)));
    }

    #[test]
    fn disabled_messaging_still_admits_admins_and_listed_users() {
        let mut listed = user(2);
        listed.email = Some("Tester@Example.com".into());
        let flags = MessagingFlags {
            enabled: false,
            rollout_percentage: 100,
            enabled_users: vec!["tester@example.com".into()],
        };
        assert!(!flags.allows(&user(1)));
        assert!(flags.allows(&listed));
        let mut admin = user(3);
        admin.is_admin = true;
        assert!(flags.allows(&admin));
    }

    #[test]
    fn rollout_admits_roughly_the_configured_share_and_is_stable() {
        let flags = MessagingFlags {
            rollout_percentage: 20,
            ..MessagingFlags::default()
        };
        let admitted = (0..10_000u128)
            .filter(|n| flags.allows(&user(*n * 7919)))
            .count();
        assert!(
            (1_500..2_500).contains(&admitted),
            "admitted {admitted} of 10000"
        );
        assert_eq!(flags.allows(&user(42)), flags.allows(&user(42)));
        let none = MessagingFlags {
            rollout_percentage: 0,
            ..MessagingFlags::default()
        };
        assert!((0..1000u128).all(|n| !none.allows(&user(n))));
    }
}
