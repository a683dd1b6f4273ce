//! Full conversation exports for admins: the conversation, its participants, then every
//! message in `seq` order with its sender, moderation record, edit history, files and
//! reactions. Messages come as a stream of batches so an export of any size is written with
//! flat memory.

use std::fmt;

use chrono::{DateTime, Utc};
use futures::stream::BoxStream;

use super::conversations::{ParticipantDetails, field_error, present};
use crate::error::Result;
use crate::ids::UserId;
use crate::model::{Conversation, Message};

/// How many messages the store reads per batch.
pub const EXPORT_BATCH: u32 = 1000;

/// `format=json` (default) or `format=csv`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ExportFormat {
    /// One JSON document: the conversation, its participants and the messages.
    #[default]
    Json,
    /// One row per message, for spreadsheets.
    Csv,
}

impl ExportFormat {
    /// The `format` query parameter: absent or empty means JSON; anything else but `json`
    /// and `csv` is a validation error.
    pub fn parse(value: Option<&str>) -> Result<Self> {
        match present(value) {
            None | Some("json") => Ok(Self::Json),
            Some("csv") => Ok(Self::Csv),
            Some(_) => Err(field_error("format", "must be csv or json")),
        }
    }

    /// The file extension.
    pub fn extension(self) -> &'static str {
        match self {
            Self::Json => "json",
            Self::Csv => "csv",
        }
    }
}

impl fmt::Display for ExportFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.extension())
    }
}

/// What precedes the messages.
#[derive(Clone, Debug, PartialEq)]
pub struct ExportHeader {
    /// The conversation as stored.
    pub conversation: Conversation,
    /// Active participants with their names and emails.
    pub participants: Vec<ParticipantDetails>,
}

/// A previous content of an edited message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExportEdit {
    /// The content before this edit.
    pub previous_content: String,
    /// When the edit was made (UTC).
    pub edited_at: DateTime<Utc>,
    /// Who made it (the sender: only they edit).
    pub editor_id: UserId,
}

/// A message with everything an export shows about it. `message` is unredacted (deleted
/// content included) and carries its files and reactions (in `metadata`).
#[derive(Clone, Debug, PartialEq)]
pub struct ExportMessage {
    /// The message, unredacted.
    pub message: Message,
    /// The sender's name from their last token, if known.
    pub sender_name: Option<String>,
    /// The sender's email from their last token, if known.
    pub sender_email: Option<String>,
    /// Who deleted it (the sender or a moderator); `None` while it stands.
    pub deleted_by: Option<UserId>,
    /// The moderator's reason, if one was given.
    pub delete_reason: Option<String>,
    /// Oldest edit first.
    pub edits: Vec<ExportEdit>,
}

/// Batches of messages in `seq` order.
pub type ExportBatches = BoxStream<'static, Result<Vec<ExportMessage>>>;

/// An export under way: its header, then its messages as they are read.
pub struct ConversationExport {
    /// The format to write.
    pub format: ExportFormat,
    /// The conversation and participants, read first.
    pub header: ExportHeader,
    /// The messages, read lazily as the response is written.
    pub batches: ExportBatches,
}

impl fmt::Debug for ConversationExport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConversationExport")
            .field("format", &self.format)
            .field("header", &self.header)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_format_defaults_to_json_and_unknown_ones_are_rejected() {
        assert_eq!(ExportFormat::parse(None).unwrap(), ExportFormat::Json);
        assert_eq!(ExportFormat::parse(Some("")).unwrap(), ExportFormat::Json);
        assert_eq!(ExportFormat::parse(Some("csv")).unwrap(), ExportFormat::Csv);
        assert_eq!(
            ExportFormat::parse(Some("xml")).unwrap_err().code(),
            "validation_failed"
        );
    }
}
