//! Entry points for the fuzz targets (`fuzz/fuzz_targets/redis_wire.rs`): everything a node
//! does with a message from Redis before a socket is involved, as pure functions. Any process
//! that can publish on the cluster's channels reaches this code, so it must never panic, and
//! the JSON it hands socketioxide must be valid. The server does not call these.

use rmpv::Value as Mp;
use socketioxide_core::Sid;

use crate::msgpack;
use crate::wire::{self, NodeOpts};

/// A message on the broadcast channel: decoded, its `data` turned into socketioxide's payload.
pub fn broadcast(payload: &[u8]) {
    let Ok(message) = wire::decode_broadcast(payload) else {
        return;
    };
    check_payload(&message.data);
    let _ = (message.uid, message.nsp, message.opts);
}

/// A message on the request channel: the fields each request type reads.
pub fn request(payload: &[u8]) {
    let Ok(request) = wire::decode_body(payload) else {
        return;
    };
    let _ = wire::get(&request, "uid").and_then(Mp::as_str);
    let _ = wire::get(&request, "requestId").and_then(Mp::as_str);
    let _ = wire::get(&request, "opts").map(NodeOpts::from_mp);
    let _ = wire::get(&request, "type").and_then(wire::as_u64);
    let _ = wire::strings(wire::get(&request, "rooms"));
    let _ = wire::get(&request, "sid")
        .and_then(Mp::as_str)
        .map(str::parse::<Sid>);
    if let Some(data @ Mp::Array(_)) = wire::get(&request, "data") {
        check_payload(data);
    }
    if let Some(packet) = wire::get(&request, "packet").cloned()
        && let Ok((data, _nsp)) = wire::split_packet(packet)
    {
        check_payload(&data);
    }
}

/// A message on a response channel: the request id it answers.
pub fn response(payload: &[u8]) {
    let Ok(answer) = wire::decode_body(payload) else {
        return;
    };
    let _ = wire::get(&answer, "requestId")
        .and_then(Mp::as_str)
        .map(str::parse::<Sid>);
    if let Some(data) = wire::get(&answer, "data") {
        check_payload(data);
    }
}

/// The JSON text socketioxide receives parses, references every attachment that comes with
/// it, and turns back into the same payload.
fn check_payload(data: &Mp) {
    let (json, bins) = msgpack::mp_to_payload(data);
    serde_json::from_str::<serde_json::Value>(&json)
        .unwrap_or_else(|e| panic!("invalid JSON for socketioxide ({e}): {json}"));
    // A map that merely looks like a placeholder stays one (Node's parser reads it the same
    // way), so only "every attachment is referenced" holds, not "every placeholder has one".
    // Read as MessagePack again, which keeps duplicate keys as they are written.
    let plain = msgpack::from_json(json.as_bytes())
        .unwrap_or_else(|e| panic!("our own JSON does not parse back ({e}): {json}"));
    let mut referenced = vec![false; bins.len()];
    mark_placeholders(&plain, &mut referenced);
    assert!(
        referenced.iter().all(|r| *r),
        "an attachment no placeholder references: {json}"
    );
    let again = msgpack::payload_to_mp(&json, Some(&bins))
        .unwrap_or_else(|e| panic!("our own JSON does not parse back ({e}): {json}"));
    let (json_again, bins_again) = msgpack::mp_to_payload(&again);
    assert_eq!(
        json, json_again,
        "the payload is not stable across a round trip"
    );
    assert_eq!(bins, bins_again);
}

fn mark_placeholders(value: &Mp, referenced: &mut [bool]) {
    match value {
        Mp::Array(items) => items.iter().for_each(|v| mark_placeholders(v, referenced)),
        Mp::Map(entries) => {
            let field = |name: &str| {
                entries
                    .iter()
                    .find(|(k, _)| k.as_str() == Some(name))
                    .map(|(_, v)| v)
            };
            let slot = field("num")
                .and_then(Mp::as_u64)
                .and_then(|n| usize::try_from(n).ok());
            if entries.len() == 2
                && field("_placeholder") == Some(&Mp::Boolean(true))
                && let Some(seen) = slot.and_then(|n| referenced.get_mut(n))
            {
                *seen = true;
            } else {
                entries
                    .iter()
                    .for_each(|(_, v)| mark_placeholders(v, referenced));
            }
        }
        _ => {}
    }
}
