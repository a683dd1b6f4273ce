//! The Socket.IO gateway over a real websocket.

pub(crate) mod polling;

mod events;
mod handshake;
mod presence;
mod realtime;
