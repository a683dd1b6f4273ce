//! `message_files`: uploads. `message_id` stays NULL until a send attaches the upload.

use sea_orm::entity::prelude::*;

/// A row of `message_files`: one upload's metadata and where its bytes are.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "message_files")]
pub struct Model {
    /// Primary key: the file's id.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The message it is attached to; NULL until a send attaches it. Deleting the message
    /// deletes the row.
    pub message_id: Option<Uuid>,
    /// The conversation it was uploaded to.
    pub conversation_id: Uuid,
    /// Who uploaded it; only they may attach it.
    pub uploader_id: Uuid,
    /// The sanitised file name clients see.
    pub file_name: String,
    /// Size in bytes.
    pub file_size: i64,
    /// The MIME type, decided from the content, never from the name.
    pub file_type: String,
    /// Where clients download it (confab's authorised route for the file).
    #[sea_orm(column_type = "Text")]
    pub file_url: String,
    /// Where the bytes are, relative to the blob store's root.
    #[sea_orm(column_type = "Text")]
    pub storage_path: String,
    /// When it was uploaded; unattached uploads are swept some time after.
    pub created_at: DateTimeUtc,
}

/// The relations of `message_files`, for sea-orm joins.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// The message it is attached to (`message_id`; delete cascades).
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
