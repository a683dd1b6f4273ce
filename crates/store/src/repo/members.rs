//! Project members: granting (with user rows for ids not seen yet), checking, listing and
//! removing, the last together with the user's part in the project's conversations.

use confab_domain::Error;
use confab_domain::ids::{ConversationId, ProjectId, UserId};
use confab_domain::model::{Project, ProjectMember, ProjectRole};
use confab_domain::time::Timestamp;
use sea_orm::{ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QueryOrder};

use crate::scoped::Db;
use uuid::Uuid;

use super::convert;
use super::participants::insert_placeholder_users;
use super::sql::{begin_write, placeholders, stmt};
use crate::entity::project;
use crate::entity::project_member::{self, Column};
use crate::error::{Failure, Outcome};

/// Sorted and deduplicated, so two transactions granting the same users take their index
/// locks in the same order (no deadlock).
fn sorted(users: &[UserId]) -> Vec<Uuid> {
    let mut ids: Vec<Uuid> = users.iter().map(|u| u.as_uuid()).collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// Makes `users` members of `project`, creating user rows for ids not seen yet. With a
/// `role` every listed user gets it; without, new members get `member` and existing ones
/// keep theirs.
pub(crate) async fn grant<C: ConnectionTrait>(
    db: &C,
    project: ProjectId,
    users: &[UserId],
    role: Option<ProjectRole>,
    now: Timestamp,
) -> Outcome<()> {
    let users = sorted(users);
    if users.is_empty() {
        return Ok(());
    }
    insert_placeholder_users(db, &users, now).await?;
    let rows = (4..users.len() + 4)
        .map(|n| format!("($1, ${n}, $2, $3)"))
        .collect::<Vec<_>>()
        .join(", ");
    let on_conflict = match role {
        Some(_) => "DO UPDATE SET role = excluded.role",
        None => "DO NOTHING",
    };
    let sql = format!(
        "INSERT INTO project_members (project_id, user_id, role, added_at) VALUES {rows} \
         ON CONFLICT (project_id, user_id) {on_conflict}"
    );
    let role = role.unwrap_or(ProjectRole::Member);
    let mut values = vec![project.as_uuid().into(), role.as_str().into(), now.into()];
    values.extend(users.into_iter().map(Into::into));
    db.execute_raw(stmt(db, sql, values)).await?;
    Ok(())
}

/// Fails with `not_a_project_member` unless every one of `users` is a member. On
/// PostgreSQL the member rows are share-locked until the transaction ends, so a removal
/// cannot slip in between this check and the caller's insert.
pub(crate) async fn require<C: ConnectionTrait>(
    db: &C,
    project: ProjectId,
    users: &[UserId],
) -> Outcome<()> {
    let users = sorted(users);
    if users.is_empty() {
        return Ok(());
    }
    let lock = match db.get_database_backend() {
        DbBackend::Postgres => " FOR SHARE",
        _ => "",
    };
    let sql = format!(
        "SELECT user_id FROM project_members WHERE project_id = $1 AND user_id IN ({}){lock}",
        placeholders(2, users.len())
    );
    let mut values = vec![project.as_uuid().into()];
    values.extend(users.iter().copied().map(Into::into));
    let rows = db.query_all_raw(stmt(db, sql, values)).await?;
    let found = rows
        .iter()
        .map(|row| row.try_get::<Uuid>("", "user_id"))
        .collect::<Result<Vec<_>, _>>()?;
    let missing: Vec<String> = users
        .iter()
        .filter(|id| !found.contains(id))
        .take(5)
        .map(ToString::to_string)
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    Err(Failure::Domain(Error::not_a_project_member(format!(
        "every participant must be a member of the project; not members: {}",
        missing.join(", ")
    ))))
}

pub(crate) async fn add(
    db: &Db,
    project: ProjectId,
    users: &[UserId],
    role: Option<ProjectRole>,
    now: Timestamp,
) -> Outcome<()> {
    let txn = begin_write(db).await?;
    grant(&txn, project, users, role, now).await?;
    txn.commit().await?;
    Ok(())
}

pub(crate) async fn role(
    db: &Db,
    project: ProjectId,
    user: UserId,
) -> Outcome<Option<ProjectRole>> {
    project_member::Entity::find_by_id((project.as_uuid(), user.as_uuid()))
        .one(db)
        .await?
        .map(|row| convert::member(row).map(|m| m.role))
        .transpose()
}

/// Earliest added first.
pub(crate) async fn list(db: &Db, project: ProjectId) -> Outcome<Vec<ProjectMember>> {
    project_member::Entity::find()
        .filter(Column::ProjectId.eq(project.as_uuid()))
        .order_by_asc(Column::AddedAt)
        .order_by_asc(Column::UserId)
        .all(db)
        .await?
        .into_iter()
        .map(convert::member)
        .collect()
}

/// The user's projects, newest first.
pub(crate) async fn projects_of(db: &Db, user: UserId) -> Outcome<Vec<Project>> {
    let sql = "SELECT p.id, p.name, p.created_by, p.created_at FROM projects p \
               JOIN project_members m ON m.project_id = p.id \
               WHERE m.user_id = $1 \
               ORDER BY p.created_at DESC, p.id DESC";
    Ok(project::Entity::find()
        .from_raw_sql(stmt(db, sql, [user.as_uuid().into()]))
        .all(db)
        .await?
        .into_iter()
        .map(convert::project)
        .collect())
}

/// Ends the membership and the user's part in the project's conversations; the
/// conversations they left, or `None` when they were not a member.
pub(crate) async fn remove(
    db: &Db,
    project: ProjectId,
    user: UserId,
    now: Timestamp,
) -> Outcome<Option<Vec<ConversationId>>> {
    let txn = begin_write(db).await?;
    let sql = "DELETE FROM project_members WHERE project_id = $1 AND user_id = $2";
    let values = [project.as_uuid().into(), user.as_uuid().into()];
    if txn
        .execute_raw(stmt(&txn, sql, values))
        .await?
        .rows_affected()
        == 0
    {
        txn.rollback().await?;
        return Ok(None);
    }
    let sql = "UPDATE conversation_participants SET left_at = $3 \
               WHERE user_id = $2 AND left_at IS NULL \
                 AND conversation_id IN (SELECT id FROM conversations WHERE project_id = $1) \
               RETURNING conversation_id";
    let values = [project.as_uuid().into(), user.as_uuid().into(), now.into()];
    let rows = txn.query_all_raw(stmt(&txn, sql, values)).await?;
    let left = rows
        .iter()
        .map(|row| row.try_get::<Uuid>("", "conversation_id").map(Into::into))
        .collect::<Result<Vec<_>, _>>()?;
    txn.commit().await?;
    Ok(Some(left))
}
