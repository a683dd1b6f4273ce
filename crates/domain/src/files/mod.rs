//! Uploaded files: the record behind `message.files` and `GET /api/files/:id`, the
//! [`ports::FileRepository`] port the store implements, and the pure rules for file names.
//!
//! The bytes themselves live in a blob store the HTTP layer owns; the domain only sees the
//! upload's metadata and where the blob is (`storage_path`).

pub mod name;
pub mod policy;
pub mod ports;

pub use name::{MAX_FILE_NAME_BYTES, sanitize_file_name};
pub use ports::{FileRepository, StoredFile, UnavailableFiles};

use crate::ids::FileId;

/// The contract's download URL of a file, relative to the server: `/api/files/<id>`.
pub fn file_url(id: FileId) -> String {
    format!("/api/files/{id}")
}
