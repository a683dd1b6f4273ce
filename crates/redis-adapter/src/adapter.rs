//! The Socket.IO cluster adapter: socketioxide's [`CoreAdapter`] over Redis pub/sub, in the wire
//! format of the official Node.js `@socket.io/redis-adapter` 8.x (see [`wire`] for the format).
//!
//! Every operation is applied to this node's sockets first and then published for the others,
//! so local rooms keep working while Redis is down: broadcasts never fail their caller because
//! of Redis (publish failures are logged, throttled, and show in [`ClusterHealth`]); requests
//! that need answers from other nodes fail fast with [`Error::Unavailable`].
//!
//! [`ClusterHealth`]: crate::ClusterHealth

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use rmpv::Value as Mp;
use socketioxide_core::adapter::errors::BroadcastError;
use socketioxide_core::adapter::remote_packet::{Response, ResponseType};
use socketioxide_core::adapter::stream::{AckStream, ChanStream};
use socketioxide_core::adapter::{
    BroadcastFlags, BroadcastOptions, CoreAdapter, CoreLocalAdapter, DefinedAdapter,
    RemoteSocketData, Room, RoomParam, SocketEmitter, Spawnable,
};
use socketioxide_core::packet::{Packet, PacketData};
use socketioxide_core::{Sid, Str, Uid, Value};
use tokio::sync::mpsc;

use crate::driver::Inbox;
use crate::error::Error;
use crate::state::{NsEntry, RedisAdapterCtr, Shared};
use crate::wire::{self, Channels, NodeOpts, kind};
use crate::{msgpack, requests};

/// The adapter type to plug in: `SocketIo::builder().with_adapter::<RedisAdapter<_>>(ctr)`.
pub type RedisAdapter<E> = ClusterAdapter<E>;

/// One namespace's adapter (socketioxide makes one per namespace from the shared
/// [`RedisAdapterCtr`]).
pub struct ClusterAdapter<E> {
    pub(crate) local: CoreLocalAdapter<E>,
    pub(crate) shared: Arc<Shared>,
    pub(crate) channels: Channels,
    /// This node's uid on the wire: socketioxide's server id.
    pub(crate) uid: String,
    pub(crate) nsp: String,
}

impl<E> DefinedAdapter for ClusterAdapter<E> {}

/// What `io.ns(..)` returns with this adapter: await it (or let socketioxide spawn it for
/// dynamic namespaces). The namespace is registered and serves local sockets at once; the
/// result says whether its Redis channels are subscribed. On `Err` the adapter keeps trying in
/// the background, so a caller may log it and carry on degraded, or refuse to start.
#[must_use = "the namespace is only registered when this future runs"]
pub struct InitRes(Pin<Box<dyn Future<Output = Result<(), Error>> + Send>>);

impl Future for InitRes {
    type Output = Result<(), Error>;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.0.as_mut().poll(cx)
    }
}

impl Spawnable for InitRes {
    fn spawn(self) {
        tokio::spawn(async move {
            if let Err(e) = self.await {
                tracing::error!(error = %e, "cluster adapter: namespace not subscribed to redis yet");
            }
        });
    }
}

impl<E: SocketEmitter> ClusterAdapter<E> {
    /// Makes the selected sockets join (`REMOTE_JOIN`) or else leave (`REMOTE_LEAVE`) `rooms`:
    /// here where the selection applies, then on the other nodes unless it is local only.
    /// Joins (`join`) or leaves `rooms` for the sockets `opts` select, here and on the other
    /// nodes. A local join also starts listening on the rooms' channels (sharded Pub/Sub).
    async fn change_rooms(
        &self,
        join: bool,
        opts: BroadcastOptions,
        rooms: impl RoomParam,
    ) -> Result<(), Error> {
        let rooms: Vec<Room> = rooms.into_room_iter().collect();
        if self.applies_locally(&opts) {
            if join {
                self.local.add_sockets(opts.clone(), rooms.clone());
                let mut watched = rooms.clone();
                // The socket's own channel too: Node's `RemoteSocket.emit` publishes there.
                if let Some(sid) = opts.sid
                    && opts.rooms.is_empty()
                    && !opts.has_flag(BroadcastFlags::Broadcast)
                {
                    watched.push(Room::from(sid.to_string()));
                }
                self.watch_rooms(&watched).await;
            } else {
                self.local.del_sockets(opts.clone(), rooms.clone());
            }
        }
        let kind = if join {
            kind::REMOTE_JOIN
        } else {
            kind::REMOTE_LEAVE
        };
        self.publish_rooms_request(kind, &opts, rooms).await
    }

    async fn publish_rooms_request(
        &self,
        kind: u64,
        opts: &BroadcastOptions,
        rooms: Vec<Room>,
    ) -> Result<(), Error> {
        let Some(node_opts) = self.remote_opts(opts) else {
            return Ok(());
        };
        let rooms = wire::room_strings(rooms);
        let body = wire::encode_rooms_request(&self.uid, kind, &node_opts, &rooms);
        self.shared
            .driver
            .publish_wait(self.channels.request.clone(), body)
            .await
    }

    fn server_uid(&self) -> Uid {
        self.local.server_id()
    }

    /// Whether `opts` reach other nodes at all.
    fn remote_opts(&self, opts: &BroadcastOptions) -> Option<NodeOpts> {
        if opts.is_local(self.server_uid()) {
            return None;
        }
        NodeOpts::from_socketioxide(opts)
    }

    /// A selector naming one socket that is not here must not be applied locally: the local
    /// adapter would add the unknown id to its room map. A `local()` selector is this node's
    /// by the caller's word (a socket still in its connect middleware is not listed yet).
    fn applies_locally(&self, opts: &BroadcastOptions) -> bool {
        if opts.has_flag(BroadcastFlags::Local) {
            return true;
        }
        match opts.sid {
            Some(sid) if opts.rooms.is_empty() && !opts.has_flag(BroadcastFlags::Broadcast) => {
                self.has_socket(sid)
            }
            _ => true,
        }
    }

    /// Sharded Pub/Sub: listens on the channels of `rooms` (a local socket joined them) before
    /// the join returns. A failure is logged and shows in the health; the join itself stands.
    pub(crate) async fn watch_rooms(&self, rooms: &[Room]) {
        if !self.shared.driver.room_channels() || rooms.is_empty() {
            return;
        }
        let rooms = wire::room_strings(rooms.iter().cloned());
        if let Err(e) = self
            .shared
            .driver
            .watch_rooms(&self.channels.broadcast, &rooms)
            .await
        {
            tracing::warn!(error = %e, "cluster adapter: not listening on a room's channel yet");
        }
    }

    /// The rooms with a socket on this node, and the ids of its sockets (Node.js addresses a
    /// socket by a room named after its id).
    pub(crate) fn local_rooms(&self) -> Vec<String> {
        let mut all = BroadcastOptions::default();
        all.add_flag(BroadcastFlags::Broadcast);
        let mut rooms: Vec<String> = self
            .local
            .rooms(all.clone())
            .into_iter()
            .map(|r| r.into_owned())
            .collect();
        rooms.extend(
            self.local
                .sockets(all)
                .into_iter()
                .map(|sid| sid.to_string()),
        );
        rooms
    }

    pub(crate) fn has_socket(&self, sid: Sid) -> bool {
        !self
            .local
            .fetch_sockets(BroadcastOptions::new(sid))
            .is_empty()
    }

    /// The ack stream for acks from this node only.
    fn local_ack_stream(
        &self,
        local: E::AckStream,
        timeout: Duration,
    ) -> AckStream<E, ChanStream<Mp>, Mp> {
        let (_, rx) = mpsc::channel(1);
        AckStream::new(
            local,
            ChanStream::new(rx),
            decode_ack::<E::AckError>,
            timeout,
            0,
            Sid::new(),
            self.shared.pending.clone(),
        )
    }
}

/// socketioxide's packet as Node's packet object (events only).
pub(crate) fn node_packet(packet: &Packet) -> Result<Mp, Error> {
    match &packet.inner {
        PacketData::Event(value, _) | PacketData::BinaryEvent(value, _) => match value {
            Value::Str(json, bins) => {
                let data = msgpack::payload_to_mp(json, bins.as_ref()).map_err(Error::Encode)?;
                Ok(wire::packet_mp(data, &packet.ns))
            }
            Value::Bytes(_) => Err(Error::Encode(
                "socketioxide's MessagePack parser is not supported; use the default parser".into(),
            )),
        },
        _ => Err(Error::Encode("only event packets are broadcast".into())),
    }
}

/// A remote answer to a broadcast with acks, as socketioxide's response type. Node's answers
/// carry no socket id, so remote acks come with [`Sid::ZERO`].
pub(crate) fn decode_ack<D>(answer: Mp) -> Result<Response<D>, Box<dyn std::error::Error + Send>> {
    let r#type = match wire::get(&answer, "type").and_then(wire::as_u64) {
        Some(kind::BROADCAST_CLIENT_COUNT) => {
            let count = wire::get(&answer, "clientCount")
                .and_then(wire::as_u64)
                .unwrap_or(0);
            ResponseType::BroadcastAckCount(u32::try_from(count).unwrap_or(u32::MAX))
        }
        Some(kind::BROADCAST_ACK) => {
            let arg = wire::get(&answer, "packet").cloned().unwrap_or(Mp::Nil);
            ResponseType::BroadcastAck((Sid::ZERO, Ok(ack_value(&arg))))
        }
        other => {
            return Err(Box::new(Error::Encode(format!(
                "unexpected answer type {other:?}"
            ))));
        }
    };
    Ok(Response {
        node_id: Uid::ZERO,
        r#type,
    })
}

/// A remote ack argument as socketioxide's ack payload (the argument list `[arg]`).
fn ack_value(arg: &Mp) -> Value {
    let mut json = String::from("[");
    let mut bins = std::collections::VecDeque::new();
    msgpack::write_json(&mut json, arg, &mut bins);
    json.push(']');
    Value::Str(Str::from(json), (!bins.is_empty()).then_some(bins))
}

impl<E: SocketEmitter> CoreAdapter<E> for ClusterAdapter<E> {
    type Error = Error;
    type State = RedisAdapterCtr;
    type AckStream = AckStream<E, ChanStream<Mp>, Mp>;
    type InitRes = InitRes;

    fn new(state: &Self::State, local: CoreLocalAdapter<E>) -> Self {
        let uid = local.server_id().to_string();
        let nsp = local.path().to_string();
        let channels = Channels::new(&state.shared.config.prefix, &nsp, &uid);
        Self {
            local,
            shared: state.shared.clone(),
            channels,
            uid,
            nsp,
        }
    }

    fn init(self: Arc<Self>, on_success: impl FnOnce() + Send + 'static) -> Self::InitRes {
        InitRes(Box::pin(async move {
            on_success();
            self.shared
                .namespaces
                .write()
                .unwrap_or_else(PoisonError::into_inner)
                .insert(
                    self.nsp.clone(),
                    NsEntry {
                        uid: self.uid.clone(),
                        channels: self.channels.clone(),
                    },
                );
            let weak = Arc::downgrade(&self);
            let channels = vec![
                (self.channels.request.clone(), Inbox::Request),
                (self.channels.response.clone(), Inbox::Response),
                (self.channels.specific_response.clone(), Inbox::Response),
            ];
            let pattern = self.channels.broadcast_pattern();
            if self.shared.driver.room_channels() {
                tokio::spawn(prune_rooms(
                    weak.clone(),
                    self.shared.config.room_prune_interval,
                ));
            }
            self.shared.driver.register(channels, pattern, weak).await
        }))
    }

    async fn close(&self) -> Result<(), Self::Error> {
        self.shared
            .namespaces
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&self.nsp);
        let c = &self.channels;
        let channels = [
            c.request.clone(),
            c.response.clone(),
            c.specific_response.clone(),
        ];
        self.shared
            .driver
            .unregister(&channels, &c.broadcast_pattern())
            .await;
        Ok(())
    }

    async fn server_count(&self) -> Result<u16, Self::Error> {
        let n = self.shared.driver.numsub(&self.channels.request).await?;
        Ok(u16::try_from(n.max(1)).unwrap_or(u16::MAX))
    }

    async fn broadcast(
        &self,
        packet: Packet,
        opts: BroadcastOptions,
    ) -> Result<(), BroadcastError> {
        if let Some(node_opts) = self.remote_opts(&opts) {
            match node_packet(&packet) {
                Ok(node_packet) => {
                    let body = wire::encode_broadcast(&self.uid, node_packet, &node_opts);
                    let channel = self.channels.broadcast_channel(&node_opts.rooms);
                    self.shared.driver.publish(channel, body);
                }
                Err(e) => {
                    tracing::warn!(error = %e, "cluster adapter: broadcasting to this node only")
                }
            }
        }
        self.local
            .broadcast(packet, opts)
            .map_err(BroadcastError::from)
    }

    async fn broadcast_with_ack(
        &self,
        packet: Packet,
        opts: BroadcastOptions,
        timeout: Option<Duration>,
    ) -> Result<Self::AckStream, Self::Error> {
        let ack_timeout = timeout.unwrap_or_else(|| self.local.ack_timeout());
        let remote = match (self.remote_opts(&opts), node_packet(&packet)) {
            (Some(node_opts), Ok(node_packet)) => {
                match self.shared.remote_count(&self.channels).await {
                    Ok(0) => None,
                    Ok(n) => Some((node_opts, node_packet, n)),
                    // Degrade to this node's sockets, like a plain broadcast during an outage.
                    Err(e) => {
                        tracing::debug!(error = %e, "cluster adapter: acks from this node only");
                        None
                    }
                }
            }
            _ => None,
        };
        let Some((mut node_opts, node_packet, servers)) = remote else {
            let (local, _) = self.local.broadcast_with_ack(packet, opts, timeout);
            return Ok(self.local_ack_stream(local, ack_timeout));
        };
        node_opts.timeout_ms = Some(u64::try_from(ack_timeout.as_millis()).unwrap_or(u64::MAX));
        let id = Sid::new();
        let (tx, rx) = mpsc::channel(requests::ANSWER_BUFFER);
        self.shared
            .pending
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(id, tx);
        let body = wire::encode_broadcast_request(&self.uid, id.as_str(), node_packet, &node_opts);
        self.shared
            .driver
            .publish(self.channels.request.clone(), body);
        let (local, _) = self.local.broadcast_with_ack(packet, opts, timeout);
        Ok(AckStream::new(
            local,
            ChanStream::new(rx),
            decode_ack::<E::AckError>,
            ack_timeout,
            u16::try_from(servers).unwrap_or(u16::MAX),
            id,
            self.shared.pending.clone(),
        ))
    }

    async fn add_sockets(
        &self,
        opts: BroadcastOptions,
        rooms: impl RoomParam,
    ) -> Result<(), Self::Error> {
        self.change_rooms(true, opts, rooms).await
    }

    async fn del_sockets(
        &self,
        opts: BroadcastOptions,
        rooms: impl RoomParam,
    ) -> Result<(), Self::Error> {
        self.change_rooms(false, opts, rooms).await
    }

    async fn disconnect_socket(&self, opts: BroadcastOptions) -> Result<(), BroadcastError> {
        let remote = self.remote_opts(&opts);
        let local = self.local.disconnect_socket(opts);
        if let Some(node_opts) = remote {
            let body = wire::encode_disconnect_request(&self.uid, &node_opts, false);
            self.shared
                .driver
                .publish_wait(self.channels.request.clone(), body)
                .await
                .map_err(|e| BroadcastError::Adapter(e.into()))?;
        }
        local.map_err(BroadcastError::Socket)
    }

    async fn rooms(&self, opts: BroadcastOptions) -> Result<Vec<Room>, Self::Error> {
        let mut rooms = self.local.rooms(opts.clone());
        let Some(node_opts) = self.remote_opts(&opts) else {
            return Ok(rooms.into_iter().collect());
        };
        let expected = self.shared.remote_count(&self.channels).await?;
        if expected == 0 {
            return Ok(rooms.into_iter().collect());
        }
        let everything = node_opts.rooms.is_empty() && node_opts.except.is_empty();
        if everything {
            let answers = self
                .shared
                .request(&self.channels, expected, "all_rooms", |id| {
                    wire::encode_all_rooms_request(&self.uid, id)
                })
                .await?;
            for answer in &answers {
                rooms.extend(
                    wire::strings(wire::get(answer, "rooms"))
                        .into_iter()
                        .map(Room::from),
                );
            }
        } else {
            // Node's ALL_ROOMS has no selector: ask for the selected sockets and their rooms.
            let answers = self
                .shared
                .request(&self.channels, expected, "fetch_sockets", |id| {
                    wire::encode_fetch_request(&self.uid, id, &node_opts)
                })
                .await?;
            for socket in answers.iter().flat_map(fetched_sockets) {
                let id = wire::get(socket, "id")
                    .and_then(Mp::as_str)
                    .unwrap_or_default();
                let own = wire::strings(wire::get(socket, "rooms"));
                rooms.extend(own.into_iter().filter(|r| r != id).map(Room::from));
            }
        }
        Ok(rooms.into_iter().collect())
    }

    async fn fetch_sockets(
        &self,
        opts: BroadcastOptions,
    ) -> Result<Vec<RemoteSocketData>, Self::Error> {
        let mut sockets = self.local.fetch_sockets(opts.clone());
        let Some(node_opts) = self.remote_opts(&opts) else {
            return Ok(sockets);
        };
        let expected = self.shared.remote_count(&self.channels).await?;
        if expected == 0 {
            return Ok(sockets);
        }
        let answers = self
            .shared
            .request(&self.channels, expected, "fetch_sockets", |id| {
                wire::encode_fetch_request(&self.uid, id, &node_opts)
            })
            .await?;
        let mut foreign = 0usize;
        for socket in answers.iter().flat_map(fetched_sockets) {
            let id = wire::get(socket, "id")
                .and_then(Mp::as_str)
                .unwrap_or_default();
            match id.parse::<Sid>() {
                Ok(id) => sockets.push(RemoteSocketData {
                    id,
                    server_id: Uid::ZERO,
                    ns: self.local.path().clone(),
                }),
                Err(_) => foreign += 1,
            }
        }
        if foreign > 0 {
            // Node.js socket ids (20 characters) do not fit socketioxide's 16-character ids.
            tracing::debug!(
                foreign,
                "cluster adapter: skipped sockets of Node.js servers in fetch_sockets"
            );
        }
        Ok(sockets)
    }

    fn get_local(&self) -> &CoreLocalAdapter<E> {
        &self.local
    }
}

/// Sharded Pub/Sub: every `interval`, stops listening on the channels of rooms that no
/// socket of this node is in any more (sockets leave rooms without telling the adapter).
/// Ends with the namespace.
async fn prune_rooms<E: SocketEmitter>(
    adapter: std::sync::Weak<ClusterAdapter<E>>,
    interval: Duration,
) {
    loop {
        tokio::time::sleep(interval).await;
        let Some(adapter) = adapter.upgrade() else {
            return;
        };
        let live = adapter.local_rooms();
        let driver = &adapter.shared.driver;
        driver.prune_rooms(&adapter.channels.broadcast, &live).await;
        // A room joined while this ran may have been pruned from a stale list: listen again
        // on every room that has a socket now (only the missing ones are subscribed).
        let now = adapter.local_rooms();
        if let Err(e) = driver.watch_rooms(&adapter.channels.broadcast, &now).await {
            tracing::debug!(error = %e, "cluster adapter: could not listen on some room channels");
        }
    }
}

/// The `sockets` of a REMOTE_FETCH answer.
fn fetched_sockets(answer: &Mp) -> impl Iterator<Item = &Mp> {
    match wire::get(answer, "sockets") {
        Some(Mp::Array(items)) => items.iter(),
        _ => [].iter(),
    }
}
