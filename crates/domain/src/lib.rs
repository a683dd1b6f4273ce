//! confab's domain: typed ids, validated input, the records clients see, the policies that
//! say who may do what, and the use cases (send, edit, read, join, moderate...) written
//! against ports.
//!
//! This crate does no IO and must not depend on sea-orm, sqlx, axum, socketioxide, redis,
//! object_store or tokio's IO: adapters live in the other crates and implement [`ports`].

#![warn(missing_docs)]

pub mod admin;
pub mod admission;
pub mod error;
pub mod files;
pub mod identity;
pub mod ids;
pub mod input;
pub mod limits;
pub mod logs;
pub mod model;
pub mod policy;
pub mod ports;
pub mod presence;
pub mod service;
pub mod time;
#[cfg(test)]
mod wire_ts;

pub use error::{Error, Result};
pub use identity::{Identity, MessagingFlags};
pub use service::{Sent, Services, ServicesBuilder};
