//! Several socketioxide nodes in one process on real Redis, with real websocket clients.
//! Redis must be up (127.0.0.1:6379 or `CONFAB_TEST_REDIS_URL`): without it these tests fail.
//! The fault test starts its own `redis-server`. The adapter's logic without Redis is unit-tested
//! on the in-memory driver (`src/memory.rs`); the cluster state has its own tests
//! (crates/cluster-state/tests/state).

// Helpers and the client are not `#[test]` functions, so clippy does not see them as tests.
#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test code: a panic is how a test reports failure"
)]

// The shared Engine.IO test client (crates/test-client).
use confab_test_client as client;

mod fault;
mod helpers;
mod requests;
mod rooms;
mod sharded;
