//! Keyset-pagination cursors: the `(created_at, id)` of the last row of a page, handed to
//! clients as an opaque string (hex of 8 bytes of microseconds and the 16 bytes of the id).
//! Rows sort by `(created_at DESC, id DESC)`; both never change, so a page boundary stays put
//! however many rows are inserted meanwhile.

use chrono::DateTime;
use uuid::Uuid;

use crate::error::{Error, Result};
use crate::time::Timestamp;

/// Where the next page starts (exclusive).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PageCursor {
    /// The last row's creation time (microseconds survive the round trip).
    pub created_at: Timestamp,
    /// The last row's id, which breaks ties between equal times.
    pub id: Uuid,
}

const BYTES: usize = 24;

impl PageCursor {
    /// The cursor after the row created at `created_at` with `id`.
    pub fn new(created_at: Timestamp, id: Uuid) -> Self {
        Self { created_at, id }
    }

    /// The opaque form handed to clients.
    pub fn encode(&self) -> String {
        let mut bytes = Vec::with_capacity(BYTES);
        bytes.extend_from_slice(&self.created_at.timestamp_micros().to_be_bytes());
        bytes.extend_from_slice(self.id.as_bytes());
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Reads a cursor from a client; anything this server did not produce is a 400.
    pub fn decode(text: &str) -> Result<Self> {
        let invalid = || Error::Validation {
            message: "cursor: not a cursor this server issued".to_owned(),
            details: Some(serde_json::json!({ "cursor": "invalid" })),
        };
        if text.len() != BYTES * 2 || !text.is_ascii() {
            return Err(invalid());
        }
        let mut bytes = [0u8; BYTES];
        for (i, byte) in bytes.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&text[i * 2..i * 2 + 2], 16).map_err(|_| invalid())?;
        }
        let (micros, id) = bytes.split_at(8);
        let micros = i64::from_be_bytes(micros.try_into().map_err(|_| invalid())?);
        let created_at = DateTime::from_timestamp_micros(micros).ok_or_else(invalid)?;
        let id = Uuid::from_slice(id).map_err(|_| invalid())?;
        Ok(Self { created_at, id })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_round_trips_and_garbage_is_a_validation_error() {
        let at = crate::time::truncate_micros(chrono::Utc::now());
        let cursor = PageCursor::new(at, Uuid::now_v7());
        let text = cursor.encode();
        assert_eq!(text.len(), 48);
        assert_eq!(PageCursor::decode(&text).unwrap(), cursor);
        for bad in ["", "zz", &"g".repeat(48), &"é".repeat(24), &text[..46]] {
            assert_eq!(
                PageCursor::decode(bad).unwrap_err().code(),
                "validation_failed"
            );
        }
    }
}
