//! `users`: everyone confab has seen in a token, plus placeholders for participants added
//! before their first request (id only, filled in from their claims later).

use sea_orm::entity::prelude::*;

/// A row of `users`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    /// Primary key: the user's id from their token.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The token's `email` claim; NULL if it had none, or for a placeholder.
    #[sea_orm(column_type = "Text", nullable)]
    pub email: Option<String>,
    /// The token's `user_metadata.name`; NULL if it had none, or for a placeholder.
    #[sea_orm(column_type = "Text", nullable)]
    pub name: Option<String>,
    /// When the row was created (first seen, or added as a placeholder).
    pub created_at: DateTimeUtc,
    /// When email and name were last written from a token's claims.
    pub updated_at: DateTimeUtc,
}

/// No relations are declared; sea-orm requires the enum.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
