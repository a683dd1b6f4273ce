//! Uploaded files: loading the attachments of a page of messages (one query per page, not
//! one per message), and the domain's `FileRepository` port (record, find, list the
//! unattached, delete an unattached upload).

use std::collections::HashMap;

use async_trait::async_trait;
use confab_domain::files::{FileRepository, StoredFile};
use confab_domain::ids::FileId;
use confab_domain::model::{FileAttachment, Message};
use confab_domain::time::Timestamp;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use uuid::Uuid;

use super::{SqlStore, convert};
use crate::entity::{message, message_file};
use crate::error::{Outcome, run};

/// Message ids per `IN (...)` list: far below either backend's bind-parameter limit.
const CHUNK: usize = 500;

/// The attachments of `messages`, by message id, oldest upload first.
pub(crate) async fn by_message<C: ConnectionTrait>(
    db: &C,
    messages: &[Uuid],
) -> Outcome<HashMap<Uuid, Vec<FileAttachment>>> {
    let mut files: HashMap<Uuid, Vec<FileAttachment>> = HashMap::new();
    for chunk in messages.chunks(CHUNK) {
        let rows = message_file::Entity::find()
            .filter(message_file::Column::MessageId.is_in(chunk.iter().copied()))
            .order_by_asc(message_file::Column::CreatedAt)
            .order_by_asc(message_file::Column::Id)
            .all(db)
            .await?;
        for row in rows {
            if let Some(message_id) = row.message_id {
                files
                    .entry(message_id)
                    .or_default()
                    .push(convert::attachment(row));
            }
        }
    }
    Ok(files)
}

/// Converts rows to messages with their files, keeping the order.
pub(crate) async fn with_files<C: ConnectionTrait>(
    db: &C,
    rows: Vec<message::Model>,
) -> Outcome<Vec<Message>> {
    let ids: Vec<Uuid> = rows.iter().map(|row| row.id).collect();
    let mut files = if ids.is_empty() {
        HashMap::new()
    } else {
        by_message(db, &ids).await?
    };
    rows.into_iter()
        .map(|row| {
            let attached = files.remove(&row.id).unwrap_or_default();
            convert::message(row, attached)
        })
        .collect()
}

pub(crate) async fn one_with_files<C: ConnectionTrait>(
    db: &C,
    row: message::Model,
) -> Outcome<Message> {
    let mut messages = with_files(db, vec![row]).await?;
    messages
        .pop()
        .ok_or_else(|| crate::error::Failure::Corrupt("a converted message vanished".into()))
}

#[async_trait]
impl FileRepository for SqlStore {
    async fn record_upload(&self, file: &StoredFile) -> confab_domain::Result<()> {
        let row = message_file::ActiveModel {
            id: Set(file.id.as_uuid()),
            message_id: Set(None),
            conversation_id: Set(file.conversation_id.as_uuid()),
            uploader_id: Set(file.uploader_id.as_uuid()),
            file_name: Set(file.file_name.clone()),
            file_size: Set(file.file_size),
            file_type: Set(file.file_type.clone()),
            file_url: Set(file.file_url.clone()),
            storage_path: Set(file.storage_path.clone()),
            created_at: Set(file.created_at),
        };
        let work = async {
            message_file::Entity::insert(row)
                .exec_without_returning(&self.writer)
                .await?;
            Ok(())
        };
        run("record_upload", work).await
    }

    async fn get_file(&self, id: FileId) -> confab_domain::Result<Option<StoredFile>> {
        let work = async {
            let row = message_file::Entity::find_by_id(id.as_uuid())
                .one(&self.db)
                .await?;
            Ok(row.map(stored))
        };
        run("get_file", work).await
    }

    async fn unattached_before(
        &self,
        cutoff: Timestamp,
        limit: u32,
    ) -> confab_domain::Result<Vec<StoredFile>> {
        let work = async {
            let rows = message_file::Entity::find()
                .filter(message_file::Column::MessageId.is_null())
                .filter(message_file::Column::CreatedAt.lt(cutoff))
                .order_by_asc(message_file::Column::CreatedAt)
                .order_by_asc(message_file::Column::Id)
                .limit(u64::from(limit))
                .all(&self.db)
                .await?;
            Ok(rows.into_iter().map(stored).collect())
        };
        run("unattached_before", work).await
    }

    async fn delete_upload(&self, id: FileId) -> confab_domain::Result<bool> {
        let work = async {
            // Only while unattached: a send that attached it meanwhile keeps it.
            let result = message_file::Entity::delete_many()
                .filter(message_file::Column::Id.eq(id.as_uuid()))
                .filter(message_file::Column::MessageId.is_null())
                .exec(&self.writer)
                .await?;
            Ok(result.rows_affected == 1)
        };
        run("delete_upload", work).await
    }
}

fn stored(row: message_file::Model) -> StoredFile {
    StoredFile {
        id: row.id.into(),
        message_id: row.message_id.map(Into::into),
        conversation_id: row.conversation_id.into(),
        uploader_id: row.uploader_id.into(),
        file_name: row.file_name,
        file_size: row.file_size,
        file_type: row.file_type,
        file_url: row.file_url,
        storage_path: row.storage_path,
        created_at: row.created_at,
    }
}

/// Keeps the first of each id (a client may list a file twice; it attaches once).
pub(crate) fn distinct(ids: &[FileId]) -> Vec<Uuid> {
    let mut seen = std::collections::HashSet::new();
    ids.iter()
        .map(FileId::as_uuid)
        .filter(|id| seen.insert(*id))
        .collect()
}
