//! A Socket.IO v5 / Engine.IO v4 client over websocket for confab's tests, and its frame codec.
//!
//! - [`frame`] parses and writes the text frames (zero-copy); the load generator
//!   (`confab-loadgen`) drives its own connections with it.
//! - [`Client`] drives the gateway from Rust tests: CONNECT with auth (or a refusal),
//!   events with binary attachments, acks both ways, ping answers.
//! - [`http1`] reads one HTTP/1.1 request, for tests that stand in for an HTTP server
//!   (an OTLP collector).
//!
//! It is a test tool: no confab crate that ships depends on it, and it depends on no confab
//! crate.

#![warn(missing_docs)]

mod client;
pub mod frame;
pub mod http1;

pub use client::{Client, Event, Handshake};
