//! Messages: the send path (gapless `seq`, idempotent `clientMsgId`, file attachment), pages,
//! edits, soft deletes and read markers.

use confab_domain::Error;
use confab_domain::ids::{ConversationId, MessageId, UserId};
use confab_domain::model::{Message, ReadReceipt};
use confab_domain::ports::{Inserted, MessagePage, NewMessage};
use confab_domain::time::Timestamp;
use sea_orm::ActiveValue::Set;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, DbBackend, DbErr, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, SqlErr,
};

use crate::scoped::Db;
use uuid::Uuid;

use super::convert::MESSAGE_RETURNING;
use super::files::{distinct, one_with_files, with_files};
use super::sql::{abort, begin_write, placeholders, stmt};
use crate::entity::message::{self, Column};
use crate::error::{Failure, Outcome, not_found};

/// Stores a message with the conversation's next `seq`.
///
/// On PostgreSQL a message without files takes [`insert_one_statement`]: one round trip
/// instead of five. Everything else runs [`insert_in_transaction`].
pub(crate) async fn insert(db: &Db, new: NewMessage) -> Outcome<Inserted> {
    if db.get_database_backend() == DbBackend::Postgres && new.file_ids.is_empty() {
        return insert_one_statement(db, new).await;
    }
    insert_in_transaction(db, new).await
}

/// The PostgreSQL fast path: bumping `last_seq` and inserting the row are one statement, so
/// one implicit transaction. The `UPDATE` locks the conversation row until the statement
/// commits, which orders concurrent senders exactly as the transactional path does.
///
/// A retry of a stored `clientMsgId` fails on the unique key, and the failure aborts the
/// whole statement, the bump included (no `ON CONFLICT`: that would keep the bump and leave a
/// gap); then the stored message is read back. Checking for the key first (`NOT EXISTS`)
/// would cost every send an index probe, and measured worse: without statistics (a new
/// database, or autovacuum off) PostgreSQL can cache a generic plan that finds the key
/// through `idx_messages_sender_id`, scanning every earlier message of the sender.
/// No row back: no such conversation.
async fn insert_one_statement(db: &Db, new: NewMessage) -> Outcome<Inserted> {
    let sql = "WITH bumped AS ( \
                 UPDATE conversations SET last_seq = last_seq + 1, updated_at = $2 \
                 WHERE id = $1 RETURNING last_seq) \
               INSERT INTO messages \
                 (id, conversation_id, seq, sender_id, content, type, metadata, client_msg_id, created_at) \
               SELECT $4, $1, bumped.last_seq, $3, $5, $6, $7, $8, $2 FROM bumped \
               RETURNING seq";
    let values = [
        new.conversation_id.as_uuid().into(),
        new.created_at.into(),
        new.sender_id.as_uuid().into(),
        new.id.as_uuid().into(),
        new.content.as_str().into(),
        new.kind.as_str().into(),
        new.metadata.clone().into(),
        new.client_msg_id.clone().into(),
    ];
    match db.query_one_raw(stmt(db, sql, values)).await {
        Ok(Some(row)) => {
            let seq = row.try_get_by_index::<i64>(0)?;
            Ok(Inserted::Created(created(new, seq, Vec::new())))
        }
        Ok(None) => Err(not_found("conversation")),
        Err(err) => retry_as_existing(db, &new, err).await,
    }
}

/// Stores a message with the conversation's next `seq`, all in one transaction.
///
/// The first statement bumps `conversations.last_seq`: on PostgreSQL that locks the
/// conversation row until commit, so concurrent senders (on any node) queue there and each
/// gets the next number; on SQLite the transaction already holds the write lock. Anything
/// that aborts the send rolls back, which gives the number back: `seq` stays gapless.
async fn insert_in_transaction(db: &Db, new: NewMessage) -> Outcome<Inserted> {
    let txn = begin_write(db).await?;
    let Some(seq) = next_seq(&txn, new.conversation_id, new.created_at).await? else {
        return abort(txn, not_found("conversation")).await;
    };
    if let Some(client_msg_id) = &new.client_msg_id
        && let Some(stored) = by_client_msg_id(&txn, &new, client_msg_id).await?
    {
        let stored = one_with_files(&txn, stored).await?;
        txn.rollback().await?;
        return Ok(Inserted::Existing(stored));
    }
    if let Err(err) = insert_row(&txn, &new, seq).await {
        txn.rollback().await?;
        return retry_as_existing(db, &new, err).await;
    }
    if let Err(failure) = attach_files(&txn, &new).await {
        return abort(txn, failure).await;
    }
    let files = if new.file_ids.is_empty() {
        Vec::new()
    } else {
        let mut files = super::files::by_message(&txn, &[new.id.as_uuid()]).await?;
        files.remove(&new.id.as_uuid()).unwrap_or_default()
    };
    txn.commit().await?;
    Ok(Inserted::Created(created(new, seq, files)))
}

pub(super) async fn next_seq(
    txn: &DatabaseTransaction,
    conversation: ConversationId,
    now: Timestamp,
) -> Outcome<Option<i64>> {
    let sql = "UPDATE conversations SET last_seq = last_seq + 1, updated_at = $2 \
               WHERE id = $1 RETURNING last_seq";
    let row = txn
        .query_one_raw(stmt(txn, sql, [conversation.as_uuid().into(), now.into()]))
        .await?;
    Ok(row.map(|row| row.try_get_by_index::<i64>(0)).transpose()?)
}

pub(super) async fn by_client_msg_id<C: ConnectionTrait>(
    db: &C,
    new: &NewMessage,
    client_msg_id: &str,
) -> Outcome<Option<message::Model>> {
    by_key(db, new.conversation_id, new.sender_id, client_msg_id).await
}

async fn by_key<C: ConnectionTrait>(
    db: &C,
    conversation: ConversationId,
    sender: UserId,
    client_msg_id: &str,
) -> Outcome<Option<message::Model>> {
    Ok(message::Entity::find()
        .filter(Column::ConversationId.eq(conversation.as_uuid()))
        .filter(Column::SenderId.eq(sender.as_uuid()))
        .filter(Column::ClientMsgId.eq(client_msg_id))
        .one(db)
        .await?)
}

pub(super) async fn insert_row(
    txn: &DatabaseTransaction,
    new: &NewMessage,
    seq: i64,
) -> Result<(), DbErr> {
    let row = message::ActiveModel {
        id: Set(new.id.as_uuid()),
        conversation_id: Set(new.conversation_id.as_uuid()),
        seq: Set(seq),
        sender_id: Set(new.sender_id.as_uuid()),
        content: Set(new.content.clone()),
        kind: Set(new.kind.as_str().to_owned()),
        metadata: Set(new.metadata.clone()),
        client_msg_id: Set(new.client_msg_id.clone()),
        edited_at: Set(None),
        deleted_at: Set(None),
        deleted_by: Set(None),
        delete_reason: Set(None),
        created_at: Set(new.created_at),
    };
    message::Entity::insert(row)
        .exec_without_returning(txn)
        .await
        .map(drop)
}

/// A retry that raced the original past the `clientMsgId` check lost on the unique key:
/// answer with the message that won.
async fn retry_as_existing(db: &Db, new: &NewMessage, err: DbErr) -> Outcome<Inserted> {
    let unique = matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_)));
    if let (true, Some(client_msg_id)) = (unique, &new.client_msg_id)
        && let Some(stored) = by_client_msg_id(db, new, client_msg_id).await?
    {
        return Ok(Inserted::Existing(one_with_files(db, stored).await?));
    }
    Err(err.into())
}

/// Attaches the listed uploads; all of them must be the sender's, in this conversation,
/// and not attached yet.
async fn attach_files(txn: &DatabaseTransaction, new: &NewMessage) -> Outcome<()> {
    let ids = distinct(&new.file_ids);
    if ids.is_empty() {
        return Ok(());
    }
    let sql = format!(
        "UPDATE message_files SET message_id = $1 \
         WHERE uploader_id = $2 AND conversation_id = $3 AND message_id IS NULL \
         AND id IN ({})",
        placeholders(4, ids.len())
    );
    let mut values = vec![
        new.id.as_uuid().into(),
        new.sender_id.as_uuid().into(),
        new.conversation_id.as_uuid().into(),
    ];
    values.extend(ids.iter().map(|id| (*id).into()));
    let attached = txn
        .execute_raw(stmt(txn, sql, values))
        .await?
        .rows_affected();
    if attached == ids.len() as u64 {
        return Ok(());
    }
    let message = "fileIds: a file is not an unattached upload of yours in this conversation";
    Err(Failure::Domain(Error::Validation {
        message: message.to_owned(),
        details: Some(serde_json::json!({ "fileIds": message })),
    }))
}

pub(super) fn created(
    new: NewMessage,
    seq: i64,
    files: Vec<confab_domain::model::FileAttachment>,
) -> Message {
    Message {
        id: new.id,
        conversation_id: new.conversation_id,
        seq,
        sender_id: new.sender_id,
        content: new.content,
        kind: new.kind,
        metadata: new.metadata,
        files,
        client_msg_id: new.client_msg_id,
        edited_at: None,
        deleted_at: None,
        created_at: new.created_at,
    }
}

/// The message a sender stored with `client_msg_id` in a conversation, if any.
pub(crate) async fn find_by_key(
    db: &Db,
    conversation: ConversationId,
    sender: UserId,
    client_msg_id: &str,
) -> Outcome<Option<Message>> {
    match by_key(db, conversation, sender, client_msg_id).await? {
        Some(row) => Ok(Some(one_with_files(db, row).await?)),
        None => Ok(None),
    }
}

pub(crate) async fn get(db: &Db, id: MessageId) -> Outcome<Option<Message>> {
    match message::Entity::find_by_id(id.as_uuid()).one(db).await? {
        Some(row) => Ok(Some(one_with_files(db, row).await?)),
        None => Ok(None),
    }
}

/// Newest first, `seq < before_seq` when given.
pub(crate) async fn before(
    db: &Db,
    conversation: ConversationId,
    before_seq: Option<i64>,
    limit: u32,
) -> Outcome<MessagePage> {
    let mut query =
        message::Entity::find().filter(Column::ConversationId.eq(conversation.as_uuid()));
    if let Some(before_seq) = before_seq {
        query = query.filter(Column::Seq.lt(before_seq));
    }
    let rows = query
        .order_by_desc(Column::Seq)
        .limit(u64::from(limit) + 1)
        .all(db)
        .await?;
    page(db, rows, limit).await
}

/// Oldest first, `seq > after_seq`.
pub(crate) async fn after(
    db: &Db,
    conversation: ConversationId,
    after_seq: i64,
    limit: u32,
) -> Outcome<MessagePage> {
    let rows = message::Entity::find()
        .filter(Column::ConversationId.eq(conversation.as_uuid()))
        .filter(Column::Seq.gt(after_seq))
        .order_by_asc(Column::Seq)
        .limit(u64::from(limit) + 1)
        .all(db)
        .await?;
    page(db, rows, limit).await
}

/// One row more than `limit` was asked for: its presence is `has_more`.
async fn page(db: &Db, mut rows: Vec<message::Model>, limit: u32) -> Outcome<MessagePage> {
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    let has_more = rows.len() > limit;
    rows.truncate(limit);
    Ok(MessagePage {
        messages: with_files(db, rows).await?,
        has_more,
    })
}

/// A no-op write on the message row: on PostgreSQL it takes the row lock, so the
/// read-modify-write that follows cannot interleave with another one. `false` when there is
/// no such message.
pub(crate) async fn lock(txn: &DatabaseTransaction, id: MessageId) -> Outcome<bool> {
    let sql = "UPDATE messages SET metadata = metadata WHERE id = $1";
    let result = txn
        .execute_raw(stmt(txn, sql, [id.as_uuid().into()]))
        .await?;
    Ok(result.rows_affected() > 0)
}

/// Fetches one message with a statement that returns message rows (`RETURNING` or SELECT).
pub(crate) async fn fetch_one<C: ConnectionTrait>(
    db: &C,
    sql: String,
    values: Vec<sea_orm::Value>,
) -> Outcome<Option<message::Model>> {
    Ok(message::Entity::find()
        .from_raw_sql(stmt(db, sql, values))
        .one(db)
        .await?)
}

/// Keeps the old content in `message_edits`, then replaces it.
pub(crate) async fn edit(
    db: &Db,
    id: MessageId,
    editor: UserId,
    content: &str,
    now: Timestamp,
) -> Outcome<Message> {
    let txn = begin_write(db).await?;
    if !lock(&txn, id).await? {
        return abort(txn, not_found("message")).await;
    }
    let history = "INSERT INTO message_edits (id, message_id, editor_id, previous_content, edited_at) \
                   SELECT $1, id, $2, content, $3 FROM messages WHERE id = $4";
    let values = [
        Uuid::now_v7().into(),
        editor.as_uuid().into(),
        now.into(),
        id.as_uuid().into(),
    ];
    txn.execute_raw(stmt(&txn, history, values)).await?;
    let update = format!(
        "UPDATE messages SET content = $2, edited_at = $3 WHERE id = $1 \
         RETURNING {MESSAGE_RETURNING}"
    );
    let values = vec![id.as_uuid().into(), content.into(), now.into()];
    let Some(row) = fetch_one(&txn, update, values).await? else {
        return abort(txn, not_found("message")).await;
    };
    let message = one_with_files(&txn, row).await?;
    txn.commit().await?;
    Ok(message)
}

/// Soft-deletes. Deleting again changes nothing: the first deletion's who, when and why
/// stay.
pub(crate) async fn delete(
    db: &Db,
    id: MessageId,
    by: UserId,
    reason: Option<&str>,
    now: Timestamp,
) -> Outcome<Message> {
    let sql = format!(
        "UPDATE messages SET \
            deleted_at = COALESCE(deleted_at, $2), \
            deleted_by = CASE WHEN deleted_at IS NULL THEN $3 ELSE deleted_by END, \
            delete_reason = CASE WHEN deleted_at IS NULL THEN $4 ELSE delete_reason END \
         WHERE id = $1 RETURNING {MESSAGE_RETURNING}"
    );
    let values = vec![
        id.as_uuid().into(),
        now.into(),
        by.as_uuid().into(),
        reason.map(str::to_owned).into(),
    ];
    let row = fetch_one(db, sql, values)
        .await?
        .ok_or_else(|| not_found("message"))?;
    one_with_files(db, row).await
}

/// Records the receipt and moves the reader's marker forward (never back).
pub(crate) async fn mark_read(
    db: &Db,
    message: &Message,
    user: UserId,
    now: Timestamp,
) -> Outcome<ReadReceipt> {
    let txn = begin_write(db).await?;
    let receipt = "INSERT INTO message_read_receipts (message_id, user_id, read_at) \
                   VALUES ($1, $2, $3) \
                   ON CONFLICT (message_id, user_id) DO UPDATE SET read_at = excluded.read_at";
    let values = [
        message.id.as_uuid().into(),
        user.as_uuid().into(),
        now.into(),
    ];
    txn.execute_raw(stmt(&txn, receipt, values)).await?;
    let marker = "UPDATE conversation_participants SET \
                    last_read_seq = CASE WHEN last_read_seq < $3 THEN $3 ELSE last_read_seq END, \
                    last_read_at = $4 \
                  WHERE conversation_id = $1 AND user_id = $2 AND left_at IS NULL";
    let values = [
        message.conversation_id.as_uuid().into(),
        user.as_uuid().into(),
        message.seq.into(),
        now.into(),
    ];
    txn.execute_raw(stmt(&txn, marker, values)).await?;
    txn.commit().await?;
    Ok(ReadReceipt {
        message_id: message.id,
        user_id: user,
        conversation_id: message.conversation_id,
        read_at: now,
    })
}
