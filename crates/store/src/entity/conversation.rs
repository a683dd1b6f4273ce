//! `conversations`: `last_seq` is the highest message `seq` handed out; sends bump it first,
//! which is what serialises concurrent senders.

use sea_orm::entity::prelude::*;

/// A row of `conversations`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "conversations")]
pub struct Model {
    /// Primary key: the conversation's id.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The project that owns it; deleting the project deletes the conversation.
    pub project_id: Uuid,
    /// Display title; NULL when it has none.
    pub title: Option<String>,
    /// Column `type`: `project`, `support` or `announcement` (`ConversationType`).
    #[sea_orm(column_name = "type")]
    pub kind: String,
    /// `active`, `archived` or `locked` (`ConversationStatus`).
    pub status: String,
    /// Who created it; NULL once that user is gone.
    pub created_by: Option<Uuid>,
    /// Highest message `seq` handed out so far (0 before the first message). A send increments
    /// it before inserting, which serialises concurrent senders.
    pub last_seq: i64,
    /// When it was created.
    pub created_at: DateTimeUtc,
    /// Last activity: bumped by every send and by status or title changes. Conversation lists
    /// sort by it, newest first.
    pub updated_at: DateTimeUtc,
}

/// The relations of `conversations`, for sea-orm joins.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// The owning project (`project_id`; delete cascades).
    #[sea_orm(
        belongs_to = "super::project::Entity",
        from = "Column::ProjectId",
        to = "super::project::Column::Id",
        on_delete = "Cascade"
    )]
    Project,
    /// Its participant rows, including those who left.
    #[sea_orm(has_many = "super::conversation_participant::Entity")]
    Participant,
    /// Its messages.
    #[sea_orm(has_many = "super::message::Entity")]
    Message,
}

impl Related<super::project::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Project.def()
    }
}

impl Related<super::conversation_participant::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Participant.def()
    }
}

impl Related<super::message::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Message.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
