//! `message_read_receipts`: who read which message when (the latest time wins).

use sea_orm::entity::prelude::*;

/// A row of `message_read_receipts`: one user has read one message.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "message_read_receipts")]
pub struct Model {
    /// The message read (first half of the primary key).
    #[sea_orm(primary_key, auto_increment = false)]
    pub message_id: Uuid,
    /// The reader (second half of the primary key).
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: Uuid,
    /// When they read it; reading it again keeps the latest time.
    pub read_at: DateTimeUtc,
}

/// No relations are declared; sea-orm requires the enum.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
