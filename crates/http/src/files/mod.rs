//! File uploads and downloads: where the bytes live ([`store`]), how an upload's type is
//! decided from its content ([`sniff`]), how one streams in under the size cap ([`upload`]),
//! the download headers ([`headers`]) and the sweeper that removes uploads never attached
//! ([`sweep`]). The routes are in `routes::files`; who may do what is the domain's.

pub mod headers;
pub mod sniff;
pub mod store;
pub mod sweep;
pub mod upload;

use std::time::Duration;

use async_trait::async_trait;

pub use sniff::{DEFAULT_ALLOWED_TYPES, TypePolicy};
pub use store::{S3Settings, Storage, StorageError, StorageSettings};
pub use sweep::{SweepHandle, SweepReport, Sweeper};

use crate::routes::ops::ReadinessCheck;

/// The contract's default size cap: 10 MiB.
pub const DEFAULT_MAX_FILE_BYTES: u64 = 10 * 1024 * 1024;

/// How uploads are checked and downloads served.
#[derive(Clone, Debug)]
pub struct FileSettings {
    /// Largest file accepted, in bytes (exactly this many is allowed).
    pub max_file_bytes: u64,
    /// The MIME types accepted, as detected from the content.
    pub types: TypePolicy,
    /// Answer downloads with a redirect to a presigned URL (stores that can sign: S3).
    pub presign_downloads: bool,
    /// How long a presigned URL is valid.
    pub presign_ttl: Duration,
    /// Parts one multipart upload may have (`CONFAB_LIMITS__UPLOAD_MAX_PARTS`; 0: no cap).
    pub max_parts: u32,
}

impl Default for FileSettings {
    fn default() -> Self {
        Self {
            max_file_bytes: DEFAULT_MAX_FILE_BYTES,
            types: TypePolicy::default(),
            presign_downloads: false,
            presign_ttl: Duration::from_secs(300),
            max_parts: 8,
        }
    }
}

/// The blob store plus the upload rules: what the file routes need.
#[derive(Clone, Debug)]
pub struct Files {
    /// Where uploads are written and read from.
    pub storage: Storage,
    /// Size cap, allowed types, presigning and multipart limits.
    pub settings: FileSettings,
}

impl Files {
    /// Bundles an opened store with its upload rules.
    pub fn new(storage: Storage, settings: FileSettings) -> Self {
        Self { storage, settings }
    }

    /// The storage key of a new upload: `<conversation id>/<file id>`.
    pub fn key_for(permit: &confab_domain::service::UploadPermit) -> String {
        format!("{}/{}", permit.conversation(), permit.file_id())
    }
}

/// `/readyz` reports the object store (degraded, not failed: messaging still works).
#[derive(Clone, Debug)]
pub struct StorageCheck(pub Storage);

#[async_trait]
impl ReadinessCheck for StorageCheck {
    fn name(&self) -> &'static str {
        "storage"
    }

    async fn check(&self) -> Result<(), String> {
        match tokio::time::timeout(Duration::from_secs(2), self.0.ping()).await {
            Ok(result) => result.map_err(|e| e.to_string()),
            Err(_) => Err("no answer within 2 s".to_owned()),
        }
    }
}
