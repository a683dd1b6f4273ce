//! Admin views: the conversation listing and details, analytics, the audit log and exports,
//! plus the audit trail every admin action leaves (see [`Services::audit`]).

use serde_json::Value;
use uuid::Uuid;

use super::Services;
use crate::admin::analytics::{AnalyticsQuery, ConversationAnalytics};
use crate::admin::audit::{AuditAction, AuditEntry, AuditPage, AuditQuery};
use crate::admin::conversations::{AdminConversationsQuery, ConversationDetail, ConversationPage};
use crate::admin::cursor::PageCursor;
use crate::admin::export::{ConversationExport, EXPORT_BATCH, ExportFormat};
use crate::error::{Error, Result};
use crate::identity::Identity;
use crate::ids::ConversationId;
use crate::policy;

impl Services {
    /// Every conversation matching the filters, newest created first, a page at a time.
    pub async fn admin_conversations(
        &self,
        actor: &Identity,
        query: AdminConversationsQuery,
    ) -> Result<ConversationPage> {
        policy::require_admin(actor)?;
        let query = query.parse()?;
        if let Some(project) = query.filter.project
            && !self.store.project_exists(project).await?
        {
            return Err(Error::NotFound("project"));
        }
        let mut conversations = self
            .admin
            .list_conversations(&query.filter, query.after.as_ref(), query.limit + 1)
            .await?;
        let limit = usize::try_from(query.limit).unwrap_or(usize::MAX);
        let next_cursor = if conversations.len() > limit {
            conversations.truncate(limit);
            conversations.last().map(|last| {
                PageCursor::new(last.conversation.created_at, last.conversation.id.as_uuid())
                    .encode()
            })
        } else {
            None
        };
        Ok(ConversationPage {
            conversations,
            next_cursor,
        })
    }

    /// One conversation with its details and last message (deleted content included).
    pub async fn admin_conversation(
        &self,
        actor: &Identity,
        id: ConversationId,
    ) -> Result<ConversationDetail> {
        policy::require_admin(actor)?;
        self.admin
            .conversation_details(id)
            .await?
            .ok_or(Error::NotFound("conversation"))
    }

    /// Messages, response times and activity over a window (see `admin::analytics`).
    pub async fn conversation_analytics(
        &self,
        actor: &Identity,
        query: AnalyticsQuery,
    ) -> Result<ConversationAnalytics> {
        policy::require_admin(actor)?;
        let (project, window) = query.parse(self.clock.now())?;
        if let Some(project) = project
            && !self.store.project_exists(project).await?
        {
            return Err(Error::NotFound("project"));
        }
        let totals = self.admin.analytics(project, &window).await?;
        Ok(ConversationAnalytics::assemble(&window, &totals))
    }

    /// Brings precomputed analytics up to date (the server runs this periodically).
    pub async fn refresh_analytics(&self) -> Result<bool> {
        self.admin.refresh_analytics().await
    }

    /// The audit log, newest first, a page at a time.
    pub async fn audit_log(&self, actor: &Identity, query: AuditQuery) -> Result<AuditPage> {
        policy::require_admin(actor)?;
        let (limit, before) = query.parse()?;
        let mut entries = self.admin.list_audit(before.as_ref(), limit + 1).await?;
        let limit = usize::try_from(limit).unwrap_or(usize::MAX);
        let next_cursor = if entries.len() > limit {
            entries.truncate(limit);
            entries
                .last()
                .map(|last| PageCursor::new(last.created_at, last.id).encode())
        } else {
            None
        };
        Ok(AuditPage {
            entries,
            next_cursor,
        })
    }

    /// Starts an export: checks the format and the conversation, records the audit entry,
    /// and returns the header plus the stream of message batches (up to the conversation's
    /// last message at this moment).
    pub async fn export_conversation(
        &self,
        actor: &Identity,
        id: ConversationId,
        format: Option<&str>,
    ) -> Result<ConversationExport> {
        policy::require_admin(actor)?;
        let format = ExportFormat::parse(format)?;
        let header = self
            .admin
            .export_header(id)
            .await?
            .ok_or(Error::NotFound("conversation"))?;
        let up_to = header.conversation.last_seq;
        self.audit(
            actor,
            AuditAction::ConversationExport,
            id.to_string(),
            serde_json::json!({ "format": format.extension(), "messages": up_to }),
        )
        .await;
        Ok(ConversationExport {
            format,
            header,
            batches: self.admin.export_messages(id, up_to, EXPORT_BATCH),
        })
    }

    /// Records an admin action in the audit log. Called after the action is stored; a
    /// failure to record is logged with the whole entry (so it can be recovered from the
    /// logs) and does not undo or fail the action.
    pub(super) async fn audit(
        &self,
        actor: &Identity,
        action: AuditAction,
        target_id: String,
        details: Value,
    ) {
        let entry = AuditEntry {
            id: Uuid::now_v7(),
            actor_id: actor.user_id,
            action: action.as_str().to_owned(),
            target_type: action.target_type().to_owned(),
            target_id,
            details,
            created_at: self.clock.now(),
        };
        if let Err(error) = self.admin.record_audit(&entry).await {
            tracing::error!(
                %error,
                actor = %entry.actor_id,
                action = %entry.action,
                target = %entry.target_id,
                details = %entry.details,
                "could not record an audit entry"
            );
        }
    }
}
