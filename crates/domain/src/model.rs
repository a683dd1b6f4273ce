//! The domain's records, serialised in the contract's camelCase JSON.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::ids::{ConversationId, FileId, MessageId, ProjectId, ReportId, UserId};
use chrono::{DateTime, Utc};

use crate::time;

macro_rules! string_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        #[cfg_attr(test, derive(ts_rs::TS))]
        #[serde(rename_all = "lowercase")]
        pub enum $name { $($(#[$vmeta])* $variant),+ }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The lowercase spelling used on the wire and in the database.
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
    ConversationType {
        /// Team discussion inside a project (the default).
        Project => "project",
        /// A support thread; the same rules as `project`.
        Support => "support",
        /// One-way news: only owners, conversation admins and app admins post.
        Announcement => "announcement",
    }
);
string_enum!(
    /// `locked` and `archived` conversations accept no new messages.
    ConversationStatus {
        /// Open for new messages.
        Active => "active",
        /// Put away: accepts no new messages, stays readable; an admin can reactivate it.
        Archived => "archived",
        /// Frozen by an admin (moderation): accepts no new messages, stays readable.
        Locked => "locked",
    }
);
string_enum!(
    /// A participant's role inside one conversation.
    ParticipantRole {
        /// Created the conversation; may post in announcement conversations.
        Owner => "owner",
        /// A conversation admin; may post in announcement conversations.
        Admin => "admin",
        /// Reads and posts, except in announcement conversations.
        Member => "member",
    }
);
string_enum!(
    /// A user's role in a project. Both may list the project's conversations (those they
    /// take part in) and create conversations in it.
    ProjectRole {
        /// Created the project (or was made its owner by an admin).
        Owner => "owner",
        /// Any other member.
        Member => "member",
    }
);
string_enum!(
    /// The kind of a message.
    MessageKind {
        /// Plain text written by a user.
        Text => "text",
        /// Carries attachments (`fileIds`); the content may be empty.
        File => "file",
        /// Written by the server; clients cannot send this type.
        System => "system",
    }
);
string_enum!(
    /// Moderation state of a report: `pending -> reviewed -> resolved`.
    ReportStatus {
        /// Filed, not looked at yet.
        Pending => "pending",
        /// A moderator has seen it.
        Reviewed => "reviewed",
        /// Closed by a moderator.
        Resolved => "resolved",
    }
);

/// A user as the token's claims describe them; the row is created or updated on first use.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct User {
    /// The token's `sub`.
    pub id: UserId,
    /// The token's `email` claim, if any.
    pub email: Option<String>,
    /// The token's `user_metadata.name`, if any.
    pub name: Option<String>,
}

/// A project: the unit of membership that groups conversations. Admins create them.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Project {
    /// The project's id.
    pub id: ProjectId,
    /// Display name, 1 to 255 characters.
    pub name: String,
    /// The admin who created it; `None` once that user is gone (or for imported projects).
    pub created_by: Option<UserId>,
    /// When it was created (UTC).
    #[serde(with = "time::rfc3339")]
    pub created_at: DateTime<Utc>,
}

/// A member of a project.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ProjectMember {
    /// The member.
    pub user_id: UserId,
    /// Their role in the project.
    pub role: ProjectRole,
    /// When they became a member (UTC).
    #[serde(with = "time::rfc3339")]
    pub added_at: DateTime<Utc>,
}

/// A conversation: an ordered log of messages among its participants, inside one project.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Conversation {
    /// The conversation's id.
    pub id: ConversationId,
    /// The project it belongs to; only the project's members may take part.
    pub project_id: ProjectId,
    /// Optional title, at most 255 characters.
    pub title: Option<String>,
    /// What it is for (`type` on the wire).
    #[serde(rename = "type")]
    pub kind: ConversationType,
    /// Whether it accepts new messages.
    pub status: ConversationStatus,
    /// Who created it; `None` once that user is gone.
    pub created_by: Option<UserId>,
    /// The highest `seq` assigned in this conversation (0 when empty).
    pub last_seq: i64,
    /// When it was created (UTC).
    #[serde(with = "time::rfc3339")]
    #[cfg_attr(test, ts(type = "string"))]
    pub created_at: DateTime<Utc>,
    /// When it last changed: a message sent, or its title or status updated (UTC).
    #[serde(with = "time::rfc3339")]
    #[cfg_attr(test, ts(type = "string"))]
    pub updated_at: DateTime<Utc>,
}

/// A user's place in a conversation; removing it ends their access at once.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Participant {
    /// The conversation.
    pub conversation_id: ConversationId,
    /// The participant.
    pub user_id: UserId,
    /// Their role in this conversation.
    pub role: ParticipantRole,
    /// When they were added (UTC).
    #[serde(with = "time::rfc3339")]
    pub joined_at: DateTime<Utc>,
    /// When they last marked a message read; `None` if never.
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
    /// The conversation itself (its fields inline on the wire).
    #[serde(flatten)]
    pub conversation: Conversation,
    /// Messages from others, newer than the caller's last read one, not deleted.
    pub unread_count: i64,
    /// The newest message as the caller may see it; `None` in an empty conversation.
    pub last_message: Option<Message>,
    /// Number of active participants.
    pub participants: i64,
}

/// A file attached to a message, as clients download it.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct FileAttachment {
    /// The uploaded file's id.
    pub id: FileId,
    /// The name it was uploaded with, reduced to its last path component.
    pub file_name: String,
    /// Size in bytes.
    pub file_size: i64,
    /// Its MIME type, checked against the allowed list at upload.
    pub file_type: String,
    /// Where to download it: confab's own authorised route, or a short-lived presigned URL.
    pub file_url: String,
}

/// A message as clients see it (`message:new`, REST pages, sync).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Message {
    /// The message's id (a UUIDv7, so ids sort by creation time).
    pub id: MessageId,
    /// The conversation it was sent to.
    pub conversation_id: ConversationId,
    /// Position in the conversation: 1, 2, 3... with no gaps.
    pub seq: i64,
    /// Who sent it.
    pub sender_id: UserId,
    /// The text, at most 5,000 characters; empty once deleted (for viewers other than the
    /// sender and admins).
    pub content: String,
    /// Text, file or system (`type` on the wire).
    #[serde(rename = "type")]
    pub kind: MessageKind,
    /// Reactions (`{"reactions": {"👍": [userId, ...]}}`) and other annotations.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    #[cfg_attr(
        test,
        ts(type = "{ reactions?: Record<string, string[]> } & Record<string, unknown>")
    )]
    pub metadata: Value,
    /// Attachments, in the order they were given.
    pub files: Vec<FileAttachment>,
    /// The sender's idempotency key: a retried send with the same key returns this message.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub client_msg_id: Option<String>,
    /// When the sender last edited it; absent if never.
    #[serde(skip_serializing_if = "Option::is_none", with = "time::rfc3339_opt")]
    #[cfg_attr(test, ts(type = "string", optional))]
    pub edited_at: Option<DateTime<Utc>>,
    /// When it was deleted (by its sender or a moderator); absent while it stands.
    #[serde(skip_serializing_if = "Option::is_none", with = "time::rfc3339_opt")]
    #[cfg_attr(test, ts(type = "string", optional))]
    pub deleted_at: Option<DateTime<Utc>>,
    /// When the server stored it (UTC).
    #[serde(with = "time::rfc3339")]
    #[cfg_attr(test, ts(type = "string"))]
    pub created_at: DateTime<Utc>,
}

impl Message {
    /// Whether it has been deleted (it keeps its `seq` either way).
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
    /// The matching message (its fields inline on the wire).
    #[serde(flatten)]
    pub message: Message,
    /// The content HTML-escaped, with `<mark>`...`</mark>` around the matches and no other
    /// markup (PostgreSQL: up to two fragments of it).
    pub highlight: String,
    /// Relevance: higher is better. Comparable within one result list only (PostgreSQL
    /// `ts_rank`, SQLite's negated bm25).
    pub rank: f64,
}

/// The payload of `message:read:update`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct ReadReceipt {
    /// The newest message the reader has read.
    pub message_id: MessageId,
    /// Who read it.
    pub user_id: UserId,
    /// The message's conversation.
    pub conversation_id: ConversationId,
    /// When it was marked read (UTC).
    #[serde(with = "time::rfc3339")]
    #[cfg_attr(test, ts(type = "string"))]
    pub read_at: DateTime<Utc>,
}

/// A participant's report of a message, for moderators to review.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Report {
    /// The report's id.
    pub id: ReportId,
    /// The reported message.
    pub message_id: MessageId,
    /// The message's conversation.
    pub conversation_id: ConversationId,
    /// Who filed it.
    pub reported_by: UserId,
    /// Why, in a word or phrase (`spam`, `abuse`...), at most 100 characters.
    pub reason: String,
    /// Optional free text, at most 2,000 characters.
    pub description: Option<String>,
    /// Where it stands in review.
    pub status: ReportStatus,
    /// The admin who last moved it out of `pending`; set with `resolved_at`.
    pub resolved_by: Option<UserId>,
    /// When it was last moved out of `pending`; `None` while pending.
    #[serde(with = "time::rfc3339_opt")]
    pub resolved_at: Option<DateTime<Utc>>,
    /// When it was filed (UTC).
    #[serde(with = "time::rfc3339")]
    pub created_at: DateTime<Utc>,
}
