//! Typing signals: `user:typing` to the conversation's room (the typist's own sockets
//! excluded). A start with no stop ends by itself after the configured time; the typing
//! store decides which node announces the end, so it is announced once.
//!
//! Broadcasts are coalesced: at most one per user and conversation every 2 s (the rate
//! limiter's `typing` allowance, cluster-wide with Redis). A change that comes sooner is
//! held back; when the allowance is back, one flush announces the state at that moment, so
//! a flood of starts and stops costs the room one event per 2 s and the last word is right.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use confab_domain::Services;
use confab_domain::ids::{ConversationId, UserId};
use confab_domain::ports::{TypingCheck, TypingState};
use serde_json::json;
use socketioxide::SocketIo;
use socketioxide::adapter::Adapter;

use crate::rooms::{conversation_room, root, user_room};

/// The typing signals of this node's sockets.
pub(crate) struct Typing<A: Adapter> {
    io: SocketIo<A>,
    services: Arc<Services>,
    state: Arc<dyn TypingState>,
    /// A start with no stop ends after this long.
    ttl: Duration,
    /// The (user, conversation) pairs with a flush pending on this node.
    flushes: Mutex<HashSet<(UserId, ConversationId)>>,
}

impl<A: Adapter> Typing<A> {
    pub(crate) fn new(
        io: SocketIo<A>,
        services: Arc<Services>,
        state: Arc<dyn TypingState>,
        ttl: Duration,
    ) -> Self {
        Self {
            io,
            services,
            state,
            ttl,
            flushes: Mutex::default(),
        }
    }

    pub(crate) async fn start(self: &Arc<Self>, user: UserId, conversation: ConversationId) {
        let ttl = u64::try_from(self.ttl.as_millis()).unwrap_or(u64::MAX);
        if !self.state.start(user, conversation, ttl).await {
            return;
        }
        self.announce(user, conversation, true).await;
        let typing = self.clone();
        tokio::spawn(async move {
            let mut wait = typing.ttl;
            loop {
                tokio::time::sleep(wait).await;
                match typing.state.check(user, conversation).await {
                    TypingCheck::Expired => {
                        typing.announce(user, conversation, false).await;
                        return;
                    }
                    TypingCheck::Pending(ms) => wait = Duration::from_millis(ms),
                    TypingCheck::Gone => return,
                }
            }
        });
    }

    pub(crate) async fn stop(self: &Arc<Self>, user: UserId, conversation: ConversationId) {
        if self.state.stop(user, conversation).await {
            self.announce(user, conversation, false).await;
        }
    }

    /// Broadcasts now if the allowance lets it, else leaves it to a flush.
    async fn announce(self: &Arc<Self>, user: UserId, conversation: ConversationId, on: bool) {
        match self.services.typing_allowance(user, conversation).await {
            Ok(()) => self.emit(user, conversation, on).await,
            Err(wait) if self.claim((user, conversation)) => {
                tokio::spawn(self.clone().flush(user, conversation, wait));
            }
            Err(_) => {}
        }
    }

    /// Waits for the allowance, then announces the state at that moment. The pending mark
    /// goes before the state is read: a change after the read schedules a flush of its own.
    async fn flush(
        self: Arc<Self>,
        user: UserId,
        conversation: ConversationId,
        mut wait: Duration,
    ) {
        loop {
            tokio::time::sleep(wait).await;
            match self.services.typing_allowance(user, conversation).await {
                Ok(()) => break,
                Err(more) => wait = more,
            }
        }
        self.release((user, conversation));
        let on = matches!(
            self.state.check(user, conversation).await,
            TypingCheck::Pending(_)
        );
        self.emit(user, conversation, on).await;
    }

    async fn emit(&self, user: UserId, conversation: ConversationId, is_typing: bool) {
        let payload =
            json!({ "userId": user, "conversationId": conversation, "isTyping": is_typing });
        let Some(root) = root(&self.io) else {
            return; // shutting down: nobody left to tell
        };
        let result = root
            .to(conversation_room(conversation))
            .except(user_room(user))
            .emit("user:typing", &payload)
            .await;
        if let Err(e) = result {
            tracing::warn!(%conversation, error = %e, "typing broadcast failed");
        }
    }

    /// `true` when no flush was pending for the pair (the caller schedules one).
    fn claim(&self, key: (UserId, ConversationId)) -> bool {
        self.flushes
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(key)
    }

    fn release(&self, key: (UserId, ConversationId)) {
        self.flushes
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&key);
    }
}
