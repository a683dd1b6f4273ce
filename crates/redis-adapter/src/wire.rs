//! The wire format of `@socket.io/redis-adapter` 8.x (classic pub/sub) and
//! `@socket.io/redis-emitter` 5.x.
//!
//! Channels, for key prefix `P` (default `socket.io`) and namespace `N` (e.g. `/`):
//! - broadcasts: `P#N#` (zero or several rooms) or `P#N#<room>#` (exactly one room); every node
//!   listens with `PSUBSCRIBE P#N#*`. Payload: MessagePack `[uid, packet, opts]`, where
//!   `packet = { type: 2, data: [event, ...args], nsp }` and
//!   `opts = { rooms: [..], except: [..], flags: { volatile?, compress?, timeout?, .. } }`.
//! - requests: `P-request#N#`; responses: `P-response#N#` (and `P-response#N#<uid>#`, which a
//!   node answers on only if configured to). Requests and responses are JSON, except the
//!   `BROADCAST` request and the `BROADCAST_ACK` response, which are MessagePack (they may
//!   carry binaries). A receiver tells them apart by the first byte (`{` is JSON).
//! - the server count is `PUBSUB NUMSUB P-request#N#` (the emitter does not subscribe).
//!
//! The emitter's broadcasts carry the uid `emitter`; its requests carry no uid at all.

use rmpv::Value as Mp;
use serde::Serialize;
use socketioxide_core::adapter::{BroadcastFlags, BroadcastOptions, Room};

use crate::msgpack;

/// Request types, as numbered by the Node.js adapter.
pub(crate) mod kind {
    pub(crate) const SOCKETS: u64 = 0;
    pub(crate) const ALL_ROOMS: u64 = 1;
    pub(crate) const REMOTE_JOIN: u64 = 2;
    pub(crate) const REMOTE_LEAVE: u64 = 3;
    pub(crate) const REMOTE_DISCONNECT: u64 = 4;
    pub(crate) const REMOTE_FETCH: u64 = 5;
    pub(crate) const SERVER_SIDE_EMIT: u64 = 6;
    pub(crate) const BROADCAST: u64 = 7;
    pub(crate) const BROADCAST_CLIENT_COUNT: u64 = 8;
    pub(crate) const BROADCAST_ACK: u64 = 9;
}

/// The channels of one namespace.
#[derive(Debug, Clone)]
pub(crate) struct Channels {
    /// `P#N#`
    pub broadcast: String,
    /// `P-request#N#`
    pub request: String,
    /// `P-response#N#`
    pub response: String,
    /// `P-response#N#<uid>#`
    pub specific_response: String,
}

impl Channels {
    pub(crate) fn new(prefix: &str, nsp: &str, uid: &str) -> Self {
        let response = format!("{prefix}-response#{nsp}#");
        Self {
            broadcast: format!("{prefix}#{nsp}#"),
            request: format!("{prefix}-request#{nsp}#"),
            specific_response: format!("{response}{uid}#"),
            response,
        }
    }

    /// The pattern every node subscribes to for broadcasts.
    pub(crate) fn broadcast_pattern(&self) -> String {
        format!("{}*", self.broadcast)
    }

    /// Where a broadcast to `rooms` is published: the room's own channel for exactly one room.
    pub(crate) fn broadcast_channel(&self, rooms: &[String]) -> String {
        match rooms {
            [room] => format!("{}{room}#", self.broadcast),
            _ => self.broadcast.clone(),
        }
    }
}

/// Node's `{ rooms, except, flags }` selector.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct NodeOpts {
    pub rooms: Vec<String>,
    pub except: Vec<String>,
    pub volatile: bool,
    /// `flags.timeout` (milliseconds): set on broadcasts that expect acks.
    pub timeout_ms: Option<u64>,
}

impl NodeOpts {
    /// socketioxide's selector in Node's terms, or `None` when it selects no socket at all.
    ///
    /// Node puts every socket in a room named by its id, so "this socket" is `rooms: [sid]` and
    /// "everyone but the sender" is `except: [sid]`.
    pub(crate) fn from_socketioxide(opts: &BroadcastOptions) -> Option<Self> {
        let broadcast = opts.has_flag(BroadcastFlags::Broadcast);
        let mut rooms: Vec<String> = opts.rooms.iter().map(|r| r.to_string()).collect();
        let mut except: Vec<String> = opts.except.iter().map(|r| r.to_string()).collect();
        match (rooms.is_empty(), broadcast, opts.sid) {
            (_, true, Some(sid)) => except.push(sid.to_string()),
            (true, false, Some(sid)) => rooms.push(sid.to_string()),
            (true, false, None) => return None,
            _ => {}
        }
        Some(Self {
            rooms,
            except,
            volatile: opts.has_flag(BroadcastFlags::Volatile),
            timeout_ms: None,
        })
    }

    fn to_mp(&self) -> Mp {
        let mut flags = Vec::new();
        if self.volatile {
            flags.push((Mp::from("volatile"), Mp::Boolean(true)));
        }
        if let Some(ms) = self.timeout_ms {
            flags.push((Mp::from("timeout"), Mp::from(ms)));
        }
        Mp::Map(vec![
            (Mp::from("rooms"), str_array(&self.rooms)),
            (Mp::from("except"), str_array(&self.except)),
            (Mp::from("flags"), Mp::Map(flags)),
        ])
    }

    /// Reads `opts` from a decoded message; missing lists are empty.
    pub(crate) fn from_mp(value: &Mp) -> Self {
        let flags = get(value, "flags");
        Self {
            rooms: strings(get(value, "rooms")),
            except: strings(get(value, "except")),
            volatile: flags
                .and_then(|f| get(f, "volatile"))
                .and_then(Mp::as_bool)
                .unwrap_or(false),
            timeout_ms: flags.and_then(|f| get(f, "timeout")).and_then(as_u64),
        }
    }

    /// The JSON form used in REMOTE_JOIN / REMOTE_LEAVE / REMOTE_DISCONNECT / REMOTE_FETCH.
    fn json(&self) -> JsonOpts<'_> {
        JsonOpts {
            rooms: &self.rooms,
            except: &self.except,
        }
    }
}

#[derive(Serialize)]
struct JsonOpts<'a> {
    rooms: &'a [String],
    except: &'a [String],
}

fn str_array(items: &[String]) -> Mp {
    Mp::Array(items.iter().map(|s| Mp::from(s.as_str())).collect())
}

/// The value under `key` in a MessagePack map.
pub(crate) fn get<'a>(map: &'a Mp, key: &str) -> Option<&'a Mp> {
    map.as_map()?
        .iter()
        .find(|(k, _)| k.as_str() == Some(key))
        .map(|(_, v)| v)
}

/// Integers, and integral floats (JSON numbers may come as either).
pub(crate) fn as_u64(value: &Mp) -> Option<u64> {
    match value {
        Mp::Integer(i) => i.as_u64(),
        #[expect(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            reason = "checked integral and in range"
        )]
        Mp::F64(f) if f.fract() == 0.0 && *f >= 0.0 && *f < 1.8e19 => Some(*f as u64),
        _ => None,
    }
}

/// The strings of an array (others skipped; numbers stringified, as Node's rooms may be numbers).
pub(crate) fn strings(value: Option<&Mp>) -> Vec<String> {
    let Some(Mp::Array(items)) = value else {
        return Vec::new();
    };
    items
        .iter()
        .filter_map(|v| match v {
            Mp::String(s) => s.as_str().map(str::to_owned),
            Mp::Integer(i) => Some(i.to_string()),
            Mp::F64(f) => Some(f.to_string()),
            _ => None,
        })
        .collect()
}

/// `rooms` as strings.
pub(crate) fn room_strings(rooms: impl IntoIterator<Item = Room>) -> Vec<String> {
    rooms.into_iter().map(|r| r.into_owned()).collect()
}

/// A Socket.IO event packet in Node's object form: `{ type: 2, data: [event, ...args], nsp }`.
pub(crate) fn packet_mp(data: Mp, nsp: &str) -> Mp {
    Mp::Map(vec![
        (Mp::from("type"), Mp::from(2)),
        (Mp::from("data"), data),
        (Mp::from("nsp"), Mp::from(nsp)),
    ])
}

// ---- messages we publish ----

/// A broadcast: MessagePack `[uid, packet, opts]`.
pub(crate) fn encode_broadcast(uid: &str, packet: Mp, opts: &NodeOpts) -> Vec<u8> {
    msgpack::to_vec(&Mp::Array(vec![Mp::from(uid), packet, opts.to_mp()]))
}

/// A BROADCAST request (a broadcast that expects acks): MessagePack
/// `{ uid, requestId, type: 7, packet, opts }`.
pub(crate) fn encode_broadcast_request(
    uid: &str,
    request_id: &str,
    packet: Mp,
    opts: &NodeOpts,
) -> Vec<u8> {
    msgpack::to_vec(&Mp::Map(vec![
        (Mp::from("uid"), Mp::from(uid)),
        (Mp::from("requestId"), Mp::from(request_id)),
        (Mp::from("type"), Mp::from(kind::BROADCAST)),
        (Mp::from("packet"), packet),
        (Mp::from("opts"), opts.to_mp()),
    ]))
}

/// A BROADCAST_ACK response: MessagePack `{ type: 9, requestId, packet: <first ack argument> }`.
pub(crate) fn encode_broadcast_ack(request_id: &str, arg: Mp) -> Vec<u8> {
    msgpack::to_vec(&Mp::Map(vec![
        (Mp::from("type"), Mp::from(kind::BROADCAST_ACK)),
        (Mp::from("requestId"), Mp::from(request_id)),
        (Mp::from("packet"), arg),
    ]))
}

fn json(value: &impl Serialize) -> Vec<u8> {
    // Serializing these plain structs cannot fail.
    serde_json::to_vec(value).unwrap_or_default()
}

/// A BROADCAST_CLIENT_COUNT response: `{"type":8,"requestId":..,"clientCount":n}`.
pub(crate) fn encode_client_count(request_id: &str, count: u32) -> Vec<u8> {
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Res<'a> {
        r#type: u64,
        request_id: &'a str,
        client_count: u32,
    }
    json(&Res {
        r#type: kind::BROADCAST_CLIENT_COUNT,
        request_id,
        client_count: count,
    })
}

/// REMOTE_JOIN / REMOTE_LEAVE: `{"uid","type","opts":{"rooms","except"},"rooms"}`.
pub(crate) fn encode_rooms_request(
    uid: &str,
    kind: u64,
    opts: &NodeOpts,
    rooms: &[String],
) -> Vec<u8> {
    #[derive(Serialize)]
    struct Req<'a> {
        uid: &'a str,
        r#type: u64,
        opts: JsonOpts<'a>,
        rooms: &'a [String],
    }
    json(&Req {
        uid,
        r#type: kind,
        opts: opts.json(),
        rooms,
    })
}

/// REMOTE_DISCONNECT: `{"uid","type":4,"opts":{..},"close":false}`.
pub(crate) fn encode_disconnect_request(uid: &str, opts: &NodeOpts, close: bool) -> Vec<u8> {
    #[derive(Serialize)]
    struct Req<'a> {
        uid: &'a str,
        r#type: u64,
        opts: JsonOpts<'a>,
        close: bool,
    }
    json(&Req {
        uid,
        r#type: kind::REMOTE_DISCONNECT,
        opts: opts.json(),
        close,
    })
}

/// A request whose answers carry its id: `{"uid","requestId","type","opts"?}`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct IdRequest<'a> {
    uid: &'a str,
    request_id: &'a str,
    r#type: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    opts: Option<JsonOpts<'a>>,
}

/// REMOTE_FETCH: `{"uid","requestId","type":5,"opts":{..}}`.
pub(crate) fn encode_fetch_request(uid: &str, request_id: &str, opts: &NodeOpts) -> Vec<u8> {
    json(&IdRequest {
        uid,
        request_id,
        r#type: kind::REMOTE_FETCH,
        opts: Some(opts.json()),
    })
}

/// ALL_ROOMS: `{"uid","requestId","type":1}`.
pub(crate) fn encode_all_rooms_request(uid: &str, request_id: &str) -> Vec<u8> {
    json(&IdRequest {
        uid,
        request_id,
        r#type: kind::ALL_ROOMS,
        opts: None,
    })
}

/// SERVER_SIDE_EMIT: `{"uid","requestId"?,"type":6,"data":[event, ...args]}`.
pub(crate) fn encode_server_side_emit(
    uid: &str,
    request_id: Option<&str>,
    data: &[serde_json::Value],
) -> Vec<u8> {
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Req<'a> {
        uid: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        request_id: Option<&'a str>,
        r#type: u64,
        data: &'a [serde_json::Value],
    }
    json(&Req {
        uid,
        request_id,
        r#type: kind::SERVER_SIDE_EMIT,
        data,
    })
}

/// The SERVER_SIDE_EMIT acknowledgement: `{"type":6,"requestId","data":<arg>}`.
pub(crate) fn encode_server_side_emit_response(
    request_id: &str,
    data: &serde_json::Value,
) -> Vec<u8> {
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Res<'a> {
        r#type: u64,
        request_id: &'a str,
        data: &'a serde_json::Value,
    }
    json(&Res {
        r#type: kind::SERVER_SIDE_EMIT,
        request_id,
        data,
    })
}

/// One socket in a REMOTE_FETCH answer.
#[derive(Serialize)]
pub(crate) struct FetchedSocket {
    pub id: String,
    pub handshake: Handshake,
    pub rooms: Vec<String>,
    pub data: serde_json::Map<String, serde_json::Value>,
}

/// The handshake fields Node's `RemoteSocket` exposes. socketioxide's adapter interface does
/// not see a socket's handshake, so these are the empty values of the right types.
#[derive(Serialize, Default)]
pub(crate) struct Handshake {
    pub headers: serde_json::Map<String, serde_json::Value>,
    pub time: String,
    pub address: String,
    pub xdomain: bool,
    pub secure: bool,
    pub issued: u64,
    pub url: String,
    pub query: serde_json::Map<String, serde_json::Value>,
    pub auth: serde_json::Map<String, serde_json::Value>,
}

/// The REMOTE_FETCH answer: `{"requestId","sockets":[{id,handshake,rooms,data}]}`.
pub(crate) fn encode_fetch_response(request_id: &str, sockets: &[FetchedSocket]) -> Vec<u8> {
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Res<'a> {
        request_id: &'a str,
        sockets: &'a [FetchedSocket],
    }
    json(&Res {
        request_id,
        sockets,
    })
}

/// The SOCKETS answer: `{"requestId","sockets":[ids]}`.
pub(crate) fn encode_sockets_response(request_id: &str, sockets: &[String]) -> Vec<u8> {
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Res<'a> {
        request_id: &'a str,
        sockets: &'a [String],
    }
    json(&Res {
        request_id,
        sockets,
    })
}

/// The ALL_ROOMS answer: `{"requestId","rooms":[..]}`.
pub(crate) fn encode_rooms_response(request_id: &str, rooms: &[String]) -> Vec<u8> {
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Res<'a> {
        request_id: &'a str,
        rooms: &'a [String],
    }
    json(&Res { request_id, rooms })
}

/// The answer to a legacy single-socket REMOTE_JOIN/LEAVE/DISCONNECT: `{"requestId"}`.
pub(crate) fn encode_done_response(request_id: &str) -> Vec<u8> {
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Res<'a> {
        request_id: &'a str,
    }
    json(&Res { request_id })
}

// ---- messages we receive ----

/// A request or response body: JSON if it starts with `{`, MessagePack otherwise.
pub(crate) fn decode_body(payload: &[u8]) -> Result<Mp, String> {
    if payload.first() == Some(&b'{') {
        msgpack::from_json(payload)
    } else {
        msgpack::from_slice(payload)
    }
}

/// A decoded broadcast message.
#[derive(Debug)]
pub(crate) struct Broadcast {
    pub uid: String,
    /// `packet.data`
    pub data: Mp,
    /// `packet.nsp` (Node defaults a missing one to `/`)
    pub nsp: String,
    pub opts: NodeOpts,
}

/// Decodes `[uid, packet, opts]`.
pub(crate) fn decode_broadcast(payload: &[u8]) -> Result<Broadcast, String> {
    let value = msgpack::from_slice(payload)?;
    let Mp::Array(mut parts) = value else {
        return Err("a broadcast is not an array".into());
    };
    if parts.len() < 3 {
        return Err(format!("a broadcast has {} parts, not 3", parts.len()));
    }
    let opts = NodeOpts::from_mp(&parts[2]);
    let packet = std::mem::replace(&mut parts[1], Mp::Nil);
    let uid = parts[0].as_str().unwrap_or_default().to_owned();
    let (data, nsp) = split_packet(packet)?;
    Ok(Broadcast {
        uid,
        data,
        nsp,
        opts,
    })
}

/// `packet.data` and `packet.nsp` of an EVENT (or BINARY_EVENT) packet object.
pub(crate) fn split_packet(packet: Mp) -> Result<(Mp, String), String> {
    let Mp::Map(entries) = packet else {
        return Err("the packet is not an object".into());
    };
    let mut data = None;
    let mut nsp = "/".to_owned();
    let mut kind = None;
    for (k, v) in entries {
        match k.as_str() {
            Some("data") => data = Some(v),
            Some("nsp") => nsp = v.as_str().unwrap_or("/").to_owned(),
            Some("type") => kind = as_u64(&v),
            _ => {}
        }
    }
    match kind {
        Some(2 | 5) => {}
        other => return Err(format!("packet type {other:?} is not an event")),
    }
    match data {
        Some(data @ Mp::Array(_)) => Ok((data, nsp)),
        _ => Err("the packet's data is not an array".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use socketioxide_core::Sid;

    #[test]
    fn channels_follow_the_node_adapter() {
        let c = Channels::new("socket.io", "/", "abc");
        assert_eq!(c.broadcast, "socket.io#/#");
        assert_eq!(c.broadcast_pattern(), "socket.io#/#*");
        assert_eq!(c.request, "socket.io-request#/#");
        assert_eq!(c.response, "socket.io-response#/#");
        assert_eq!(c.specific_response, "socket.io-response#/#abc#");
        assert_eq!(c.broadcast_channel(&["r".into()]), "socket.io#/#r#");
        assert_eq!(
            c.broadcast_channel(&["r".into(), "s".into()]),
            "socket.io#/#"
        );
        assert_eq!(c.broadcast_channel(&[]), "socket.io#/#");
    }

    #[test]
    fn socketioxide_selectors_map_to_node_rooms() {
        let sid = Sid::new();
        // socket.to("room").emit(..): everyone in the room but the sender.
        let mut opts = BroadcastOptions::new(sid);
        opts.rooms.push("room".into());
        opts.add_flag(BroadcastFlags::Broadcast);
        let node = NodeOpts::from_socketioxide(&opts).unwrap();
        assert_eq!(node.rooms, ["room"]);
        assert_eq!(node.except, [sid.to_string()]);

        // A remote socket: its own room.
        let node = NodeOpts::from_socketioxide(&BroadcastOptions::new(sid)).unwrap();
        assert_eq!(node.rooms, [sid.to_string()]);
        assert!(node.except.is_empty());

        // socket.within("room"): the sender included.
        let mut opts = BroadcastOptions::new(sid);
        opts.rooms.push("room".into());
        let node = NodeOpts::from_socketioxide(&opts).unwrap();
        assert!(node.except.is_empty());

        // Nothing selected.
        assert_eq!(
            NodeOpts::from_socketioxide(&BroadcastOptions::default()),
            None
        );
    }
}
