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
    pub success: bool,
}

pub const SUCCESS: Success = Success { success: true };

#[derive(Debug, Serialize, ToSchema)]
pub struct ConversationList {
    pub conversations: Vec<ConversationSummary>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ConversationBody {
    pub conversation: Conversation,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MessagePageBody {
    pub messages: Vec<Message>,
    pub has_more: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MessageBody {
    pub message: Message,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SearchBody {
    pub messages: Vec<SearchHit>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReportBody {
    pub report: Report,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReportList {
    pub reports: Vec<Report>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProjectBody {
    pub project: Project,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProjectList {
    pub projects: Vec<Project>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MemberList {
    pub members: Vec<ProjectMember>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ParticipantBody {
    pub success: bool,
    pub participant: Participant,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ParticipantList {
    pub participants: Vec<Participant>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReadBody {
    pub success: bool,
    pub receipt: ReadReceipt,
}
