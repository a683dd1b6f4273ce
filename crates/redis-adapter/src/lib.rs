//! confab-redis-adapter: the Socket.IO cluster adapter. A socketioxide adapter on Redis pub/sub
//! (a pool for publishing, one dedicated subscriber connection; both from confab-redis-link) that speaks the wire
//! format of the official Node.js `@socket.io/redis-adapter` 8.x, so confab nodes, Node.js
//! Socket.IO servers on that adapter and `@socket.io/redis-emitter` share rooms. Rooms keep
//! working on each node while Redis is down; the link reconnects by itself.
//!
//! The adapter ([`adapter`], [`remote`](crate::remote), [`requests`](crate::requests)) talks
//! to the other nodes through a driver (`driver::Driver`: publish, count listeners,
//! subscribe). The real ones are Redis (`pubsub`) and Redis Cluster with sharded Pub/Sub in
//! the format of `createShardedAdapter` (`sharded`, for `redis+cluster://` URLs); the unit tests use an in-memory bus
//! (`memory`) so the adapter's logic runs without a server.
//!
//! Depends on socketioxide-core, redis, the wire format's crates (rmpv, serde)
//! and confab-redis-link (the pool and the log throttle), as socketioxide-redis depends on
//! socketioxide-core; never on confab-domain or any other confab crate: it knows Socket.IO,
//! not chat.

#![warn(missing_docs)]

pub mod adapter;
mod config;
mod driver;
mod error;
#[cfg(test)]
mod fixture_tests;
#[doc(hidden)]
pub mod fuzzing;
mod health;
#[cfg(test)]
mod memory;
mod msgpack;
mod pubsub;
mod queue;
mod remote;
mod requests;
mod server_side;
mod sharded;
mod state;
mod wire;

pub use adapter::{ClusterAdapter, InitRes, RedisAdapter};
pub use config::ClusterConfig;
pub use error::Error;
pub use health::{ClusterHealth, LastError};
pub use server_side::ServerSideEmit;
pub use state::RedisAdapterCtr;
