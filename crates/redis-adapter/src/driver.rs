//! What the adapter needs from a pub/sub system, as one trait: publish in order, count the
//! listeners of a channel (the server count), and deliver the messages of subscribed
//! channels and patterns to a namespace's [`Route`]. `pubsub::RedisDriver` (one Redis) and
//! `sharded::ShardedDriver` (Redis Cluster, sharded Pub/Sub) are the real ones;
//! `memory::MemoryDriver` (tests) is an in-process bus with the same behaviour.

use std::sync::Weak;

use async_trait::async_trait;

use crate::error::Error;
use crate::health::ClusterHealth;

/// Which of a namespace's channels a message came in on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Inbox {
    Broadcast,
    Request,
    Response,
}

/// A namespace's message handler.
pub(crate) trait Route: Send + Sync + 'static {
    /// Called on the driver's delivery task: must not block (spawn for anything slow).
    fn on_message(&self, inbox: Inbox, channel: &str, payload: &[u8]);
}

/// The pub/sub link the adapter runs on.
#[async_trait]
pub(crate) trait Driver: Send + Sync + 'static {
    /// The link's health, as `/readyz` and the requests see it.
    fn health(&self) -> ClusterHealth;

    /// Queues a message without waiting. Messages of one node are published in the order they
    /// were queued, `publish` and `publish_wait` alike. A failure is counted in the health,
    /// never returned: local delivery does not wait for the cluster.
    fn publish(&self, channel: String, payload: Vec<u8>);

    /// Publishes and waits until the message was taken (or failed).
    async fn publish_wait(&self, channel: String, payload: Vec<u8>) -> Result<(), Error>;

    /// How many connections listen on `channel` (Redis `PUBSUB NUMSUB`).
    async fn numsub(&self, channel: &str) -> Result<usize, Error>;

    /// Subscribes a namespace's channels and its broadcast pattern and routes what arrives
    /// there to `route`; waits until they are subscribed. On error they stay registered and
    /// are subscribed when the link is back.
    async fn register(
        &self,
        channels: Vec<(String, Inbox)>,
        pattern: String,
        route: Weak<dyn Route>,
    ) -> Result<(), Error>;

    /// Forgets a namespace's channels and unsubscribes them (best effort).
    async fn unregister(&self, channels: &[String], pattern: &str);

    /// Whether rooms have channels of their own that a node must listen on while it has
    /// sockets there (sharded Pub/Sub). Classic drivers' broadcast pattern covers every room.
    fn room_channels(&self) -> bool {
        false
    }

    /// Listens on the channels of `rooms` of the namespace whose broadcast channel is
    /// `broadcast` (a socket of this node joined them); waits until subscribed.
    async fn watch_rooms(&self, _broadcast: &str, _rooms: &[String]) -> Result<(), Error> {
        Ok(())
    }

    /// Stops listening on the room channels of that namespace not in `live` (the rooms that
    /// still have a socket here).
    async fn prune_rooms(&self, _broadcast: &str, _live: &[String]) {}
}
