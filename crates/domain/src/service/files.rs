//! Uploads and downloads. The HTTP layer moves the bytes; these use cases decide who may
//! upload where (before a byte is read), record what was stored, and who may read it back.

use std::time::Duration;

use super::Services;
use crate::error::{Error, Result};
use crate::files::{StoredFile, file_url, sanitize_file_name};
use crate::identity::Identity;
use crate::ids::{ConversationId, FileId, UserId};
use crate::policy;
use crate::ports::LimitKind;

/// Proof that an upload was authorized and rate-limited: only
/// [`Services::authorize_upload`] makes one, and [`Services::record_upload`] needs one.
/// It also fixes the new file's id, so the blob can be stored under it before the row exists.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UploadPermit {
    file_id: FileId,
    conversation: ConversationId,
    uploader: UserId,
}

impl UploadPermit {
    /// The id the new file gets (and its blob is stored under).
    pub fn file_id(&self) -> FileId {
        self.file_id
    }

    /// The conversation the upload goes into.
    pub fn conversation(&self) -> ConversationId {
        self.conversation
    }

    /// Who is uploading.
    pub fn uploader(&self) -> UserId {
        self.uploader
    }
}

/// What was stored for a permit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewFile {
    /// As the client named it; sanitised on recording.
    pub file_name: String,
    /// Size in bytes, as stored.
    pub file_size: u64,
    /// Decided from the content.
    pub file_type: String,
    /// Where the bytes were stored, relative to the blob store's root.
    pub storage_path: String,
}

impl Services {
    /// Whether `actor` may upload into `conversation`: someone who may post there (a
    /// participant, or an admin) while it is open; counts against the uploads limit. Runs
    /// before the body is read, so a refused upload costs no storage.
    pub async fn authorize_upload(
        &self,
        actor: &Identity,
        conversation: ConversationId,
    ) -> Result<UploadPermit> {
        let access = self.access(conversation, actor.user_id).await?;
        policy::may_post(actor, &access)?;
        self.limit(actor.user_id, LimitKind::Uploads).await?;
        Ok(UploadPermit {
            file_id: FileId::new(),
            conversation,
            uploader: actor.user_id,
        })
    }

    /// Records a stored upload, unattached until a send lists it in `fileIds`.
    pub async fn record_upload(&self, permit: UploadPermit, file: NewFile) -> Result<StoredFile> {
        let file_size = i64::try_from(file.file_size)
            .map_err(|_| Error::TooLarge("the file is too large".to_owned()))?;
        let stored = StoredFile {
            id: permit.file_id,
            message_id: None,
            conversation_id: permit.conversation,
            uploader_id: permit.uploader,
            file_name: sanitize_file_name(&file.file_name),
            file_size,
            file_type: file.file_type,
            file_url: file_url(permit.file_id),
            storage_path: file.storage_path,
            created_at: self.clock.now(),
        };
        self.files.record_upload(&stored).await?;
        Ok(stored)
    }

    /// The file, if `actor` may download it: active participants of its conversation and
    /// admins (others: `forbidden`). An upload not yet sent is its uploader's (and admins')
    /// only, and a deleted message's files go with its content: both look `not_found` to
    /// everyone else.
    pub async fn file_for_download(&self, actor: &Identity, id: FileId) -> Result<StoredFile> {
        let file = self
            .files
            .get_file(id)
            .await?
            .ok_or(Error::NotFound("file"))?;
        let access = self
            .store
            .access(file.conversation_id, actor.user_id)
            .await?
            .ok_or(Error::NotFound("file"))?;
        let attached_to = match file.message_id {
            // Only for participants other than the uploader does the message matter.
            Some(id)
                if access.participant.is_some()
                    && !actor.is_admin
                    && file.uploader_id != actor.user_id =>
            {
                self.store.get_message(id).await?
            }
            _ => None,
        };
        crate::files::policy::may_download(actor, &access, &file, attached_to.as_ref())?;
        Ok(file)
    }

    /// Uploads never attached and older than `ttl`, oldest first (for the sweeper).
    pub async fn expired_uploads(&self, ttl: Duration, limit: u32) -> Result<Vec<StoredFile>> {
        let ttl = chrono::Duration::from_std(ttl).unwrap_or(chrono::Duration::MAX);
        let cutoff = self
            .clock
            .now()
            .checked_sub_signed(ttl)
            .unwrap_or(chrono::DateTime::<chrono::Utc>::MIN_UTC);
        self.files.unattached_before(cutoff, limit).await
    }

    /// Forgets an upload no message attached; `false` when one attached it meanwhile.
    pub async fn forget_upload(&self, id: FileId) -> Result<bool> {
        self.files.delete_upload(id).await
    }
}
