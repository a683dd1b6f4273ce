//! confab's persistence: sea-orm entities and the repository adapter ([`SqlStore`]) that
//! implements `confab_domain::ports::Store` on PostgreSQL (clusters) and SQLite (the single-node
//! default), one binary, the backend chosen by the URL ([`connect`]). The schema lives in
//! `confab-migrations`; [`Database::migrate`] applies it.
//!
//! Depends inward only: on `confab-domain` (the ports it implements) and the migrations. It
//! must not depend on the HTTP, gateway or server crates, nor know about Socket.IO or Redis.
//! Database failures leave this crate as `confab_domain::Error`s without SQL in them.
//!
//! With the `testing` feature, `confab_store::testing` hands out throwaway PostgreSQL and
//! SQLite databases for integration tests (this crate's and the others').

#![warn(missing_docs)]

mod connect;
pub mod entity;
mod error;
pub mod metrics;
mod repo;
mod scoped;
#[cfg(feature = "testing")]
pub mod testing;

pub use connect::{Backend, DEFAULT_SCHEMA, Database, GroupCommitOptions, StoreOptions, connect};
pub use error::StoreError;
pub use metrics::PoolStats;
pub use repo::{GroupCommitStats, GroupReadStats, SqlStore};
pub use scoped::{Db, Pooler, validate_schema};
