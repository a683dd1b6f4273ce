//! From the seed's values to confab's: enum values confab knows, reactions in confab's
//! metadata shape, edit history out of the metadata into `message_edits`.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};
use uuid::Uuid;

/// `value` when it is one of `known`, else `fallback`; the flag says a value was replaced.
pub fn one_of(
    value: Option<&str>,
    known: &[&'static str],
    fallback: &'static str,
) -> (String, bool) {
    match value.map(str::trim) {
        None | Some("") => (fallback.to_owned(), false),
        Some(v) => match known.iter().find(|k| k.eq_ignore_ascii_case(v)) {
            Some(k) => ((*k).to_owned(), false),
            None => (fallback.to_owned(), true),
        },
    }
}

/// The message types confab knows; the import replaces others with `text`.
pub const MESSAGE_TYPES: &[&str] = &["text", "file", "system"];
/// The conversation types confab knows; the import replaces others with `project`.
pub const CONVERSATION_TYPES: &[&str] = &["project", "support", "announcement"];
/// The conversation statuses confab knows; the import replaces others with `active`.
pub const CONVERSATION_STATUSES: &[&str] = &["active", "archived", "locked"];
/// The participant roles confab knows; the import replaces others with `member`.
pub const PARTICIPANT_ROLES: &[&str] = &["owner", "admin", "member"];
/// The report statuses confab knows; the import replaces others with `pending`.
pub const REPORT_STATUSES: &[&str] = &["pending", "reviewed", "resolved"];

/// At most `max` characters (the seed's `VARCHAR(n)` are in characters too).
pub fn truncate(text: &str, max: usize) -> String {
    text.chars().take(max).collect()
}

/// One entry of a message's edit history: the content before that edit.
#[derive(Debug, PartialEq)]
pub struct Edit {
    /// The message's content before this edit.
    pub previous_content: String,
    /// When the edit was made; `None` when the seed did not record it.
    pub edited_at: Option<DateTime<Utc>>,
    /// Who made the edit; `None` when the seed did not record it.
    pub editor: Option<Uuid>,
}

/// A message's metadata as confab keeps it, and the edit history taken out of it.
#[derive(Debug, PartialEq)]
pub struct Metadata {
    /// The metadata to store: reactions normalized, edit history removed, other keys unchanged.
    pub metadata: Value,
    /// The edit history taken out of the metadata, oldest first (undated entries first).
    pub edits: Vec<Edit>,
}

const EDIT_KEYS: &[&str] = &["edits", "edit_history", "editHistory"];

/// Reactions become `{"reactions": {"<emoji>": ["<user id>", ...]}}` from any of
/// `{emoji: [ids]}`, `{emoji: {users: [ids]}}`, `[{emoji, user_id}]` or `[{emoji, users}]`
/// (user ids as strings or `{id}`/`{user_id}` objects); edits (`edits`, `edit_history`) move
/// to the history; other keys stay as they are.
pub fn metadata(source: Option<Value>) -> Metadata {
    let mut fields = match source {
        Some(Value::Object(fields)) => fields,
        _ => Map::new(),
    };
    let mut edits = Vec::new();
    for key in EDIT_KEYS {
        if let Some(Value::Array(entries)) = fields.remove(*key) {
            edits.extend(entries.iter().filter_map(edit));
        }
    }
    if let Some(reactions) = fields.remove("reactions") {
        let reactions = normalize_reactions(&reactions);
        if !reactions.is_empty() {
            fields.insert("reactions".to_owned(), Value::Object(reactions));
        }
    }
    edits.sort_by_key(|e| e.edited_at);
    Metadata {
        metadata: Value::Object(fields),
        edits,
    }
}

fn normalize_reactions(reactions: &Value) -> Map<String, Value> {
    let mut out: Map<String, Value> = Map::new();
    let mut add = |emoji: &str, users: Vec<String>| {
        let Value::Array(list) = out
            .entry(emoji.to_owned())
            .or_insert_with(|| Value::Array(Vec::new()))
        else {
            return;
        };
        for user in users {
            if !list.iter().any(|u| u.as_str() == Some(user.as_str())) {
                list.push(Value::String(user));
            }
        }
    };
    match reactions {
        Value::Object(by_emoji) => {
            for (emoji, users) in by_emoji {
                let users = match users {
                    Value::Object(o) => o.get("users").or_else(|| o.get("userIds")),
                    other => Some(other),
                };
                add(emoji, users.map(user_list).unwrap_or_default());
            }
        }
        Value::Array(entries) => {
            for entry in entries {
                let Some(emoji) = field(entry, &["emoji", "reaction"]).and_then(Value::as_str)
                else {
                    continue;
                };
                let users = match field(entry, &["users", "userIds", "user_ids"]) {
                    Some(users) => user_list(users),
                    None => user_list(entry),
                };
                add(emoji, users);
            }
        }
        _ => {}
    }
    out.retain(|_, users| users.as_array().is_some_and(|u| !u.is_empty()));
    out
}

/// User ids from a list of ids or `{id}` objects, or from one such value.
fn user_list(value: &Value) -> Vec<String> {
    match value {
        Value::Array(items) => items.iter().filter_map(user_id).collect(),
        other => user_id(other).into_iter().collect(),
    }
}

fn user_id(value: &Value) -> Option<String> {
    let id = match value {
        Value::String(s) => s.as_str(),
        Value::Object(_) => field(value, &["user_id", "userId", "id"])?.as_str()?,
        _ => return None,
    };
    Uuid::parse_str(id).ok().map(|u| u.to_string())
}

fn field<'a>(value: &'a Value, names: &[&str]) -> Option<&'a Value> {
    names.iter().find_map(|n| value.get(*n))
}

fn edit(entry: &Value) -> Option<Edit> {
    let previous_content = field(
        entry,
        &[
            "previous_content",
            "previousContent",
            "old_content",
            "content",
            "text",
        ],
    )?
    .as_str()?
    .to_owned();
    let edited_at = field(entry, &["edited_at", "editedAt", "at", "timestamp"])
        .and_then(Value::as_str)
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.with_timezone(&Utc));
    let editor = field(entry, &["edited_by", "editedBy", "editor_id", "user_id"])
        .and_then(Value::as_str)
        .and_then(|u| Uuid::parse_str(u).ok());
    Some(Edit {
        previous_content,
        edited_at,
        editor,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const A: &str = "11111111-1111-4111-8111-111111111111";
    const B: &str = "22222222-2222-4222-8222-222222222222";

    #[test]
    fn reactions_in_every_seed_shape_become_confabs() {
        let expected = json!({"reactions": {"👍": [A, B], "🎉": [B]}});
        for reactions in [
            json!({"👍": [A, B], "🎉": [B]}),
            json!({"👍": {"count": 2, "users": [A, B]}, "🎉": {"users": [{"id": B}]}}),
            json!([{"emoji": "👍", "user_id": A}, {"emoji": "👍", "userId": B},
                   {"emoji": "🎉", "user_id": B}, {"emoji": "👍", "user_id": A}]),
            json!([{"emoji": "👍", "users": [A, B]}, {"emoji": "🎉", "users": [B]}]),
        ] {
            let out = metadata(Some(json!({ "reactions": reactions })));
            assert_eq!(out.metadata, expected);
        }
    }

    #[test]
    fn edits_leave_the_metadata_for_the_history_in_time_order() {
        let out = metadata(Some(json!({
            "edits": [
                {"content": "second", "edited_at": "2025-01-02T00:00:00Z", "edited_by": A},
                {"previous_content": "first", "editedAt": "2025-01-01T00:00:00Z"},
                {"no": "content"}
            ],
            "pinned": true
        })));
        assert_eq!(out.metadata, json!({"pinned": true}));
        let contents: Vec<&str> = out
            .edits
            .iter()
            .map(|e| e.previous_content.as_str())
            .collect();
        assert_eq!(contents, ["first", "second"]);
        assert_eq!(out.edits[1].editor, Some(Uuid::parse_str(A).unwrap()));
    }

    #[test]
    fn unknown_values_fall_back_and_say_so() {
        assert_eq!(
            one_of(Some("FILE"), MESSAGE_TYPES, "text"),
            ("file".into(), false)
        );
        assert_eq!(
            one_of(Some("image"), MESSAGE_TYPES, "text"),
            ("text".into(), true)
        );
        assert_eq!(one_of(None, MESSAGE_TYPES, "text"), ("text".into(), false));
    }

    #[test]
    fn nothing_odd_in_the_metadata_survives_as_reactions() {
        let out = metadata(Some(json!({"reactions": "lots", "x": 1})));
        assert_eq!(out.metadata, json!({"x": 1}));
        assert_eq!(metadata(None).metadata, json!({}));
    }
}
