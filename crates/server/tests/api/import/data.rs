//! A seed stack's database for the import tests: the seed's DDL (fixed, `seed.sql`) and
//! generated data with the edge cases an old database has.

use std::collections::BTreeMap;

use confab_store::testing::{TestDb, fresh_postgres_in};
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use uuid::Uuid;

pub(super) const DDL: &str = include_str!("seed.sql");

/// The generated data's shape.
#[derive(Clone, Copy, Debug)]
pub(super) struct Shape {
    pub conversations: u32,
    pub per_conversation: u32,
}

impl Shape {
    pub(super) fn messages(self) -> u64 {
        u64::from(self.conversations) * u64::from(self.per_conversation)
    }
}

/// A seed database: 20 users in `users`, 3 more (ghosts) who send messages and take part in
/// conversations without a `users` row, 3 projects, and per conversation 4 participants
/// (one with a `last_read_at`) and `per_conversation` messages, two per second (duplicate
/// timestamps). With `x` = conversation number + position in it: every 10th `x` has a 👍
/// reaction (confab's shape), every 50th from 25 🎉 reactions as a list of
/// `{emoji, user_id}`, every 50th from 7 an edit history and `edited_at`, every 100th from 3
/// a file (`file_base/<message id>`, its content `file <message id>`), every 300th from 299
/// is a system message with NULL content; every 97th message from the 11th is deleted, every
/// 333rd from the 5th sent by a ghost; every other message of a conversation has a read
/// receipt; 10 reports.
pub(super) async fn seed_database(shape: Shape, file_base: &str) -> (TestDb, DatabaseConnection) {
    // The seed stack's tables are in `public`, as on Supabase.
    let db = fresh_postgres_in("public").await;
    let conn = db.connect().await.connection().pool().clone();
    conn.execute_unprepared(DDL)
        .await
        .expect("the fixed seed DDL runs");
    conn.execute_unprepared(&data_sql(shape, file_base))
        .await
        .expect("the generated data loads");
    (db, conn)
}

fn data_sql(shape: Shape, file_base: &str) -> String {
    let n = shape.conversations;
    let m = shape.per_conversation;
    let total = shape.messages();
    let report_every = (total / 10).max(20);
    let file_base = file_base.replace('\'', "''");
    format!(
        "
SET TIME ZONE 'UTC';
INSERT INTO users (id, email, full_name, created_at)
SELECT md5('user' || u)::uuid, 'user' || u || '@example.com', 'User ' || u, '2024-12-01Z'
FROM generate_series(0, 19) u;
INSERT INTO projects (id, name, owner_id, created_at)
SELECT md5('project' || p)::uuid, 'Project ' || p, md5('user' || p)::uuid, '2024-12-02Z'
FROM generate_series(0, 2) p;
INSERT INTO conversations (id, project_id, title, type, status, created_at, updated_at, created_by)
SELECT md5('conv' || c)::uuid, md5('project' || (c % 3))::uuid, 'Conversation ' || c,
  CASE WHEN c % 10 = 0 THEN 'support' WHEN c % 25 = 1 THEN 'announcement' ELSE 'project' END,
  CASE WHEN c % 50 = 7 THEN 'archived' ELSE 'active' END,
  '2025-01-01Z'::timestamptz + c * interval '1 minute',
  '2025-01-01Z'::timestamptz + c * interval '1 minute', md5('user' || (c % 20))::uuid
FROM generate_series(0, {n} - 1) c;
INSERT INTO conversation_participants (conversation_id, user_id, role, joined_at, last_read_at)
SELECT md5('conv' || c)::uuid, md5('user' || ((c + k) % 20))::uuid,
  CASE WHEN k = 0 THEN 'owner' ELSE 'member' END,
  '2025-01-01Z'::timestamptz + c * interval '1 minute',
  CASE WHEN k = 2 THEN '2025-01-02Z'::timestamptz + ({m} / 4) * interval '1 second' END
FROM generate_series(0, {n} - 1) c, generate_series(0, 3) k;

-- Users missing from `users`: a profile row deleted, or never created (foreign keys off).
SET session_replication_role = replica;
INSERT INTO conversation_participants (conversation_id, user_id)
SELECT md5('conv' || c)::uuid, md5('ghost' || (c % 3))::uuid
FROM generate_series(0, {n} - 1) c WHERE c % 7 = 0;
CREATE TEMP TABLE g AS
SELECT i, i % {n} AS c, i / {n} AS k, i / {n} + i % {n} AS x, gen_random_uuid() AS id,
  '2025-01-02Z'::timestamptz + ((i / {n}) / 2) * interval '1 second' AS at
FROM generate_series(0, {total} - 1) i;
INSERT INTO messages (id, conversation_id, sender_id, content, type, metadata, edited_at, deleted_at, created_at)
SELECT id, md5('conv' || c)::uuid,
  CASE WHEN i % 333 = 5 THEN md5('ghost' || (i % 3))::uuid ELSE md5('user' || ((c + k % 4) % 20))::uuid END,
  CASE WHEN x % 300 = 299 THEN NULL
       WHEN x % 50 = 7 THEN 'message ' || k || ' in ' || c || ' (edited)'
       ELSE 'message ' || k || ' in ' || c END,
  CASE WHEN x % 100 = 3 THEN 'file' WHEN x % 300 = 299 THEN 'system' ELSE 'text' END,
  CASE WHEN x % 50 = 25 THEN jsonb_build_object('reactions', jsonb_build_array(
         jsonb_build_object('emoji', '🎉', 'user_id', md5('user' || ((c + 1) % 20))::uuid),
         jsonb_build_object('emoji', '🎉', 'user_id', md5('user' || ((c + 2) % 20))::uuid)))
       WHEN x % 10 = 0 THEN jsonb_build_object('reactions',
         jsonb_build_object('👍', jsonb_build_array(md5('user' || ((c + 1) % 20))::uuid)))
       WHEN x % 50 = 7 THEN jsonb_build_object('edits', jsonb_build_array(jsonb_build_object(
         'content', 'message ' || k || ' in ' || c,
         'edited_at', to_jsonb('2025-01-03Z'::timestamptz),
         'edited_by', md5('user' || ((c + k % 4) % 20))::uuid)))
  END,
  CASE WHEN x % 50 = 7 THEN '2025-01-03Z'::timestamptz END,
  CASE WHEN i % 97 = 11 THEN '2025-01-04Z'::timestamptz END,
  at
FROM g;
SET session_replication_role = DEFAULT;

INSERT INTO message_files (message_id, file_name, file_size, file_type, file_url, storage_path, created_at)
SELECT id, 'report-' || i || '.pdf', length('file ' || id::text), 'application/pdf',
  '{file_base}/' || id, 'files/' || id, at
FROM g WHERE x % 100 = 3;
INSERT INTO message_read_receipts (message_id, user_id, read_at)
SELECT id, md5('user' || ((c + 1) % 20))::uuid, at + interval '1 minute' FROM g WHERE k % 2 = 0;
INSERT INTO message_reports (message_id, reported_by, reason, description, status, created_at)
SELECT id, md5('user' || ((c + 3) % 20))::uuid, 'spam', 'looks like spam',
  CASE WHEN i % 2 = 0 THEN 'pending' ELSE 'resolved' END, '2025-01-05Z'
FROM g WHERE i % {report_every} = 17;
DROP TABLE g;
"
    )
}

pub(super) async fn count(db: &DatabaseConnection, sql: &str) -> i64 {
    let row = db
        .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .unwrap();
    row.try_get("", "n").unwrap()
}

/// Each conversation's message ids in order: the source's by `created_at` then id.
pub(super) async fn source_order(src: &DatabaseConnection) -> BTreeMap<Uuid, Vec<Uuid>> {
    let sql = "SELECT conversation_id, id FROM messages ORDER BY conversation_id, created_at, id";
    let mut order: BTreeMap<Uuid, Vec<Uuid>> = BTreeMap::new();
    let rows = src
        .query_all_raw(Statement::from_string(src.get_database_backend(), sql))
        .await
        .unwrap();
    for row in rows {
        let c: Uuid = row.try_get("", "conversation_id").unwrap();
        order
            .entry(c)
            .or_default()
            .push(row.try_get("", "id").unwrap());
    }
    order
}

/// Each conversation's message ids by `seq`, after checking the seqs run 1, 2, 3... and
/// end at the conversation's `last_seq`.
pub(super) async fn confab_order(dst: &DatabaseConnection) -> BTreeMap<Uuid, Vec<Uuid>> {
    let backend = dst.get_database_backend();
    let sql = "SELECT conversation_id, id, seq FROM messages ORDER BY conversation_id, seq";
    let mut order: BTreeMap<Uuid, Vec<Uuid>> = BTreeMap::new();
    for row in dst
        .query_all_raw(Statement::from_string(backend, sql))
        .await
        .unwrap()
    {
        let c: Uuid = row.try_get("", "conversation_id").unwrap();
        let seq: i64 = row.try_get("", "seq").unwrap();
        let ids = order.entry(c).or_default();
        ids.push(row.try_get("", "id").unwrap());
        assert_eq!(seq, ids.len() as i64, "seq of conversation {c} has a gap");
    }
    let sql = "SELECT id, last_seq FROM conversations";
    for row in dst
        .query_all_raw(Statement::from_string(backend, sql))
        .await
        .unwrap()
    {
        let c: Uuid = row.try_get("", "id").unwrap();
        let last: i64 = row.try_get("", "last_seq").unwrap();
        let stored = order.get(&c).map_or(0, Vec::len);
        assert_eq!(last, stored as i64, "last_seq of conversation {c}");
    }
    order
}

/// Source count query and confab count query that must agree after an import.
pub(super) const SAME_COUNTS: &[(&str, &str, &str)] = &[
    (
        "messages",
        "SELECT COUNT(*) AS n FROM messages",
        "SELECT COUNT(*) AS n FROM messages",
    ),
    (
        "conversations",
        "SELECT COUNT(*) AS n FROM conversations",
        "SELECT COUNT(*) AS n FROM conversations",
    ),
    (
        "participants",
        "SELECT COUNT(*) AS n FROM conversation_participants",
        "SELECT COUNT(*) AS n FROM conversation_participants",
    ),
    (
        "files",
        "SELECT COUNT(*) AS n FROM message_files",
        "SELECT COUNT(*) AS n FROM message_files",
    ),
    (
        "read receipts",
        "SELECT COUNT(*) AS n FROM message_read_receipts",
        "SELECT COUNT(*) AS n FROM message_read_receipts",
    ),
    (
        "reports",
        "SELECT COUNT(*) AS n FROM message_reports",
        "SELECT COUNT(*) AS n FROM message_reports",
    ),
    (
        "deleted messages",
        "SELECT COUNT(*) AS n FROM messages WHERE deleted_at IS NOT NULL",
        "SELECT COUNT(*) AS n FROM messages WHERE deleted_at IS NOT NULL",
    ),
    (
        "edited messages",
        "SELECT COUNT(*) AS n FROM messages WHERE edited_at IS NOT NULL",
        "SELECT COUNT(*) AS n FROM messages WHERE edited_at IS NOT NULL",
    ),
    (
        "edit history",
        "SELECT COUNT(*) AS n FROM messages WHERE metadata ? 'edits'",
        "SELECT COUNT(*) AS n FROM message_edits",
    ),
    (
        "users (listed and referenced)",
        "SELECT COUNT(*) AS n FROM (SELECT id FROM users UNION SELECT sender_id FROM messages \
         UNION SELECT user_id FROM conversation_participants) u",
        "SELECT COUNT(*) AS n FROM users",
    ),
    (
        "project members (one per participant and project)",
        "SELECT COUNT(*) AS n FROM (SELECT DISTINCT c.project_id, p.user_id \
         FROM conversation_participants p JOIN conversations c ON c.id = p.conversation_id) m",
        "SELECT COUNT(*) AS n FROM project_members",
    ),
    (
        "projects",
        "SELECT COUNT(*) AS n FROM projects",
        "SELECT COUNT(*) AS n FROM projects",
    ),
];

/// Asserts confab holds what the source holds: counts, and each conversation's messages in
/// the source's order with gapless `seq`.
pub(super) async fn assert_same(src: &DatabaseConnection, dst: &DatabaseConnection) {
    for (what, source_sql, confab_sql) in SAME_COUNTS {
        let expected = count(src, source_sql).await;
        assert!(expected > 0, "the fixture has {what}");
        assert_eq!(count(dst, confab_sql).await, expected, "{what}");
    }
    assert_eq!(source_order(src).await, confab_order(dst).await);
}
