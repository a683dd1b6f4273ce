//! The conversation export writers (CSV and JSON) on messages whose text fields come from
//! the fuzzer. Invariants: the JSON pieces make one valid document holding every field as
//! given; each CSV batch parses back (RFC 4180) into one 15-column record per message whose
//! cells are the fields, with only the formula-neutralising `'` added.
#![no_main]

use chrono::{DateTime, Utc};
use confab_domain::admin::export::{ExportEdit, ExportMessage};
use confab_domain::ids::{ConversationId, FileId, MessageId, UserId};
use confab_domain::model::{FileAttachment, Message, MessageKind};
use confab_fuzz::Bytes;
use confab_fuzz::export::{CSV_COLUMNS, csv_batch, json_batch};
use libfuzzer_sys::fuzz_target;

fn message(input: &mut Bytes<'_>, at: DateTime<Utc>) -> ExportMessage {
    let content = input.string(200);
    let seq = input.i64();
    let reactions = if input.bool() {
        serde_json::json!({ "reactions": { input.string(16): [input.string(16)] } })
    } else {
        serde_json::json!({})
    };
    let files = (0..input.byte() % 3)
        .map(|_| FileAttachment {
            id: FileId::new(),
            file_name: input.string(40),
            file_size: input.i64(),
            file_type: input.string(20),
            file_url: input.string(40),
        })
        .collect();
    let edits = (0..input.byte() % 3)
        .map(|_| ExportEdit {
            previous_content: input.string(60),
            edited_at: at,
            editor_id: UserId::new(),
        })
        .collect();
    ExportMessage {
        message: Message {
            id: MessageId::new(),
            conversation_id: ConversationId::new(),
            seq,
            sender_id: UserId::new(),
            content,
            kind: if input.bool() {
                MessageKind::Text
            } else {
                MessageKind::File
            },
            metadata: reactions,
            files,
            client_msg_id: input.bool().then(|| input.string(40)),
            edited_at: input.bool().then_some(at),
            deleted_at: input.bool().then_some(at),
            created_at: at,
        },
        sender_name: input.bool().then(|| input.string(40)),
        sender_email: input.bool().then(|| input.string(40)),
        deleted_by: input.bool().then(UserId::new),
        delete_reason: input.bool().then(|| input.string(40)),
        edits,
    }
}

/// RFC 4180 records (CRLF-terminated; quoted fields may hold commas, quotes and line breaks).
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut records = Vec::new();
    let mut record = Vec::new();
    let mut field = String::new();
    let mut chars = text.chars().peekable();
    let mut quoted = false;
    let mut at_start = true;
    while let Some(c) = chars.next() {
        if quoted {
            if c == '"' {
                if chars.peek() == Some(&'"') {
                    chars.next();
                    field.push('"');
                } else {
                    quoted = false;
                }
            } else {
                field.push(c);
            }
            continue;
        }
        match c {
            '"' if at_start => {
                quoted = true;
                at_start = false;
            }
            ',' => {
                record.push(std::mem::take(&mut field));
                at_start = true;
            }
            '\r' if chars.peek() == Some(&'\n') => {
                chars.next();
                record.push(std::mem::take(&mut field));
                records.push(std::mem::take(&mut record));
                at_start = true;
            }
            _ => {
                assert!(c != '"', "a bare quote in an unquoted field: {text:?}");
                assert!(
                    c != '\r' && c != '\n',
                    "a bare line break in an unquoted field: {text:?}"
                );
                field.push(c);
                at_start = false;
            }
        }
    }
    assert!(!quoted, "an unterminated quoted field: {text:?}");
    assert!(
        field.is_empty() && record.is_empty(),
        "a record without CRLF: {text:?}"
    );
    records
}

/// What a cell should read once parsed: the value, with `'` before a formula-like start.
fn neutralised(value: &str) -> String {
    if matches!(
        value.chars().next(),
        Some('=' | '+' | '-' | '@' | '\t' | '\r')
    ) {
        format!("'{value}")
    } else {
        value.to_owned()
    }
}

fuzz_target!(|data: &[u8]| {
    let mut input = Bytes(data);
    let at = DateTime::<Utc>::from_timestamp(1_700_000_000, 0).unwrap_or_default();
    let count = usize::from(input.byte() % 4) + 1;
    let batch: Vec<ExportMessage> = (0..count).map(|_| message(&mut input, at)).collect();

    let mut doc = b"[".to_vec();
    doc.extend_from_slice(&json_batch(&batch[..1], true));
    doc.extend_from_slice(&json_batch(&batch[1..], false));
    doc.push(b']');
    let parsed: serde_json::Value = serde_json::from_slice(&doc).expect("the JSON export parses");
    let messages = parsed.as_array().expect("an array");
    assert_eq!(messages.len(), batch.len());
    for (json, m) in messages.iter().zip(&batch) {
        assert_eq!(json["content"], m.message.content.as_str());
        assert_eq!(json["seq"], m.message.seq);
        assert_eq!(json["sender"]["name"].as_str(), m.sender_name.as_deref());
        assert_eq!(json["edits"].as_array().map(Vec::len), Some(m.edits.len()));
        assert_eq!(
            json["files"].as_array().map(Vec::len),
            Some(m.message.files.len())
        );
    }

    let csv = String::from_utf8(csv_batch(&batch).to_vec()).expect("the CSV export is UTF-8");
    let records = parse_csv(&csv);
    assert_eq!(records.len(), batch.len(), "{csv:?}");
    for (record, m) in records.iter().zip(&batch) {
        assert_eq!(record.len(), CSV_COLUMNS.len(), "{csv:?}");
        assert_eq!(record[0], neutralised(&m.message.seq.to_string()));
        assert_eq!(record[7], neutralised(&m.message.content), "{csv:?}");
        assert_eq!(
            record[4],
            neutralised(m.sender_name.as_deref().unwrap_or_default())
        );
        let edits: serde_json::Value = serde_json::from_str(&record[12]).expect("edits are JSON");
        assert_eq!(edits.as_array().map(Vec::len), Some(m.edits.len()));
    }
    let _ = input.rest();
});
