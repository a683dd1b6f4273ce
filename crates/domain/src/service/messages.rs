//! Sending, reading and changing messages.

use std::time::Instant;

use super::Services;
use crate::error::{Error, Result};
use crate::identity::Identity;
use crate::ids::ReportId;
use crate::ids::{ConversationId, MessageId};
use crate::input::{EditMessageInput, ReactionInput, ReportInput, SendMessageInput};
use crate::model::{Message, ReadReceipt, Report, ReportStatus, SearchHit};
use crate::policy;
use crate::ports::{Access, Event, Inserted, LimitKind, MessagePage, NewMessage};

/// The outcome of a send.
#[derive(Clone, Debug, PartialEq)]
pub struct Sent {
    /// The stored message (the earlier one for a retry).
    pub message: Message,
    /// `false` when a retry with the same `clientMsgId` found the stored message.
    pub created: bool,
}

impl Services {
    /// Validates, authorizes, rate-limits and stores a message, then broadcasts
    /// `message:new`. `on_stored` runs after the commit and before the broadcast (the socket
    /// event acks there); a retry with a known `clientMsgId` returns the stored message and
    /// broadcasts nothing. The same as [`Services::send_message_received`] for a send
    /// received now.
    pub async fn send_message(
        &self,
        actor: &Identity,
        conversation: ConversationId,
        input: SendMessageInput,
        on_stored: impl FnOnce(&Sent) + Send,
    ) -> Result<Sent> {
        self.send_message_received(actor, conversation, input, Instant::now(), on_stored)
            .await
    }

    /// [`Services::send_message`] for a send received at `received` (the time it waited
    /// before reaching here counts toward the node's queueing delay). Past the node's
    /// admission budget it is refused with `overloaded` after validation and before any
    /// database work; its place is held until the broadcast is published.
    pub async fn send_message_received(
        &self,
        actor: &Identity,
        conversation: ConversationId,
        input: SendMessageInput,
        received: Instant,
        on_stored: impl FnOnce(&Sent) + Send,
    ) -> Result<Sent> {
        let valid = input.parse()?;
        let audience = match self.admission.weighs() {
            true => self.notifier.audience(conversation),
            false => 1,
        };
        let permit = self
            .admission
            .admit(Instant::now(), audience)
            .map_err(|refused| Error::Overloaded {
                retry_after: refused.retry_after,
            })?;
        let access = self.access(conversation, actor.user_id).await?;
        policy::may_post(actor, &access)?;
        if let Err(limited) = self.limit(actor.user_id, LimitKind::Messages).await {
            // A retry of a message already stored is answered, not refused: the allowance
            // was spent when it was first sent.
            if let Some(key) = &valid.client_msg_id
                && let Some(message) = self
                    .store
                    .find_by_client_msg_id(conversation, actor.user_id, key)
                    .await?
            {
                let sent = Sent {
                    message,
                    created: false,
                };
                on_stored(&sent);
                return Ok(sent);
            }
            return Err(limited);
        }
        let new = NewMessage {
            id: MessageId::new(),
            conversation_id: conversation,
            sender_id: actor.user_id,
            content: valid.content,
            kind: valid.kind,
            metadata: serde_json::json!({}),
            file_ids: valid.file_ids,
            client_msg_id: valid.client_msg_id,
            created_at: self.clock.now(),
        };
        let sent = match self.store.insert_message(new).await? {
            Inserted::Created(message) => Sent {
                message,
                created: true,
            },
            Inserted::Existing(message) => Sent {
                message,
                created: false,
            },
        };
        permit.stored(received, Instant::now());
        on_stored(&sent);
        if sent.created {
            self.publish(Event::MessageCreated(sent.message.clone()))
                .await;
        }
        drop(permit);
        Ok(sent)
    }

    /// A page of history, newest first; `before` is a message id in this conversation.
    pub async fn list_messages(
        &self,
        actor: &Identity,
        conversation: ConversationId,
        before: Option<MessageId>,
        limit: u32,
    ) -> Result<MessagePage> {
        let access = self.access(conversation, actor.user_id).await?;
        policy::may_view(actor, &access)?;
        let before_seq = match before {
            None => None,
            Some(id) => match self.store.get_message(id).await? {
                Some(m) if m.conversation_id == conversation => Some(m.seq),
                _ => {
                    return Err(Error::validation(
                        "before: no such message in this conversation",
                    ));
                }
            },
        };
        let page = self
            .store
            .list_messages(conversation, before_seq, limit)
            .await?;
        Ok(self.redact_page(actor, page))
    }

    /// What a reconnecting client missed: messages with `seq > after_seq`, oldest first, in
    /// their current state (edited content, deletions as tombstones that keep their `seq`).
    pub async fn sync(
        &self,
        actor: &Identity,
        conversation: ConversationId,
        after_seq: i64,
        limit: u32,
    ) -> Result<MessagePage> {
        let access = self.access(conversation, actor.user_id).await?;
        policy::may_view(actor, &access)?;
        let page = self
            .store
            .messages_after(conversation, after_seq.max(0), limit)
            .await?;
        Ok(self.redact_page(actor, page))
    }

    fn redact_page(&self, actor: &Identity, page: MessagePage) -> MessagePage {
        MessagePage {
            messages: page
                .messages
                .into_iter()
                .map(|m| m.redacted_for(actor.user_id, actor.is_admin))
                .collect(),
            has_more: page.has_more,
        }
    }

    /// Loads a message and the caller's access to its conversation.
    async fn message_access(&self, actor: &Identity, id: MessageId) -> Result<(Message, Access)> {
        let message = self
            .store
            .get_message(id)
            .await?
            .ok_or(Error::NotFound("message"))?;
        let access = self.access(message.conversation_id, actor.user_id).await?;
        Ok((message, access))
    }

    /// Replaces the content of the caller's own message (history kept); broadcasts
    /// `message:updated`. Counts against the edits allowance.
    pub async fn edit_message(
        &self,
        actor: &Identity,
        id: MessageId,
        input: EditMessageInput,
    ) -> Result<Message> {
        let content = input.parse()?;
        let (message, access) = self.message_access(actor, id).await?;
        policy::may_edit(actor, &access, &message)?;
        self.limit(actor.user_id, LimitKind::Edits).await?;
        if message.content == content {
            return Ok(message);
        }
        let updated = self
            .store
            .edit_message(id, actor.user_id, &content, self.clock.now())
            .await?;
        self.publish(Event::MessageUpdated(updated.clone())).await;
        Ok(updated)
    }

    /// Soft-deletes the caller's own message; broadcasts `message:deleted` once. Counts
    /// against the edits allowance.
    pub async fn delete_message(&self, actor: &Identity, id: MessageId) -> Result<()> {
        let (message, access) = self.message_access(actor, id).await?;
        policy::may_delete(actor, &access, &message)?;
        self.limit(actor.user_id, LimitKind::Edits).await?;
        self.soft_delete(actor, message, None).await
    }

    pub(super) async fn soft_delete(
        &self,
        actor: &Identity,
        message: Message,
        reason: Option<&str>,
    ) -> Result<()> {
        if message.is_deleted() {
            return Ok(());
        }
        self.store
            .delete_message(message.id, actor.user_id, reason, self.clock.now())
            .await?;
        self.publish(Event::MessageDeleted {
            conversation_id: message.conversation_id,
            message_id: message.id,
        })
        .await;
        Ok(())
    }

    /// Adds (`present`) or removes the caller's reaction; broadcasts `message:updated` when
    /// something changed. A message carries at most `max_reactions` distinct emoji (409
    /// `too_many_reactions` for one more).
    pub async fn react(
        &self,
        actor: &Identity,
        id: MessageId,
        input: ReactionInput,
        present: bool,
    ) -> Result<Message> {
        let emoji = input.parse()?;
        let (message, access) = self.message_access(actor, id).await?;
        policy::may_view(actor, &access)?;
        policy::require_open(&access)?;
        if message.is_deleted() {
            return Err(Error::Conflict("the message was deleted".into()));
        }
        self.limit(actor.user_id, LimitKind::Reactions).await?;
        match self
            .store
            .set_reaction(id, actor.user_id, &emoji, present, self.max_reactions)
            .await?
        {
            Some(updated) => {
                self.publish(Event::MessageUpdated(updated.clone())).await;
                Ok(updated)
            }
            None => Ok(message),
        }
    }

    /// Files a moderation report against a message the caller can see.
    pub async fn report_message(
        &self,
        actor: &Identity,
        id: MessageId,
        input: ReportInput,
    ) -> Result<Report> {
        let (reason, description) = input.parse()?;
        let (message, access) = self.message_access(actor, id).await?;
        policy::may_view(actor, &access)?;
        self.limit(actor.user_id, LimitKind::Reports).await?;
        let report = Report {
            id: ReportId::new(),
            message_id: message.id,
            conversation_id: message.conversation_id,
            reported_by: actor.user_id,
            reason,
            description,
            status: ReportStatus::Pending,
            resolved_by: None,
            resolved_at: None,
            created_at: self.clock.now(),
        };
        self.store.create_report(&report).await?;
        Ok(report)
    }

    /// Marks `message` (and so everything before it) read for the caller; broadcasts
    /// `message:read:update`. `conversation`, when given, must be the message's.
    pub async fn mark_read(
        &self,
        actor: &Identity,
        conversation: Option<ConversationId>,
        id: MessageId,
    ) -> Result<ReadReceipt> {
        let (message, access) = self.message_access(actor, id).await?;
        if conversation.is_some_and(|c| c != message.conversation_id) {
            return Err(Error::NotFound("message"));
        }
        policy::may_view(actor, &access)?;
        if access.participant.is_none() {
            return Err(Error::forbidden("only participants have read markers"));
        }
        self.limit(actor.user_id, LimitKind::Reads).await?;
        let receipt = self
            .store
            .mark_read(&message, actor.user_id, self.clock.now())
            .await?;
        self.publish(Event::ReadUpdated(receipt.clone())).await;
        Ok(receipt)
    }

    /// Full-text search (stemmed, best first, highlighted) in one conversation.
    pub async fn search(
        &self,
        actor: &Identity,
        conversation: ConversationId,
        query: &str,
    ) -> Result<Vec<SearchHit>> {
        let access = self.access(conversation, actor.user_id).await?;
        policy::may_view(actor, &access)?;
        self.limit(actor.user_id, LimitKind::Searches).await?;
        let hits = self.store.search(conversation, query, 50).await?;
        Ok(hits
            .into_iter()
            .filter(|hit| !hit.message.is_deleted())
            .collect())
    }
}
