//! `message_edits`: the content a message had before each edit.

use sea_orm::entity::prelude::*;

/// A row of `message_edits`: what a message said before one edit.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "message_edits")]
pub struct Model {
    /// Primary key of the edit record.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The edited message; deleting the message deletes its edits.
    pub message_id: Uuid,
    /// Who made the edit.
    pub editor_id: Uuid,
    /// The content before this edit.
    #[sea_orm(column_type = "Text")]
    pub previous_content: String,
    /// When the edit was made.
    pub edited_at: DateTimeUtc,
}

/// The relations of `message_edits`, for sea-orm joins.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// The edited message (`message_id`; delete cascades).
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
