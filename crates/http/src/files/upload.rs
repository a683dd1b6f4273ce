//! Receiving one upload: the multipart field `file` streams through the size cap and the
//! type sniffer into the blob store. The first bytes are held until the type is known, so
//! a refused type stores nothing; a file that crosses the cap (or turns out not to be text)
//! later aborts the write, which removes every part already stored.

use axum::extract::Multipart;
use axum::extract::multipart::{Field, MultipartError};
use bytes::Bytes;
use confab_domain::Error;
use confab_domain::files::sanitize_file_name;

use super::headers;
use super::sniff::{Refused, Sniffer, TypePolicy};
use super::store::{ObjectWriter, Storage};

/// How long the rest of a body is read after the answer is decided.
pub const DRAIN_TIME: std::time::Duration = std::time::Duration::from_secs(5);

/// The multipart field that carries the file.
pub const FIELD: &str = "file";

/// Bytes allowed for other fields before `file` (a client's extra form fields).
const OTHER_FIELDS_BYTES: u64 = 64 * 1024;

/// What was stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Received {
    /// As the client named it (the domain sanitises it).
    pub file_name: String,
    /// Bytes stored.
    pub size: u64,
    /// The MIME type detected from the content (see [`crate::files::sniff`]).
    pub file_type: &'static str,
}

/// Reads the `file` field of `multipart` into `storage` under `key`. On `Err` nothing is
/// left in storage. A form of more than `max_parts` parts (0: no cap) is refused (413)
/// before the file is stored; parts after the file are drained up to the same count.
pub async fn receive(
    mut multipart: Multipart,
    storage: &Storage,
    key: &str,
    policy: TypePolicy,
    max_bytes: u64,
    max_parts: u32,
) -> Result<Received, Error> {
    let max_parts = if max_parts == 0 {
        usize::MAX
    } else {
        max_parts as usize
    };
    let mut other_bytes = 0u64;
    let mut parts = 0usize;
    while let Some(mut field) = multipart.next_field().await.map_err(malformed)? {
        parts += 1;
        if parts > max_parts {
            return Err(too_many_parts(max_parts));
        }
        if field.name() == Some(FIELD) {
            let file_name = field.file_name().unwrap_or_default().to_owned();
            let mut intake = Intake {
                storage,
                key,
                disposition: headers::content_disposition(&sanitize_file_name(&file_name)),
                sniffer: Sniffer::new(policy),
                held: Vec::new(),
                writer: None,
                size: 0,
                max_bytes,
            };
            let outcome = match intake.read(&mut field).await {
                Ok(()) => intake.finish(file_name).await,
                Err(error) => {
                    intake.abort().await;
                    Err(error)
                }
            };
            // Read what the client still sends (a refused file's rest, trailing fields), so
            // it gets the answer rather than a connection reset by unread data.
            let mut budget = if outcome.is_ok() {
                OTHER_FIELDS_BYTES
            } else {
                max_bytes
            };
            let deadline = tokio::time::Instant::now() + DRAIN_TIME;
            let in_time = tokio::time::timeout_at(deadline, discard(&mut field, &mut budget))
                .await
                .is_ok();
            drop(field);
            let rest = async {
                while budget > 0
                    && parts < max_parts
                    && let Ok(Some(mut next)) = multipart.next_field().await
                {
                    parts += 1;
                    discard(&mut next, &mut budget).await;
                }
            };
            if !in_time || tokio::time::timeout_at(deadline, rest).await.is_err() {
                tracing::debug!("stopped draining a slow upload body");
            }
            return outcome;
        }
        // Other form fields may hold a little data; they are skipped.
        while let Some(chunk) = field.chunk().await.map_err(malformed)? {
            other_bytes += chunk.len() as u64;
            if other_bytes > OTHER_FIELDS_BYTES {
                return Err(Error::TooLarge(
                    "the form fields besides `file` are too large".to_owned(),
                ));
            }
        }
    }
    Err(Error::Validation {
        message: format!("the multipart field `{FIELD}` is missing"),
        details: Some(serde_json::json!({ FIELD: "required" })),
    })
}

/// Reads and drops a field's remaining chunks, at most `budget` bytes (spent as read).
async fn discard(field: &mut Field<'_>, budget: &mut u64) {
    while *budget > 0
        && let Ok(Some(chunk)) = field.chunk().await
    {
        *budget = budget.saturating_sub(chunk.len() as u64);
    }
}

fn too_many_parts(max_parts: usize) -> Error {
    Error::TooLarge(format!(
        "a multipart upload has at most {max_parts} parts (the `file` field and a few form fields)"
    ))
}

fn malformed(e: MultipartError) -> Error {
    Error::validation(format!("malformed multipart body: {}", e.body_text()))
}

/// The 413 for a file over `max_bytes` (the limit shown human-readably).
pub fn too_large(max_bytes: u64) -> Error {
    Error::TooLarge(format!(
        "the file exceeds the limit of {}",
        human(max_bytes)
    ))
}

fn refused(refused: Refused) -> Error {
    Error::UnsupportedType(refused.message())
}

fn storage_failed(e: object_store::Error) -> Error {
    Error::Unavailable(format!("object storage: {e}"))
}

/// `10 MiB`, `512 KiB` or `1234 bytes`.
fn human(bytes: u64) -> String {
    const MIB: u64 = 1024 * 1024;
    const KIB: u64 = 1024;
    if bytes >= MIB && bytes.is_multiple_of(MIB) {
        format!("{} MiB", bytes / MIB)
    } else if bytes >= KIB && bytes.is_multiple_of(KIB) {
        format!("{} KiB", bytes / KIB)
    } else {
        format!("{bytes} bytes")
    }
}

struct Intake<'a> {
    storage: &'a Storage,
    key: &'a str,
    /// What downloads answer with (kept with the object where the store can).
    disposition: String,
    sniffer: Sniffer,
    /// Chunks received before the type was known.
    held: Vec<Bytes>,
    writer: Option<ObjectWriter>,
    size: u64,
    max_bytes: u64,
}

impl Intake<'_> {
    async fn read(&mut self, field: &mut Field<'_>) -> Result<(), Error> {
        while let Some(chunk) = field.chunk().await.map_err(malformed)? {
            self.size += chunk.len() as u64;
            if self.size > self.max_bytes {
                return Err(too_large(self.max_bytes));
            }
            self.sniffer.feed(&chunk).map_err(refused)?;
            match &mut self.writer {
                Some(writer) => writer.write(&chunk).await.map_err(storage_failed)?,
                None => {
                    self.held.push(chunk);
                    if let Some(file_type) = self.sniffer.early_type() {
                        self.start(file_type).await?;
                    }
                }
            }
        }
        Ok(())
    }

    /// Opens the writer and hands it what was held.
    async fn start(&mut self, file_type: &str) -> Result<&mut ObjectWriter, Error> {
        let content_type = headers::content_type(file_type);
        let writer = self.writer.insert(self.storage.writer(
            self.key,
            &content_type,
            &self.disposition,
        ));
        for chunk in self.held.drain(..) {
            writer.write(&chunk).await.map_err(storage_failed)?;
        }
        Ok(writer)
    }

    async fn finish(mut self, file_name: String) -> Result<Received, Error> {
        if self.size == 0 {
            return Err(Error::Validation {
                message: "the file is empty".to_owned(),
                details: Some(serde_json::json!({ FIELD: "empty file" })),
            });
        }
        let file_type = match self.sniffer.finish() {
            Ok(file_type) => file_type,
            Err(e) => {
                self.abort().await;
                return Err(refused(e));
            }
        };
        if self.writer.is_none()
            && let Err(e) = self.start(file_type).await
        {
            self.abort().await;
            return Err(e);
        }
        if let Some(writer) = self.writer.take() {
            writer.finish().await.map_err(storage_failed)?;
        }
        Ok(Received {
            file_name,
            size: self.size,
            file_type,
        })
    }

    async fn abort(&mut self) {
        self.held.clear();
        if let Some(writer) = self.writer.take() {
            writer.abort().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_read_in_round_units() {
        assert_eq!(human(10 * 1024 * 1024), "10 MiB");
        assert_eq!(human(512 * 1024), "512 KiB");
        assert_eq!(human(1000), "1000 bytes");
    }
}
