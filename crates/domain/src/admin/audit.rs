//! The moderation audit log: one entry per admin action, newest first.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use super::conversations::present;
use super::cursor::PageCursor;
use crate::error::Result;
use crate::ids::UserId;
use crate::input::page_limit;
use crate::time;

/// What an admin did. The wire spelling (`as_str`) is stored and part of the contract.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AuditAction {
    /// `project.create`: a project was created.
    ProjectCreate,
    /// `member.add`: users were made project members.
    MemberAdd,
    /// `member.remove`: a user's project membership ended.
    MemberRemove,
    /// `participant.add`: a user was added to a conversation.
    ParticipantAdd,
    /// `participant.remove`: a user was removed from a conversation.
    ParticipantRemove,
    /// `conversation.update`: a conversation's status or title changed.
    ConversationUpdate,
    /// `message.delete`: a moderator deleted a message.
    MessageDelete,
    /// `report.update`: a report's status changed.
    ReportUpdate,
    /// `conversation.export`: a conversation was exported.
    ConversationExport,
}

impl AuditAction {
    /// Every action, in declaration order.
    pub const ALL: &'static [AuditAction] = &[
        Self::ProjectCreate,
        Self::MemberAdd,
        Self::MemberRemove,
        Self::ParticipantAdd,
        Self::ParticipantRemove,
        Self::ConversationUpdate,
        Self::MessageDelete,
        Self::ReportUpdate,
        Self::ConversationExport,
    ];

    /// The stored and wire spelling (`project.create`...).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ProjectCreate => "project.create",
            Self::MemberAdd => "member.add",
            Self::MemberRemove => "member.remove",
            Self::ParticipantAdd => "participant.add",
            Self::ParticipantRemove => "participant.remove",
            Self::ConversationUpdate => "conversation.update",
            Self::MessageDelete => "message.delete",
            Self::ReportUpdate => "report.update",
            Self::ConversationExport => "conversation.export",
        }
    }

    /// The kind of record the action targets (`project`, `conversation`, `message`, `report`).
    pub fn target_type(self) -> &'static str {
        match self {
            Self::ProjectCreate | Self::MemberAdd | Self::MemberRemove => "project",
            Self::ParticipantAdd
            | Self::ParticipantRemove
            | Self::ConversationUpdate
            | Self::ConversationExport => "conversation",
            Self::MessageDelete => "message",
            Self::ReportUpdate => "report",
        }
    }
}

/// One audit log row.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct AuditEntry {
    /// The entry's id.
    pub id: Uuid,
    /// The admin who acted.
    pub actor_id: UserId,
    /// `project.create`, `member.add`, `member.remove`, `participant.add`,
    /// `participant.remove`, `conversation.update`, `message.delete`, `report.update`,
    /// `conversation.export`.
    pub action: String,
    /// `project`, `conversation`, `message` or `report`.
    pub target_type: String,
    /// The target's id (a UUID as text).
    pub target_id: String,
    /// The action's particulars (the new status, the removed user, the deletion reason...).
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub details: Value,
    /// When the action happened (UTC).
    #[serde(with = "time::rfc3339")]
    pub created_at: DateTime<Utc>,
}

/// A page of the audit log, newest first.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct AuditPage {
    /// Newest first.
    pub entries: Vec<AuditEntry>,
    /// Pass as `cursor` for the next (older) page; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// `GET /admin/audit` query string.
#[derive(Clone, Debug, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct AuditQuery {
    /// 1..=100, default 50.
    pub limit: Option<i64>,
    /// `nextCursor` of the previous page.
    pub cursor: Option<String>,
}

impl AuditQuery {
    /// The page size and where to start, or a validation error (limit out of range, a
    /// cursor not ours).
    pub fn parse(self) -> Result<(u32, Option<PageCursor>)> {
        let limit = page_limit(self.limit)?;
        let cursor = present(self.cursor.as_deref())
            .map(PageCursor::decode)
            .transpose()?;
        Ok((limit, cursor))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn action_names_are_distinct_and_dotted() {
        let names: std::collections::HashSet<&str> =
            AuditAction::ALL.iter().map(|a| a.as_str()).collect();
        assert_eq!(names.len(), AuditAction::ALL.len());
        assert!(names.iter().all(|n| n.contains('.')));
    }
}
