//! confab's schema: one sea-orm-migration set that runs on PostgreSQL and on SQLite.
//!
//! Tables are written with the schema builder so each backend gets fitting column types;
//! PostgreSQL-only features (the `tsvector` column and its GIN index) are guarded by backend
//! and have a SQLite equivalent (an FTS5 table kept in sync by triggers).
//!
//! This crate knows only sea-orm-migration: it must not depend on confab's other crates.
//! Migrations that have shipped are never edited; change the schema with a new one.

#![warn(missing_docs)]

pub use sea_orm_migration::MigratorTrait;
use sea_orm_migration::prelude::*;

mod m20261124_000001_create_core_tables;
mod m20261124_000002_create_search;
mod m20261124_000003_create_audit_log;
mod m20261124_000004_create_conversation_analytics;
mod m20261204_000005_create_project_members;
mod m20261204_000006_backfill_project_members;

/// Every migration, oldest first. `confab migrate` (and the store's `migrate`) call
/// `Migrator::up(conn, None)`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261124_000001_create_core_tables::Migration),
            Box::new(m20261124_000002_create_search::Migration),
            Box::new(m20261124_000003_create_audit_log::Migration),
            Box::new(m20261124_000004_create_conversation_analytics::Migration),
            Box::new(m20261204_000005_create_project_members::Migration),
            Box::new(m20261204_000006_backfill_project_members::Migration),
        ]
    }
}
