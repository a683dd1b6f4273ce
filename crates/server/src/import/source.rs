//! Reading the seed stack's PostgreSQL: its tables as the seed design defines them, in a
//! schema of the user's choice, checked before anything is written.

use std::collections::{BTreeSet, HashSet};
use std::time::Duration;

use anyhow::{Context, bail};
use chrono::{DateTime, Utc};
use sea_orm::{
    ConnectOptions, ConnectionTrait, DatabaseConnection, DbBackend, QueryResult, Statement, Value,
};
use uuid::Uuid;

/// Tables the import cannot do without, and the columns it reads from each.
const REQUIRED: &[(&str, &[&str])] = &[
    ("projects", &["id"]),
    (
        "conversations",
        &[
            "id",
            "project_id",
            "title",
            "type",
            "status",
            "created_at",
            "updated_at",
            "created_by",
        ],
    ),
    (
        "conversation_participants",
        &[
            "conversation_id",
            "user_id",
            "role",
            "joined_at",
            "left_at",
            "notifications_enabled",
            "last_read_at",
        ],
    ),
    (
        "messages",
        &[
            "id",
            "conversation_id",
            "sender_id",
            "content",
            "type",
            "metadata",
            "edited_at",
            "deleted_at",
            "created_at",
        ],
    ),
];

/// Tables imported when present.
const OPTIONAL: &[(&str, &[&str])] = &[
    ("users", &["id"]),
    (
        "message_files",
        &[
            "id",
            "message_id",
            "file_name",
            "file_size",
            "file_type",
            "file_url",
            "storage_path",
            "created_at",
        ],
    ),
    (
        "message_read_receipts",
        &["message_id", "user_id", "read_at"],
    ),
    ("message_reports", REPORT_COLUMNS),
];

/// The columns of a message report: the seed's `message_reports` and confab's have the same.
pub(super) const REPORT_COLUMNS: &[&str] = &[
    "id",
    "message_id",
    "reported_by",
    "reason",
    "description",
    "status",
    "resolved_by",
    "resolved_at",
    "created_at",
];

/// The open source database and what it holds.
pub(super) struct Source {
    db: DatabaseConnection,
    /// `"schema"`, quoted for SQL.
    schema: String,
    tables: HashSet<String>,
    user_columns: HashSet<String>,
    project_columns: HashSet<String>,
}

pub(super) struct SrcUser {
    pub id: Uuid,
    pub email: Option<String>,
    pub name: Option<String>,
    pub created_at: Option<DateTime<Utc>>,
}

pub(super) struct SrcProject {
    pub id: Uuid,
    pub name: Option<String>,
    pub created_by: Option<Uuid>,
    pub created_at: Option<DateTime<Utc>>,
}

pub(super) struct SrcConversation {
    pub id: Uuid,
    pub project_id: Uuid,
    pub title: Option<String>,
    pub kind: Option<String>,
    pub status: Option<String>,
    pub created_by: Option<Uuid>,
    pub created_at: Option<DateTime<Utc>>,
    pub updated_at: Option<DateTime<Utc>>,
}

pub(super) struct SrcParticipant {
    pub user_id: Uuid,
    pub role: Option<String>,
    pub joined_at: Option<DateTime<Utc>>,
    pub left_at: Option<DateTime<Utc>>,
    pub notifications_enabled: Option<bool>,
    pub last_read_at: Option<DateTime<Utc>>,
}

pub(super) struct SrcMessage {
    pub id: Uuid,
    pub sender_id: Uuid,
    pub content: Option<String>,
    pub kind: Option<String>,
    pub metadata: Option<serde_json::Value>,
    pub edited_at: Option<DateTime<Utc>>,
    pub deleted_at: Option<DateTime<Utc>>,
    /// `created_at`, or the epoch when the source has none (such rows sort first).
    pub created_at: DateTime<Utc>,
}

pub(super) struct SrcFile {
    pub id: Uuid,
    pub message_id: Uuid,
    pub file_name: String,
    pub file_size: i64,
    pub file_type: Option<String>,
    pub file_url: String,
    pub storage_path: String,
    pub created_at: Option<DateTime<Utc>>,
}

pub(super) struct SrcReceipt {
    pub message_id: Uuid,
    pub user_id: Uuid,
    pub read_at: Option<DateTime<Utc>>,
}

pub(super) struct SrcReport {
    pub id: Uuid,
    pub message_id: Uuid,
    pub reported_by: Uuid,
    pub reason: String,
    pub description: Option<String>,
    pub status: Option<String>,
    pub resolved_by: Option<Uuid>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub created_at: Option<DateTime<Utc>>,
}

/// The seed's columns for a message, `created_at` never NULL; `m` is `messages`.
const MESSAGE_COLUMNS: &str = "m.id, m.sender_id, m.content::text AS content, m.type::text AS type, \
     m.metadata::jsonb AS metadata, m.edited_at, m.deleted_at, \
     COALESCE(m.created_at, 'epoch'::timestamptz) AS at";

impl Source {
    /// Connects and checks that `schema` holds the seed's tables with the columns read.
    pub(super) async fn open(url: &str, schema: &str) -> anyhow::Result<Self> {
        if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
            bail!("--from must be a postgres:// URL");
        }
        let mut options = ConnectOptions::new(url);
        options
            .max_connections(2)
            .acquire_timeout(Duration::from_secs(10))
            .connect_timeout(Duration::from_secs(10))
            .sqlx_logging(false);
        let db = sea_orm::Database::connect(options).await.map_err(|e| {
            anyhow::anyhow!(
                "cannot connect to the seed database {}: {}",
                crate::app::redact_url(url),
                first_line(&e.to_string().replace(url, "<url>"))
            )
        })?;
        let mut source = Self {
            db,
            schema: quote(schema),
            tables: HashSet::new(),
            user_columns: HashSet::new(),
            project_columns: HashSet::new(),
        };
        source.check(schema).await?;
        Ok(source)
    }

    async fn check(&mut self, schema: &str) -> anyhow::Result<()> {
        let sql = "SELECT 1 AS one FROM information_schema.schemata WHERE schema_name = $1";
        if self.rows(sql, [schema.into()]).await?.is_empty() {
            bail!("the seed database has no schema {schema:?} (--schema)");
        }
        let sql = "SELECT table_name::text AS t FROM information_schema.tables \
                   WHERE table_schema = $1";
        self.tables = self
            .rows(sql, [schema.into()])
            .await?
            .iter()
            .map(|row| row.try_get::<String>("", "t"))
            .collect::<Result<_, _>>()?;
        let missing: Vec<&str> = REQUIRED
            .iter()
            .map(|(table, _)| *table)
            .filter(|table| !self.tables.contains(*table))
            .collect();
        if !missing.is_empty() {
            bail!(
                "schema {schema:?} of the seed database lacks the table(s) {} (is --schema right?)",
                missing.join(", ")
            );
        }
        for (table, columns) in REQUIRED.iter().chain(OPTIONAL) {
            if self.tables.contains(*table) {
                self.check_columns(schema, table, columns).await?;
            }
        }
        self.user_columns = self.columns(schema, "users").await?;
        self.project_columns = self.columns(schema, "projects").await?;
        Ok(())
    }

    async fn columns(&self, schema: &str, table: &str) -> anyhow::Result<HashSet<String>> {
        let sql = "SELECT column_name::text AS c FROM information_schema.columns \
                   WHERE table_schema = $1 AND table_name = $2";
        self.rows(sql, [schema.into(), table.into()])
            .await?
            .iter()
            .map(|row| Ok(row.try_get::<String>("", "c")?))
            .collect()
    }

    async fn check_columns(
        &self,
        schema: &str,
        table: &str,
        wanted: &[&str],
    ) -> anyhow::Result<()> {
        let have = self.columns(schema, table).await?;
        let missing: Vec<&str> = wanted
            .iter()
            .copied()
            .filter(|c| !have.contains(*c))
            .collect();
        if !missing.is_empty() {
            bail!(
                "table {table} of the seed database lacks the column(s) {}",
                missing.join(", ")
            );
        }
        Ok(())
    }

    pub(super) fn has(&self, table: &str) -> bool {
        self.tables.contains(table)
    }

    async fn rows<I>(&self, sql: &str, values: I) -> anyhow::Result<Vec<QueryResult>>
    where
        I: IntoIterator<Item = Value>,
    {
        let statement = Statement::from_sql_and_values(DbBackend::Postgres, sql, values);
        self.db
            .query_all_raw(statement)
            .await
            .with_context(|| format!("reading the seed database ({})", first_line(sql)))
    }

    fn table(&self, name: &str) -> String {
        format!("{}.{name}", self.schema)
    }

    /// The first of `candidates` the table has, as `<expr>::<cast> AS <alias>`, or NULL.
    fn pick(columns: &HashSet<String>, candidates: &[&str], cast: &str, alias: &str) -> String {
        match candidates.iter().find(|c| columns.contains(**c)) {
            Some(column) => format!("{}::{cast} AS {alias}", quote(column)),
            None => format!("NULL::{cast} AS {alias}"),
        }
    }

    pub(super) async fn users(&self) -> anyhow::Result<Vec<SrcUser>> {
        if !self.has("users") {
            return Ok(Vec::new());
        }
        let c = &self.user_columns;
        let sql = format!(
            "SELECT id::uuid AS id, {}, {}, {} FROM {} WHERE id IS NOT NULL",
            Self::pick(c, &["email"], "text", "email"),
            Self::pick(
                c,
                &["name", "full_name", "display_name", "username"],
                "text",
                "name"
            ),
            Self::pick(c, &["created_at"], "timestamptz", "created_at"),
            self.table("users")
        );
        let rows = self.rows(&sql, []).await?;
        rows.iter()
            .map(|r| {
                Ok(SrcUser {
                    id: r.try_get("", "id")?,
                    email: r.try_get("", "email")?,
                    name: r.try_get("", "name")?,
                    created_at: r.try_get("", "created_at")?,
                })
            })
            .collect()
    }

    /// Every user id the other tables refer to.
    pub(super) async fn referenced_users(&self) -> anyhow::Result<BTreeSet<Uuid>> {
        let mut parts = vec![
            format!("SELECT sender_id AS u FROM {}", self.table("messages")),
            format!(
                "SELECT user_id FROM {}",
                self.table("conversation_participants")
            ),
            format!("SELECT created_by FROM {}", self.table("conversations")),
        ];
        if self.project_columns.contains("created_by") {
            parts.push(format!("SELECT created_by FROM {}", self.table("projects")));
        }
        if self.has("message_read_receipts") {
            parts.push(format!(
                "SELECT user_id FROM {}",
                self.table("message_read_receipts")
            ));
        }
        if self.has("message_reports") {
            parts.push(format!(
                "SELECT reported_by FROM {}",
                self.table("message_reports")
            ));
            parts.push(format!(
                "SELECT resolved_by FROM {}",
                self.table("message_reports")
            ));
        }
        let sql = format!(
            "SELECT DISTINCT u FROM ({}) AS refs WHERE u IS NOT NULL",
            parts.join(" UNION ")
        );
        let rows = self.rows(&sql, []).await?;
        rows.iter()
            .map(|r| Ok(r.try_get::<Uuid>("", "u")?))
            .collect()
    }

    pub(super) async fn projects(&self) -> anyhow::Result<Vec<SrcProject>> {
        let c = &self.project_columns;
        let sql = format!(
            "SELECT id::uuid AS id, {}, {}, {} FROM {} ORDER BY id",
            Self::pick(c, &["name", "title"], "text", "name"),
            Self::pick(c, &["created_by", "owner_id"], "uuid", "created_by"),
            Self::pick(c, &["created_at"], "timestamptz", "created_at"),
            self.table("projects")
        );
        let rows = self.rows(&sql, []).await?;
        rows.iter()
            .map(|r| {
                Ok(SrcProject {
                    id: r.try_get("", "id")?,
                    name: r.try_get("", "name")?,
                    created_by: r.try_get("", "created_by")?,
                    created_at: r.try_get("", "created_at")?,
                })
            })
            .collect()
    }

    pub(super) async fn conversations(&self) -> anyhow::Result<Vec<SrcConversation>> {
        let sql = format!(
            "SELECT id, project_id, title::text AS title, type::text AS type, \
             status::text AS status, created_by, created_at, updated_at FROM {} \
             ORDER BY created_at NULLS FIRST, id",
            self.table("conversations")
        );
        let rows = self.rows(&sql, []).await?;
        rows.iter()
            .map(|r| {
                Ok(SrcConversation {
                    id: r.try_get("", "id")?,
                    project_id: r.try_get("", "project_id")?,
                    title: r.try_get("", "title")?,
                    kind: r.try_get("", "type")?,
                    status: r.try_get("", "status")?,
                    created_by: r.try_get("", "created_by")?,
                    created_at: r.try_get("", "created_at")?,
                    updated_at: r.try_get("", "updated_at")?,
                })
            })
            .collect()
    }

    pub(super) async fn participants(
        &self,
        conversation: Uuid,
    ) -> anyhow::Result<Vec<SrcParticipant>> {
        let sql = format!(
            "SELECT user_id, role::text AS role, joined_at, left_at, notifications_enabled, \
             last_read_at FROM {} WHERE conversation_id = $1 ORDER BY user_id",
            self.table("conversation_participants")
        );
        let rows = self.rows(&sql, [conversation.into()]).await?;
        rows.iter()
            .map(|r| {
                Ok(SrcParticipant {
                    user_id: r.try_get("", "user_id")?,
                    role: r.try_get("", "role")?,
                    joined_at: r.try_get("", "joined_at")?,
                    left_at: r.try_get("", "left_at")?,
                    notifications_enabled: r.try_get("", "notifications_enabled")?,
                    last_read_at: r.try_get("", "last_read_at")?,
                })
            })
            .collect()
    }

    pub(super) async fn message_count(&self) -> anyhow::Result<u64> {
        let sql = format!("SELECT COUNT(*) AS n FROM {}", self.table("messages"));
        let rows = self.rows(&sql, []).await?;
        let n: i64 = match rows.first() {
            Some(row) => row.try_get("", "n")?,
            None => 0,
        };
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// Up to `limit` messages of `conversation` after `(at, id)`, in `(created_at, id)` order.
    pub(super) async fn messages(
        &self,
        conversation: Uuid,
        after: Option<(DateTime<Utc>, Uuid)>,
        limit: u32,
    ) -> anyhow::Result<Vec<SrcMessage>> {
        let at = "COALESCE(m.created_at, 'epoch'::timestamptz)";
        let (filter, mut values): (String, Vec<Value>) = match after {
            Some((time, id)) => (
                format!("AND ({at}, m.id) > ($2, $3)"),
                vec![conversation.into(), time.into(), id.into()],
            ),
            None => (String::new(), vec![conversation.into()]),
        };
        values.push(i64::from(limit).into());
        let sql = format!(
            "SELECT {MESSAGE_COLUMNS} FROM {} m WHERE m.conversation_id = $1 {filter} \
             ORDER BY {at}, m.id LIMIT ${}",
            self.table("messages"),
            values.len()
        );
        let rows = self.rows(&sql, values).await?;
        rows.iter()
            .map(|r| {
                Ok(SrcMessage {
                    id: r.try_get("", "id")?,
                    sender_id: r.try_get("", "sender_id")?,
                    content: r.try_get("", "content")?,
                    kind: r.try_get("", "type")?,
                    metadata: r.try_get("", "metadata")?,
                    edited_at: r.try_get("", "edited_at")?,
                    deleted_at: r.try_get("", "deleted_at")?,
                    created_at: r.try_get("", "at")?,
                })
            })
            .collect()
    }

    pub(super) async fn files(&self, conversation: Uuid) -> anyhow::Result<Vec<SrcFile>> {
        if !self.has("message_files") {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT f.id, f.message_id, f.file_name::text AS file_name, \
             f.file_size::bigint AS file_size, f.file_type::text AS file_type, \
             f.file_url::text AS file_url, f.storage_path::text AS storage_path, f.created_at \
             FROM {} f JOIN {} m ON m.id = f.message_id WHERE m.conversation_id = $1 \
             ORDER BY f.created_at NULLS FIRST, f.id",
            self.table("message_files"),
            self.table("messages")
        );
        let rows = self.rows(&sql, [conversation.into()]).await?;
        rows.iter()
            .map(|r| {
                Ok(SrcFile {
                    id: r.try_get("", "id")?,
                    message_id: r.try_get("", "message_id")?,
                    file_name: r.try_get("", "file_name")?,
                    file_size: r.try_get("", "file_size")?,
                    file_type: r.try_get("", "file_type")?,
                    file_url: r.try_get("", "file_url")?,
                    storage_path: r.try_get("", "storage_path")?,
                    created_at: r.try_get("", "created_at")?,
                })
            })
            .collect()
    }

    pub(super) async fn receipts(&self, conversation: Uuid) -> anyhow::Result<Vec<SrcReceipt>> {
        if !self.has("message_read_receipts") {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT r.message_id, r.user_id, r.read_at FROM {} r \
             JOIN {} m ON m.id = r.message_id WHERE m.conversation_id = $1",
            self.table("message_read_receipts"),
            self.table("messages")
        );
        let rows = self.rows(&sql, [conversation.into()]).await?;
        rows.iter()
            .map(|r| {
                Ok(SrcReceipt {
                    message_id: r.try_get("", "message_id")?,
                    user_id: r.try_get("", "user_id")?,
                    read_at: r.try_get("", "read_at")?,
                })
            })
            .collect()
    }

    pub(super) async fn reports(&self, conversation: Uuid) -> anyhow::Result<Vec<SrcReport>> {
        if !self.has("message_reports") {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT r.id, r.message_id, r.reported_by, r.reason::text AS reason, \
             r.description::text AS description, r.status::text AS status, r.resolved_by, \
             r.resolved_at, r.created_at FROM {} r \
             JOIN {} m ON m.id = r.message_id WHERE m.conversation_id = $1",
            self.table("message_reports"),
            self.table("messages")
        );
        let rows = self.rows(&sql, [conversation.into()]).await?;
        rows.iter()
            .map(|r| {
                Ok(SrcReport {
                    id: r.try_get("", "id")?,
                    message_id: r.try_get("", "message_id")?,
                    reported_by: r.try_get("", "reported_by")?,
                    reason: r.try_get("", "reason")?,
                    description: r.try_get("", "description")?,
                    status: r.try_get("", "status")?,
                    resolved_by: r.try_get("", "resolved_by")?,
                    resolved_at: r.try_get("", "resolved_at")?,
                    created_at: r.try_get("", "created_at")?,
                })
            })
            .collect()
    }

    pub(super) async fn close(self) {
        let _ = self.db.close().await;
    }
}

/// A PostgreSQL identifier, quoted.
fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or(text).trim()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_quoted_so_a_schema_name_cannot_inject_sql() {
        assert_eq!(quote("public"), "\"public\"");
        assert_eq!(
            quote("a\"; DROP TABLE x; --"),
            "\"a\"\"; DROP TABLE x; --\""
        );
    }
}
