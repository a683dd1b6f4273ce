//! What this node does with the other servers' messages: broadcasts, requests, answers.
//!
//! Node.js puts every socket in a room named by its id, and selects "this socket" with
//! `rooms: [id]` (a `RemoteSocket`'s emit, join, leave and disconnect, and `io.to(id)`).
//! socketioxide has no such rooms, so a selector naming one of our socket ids is resolved to
//! that socket here.

use std::collections::HashSet;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use rmpv::Value as Mp;
use socketioxide_core::adapter::{BroadcastFlags, BroadcastOptions, Room, SocketEmitter};
use socketioxide_core::packet::Packet;
use socketioxide_core::{Sid, Str, Value};

use crate::adapter::ClusterAdapter;
use crate::driver::{Inbox, Route};
use crate::msgpack;
use crate::server_side::{ServerSideEmit, to_json};
use crate::wire::{self, FetchedSocket, NodeOpts, kind};

impl<E: SocketEmitter> Route for ClusterAdapter<E> {
    fn on_message(&self, inbox: Inbox, _channel: &str, payload: &[u8]) {
        match inbox {
            Inbox::Broadcast => self.on_broadcast(payload),
            Inbox::Request => self.on_request(payload),
            Inbox::Response => self.shared.route_response(payload),
        }
    }
}

impl<E: SocketEmitter> ClusterAdapter<E> {
    fn on_broadcast(&self, payload: &[u8]) {
        let message = match wire::decode_broadcast(payload) {
            Ok(message) => message,
            Err(e) => {
                tracing::debug!(error = %e, "cluster adapter: ignoring a malformed broadcast");
                return;
            }
        };
        if message.uid == self.uid || message.nsp != self.nsp {
            return;
        }
        let packet = event_packet(&self.nsp, &message.data);
        for opts in self.resolve(&message.opts) {
            if let Err(e) = self.local.broadcast(packet.clone(), opts) {
                tracing::debug!(
                    ?e,
                    "cluster adapter: remote broadcast not delivered to every socket"
                );
            }
        }
    }

    fn on_request(&self, payload: &[u8]) {
        let request = match wire::decode_body(payload) {
            Ok(request) => request,
            Err(e) => {
                tracing::debug!(error = %e, "cluster adapter: ignoring a malformed request");
                return;
            }
        };
        if wire::get(&request, "uid").and_then(Mp::as_str) == Some(self.uid.as_str()) {
            return;
        }
        let request_id = wire::get(&request, "requestId")
            .and_then(Mp::as_str)
            .map(str::to_owned);
        let opts = wire::get(&request, "opts").map(NodeOpts::from_mp);
        match wire::get(&request, "type").and_then(wire::as_u64) {
            Some(kind::SOCKETS) => self.answer_sockets(request_id, &request),
            Some(kind::ALL_ROOMS) => self.answer_all_rooms(request_id),
            Some(kind::REMOTE_JOIN) => self.remote_rooms(opts, &request, request_id, true),
            Some(kind::REMOTE_LEAVE) => self.remote_rooms(opts, &request, request_id, false),
            Some(kind::REMOTE_DISCONNECT) => self.remote_disconnect(opts, &request, request_id),
            Some(kind::REMOTE_FETCH) => self.answer_fetch(request_id, opts.unwrap_or_default()),
            Some(kind::SERVER_SIDE_EMIT) => self.server_side_emit(request_id, &request),
            Some(kind::BROADCAST) => {
                self.broadcast_with_acks(request_id, &request, opts.unwrap_or_default())
            }
            other => tracing::debug!(?other, "cluster adapter: ignoring an unknown request type"),
        }
    }

    fn respond(&self, body: Vec<u8>) {
        self.shared
            .driver
            .publish(self.channels.response.clone(), body);
    }

    /// Node's selector as socketioxide selectors on this node's sockets.
    fn resolve(&self, opts: &NodeOpts) -> Vec<BroadcastOptions> {
        let ours = |room: &String| Sid::from_str(room).ok().filter(|sid| self.has_socket(*sid));
        let sid_rooms: Vec<Sid> = opts.rooms.iter().filter_map(ours).collect();
        let sid_except: Vec<Sid> = opts.except.iter().filter_map(ours).collect();
        let mut base = BroadcastOptions::default();
        base.rooms = opts.rooms.iter().map(|r| Room::from(r.clone())).collect();
        base.except = opts.except.iter().map(|r| Room::from(r.clone())).collect();
        if opts.volatile {
            base.add_flag(BroadcastFlags::Volatile);
        }
        if sid_rooms.is_empty() && sid_except.len() <= 1 {
            // The common case: plain rooms, perhaps minus one sender.
            if opts.rooms.is_empty() || !sid_except.is_empty() {
                base.add_flag(BroadcastFlags::Broadcast);
            }
            base.sid = sid_except.first().copied();
            return vec![base];
        }
        if opts.rooms.is_empty() {
            base.add_flag(BroadcastFlags::Broadcast);
        }
        let mut sids: HashSet<Sid> = self.local.sockets(base).into_iter().collect();
        for sid in sid_rooms {
            let excluded = self
                .local
                .socket_rooms(sid)
                .iter()
                .any(|r| opts.except.iter().any(|e| e == r));
            if !excluded {
                sids.insert(sid);
            }
        }
        for sid in &sid_except {
            sids.remove(sid);
        }
        sids.into_iter()
            .map(|sid| {
                let mut one = BroadcastOptions::new(sid);
                if opts.volatile {
                    one.add_flag(BroadcastFlags::Volatile);
                }
                one
            })
            .collect()
    }

    fn answer_sockets(&self, request_id: Option<String>, request: &Mp) {
        let Some(id) = request_id else { return };
        let opts = NodeOpts {
            rooms: wire::strings(wire::get(request, "rooms")),
            ..NodeOpts::default()
        };
        let sockets: Vec<String> = self
            .resolve(&opts)
            .into_iter()
            .flat_map(|o| self.local.sockets(o))
            .map(|sid| sid.to_string())
            .collect();
        self.respond(wire::encode_sockets_response(&id, &sockets));
    }

    fn answer_all_rooms(&self, request_id: Option<String>) {
        let Some(id) = request_id else { return };
        let mut all = BroadcastOptions::default();
        all.add_flag(BroadcastFlags::Broadcast);
        let rooms: Vec<String> = self
            .local
            .rooms(all)
            .into_iter()
            .map(|r| r.into_owned())
            .collect();
        self.respond(wire::encode_rooms_response(&id, &rooms));
    }

    /// REMOTE_JOIN / REMOTE_LEAVE: by selector, or (older adapters) one socket by `sid`.
    fn remote_rooms(
        &self,
        opts: Option<NodeOpts>,
        request: &Mp,
        request_id: Option<String>,
        join: bool,
    ) {
        if let Some(opts) = opts {
            let rooms = wire::strings(wire::get(request, "rooms"));
            if join && self.shared.driver.room_channels() {
                self.watch_rooms_later(&rooms);
            }
            for selector in self.resolve(&opts) {
                let rooms: Vec<Room> = rooms.iter().map(|r| Room::from(r.clone())).collect();
                if join {
                    self.local.add_sockets(selector, rooms);
                } else {
                    self.local.del_sockets(selector, rooms);
                }
            }
            return;
        }
        let Some(sid) = self.legacy_target(request) else {
            return;
        };
        let Some(room) = wire::get(request, "room").and_then(Mp::as_str) else {
            return;
        };
        let room = Room::from(room.to_owned());
        if join {
            self.local.add_sockets(BroadcastOptions::new(sid), room);
        } else {
            self.local.del_sockets(BroadcastOptions::new(sid), room);
        }
        if let Some(id) = request_id {
            self.respond(wire::encode_done_response(&id));
        }
    }

    fn remote_disconnect(&self, opts: Option<NodeOpts>, request: &Mp, request_id: Option<String>) {
        let selectors = match (opts, self.legacy_target(request)) {
            (Some(opts), _) => self.resolve(&opts),
            (None, Some(sid)) => vec![BroadcastOptions::new(sid)],
            (None, None) => return,
        };
        for selector in selectors {
            if let Err(e) = self.local.disconnect_socket(selector) {
                tracing::debug!(
                    ?e,
                    "cluster adapter: remote disconnect failed for some sockets"
                );
            }
        }
        if let Some(id) = request_id {
            self.respond(wire::encode_done_response(&id));
        }
    }

    /// Listens on the channels of `rooms` (sockets of this node may join them), off the
    /// delivery task. Rooms no local socket ends up in are pruned later.
    fn watch_rooms_later(&self, rooms: &[String]) {
        let driver = Arc::clone(&self.shared.driver);
        let broadcast = self.channels.broadcast.clone();
        let rooms = rooms.to_vec();
        tokio::spawn(async move {
            if let Err(e) = driver.watch_rooms(&broadcast, &rooms).await {
                tracing::warn!(error = %e, "cluster adapter: not listening on a room's channel yet");
            }
        });
    }

    /// The socket a legacy single-socket request names, if it is here.
    fn legacy_target(&self, request: &Mp) -> Option<Sid> {
        let sid = wire::get(request, "sid")?.as_str()?.parse::<Sid>().ok()?;
        self.has_socket(sid).then_some(sid)
    }

    fn answer_fetch(&self, request_id: Option<String>, opts: NodeOpts) {
        let Some(id) = request_id else { return };
        let sockets: Vec<FetchedSocket> = self
            .resolve(&opts)
            .into_iter()
            .flat_map(|o| self.local.fetch_sockets(o))
            .map(|s| {
                let mut rooms: Vec<String> = vec![s.id.to_string()];
                rooms.extend(
                    self.local
                        .socket_rooms(s.id)
                        .into_iter()
                        .map(|r| r.into_owned()),
                );
                FetchedSocket {
                    id: s.id.to_string(),
                    handshake: wire::Handshake::default(),
                    rooms,
                    data: serde_json::Map::new(),
                }
            })
            .collect();
        self.respond(wire::encode_fetch_response(&id, &sockets));
    }

    fn server_side_emit(&self, request_id: Option<String>, request: &Mp) {
        let Some(Mp::Array(data)) = wire::get(request, "data") else {
            return;
        };
        let Some((event, args)) = data.split_first() else {
            return;
        };
        let Some(event) = event.as_str() else { return };
        let listener = self
            .shared
            .listeners
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(&self.nsp)
            .cloned();
        let Some(listener) = listener else {
            tracing::debug!(event, "cluster adapter: no listener for a server-side emit");
            return;
        };
        let mut emit = ServerSideEmit::new(event.to_owned(), args.iter().map(to_json).collect());
        if let Some(id) = request_id {
            emit = emit.with_ack(&self.shared.driver, self.channels.response.clone(), id);
        }
        listener(emit);
    }

    /// BROADCAST: deliver with acks here, answer the number of sockets reached, then each ack.
    fn broadcast_with_acks(&self, request_id: Option<String>, request: &Mp, opts: NodeOpts) {
        let Some(id) = request_id else { return };
        let Some(packet) = wire::get(request, "packet").cloned() else {
            return;
        };
        let Ok((data, nsp)) = wire::split_packet(packet) else {
            return;
        };
        if nsp != self.nsp {
            return;
        }
        let packet = event_packet(&self.nsp, &data);
        let timeout = opts.timeout_ms.map(Duration::from_millis);
        let mut count = 0u32;
        let mut streams = Vec::new();
        for selector in self.resolve(&opts) {
            let (stream, n) = self
                .local
                .broadcast_with_ack(packet.clone(), selector, timeout);
            count += n;
            streams.push(stream.boxed());
        }
        self.respond(wire::encode_client_count(&id, count));
        if count == 0 {
            return;
        }
        let shared = Arc::clone(&self.shared);
        let channel = self.channels.response.clone();
        tokio::spawn(async move {
            let mut acks = futures::stream::select_all(streams);
            while let Some((_, ack)) = acks.next().await {
                // A socket that did not answer in time gets no BROADCAST_ACK, as in Node.
                if let Ok(value) = ack {
                    let body = wire::encode_broadcast_ack(&id, first_arg(&value));
                    shared.driver.publish(channel.clone(), body);
                }
            }
        });
    }
}

/// An EVENT packet for socketioxide from Node's `data` array.
fn event_packet(nsp: &str, data: &Mp) -> Packet {
    let (json, bins) = msgpack::mp_to_payload(data);
    let bins = (!bins.is_empty()).then_some(bins);
    Packet::event(Str::from(nsp.to_owned()), Value::Str(Str::from(json), bins))
}

/// The first argument of a socketioxide ack payload (Node's ack callback gets only that one).
pub(crate) fn first_arg(value: &Value) -> Mp {
    match value {
        Value::Str(json, bins) => match msgpack::payload_to_mp(json, bins.as_ref()) {
            Ok(Mp::Array(mut args)) if !args.is_empty() => args.swap_remove(0),
            _ => Mp::Nil,
        },
        Value::Bytes(_) => Mp::Nil,
    }
}
