//! Gateway settings. The engine values default to Node's Socket.IO defaults, which clients
//! rely on. The server reads the engine and presence settings straight into this struct
//! (`CONFAB_REALTIME__*`, durations written like `25s`); the caps come from its
//! `CONFAB_LIMITS__*` section and `sync_max` is not a setting, so those three are skipped.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// The Socket.IO settings of a node (`[realtime]` in `confab.toml`): Engine.IO timings and
/// the per-socket limits.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default)]
pub struct GatewayConfig {
    /// Engine.IO ping interval (Node: 25 s).
    #[serde(with = "humantime_serde")]
    pub ping_interval: Duration,
    /// Engine.IO ping timeout (Node: 20 s).
    #[serde(with = "humantime_serde")]
    pub ping_timeout: Duration,
    /// Time a client has to send the Socket.IO CONNECT packet (Node: 45 s).
    #[serde(with = "humantime_serde")]
    pub connect_timeout: Duration,
    /// Largest Engine.IO payload accepted (Node: 1 MB; engineioxide's own default is 100 kB).
    pub max_payload: u64,
    /// How long a user with no socket left stays online, so a reconnect does not flap
    /// `user:offline` / `user:online`.
    #[serde(with = "humantime_serde")]
    pub offline_grace: Duration,
    /// A `typing:start` with no `typing:stop` ends after this long.
    #[serde(with = "humantime_serde")]
    pub typing_ttl: Duration,
    /// Largest page `message:sync` returns.
    #[serde(skip)]
    pub sync_max: u32,
    /// How often presence upkeep runs (node heartbeat, dead-node cleanup).
    #[serde(with = "humantime_serde")]
    pub presence_interval: Duration,
    /// Bytes each websocket reads at a time; every socket holds a buffer this size for its
    /// whole life. engineioxide's default is 4 KiB; 1 KiB holds a few chat events and saves
    /// ~3 KB per idle connection (larger frames just take more reads).
    pub ws_read_buffer: usize,
    /// Packets queued for one socket at most (the engine's `max_buffer_size`). A socket whose
    /// queue is full misses what is broadcast to it (counted in
    /// `confab_socket_deliveries_dropped_total`) and is closed at its next ping, whose packet
    /// no longer fits: a client that stops reading costs at most this many packets, and
    /// recovers with `message:sync` after reconnecting.
    pub max_buffer_size: usize,
    /// Sockets one user may hold on this node (0: no cap); more handshakes are refused with
    /// `too_many_sockets`.
    #[serde(skip)]
    pub sockets_per_user: u32,
    /// Conversation rooms one socket may have joined (0: no cap); more joins answer
    /// `too_many_rooms`.
    #[serde(skip)]
    pub rooms_per_socket: u32,
}

impl Default for GatewayConfig {
    fn default() -> Self {
        Self {
            ping_interval: Duration::from_secs(25),
            ping_timeout: Duration::from_secs(20),
            connect_timeout: Duration::from_secs(45),
            max_payload: 1_000_000,
            offline_grace: Duration::from_secs(2),
            typing_ttl: Duration::from_secs(6),
            sync_max: 500,
            presence_interval: Duration::from_secs(5),
            ws_read_buffer: 1024,
            max_buffer_size: 128,
            sockets_per_user: 20,
            rooms_per_socket: 200,
        }
    }
}
