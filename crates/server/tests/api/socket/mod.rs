//! The Socket.IO gateway over a real websocket.

pub mod client;

mod events;
mod handshake;
mod presence;
mod realtime;
