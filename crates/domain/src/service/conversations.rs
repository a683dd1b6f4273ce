//! Listing, creating and joining conversations, and the typing-broadcast allowance.

use std::time::Duration;

use super::Services;
use crate::error::{Error, Result};
use crate::identity::Identity;
use crate::ids::{ConversationId, ProjectId, UserId};
use crate::input::CreateConversationInput;
use crate::model::{Conversation, ConversationStatus, ConversationSummary, ParticipantRole};
use crate::policy;
use crate::ports::{LimitKind, MemberRule, NewParticipant};

impl Services {
    /// The project's conversations the caller takes part in (all of them for admins), each
    /// with the caller's unread count, the last message and the participant count. Only
    /// project members (and admins) may list them.
    pub async fn list_conversations(
        &self,
        actor: &Identity,
        project: ProjectId,
    ) -> Result<Vec<ConversationSummary>> {
        self.require_member(actor, project).await?;
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
    /// The caller and every listed user must be project members; a conversation an admin
    /// creates makes its participants members instead.
    pub async fn create_conversation(
        &self,
        actor: &Identity,
        project: ProjectId,
        input: CreateConversationInput,
    ) -> Result<Conversation> {
        let valid = input.parse()?;
        self.require_member(actor, project).await?;
        if !actor.is_admin {
            // Admins provision (load tests, imports): only members are held to the rate.
            self.limit(actor.user_id, LimitKind::Conversations).await?;
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
        let rule = match actor.is_admin {
            true => MemberRule::Grant,
            false => MemberRule::Require,
        };
        self.store
            .create_conversation(&conversation, &participants, rule)
            .await?;
        Ok(conversation)
    }

    /// 404 for an unknown project; 403 `not_a_project_member` unless the caller is a member
    /// of it or an admin.
    pub(super) async fn require_member(&self, actor: &Identity, project: ProjectId) -> Result<()> {
        if !self.store.project_exists(project).await? {
            return Err(Error::NotFound("project"));
        }
        if actor.is_admin
            || self
                .store
                .project_role(project, actor.user_id)
                .await?
                .is_some()
        {
            return Ok(());
        }
        Err(Error::not_a_project_member(
            "you are not a member of this project",
        ))
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
    pub async fn conversations_of(&self, user: UserId) -> Result<Vec<ConversationId>> {
        self.store.conversations_of(user).await
    }

    /// Whether a `user:typing` broadcast for `user` in `conversation` may go out now
    /// (at most one every 2 s, across all nodes when the limiter is shared); `Err` says how
    /// long until the next one may.
    pub async fn typing_allowance(
        &self,
        user: UserId,
        conversation: ConversationId,
    ) -> std::result::Result<(), Duration> {
        self.limiter
            .acquire(user, LimitKind::Typing(conversation))
            .await
    }
}
