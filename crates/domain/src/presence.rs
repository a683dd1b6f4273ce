//! The in-process presence store for a single node: live socket ids per user.

use std::collections::{HashMap, HashSet};
use std::sync::{Mutex, PoisonError};

use async_trait::async_trait;

use crate::ids::UserId;
use crate::ports::Presence;

#[derive(Debug, Default)]
pub struct InProcessPresence {
    sockets: Mutex<HashMap<UserId, HashSet<String>>>,
}

impl InProcessPresence {
    pub fn new() -> Self {
        Self::default()
    }
}

#[async_trait]
impl Presence for InProcessPresence {
    async fn connect(&self, user: UserId, socket: &str) -> bool {
        let mut all = self.sockets.lock().unwrap_or_else(PoisonError::into_inner);
        let set = all.entry(user).or_default();
        let first = set.is_empty();
        set.insert(socket.to_owned());
        first
    }

    async fn disconnect(&self, user: UserId, socket: &str) -> bool {
        let mut all = self.sockets.lock().unwrap_or_else(PoisonError::into_inner);
        let Some(set) = all.get_mut(&user) else {
            return false;
        };
        if !set.remove(socket) {
            return false;
        }
        let last = set.is_empty();
        if last {
            all.remove(&user);
        }
        last
    }

    async fn is_online(&self, user: UserId) -> bool {
        self.sockets
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .contains_key(&user)
    }

    async fn online_among(&self, users: &[UserId]) -> Vec<UserId> {
        let all = self.sockets.lock().unwrap_or_else(PoisonError::into_inner);
        users
            .iter()
            .copied()
            .filter(|u| all.contains_key(u))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn first_and_last_sockets_are_reported() {
        let presence = InProcessPresence::new();
        let user = UserId::new();
        assert!(presence.connect(user, "a").await);
        assert!(!presence.connect(user, "b").await);
        assert!(!presence.disconnect(user, "a").await);
        assert!(presence.is_online(user).await);
        assert!(presence.disconnect(user, "b").await);
        assert!(!presence.is_online(user).await);
        assert!(
            !presence.disconnect(user, "b").await,
            "an unknown socket changes nothing"
        );
    }
}
