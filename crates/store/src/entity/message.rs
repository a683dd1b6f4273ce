//! `messages`. On PostgreSQL the table also has the generated `search_tsv` column; it is not
//! part of the model (nothing reads it back).

use sea_orm::entity::prelude::*;

/// A row of `messages`, without PostgreSQL's generated `search_tsv`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "messages")]
pub struct Model {
    /// Primary key: the message's id.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The conversation it was sent in; deleting the conversation deletes it.
    pub conversation_id: Uuid,
    /// Its position in the conversation: the conversation's `last_seq` after the send bumped
    /// it, so unique per conversation and starting at 1.
    pub seq: i64,
    /// The author (a `users` id).
    pub sender_id: Uuid,
    /// The message text.
    #[sea_orm(column_type = "Text")]
    pub content: String,
    /// Column `type`: `text`, `file` or `system` (`MessageKind`).
    #[sea_orm(column_name = "type")]
    pub kind: String,
    /// Client-supplied JSON object; reactions are kept in it as
    /// `{"reactions": {"<emoji>": [userId, ...]}}`.
    #[sea_orm(column_type = "JsonBinary")]
    pub metadata: Json,
    /// The sender's idempotency key; NULL if none. The same sender sending again with the same
    /// key in the same conversation gets the stored message back instead of a new one.
    pub client_msg_id: Option<String>,
    /// When it was last edited; NULL if never (earlier contents are in `message_edits`).
    pub edited_at: Option<DateTimeUtc>,
    /// When it was deleted (a soft delete); NULL while it is not. A second delete keeps the
    /// first time, deleter and reason.
    pub deleted_at: Option<DateTimeUtc>,
    /// Who deleted it; NULL if not deleted.
    pub deleted_by: Option<Uuid>,
    /// Why it was deleted; NULL if not deleted or no reason was given.
    #[sea_orm(column_type = "Text", nullable)]
    pub delete_reason: Option<String>,
    /// When it was stored.
    pub created_at: DateTimeUtc,
}

/// The relations of `messages`, for sea-orm joins.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// The conversation (`conversation_id`; delete cascades).
    #[sea_orm(
        belongs_to = "super::conversation::Entity",
        from = "Column::ConversationId",
        to = "super::conversation::Column::Id",
        on_delete = "Cascade"
    )]
    Conversation,
    /// The uploads attached to it.
    #[sea_orm(has_many = "super::message_file::Entity")]
    File,
    /// Its earlier contents, one row per edit.
    #[sea_orm(has_many = "super::message_edit::Entity")]
    Edit,
}

impl Related<super::conversation::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Conversation.def()
    }
}

impl Related<super::message_file::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::File.def()
    }
}

impl Related<super::message_edit::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Edit.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
