//! The REST API and the Socket.IO gateway end to end: a real node per test, on SQLite and
//! on PostgreSQL.

// Scenarios are plain async functions the generated `#[tokio::test]`s call, so clippy does
// not see them as tests.
#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::field_reassign_with_default,
    reason = "test code: a panic is how a scenario reports failure"
)]

mod helpers;

mod abuse;
mod admin;
mod admin_views;
mod analytics;
mod auth;
mod cluster;
mod cluster_faults;
mod concurrency;
mod config;
mod conversations;
mod export;
mod export_memory;
mod files;
mod healthcheck;
mod import;
mod membership;
mod messages;
mod observability;
mod ops;
mod overload;
mod redis_modes;
mod reload;
mod search;
mod security;
mod socket;
mod telemetry;
mod validation;
