//! A Socket.IO packet as a client sends it (the text of one Engine.IO message after its `4`):
//! socketioxide's parser, the event name and payload extraction our handlers use, then the
//! gateway's payload checks and the domain's validation (`confab_gateway::check_payload`).
//! Invariants: nothing panics, and an error message stays bounded (at most 20 problems, no
//! amplification of a large input).
#![no_main]

use libfuzzer_sys::fuzz_target;
use socketioxide_core::Str;
use socketioxide_core::packet::PacketData;
use socketioxide_core::parser::{Parse, ParseConfig, ParserState};
use socketioxide_parser_common::CommonParser;

/// What an error may add on top of echoing part of the input.
const ERROR_OVERHEAD: usize = 8 * 1024;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let parser = CommonParser;
    let Ok(packet) = parser.decode_str(
        &ParseConfig::default(),
        &ParserState::default(),
        Str::from(text.to_owned()),
    ) else {
        return;
    };
    match packet.inner {
        PacketData::Connect(auth) => {
            // The handshake middleware's `TryData<Value>`, then `auth.token`.
            if let Ok(auth) = parser.decode_default::<serde_json::Value>(auth.as_ref()) {
                let _ = auth.get("token").and_then(serde_json::Value::as_str);
            }
        }
        PacketData::Event(mut value, _) | PacketData::BinaryEvent(mut value, _) => {
            let Ok(event) = parser.read_event(&value).map(str::to_owned) else {
                return;
            };
            let payload = parser
                .decode_value::<serde_json::Value>(&mut value, true)
                .ok();
            let sync_max = confab_gateway::GatewayConfig::default().sync_max;
            if let Err(error) = confab_gateway::check_payload(&event, payload, sync_max) {
                let message = error.to_string();
                assert!(
                    message.len() <= text.len() + ERROR_OVERHEAD,
                    "a {}-byte packet gave a {}-byte error",
                    text.len(),
                    message.len()
                );
            }
        }
        _ => {}
    }
});
