//! `message_reports`: moderation reports. The conversation is the reported message's.

use sea_orm::entity::prelude::*;

/// A row of `message_reports`: one report of a message for moderation.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "message_reports")]
pub struct Model {
    /// Primary key: the report's id.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The reported message; deleting the message deletes its reports.
    pub message_id: Uuid,
    /// Who reported it.
    pub reported_by: Uuid,
    /// The reporter's reason.
    pub reason: String,
    /// The reporter's longer explanation; NULL if none.
    #[sea_orm(column_type = "Text", nullable)]
    pub description: Option<String>,
    /// `pending`, `reviewed` or `resolved` (`ReportStatus`).
    pub status: String,
    /// Who last moved it out of `pending`; NULL while pending.
    pub resolved_by: Option<Uuid>,
    /// When it was last moved out of `pending`; NULL while pending.
    pub resolved_at: Option<DateTimeUtc>,
    /// When it was reported.
    pub created_at: DateTimeUtc,
}

/// The relations of `message_reports`, for sea-orm joins.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// The reported message (`message_id`; delete cascades).
    #[sea_orm(
        belongs_to = "super::message::Entity",
        from = "Column::MessageId",
        to = "super::message::Column::Id",
        on_delete = "Cascade"
    )]
    Message,
}

impl Related<super::message::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Message.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
