//! The domain's notifier port on Socket.IO: every stored change goes to the conversation's
//! room, the author's own sockets included (clients reconcile optimistic copies by
//! `clientMsgId`).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use confab_domain::ids::ConversationId;
use confab_domain::ports::{Event, Notifier};
use serde::Serialize;
use serde_json::json;
use socketioxide::SocketIo;
use socketioxide::adapter::Adapter;
use socketioxide::{BroadcastError, SocketError};

use crate::rooms::{conversation_room, root, user_room};

/// Slow-consumer warnings: a few a second, however many broadcasts skip a full socket.
static SLOW_CONSUMERS: confab_domain::logs::LogGate =
    confab_domain::logs::LogGate::new(2, std::time::Duration::from_secs(1));

/// One broadcast in this many is counted for the fan-out metric, and its count scaled up.
/// Counting a room's sockets on this node builds a list of them (a lookup per socket): in a
/// fan-out run (rooms of 500) that was a quarter of what the broadcast itself cost.
const FANOUT_SAMPLE: u64 = 16;

/// How long a conversation room's count of local sockets (a send's weight in admission
/// control) is reused before it is counted again. Counting builds a list of the room's
/// sockets; once per room per this long keeps it off the send path.
const AUDIENCE_TTL: Duration = Duration::from_millis(250);

/// Rooms whose count is kept at most; past it the stale ones are forgotten (and if none is,
/// all: the counts are estimates, recounted on the next send).
const AUDIENCE_ROOMS: usize = 10_000;

/// The domain's `Notifier` over Socket.IO: emits each domain event to its conversation's
/// room (through the adapter, so every node's sockets get it) and moves sockets between rooms.
pub struct SocketNotifier<A: Adapter> {
    io: SocketIo<A>,
    /// Broadcasts so far, per kind of event (the sampling clock of each).
    sent: [AtomicU64; 4],
    /// Each recently sent-to conversation room's sockets on this node, and when counted.
    audiences: Mutex<HashMap<ConversationId, (u32, Instant)>>,
}

impl<A: Adapter> SocketNotifier<A> {
    /// A notifier emitting through `io`.
    pub fn new(io: SocketIo<A>) -> Self {
        Self {
            io,
            sent: Default::default(),
            audiences: Mutex::new(HashMap::new()),
        }
    }

    /// Counts `conversation`'s room's sockets on this node now.
    fn count_audience(&self, conversation: ConversationId) -> u32 {
        root(&self.io).map_or(0, |root| {
            let sockets = root.local().to(conversation_room(conversation)).sockets();
            u32::try_from(sockets.len()).unwrap_or(u32::MAX)
        })
    }

    /// Broadcasts to `room`; `kind` indexes `sent`.
    async fn to_room<T: Serialize + ?Sized>(
        &self,
        room: String,
        (kind, event): (usize, &'static str),
        payload: &T,
    ) {
        let sampled = self.sent[kind]
            .fetch_add(1, Ordering::Relaxed)
            .is_multiple_of(FANOUT_SAMPLE);
        let Some(root) = root(&self.io) else {
            return; // shutting down: no sockets left to reach
        };
        let local = match sampled {
            true => crate::rooms::root(&self.io).map_or(0, |local| {
                local.local().to(room.clone()).sockets().len() * FANOUT_SAMPLE as usize
            }),
            false => 0,
        };
        match root.to(room).emit(event, payload).await {
            Ok(()) => {}
            Err(BroadcastError::Socket(errors)) => {
                // Sockets whose outgoing queue is full (their client stopped reading) miss
                // this event; the engine closes each at its next ping, which no longer fits in
                // the queue, and the client recovers with `message:sync` after reconnecting.
                // The queue stays bounded (`max_buffer_size` packets); nothing else waits.
                let full = errors
                    .iter()
                    .filter(|e| matches!(e, SocketError::InternalChannelFull))
                    .count();
                if full > 0 {
                    crate::metrics::dropped(event, full);
                    confab_domain::gated_warn!(
                        SLOW_CONSUMERS,
                        event,
                        sockets = full,
                        "broadcast skipped sockets whose outgoing queue is full (slow consumers; closed at their next ping)"
                    );
                }
            }
            Err(e) => {
                // The change is stored; clients that missed it recover with `message:sync`.
                tracing::warn!(event, error = %e, "broadcast failed");
            }
        }
        crate::metrics::broadcast(event, local);
    }
}

const NEW: (usize, &str) = (0, "message:new");
const UPDATED: (usize, &str) = (1, "message:updated");
const DELETED: (usize, &str) = (2, "message:deleted");
const READ: (usize, &str) = (3, "message:read:update");

#[async_trait]
impl<A: Adapter> Notifier for SocketNotifier<A> {
    fn audience(&self, conversation: ConversationId) -> u32 {
        let now = Instant::now();
        let lock = || {
            self.audiences
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
        };
        if let Some(&(count, at)) = lock().get(&conversation)
            && now.saturating_duration_since(at) < AUDIENCE_TTL
        {
            return count;
        }
        let count = self.count_audience(conversation);
        let mut audiences = lock();
        if audiences.len() >= AUDIENCE_ROOMS {
            audiences.retain(|_, (_, at)| now.saturating_duration_since(*at) < AUDIENCE_TTL);
            if audiences.len() >= AUDIENCE_ROOMS {
                audiences.clear();
            }
        }
        audiences.insert(conversation, (count, now));
        count
    }

    async fn publish(&self, event: Event) {
        match event {
            Event::MessageCreated(message) => {
                self.to_room(conversation_room(message.conversation_id), NEW, &message)
                    .await;
                crate::metrics::delivered(message.created_at.timestamp_micros());
            }
            Event::MessageUpdated(message) => {
                let message = message.redacted();
                self.to_room(
                    conversation_room(message.conversation_id),
                    UPDATED,
                    &message,
                )
                .await;
            }
            Event::MessageDeleted {
                conversation_id,
                message_id,
            } => {
                let payload = json!({ "messageId": message_id, "conversationId": conversation_id });
                self.to_room(conversation_room(conversation_id), DELETED, &payload)
                    .await;
            }
            Event::ReadUpdated(receipt) => {
                self.to_room(conversation_room(receipt.conversation_id), READ, &receipt)
                    .await;
            }
            Event::ParticipantRemoved {
                conversation_id,
                user_id,
            } => {
                // On every node: the adapter forwards the leave to the others.
                let Some(root) = root(&self.io) else {
                    return; // shutting down: no sockets left to move
                };
                if let Err(e) = root
                    .to(user_room(user_id))
                    .leave(conversation_room(conversation_id))
                    .await
                {
                    tracing::error!(%conversation_id, %user_id, error = %e, "could not remove a removed participant's sockets from the room");
                }
            }
        }
    }
}
