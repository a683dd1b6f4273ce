//! Listing, creating and joining conversations.

use super::Services;
use crate::error::{Error, Result};
use crate::identity::Identity;
use crate::ids::{ConversationId, ProjectId};
use crate::input::CreateConversationInput;
use crate::model::{Conversation, ConversationStatus, ConversationSummary, ParticipantRole};
use crate::policy;
use crate::ports::NewParticipant;

impl Services {
    /// The project's conversations the caller takes part in (all of them for admins), each
    /// with the caller's unread count, the last message and the participant count.
    pub async fn list_conversations(
        &self,
        actor: &Identity,
        project: ProjectId,
    ) -> Result<Vec<ConversationSummary>> {
        if !self.store.project_exists(project).await? {
            return Err(Error::NotFound("project"));
        }
        let mut list = self
            .store
            .list_conversations(project, actor.user_id, actor.is_admin)
            .await?;
        for summary in &mut list {
            if let Some(last) = summary.last_message.take() {
                summary.last_message = Some(last.redacted_for(actor.user_id, actor.is_admin));
            }
        }
        Ok(list)
    }

    /// Creates a conversation with the caller as owner and the listed users as members.
    pub async fn create_conversation(
        &self,
        actor: &Identity,
        project: ProjectId,
        input: CreateConversationInput,
    ) -> Result<Conversation> {
        let valid = input.parse()?;
        if !self.store.project_exists(project).await? {
            return Err(Error::NotFound("project"));
        }
        let now = self.clock.now();
        let conversation = Conversation {
            id: ConversationId::new(),
            project_id: project,
            title: valid.title,
            kind: valid.kind,
            status: ConversationStatus::Active,
            created_by: Some(actor.user_id),
            last_seq: 0,
            created_at: now,
            updated_at: now,
        };
        let mut participants = vec![NewParticipant {
            user_id: actor.user_id,
            role: ParticipantRole::Owner,
        }];
        participants.extend(
            valid
                .participant_ids
                .into_iter()
                .filter(|id| *id != actor.user_id)
                .map(|user_id| NewParticipant {
                    user_id,
                    role: ParticipantRole::Member,
                }),
        );
        self.store
            .create_conversation(&conversation, &participants)
            .await?;
        Ok(conversation)
    }

    /// Authorizes joining the conversation's room and returns it with its `lastSeq`.
    pub async fn join(
        &self,
        actor: &Identity,
        conversation: ConversationId,
    ) -> Result<Conversation> {
        let access = self.access(conversation, actor.user_id).await?;
        policy::may_view(actor, &access)?;
        Ok(access.conversation)
    }

    /// Conversations the user takes part in (for presence fan-out).
    pub async fn conversations_of(&self, user: crate::ids::UserId) -> Result<Vec<ConversationId>> {
        self.store.conversations_of(user).await
    }
}
