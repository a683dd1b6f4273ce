//! Full-text search inside one conversation: stemmed, best match first, highlighted with
//! `<mark>`, deleted messages left out. The one place the two dialects differ.
//!
//! Highlights are HTML: the content escaped, with `<mark>`...`</mark>` around matches and
//! nothing else. Both `ts_headline` and FTS5 `highlight()` return the raw content with
//! whatever markers they are given, so they are given markers unique to the query
//! ([`Markers`]), the result is escaped, and only then do the markers become tags.
//!
//! PostgreSQL: `websearch_to_tsquery` (never a syntax error, whatever the user typed) against
//! the generated `search_tsv` column. SQLite: FTS5 `MATCH` with the user's words turned into
//! quoted string tokens, so quotes, parentheses and operators (`OR`, `NEAR(`) in the input
//! are just text; the porter tokenizer stems both sides.

use std::collections::HashMap;

use confab_domain::ids::ConversationId;
use confab_domain::model::SearchHit;
use sea_orm::{ConnectionTrait, DbBackend, FromQueryResult, QueryResult};

use crate::scoped::Db;

use super::convert::MESSAGE_COLUMNS;
use super::files::with_files;
use super::sql::stmt;
use crate::entity::message;
use crate::error::Outcome;

const POSTGRES: &str = "SELECT {COLUMNS}, \
        ts_rank(m.search_tsv, q)::float8 AS rank, \
        ts_headline('english', m.content, q, $4) AS highlight \
    FROM messages m, websearch_to_tsquery('english', $2) q \
    WHERE m.conversation_id = $1 AND m.deleted_at IS NULL AND m.search_tsv @@ q \
    ORDER BY rank DESC, m.seq DESC \
    LIMIT $3";

/// bm25 is lower for better matches; negated so a higher `rank` is better on both backends.
const SQLITE: &str = "SELECT {COLUMNS}, \
        -bm25(messages_fts) AS rank, \
        highlight(messages_fts, 0, $4, $5) AS highlight \
    FROM messages_fts JOIN messages m ON m.rowid = messages_fts.rowid \
    WHERE messages_fts MATCH $2 AND m.conversation_id = $1 AND m.deleted_at IS NULL \
    ORDER BY rank DESC, m.seq DESC \
    LIMIT $3";

pub(crate) async fn search(
    db: &Db,
    conversation: ConversationId,
    query: &str,
    limit: u32,
) -> Outcome<Vec<SearchHit>> {
    let (template, query) = match db.get_database_backend() {
        DbBackend::Sqlite => (SQLITE, fts5_query(query)),
        _ => (POSTGRES, query.trim().to_owned()),
    };
    if query.is_empty() {
        return Ok(Vec::new());
    }
    let sql = template.replace("{COLUMNS}", MESSAGE_COLUMNS);
    let markers = Markers::new();
    let mut values = vec![
        conversation.as_uuid().into(),
        query.into(),
        i64::from(limit).into(),
    ];
    match db.get_database_backend() {
        DbBackend::Sqlite => {
            values.push(markers.start.clone().into());
            values.push(markers.stop.clone().into());
        }
        _ => values.push(markers.headline_options().into()),
    }
    let rows = db.query_all_raw(stmt(db, sql, values)).await?;
    hits(db, &rows, &markers).await
}

/// Match markers for one query: a letter and 32 random hex digits, so no content can hold
/// them (and escaping leaves them alone). A marker cannot straddle content and an inserted
/// marker either: markers start with an upper-case letter that is not a hex digit.
struct Markers {
    start: String,
    stop: String,
}

impl Markers {
    fn new() -> Self {
        let nonce = uuid::Uuid::new_v4().simple();
        Self {
            start: format!("S{nonce}"),
            stop: format!("E{nonce}"),
        }
    }

    /// `ts_headline`'s options with these markers.
    fn headline_options(&self) -> String {
        format!(
            "StartSel={}, StopSel={}, MaxFragments=2",
            self.start, self.stop
        )
    }

    /// The highlighted content as safe HTML: escaped, then the markers made `<mark>` tags.
    fn render(&self, highlighted: &str) -> String {
        escape_html(highlighted)
            .replace(&self.start, "<mark>")
            .replace(&self.stop, "</mark>")
    }
}

/// Text as HTML text content (and safe inside a quoted attribute).
fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

async fn hits(db: &Db, rows: &[QueryResult], markers: &Markers) -> Outcome<Vec<SearchHit>> {
    let mut scores = HashMap::with_capacity(rows.len());
    let mut models = Vec::with_capacity(rows.len());
    for row in rows {
        let model = message::Model::from_query_result(row, "")?;
        let rank: f64 = row.try_get("", "rank")?;
        let highlight: String = row.try_get("", "highlight")?;
        scores.insert(model.id, (rank, markers.render(&highlight)));
        models.push(model);
    }
    let messages = with_files(db, models).await?;
    Ok(messages
        .into_iter()
        .filter_map(|message| {
            let (rank, highlight) = scores.remove(&message.id.as_uuid())?;
            Some(SearchHit {
                message,
                highlight,
                rank,
            })
        })
        .collect())
}

/// The user's words as FTS5 string tokens (`"run" "fast"`: all must match). Embedded
/// quotes are doubled, as FTS5 strings want; words with no letter or digit are dropped, since
/// the tokenizer would find nothing in them.
fn fts5_query(input: &str) -> String {
    input
        .split_whitespace()
        .filter(|word| word.chars().any(char::is_alphanumeric))
        .map(|word| format!("\"{}\"", word.replace('"', "\"\"")))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn highlights_escape_the_content_and_mark_only_the_matches() {
        let markers = Markers::new();
        let raw = format!(
            "<img src=x onerror=\"alert('1')\"> & {}zebrafish{} <mark>fake</mark>",
            markers.start, markers.stop
        );
        assert_eq!(
            markers.render(&raw),
            "&lt;img src=x onerror=&quot;alert(&#39;1&#39;)&quot;&gt; &amp; \
             <mark>zebrafish</mark> &lt;mark&gt;fake&lt;/mark&gt;"
        );
    }

    #[test]
    fn user_words_become_quoted_tokens() {
        assert_eq!(fts5_query("run fast"), r#""run" "fast""#);
        assert_eq!(fts5_query(r#""a" OR ("#), r#""""a""" "OR""#);
        assert_eq!(fts5_query("NEAR("), r#""NEAR(""#);
        assert_eq!(fts5_query("  ( ) * "), "");
    }
}
