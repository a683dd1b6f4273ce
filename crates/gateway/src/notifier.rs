//! The domain's notifier port on Socket.IO: every stored change goes to the conversation's
//! room, the author's own sockets included (clients reconcile optimistic copies by
//! `clientMsgId`).

use async_trait::async_trait;
use confab_domain::ports::{Event, Notifier};
use serde::Serialize;
use serde_json::json;
use socketioxide::SocketIo;
use socketioxide::adapter::Adapter;

use crate::{conversation_room, user_room};

pub struct SocketNotifier<A: Adapter> {
    io: SocketIo<A>,
}

impl<A: Adapter> SocketNotifier<A> {
    pub fn new(io: SocketIo<A>) -> Self {
        Self { io }
    }

    async fn to_room<T: Serialize + ?Sized>(&self, room: String, event: &'static str, payload: &T) {
        let local = self.io.local().to(room.clone()).sockets().len();
        if let Err(e) = self.io.to(room).emit(event, payload).await {
            // The change is stored; clients that missed it recover with `message:sync`.
            tracing::warn!(event, error = %e, "broadcast failed");
        }
        crate::metrics::broadcast(event, local);
    }
}

#[async_trait]
impl<A: Adapter> Notifier for SocketNotifier<A> {
    async fn publish(&self, event: Event) {
        match event {
            Event::MessageCreated(message) => {
                self.to_room(
                    conversation_room(message.conversation_id),
                    "message:new",
                    &message,
                )
                .await;
            }
            Event::MessageUpdated(message) => {
                let message = message.redacted();
                self.to_room(
                    conversation_room(message.conversation_id),
                    "message:updated",
                    &message,
                )
                .await;
            }
            Event::MessageDeleted {
                conversation_id,
                message_id,
            } => {
                let payload = json!({ "messageId": message_id, "conversationId": conversation_id });
                self.to_room(
                    conversation_room(conversation_id),
                    "message:deleted",
                    &payload,
                )
                .await;
            }
            Event::ReadUpdated(receipt) => {
                self.to_room(
                    conversation_room(receipt.conversation_id),
                    "message:read:update",
                    &receipt,
                )
                .await;
            }
            Event::ParticipantRemoved {
                conversation_id,
                user_id,
            } => {
                // On every node: the adapter forwards the leave to the others.
                if let Err(e) = self
                    .io
                    .to(user_room(user_id))
                    .leave(conversation_room(conversation_id))
                    .await
                {
                    tracing::error!(%conversation_id, %user_id, error = %e, "could not remove a removed participant's sockets from the room");
                }
            }
            Event::ParticipantAdded { .. } | Event::ConversationUpdated(_) => {}
        }
    }
}
