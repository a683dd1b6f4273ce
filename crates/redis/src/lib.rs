//! confab-redis: what confab keeps in Redis so that several nodes act as one.
//!
//! Part 1, [`adapter`]: the Socket.IO cluster adapter. A socketioxide adapter on Redis
//! pub/sub (deadpool-redis for publishing, one dedicated subscriber connection) that speaks the
//! wire format of the official Node.js `@socket.io/redis-adapter` 8.x, so confab nodes, Node.js
//! Socket.IO servers on that adapter and `@socket.io/redis-emitter` share rooms. Rooms keep
//! working on each node while Redis is down; the link reconnects by itself.
//!
//! Part 2, [`state`]: presence, rate limits and typing expiry shared by all nodes, behind
//! the domain's ports, each with graceful behaviour while Redis is away.
//!
//! Depends on socketioxide-core, redis and deadpool-redis (and may use confab-domain's ports);
//! never on confab-store, confab-http, confab-gateway or confab-server.

pub mod adapter;
pub mod state;
#[cfg(feature = "testing")]
pub mod testing;

pub use adapter::{
    ClusterAdapter, ClusterConfig, ClusterHealth, Error, InitRes, LastError, RedisAdapter,
    RedisAdapterCtr, ServerSideEmit,
};
pub use state::{RedisState, StateConfig};
