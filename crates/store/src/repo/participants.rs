//! Participants: listing, adding (or re-activating), removing, and the placeholder users
//! that let an admin add someone confab has not seen yet (only admin paths create them).

use confab_domain::ids::{ConversationId, UserId};
use confab_domain::model::{Participant, ParticipantRole};
use confab_domain::time::Timestamp;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use crate::scoped::Db;
use uuid::Uuid;

use super::convert;
use super::sql::{begin_write, stmt};
use crate::entity::conversation_participant::{self, Column};
use crate::error::{Failure, Outcome};

/// Inserts an id-only row for each user without one. Sorted, so two transactions adding
/// the same new users take their index locks in the same order (no deadlock).
pub(crate) async fn insert_placeholder_users<C: ConnectionTrait>(
    db: &C,
    users: &[Uuid],
    now: Timestamp,
) -> Outcome<()> {
    let mut users = users.to_vec();
    users.sort_unstable();
    users.dedup();
    if users.is_empty() {
        return Ok(());
    }
    let rows = (2..users.len() + 2)
        .map(|n| format!("(${n}, $1, $1)"))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "INSERT INTO users (id, created_at, updated_at) VALUES {rows} \
         ON CONFLICT (id) DO NOTHING"
    );
    let mut values = vec![now.into()];
    values.extend(users.into_iter().map(Into::into));
    db.execute_raw(stmt(db, sql, values)).await?;
    Ok(())
}

/// Active participants, earliest joined first.
pub(crate) async fn list(db: &Db, conversation: ConversationId) -> Outcome<Vec<Participant>> {
    conversation_participant::Entity::find()
        .filter(Column::ConversationId.eq(conversation.as_uuid()))
        .filter(Column::LeftAt.is_null())
        .order_by_asc(Column::JoinedAt)
        .order_by_asc(Column::UserId)
        .all(db)
        .await?
        .into_iter()
        .map(convert::participant)
        .collect()
}

/// Adds the user (creating their placeholder row if needed, and making them a member of the
/// conversation's project if they are not one), or re-activates a former participant with
/// the new role and a fresh `joined_at`. An active participant only changes role. Their read
/// marker survives either way.
pub(crate) async fn add(
    db: &Db,
    conversation: ConversationId,
    user: UserId,
    role: ParticipantRole,
    now: Timestamp,
) -> Outcome<Participant> {
    let txn = begin_write(db).await?;
    insert_placeholder_users(&txn, &[user.as_uuid()], now).await?;
    let sql = "INSERT INTO project_members (project_id, user_id, role, added_at) \
               SELECT c.project_id, $2, 'member', $3 FROM conversations c WHERE c.id = $1 \
               ON CONFLICT (project_id, user_id) DO NOTHING";
    let values = [
        conversation.as_uuid().into(),
        user.as_uuid().into(),
        now.into(),
    ];
    txn.execute_raw(stmt(&txn, sql, values)).await?;
    let sql = "INSERT INTO conversation_participants \
                 (conversation_id, user_id, role, joined_at, notifications_enabled, last_read_seq) \
               VALUES ($1, $2, $3, $4, $5, 0) \
               ON CONFLICT (conversation_id, user_id) DO UPDATE SET \
                 role = excluded.role, \
                 joined_at = CASE WHEN conversation_participants.left_at IS NULL \
                   THEN conversation_participants.joined_at ELSE excluded.joined_at END, \
                 left_at = NULL \
               RETURNING conversation_id, user_id, role, joined_at, left_at, \
                 notifications_enabled, last_read_at, last_read_seq";
    let values = [
        conversation.as_uuid().into(),
        user.as_uuid().into(),
        role.as_str().into(),
        now.into(),
        true.into(),
    ];
    let row = conversation_participant::Entity::find()
        .from_raw_sql(stmt(&txn, sql, values))
        .one(&txn)
        .await?
        .ok_or_else(|| Failure::Corrupt("an upsert returned no row".into()))?;
    txn.commit().await?;
    convert::participant(row)
}

/// Marks an active participant as gone; `false` when there was none.
pub(crate) async fn remove(
    db: &Db,
    conversation: ConversationId,
    user: UserId,
    now: Timestamp,
) -> Outcome<bool> {
    let sql = "UPDATE conversation_participants SET left_at = $3 \
               WHERE conversation_id = $1 AND user_id = $2 AND left_at IS NULL";
    let values = [
        conversation.as_uuid().into(),
        user.as_uuid().into(),
        now.into(),
    ];
    let result = db.execute_raw(stmt(db, sql, values)).await?;
    Ok(result.rows_affected() > 0)
}

/// The conversations the user actively takes part in.
pub(crate) async fn of_user(db: &Db, user: UserId) -> Outcome<Vec<ConversationId>> {
    let ids: Vec<Uuid> = conversation_participant::Entity::find()
        .select_only()
        .column(Column::ConversationId)
        .filter(Column::UserId.eq(user.as_uuid()))
        .filter(Column::LeftAt.is_null())
        .into_tuple()
        .all(db)
        .await?;
    Ok(ids.into_iter().map(Into::into).collect())
}
