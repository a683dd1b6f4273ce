//! Typing signals: `user:typing` to the conversation's room (the typist's own sockets
//! excluded). A start with no stop ends by itself after the configured time.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use confab_domain::ids::{ConversationId, UserId};
use serde_json::json;
use socketioxide::adapter::Adapter;
use tokio::time::Instant;

use crate::hub::Hub;
use crate::{conversation_room, user_room};

type Key = (UserId, ConversationId);

/// Who is typing where, with the time their signal expires.
#[derive(Debug, Default)]
pub struct Typing {
    active: Mutex<HashMap<Key, Instant>>,
}

enum Check {
    Expired,
    Until(Instant),
    Gone,
}

impl Typing {
    /// Starts or refreshes; `true` when the user was not typing there.
    fn start(&self, key: Key, until: Instant) -> bool {
        self.active
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(key, until)
            .is_none()
    }

    /// `true` when the user was typing there.
    fn stop(&self, key: Key) -> bool {
        self.active
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&key)
            .is_some()
    }

    fn check(&self, key: Key, now: Instant) -> Check {
        let mut active = self.active.lock().unwrap_or_else(PoisonError::into_inner);
        match active.get(&key) {
            None => Check::Gone,
            Some(until) if *until <= now => {
                active.remove(&key);
                Check::Expired
            }
            Some(until) => Check::Until(*until),
        }
    }
}

pub(crate) async fn start<A: Adapter>(
    hub: &Arc<Hub<A>>,
    user: UserId,
    conversation: ConversationId,
) {
    let key = (user, conversation);
    let until = Instant::now() + hub.config.typing_ttl;
    if !hub.typing.start(key, until) {
        return;
    }
    emit(hub, user, conversation, true).await;
    let hub = hub.clone();
    tokio::spawn(async move {
        let mut deadline = until;
        loop {
            tokio::time::sleep_until(deadline).await;
            match hub.typing.check(key, Instant::now()) {
                Check::Expired => {
                    emit(&hub, user, conversation, false).await;
                    return;
                }
                Check::Until(next) => deadline = next,
                Check::Gone => return,
            }
        }
    });
}

pub(crate) async fn stop<A: Adapter>(hub: &Hub<A>, user: UserId, conversation: ConversationId) {
    if hub.typing.stop((user, conversation)) {
        emit(hub, user, conversation, false).await;
    }
}

async fn emit<A: Adapter>(
    hub: &Hub<A>,
    user: UserId,
    conversation: ConversationId,
    is_typing: bool,
) {
    let payload = json!({ "userId": user, "conversationId": conversation, "isTyping": is_typing });
    let result = hub
        .io
        .to(conversation_room(conversation))
        .except(user_room(user))
        .emit("user:typing", &payload)
        .await;
    if let Err(e) = result {
        tracing::warn!(%conversation, error = %e, "typing broadcast failed");
    }
}
