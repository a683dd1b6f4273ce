//! Conversations: creation with first participants, the hot-path access check, updates and
//! the per-viewer listing.

use std::collections::HashMap;

use confab_domain::ids::{ConversationId, ProjectId, UserId};
use confab_domain::model::{Conversation, ConversationStatus, ConversationSummary, Message};
use confab_domain::ports::{Access, MemberRule, NewParticipant};
use confab_domain::time::Timestamp;
use sea_orm::ActiveValue::Set;
use sea_orm::{ConnectionTrait, DatabaseTransaction, EntityTrait, FromQueryResult, QueryResult};

use crate::scoped::Db;
use uuid::Uuid;

use super::convert::{self, CONVERSATION_COLUMNS, MESSAGE_COLUMNS};
use super::files::with_files;
use super::members;
use super::participants::insert_placeholder_users;
use super::sql::{begin_write, stmt};
use crate::entity::{conversation, conversation_participant, message};
use crate::error::Outcome;

/// Stores the conversation and its first participants in one transaction, after checking
/// (`Require`) or granting (`Grant`) their project membership. Under `Grant`, participants
/// (and the creator) unknown to confab get placeholder user rows first.
pub(crate) async fn create(
    db: &Db,
    conversation: &Conversation,
    participants: &[NewParticipant],
    rule: MemberRule,
) -> Outcome<()> {
    let participants = distinct(participants);
    let users: Vec<UserId> = participants.iter().map(|p| p.user_id).collect();
    let (project, now) = (conversation.project_id, conversation.created_at);
    let txn = begin_write(db).await?;
    match rule {
        MemberRule::Require => members::require(&txn, project, &users).await?,
        MemberRule::Grant => {
            let creator: Vec<Uuid> = conversation
                .created_by
                .map(|id| id.as_uuid())
                .into_iter()
                .collect();
            insert_placeholder_users(&txn, &creator, now).await?;
            members::grant(&txn, project, &users, None, now).await?;
        }
    }
    conversation::Entity::insert(active(conversation))
        .exec_without_returning(&txn)
        .await?;
    insert_participants(&txn, conversation, &participants).await?;
    txn.commit().await?;
    Ok(())
}

/// The first entry for each user wins (a duplicate would break the primary key).
fn distinct(participants: &[NewParticipant]) -> Vec<NewParticipant> {
    let mut seen = std::collections::HashSet::new();
    participants
        .iter()
        .filter(|p| seen.insert(p.user_id))
        .copied()
        .collect()
}

fn active(conversation: &Conversation) -> conversation::ActiveModel {
    conversation::ActiveModel {
        id: Set(conversation.id.as_uuid()),
        project_id: Set(conversation.project_id.as_uuid()),
        title: Set(conversation.title.clone()),
        kind: Set(conversation.kind.as_str().to_owned()),
        status: Set(conversation.status.as_str().to_owned()),
        created_by: Set(conversation.created_by.map(|id| id.as_uuid())),
        last_seq: Set(conversation.last_seq),
        created_at: Set(conversation.created_at),
        updated_at: Set(conversation.updated_at),
    }
}

async fn insert_participants(
    txn: &DatabaseTransaction,
    conversation: &Conversation,
    participants: &[NewParticipant],
) -> Outcome<()> {
    if participants.is_empty() {
        return Ok(());
    }
    let rows = participants
        .iter()
        .map(|p| conversation_participant::ActiveModel {
            conversation_id: Set(conversation.id.as_uuid()),
            user_id: Set(p.user_id.as_uuid()),
            role: Set(p.role.as_str().to_owned()),
            joined_at: Set(conversation.created_at),
            left_at: Set(None),
            notifications_enabled: Set(true),
            last_read_at: Set(None),
            last_read_seq: Set(0),
        });
    conversation_participant::Entity::insert_many(rows)
        .exec_without_returning(txn)
        .await?;
    Ok(())
}

/// The conversation and the user's active membership, in one query: this runs before every
/// send.
pub(crate) async fn access(
    db: &Db,
    conversation: ConversationId,
    user: UserId,
) -> Outcome<Option<Access>> {
    static SQL: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
        format!(
            "SELECT {CONVERSATION_COLUMNS}, {ACCESS_PARTICIPANT_COLUMNS} \
             FROM conversations c \
             LEFT JOIN conversation_participants p \
                ON p.conversation_id = c.id AND p.user_id = $2 AND p.left_at IS NULL \
             WHERE c.id = $1"
        )
    });
    let values = [conversation.as_uuid().into(), user.as_uuid().into()];
    let Some(row) = db.query_one_raw(stmt(db, SQL.as_str(), values)).await? else {
        return Ok(None);
    };
    access_from_row(&row).map(Some)
}

/// The participant columns of [`access`] (after the conversation's), aliased `p_*`.
pub(crate) const ACCESS_PARTICIPANT_COLUMNS: &str = "p.conversation_id AS p_conversation_id, p.user_id AS p_user_id, \
     p.role AS p_role, p.joined_at AS p_joined_at, p.left_at AS p_left_at, \
     p.notifications_enabled AS p_notifications_enabled, \
     p.last_read_at AS p_last_read_at, p.last_read_seq AS p_last_read_seq";

/// An [`Access`] from a row with the conversation's columns and the participant's `p_*`
/// (null when the user is not an active participant).
pub(crate) fn access_from_row(row: &QueryResult) -> Outcome<Access> {
    let participant = match row.try_get::<Option<Uuid>>("", "p_user_id")? {
        Some(_) => Some(convert::participant(
            conversation_participant::Model::from_query_result(row, "p_")?,
        )?),
        None => None,
    };
    Ok(Access {
        conversation: convert::conversation(conversation::Model::from_query_result(row, "")?)?,
        participant,
    })
}

/// Changes status and/or title (`Some(None)` clears it) and bumps `updated_at`.
pub(crate) async fn update(
    db: &Db,
    id: ConversationId,
    status: Option<ConversationStatus>,
    title: Option<Option<String>>,
    now: Timestamp,
) -> Outcome<Option<Conversation>> {
    let sql = "UPDATE conversations SET \
                 status = COALESCE($2, status), \
                 title = CASE WHEN $3 THEN $4 ELSE title END, \
                 updated_at = $5 \
               WHERE id = $1 \
               RETURNING id, project_id, title, type, status, created_by, last_seq, \
                 created_at, updated_at";
    let values = [
        id.as_uuid().into(),
        status.map(|s| s.as_str().to_owned()).into(),
        title.is_some().into(),
        title.flatten().into(),
        now.into(),
    ];
    let row = conversation::Entity::find()
        .from_raw_sql(stmt(db, sql, values))
        .one(db)
        .await?;
    row.map(convert::conversation).transpose()
}

/// The project's conversations as `viewer` sees them (all of them when `all`), most recently
/// active first. Three queries however many conversations: the conversations with their
/// counts, their last messages, those messages' files.
pub(crate) async fn list(
    db: &Db,
    project: ProjectId,
    viewer: UserId,
    all: bool,
) -> Outcome<Vec<ConversationSummary>> {
    let values = [
        project.as_uuid().into(),
        viewer.as_uuid().into(),
        all.into(),
    ];
    let sql = format!(
        "SELECT {CONVERSATION_COLUMNS}, \
            (SELECT COUNT(*) FROM conversation_participants ap \
              WHERE ap.conversation_id = c.id AND ap.left_at IS NULL) AS participant_count, \
            CASE WHEN vp.user_id IS NULL THEN 0 ELSE \
              (SELECT COUNT(*) FROM messages um \
                WHERE um.conversation_id = c.id AND um.seq > vp.last_read_seq \
                  AND um.sender_id <> $2 AND um.deleted_at IS NULL) \
            END AS unread_count \
         {VISIBLE} \
         ORDER BY c.updated_at DESC, c.id DESC"
    );
    let rows = db.query_all_raw(stmt(db, sql, values.clone())).await?;
    let mut last_messages = last_messages(db, values).await?;
    rows.iter()
        .map(|row| summary(row, &mut last_messages))
        .collect()
}

/// The conversations of project `$1` that viewer `$2` may list (`$3`: all of them), with
/// the viewer's active membership as `vp`.
const VISIBLE: &str = "FROM conversations c \
    LEFT JOIN conversation_participants vp \
      ON vp.conversation_id = c.id AND vp.user_id = $2 AND vp.left_at IS NULL \
    WHERE c.project_id = $1 AND ($3 OR vp.user_id IS NOT NULL)";

async fn last_messages(db: &Db, values: [sea_orm::Value; 3]) -> Outcome<HashMap<Uuid, Message>> {
    let sql = format!(
        "SELECT {MESSAGE_COLUMNS} FROM messages m \
         JOIN ( SELECT c.id, c.last_seq {VISIBLE} ) v \
           ON m.conversation_id = v.id AND m.seq = v.last_seq"
    );
    let rows = message::Entity::find()
        .from_raw_sql(stmt(db, sql, values))
        .all(db)
        .await?;
    Ok(with_files(db, rows)
        .await?
        .into_iter()
        .map(|m| (m.conversation_id.as_uuid(), m))
        .collect())
}

fn summary(
    row: &QueryResult,
    last_messages: &mut HashMap<Uuid, Message>,
) -> Outcome<ConversationSummary> {
    let conversation = convert::conversation(conversation::Model::from_query_result(row, "")?)?;
    Ok(ConversationSummary {
        last_message: last_messages.remove(&conversation.id.as_uuid()),
        unread_count: row.try_get("", "unread_count")?,
        participants: row.try_get("", "participant_count")?,
        conversation,
    })
}
