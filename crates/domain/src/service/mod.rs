//! The use cases. Each one validates, authorizes, persists, then notifies; REST handlers
//! and socket events call the same methods.

mod admin;
mod admin_views;
mod conversations;
mod files;
mod members;
mod messages;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError, RwLock};

pub use files::{NewFile, UploadPermit};
pub use messages::Sent;

use crate::admin::ports::{AdminRepository, UnavailableAdmin};
use crate::admission::{Admission, AdmissionConfig};
use crate::error::{Error, Result};
use crate::identity::{Identity, MessagingFlags};
use crate::ids::{ConversationId, UserId};
use crate::model::User;
use crate::ports::{
    Access, Authenticator, Clock, Event, LimitKind, Notifier, RateLimiter, Store, SystemClock,
};

/// Users whose row is known to match their claims; bounded so it cannot grow without end.
const KNOWN_USERS_CAP: usize = 100_000;

/// The contract's `MAX_REACTIONS_PER_MESSAGE`.
pub const DEFAULT_MAX_REACTIONS: u32 = 50;

type Profile = (Option<String>, Option<String>);

/// The application's use cases over its ports. Cheap to share: hold it in an `Arc`.
pub struct Services {
    store: Arc<dyn Store>,
    auth: Arc<dyn Authenticator>,
    notifier: Arc<dyn Notifier>,
    limiter: Arc<dyn RateLimiter>,
    clock: Arc<dyn Clock>,
    admin: Arc<dyn AdminRepository>,
    files: Arc<dyn crate::files::FileRepository>,
    flags: RwLock<MessagingFlags>,
    known_users: Mutex<HashMap<UserId, Profile>>,
    /// Distinct emoji one message may carry (`MAX_REACTIONS_PER_MESSAGE`; 0: no cap).
    max_reactions: u32,
    /// The sends this node takes on at once (see [`Admission`]).
    admission: Arc<Admission>,
}

impl std::fmt::Debug for Services {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Services").finish_non_exhaustive()
    }
}

/// Assembles [`Services`]: `Services::builder(store, auth)`, the optional parts through
/// `with_*`, then [`ServicesBuilder::build`] with the rate limiter and the notifier. Those two
/// are arguments of `build`, not defaults, so a node cannot be wired without rate limits or
/// without broadcasts by forgetting a call (pass [`Unlimited`] or [`NoopNotifier`] to mean it).
///
/// [`Unlimited`]: crate::ports::Unlimited
/// [`NoopNotifier`]: crate::ports::NoopNotifier
#[must_use = "a builder does nothing until `build`"]
pub struct ServicesBuilder {
    store: Arc<dyn Store>,
    auth: Arc<dyn Authenticator>,
    admin: Arc<dyn AdminRepository>,
    files: Arc<dyn crate::files::FileRepository>,
    flags: MessagingFlags,
    max_reactions: u32,
    admission: AdmissionConfig,
}

impl std::fmt::Debug for ServicesBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServicesBuilder").finish_non_exhaustive()
    }
}

impl ServicesBuilder {
    /// The admin views (listing, analytics, audit log, exports); without one they answer
    /// `Unavailable` and admin actions go unaudited (logged instead).
    pub fn with_admin(mut self, admin: Arc<dyn AdminRepository>) -> Self {
        self.admin = admin;
        self
    }

    /// The upload records; without one the file routes answer `Unavailable`.
    pub fn with_files(mut self, files: Arc<dyn crate::files::FileRepository>) -> Self {
        self.files = files;
        self
    }

    /// The messaging feature flags (default: [`MessagingFlags::default`]).
    pub fn with_flags(mut self, flags: MessagingFlags) -> Self {
        self.flags = flags;
        self
    }

    /// Distinct emoji one message may carry (0: no cap; default [`DEFAULT_MAX_REACTIONS`]).
    pub fn with_max_reactions(mut self, max: u32) -> Self {
        self.max_reactions = max;
        self
    }

    /// Admission control for sends (default: [`AdmissionConfig::OFF`], nothing refused; a
    /// server passes its configured limits).
    pub fn with_admission(mut self, admission: AdmissionConfig) -> Self {
        self.admission = admission;
        self
    }

    /// The use cases, limited by `limiter` and broadcasting through `notifier`, on the
    /// system clock.
    pub fn build(self, limiter: Arc<dyn RateLimiter>, notifier: Arc<dyn Notifier>) -> Services {
        Services {
            store: self.store,
            auth: self.auth,
            notifier,
            limiter,
            clock: Arc::new(SystemClock),
            admin: self.admin,
            files: self.files,
            flags: RwLock::new(self.flags),
            known_users: Mutex::new(HashMap::new()),
            max_reactions: self.max_reactions,
            admission: Arc::new(Admission::new(self.admission)),
        }
    }
}

impl Services {
    /// Starts a [`ServicesBuilder`] over `store` and `auth`.
    pub fn builder(store: Arc<dyn Store>, auth: Arc<dyn Authenticator>) -> ServicesBuilder {
        ServicesBuilder {
            store,
            auth,
            admin: Arc::new(UnavailableAdmin),
            files: Arc::new(crate::files::UnavailableFiles),
            flags: MessagingFlags::default(),
            max_reactions: DEFAULT_MAX_REACTIONS,
            admission: AdmissionConfig::OFF,
        }
    }

    /// The admission gate of this node's sends: the server feeds it the runtime's
    /// scheduling delay ([`Admission::scheduler_lag`]).
    pub fn admission(&self) -> &Arc<Admission> {
        &self.admission
    }

    /// Replaces the messaging feature flags at run time (e.g. on a configuration reload).
    pub fn set_flags(&self, flags: MessagingFlags) {
        *self.flags.write().unwrap_or_else(PoisonError::into_inner) = flags;
    }

    /// The messaging feature flags in force now.
    pub fn flags(&self) -> MessagingFlags {
        self.flags
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Verifies `token`, applies the messaging feature flags, and creates or refreshes the
    /// user's row from its claims. Every REST request and socket handshake starts here.
    pub async fn authenticate(&self, token: &str) -> Result<Identity> {
        let identity = self.auth.authenticate(token).await?;
        if !self
            .flags
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .allows(&identity)
        {
            return Err(Error::Forbidden {
                code: "messaging_disabled",
                message: "messaging is not enabled for this user".into(),
            });
        }
        self.remember_user(&identity).await?;
        Ok(identity)
    }

    async fn remember_user(&self, identity: &Identity) -> Result<()> {
        let profile = (identity.email.clone(), identity.name.clone());
        if self
            .known_users
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&identity.user_id)
            == Some(&profile)
        {
            return Ok(());
        }
        let user = User {
            id: identity.user_id,
            email: identity.email.clone(),
            name: identity.name.clone(),
        };
        self.store.upsert_user(&user, self.clock.now()).await?;
        let mut known = self
            .known_users
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if known.len() >= KNOWN_USERS_CAP {
            known.clear();
        }
        known.insert(identity.user_id, profile);
        Ok(())
    }

    /// Checks the store answers (for `/readyz`).
    pub async fn ready(&self) -> Result<()> {
        self.store.ping().await
    }

    async fn access(&self, conversation: ConversationId, user: UserId) -> Result<Access> {
        self.store
            .access(conversation, user)
            .await?
            .ok_or(Error::NotFound("conversation"))
    }

    async fn limit(&self, user: UserId, kind: LimitKind) -> Result<()> {
        self.limiter
            .acquire(user, kind)
            .await
            .map_err(|retry_after| Error::RateLimited {
                kind: kind.as_str(),
                retry_after,
            })
    }

    async fn publish(&self, event: Event) {
        self.notifier.publish(event).await;
    }
}

#[cfg(test)]
mod tests;
