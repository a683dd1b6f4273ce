//! Admin use cases: projects, participants, conversation status, moderation.

use serde_json::json;

use super::Services;
use crate::admin::audit::AuditAction;
use crate::error::{Error, Result};
use crate::identity::Identity;
use crate::ids::{ConversationId, MessageId, ProjectId, ReportId, UserId};
use crate::input::{
    AddParticipantInput, CreateProjectInput, UpdateConversationInput, UpdateReportInput,
};
use crate::model::{Conversation, Participant, Project, Report, ReportStatus};
use crate::policy;
use crate::ports::Event;

impl Services {
    /// Admins only: creates a project with its first members (role `member`) and audits it.
    pub async fn create_project(
        &self,
        actor: &Identity,
        input: CreateProjectInput,
    ) -> Result<Project> {
        policy::require_admin(actor)?;
        let (name, members) = input.parse()?;
        let project = Project {
            id: ProjectId::new(),
            name,
            created_by: Some(actor.user_id),
            created_at: self.clock.now(),
        };
        self.store.create_project(&project, &members).await?;
        let details = json!({ "name": project.name, "memberIds": members });
        self.audit(
            actor,
            AuditAction::ProjectCreate,
            project.id.to_string(),
            details,
        )
        .await;
        Ok(project)
    }

    /// Admins only: every project, newest first.
    pub async fn list_projects(&self, actor: &Identity) -> Result<Vec<Project>> {
        policy::require_admin(actor)?;
        self.store.list_projects().await
    }

    /// Adds a participant (or re-activates a former one with the given role), making them
    /// a member of the conversation's project if they are not one.
    pub async fn add_participant(
        &self,
        actor: &Identity,
        conversation: ConversationId,
        input: AddParticipantInput,
    ) -> Result<Participant> {
        policy::require_admin(actor)?;
        let (user, role) = input.parse()?;
        self.access(conversation, user).await?;
        let participant = self
            .store
            .add_participant(conversation, user, role, self.clock.now())
            .await?;
        let details = json!({ "userId": user, "role": role.as_str() });
        self.audit(
            actor,
            AuditAction::ParticipantAdd,
            conversation.to_string(),
            details,
        )
        .await;
        Ok(participant)
    }

    /// Removes a participant; their sockets leave the conversation's room at once.
    pub async fn remove_participant(
        &self,
        actor: &Identity,
        conversation: ConversationId,
        user: UserId,
    ) -> Result<()> {
        policy::require_admin(actor)?;
        self.access(conversation, user).await?;
        if !self
            .store
            .remove_participant(conversation, user, self.clock.now())
            .await?
        {
            return Err(Error::NotFound("participant"));
        }
        let details = json!({ "userId": user });
        self.audit(
            actor,
            AuditAction::ParticipantRemove,
            conversation.to_string(),
            details,
        )
        .await;
        self.publish(Event::ParticipantRemoved {
            conversation_id: conversation,
            user_id: user,
        })
        .await;
        Ok(())
    }

    /// Changes a conversation's status and/or title.
    pub async fn update_conversation(
        &self,
        actor: &Identity,
        id: ConversationId,
        input: UpdateConversationInput,
    ) -> Result<Conversation> {
        policy::require_admin(actor)?;
        let change = input.parse()?;
        let mut details = serde_json::Map::new();
        if let Some(status) = change.status {
            details.insert("status".into(), json!(status.as_str()));
        }
        if let Some(title) = &change.title {
            details.insert("title".into(), json!(title));
        }
        let title = change
            .title
            .map(|t| if t.is_empty() { None } else { Some(t) });
        let updated = self
            .store
            .update_conversation(id, change.status, title, self.clock.now())
            .await?
            .ok_or(Error::NotFound("conversation"))?;
        self.audit(
            actor,
            AuditAction::ConversationUpdate,
            id.to_string(),
            details.into(),
        )
        .await;
        Ok(updated)
    }

    /// The active participants, earliest joined first, for anyone who may view the
    /// conversation.
    pub async fn list_participants(
        &self,
        actor: &Identity,
        conversation: ConversationId,
    ) -> Result<Vec<Participant>> {
        let access = self.access(conversation, actor.user_id).await?;
        policy::may_view(actor, &access)?;
        self.store.list_participants(conversation).await
    }

    /// Moderation: soft-deletes any message, recording who and why; broadcasts
    /// `message:deleted`.
    pub async fn admin_delete_message(
        &self,
        actor: &Identity,
        id: MessageId,
        reason: Option<&str>,
    ) -> Result<()> {
        policy::require_admin(actor)?;
        let message = self
            .store
            .get_message(id)
            .await?
            .ok_or(Error::NotFound("message"))?;
        if message.is_deleted() {
            // Already gone: the first deletion's who, when and why stay; nothing to audit.
            return Ok(());
        }
        let details = json!({
            "reason": reason,
            "conversationId": message.conversation_id,
            "senderId": message.sender_id,
        });
        self.soft_delete(actor, message, reason).await?;
        self.audit(actor, AuditAction::MessageDelete, id.to_string(), details)
            .await;
        Ok(())
    }

    /// Admins only: reports with `status` (all when `None`), newest first.
    pub async fn list_reports(
        &self,
        actor: &Identity,
        status: Option<ReportStatus>,
    ) -> Result<Vec<Report>> {
        policy::require_admin(actor)?;
        self.store.list_reports(status).await
    }

    /// Moves a report along `pending -> reviewed -> resolved` (steps may be skipped, never
    /// reversed).
    pub async fn update_report(
        &self,
        actor: &Identity,
        id: ReportId,
        input: UpdateReportInput,
    ) -> Result<Report> {
        policy::require_admin(actor)?;
        let status = input.parse()?;
        let report = self
            .store
            .get_report(id)
            .await?
            .ok_or(Error::NotFound("report"))?;
        if rank(status) < rank(report.status) {
            return Err(Error::Conflict(format!(
                "a {} report cannot go back to {status}",
                report.status
            )));
        }
        if status == report.status {
            return Ok(report);
        }
        let updated = self
            .store
            .update_report(id, status, actor.user_id, self.clock.now())
            .await?
            .ok_or(Error::NotFound("report"))?;
        let details = json!({
            "status": status.as_str(),
            "previousStatus": report.status.as_str(),
            "messageId": report.message_id,
        });
        self.audit(actor, AuditAction::ReportUpdate, id.to_string(), details)
            .await;
        Ok(updated)
    }
}

fn rank(status: ReportStatus) -> u8 {
    match status {
        ReportStatus::Pending => 0,
        ReportStatus::Reviewed => 1,
        ReportStatus::Resolved => 2,
    }
}
