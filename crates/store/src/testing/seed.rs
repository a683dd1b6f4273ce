//! Test data written straight into the tables, fast and with chosen timestamps (the API
//! always stamps "now"), and an independent computation of the analytics definitions to
//! check the store's against. Panics on failure: it serves tests only.

use std::collections::{BTreeMap, HashSet};

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{ConnectionTrait, Statement, Value};
use uuid::Uuid;

use crate::Database;

/// A message to insert as is.
#[derive(Clone, Debug, PartialEq)]
pub struct SeedMessage {
    /// Primary key of the `messages` row.
    pub id: Uuid,
    /// The conversation it goes into; that conversation must exist.
    pub conversation_id: Uuid,
    /// Position in the conversation; must be unique within it. The conversation's `last_seq`
    /// is raised to the highest seeded `seq`.
    pub seq: i64,
    /// The author; must already have a `users` row.
    pub sender_id: Uuid,
    /// The text. Seeded messages are always of type `text`, with the default metadata.
    pub content: String,
    /// Stored as given, so a test can place messages in the past.
    pub created_at: DateTime<Utc>,
}

/// Rows per `INSERT` statement (7 parameters each, far below either backend's limit).
const ROWS_PER_STATEMENT: usize = 1000;

fn statement(db: &Database, sql: String, values: Vec<Value>) -> Statement {
    Statement::from_sql_and_values(db.connection().get_database_backend(), sql, values)
}

/// Inserts `messages` (in batches of multi-row `INSERT`s, one transaction), then sets each
/// touched conversation's `last_seq` to its highest `seq`. Senders must have user rows.
pub async fn insert_messages(db: &Database, messages: &[SeedMessage]) {
    let txn = db
        .connection()
        .begin()
        .await
        .unwrap_or_else(|e| panic!("begin: {e}"));
    for chunk in messages.chunks(ROWS_PER_STATEMENT) {
        let mut values = Vec::with_capacity(chunk.len() * 7);
        let rows: Vec<String> = chunk
            .iter()
            .enumerate()
            .map(|(i, m)| {
                values.extend([
                    m.id.into(),
                    m.conversation_id.into(),
                    m.seq.into(),
                    m.sender_id.into(),
                    m.content.clone().into(),
                    "text".into(),
                    m.created_at.into(),
                ]);
                let n = i * 7;
                format!(
                    "(${}, ${}, ${}, ${}, ${}, ${}, ${})",
                    n + 1,
                    n + 2,
                    n + 3,
                    n + 4,
                    n + 5,
                    n + 6,
                    n + 7
                )
            })
            .collect();
        let sql = format!(
            "INSERT INTO messages (id, conversation_id, seq, sender_id, content, type, created_at) \
             VALUES {}",
            rows.join(", ")
        );
        txn.execute_raw(statement(db, sql, values))
            .await
            .unwrap_or_else(|e| panic!("inserting messages: {e}"));
    }
    let conversations: HashSet<Uuid> = messages.iter().map(|m| m.conversation_id).collect();
    for conversation in conversations {
        let sql = "UPDATE conversations SET last_seq = \
                     (SELECT COALESCE(MAX(seq), 0) FROM messages WHERE conversation_id = $1) \
                   WHERE id = $1";
        txn.execute_raw(statement(db, sql.to_owned(), vec![conversation.into()]))
            .await
            .unwrap_or_else(|e| panic!("updating last_seq: {e}"));
    }
    txn.commit().await.unwrap_or_else(|e| panic!("commit: {e}"));
}

/// The analytics of a window `[from, to)`, computed the slow, obvious way: every message of
/// the project with the first later message (by `seq`) of another sender, found by a
/// correlated subquery; times compared in Rust.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OracleTotals {
    /// Messages created in the window.
    pub messages: i64,
    /// Messages whose response falls in the window. A message's response is the first later
    /// message (by `seq`) from another sender; only the response's `created_at` is checked.
    pub responses: i64,
    /// Sum of those responses' delays in microseconds (a negative delay counts as 0); divide
    /// by `responses` for the mean.
    pub response_micros: i64,
    /// Distinct conversations with at least one message created in the window.
    pub active_conversations: i64,
    /// Messages in the window per UTC day of `created_at`; days without messages are absent.
    pub by_day: BTreeMap<NaiveDate, i64>,
}

/// Computes [`OracleTotals`] for the window `[from, to)` over one project's conversations
/// (`Some`) or every project's (`None`). Panics if the query fails.
pub async fn analytics_oracle(
    db: &Database,
    project: Option<Uuid>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> OracleTotals {
    let (filter, values) = match project {
        Some(project) => ("WHERE c.project_id = $1", vec![project.into()]),
        None => ("", Vec::new()),
    };
    let sql = format!(
        "SELECT m.conversation_id, m.created_at, \
           (SELECT r.created_at FROM messages r \
             WHERE r.conversation_id = m.conversation_id AND r.seq = ( \
               SELECT MIN(y.seq) FROM messages y \
               WHERE y.conversation_id = m.conversation_id AND y.seq > m.seq \
                 AND y.sender_id <> m.sender_id)) AS response_at \
         FROM messages m JOIN conversations c ON c.id = m.conversation_id {filter}"
    );
    let rows = db
        .connection()
        .query_all_raw(statement(db, sql, values))
        .await
        .unwrap_or_else(|e| panic!("oracle query: {e}"));
    let mut totals = OracleTotals::default();
    let mut active = HashSet::new();
    for row in rows {
        let conversation: Uuid = row.try_get("", "conversation_id").unwrap_or_default();
        let created_at: DateTime<Utc> = row
            .try_get("", "created_at")
            .unwrap_or_else(|e| panic!("created_at: {e}"));
        let response_at: Option<DateTime<Utc>> = row
            .try_get("", "response_at")
            .unwrap_or_else(|e| panic!("response_at: {e}"));
        if created_at >= from && created_at < to {
            totals.messages += 1;
            *totals.by_day.entry(created_at.date_naive()).or_default() += 1;
            active.insert(conversation);
        }
        if let Some(response_at) = response_at
            && response_at >= from
            && response_at < to
        {
            totals.responses += 1;
            totals.response_micros += (response_at - created_at)
                .num_microseconds()
                .unwrap_or(0)
                .max(0);
        }
    }
    totals.active_conversations = i64::try_from(active.len()).unwrap_or(i64::MAX);
    totals
}

/// An upload, not yet attached to a message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeedFile {
    /// Primary key of the `message_files` row.
    pub id: Uuid,
    /// The conversation it was uploaded to; that conversation must exist.
    pub conversation_id: Uuid,
    /// Who uploaded it; only they may attach it to a message.
    pub uploader_id: Uuid,
    /// The name clients see, stored as given (not sanitised here).
    pub file_name: String,
    /// Size in bytes (nothing checks it: no bytes are stored).
    pub file_size: i64,
    /// The MIME type, stored as given.
    pub file_type: String,
    /// Where clients would download it, stored as given. The storage path is `seed/<id>`.
    pub file_url: String,
}

/// Records an upload as the upload route would (the bytes are not stored anywhere).
pub async fn insert_file(db: &Database, file: &SeedFile) {
    let sql = "INSERT INTO message_files (id, message_id, conversation_id, uploader_id, \
                 file_name, file_size, file_type, file_url, storage_path, created_at) \
               VALUES ($1, NULL, $2, $3, $4, $5, $6, $7, $8, $9)";
    let values = vec![
        file.id.into(),
        file.conversation_id.into(),
        file.uploader_id.into(),
        file.file_name.clone().into(),
        file.file_size.into(),
        file.file_type.clone().into(),
        file.file_url.clone().into(),
        format!("seed/{}", file.id).into(),
        confab_domain::time::truncate_micros(Utc::now()).into(),
    ];
    db.connection()
        .execute_raw(statement(db, sql.to_owned(), values))
        .await
        .unwrap_or_else(|e| panic!("inserting a file: {e}"));
}

/// When the PostgreSQL analytics view was last refreshed (`None`: never, or SQLite).
pub async fn analytics_refreshed_at(db: &Database) -> Option<DateTime<Utc>> {
    if db.backend() != crate::Backend::Postgres {
        return None;
    }
    let sql = "SELECT refreshed_at FROM analytics_refresh WHERE id = 1";
    db.connection()
        .query_one_raw(statement(db, sql.to_owned(), Vec::new()))
        .await
        .unwrap_or_else(|e| panic!("reading analytics_refresh: {e}"))
        .and_then(|row| {
            row.try_get::<Option<DateTime<Utc>>>("", "refreshed_at")
                .ok()
        })
        .flatten()
}
