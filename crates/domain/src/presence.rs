//! In-process presence and typing state for a single node.

use std::collections::{HashMap, HashSet};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use async_trait::async_trait;

use crate::ids::{ConversationId, UserId};
use crate::ports::{Presence, TypingCheck, TypingState};

#[derive(Debug, Default)]
struct Users {
    sockets: HashMap<UserId, HashSet<String>>,
    announced: HashSet<UserId>,
}

/// Live sockets per user, in this process.
#[derive(Debug, Default)]
pub struct InProcessPresence {
    users: Mutex<Users>,
}

impl InProcessPresence {
    /// No sockets, nobody announced.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Users> {
        self.users.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[async_trait]
impl Presence for InProcessPresence {
    async fn connect(&self, user: UserId, socket: &str) -> bool {
        let mut users = self.lock();
        users
            .sockets
            .entry(user)
            .or_default()
            .insert(socket.to_owned());
        users.announced.insert(user)
    }

    async fn disconnect(&self, user: UserId, socket: &str) -> bool {
        let mut users = self.lock();
        let Some(set) = users.sockets.get_mut(&user) else {
            return false;
        };
        if !set.remove(socket) {
            return false;
        }
        let last = set.is_empty();
        if last {
            users.sockets.remove(&user);
        }
        last
    }

    async fn settle_offline(&self, user: UserId) -> bool {
        let mut users = self.lock();
        !users.sockets.contains_key(&user) && users.announced.remove(&user)
    }

    async fn is_online(&self, user: UserId) -> bool {
        self.lock().sockets.contains_key(&user)
    }
}

/// Typing signals with their expiry, in this process.
#[derive(Debug, Default)]
pub struct InProcessTyping {
    active: Mutex<HashMap<(UserId, ConversationId), Instant>>,
}

impl InProcessTyping {
    /// Nobody typing.
    pub fn new() -> Self {
        Self::default()
    }
}

#[async_trait]
impl TypingState for InProcessTyping {
    async fn start(&self, user: UserId, conversation: ConversationId, ttl_ms: u64) -> bool {
        let until = Instant::now() + Duration::from_millis(ttl_ms);
        self.active
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert((user, conversation), until)
            .is_none()
    }

    async fn stop(&self, user: UserId, conversation: ConversationId) -> bool {
        self.active
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&(user, conversation))
            .is_some()
    }

    async fn check(&self, user: UserId, conversation: ConversationId) -> TypingCheck {
        let mut active = self.active.lock().unwrap_or_else(PoisonError::into_inner);
        let now = Instant::now();
        match active.get(&(user, conversation)) {
            None => TypingCheck::Gone,
            Some(until) if *until <= now => {
                active.remove(&(user, conversation));
                TypingCheck::Expired
            }
            Some(until) => TypingCheck::Pending(
                u64::try_from((*until - now).as_millis())
                    .unwrap_or(u64::MAX)
                    .max(1),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn arrival_and_departure_are_announced_once() {
        let presence = InProcessPresence::new();
        let user = UserId::new();
        assert!(presence.connect(user, "a").await, "first socket: announce");
        assert!(!presence.connect(user, "b").await);
        assert!(!presence.disconnect(user, "a").await);
        assert!(presence.disconnect(user, "b").await, "last socket gone");
        // A reconnect within the grace period: nothing to announce either way.
        assert!(!presence.connect(user, "c").await);
        assert!(!presence.settle_offline(user).await);
        assert!(presence.disconnect(user, "c").await);
        assert!(
            presence.settle_offline(user).await,
            "gone for good: announce once"
        );
        assert!(!presence.settle_offline(user).await);
        assert!(
            !presence.disconnect(user, "c").await,
            "an unknown socket changes nothing"
        );
        assert!(
            presence.connect(user, "d").await,
            "a later arrival is announced again"
        );
    }

    #[tokio::test]
    async fn typing_expires_once() {
        let typing = InProcessTyping::new();
        let (user, conversation) = (UserId::new(), ConversationId::new());
        assert!(typing.start(user, conversation, 30).await);
        assert!(
            !typing.start(user, conversation, 30).await,
            "a refresh is not a new start"
        );
        assert!(matches!(
            typing.check(user, conversation).await,
            TypingCheck::Pending(_)
        ));
        tokio::time::sleep(Duration::from_millis(40)).await;
        assert_eq!(typing.check(user, conversation).await, TypingCheck::Expired);
        assert_eq!(typing.check(user, conversation).await, TypingCheck::Gone);
        assert!(!typing.stop(user, conversation).await);
    }
}
