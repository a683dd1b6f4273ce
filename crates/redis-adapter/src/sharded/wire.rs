//! The wire format of `@socket.io/redis-adapter` 8.x's `createShardedAdapter` (sharded Pub/Sub,
//! Redis 7+), which is the `ClusterAdapter` message format of `socket.io-adapter` 2.5.
//!
//! Channels, for prefix `P` (default `socket.io`) and namespace `N`:
//! - `P#N#`: every server `SSUBSCRIBE`s it; requests, and broadcasts to zero or several rooms.
//! - `P#N#<room>#`: a broadcast to exactly one room (no acks, the room not a 20-character
//!   Node.js socket id): only the servers with a socket in that room subscribe
//!   (`subscriptionMode: "dynamic"`, the default).
//! - `P#N#<uid>#`: the responses to server `<uid>`'s requests.
//! - the server count is `PUBSUB SHARDNUMSUB P#N#`.
//!
//! A message is `{ uid, nsp, type, data }`; a response is `{ uid, nsp, type, data: { requestId,
//! .. } }`. Node sends JSON unless the data holds binaries (then MessagePack); a receiver tells
//! them apart by the first byte (`{` is JSON). We always send MessagePack, which Node reads.
//! Types: 1 INITIAL_HEARTBEAT, 2 HEARTBEAT, 3 BROADCAST `{opts, packet, requestId?}`,
//! 4 SOCKETS_JOIN / 5 SOCKETS_LEAVE `{opts, rooms}`, 6 DISCONNECT_SOCKETS `{opts, close}`,
//! 7 FETCH_SOCKETS `{opts, requestId}`, 8 FETCH_SOCKETS_RESPONSE `{requestId, sockets}`,
//! 9 SERVER_SIDE_EMIT `{requestId?, packet: [event, ...args]}`, 10 SERVER_SIDE_EMIT_RESPONSE
//! `{requestId, packet}`, 11 BROADCAST_CLIENT_COUNT `{requestId, clientCount}`, 12 BROADCAST_ACK
//! `{requestId, packet}`, 13 ADAPTER_CLOSE. (`createShardedAdapter` extends the plain
//! `ClusterAdapter`: it sends no heartbeats; we read and ignore 1, 2 and 13.)
//!
//! The adapter itself speaks the classic format (`crate::wire`); this module translates each
//! message between the two, so the same request and answer logic serves both drivers.

use rmpv::Value as Mp;

use crate::msgpack;
use crate::wire::{self, kind};

/// ClusterAdapter message types.
pub(crate) mod ty {
    pub(crate) const INITIAL_HEARTBEAT: u64 = 1;
    pub(crate) const HEARTBEAT: u64 = 2;
    pub(crate) const BROADCAST: u64 = 3;
    pub(crate) const SOCKETS_JOIN: u64 = 4;
    pub(crate) const SOCKETS_LEAVE: u64 = 5;
    pub(crate) const DISCONNECT_SOCKETS: u64 = 6;
    pub(crate) const FETCH_SOCKETS: u64 = 7;
    pub(crate) const FETCH_SOCKETS_RESPONSE: u64 = 8;
    pub(crate) const SERVER_SIDE_EMIT: u64 = 9;
    pub(crate) const SERVER_SIDE_EMIT_RESPONSE: u64 = 10;
    pub(crate) const BROADCAST_CLIENT_COUNT: u64 = 11;
    pub(crate) const BROADCAST_ACK: u64 = 12;
    pub(crate) const ADAPTER_CLOSE: u64 = 13;
}

/// What a sharded message is for the adapter.
#[derive(Debug, PartialEq)]
pub(crate) enum Inbound {
    /// A classic broadcast `[uid, packet, opts]` (MessagePack).
    Broadcast(Vec<u8>),
    /// A classic request (MessagePack), and who asked (for the answer's channel).
    Request {
        body: Vec<u8>,
        requester: String,
        request_id: Option<String>,
    },
    /// A classic answer (MessagePack).
    Response(Vec<u8>),
    /// Heartbeats and the like: nothing to do.
    Ignore,
}

fn map(entries: Vec<(&str, Mp)>) -> Mp {
    Mp::Map(entries.into_iter().map(|(k, v)| (Mp::from(k), v)).collect())
}

fn field(value: &Mp, key: &str) -> Mp {
    wire::get(value, key).cloned().unwrap_or(Mp::Nil)
}

/// Node's `opts` with `flags` present (Node reads `opts.flags.*`).
fn with_flags(opts: &Mp) -> Mp {
    let mut entries = match opts {
        Mp::Map(entries) => entries.clone(),
        _ => Vec::new(),
    };
    for key in ["rooms", "except"] {
        if !entries.iter().any(|(k, _)| k.as_str() == Some(key)) {
            entries.push((Mp::from(key), Mp::Array(Vec::new())));
        }
    }
    if !entries.iter().any(|(k, _)| k.as_str() == Some("flags")) {
        entries.push((Mp::from("flags"), Mp::Map(Vec::new())));
    }
    Mp::Map(entries)
}

/// Decodes a sharded message (JSON or MessagePack) into what the adapter understands.
pub(crate) fn inbound(payload: &[u8]) -> Result<Inbound, String> {
    let message = wire::decode_body(payload)?;
    let uid = wire::get(&message, "uid")
        .and_then(Mp::as_str)
        .unwrap_or_default()
        .to_owned();
    let data = field(&message, "data");
    let request_id = wire::get(&data, "requestId")
        .and_then(Mp::as_str)
        .map(str::to_owned);
    let r#type = wire::get(&message, "type").and_then(wire::as_u64);
    let classic = |kind: u64, mut rest: Vec<(&str, Mp)>| {
        let mut entries = vec![("uid", Mp::from(uid.as_str())), ("type", Mp::from(kind))];
        if let Some(id) = &request_id {
            entries.push(("requestId", Mp::from(id.as_str())));
        }
        entries.append(&mut rest);
        msgpack::to_vec(&map(entries))
    };
    let request = |body: Vec<u8>| Inbound::Request {
        body,
        requester: uid.clone(),
        request_id: request_id.clone(),
    };
    let answer = |entries: Vec<(&str, Mp)>| {
        let mut all = vec![("requestId", Mp::from(request_id.as_deref().unwrap_or("")))];
        all.extend(entries);
        Inbound::Response(msgpack::to_vec(&map(all)))
    };
    Ok(match r#type {
        Some(ty::BROADCAST) if request_id.is_none() => {
            Inbound::Broadcast(msgpack::to_vec(&Mp::Array(vec![
                Mp::from(uid.as_str()),
                field(&data, "packet"),
                with_flags(&field(&data, "opts")),
            ])))
        }
        Some(ty::BROADCAST) => request(classic(
            kind::BROADCAST,
            vec![
                ("packet", field(&data, "packet")),
                ("opts", with_flags(&field(&data, "opts"))),
            ],
        )),
        Some(t @ (ty::SOCKETS_JOIN | ty::SOCKETS_LEAVE)) => request(classic(
            if t == ty::SOCKETS_JOIN {
                kind::REMOTE_JOIN
            } else {
                kind::REMOTE_LEAVE
            },
            vec![
                ("opts", with_flags(&field(&data, "opts"))),
                ("rooms", field(&data, "rooms")),
            ],
        )),
        Some(ty::DISCONNECT_SOCKETS) => request(classic(
            kind::REMOTE_DISCONNECT,
            vec![
                ("opts", with_flags(&field(&data, "opts"))),
                ("close", field(&data, "close")),
            ],
        )),
        Some(ty::FETCH_SOCKETS) => request(classic(
            kind::REMOTE_FETCH,
            vec![("opts", with_flags(&field(&data, "opts")))],
        )),
        Some(ty::SERVER_SIDE_EMIT) => request(classic(
            kind::SERVER_SIDE_EMIT,
            vec![("data", field(&data, "packet"))],
        )),
        Some(ty::FETCH_SOCKETS_RESPONSE) => answer(vec![("sockets", field(&data, "sockets"))]),
        Some(ty::SERVER_SIDE_EMIT_RESPONSE) => answer(vec![
            ("type", Mp::from(kind::SERVER_SIDE_EMIT)),
            ("data", field(&data, "packet")),
        ]),
        Some(ty::BROADCAST_CLIENT_COUNT) => answer(vec![
            ("type", Mp::from(kind::BROADCAST_CLIENT_COUNT)),
            ("clientCount", field(&data, "clientCount")),
        ]),
        Some(ty::BROADCAST_ACK) => answer(vec![
            ("type", Mp::from(kind::BROADCAST_ACK)),
            ("packet", field(&data, "packet")),
        ]),
        Some(ty::INITIAL_HEARTBEAT | ty::HEARTBEAT | ty::ADAPTER_CLOSE) => Inbound::Ignore,
        other => return Err(format!("unknown message type {other:?}")),
    })
}

/// A classic broadcast `[uid, packet, opts]` as a sharded BROADCAST message, with its
/// namespace and the room it names when it names exactly one (its own channel's room).
pub(crate) fn outbound_broadcast(
    payload: &[u8],
) -> Result<(Vec<u8>, String, Option<String>), String> {
    let Mp::Array(parts) = msgpack::from_slice(payload)? else {
        return Err("a broadcast is not an array".into());
    };
    let [uid, packet, opts] = <[Mp; 3]>::try_from(parts)
        .map_err(|p| format!("a broadcast has {} parts, not 3", p.len()))?;
    let nsp = wire::get(&packet, "nsp")
        .and_then(Mp::as_str)
        .unwrap_or("/")
        .to_owned();
    let rooms = wire::strings(wire::get(&opts, "rooms"));
    let single = match rooms.as_slice() {
        [room] => Some(room.clone()),
        _ => None,
    };
    let message = map(vec![
        ("uid", uid),
        ("nsp", Mp::from(nsp.as_str())),
        ("type", Mp::from(ty::BROADCAST)),
        (
            "data",
            map(vec![("opts", with_flags(&opts)), ("packet", packet)]),
        ),
    ]);
    Ok((msgpack::to_vec(&message), nsp, single))
}

/// A classic request of server `uid` on namespace `nsp` as a sharded message; `None` for the
/// classic requests the ClusterAdapter format has no counterpart for (SOCKETS, ALL_ROOMS).
pub(crate) fn outbound_request(payload: &[u8], nsp: &str) -> Result<Option<Vec<u8>>, String> {
    let request = wire::decode_body(payload)?;
    let uid = field(&request, "uid");
    let request_id = wire::get(&request, "requestId").cloned();
    let opts = || with_flags(&field(&request, "opts"));
    let (r#type, mut data) = match wire::get(&request, "type").and_then(wire::as_u64) {
        Some(kind::REMOTE_JOIN) => (
            ty::SOCKETS_JOIN,
            vec![("opts", opts()), ("rooms", field(&request, "rooms"))],
        ),
        Some(kind::REMOTE_LEAVE) => (
            ty::SOCKETS_LEAVE,
            vec![("opts", opts()), ("rooms", field(&request, "rooms"))],
        ),
        Some(kind::REMOTE_DISCONNECT) => (
            ty::DISCONNECT_SOCKETS,
            vec![("opts", opts()), ("close", field(&request, "close"))],
        ),
        Some(kind::REMOTE_FETCH) => (ty::FETCH_SOCKETS, vec![("opts", opts())]),
        Some(kind::SERVER_SIDE_EMIT) => (
            ty::SERVER_SIDE_EMIT,
            vec![("packet", field(&request, "data"))],
        ),
        Some(kind::BROADCAST) => (
            ty::BROADCAST,
            vec![("opts", opts()), ("packet", field(&request, "packet"))],
        ),
        _ => return Ok(None),
    };
    if let Some(id) = request_id {
        data.push(("requestId", id));
    }
    Ok(Some(msgpack::to_vec(&map(vec![
        ("uid", uid),
        ("nsp", Mp::from(nsp)),
        ("type", Mp::from(r#type)),
        ("data", map(data)),
    ]))))
}

/// A classic answer of server `uid` as a sharded response, with its request id (the caller
/// finds the requester by it); `None` for answers the format has no counterpart for.
pub(crate) fn outbound_response(
    payload: &[u8],
    uid: &str,
    nsp: &str,
) -> Result<Option<(String, Vec<u8>)>, String> {
    let answer = wire::decode_body(payload)?;
    let Some(request_id) = wire::get(&answer, "requestId").and_then(Mp::as_str) else {
        return Ok(None);
    };
    let id = || ("requestId", Mp::from(request_id));
    let (r#type, data) = match wire::get(&answer, "type").and_then(wire::as_u64) {
        Some(kind::BROADCAST_CLIENT_COUNT) => (
            ty::BROADCAST_CLIENT_COUNT,
            vec![id(), ("clientCount", field(&answer, "clientCount"))],
        ),
        Some(kind::BROADCAST_ACK) => (
            ty::BROADCAST_ACK,
            vec![id(), ("packet", field(&answer, "packet"))],
        ),
        Some(kind::SERVER_SIDE_EMIT) => (
            ty::SERVER_SIDE_EMIT_RESPONSE,
            vec![id(), ("packet", field(&answer, "data"))],
        ),
        None if wire::get(&answer, "sockets").is_some() => (
            ty::FETCH_SOCKETS_RESPONSE,
            vec![id(), ("sockets", field(&answer, "sockets"))],
        ),
        _ => return Ok(None),
    };
    let body = msgpack::to_vec(&map(vec![
        ("uid", Mp::from(uid)),
        ("nsp", Mp::from(nsp)),
        ("type", Mp::from(r#type)),
        ("data", map(data)),
    ]));
    Ok(Some((request_id.to_owned(), body)))
}

/// Whether a node listens on `room`'s channel while it has sockets there: every room but the
/// ones named like a Node.js socket id (20 characters), which Node never publishes on. A
/// socketioxide socket id counts as a room here: Node's `RemoteSocket.emit` to one of our
/// sockets publishes on that id's channel.
pub(crate) fn listens_on_room(room: &str) -> bool {
    room.len() != 20
}

/// Whether a broadcast to exactly `room` goes on the room's own channel: not for a Node.js
/// socket id (20 characters, like Node's `looksLikeASocketId`) nor a socketioxide socket id
/// (no server subscribes to a channel per socket; the main channel reaches every server).
pub(crate) fn uses_room_channel(room: &str) -> bool {
    room.len() != 20 && room.parse::<socketioxide_core::Sid>().is_err()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(text: &str) -> Vec<u8> {
        text.as_bytes().to_vec()
    }

    #[test]
    fn a_node_broadcast_becomes_a_classic_broadcast() {
        // What Node's ShardedRedisAdapter publishes for io.to("room").emit("hello", 1).
        let node = json(
            r#"{"uid":"a1b2c3d4e5f60718","nsp":"/","type":3,"data":{"opts":{"rooms":["room"],"except":[],"flags":{}},"packet":{"type":2,"data":["hello",1],"nsp":"/"}}}"#,
        );
        let Inbound::Broadcast(classic) = inbound(&node).unwrap() else {
            panic!("not a broadcast")
        };
        let decoded = wire::decode_broadcast(&classic).unwrap();
        assert_eq!(decoded.uid, "a1b2c3d4e5f60718");
        assert_eq!(decoded.nsp, "/");
        assert_eq!(decoded.opts.rooms, ["room"]);
        assert_eq!(
            decoded.data,
            Mp::Array(vec![Mp::from("hello"), Mp::from(1)])
        );
    }

    #[test]
    fn a_classic_broadcast_becomes_a_node_broadcast_on_its_rooms_channel() {
        let opts = wire::NodeOpts {
            rooms: vec!["conversation:1".into()],
            ..wire::NodeOpts::default()
        };
        let packet = wire::packet_mp(Mp::Array(vec![Mp::from("ev")]), "/");
        let classic = wire::encode_broadcast("me", packet, &opts);
        let (body, nsp, room) = outbound_broadcast(&classic).unwrap();
        assert_eq!(nsp, "/");
        assert_eq!(room.as_deref(), Some("conversation:1"));
        let message = msgpack::from_slice(&body).unwrap();
        assert_eq!(field(&message, "type"), Mp::from(ty::BROADCAST));
        assert_eq!(field(&message, "uid"), Mp::from("me"));
        assert_eq!(field(&message, "nsp"), Mp::from("/"));
        let data = field(&message, "data");
        assert!(wire::get(&data, "requestId").is_none());
        assert_eq!(
            wire::strings(wire::get(&field(&data, "opts"), "rooms")),
            ["conversation:1"]
        );
        // And back: what a confab node receives from another.
        let Inbound::Broadcast(again) = inbound(&body).unwrap() else {
            panic!("not a broadcast")
        };
        assert_eq!(
            wire::decode_broadcast(&again).unwrap().opts.rooms,
            ["conversation:1"]
        );
    }

    #[test]
    fn requests_and_answers_round_trip_with_their_request_id() {
        let opts = wire::NodeOpts {
            rooms: vec!["r".into()],
            ..wire::NodeOpts::default()
        };
        let classic = wire::encode_fetch_request("me", "req1", &opts);
        let body = outbound_request(&classic, "/").unwrap().unwrap();
        let message = msgpack::from_slice(&body).unwrap();
        assert_eq!(field(&message, "type"), Mp::from(ty::FETCH_SOCKETS));
        assert_eq!(
            field(&field(&message, "data"), "requestId"),
            Mp::from("req1")
        );
        let Inbound::Request {
            body,
            requester,
            request_id,
        } = inbound(&body).unwrap()
        else {
            panic!("not a request")
        };
        assert_eq!(requester, "me");
        assert_eq!(request_id.as_deref(), Some("req1"));
        let request = wire::decode_body(&body).unwrap();
        assert_eq!(field(&request, "type"), Mp::from(kind::REMOTE_FETCH));

        let answer = wire::encode_client_count("req1", 3);
        let (id, body) = outbound_response(&answer, "other", "/").unwrap().unwrap();
        assert_eq!(id, "req1");
        let Inbound::Response(classic) = inbound(&body).unwrap() else {
            panic!("not a response")
        };
        let classic = wire::decode_body(&classic).unwrap();
        assert_eq!(field(&classic, "clientCount"), Mp::from(3));
        assert_eq!(
            field(&classic, "type"),
            Mp::from(kind::BROADCAST_CLIENT_COUNT)
        );
    }

    #[test]
    fn heartbeats_are_ignored_and_unknown_types_refused() {
        assert_eq!(
            inbound(&json(r#"{"uid":"x","nsp":"/","type":2}"#)).unwrap(),
            Inbound::Ignore
        );
        assert!(inbound(&json(r#"{"uid":"x","nsp":"/","type":99}"#)).is_err());
        assert!(inbound(b"\xc1").is_err());
    }

    #[test]
    fn socket_ids_use_the_main_channel() {
        assert!(uses_room_channel("conversation:1"));
        assert!(!uses_room_channel("abcdefghijklmnopqrst"));
        assert!(!uses_room_channel(
            &socketioxide_core::Sid::new().to_string()
        ));
        assert!(listens_on_room(&socketioxide_core::Sid::new().to_string()));
        assert!(!listens_on_room("abcdefghijklmnopqrst"));
    }
}
