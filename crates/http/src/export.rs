//! Conversation exports as response bodies: JSON (`{ "conversation", "participants",
//! "messages" }`) or CSV (a header row, then one row per message), written a batch at a time
//! as the store reads them, so memory stays flat for conversations of any length.
//!
//! CSV follows RFC 4180 (CRLF line ends; a field with a comma, a quote, CR or LF is quoted,
//! its quotes doubled). A cell starting with `=`, `+`, `-`, `@`, a tab or CR gets a leading
//! `'` so spreadsheets show it as text instead of running it as a formula. Edits, files and
//! reactions are JSON in their cells.

use axum::body::Body;
use bytes::Bytes;
use confab_domain::admin::export::{ExportEdit, ExportMessage};
use confab_domain::admin::{ConversationExport, ExportFormat, ExportHeader};
use confab_domain::ids::{FileId, MessageId, UserId};
use confab_domain::model::FileAttachment;
use confab_domain::time;
use futures::{StreamExt, stream};
use serde::Serialize;
use serde_json::Value;

/// The CSV columns, in order.
pub const CSV_COLUMNS: [&str; 15] = [
    "seq",
    "id",
    "createdAt",
    "senderId",
    "senderName",
    "senderEmail",
    "type",
    "content",
    "editedAt",
    "deletedAt",
    "deletedBy",
    "deleteReason",
    "edits",
    "files",
    "reactions",
];

/// The `Content-Type` of an export in `format` (CSV is declared UTF-8).
pub fn content_type(format: ExportFormat) -> &'static str {
    match format {
        ExportFormat::Json => "application/json",
        ExportFormat::Csv => "text/csv; charset=utf-8",
    }
}

/// The export as a streamed body. A failure half-way is logged and aborts the response
/// (the client sees a truncated transfer, never a body that looks complete).
pub fn body(export: ConversationExport) -> Body {
    let ConversationExport {
        format,
        header,
        batches,
    } = export;
    let head = match format {
        ExportFormat::Json => json_head(&header),
        ExportFormat::Csv => csv_head(),
    };
    let tail = match format {
        ExportFormat::Json => Bytes::from_static(b"]}\n"),
        ExportFormat::Csv => Bytes::new(),
    };
    let mut written = 0usize;
    let messages = batches.map(move |batch| match batch {
        Ok(batch) => {
            let chunk = match format {
                ExportFormat::Json => json_batch(&batch, written == 0),
                ExportFormat::Csv => csv_batch(&batch),
            };
            written += batch.len();
            Ok(chunk)
        }
        Err(error) => {
            tracing::error!(%error, "export failed half-way; aborting the response");
            Err(std::io::Error::other(error.public_message()))
        }
    });
    let chunks = stream::once(async move { Ok(head) })
        .chain(messages)
        .chain(stream::once(async move { Ok(tail) }));
    Body::from_stream(chunks)
}

/// `{"conversation":{...},"participants":[...],"messages":[`
pub fn json_head(header: &ExportHeader) -> Bytes {
    let mut out = b"{\"conversation\":".to_vec();
    push_json(&mut out, &header.conversation);
    out.extend_from_slice(b",\"participants\":");
    push_json(&mut out, &header.participants);
    out.extend_from_slice(b",\"messages\":[");
    Bytes::from(out)
}

/// Appends `value` as JSON. Serialising these plain structs cannot fail; should it, `null`
/// keeps the document valid and the cause is logged.
fn push_json<T: Serialize + ?Sized>(out: &mut Vec<u8>, value: &T) {
    let mark = out.len();
    if let Err(error) = serde_json::to_writer(&mut *out, value) {
        tracing::error!(%error, "could not serialise part of an export");
        out.truncate(mark);
        out.extend_from_slice(b"null");
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonSender<'a> {
    id: UserId,
    name: Option<&'a str>,
    email: Option<&'a str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonEdit<'a> {
    previous_content: &'a str,
    edited_at: String,
    editor_id: UserId,
}

#[derive(Serialize)]
struct JsonFile<'a> {
    id: FileId,
    name: &'a str,
    size: i64,
    #[serde(rename = "type")]
    kind: &'a str,
    url: &'a str,
}

/// One exported message (JSON; the CSV row holds the same facts).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonMessage<'a> {
    seq: i64,
    id: MessageId,
    created_at: String,
    sender: JsonSender<'a>,
    #[serde(rename = "type")]
    kind: &'a str,
    content: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    client_msg_id: Option<&'a str>,
    edited_at: Option<String>,
    deleted_at: Option<String>,
    deleted_by: Option<UserId>,
    delete_reason: Option<&'a str>,
    edits: Vec<JsonEdit<'a>>,
    files: Vec<JsonFile<'a>>,
    reactions: &'a Value,
}

static NO_REACTIONS: std::sync::LazyLock<Value> =
    std::sync::LazyLock::new(|| Value::Object(serde_json::Map::new()));

fn json_message(m: &ExportMessage) -> JsonMessage<'_> {
    let message = &m.message;
    JsonMessage {
        seq: message.seq,
        id: message.id,
        created_at: time::format(&message.created_at),
        sender: JsonSender {
            id: message.sender_id,
            name: m.sender_name.as_deref(),
            email: m.sender_email.as_deref(),
        },
        kind: message.kind.as_str(),
        content: &message.content,
        client_msg_id: message.client_msg_id.as_deref(),
        edited_at: message.edited_at.as_ref().map(time::format),
        deleted_at: message.deleted_at.as_ref().map(time::format),
        deleted_by: m.deleted_by,
        delete_reason: m.delete_reason.as_deref(),
        edits: m.edits.iter().map(json_edit).collect(),
        files: message.files.iter().map(json_file).collect(),
        reactions: message.metadata.get("reactions").unwrap_or(&NO_REACTIONS),
    }
}

fn json_edit(edit: &ExportEdit) -> JsonEdit<'_> {
    JsonEdit {
        previous_content: &edit.previous_content,
        edited_at: time::format(&edit.edited_at),
        editor_id: edit.editor_id,
    }
}

fn json_file(file: &FileAttachment) -> JsonFile<'_> {
    JsonFile {
        id: file.id,
        name: &file.file_name,
        size: file.file_size,
        kind: &file.file_type,
        url: &file.file_url,
    }
}

/// The batch's messages, comma-separated (with a leading comma unless it is the first).
pub fn json_batch(batch: &[ExportMessage], first: bool) -> Bytes {
    let mut out = Vec::with_capacity(batch.len() * 256);
    for (i, message) in batch.iter().enumerate() {
        if i > 0 || !first {
            out.push(b',');
        }
        push_json(&mut out, &json_message(message));
    }
    Bytes::from(out)
}

/// The CSV header row (the column names, CRLF-terminated like every row).
pub fn csv_head() -> Bytes {
    let mut out = String::new();
    row(&mut out, CSV_COLUMNS.iter().map(|c| (*c).to_owned()));
    Bytes::from(out)
}

/// One CSV row per message of the batch, in order.
pub fn csv_batch(batch: &[ExportMessage]) -> Bytes {
    let mut out = String::with_capacity(batch.len() * 256);
    for message in batch {
        row(&mut out, csv_cells(message));
    }
    Bytes::from(out)
}

fn csv_cells(m: &ExportMessage) -> impl Iterator<Item = String> {
    let json = json_message(m);
    [
        json.seq.to_string(),
        json.id.to_string(),
        json.created_at.clone(),
        json.sender.id.to_string(),
        json.sender.name.unwrap_or_default().to_owned(),
        json.sender.email.unwrap_or_default().to_owned(),
        json.kind.to_owned(),
        json.content.to_owned(),
        json.edited_at.clone().unwrap_or_default(),
        json.deleted_at.clone().unwrap_or_default(),
        json.deleted_by.map(|id| id.to_string()).unwrap_or_default(),
        json.delete_reason.unwrap_or_default().to_owned(),
        json_text(&json.edits),
        json_text(&json.files),
        json_text(json.reactions),
    ]
    .into_iter()
}

/// A cell holding JSON (edits, files, reactions).
fn json_text<T: Serialize + ?Sized>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

/// Appends one CSV record and its CRLF.
fn row(out: &mut String, cells: impl Iterator<Item = String>) {
    for (i, value) in cells.enumerate() {
        if i > 0 {
            out.push(',');
        }
        cell(out, &value);
    }
    out.push_str("\r\n");
}

/// One field: neutralised against formula injection, quoted when RFC 4180 requires it.
pub fn cell(out: &mut String, value: &str) {
    let formula = matches!(
        value.chars().next(),
        Some('=' | '+' | '-' | '@' | '\t' | '\r')
    );
    let quoted = value.contains([',', '"', '\r', '\n']);
    if quoted {
        out.push('"');
    }
    if formula {
        out.push('\'');
    }
    for c in value.chars() {
        if c == '"' {
            out.push('"');
        }
        out.push(c);
    }
    if quoted {
        out.push('"');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn csv(value: &str) -> String {
        let mut out = String::new();
        cell(&mut out, value);
        out
    }

    #[test]
    fn fields_are_quoted_only_when_needed_and_quotes_doubled() {
        assert_eq!(csv("plain"), "plain");
        assert_eq!(csv("a,b"), "\"a,b\"");
        assert_eq!(csv("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv("two\nlines"), "\"two\nlines\"");
        assert_eq!(csv("cr\rhere"), "\"cr\rhere\"");
        assert_eq!(csv("héllo 👋"), "héllo 👋");
        assert_eq!(csv(""), "");
    }

    #[test]
    fn formula_prefixes_are_neutralised() {
        assert_eq!(csv("=1+1"), "'=1+1");
        assert_eq!(csv("+1"), "'+1");
        assert_eq!(csv("-1"), "'-1");
        assert_eq!(csv("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(csv("\tx"), "'\tx");
        assert_eq!(csv("\rx"), "\"'\rx\"");
        assert_eq!(
            csv("=HYPERLINK(\"x\",\"y\")"),
            "\"'=HYPERLINK(\"\"x\"\",\"\"y\"\")\""
        );
        assert_eq!(csv("a=b"), "a=b");
    }

    fn message(seq: i64, content: &str) -> ExportMessage {
        let now = chrono::Utc::now();
        ExportMessage {
            message: confab_domain::model::Message {
                id: MessageId::new(),
                conversation_id: confab_domain::ids::ConversationId::new(),
                seq,
                sender_id: UserId::new(),
                content: content.to_owned(),
                kind: confab_domain::model::MessageKind::Text,
                metadata: serde_json::json!({ "reactions": { "👍": [] } }),
                files: vec![],
                client_msg_id: None,
                edited_at: None,
                deleted_at: None,
                created_at: now,
            },
            sender_name: Some("Ann, \"the\" admin".into()),
            sender_email: None,
            deleted_by: None,
            delete_reason: None,
            edits: vec![],
        }
    }

    #[test]
    fn json_pieces_make_one_valid_document_across_batches() {
        let now = chrono::Utc::now();
        let header = ExportHeader {
            conversation: confab_domain::model::Conversation {
                id: confab_domain::ids::ConversationId::new(),
                project_id: confab_domain::ids::ProjectId::new(),
                title: None,
                kind: confab_domain::model::ConversationType::Project,
                status: confab_domain::model::ConversationStatus::Active,
                created_by: None,
                last_seq: 3,
                created_at: now,
                updated_at: now,
            },
            participants: vec![],
        };
        let mut doc = json_head(&header).to_vec();
        doc.extend_from_slice(&json_batch(
            &[message(1, "a"), message(2, "b\n\"c\"")],
            true,
        ));
        doc.extend_from_slice(&json_batch(&[message(3, "d")], false));
        doc.extend_from_slice(b"]}");
        let value: Value = serde_json::from_slice(&doc).unwrap();
        let seqs: Vec<i64> = value["messages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["seq"].as_i64().unwrap())
            .collect();
        assert_eq!(seqs, vec![1, 2, 3]);
        assert_eq!(value["messages"][1]["content"], "b\n\"c\"");
        assert_eq!(
            value["messages"][0]["reactions"],
            serde_json::json!({ "👍": [] })
        );
        assert_eq!(value["participants"], serde_json::json!([]));
    }

    #[test]
    fn a_csv_row_has_every_column_once() {
        let csv = String::from_utf8(csv_batch(&[message(1, "x,y")]).to_vec()).unwrap();
        assert!(csv.ends_with("\r\n"));
        assert!(csv.contains(",\"Ann, \"\"the\"\" admin\","));
        assert!(csv.contains(",text,\"x,y\","));
        assert!(csv.trim_end().ends_with(",[],[],\"{\"\"👍\"\":[]}\""));
    }

    #[test]
    fn the_header_row_names_every_column() {
        let head = csv_head();
        assert_eq!(
            std::str::from_utf8(&head).unwrap(),
            format!("{}\r\n", CSV_COLUMNS.join(","))
        );
    }
}
