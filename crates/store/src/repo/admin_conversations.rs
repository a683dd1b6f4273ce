//! The admin listing and details of conversations: filters, keyset pages, active
//! participants with their profiles, counts and last activity. A page costs two queries
//! whatever its size (the conversations, then all their participants).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use confab_domain::admin::{ConversationDetail, ConversationDetails, ConversationFilter};
use confab_domain::admin::{PageCursor, ParticipantDetails};
use confab_domain::ids::ConversationId;
use confab_domain::model::ParticipantRole;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, QueryFilter, QueryResult, Value,
};

use crate::scoped::Db;
use uuid::Uuid;

use super::convert::{self, CONVERSATION_COLUMNS};
use super::files::one_with_files;
use super::sql::{Params, placeholders, stmt};
use crate::entity::{conversation, message};
use crate::error::{Failure, Outcome};

/// Conversations matching `filter`, newest created first, strictly after `after`.
pub(crate) async fn list(
    db: &Db,
    filter: &ConversationFilter,
    after: Option<&PageCursor>,
    limit: u32,
) -> Outcome<Vec<ConversationDetails>> {
    let mut params = Params::default();
    let mut conditions = Vec::new();
    if let Some(project) = filter.project {
        conditions.push(format!("c.project_id = {}", params.bind(project.as_uuid())));
    }
    if let Some(user) = filter.user {
        conditions.push(format!(
            "EXISTS (SELECT 1 FROM conversation_participants fp \
              WHERE fp.conversation_id = c.id AND fp.user_id = {} AND fp.left_at IS NULL)",
            params.bind(user.as_uuid())
        ));
    }
    if let Some(status) = filter.status {
        conditions.push(format!("c.status = {}", params.bind(status.as_str())));
    }
    if let Some(after) = after {
        let at = params.bind(after.created_at);
        let id = params.bind(after.id);
        conditions.push(format!(
            "(c.created_at < {at} OR (c.created_at = {at} AND c.id < {id}))"
        ));
    }
    let filter = if conditions.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", conditions.join(" AND "))
    };
    let tail = format!("{filter} ORDER BY c.created_at DESC, c.id DESC LIMIT {limit}");
    details(db, &tail, params.values).await
}

/// One conversation's details and its last message (unredacted, with files).
pub(crate) async fn one(db: &Db, id: ConversationId) -> Outcome<Option<ConversationDetail>> {
    let mut found = details(db, "WHERE c.id = $1", vec![id.as_uuid().into()]).await?;
    let Some(details) = found.pop() else {
        return Ok(None);
    };
    let last = message::Entity::find()
        .filter(message::Column::ConversationId.eq(id.as_uuid()))
        .filter(message::Column::Seq.eq(details.conversation.last_seq))
        .one(db)
        .await?;
    let last_message = match last {
        Some(row) => Some(one_with_files(db, row).await?),
        None => None,
    };
    Ok(Some(ConversationDetail {
        details,
        last_message,
    }))
}

/// The conversations selected by `tail` (a WHERE / ORDER BY / LIMIT over alias `c`) with
/// their participants. `last_seq` is the message count: `seq` has no gaps.
async fn details(db: &Db, tail: &str, values: Vec<Value>) -> Outcome<Vec<ConversationDetails>> {
    let sql = format!(
        "SELECT {CONVERSATION_COLUMNS}, \
            (SELECT m.created_at FROM messages m \
              WHERE m.conversation_id = c.id AND m.seq = c.last_seq) AS last_message_at \
         FROM conversations c {tail}"
    );
    let rows = db.query_all_raw(stmt(db, sql, values)).await?;
    let ids: Vec<Uuid> = rows
        .iter()
        .map(|row| row.try_get::<Uuid>("", "id"))
        .collect::<Result<_, _>>()?;
    let mut participants = participants_of(db, &ids).await?;
    rows.iter()
        .map(|row| {
            let conversation =
                convert::conversation(conversation::Model::from_query_result(row, "")?)?;
            let participants = participants
                .remove(&conversation.id.as_uuid())
                .unwrap_or_default();
            Ok(ConversationDetails {
                participant_count: i64::try_from(participants.len()).unwrap_or(i64::MAX),
                message_count: conversation.last_seq,
                last_message_at: row.try_get::<Option<DateTime<Utc>>>("", "last_message_at")?,
                participants,
                conversation,
            })
        })
        .collect()
}

/// Active participants of `conversations` with their names and emails, earliest joined
/// first, by conversation.
pub(crate) async fn participants_of<C: ConnectionTrait>(
    db: &C,
    conversations: &[Uuid],
) -> Outcome<HashMap<Uuid, Vec<ParticipantDetails>>> {
    let mut out: HashMap<Uuid, Vec<ParticipantDetails>> = HashMap::new();
    if conversations.is_empty() {
        return Ok(out);
    }
    let sql = format!(
        "SELECT p.conversation_id, p.user_id, p.role, p.joined_at, u.name, u.email \
         FROM conversation_participants p JOIN users u ON u.id = p.user_id \
         WHERE p.left_at IS NULL AND p.conversation_id IN ({}) \
         ORDER BY p.joined_at, p.user_id",
        placeholders(1, conversations.len())
    );
    let values = conversations.iter().map(|id| Value::from(*id));
    for row in db.query_all_raw(stmt(db, sql, values)).await? {
        let conversation: Uuid = row.try_get("", "conversation_id")?;
        out.entry(conversation)
            .or_default()
            .push(participant(&row)?);
    }
    Ok(out)
}

fn participant(row: &QueryResult) -> Outcome<ParticipantDetails> {
    let role: String = row.try_get("", "role")?;
    Ok(ParticipantDetails {
        user_id: row.try_get::<Uuid>("", "user_id")?.into(),
        role: ParticipantRole::parse(&role)
            .ok_or_else(|| Failure::Corrupt(format!("unknown participant role {role:?}")))?,
        joined_at: row.try_get("", "joined_at")?,
        name: row.try_get("", "name")?,
        email: row.try_get("", "email")?,
    })
}
