//! Our encoder and decoder against bytes captured from the official Node.js adapter and emitter
//! (`tests/fixtures/node-redis-adapter.json`, made by `tests/js-interop/capture`).

use std::collections::VecDeque;

use bytes::Bytes;
use rmpv::Value as Mp;
use serde::Deserialize;
use socketioxide_core::adapter::remote_packet::ResponseType;
use socketioxide_core::adapter::{BroadcastFlags, BroadcastOptions};
use socketioxide_core::packet::Packet;
use socketioxide_core::{Str, Value};

use crate::adapter::{decode_ack, node_packet};
use crate::msgpack;
use crate::remote::first_arg;
use crate::wire::{self, NodeOpts, kind};

#[derive(Deserialize)]
struct Fixture {
    prefix: String,
    operations: Vec<Operation>,
}

#[derive(Deserialize)]
struct Operation {
    name: String,
    messages: Vec<Message>,
}

#[derive(Deserialize, Clone)]
struct Message {
    channel: String,
    hex: String,
}

impl Message {
    fn bytes(&self) -> Vec<u8> {
        (0..self.hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&self.hex[i..i + 2], 16).unwrap())
            .collect()
    }
    fn text(&self) -> String {
        String::from_utf8(self.bytes()).unwrap()
    }
}

fn fixture() -> Fixture {
    serde_json::from_str(include_str!("../tests/fixtures/node-redis-adapter.json")).unwrap()
}

/// The messages of one captured operation.
fn op(name: &str) -> Vec<Message> {
    let f = fixture();
    f.operations
        .into_iter()
        .find(|o| o.name == name)
        .unwrap_or_else(|| panic!("no capture named {name}"))
        .messages
}

/// The channel without the capture's random prefix.
fn channel(m: &Message) -> String {
    m.channel
        .strip_prefix(&fixture().prefix)
        .unwrap()
        .to_owned()
}

fn event(json: &str) -> Packet {
    Packet::event("/", Value::Str(Str::from(json.to_owned()), None))
}

fn to_room(rooms: &[&'static str]) -> BroadcastOptions {
    let mut opts = BroadcastOptions::default();
    opts.rooms = rooms.iter().map(|r| (*r).into()).collect();
    opts.add_flag(BroadcastFlags::Broadcast);
    opts
}

fn body(m: &Message) -> Mp {
    wire::decode_body(&m.bytes()).unwrap()
}

fn str_field(m: &Message, key: &str) -> String {
    wire::get(&body(m), key)
        .and_then(Mp::as_str)
        .unwrap()
        .to_owned()
}

/// The uid of the Node.js server that made the captures (to encode the same messages).
fn node_uid() -> String {
    str_field(&op("fetch_sockets")[0], "uid")
}

#[test]
fn every_captured_msgpack_message_re_encodes_to_the_same_bytes() {
    let mut checked = 0;
    for operation in fixture().operations {
        for m in operation.messages {
            let bytes = m.bytes();
            if bytes.first() == Some(&b'{') {
                continue;
            }
            let value = msgpack::from_slice(&bytes).unwrap();
            assert_eq!(msgpack::to_vec(&value), bytes, "{}", operation.name);
            checked += 1;
        }
    }
    assert!(checked >= 10, "only {checked} MessagePack captures");
}

#[test]
fn a_broadcast_to_one_room_is_byte_identical_to_node() {
    let [m] = &op("broadcast_room")[..] else {
        panic!()
    };
    assert_eq!(channel(m), "#/#room1#");
    let packet = node_packet(&event(r#"["hello",{"a":1,"b":"x"},[1,2,3]]"#)).unwrap();
    let opts = NodeOpts::from_socketioxide(&to_room(&["room1"])).unwrap();
    assert_eq!(
        wire::encode_broadcast(&node_uid(), packet, &opts),
        m.bytes()
    );
}

#[test]
fn a_broadcast_to_everyone_with_big_and_negative_numbers_is_byte_identical() {
    let [m] = &op("broadcast_all")[..] else {
        panic!()
    };
    assert_eq!(channel(m), "#/#");
    let json = r#"["everyone",300,70000,5000000000,-200,-40000,-3000000000]"#;
    let packet = node_packet(&event(json)).unwrap();
    let opts = NodeOpts::from_socketioxide(&to_room(&[])).unwrap();
    assert_eq!(
        wire::encode_broadcast(&node_uid(), packet, &opts),
        m.bytes()
    );
}

#[test]
fn a_binary_broadcast_carries_the_attachments_inline() {
    let [m] = &op("broadcast_binary")[..] else {
        panic!()
    };
    let json = r#"["bin",{"_placeholder":true,"num":0},{"nested":{"_placeholder":true,"num":1}}]"#;
    let bins = VecDeque::from([Bytes::from_static(&[1, 2, 3]), Bytes::from_static(&[4])]);
    let packet = Packet::event(
        "/",
        Value::Str(Str::from(json.to_owned()), Some(bins.clone())),
    );
    let node = node_packet(&packet).unwrap();
    let opts = NodeOpts::from_socketioxide(&to_room(&["room1"])).unwrap();
    assert_eq!(wire::encode_broadcast(&node_uid(), node, &opts), m.bytes());

    // And back: Node's binaries become placeholders and attachments.
    let decoded = wire::decode_broadcast(&m.bytes()).unwrap();
    let (back, attachments) = msgpack::mp_to_payload(&decoded.data);
    assert_eq!(back, json);
    assert_eq!(attachments, bins);
}

#[test]
fn rooms_except_and_flags_from_node_are_read() {
    let [m] = &op("broadcast_rooms_except_flags")[..] else {
        panic!()
    };
    assert_eq!(
        channel(m),
        "#/#",
        "several rooms go to the namespace channel"
    );
    let b = wire::decode_broadcast(&m.bytes()).unwrap();
    assert_eq!(b.uid, node_uid());
    assert_eq!(b.nsp, "/");
    assert_eq!(b.opts.rooms, ["room1", "room2"]);
    assert_eq!(b.opts.except, ["room3"]);
    assert!(b.opts.volatile);
    assert_eq!(
        msgpack::mp_to_payload(&b.data).0,
        r#"["multi",42,-7,1.5,null,true,"ünï"]"#
    );

    // Our encoding of the same selector differs only by Node's `compress: false` flag.
    let mut opts = to_room(&["room1", "room2"]);
    opts.except.push("room3".into());
    opts.add_flag(BroadcastFlags::Volatile);
    let ours = NodeOpts::from_socketioxide(&opts).unwrap();
    assert_eq!(ours, b.opts);
}

#[test]
fn emitter_broadcasts_are_read() {
    let [m] = &op("emitter_room")[..] else {
        panic!()
    };
    assert_eq!(channel(m), "#/#room1#");
    let b = wire::decode_broadcast(&m.bytes()).unwrap();
    assert_eq!(b.uid, "emitter");
    assert_eq!(b.opts.rooms, ["room1"]);
    assert_eq!(
        msgpack::mp_to_payload(&b.data).0,
        r#"["from-emitter",{"x":1.5}]"#
    );

    let [m] = &op("emitter_all_except")[..] else {
        panic!()
    };
    let b = wire::decode_broadcast(&m.bytes()).unwrap();
    assert!(b.opts.rooms.is_empty());
    assert_eq!(b.opts.except, ["room2"]);

    let [m] = &op("emitter_admin_nsp")[..] else {
        panic!()
    };
    assert_eq!(channel(m), "#/admin#room1#");
    assert_eq!(wire::decode_broadcast(&m.bytes()).unwrap().nsp, "/admin");
}

#[test]
fn a_broadcast_with_acks_matches_node_request_count_and_acks() {
    let [request, count, ack_json, ack_bin] = &op("broadcast_with_ack")[..] else {
        panic!()
    };
    assert_eq!(channel(request), "-request#/#");
    let id = str_field(request, "requestId");

    let packet = node_packet(&event(r#"["ask",5]"#)).unwrap();
    let mut opts = NodeOpts::from_socketioxide(&to_room(&["room1"])).unwrap();
    opts.timeout_ms = Some(1000);
    let ours = wire::encode_broadcast_request(&node_uid(), &id, packet, &opts);
    assert_eq!(ours, request.bytes());

    assert_eq!(channel(count), "-response#/#");
    assert_eq!(wire::encode_client_count(&id, 2), count.bytes());

    let ok = first_arg(&Value::Str(
        Str::from(r#"[{"ok":true,"n":5}]"#.to_owned()),
        None,
    ));
    assert_eq!(wire::encode_broadcast_ack(&id, ok), ack_json.bytes());
    let bins = VecDeque::from([Bytes::from_static(&[7, 8])]);
    let bin = first_arg(&Value::Str(
        Str::from(r#"[{"_placeholder":true,"num":0}]"#.to_owned()),
        Some(bins),
    ));
    assert_eq!(wire::encode_broadcast_ack(&id, bin), ack_bin.bytes());
}

#[test]
fn node_ack_answers_decode_to_socketioxide_responses() {
    let [_, count, ack_json, ack_bin] = &op("broadcast_with_ack")[..] else {
        panic!()
    };
    let res = decode_ack::<String>(body(count)).unwrap();
    assert!(matches!(res.r#type, ResponseType::BroadcastAckCount(2)));
    let res = decode_ack::<String>(body(ack_json)).unwrap();
    let ResponseType::BroadcastAck((_, Ok(Value::Str(json, None)))) = res.r#type else {
        panic!()
    };
    assert_eq!(json.as_str(), r#"[{"ok":true,"n":5}]"#);
    let res = decode_ack::<String>(body(ack_bin)).unwrap();
    let ResponseType::BroadcastAck((_, Ok(Value::Str(json, Some(bins))))) = res.r#type else {
        panic!()
    };
    assert_eq!(json.as_str(), r#"[{"_placeholder":true,"num":0}]"#);
    assert_eq!(bins, [Bytes::from_static(&[7, 8])]);
}

#[test]
fn fetch_sockets_request_is_byte_identical_and_the_answer_is_read() {
    let [request, answer] = &op("fetch_sockets")[..] else {
        panic!()
    };
    let id = str_field(request, "requestId");
    let opts = NodeOpts {
        rooms: vec!["room1".into()],
        except: vec!["room2".into()],
        ..NodeOpts::default()
    };
    assert_eq!(
        wire::encode_fetch_request(&node_uid(), &id, &opts),
        request.bytes()
    );

    let answer = body(answer);
    assert_eq!(
        wire::get(&answer, "requestId").and_then(Mp::as_str),
        Some(id.as_str())
    );
    let Some(Mp::Array(sockets)) = wire::get(&answer, "sockets") else {
        panic!()
    };
    assert_eq!(sockets.len(), 1, "room1 minus room2 is one socket");
    let rooms = wire::strings(wire::get(&sockets[0], "rooms"));
    assert!(rooms.contains(&"room1".to_owned()));

    let [request, _] = &op("fetch_all_sockets")[..] else {
        panic!()
    };
    let id = str_field(request, "requestId");
    let all = NodeOpts::from_socketioxide(&to_room(&[])).unwrap();
    assert_eq!(
        wire::encode_fetch_request(&node_uid(), &id, &all),
        request.bytes()
    );
}

#[test]
fn all_rooms_request_is_byte_identical_and_the_answer_is_read() {
    let [request, answer] = &op("all_rooms")[..] else {
        panic!()
    };
    let id = str_field(request, "requestId");
    assert_eq!(
        wire::encode_all_rooms_request(&node_uid(), &id),
        request.bytes()
    );
    let rooms = wire::strings(wire::get(&body(answer), "rooms"));
    assert!(
        ["room1", "room2", "doomed"]
            .iter()
            .all(|r| rooms.contains(&(*r).to_owned()))
    );
    let ours = wire::encode_rooms_response(&id, &rooms);
    assert_eq!(ours, answer.bytes());
}

#[test]
fn join_leave_and_disconnect_requests_are_byte_identical() {
    let uid = node_uid();
    let [join] = &op("sockets_join")[..] else {
        panic!()
    };
    let opts = NodeOpts::from_socketioxide(&to_room(&["room1"])).unwrap();
    let ours = wire::encode_rooms_request(&uid, kind::REMOTE_JOIN, &opts, &["room9".into()]);
    assert_eq!(ours, join.bytes());

    let [leave] = &op("sockets_leave")[..] else {
        panic!()
    };
    let mut sel = to_room(&["room1"]);
    sel.except.push("room2".into());
    let opts = NodeOpts::from_socketioxide(&sel).unwrap();
    let ours = wire::encode_rooms_request(&uid, kind::REMOTE_LEAVE, &opts, &["room9".into()]);
    assert_eq!(ours, leave.bytes());

    let [disconnect] = &op("disconnect_sockets")[..] else {
        panic!()
    };
    let opts = NodeOpts::from_socketioxide(&to_room(&["doomed"])).unwrap();
    assert_eq!(
        wire::encode_disconnect_request(&uid, &opts, false),
        disconnect.bytes()
    );
}

#[test]
fn emitter_requests_without_uid_are_read() {
    let [join] = &op("emitter_sockets_join")[..] else {
        panic!()
    };
    let request = body(join);
    assert_eq!(wire::get(&request, "uid"), None);
    assert_eq!(
        wire::get(&request, "type").and_then(wire::as_u64),
        Some(kind::REMOTE_JOIN)
    );
    let opts = NodeOpts::from_mp(wire::get(&request, "opts").unwrap());
    assert_eq!(opts.rooms, ["room1"]);
    assert_eq!(wire::strings(wire::get(&request, "rooms")), ["room7"]);

    let [leave] = &op("emitter_sockets_leave")[..] else {
        panic!()
    };
    let opts = NodeOpts::from_mp(wire::get(&body(leave), "opts").unwrap());
    assert_eq!(opts.except, ["room2"]);

    let [disconnect] = &op("emitter_disconnect")[..] else {
        panic!()
    };
    assert_eq!(
        wire::get(&body(disconnect), "close"),
        Some(&Mp::Boolean(true))
    );

    let [emit] = &op("emitter_server_side_emit")[..] else {
        panic!()
    };
    assert_eq!(
        emit.text(),
        r#"{"uid":"emitter","type":6,"data":["hello",1,"two"]}"#
    );
}

#[test]
fn server_side_emits_are_byte_identical() {
    let uid = node_uid();
    let [emit] = &op("server_side_emit")[..] else {
        panic!()
    };
    let data = [
        serde_json::json!("ping"),
        serde_json::json!(1),
        serde_json::json!({"a": 2}),
    ];
    assert_eq!(
        wire::encode_server_side_emit(&uid, None, &data),
        emit.bytes()
    );

    let [request, answer] = &op("server_side_emit_ack")[..] else {
        panic!()
    };
    let id = str_field(request, "requestId");
    let data = [serde_json::json!("ping"), serde_json::json!(3)];
    assert_eq!(
        wire::encode_server_side_emit(&uid, Some(&id), &data),
        request.bytes()
    );
    let pong = serde_json::json!({"pong": 3});
    assert_eq!(
        wire::encode_server_side_emit_response(&id, &pong),
        answer.bytes()
    );
}
