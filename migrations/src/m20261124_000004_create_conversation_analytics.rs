//! Conversation analytics: indexes for time-window scans (both backends) and, on PostgreSQL
//! only, a materialized view of per-conversation, per-UTC-day aggregates with the watermarks
//! that make it exact. SQLite computes analytics directly and gets nothing else here.
//!
//! `conversation_daily_stats` aggregates, per `(conversation_id, project_id, day)`:
//! `message_count`, `response_count` (pairs "message -> next message by a different sender"
//! whose response falls on that day) and `response_us` (the sum of those gaps, in
//! microseconds, a negative gap counting as 0). It covers, per conversation, only the
//! messages with `seq <= analytics_watermarks.last_seq`. A refresh first moves the
//! watermarks to each conversation's committed `last_seq`, then runs
//! `REFRESH MATERIALIZED VIEW CONCURRENTLY` in the same transaction, so readers see old view +
//! old watermarks or new view + new watermarks, never a mix; the endpoint adds a direct
//! computation over the messages above the watermarks. Because `seq` is gapless and assigned
//! in commit order, "seq <= watermark" is exactly the set of messages the view counted:
//! results are exact however stale the view is.
//!
//! The runs of one sender are found with window functions in subqueries (`LAG` for a change
//! of sender, a running `SUM` for the run number); no window function sits inside an
//! aggregate, which PostgreSQL rejects. `REFRESH ... CONCURRENTLY` needs the unique index.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Messages {
    Table,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Conversations {
    Table,
    Id,
    CreatedAt,
}

const MESSAGES_CREATED_AT: &str = "idx_messages_created_at";
const CONVERSATIONS_CREATED_AT: &str = "idx_conversations_created_at";

/// The view's query. `base` is every message under its conversation's watermark.
const VIEW: &str = "CREATE MATERIALIZED VIEW conversation_daily_stats AS \
WITH base AS ( \
    SELECT m.conversation_id, m.seq, m.sender_id, \
           (EXTRACT(EPOCH FROM m.created_at) * 1000000)::bigint AS us, \
           (m.created_at AT TIME ZONE 'UTC')::date AS day \
    FROM messages m \
    JOIN analytics_watermarks w \
      ON w.conversation_id = m.conversation_id AND m.seq <= w.last_seq \
), flagged AS ( \
    SELECT b.*, \
           CASE WHEN LAG(b.sender_id) OVER (PARTITION BY b.conversation_id ORDER BY b.seq) \
                     = b.sender_id THEN 0 ELSE 1 END AS new_run \
    FROM base b \
), runs AS ( \
    SELECT f.*, \
           SUM(f.new_run) OVER (PARTITION BY f.conversation_id ORDER BY f.seq \
                                ROWS UNBOUNDED PRECEDING) AS run_no \
    FROM flagged f \
), responses AS ( \
    SELECT r.conversation_id, r.day, COUNT(*) AS response_count, \
           SUM(GREATEST(r.us - x.us, 0)) AS response_us \
    FROM runs r \
    JOIN runs x ON x.conversation_id = r.conversation_id AND x.run_no = r.run_no - 1 \
    WHERE r.new_run = 1 \
    GROUP BY r.conversation_id, r.day \
), counts AS ( \
    SELECT conversation_id, day, COUNT(*) AS message_count \
    FROM base GROUP BY conversation_id, day \
) \
SELECT k.conversation_id, c.project_id, k.day, \
       k.message_count::bigint AS message_count, \
       COALESCE(r.response_count, 0)::bigint AS response_count, \
       COALESCE(r.response_us, 0)::bigint AS response_us \
FROM counts k \
JOIN conversations c ON c.id = k.conversation_id \
LEFT JOIN responses r ON r.conversation_id = k.conversation_id AND r.day = k.day";

const PG_UP: &[&str] = &[
    // Per conversation: the highest `seq` the view covers.
    "CREATE TABLE analytics_watermarks ( \
        conversation_id uuid PRIMARY KEY REFERENCES conversations (id) ON DELETE CASCADE, \
        last_seq bigint NOT NULL)",
    // One row: when the view was last refreshed (for operators; results do not depend on it).
    "CREATE TABLE analytics_refresh ( \
        id smallint PRIMARY KEY CHECK (id = 1), \
        refreshed_at timestamptz)",
    "INSERT INTO analytics_refresh (id, refreshed_at) VALUES (1, NULL)",
    VIEW,
    "CREATE UNIQUE INDEX uq_conversation_daily_stats_conversation_day \
        ON conversation_daily_stats (conversation_id, day)",
    "CREATE INDEX idx_conversation_daily_stats_day \
        ON conversation_daily_stats (day, project_id)",
];

const PG_DOWN: &[&str] = &[
    "DROP MATERIALIZED VIEW IF EXISTS conversation_daily_stats",
    "DROP TABLE IF EXISTS analytics_refresh",
    "DROP TABLE IF EXISTS analytics_watermarks",
];

#[expect(
    elided_lifetimes_in_paths,
    reason = "sea-orm-migration's MigrationTrait declares `&SchemaManager` with an elided lifetime; async_trait refuses `SchemaManager<'_>` here"
)]
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name(MESSAGES_CREATED_AT)
                    .table(Messages::Table)
                    .col(Messages::CreatedAt)
                    .to_owned(),
            )
            .await?;
        // The admin listing pages newest first by `(created_at, id)`.
        manager
            .create_index(
                Index::create()
                    .name(CONVERSATIONS_CREATED_AT)
                    .table(Conversations::Table)
                    .col(Conversations::CreatedAt)
                    .col(Conversations::Id)
                    .to_owned(),
            )
            .await?;
        match manager.get_database_backend() {
            DbBackend::Postgres => run_all(manager, PG_UP).await,
            _ => Ok(()),
        }
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == DbBackend::Postgres {
            run_all(manager, PG_DOWN).await?;
        }
        manager
            .drop_index(
                Index::drop()
                    .name(CONVERSATIONS_CREATED_AT)
                    .table(Conversations::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name(MESSAGES_CREATED_AT)
                    .table(Messages::Table)
                    .to_owned(),
            )
            .await
    }

    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}

async fn run_all(manager: &SchemaManager<'_>, statements: &[&str]) -> Result<(), DbErr> {
    let connection = manager.get_connection();
    for sql in statements {
        connection.execute_unprepared(sql).await?;
    }
    Ok(())
}
