//! The port behind uploads. The store implements it on both backends; a node built without
//! one answers `503 service_unavailable` for the file routes ([`UnavailableFiles`]).

use async_trait::async_trait;

use crate::error::{Error, Result};
use crate::ids::{ConversationId, FileId, MessageId, UserId};
use crate::model::FileAttachment;
use crate::time::Timestamp;

/// An upload as recorded: unattached (`message_id` is `None`) until a send attaches it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredFile {
    /// The file's id, fixed by the [`UploadPermit`](crate::service::UploadPermit).
    pub id: FileId,
    /// The message it is attached to; `None` while unattached.
    pub message_id: Option<MessageId>,
    /// The conversation it was uploaded into; only a message there may attach it.
    pub conversation_id: ConversationId,
    /// Who uploaded it; only they may attach it.
    pub uploader_id: UserId,
    /// Sanitised (see [`super::sanitize_file_name`]).
    pub file_name: String,
    /// Size in bytes.
    pub file_size: i64,
    /// The MIME type decided from the content, never from the name.
    pub file_type: String,
    /// Where clients download it (confab's authorised route for the file).
    pub file_url: String,
    /// Where the bytes are, relative to the blob store's root.
    pub storage_path: String,
    /// When it was uploaded; unattached uploads are swept some time after.
    pub created_at: Timestamp,
}

impl StoredFile {
    /// The file as messages show it.
    pub fn attachment(&self) -> FileAttachment {
        FileAttachment {
            id: self.id,
            file_name: self.file_name.clone(),
            file_size: self.file_size,
            file_type: self.file_type.clone(),
            file_url: self.file_url.clone(),
        }
    }
}

/// Upload records: what was stored where, and which message attached it.
#[async_trait]
pub trait FileRepository: Send + Sync + 'static {
    /// Records an upload, not attached to any message (the uploader must have a user row).
    async fn record_upload(&self, file: &StoredFile) -> Result<()>;

    /// The upload, attached or not; `None` when no upload has this id.
    async fn get_file(&self, id: FileId) -> Result<Option<StoredFile>>;

    /// Uploads no message has attached, created before `cutoff`, oldest first; at most
    /// `limit` of them.
    async fn unattached_before(&self, cutoff: Timestamp, limit: u32) -> Result<Vec<StoredFile>>;

    /// Deletes the upload's row if no message has attached it; `false` when a message has
    /// (or the row is already gone).
    async fn delete_upload(&self, id: FileId) -> Result<bool>;
}

/// The repository of a node built without one: every call answers `Unavailable`.
#[derive(Clone, Copy, Debug, Default)]
pub struct UnavailableFiles;

fn unavailable<T>() -> Result<T> {
    Err(Error::Unavailable(
        "no file repository is configured".to_owned(),
    ))
}

#[async_trait]
impl FileRepository for UnavailableFiles {
    async fn record_upload(&self, _: &StoredFile) -> Result<()> {
        unavailable()
    }

    async fn get_file(&self, _: FileId) -> Result<Option<StoredFile>> {
        unavailable()
    }

    async fn unattached_before(&self, _: Timestamp, _: u32) -> Result<Vec<StoredFile>> {
        unavailable()
    }

    async fn delete_upload(&self, _: FileId) -> Result<bool> {
        unavailable()
    }
}
