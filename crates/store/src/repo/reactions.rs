//! Reactions, kept in the message's metadata as `{"reactions": {"<emoji>": [userId, ...]}}`.

use confab_domain::Error;
use confab_domain::ids::{MessageId, UserId};
use confab_domain::model::Message;
use sea_orm::{ConnectionTrait, EntityTrait};

use crate::scoped::Db;
use serde_json::{Map, Value};

use super::files::one_with_files;
use super::messages::lock;
use super::sql::{abort, begin_write, stmt};
use crate::entity::message;
use crate::error::{Failure, Outcome, not_found};

/// Adds or removes `user`'s `emoji`; `None` when that changes nothing. A new emoji on a
/// message that carries `max_emoji` distinct ones already (0: no cap) is refused with
/// `too_many_reactions`, under the same lock as the write, so racing reactions cannot pass
/// the cap together.
///
/// A read-modify-write of the JSON: the transaction's first statement is a write on the row
/// (the row lock on PostgreSQL, the write lock on SQLite), so concurrent reactions queue
/// instead of overwriting each other.
pub(crate) async fn set(
    db: &Db,
    id: MessageId,
    user: UserId,
    emoji: &str,
    present: bool,
    max_emoji: u32,
) -> Outcome<Option<Message>> {
    let txn = begin_write(db).await?;
    if !lock(&txn, id).await? {
        return abort(txn, not_found("message")).await;
    }
    let Some(mut row) = message::Entity::find_by_id(id.as_uuid()).one(&txn).await? else {
        return abort(txn, not_found("message")).await;
    };
    if present && over_cap(&row.metadata, emoji, max_emoji) {
        return abort(txn, Failure::Domain(Error::too_many_reactions(max_emoji))).await;
    }
    if !apply(&mut row.metadata, emoji, &user.to_string(), present) {
        txn.rollback().await?;
        return Ok(None);
    }
    let sql = "UPDATE messages SET metadata = $2 WHERE id = $1";
    let values = [id.as_uuid().into(), row.metadata.clone().into()];
    txn.execute_raw(stmt(&txn, sql, values)).await?;
    let message = one_with_files(&txn, row).await?;
    txn.commit().await?;
    Ok(Some(message))
}

/// Whether adding `emoji` would take the message past `max` distinct emoji (0: no cap).
fn over_cap(metadata: &Value, emoji: &str, max: u32) -> bool {
    let Some(Value::Object(reactions)) = metadata.get("reactions") else {
        return false;
    };
    let distinct = reactions.len();
    max > 0 && !reactions.contains_key(emoji) && distinct >= usize::try_from(max).unwrap_or(0)
}

/// Changes `metadata` in place; `false` when the reaction was already as asked. User ids stay
/// in the order they reacted, once each; an emoji nobody uses any more disappears. Parts of
/// the metadata that are not the expected shape are replaced.
fn apply(metadata: &mut Value, emoji: &str, user: &str, present: bool) -> bool {
    let mut fields = match metadata.take() {
        Value::Object(fields) => fields,
        _ => Map::new(),
    };
    let mut reactions = match fields.remove("reactions") {
        Some(Value::Object(reactions)) => reactions,
        _ => Map::new(),
    };
    let mut users = match reactions.remove(emoji) {
        Some(Value::Array(users)) => users,
        _ => Vec::new(),
    };
    let position = users.iter().position(|id| id.as_str() == Some(user));
    let changed = match (present, position) {
        (true, None) => {
            users.push(Value::String(user.to_owned()));
            true
        }
        (false, Some(index)) => {
            users.remove(index);
            true
        }
        _ => false,
    };
    if !users.is_empty() {
        reactions.insert(emoji.to_owned(), Value::Array(users));
    }
    fields.insert("reactions".to_owned(), Value::Object(reactions));
    *metadata = Value::Object(fields);
    changed
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reactions_keep_order_and_never_duplicate() {
        let mut metadata = json!({});
        assert!(apply(&mut metadata, "👍", "a", true));
        assert!(apply(&mut metadata, "👍", "b", true));
        assert!(!apply(&mut metadata, "👍", "a", true));
        assert_eq!(metadata, json!({"reactions": {"👍": ["a", "b"]}}));
    }

    #[test]
    fn removing_the_last_reaction_drops_the_emoji() {
        let mut metadata = json!({"reactions": {"👍": ["a"], "🎉": ["b"]}, "other": 1});
        assert!(apply(&mut metadata, "👍", "a", false));
        assert!(!apply(&mut metadata, "👍", "a", false));
        assert_eq!(metadata, json!({"reactions": {"🎉": ["b"]}, "other": 1}));
    }

    #[test]
    fn the_cap_counts_distinct_emoji_and_lets_existing_ones_grow() {
        let metadata = json!({"reactions": {"👍": ["a"], "🎉": ["b"]}});
        assert!(over_cap(&metadata, "🚀", 2));
        assert!(!over_cap(&metadata, "👍", 2), "joining an emoji adds none");
        assert!(!over_cap(&metadata, "🚀", 3));
        assert!(!over_cap(&metadata, "🚀", 0), "0: no cap");
        assert!(!over_cap(&json!({}), "🚀", 1));
    }

    #[test]
    fn removing_an_absent_reaction_changes_nothing() {
        let mut metadata = json!({});
        assert!(!apply(&mut metadata, "👍", "a", false));
        assert_eq!(metadata, json!({"reactions": {}}));
    }
}
