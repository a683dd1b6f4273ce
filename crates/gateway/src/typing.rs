//! Typing signals: `user:typing` to the conversation's room (the typist's own sockets
//! excluded). A start with no stop ends by itself after the configured time; the typing
//! store decides which node announces the end, so it is announced once.

use std::sync::Arc;
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
    emit(hub, user, conversation, true).await;
    let hub = hub.clone();
    tokio::spawn(async move {
        let mut wait = hub.config.typing_ttl;
        loop {
            tokio::time::sleep(wait).await;
            match hub.typing.check(user, conversation).await {
                TypingCheck::Expired => {
                    emit(&hub, user, conversation, false).await;
                    return;
                }
                TypingCheck::Pending(ms) => wait = Duration::from_millis(ms),
                TypingCheck::Gone => return,
            }
        }
    });
}

pub(crate) async fn stop<A: Adapter>(hub: &Hub<A>, user: UserId, conversation: ConversationId) {
    if hub.typing.stop(user, conversation).await {
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
