//! Per-user rate limits as GCRA (generic cell rate algorithm): a user may burst up to the
//! limit, then regains one action every `period / limit`. The in-process limiter here serves
//! a single node; the Redis limiter applies the same rule cluster-wide.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use async_trait::async_trait;

use crate::ids::UserId;
use crate::ports::{LimitKind, RateLimiter};

/// The allowance of one kind: `limit` actions per `period`. A limit of 0 disables it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Quota {
    /// Actions allowed per `period`, which is also the largest burst; 0 disables the limit.
    pub limit: u32,
    /// The window the limit is counted over.
    pub period: Duration,
}

impl Quota {
    /// `limit` actions per `period`.
    pub const fn new(limit: u32, period: Duration) -> Self {
        Self { limit, period }
    }

    /// `limit` actions per minute.
    pub const fn per_minute(limit: u32) -> Self {
        Self {
            limit,
            period: Duration::from_secs(60),
        }
    }

    /// `limit` actions per hour.
    pub const fn per_hour(limit: u32) -> Self {
        Self {
            limit,
            period: Duration::from_secs(3600),
        }
    }

    /// Time between two actions at the sustained rate.
    pub fn interval(&self) -> Duration {
        self.period / self.limit.max(1)
    }
}

/// The configured quotas (the contract's defaults in [`Limits::default`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Sent messages (default 30 a minute).
    pub messages: Quota,
    /// File uploads (default 50 an hour).
    pub uploads: Quota,
    /// Searches (default 10 a minute).
    pub searches: Quota,
    /// Edits and deletions of one's own messages.
    pub edits: Quota,
    /// Reactions added or removed (default 60 a minute).
    pub reactions: Quota,
    /// Reports filed (default 20 an hour).
    pub reports: Quota,
    /// Conversations created (default 30 an hour).
    pub conversations: Quota,
    /// Read receipts (default 240 a minute).
    pub reads: Quota,
    /// `user:typing` broadcasts per user and conversation.
    pub typing: Quota,
}

/// Typing broadcasts: at most one per user and conversation every 2 s.
pub const TYPING_QUOTA: Quota = Quota::new(1, Duration::from_secs(2));

impl Default for Limits {
    fn default() -> Self {
        Self {
            messages: Quota::per_minute(30),
            uploads: Quota::per_hour(50),
            searches: Quota::per_minute(10),
            edits: Quota::per_minute(60),
            reactions: Quota::per_minute(60),
            reports: Quota::per_hour(20),
            conversations: Quota::per_hour(30),
            reads: Quota::per_minute(240),
            typing: TYPING_QUOTA,
        }
    }
}

impl Limits {
    /// The quota that applies to `kind`.
    pub fn quota(&self, kind: LimitKind) -> Quota {
        match kind {
            LimitKind::Messages => self.messages,
            LimitKind::Uploads => self.uploads,
            LimitKind::Searches => self.searches,
            LimitKind::Edits => self.edits,
            LimitKind::Reactions => self.reactions,
            LimitKind::Reports => self.reports,
            LimitKind::Conversations => self.conversations,
            LimitKind::Reads => self.reads,
            LimitKind::Typing(_) => self.typing,
        }
    }
}

/// One GCRA step. `tat` is the stored "theoretical arrival time" (as an offset from a fixed
/// origin), `now` likewise. Returns the new TAT when allowed, or how long to wait.
///
/// ```
/// use std::time::Duration;
/// use confab_domain::limits::{Quota, gcra};
///
/// let quota = Quota::per_minute(2); // a burst of 2, then one every 30 s
/// let now = Duration::ZERO;
/// let tat = gcra(quota, None, now).unwrap();
/// let tat = gcra(quota, Some(tat), now).unwrap();
/// assert_eq!(gcra(quota, Some(tat), now), Err(Duration::from_secs(30)));
/// // 30 s later one more action is allowed.
/// assert!(gcra(quota, Some(tat), now + Duration::from_secs(30)).is_ok());
/// ```
pub fn gcra(quota: Quota, tat: Option<Duration>, now: Duration) -> Result<Duration, Duration> {
    let interval = quota.interval();
    let start = tat.map_or(now, |t| t.max(now));
    let next = start + interval;
    // Allowed while the backlog (next - now) fits in one period: a burst of `limit`.
    match (next - now).checked_sub(quota.period) {
        None | Some(Duration::ZERO) => Ok(next),
        Some(wait) => Err(wait),
    }
}

/// Limits kept in this process's memory.
pub struct InProcessLimiter {
    limits: Limits,
    origin: Instant,
    state: Mutex<HashMap<(UserId, LimitKind), Duration>>,
}

impl std::fmt::Debug for InProcessLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InProcessLimiter")
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

impl InProcessLimiter {
    /// A limiter enforcing `limits`, with no history.
    pub fn new(limits: Limits) -> Self {
        Self {
            limits,
            origin: Instant::now(),
            state: Mutex::new(HashMap::new()),
        }
    }

    fn check(&self, user: UserId, kind: LimitKind, now: Duration) -> Result<(), Duration> {
        let quota = self.limits.quota(kind);
        if quota.limit == 0 {
            return Ok(());
        }
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        if state.len() > 100_000 {
            // Entries in the past carry no debt: forgetting them changes no decision.
            state.retain(|_, tat| *tat > now);
        }
        let tat = state.get(&(user, kind)).copied();
        let next = gcra(quota, tat, now)?;
        state.insert((user, kind), next);
        Ok(())
    }
}

#[async_trait]
impl RateLimiter for InProcessLimiter {
    async fn acquire(&self, user: UserId, kind: LimitKind) -> Result<(), Duration> {
        self.check(user, kind, self.origin.elapsed())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::ConversationId;

    #[test]
    fn a_burst_of_the_limit_passes_then_one_per_interval() {
        let limiter = InProcessLimiter::new(Limits::default());
        let user = UserId::new();
        let t0 = Duration::from_secs(1000);
        for i in 0..30 {
            assert!(
                limiter.check(user, LimitKind::Messages, t0).is_ok(),
                "message {i}"
            );
        }
        let wait = limiter.check(user, LimitKind::Messages, t0).unwrap_err();
        assert_eq!(wait, Duration::from_secs(2));
        assert!(
            limiter
                .check(user, LimitKind::Messages, t0 + Duration::from_secs(2))
                .is_ok()
        );
        assert!(
            limiter
                .check(user, LimitKind::Messages, t0 + Duration::from_secs(2))
                .is_err()
        );
    }

    #[test]
    fn users_and_kinds_are_limited_separately() {
        let limiter = InProcessLimiter::new(Limits::default());
        let (a, b) = (UserId::new(), UserId::new());
        let t = Duration::from_secs(5);
        for _ in 0..10 {
            limiter.check(a, LimitKind::Searches, t).unwrap();
        }
        assert!(limiter.check(a, LimitKind::Searches, t).is_err());
        assert!(limiter.check(b, LimitKind::Searches, t).is_ok());
        assert!(limiter.check(a, LimitKind::Messages, t).is_ok());
    }

    #[test]
    fn typing_allows_one_broadcast_per_conversation_every_two_seconds() {
        let limiter = InProcessLimiter::new(Limits::default());
        let user = UserId::new();
        let (here, there) = (ConversationId::new(), ConversationId::new());
        let t0 = Duration::from_secs(50);
        assert!(limiter.check(user, LimitKind::Typing(here), t0).is_ok());
        let wait = limiter
            .check(
                user,
                LimitKind::Typing(here),
                t0 + Duration::from_millis(500),
            )
            .unwrap_err();
        assert_eq!(wait, Duration::from_millis(1500));
        assert!(limiter.check(user, LimitKind::Typing(there), t0).is_ok());
        assert!(
            limiter
                .check(user, LimitKind::Typing(here), t0 + Duration::from_secs(2))
                .is_ok()
        );
    }

    #[test]
    fn the_new_abuse_limits_have_the_contracts_defaults() {
        let limiter = InProcessLimiter::new(Limits::default());
        let t = Duration::from_secs(7);
        for (kind, allowed) in [
            (LimitKind::Edits, 60),
            (LimitKind::Reactions, 60),
            (LimitKind::Reports, 20),
            (LimitKind::Conversations, 30),
            (LimitKind::Reads, 240),
        ] {
            let user = UserId::new();
            for i in 0..allowed {
                assert!(limiter.check(user, kind, t).is_ok(), "{kind:?} #{i}");
            }
            assert!(limiter.check(user, kind, t).is_err(), "{kind:?} over");
        }
    }

    #[test]
    fn a_zero_limit_disables_the_check() {
        let limits = Limits {
            messages: Quota::per_minute(0),
            ..Limits::default()
        };
        let limiter = InProcessLimiter::new(limits);
        let user = UserId::new();
        assert!((0..1000).all(|_| {
            limiter
                .check(user, LimitKind::Messages, Duration::ZERO)
                .is_ok()
        }));
    }
}
