//! `messages`. On PostgreSQL the table also has the generated `search_tsv` column; it is not
//! part of the model (nothing reads it back).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "messages")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub conversation_id: Uuid,
    pub seq: i64,
    pub sender_id: Uuid,
    #[sea_orm(column_type = "Text")]
    pub content: String,
    #[sea_orm(column_name = "type")]
    pub kind: String,
    #[sea_orm(column_type = "JsonBinary")]
    pub metadata: Json,
    pub client_msg_id: Option<String>,
    pub edited_at: Option<DateTimeUtc>,
    pub deleted_at: Option<DateTimeUtc>,
    pub deleted_by: Option<Uuid>,
    #[sea_orm(column_type = "Text", nullable)]
    pub delete_reason: Option<String>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::conversation::Entity",
        from = "Column::ConversationId",
        to = "super::conversation::Column::Id",
        on_delete = "Cascade"
    )]
    Conversation,
    #[sea_orm(has_many = "super::message_file::Entity")]
    File,
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
