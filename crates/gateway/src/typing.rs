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

use confab_domain::ids::{ConversationId, UserId};
use confab_domain::ports::TypingCheck;
use serde_json::json;
use socketioxide::adapter::Adapter;

use crate::hub::Hub;
use crate::{conversation_room, user_room};

pub(crate) async fn start<A: Adapter>(
    hub: &Arc<Hub<A>>,
    user: UserId,
    conversation: ConversationId,
) {
    let ttl = u64::try_from(hub.config.typing_ttl.as_millis()).unwrap_or(u64::MAX);
    if !hub.typing.start(user, conversation, ttl).await {
        return;
    }
    announce(hub, user, conversation, true).await;
    let hub = hub.clone();
    tokio::spawn(async move {
        let mut wait = hub.config.typing_ttl;
        loop {
            tokio::time::sleep(wait).await;
            match hub.typing.check(user, conversation).await {
                TypingCheck::Expired => {
                    announce(&hub, user, conversation, false).await;
                    return;
                }
                TypingCheck::Pending(ms) => wait = Duration::from_millis(ms),
                TypingCheck::Gone => return,
            }
        }
    });
}

pub(crate) async fn stop<A: Adapter>(
    hub: &Arc<Hub<A>>,
    user: UserId,
    conversation: ConversationId,
) {
    if hub.typing.stop(user, conversation).await {
        announce(hub, user, conversation, false).await;
    }
}

/// The (user, conversation) pairs with a flush pending on this node.
#[derive(Debug, Default)]
pub(crate) struct Flushes(Mutex<HashSet<(UserId, ConversationId)>>);

impl Flushes {
    /// `true` when no flush was pending for the pair (the caller schedules one).
    fn claim(&self, key: (UserId, ConversationId)) -> bool {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(key)
    }

    fn release(&self, key: (UserId, ConversationId)) {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&key);
    }
}

/// Broadcasts now if the allowance lets it, else leaves it to a flush.
async fn announce<A: Adapter>(
    hub: &Arc<Hub<A>>,
    user: UserId,
    conversation: ConversationId,
    is_typing: bool,
) {
    match hub.services.typing_allowance(user, conversation).await {
        Ok(()) => emit(hub, user, conversation, is_typing).await,
        Err(wait) if hub.typing_flushes.claim((user, conversation)) => {
            tokio::spawn(flush(hub.clone(), user, conversation, wait));
        }
        Err(_) => {}
    }
}

/// Waits for the allowance, then announces the state at that moment. The pending mark goes
/// before the state is read: a change after the read schedules a flush of its own.
async fn flush<A: Adapter>(
    hub: Arc<Hub<A>>,
    user: UserId,
    conversation: ConversationId,
    mut wait: Duration,
) {
    loop {
        tokio::time::sleep(wait).await;
        match hub.services.typing_allowance(user, conversation).await {
            Ok(()) => break,
            Err(more) => wait = more,
        }
    }
    hub.typing_flushes.release((user, conversation));
    let is_typing = matches!(
        hub.typing.check(user, conversation).await,
        TypingCheck::Pending(_)
    );
    emit(&hub, user, conversation, is_typing).await;
}

async fn emit<A: Adapter>(
    hub: &Hub<A>,
    user: UserId,
    conversation: ConversationId,
    is_typing: bool,
) {
    let payload = json!({ "userId": user, "conversationId": conversation, "isTyping": is_typing });
    let Some(root) = crate::root(&hub.io) else {
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
