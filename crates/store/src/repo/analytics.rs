//! Conversation analytics (definitions in `confab_domain::admin::analytics`).
//!
//! SQLite computes everything directly from `messages` over the window. PostgreSQL serves
//! the window's whole UTC days from the `conversation_daily_stats` materialized view (which
//! covers, per conversation, the messages with `seq <=` its watermark) and computes the rest
//! directly: the messages above the watermarks, plus the ragged first and last days of a
//! window given with times. Both parts are read in one REPEATABLE READ snapshot, and a
//! refresh moves the watermarks and the view in one transaction, so the sum is exact
//! however stale the view is (see migration `m20261124_000004`).
//!
//! Runs of one sender come from window functions in subqueries: `LAG` flags a change of
//! sender, a running `SUM` numbers the runs, and each run's first message is the response
//! to every message of the run before. The direct part reads only the messages it needs: for
//! each conversation, from the start of the run just before its first counted message.

use chrono::{NaiveDate, NaiveTime};
use confab_domain::admin::AnalyticsTotals;
use confab_domain::admin::AnalyticsWindow;
use confab_domain::admin::analytics::DayTotals;
use confab_domain::ids::ProjectId;
use confab_domain::time::Timestamp;
use sea_orm::{AccessMode, ConnectionTrait, DbBackend, IsolationLevel, TransactionOptions};

use crate::scoped::Db;

use super::sql::{Params, stmt};
use crate::error::{Failure, Outcome};

/// Serialises refreshes across nodes (an arbitrary, fixed key; not the migration lock's).
const REFRESH_LOCK_KEY: i64 = 0x636f_6e66_6173;

/// The window's totals, computed as the module documentation says.
pub(crate) async fn totals(
    db: &Db,
    project: Option<ProjectId>,
    window: &AnalyticsWindow,
) -> Outcome<AnalyticsTotals> {
    match db.get_database_backend() {
        DbBackend::Postgres => postgres(db, project, window).await,
        _ => sqlite(db, project, window).await,
    }
}

async fn sqlite(
    db: &Db,
    project: Option<ProjectId>,
    window: &AnalyticsWindow,
) -> Outcome<AnalyticsTotals> {
    // One read transaction: both queries see the same messages.
    let txn = db.begin().await?;
    let totals = direct(&txn, Dialect::Sqlite, project, window).await?;
    txn.commit().await?;
    Ok(totals)
}

/// The window's totals computed directly from `messages`, for one snapshot `db`.
async fn direct<C: ConnectionTrait>(
    db: &C,
    dialect: Dialect,
    project: Option<ProjectId>,
    window: &AnalyticsWindow,
) -> Outcome<AnalyticsTotals> {
    let mut params = Params::default();
    let cand = window_messages(&mut params, window.from(), window.to(), project);
    let mut totals = AnalyticsTotals::default();
    add_days(db, &mut totals, direct_sql(dialect, &cand), &params).await?;
    let active = format!("WITH cand AS ({cand}) SELECT COUNT(DISTINCT conversation_id) FROM cand");
    totals.active_conversations = count(db, active, &params).await?;
    Ok(totals)
}

async fn postgres(
    db: &Db,
    project: Option<ProjectId>,
    window: &AnalyticsWindow,
) -> Outcome<AnalyticsTotals> {
    let txn = db
        .begin_with_options(TransactionOptions {
            isolation_level: Some(IsolationLevel::RepeatableRead),
            access_mode: Some(AccessMode::ReadOnly),
            ..TransactionOptions::default()
        })
        .await?;
    let Some((first, end)) = window.whole_days() else {
        // No whole day: nothing to take from the view.
        let totals = direct(&txn, Dialect::Postgres, project, window).await?;
        txn.commit().await?;
        return Ok(totals);
    };
    let mut totals = AnalyticsTotals::default();
    let whole = (start_of(first), start_of(end));
    // Each statement binds exactly the parameters it references.
    let mut params = Params::default();
    let cand = outside_view(&mut params, window, whole, project);
    add_days(
        &txn,
        &mut totals,
        direct_sql(Dialect::Postgres, &cand),
        &params,
    )
    .await?;

    let mut params = Params::default();
    let view = view_rows(&mut params, first, end, project);
    let days = format!(
        "SELECT to_char(s.day, 'YYYY-MM-DD') AS day, \
            CAST(SUM(s.message_count) AS BIGINT) AS messages, \
            CAST(SUM(s.response_count) AS BIGINT) AS responses, \
            CAST(SUM(s.response_us) AS BIGINT) AS response_us \
         {view} GROUP BY s.day"
    );
    add_days(&txn, &mut totals, days, &params).await?;

    let mut params = Params::default();
    let cand = outside_view(&mut params, window, whole, project);
    let view = view_rows(&mut params, first, end, project);
    let active = format!(
        "WITH cand AS ({cand}) SELECT COUNT(*) FROM ( \
            SELECT s.conversation_id {view} UNION SELECT conversation_id FROM cand) t"
    );
    totals.active_conversations = count(&txn, active, &params).await?;
    txn.commit().await?;
    Ok(totals)
}

/// The messages created in `[from, to)` (of `project`), as `(conversation_id, seq,
/// created_at)`.
fn window_messages(
    params: &mut Params,
    from: Timestamp,
    to: Timestamp,
    project: Option<ProjectId>,
) -> String {
    let (from, to) = (params.bind(from), params.bind(to));
    let project = project_filter(params, "c", project);
    format!(
        "SELECT m.conversation_id, m.seq, m.created_at \
         FROM messages m JOIN conversations c ON c.id = m.conversation_id \
         WHERE m.created_at >= {from} AND m.created_at < {to}{project}"
    )
}

/// The window's messages the view does not cover: on the whole days `[start, end)` those
/// above their conversation's watermark, plus all of the ragged edges `[from, start)` and
/// `[end, to)`.
fn outside_view(
    params: &mut Params,
    window: &AnalyticsWindow,
    (start, end): (Timestamp, Timestamp),
    project: Option<ProjectId>,
) -> String {
    let (start, end) = (params.bind(start), params.bind(end));
    let (from, to) = (params.bind(window.from()), params.bind(window.to()));
    let project = project_filter(params, "c", project);
    format!(
        "SELECT m.conversation_id, m.seq, m.created_at \
         FROM conversations c \
         LEFT JOIN analytics_watermarks w ON w.conversation_id = c.id \
         JOIN messages m ON m.conversation_id = c.id AND m.seq > COALESCE(w.last_seq, 0) \
         WHERE m.created_at >= {start} AND m.created_at < {end}{project} \
         UNION ALL \
         SELECT m.conversation_id, m.seq, m.created_at \
         FROM messages m JOIN conversations c ON c.id = m.conversation_id \
         WHERE ((m.created_at >= {from} AND m.created_at < {start}) \
             OR (m.created_at >= {end} AND m.created_at < {to})){project}"
    )
}

/// `FROM ... WHERE ...` over the view's rows for the days `[first, end)`. Conversations
/// deleted since the last refresh drop out through the join.
fn view_rows(
    params: &mut Params,
    first: NaiveDate,
    end: NaiveDate,
    project: Option<ProjectId>,
) -> String {
    let (first, end) = (params.bind(first), params.bind(end));
    let project = project_filter(params, "s", project);
    format!(
        "FROM conversation_daily_stats s JOIN conversations c ON c.id = s.conversation_id \
         WHERE s.day >= {first} AND s.day < {end}{project}"
    )
}

fn project_filter(params: &mut Params, alias: &str, project: Option<ProjectId>) -> String {
    match project {
        Some(project) => format!(
            " AND {alias}.project_id = {}",
            params.bind(project.as_uuid())
        ),
        None => String::new(),
    }
}

fn start_of(day: NaiveDate) -> Timestamp {
    day.and_time(NaiveTime::MIN).and_utc()
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Dialect {
    Postgres,
    Sqlite,
}

impl Dialect {
    /// Microseconds since the epoch of a timestamp column, as an integer.
    fn micros(self, column: &str) -> String {
        match self {
            Self::Postgres => format!("CAST(EXTRACT(EPOCH FROM {column}) * 1000000 AS BIGINT)"),
            // sqlx stores `YYYY-MM-DDTHH:MM:SS[.f{3,6,9}]+00:00`: whole seconds from the
            // first 19 characters, then the fraction padded to six digits.
            Self::Sqlite => format!(
                "(CAST(strftime('%s', substr({column}, 1, 19)) AS INTEGER) * 1000000 + \
                  CASE WHEN substr({column}, 20, 1) = '.' THEN CAST(substr(substr({column}, 21, \
                    length({column}) - 20 - (CASE WHEN substr({column}, -1) = 'Z' THEN 1 ELSE 6 END)) \
                    || '000000', 1, 6) AS INTEGER) ELSE 0 END)"
            ),
        }
    }

    /// The UTC day of a timestamp column as `YYYY-MM-DD` text.
    fn day(self, column: &str) -> String {
        match self {
            Self::Postgres => format!("to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD')"),
            Self::Sqlite => format!("substr({column}, 1, 10)"),
        }
    }
}

/// Per-day `(messages, responses, response_us)` for the messages `cand` selects, computed
/// from the messages themselves. `cand` yields `(conversation_id, seq, created_at)`.
fn direct_sql(dialect: Dialect, cand: &str) -> String {
    let us = dialect.micros("m.created_at");
    let day = dialect.day("k.created_at");
    format!(
        "WITH cand AS ({cand}), \
        bounds AS ( \
            SELECT conversation_id, MIN(seq) AS lo, MAX(seq) AS hi FROM cand \
            GROUP BY conversation_id \
        ), spans AS ( \
            SELECT b.conversation_id, b.hi, COALESCE(( \
                SELECT x.seq FROM messages x \
                WHERE x.conversation_id = b.conversation_id AND x.seq < b.lo \
                  AND x.sender_id <> (SELECT p.sender_id FROM messages p \
                      WHERE p.conversation_id = b.conversation_id AND p.seq = b.lo - 1) \
                ORDER BY x.seq DESC LIMIT 1), 0) + 1 AS first_seq \
            FROM bounds b \
        ), span_rows AS ( \
            SELECT m.conversation_id, m.seq, m.sender_id, {us} AS us \
            FROM spans s JOIN messages m ON m.conversation_id = s.conversation_id \
              AND m.seq >= s.first_seq AND m.seq <= s.hi \
        ), flagged AS ( \
            SELECT r.conversation_id, r.seq, r.us, \
              CASE WHEN LAG(r.sender_id) OVER (PARTITION BY r.conversation_id ORDER BY r.seq) \
                   = r.sender_id THEN 0 ELSE 1 END AS new_run \
            FROM span_rows r \
        ), runs AS ( \
            SELECT f.conversation_id, f.seq, f.us, f.new_run, \
              SUM(f.new_run) OVER (PARTITION BY f.conversation_id ORDER BY f.seq \
                                   ROWS UNBOUNDED PRECEDING) AS run_no \
            FROM flagged f \
        ), pairs AS ( \
            SELECT r.conversation_id, r.seq, COUNT(*) AS n, \
              SUM(CASE WHEN r.us > x.us THEN r.us - x.us ELSE 0 END) AS gap_us \
            FROM runs r JOIN runs x \
              ON x.conversation_id = r.conversation_id AND x.run_no = r.run_no - 1 \
            WHERE r.new_run = 1 \
            GROUP BY r.conversation_id, r.seq \
        ) \
        SELECT {day} AS day, CAST(COUNT(*) AS BIGINT) AS messages, \
          CAST(COALESCE(SUM(p.n), 0) AS BIGINT) AS responses, \
          CAST(COALESCE(SUM(p.gap_us), 0) AS BIGINT) AS response_us \
        FROM cand k LEFT JOIN pairs p ON p.conversation_id = k.conversation_id AND p.seq = k.seq \
        GROUP BY {day}"
    )
}

/// Runs a per-day query (`day` text, `messages`, `responses`, `response_us`) and adds its
/// rows to `totals`.
async fn add_days<C: ConnectionTrait>(
    db: &C,
    totals: &mut AnalyticsTotals,
    sql: String,
    params: &Params,
) -> Outcome<()> {
    for row in db
        .query_all_raw(stmt(db, sql, params.values.clone()))
        .await?
    {
        let day: String = row.try_get("", "day")?;
        let day = NaiveDate::parse_from_str(&day, "%Y-%m-%d")
            .map_err(|_| Failure::Corrupt(format!("a message day {day:?}")))?;
        totals.add(
            day,
            DayTotals {
                messages: row.try_get("", "messages")?,
                responses: row.try_get("", "responses")?,
                response_micros: row.try_get("", "response_us")?,
            },
        );
    }
    Ok(())
}

async fn count<C: ConnectionTrait>(db: &C, sql: String, params: &Params) -> Outcome<i64> {
    let row = db
        .query_one_raw(stmt(db, sql, params.values.clone()))
        .await?
        .ok_or_else(|| Failure::Corrupt("a COUNT returned no row".into()))?;
    Ok(row.try_get_by_index::<i64>(0)?)
}

/// PostgreSQL: moves every conversation's watermark to its committed `last_seq` and
/// refreshes the view, in one transaction, unless another node is doing it right now.
/// SQLite has nothing to refresh.
pub(crate) async fn refresh(db: &Db) -> Outcome<bool> {
    if db.get_database_backend() != DbBackend::Postgres {
        return Ok(false);
    }
    let txn = db.begin().await?;
    let locked = txn
        .query_one_raw(stmt(
            &txn,
            "SELECT pg_try_advisory_xact_lock($1)",
            [REFRESH_LOCK_KEY.into()],
        ))
        .await?
        .map(|row| row.try_get_by_index::<bool>(0))
        .transpose()?
        .unwrap_or(false);
    if !locked {
        txn.rollback().await?;
        return Ok(false);
    }
    // A committed `last_seq = n` means messages 1..=n are committed (they commit together),
    // so the refresh below, which starts later, sees every message under the watermarks.
    let watermarks = "INSERT INTO analytics_watermarks (conversation_id, last_seq) \
        SELECT id, last_seq FROM conversations WHERE last_seq > 0 \
        ON CONFLICT (conversation_id) DO UPDATE SET last_seq = excluded.last_seq \
        WHERE analytics_watermarks.last_seq <> excluded.last_seq";
    txn.execute_unprepared(watermarks).await?;
    txn.execute_unprepared("UPDATE analytics_refresh SET refreshed_at = now() WHERE id = 1")
        .await?;
    txn.execute_unprepared("REFRESH MATERIALIZED VIEW CONCURRENTLY conversation_daily_stats")
        .await?;
    txn.commit().await?;
    Ok(true)
}
