//! The cluster adapter's settings.

use std::time::Duration;

/// How the adapter talks to Redis.
#[derive(Debug, Clone)]
pub struct ClusterConfig {
    /// The channel prefix (the Node adapter's `key` option). Every node, Node.js server and
    /// emitter that shares rooms must use the same one. Default `socket.io`.
    pub prefix: String,
    /// How long a request to the other nodes (fetch sockets, all rooms, server-side emit with
    /// ack) waits for all the answers. Default 5 s, like the Node adapter's `requestsTimeout`.
    pub request_timeout: Duration,
    /// The bound on one Redis operation (a publish batch, `PUBSUB NUMSUB`, connecting and
    /// subscribing): past it, Redis counts as unreachable. Default 2 s.
    pub redis_timeout: Duration,
    /// At most one log line per interval for repeated publish or subscribe failures (with the
    /// number held back). Default 10 s.
    pub error_log_interval: Duration,
    /// The subscriber reconnects after 100 ms, doubling up to this. Default 5 s.
    pub reconnect_max_backoff: Duration,
    /// The subscriber pings Redis this often to notice a dead link. Default 5 s.
    pub ping_interval: Duration,
    /// Messages waiting to be published; past it, broadcasts to other nodes are dropped (and
    /// counted as publish failures) until Redis catches up. Default 10 000.
    pub publish_queue: usize,
    /// Redis Cluster (sharded Pub/Sub) only: how often a node stops listening on the channels
    /// of rooms it has no socket in any more. Default 30 s.
    pub room_prune_interval: Duration,
}

impl Default for ClusterConfig {
    fn default() -> Self {
        Self {
            prefix: "socket.io".into(),
            request_timeout: Duration::from_secs(5),
            redis_timeout: Duration::from_secs(2),
            error_log_interval: Duration::from_secs(10),
            reconnect_max_backoff: Duration::from_secs(5),
            ping_interval: Duration::from_secs(5),
            publish_queue: 10_000,
            room_prune_interval: Duration::from_secs(30),
        }
    }
}
