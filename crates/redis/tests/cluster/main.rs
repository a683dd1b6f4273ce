//! Several socketioxide nodes in one process on real Redis, with real websocket clients.
//! Redis must be up (127.0.0.1:6379 or `CONFAB_TEST_REDIS_URL`): without it these tests fail.
//! The fault test starts its own `redis-server`.

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
mod state;
