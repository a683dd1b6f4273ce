//! `project_members`: who belongs to a project (`owner` or `member`) and since when.

use sea_orm::entity::prelude::*;

/// A row of `project_members`: one user's membership of one project.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "project_members")]
pub struct Model {
    /// The project (first half of the primary key); deleting it deletes the row.
    #[sea_orm(primary_key, auto_increment = false)]
    pub project_id: Uuid,
    /// The member (second half of the primary key).
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: Uuid,
    /// `owner` or `member` (`ProjectRole`).
    pub role: String,
    /// When they were added.
    pub added_at: DateTimeUtc,
}

/// The relations of `project_members`, for sea-orm joins.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// The project (`project_id`; delete cascades).
    #[sea_orm(
        belongs_to = "super::project::Entity",
        from = "Column::ProjectId",
        to = "super::project::Column::Id",
        on_delete = "Cascade"
    )]
    Project,
}

impl Related<super::project::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Project.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
