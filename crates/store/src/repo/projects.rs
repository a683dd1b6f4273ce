//! Projects: the tenants that own conversations.

use confab_domain::ids::{ProjectId, UserId};
use confab_domain::model::Project;
use sea_orm::ActiveValue::Set;
use sea_orm::{EntityTrait, PaginatorTrait, QueryOrder};

use crate::scoped::Db;

use super::sql::begin_write;
use super::{convert, members};
use crate::entity::project::{self, Column};
use crate::error::Outcome;

/// The project and its first members, in one transaction.
pub(crate) async fn create(db: &Db, project: &Project, members: &[UserId]) -> Outcome<()> {
    let row = project::ActiveModel {
        id: Set(project.id.as_uuid()),
        name: Set(project.name.clone()),
        created_by: Set(project.created_by.map(|id| id.as_uuid())),
        created_at: Set(project.created_at),
    };
    let txn = begin_write(db).await?;
    project::Entity::insert(row)
        .exec_without_returning(&txn)
        .await?;
    members::grant(&txn, project.id, members, None, project.created_at).await?;
    txn.commit().await?;
    Ok(())
}

/// Newest first.
pub(crate) async fn list(db: &Db) -> Outcome<Vec<Project>> {
    Ok(project::Entity::find()
        .order_by_desc(Column::CreatedAt)
        .order_by_desc(Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(convert::project)
        .collect())
}

pub(crate) async fn exists(db: &Db, id: ProjectId) -> Outcome<bool> {
    Ok(project::Entity::find_by_id(id.as_uuid()).count(db).await? > 0)
}
