//! Conversation exports: the header (conversation and participants), then the messages in
//! `seq` order, a batch at a time. `seq` has no gaps, so batch `n` is the range
//! `(after, after + size]`; each batch costs three queries (messages with their senders,
//! their files, their edits), whatever its size, and is read only when the consumer asks for
//! it, so memory stays flat however long the conversation.

use std::collections::HashMap;

use confab_domain::admin::export::{ExportBatches, ExportEdit, ExportHeader, ExportMessage};
use confab_domain::ids::ConversationId;
use confab_domain::model::FileAttachment;
use futures::StreamExt;
use sea_orm::{ConnectionTrait, EntityTrait, FromQueryResult};

use crate::scoped::Db;
use uuid::Uuid;

use super::admin_conversations::participants_of;
use super::convert::{self, MESSAGE_COLUMNS};
use super::sql::stmt;
use crate::entity::{conversation, message, message_file};
use crate::error::{Outcome, run};

pub(crate) async fn header(db: &Db, id: ConversationId) -> Outcome<Option<ExportHeader>> {
    let Some(row) = conversation::Entity::find_by_id(id.as_uuid())
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let mut participants = participants_of(db, &[id.as_uuid()]).await?;
    Ok(Some(ExportHeader {
        conversation: convert::conversation(row)?,
        participants: participants.remove(&id.as_uuid()).unwrap_or_default(),
    }))
}

/// Messages `1..=up_to` in batches of `size`, each read when the stream is polled.
pub(crate) fn batches(db: Db, id: ConversationId, up_to: i64, size: u32) -> ExportBatches {
    let size = i64::from(size.max(1));
    futures::stream::try_unfold(0i64, move |after| {
        let db = db.clone();
        async move {
            if after >= up_to {
                return Ok(None);
            }
            let last = up_to.min(after.saturating_add(size));
            let batch = run("export_messages", batch(&db, id, after, last)).await?;
            Ok(Some((batch, last)))
        }
    })
    .boxed()
}

/// Messages with `after < seq <= last`, in order.
async fn batch(db: &Db, id: ConversationId, after: i64, last: i64) -> Outcome<Vec<ExportMessage>> {
    let range = || [id.as_uuid().into(), after.into(), last.into()];
    let sql = format!(
        "SELECT {MESSAGE_COLUMNS}, u.name AS sender_name, u.email AS sender_email \
         FROM messages m LEFT JOIN users u ON u.id = m.sender_id \
         WHERE m.conversation_id = $1 AND m.seq > $2 AND m.seq <= $3 ORDER BY m.seq"
    );
    let rows = db.query_all_raw(stmt(db, sql, range())).await?;
    let mut files = files(db, range()).await?;
    let mut edits = edits(db, range()).await?;
    rows.iter()
        .map(|row| {
            let model = message::Model::from_query_result(row, "")?;
            let (deleted_by, delete_reason) = (model.deleted_by, model.delete_reason.clone());
            let attached = files.remove(&model.id).unwrap_or_default();
            let history = edits.remove(&model.id).unwrap_or_default();
            Ok(ExportMessage {
                message: convert::message(model, attached)?,
                sender_name: row.try_get("", "sender_name")?,
                sender_email: row.try_get("", "sender_email")?,
                deleted_by: deleted_by.map(Into::into),
                delete_reason,
                edits: history,
            })
        })
        .collect()
}

/// The batch's attachments by message, oldest upload first.
async fn files(db: &Db, range: [sea_orm::Value; 3]) -> Outcome<HashMap<Uuid, Vec<FileAttachment>>> {
    let sql = "SELECT f.id, f.message_id, f.conversation_id, f.uploader_id, f.file_name, \
                 f.file_size, f.file_type, f.file_url, f.storage_path, f.created_at \
               FROM message_files f JOIN messages m ON m.id = f.message_id \
               WHERE m.conversation_id = $1 AND m.seq > $2 AND m.seq <= $3 \
               ORDER BY f.created_at, f.id";
    let rows = message_file::Entity::find()
        .from_raw_sql(stmt(db, sql, range))
        .all(db)
        .await?;
    let mut out: HashMap<Uuid, Vec<FileAttachment>> = HashMap::new();
    for row in rows {
        if let Some(message) = row.message_id {
            out.entry(message)
                .or_default()
                .push(convert::attachment(row));
        }
    }
    Ok(out)
}

/// The batch's edit history by message, oldest edit first.
async fn edits(db: &Db, range: [sea_orm::Value; 3]) -> Outcome<HashMap<Uuid, Vec<ExportEdit>>> {
    let sql = "SELECT e.message_id, e.editor_id, e.previous_content, e.edited_at \
               FROM message_edits e JOIN messages m ON m.id = e.message_id \
               WHERE m.conversation_id = $1 AND m.seq > $2 AND m.seq <= $3 \
               ORDER BY e.edited_at, e.id";
    let mut out: HashMap<Uuid, Vec<ExportEdit>> = HashMap::new();
    for row in db.query_all_raw(stmt(db, sql, range)).await? {
        let message: Uuid = row.try_get("", "message_id")?;
        out.entry(message).or_default().push(ExportEdit {
            previous_content: row.try_get("", "previous_content")?,
            edited_at: row.try_get("", "edited_at")?,
            editor_id: row.try_get::<Uuid>("", "editor_id")?.into(),
        });
    }
    Ok(out)
}
