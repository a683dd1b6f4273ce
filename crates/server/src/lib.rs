//! The `confab` binary's library half: configuration, telemetry, wiring, CLI and shutdown, and
//! `confab import seed` (`import`, which reads another PostgreSQL and writes confab's tables).
//! Everything else lives in the other crates; this one only assembles them.

#![warn(missing_docs)]

pub mod access_log;
pub mod analytics;
pub mod app;
pub mod cli;
pub mod cluster;
pub mod config;
pub mod healthcheck;
pub mod import;
pub mod lag;
pub mod metrics;
pub mod realtime;
pub mod secret;
pub mod telemetry;
pub mod transport;

pub use app::App;
pub use config::Config;
