//! The REST routes, each documented for OpenAPI where it is declared.

pub mod admin;
pub mod admin_audit;
pub mod admin_conversations;
pub mod admin_export;
pub mod conversations;
pub mod files;
pub mod messages;
pub mod ops;
pub mod projects;

use confab_domain::model::{
    Conversation, ConversationSummary, Message, Participant, Project, ProjectMember, ReadReceipt,
    Report, SearchHit,
};
use serde::Serialize;
use utoipa::ToSchema;

/// `{ "success": true }`
#[derive(Debug, Serialize, ToSchema)]
pub struct Success {
    /// Always `true`.
    pub success: bool,
}

/// The `{ "success": true }` body.
pub const SUCCESS: Success = Success { success: true };

/// `{ "conversations": [...] }`
#[derive(Debug, Serialize, ToSchema)]
pub struct ConversationList {
    /// Summaries of the listed conversations.
    pub conversations: Vec<ConversationSummary>,
}

/// `{ "conversation": {...} }`
#[derive(Debug, Serialize, ToSchema)]
pub struct ConversationBody {
    /// The conversation created, read or updated.
    pub conversation: Conversation,
}

/// `{ "messages": [...], "hasMore": bool }`: a page of history.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MessagePageBody {
    /// The page, newest first.
    pub messages: Vec<Message>,
    /// Whether older messages exist before the page.
    pub has_more: bool,
}

/// `{ "message": {...} }`
#[derive(Debug, Serialize, ToSchema)]
pub struct MessageBody {
    /// The message sent, edited or deleted.
    pub message: Message,
}

/// `{ "messages": [...] }`: search results.
#[derive(Debug, Serialize, ToSchema)]
pub struct SearchBody {
    /// Matches, best first, each with its highlighted content.
    pub messages: Vec<SearchHit>,
}

/// `{ "report": {...} }`
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportBody {
    /// The report filed or updated.
    pub report: Report,
}

/// `{ "reports": [...] }`
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportList {
    /// Reports, newest first.
    pub reports: Vec<Report>,
}

/// `{ "project": {...} }`
#[derive(Debug, Serialize, ToSchema)]
pub struct ProjectBody {
    /// The project created.
    pub project: Project,
}

/// `{ "projects": [...] }`
#[derive(Debug, Serialize, ToSchema)]
pub struct ProjectList {
    /// The projects the caller may see.
    pub projects: Vec<Project>,
}

/// `{ "members": [...] }`
#[derive(Debug, Serialize, ToSchema)]
pub struct MemberList {
    /// The project's members with their roles.
    pub members: Vec<ProjectMember>,
}

/// `{ "success": true, "participant": {...} }`
#[derive(Debug, Serialize, ToSchema)]
pub struct ParticipantBody {
    /// Always `true`.
    pub success: bool,
    /// The participant added or re-activated.
    pub participant: Participant,
}

/// `{ "participants": [...] }`
#[derive(Debug, Serialize, ToSchema)]
pub struct ParticipantList {
    /// The conversation's participants.
    pub participants: Vec<Participant>,
}

/// `{ "success": true, "receipt": {...} }`
#[derive(Debug, Serialize, ToSchema)]
pub struct ReadBody {
    /// Always `true`.
    pub success: bool,
    /// The caller's read position after the update.
    pub receipt: ReadReceipt,
}
