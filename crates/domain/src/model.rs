//! The domain's records, serialised in the contract's camelCase JSON.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::ids::{ConversationId, FileId, MessageId, ProjectId, ReportId, UserId};
use chrono::{DateTime, Utc};

use crate::time;

macro_rules! string_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        #[cfg_attr(test, derive(ts_rs::TS))]
        #[serde(rename_all = "lowercase")]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            /// Parses the stored/wire spelling; `None` for anything else.
            pub fn parse(text: &str) -> Option<Self> {
                match text { $($text => Some($name::$variant),)+ _ => None }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

string_enum!(
    /// What a conversation is for. In `announcement` conversations only owners, conversation
    /// admins and app admins post.
    ConversationType { Project => "project", Support => "support", Announcement => "announcement" }
);
string_enum!(
    /// `locked` and `archived` conversations accept no new messages.
    ConversationStatus { Active => "active", Archived => "archived", Locked => "locked" }
);
string_enum!(
    /// A participant's role inside one conversation.
    ParticipantRole { Owner => "owner", Admin => "admin", Member => "member" }
);
string_enum!(
    /// A user's role in a project. Both may list the project's conversations (those they
    /// take part in) and create conversations in it.
    ProjectRole { Owner => "owner", Member => "member" }
);
string_enum!(
    /// The kind of a message.
    MessageKind { Text => "text", File => "file", System => "system" }
);
string_enum!(
    /// Moderation state of a report: `pending -> reviewed -> resolved`.
    ReportStatus { Pending => "pending", Reviewed => "reviewed", Resolved => "resolved" }
);

#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct User {
    pub id: UserId,
    pub email: Option<String>,
    pub name: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Project {
    pub id: ProjectId,
    pub name: String,
    pub created_by: Option<UserId>,
    #[serde(with = "time::rfc3339")]
    pub created_at: DateTime<Utc>,
}

/// A member of a project.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ProjectMember {
    pub user_id: UserId,
    pub role: ProjectRole,
    #[serde(with = "time::rfc3339")]
    pub added_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Conversation {
    pub id: ConversationId,
    pub project_id: ProjectId,
    pub title: Option<String>,
    #[serde(rename = "type")]
    pub kind: ConversationType,
    pub status: ConversationStatus,
    pub created_by: Option<UserId>,
    /// The highest `seq` assigned in this conversation (0 when empty).
    pub last_seq: i64,
    #[serde(with = "time::rfc3339")]
    #[cfg_attr(test, ts(type = "string"))]
    pub created_at: DateTime<Utc>,
    #[serde(with = "time::rfc3339")]
    #[cfg_attr(test, ts(type = "string"))]
    pub updated_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Participant {
    pub conversation_id: ConversationId,
    pub user_id: UserId,
    pub role: ParticipantRole,
    #[serde(with = "time::rfc3339")]
    pub joined_at: DateTime<Utc>,
    #[serde(with = "time::rfc3339_opt")]
    pub last_read_at: Option<DateTime<Utc>>,
    /// `seq` of the newest message this participant has read.
    pub last_read_seq: i64,
}

/// A conversation as its participants list it.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ConversationSummary {
    #[serde(flatten)]
    pub conversation: Conversation,
    /// Messages from others, newer than the caller's last read one, not deleted.
    pub unread_count: i64,
    pub last_message: Option<Message>,
    /// Number of active participants.
    pub participants: i64,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct FileAttachment {
    pub id: FileId,
    pub file_name: String,
    pub file_size: i64,
    pub file_type: String,
    pub file_url: String,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Message {
    pub id: MessageId,
    pub conversation_id: ConversationId,
    /// Position in the conversation: 1, 2, 3... with no gaps.
    pub seq: i64,
    pub sender_id: UserId,
    pub content: String,
    #[serde(rename = "type")]
    pub kind: MessageKind,
    /// Reactions (`{"reactions": {"👍": [userId, ...]}}`) and other annotations.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    #[cfg_attr(
        test,
        ts(type = "{ reactions?: Record<string, string[]> } & Record<string, unknown>")
    )]
    pub metadata: Value,
    pub files: Vec<FileAttachment>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub client_msg_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", with = "time::rfc3339_opt")]
    #[cfg_attr(test, ts(type = "string", optional))]
    pub edited_at: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none", with = "time::rfc3339_opt")]
    #[cfg_attr(test, ts(type = "string", optional))]
    pub deleted_at: Option<DateTime<Utc>>,
    #[serde(with = "time::rfc3339")]
    #[cfg_attr(test, ts(type = "string"))]
    pub created_at: DateTime<Utc>,
}

impl Message {
    pub fn is_deleted(&self) -> bool {
        self.deleted_at.is_some()
    }

    /// The message as `viewer` may see it: a deleted message keeps its place (its `seq`) but
    /// loses its content and files for everyone except its sender and app admins.
    pub fn redacted_for(mut self, viewer: UserId, viewer_is_admin: bool) -> Self {
        if self.is_deleted() && self.sender_id != viewer && !viewer_is_admin {
            self.content.clear();
            self.files.clear();
            self.metadata = Value::Object(serde_json::Map::new());
        }
        self
    }

    /// The message with deleted content removed whoever looks (for broadcasts).
    pub fn redacted(mut self) -> Self {
        if self.is_deleted() {
            self.content.clear();
            self.files.clear();
            self.metadata = Value::Object(serde_json::Map::new());
        }
        self
    }
}

/// A search hit: the message plus an excerpt with the matches wrapped in `<mark>`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct SearchHit {
    #[serde(flatten)]
    pub message: Message,
    /// The content HTML-escaped, with `<mark>`...`</mark>` around the matches and no other
    /// markup (PostgreSQL: up to two fragments of it).
    pub highlight: String,
    pub rank: f64,
}

/// The payload of `message:read:update`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct ReadReceipt {
    pub message_id: MessageId,
    pub user_id: UserId,
    pub conversation_id: ConversationId,
    #[serde(with = "time::rfc3339")]
    #[cfg_attr(test, ts(type = "string"))]
    pub read_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Report {
    pub id: ReportId,
    pub message_id: MessageId,
    pub conversation_id: ConversationId,
    pub reported_by: UserId,
    pub reason: String,
    pub description: Option<String>,
    pub status: ReportStatus,
    pub resolved_by: Option<UserId>,
    #[serde(with = "time::rfc3339_opt")]
    pub resolved_at: Option<DateTime<Utc>>,
    #[serde(with = "time::rfc3339")]
    pub created_at: DateTime<Utc>,
}
