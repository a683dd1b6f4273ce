//! The store's Prometheus metrics, recorded through the `metrics` facade (the binary installs
//! the exporter): repository operations by name and outcome, statement latency, the wait for a
//! write transaction's connection, and the pools' occupancy (sampled when `/metrics` is
//! scraped, see [`crate::Database::pool_stats`]).

use std::time::Duration;

/// Repository operations (one port call), by `op` and `outcome`.
pub const OPERATIONS: &str = "confab_db_operations_total";
/// Time one repository operation took (all its statements and waits), by `op`.
pub const OPERATION_SECONDS: &str = "confab_db_operation_duration_seconds";
/// Time one SQL statement took once it had a connection, by `outcome`.
pub const STATEMENT_SECONDS: &str = "confab_db_statement_duration_seconds";
/// Time a write transaction waited for its connection (pool wait plus `BEGIN`).
pub const ACQUIRE_SECONDS: &str = "confab_db_pool_acquire_seconds";
/// Write transactions waiting for a connection right now.
pub const WAITING: &str = "confab_db_pool_waiting";

/// Sends stored per group-commit batch (a lone send is a batch of one).
pub const GROUP_COMMIT_ROWS: &str = "confab_db_group_commit_rows";
/// Group-commit batches whose statement failed, so that each send was stored on its own.
pub const GROUP_COMMIT_FALLBACKS: &str = "confab_db_group_commit_fallbacks_total";

/// Describes every metric of this crate (call once after installing a recorder).
pub fn describe() {
    metrics::describe_counter!(
        OPERATIONS,
        "Repository operations, by op and outcome (ok, conflict, unavailable, error)"
    );
    metrics::describe_histogram!(
        OPERATION_SECONDS,
        metrics::Unit::Seconds,
        "Time one repository operation took, all its statements included, by op"
    );
    metrics::describe_histogram!(
        STATEMENT_SECONDS,
        metrics::Unit::Seconds,
        "Time one SQL statement took once it had a connection, by outcome"
    );
    metrics::describe_histogram!(
        ACQUIRE_SECONDS,
        metrics::Unit::Seconds,
        "Time a write transaction waited for its pooled connection (pool wait plus BEGIN; on SQLite also the write lock)"
    );
    metrics::describe_gauge!(
        WAITING,
        "Write transactions waiting for a pooled connection"
    );
    metrics::describe_histogram!(
        GROUP_COMMIT_ROWS,
        "Sends stored per group-commit batch (one transaction each)"
    );
    metrics::describe_counter!(
        GROUP_COMMIT_FALLBACKS,
        "Group-commit batches whose statement failed, whose sends were then stored one by one"
    );
    // Exported from the start (a histogram with empty buckets, a gauge at 0).
    let _ = metrics::histogram!(ACQUIRE_SECONDS);
    metrics::gauge!(WAITING).increment(0.0);
}

pub(crate) fn operation(op: &'static str, outcome: &'static str, took: Duration) {
    metrics::counter!(OPERATIONS, "op" => op, "outcome" => outcome).increment(1);
    metrics::histogram!(OPERATION_SECONDS, "op" => op).record(took.as_secs_f64());
}

pub(crate) fn group_commit_batch(rows: usize) {
    metrics::histogram!(GROUP_COMMIT_ROWS).record(rows as f64);
}

pub(crate) fn group_commit_fallback() {
    metrics::counter!(GROUP_COMMIT_FALLBACKS).increment(1);
}

pub(crate) fn statement(info: &sea_orm::metric::Info<'_>) {
    let outcome = if info.failed { "error" } else { "ok" };
    metrics::histogram!(STATEMENT_SECONDS, "outcome" => outcome).record(info.elapsed.as_secs_f64());
}

/// Counts a task as waiting for a connection until dropped, then records the wait.
pub(crate) struct Acquiring {
    started: std::time::Instant,
}

impl Acquiring {
    pub(crate) fn start() -> Self {
        metrics::gauge!(WAITING).increment(1.0);
        Self {
            started: std::time::Instant::now(),
        }
    }
}

impl Drop for Acquiring {
    fn drop(&mut self) {
        metrics::gauge!(WAITING).decrement(1.0);
        metrics::histogram!(ACQUIRE_SECONDS).record(self.started.elapsed().as_secs_f64());
    }
}

/// One connection pool's occupancy at the time of asking.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PoolStats {
    /// `main` (every statement on PostgreSQL, reads on SQLite) or `writer` (SQLite writes).
    pub pool: &'static str,
    /// Connections open (in use plus idle).
    pub size: u32,
    /// Open connections not checked out.
    pub idle: u32,
    /// The most connections the pool opens.
    pub max: u32,
}

impl PoolStats {
    /// Connections checked out right now.
    pub fn in_use(&self) -> u32 {
        self.size.saturating_sub(self.idle)
    }
}
