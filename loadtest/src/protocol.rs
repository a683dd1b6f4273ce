//! Engine.IO v4 / Socket.IO v5 text framing over a websocket, the few packets a chat client
//! needs: the engine's open/ping/pong/close, and Socket.IO CONNECT, CONNECT_ERROR, EVENT and
//! ACK on the main namespace. One websocket message carries one Engine.IO packet.

use std::borrow::Cow;

use serde::Deserialize;

/// What one websocket text message from the server means.
#[derive(Debug, PartialEq, Eq)]
pub enum Inbound<'a> {
    /// Engine.IO OPEN `0{"sid":…,"pingInterval":…}`.
    Open(&'a str),
    /// Engine.IO PING `2`: answer with [`PONG`].
    Ping,
    Pong,
    Close,
    Noop,
    /// Socket.IO CONNECT `40{"sid":…}`.
    Connect(&'a str),
    /// Socket.IO CONNECT_ERROR `44{"message":…}`.
    ConnectError(&'a str),
    Disconnect,
    /// Socket.IO EVENT `42[<ack>]["name",…]`.
    Event {
        ack: Option<u64>,
        json: &'a str,
    },
    /// Socket.IO ACK `43<id>[…]`.
    Ack {
        id: u64,
        json: &'a str,
    },
    /// Anything else (binary events, upgrade probes): counted, not interpreted.
    Other,
}

/// Engine.IO PONG, the answer to a server ping.
pub const PONG: &str = "3";

#[derive(Debug, PartialEq, Eq)]
pub struct FrameError(pub &'static str);

impl std::fmt::Display for FrameError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

/// Parses one Engine.IO packet (as received in one websocket text message).
pub fn parse(text: &str) -> Result<Inbound<'_>, FrameError> {
    let mut chars = text.char_indices();
    let Some((_, engine)) = chars.next() else {
        return Err(FrameError("empty frame"));
    };
    let rest = &text[1..];
    Ok(match engine {
        '0' => Inbound::Open(rest),
        '1' => Inbound::Close,
        '2' => Inbound::Ping,
        '3' => Inbound::Pong,
        '4' => parse_socket(rest)?,
        '5' | '6' => Inbound::Noop,
        _ => return Err(FrameError("unknown engine.io packet type")),
    })
}

fn parse_socket(text: &str) -> Result<Inbound<'_>, FrameError> {
    let Some(kind) = text.chars().next() else {
        return Err(FrameError("empty socket.io packet"));
    };
    let mut rest = &text[1..];
    if kind == '5' || kind == '6' {
        return Ok(Inbound::Other);
    }
    // A namespace other than "/" is written `/name,` before the ack id.
    if rest.starts_with('/') {
        rest = match rest.find(',') {
            Some(comma) => &rest[comma + 1..],
            None => "",
        };
    }
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    let id = match digits {
        0 => None,
        _ => Some(
            rest[..digits]
                .parse::<u64>()
                .map_err(|_| FrameError("ack id out of range"))?,
        ),
    };
    let json = &rest[digits..];
    Ok(match kind {
        '0' => Inbound::Connect(json),
        '1' => Inbound::Disconnect,
        '2' => Inbound::Event { ack: id, json },
        '3' => Inbound::Ack {
            id: id.ok_or(FrameError("ack without id"))?,
            json,
        },
        '4' => Inbound::ConnectError(json),
        _ => return Err(FrameError("unknown socket.io packet type")),
    })
}

/// The event name of an EVENT payload `["name", …]`, without parsing the rest.
pub fn event_name(json: &str) -> Option<&str> {
    let rest = json.strip_prefix("[\"")?;
    let end = rest.find('"')?;
    Some(&rest[..end])
}

/// Socket.IO CONNECT to the main namespace with an `auth` payload carrying the token.
pub fn connect(token: &str) -> String {
    format!("40{}", serde_json::json!({ "token": token }))
}

/// Socket.IO EVENT `42<ack>["name",data]`; `data` is already JSON.
pub fn event(ack: Option<u64>, name: &str, data_json: &str) -> String {
    match ack {
        Some(id) => format!("42{id}[\"{name}\",{data_json}]"),
        None => format!("42[\"{name}\",{data_json}]"),
    }
}

/// The fields of a `message:new` the load generator checks.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Delivered<'a> {
    #[serde(borrow)]
    pub conversation_id: Cow<'a, str>,
    pub seq: i64,
    #[serde(borrow, default)]
    pub client_msg_id: Option<Cow<'a, str>>,
}

/// Parses `["message:new", Message]`.
pub fn delivered(json: &str) -> Result<Delivered<'_>, serde_json::Error> {
    let (_, message): (serde::de::IgnoredAny, Delivered<'_>) = serde_json::from_str(json)?;
    Ok(message)
}

/// An ack's first argument: `{ ok, message?, lastSeq? }` or `{ error: { code } }`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AckBody {
    #[serde(default)]
    pub ok: bool,
    #[serde(default)]
    pub message: Option<AckedMessage>,
    #[serde(default)]
    pub last_seq: Option<i64>,
    #[serde(default)]
    pub error: Option<AckError>,
}

#[derive(Debug, Deserialize)]
pub struct AckedMessage {
    pub seq: i64,
}

#[derive(Debug, Deserialize)]
pub struct AckError {
    #[serde(default)]
    pub code: String,
}

impl AckBody {
    /// The error code of a failed ack (`unknown` when the body says neither ok nor error).
    pub fn error_code(&self) -> Option<&str> {
        match (&self.error, self.ok) {
            (Some(e), _) if !e.code.is_empty() => Some(&e.code),
            (Some(_), _) | (None, false) => Some("unknown"),
            (None, true) => None,
        }
    }
}

/// Parses an ACK payload `[body, …]`.
pub fn ack_body(json: &str) -> Result<AckBody, serde_json::Error> {
    let mut args: Vec<serde_json::Value> = serde_json::from_str(json)?;
    if args.is_empty() {
        return Ok(AckBody::default());
    }
    serde_json::from_value(args.swap_remove(0))
}

/// A load-test `clientMsgId`: `<run>-<client>-<n>-<sentMicros>`; the send time travels with the
/// message so every receiver can compute its delivery latency.
pub fn client_msg_id(run: &str, client: usize, n: u64, sent_us: u64) -> String {
    format!("{run}-{client}-{n}-{sent_us}")
}

/// The send time (microseconds since the run's clock base) inside a load-test `clientMsgId`.
pub fn sent_micros(client_msg_id: &str) -> Option<u64> {
    client_msg_id.rsplit('-').next()?.parse().ok()
}

/// The sending client's index inside a load-test `clientMsgId` (`<run>-<client>-<n>-<sent>`).
pub fn sender_index(client_msg_id: &str) -> Option<usize> {
    client_msg_id.split('-').nth(1)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn engine_packets_are_recognised() {
        assert_eq!(
            parse(r#"0{"sid":"x","pingInterval":25000}"#),
            Ok(Inbound::Open(r#"{"sid":"x","pingInterval":25000}"#))
        );
        assert_eq!(parse("2"), Ok(Inbound::Ping));
        assert_eq!(parse("3"), Ok(Inbound::Pong));
        assert_eq!(parse("1"), Ok(Inbound::Close));
        assert_eq!(parse("6"), Ok(Inbound::Noop));
        assert!(parse("").is_err());
        assert!(parse("9").is_err());
    }

    #[test]
    fn socket_packets_carry_their_ack_ids_and_json() {
        assert_eq!(
            parse(r#"40{"sid":"abc"}"#),
            Ok(Inbound::Connect(r#"{"sid":"abc"}"#))
        );
        assert_eq!(
            parse(r#"44{"message":"unauthorized: bad token"}"#),
            Ok(Inbound::ConnectError(
                r#"{"message":"unauthorized: bad token"}"#
            ))
        );
        assert_eq!(
            parse(r#"42["message:new",{"seq":1}]"#),
            Ok(Inbound::Event {
                ack: None,
                json: r#"["message:new",{"seq":1}]"#
            })
        );
        assert_eq!(
            parse(r#"4217["ping",{}]"#),
            Ok(Inbound::Event {
                ack: Some(17),
                json: r#"["ping",{}]"#
            })
        );
        assert_eq!(
            parse(r#"43123[{"ok":true}]"#),
            Ok(Inbound::Ack {
                id: 123,
                json: r#"[{"ok":true}]"#
            })
        );
        assert_eq!(parse("41"), Ok(Inbound::Disconnect));
        assert!(parse("43[{}]").is_err(), "an ack needs an id");
    }

    #[test]
    fn a_namespace_prefix_is_skipped() {
        assert_eq!(
            parse(r#"42/admin,5["x",1]"#),
            Ok(Inbound::Event {
                ack: Some(5),
                json: r#"["x",1]"#
            })
        );
    }

    #[test]
    fn outbound_frames_follow_the_socket_io_encoding() {
        assert_eq!(connect("t.o.k"), r#"40{"token":"t.o.k"}"#);
        assert_eq!(
            event(Some(3), "join", r#"{"conversationId":"c"}"#),
            r#"423["join",{"conversationId":"c"}]"#
        );
        assert_eq!(event(None, "leave", "{}"), r#"42["leave",{}]"#);
    }

    #[test]
    fn a_message_new_event_yields_its_seq_and_send_time() {
        let frame = r#"["message:new",{"id":"m","conversationId":"c1","seq":42,"senderId":"u","content":"hi \"there\"","type":"text","metadata":{},"files":[],"clientMsgId":"run1-7-3-123456","createdAt":"2026-01-01T00:00:00Z"}]"#;
        assert_eq!(event_name(frame), Some("message:new"));
        let d = delivered(frame).unwrap();
        assert_eq!(d.seq, 42);
        assert_eq!(d.conversation_id, "c1");
        assert_eq!(
            sent_micros(d.client_msg_id.as_deref().unwrap()),
            Some(123_456)
        );
    }

    #[test]
    fn acks_report_success_seq_or_error_code() {
        let ok = ack_body(r#"[{"ok":true,"message":{"seq":9,"content":"x"}}]"#).unwrap();
        assert_eq!(ok.error_code(), None);
        assert_eq!(ok.message.map(|m| m.seq), Some(9));
        let join = ack_body(r#"[{"ok":true,"conversation":{},"lastSeq":4}]"#).unwrap();
        assert_eq!(join.last_seq, Some(4));
        let err = ack_body(r#"[{"error":{"code":"rate_limited","message":"slow"}}]"#).unwrap();
        assert_eq!(err.error_code(), Some("rate_limited"));
        let odd = ack_body("[]").unwrap();
        assert_eq!(odd.error_code(), Some("unknown"));
    }

    #[test]
    fn client_msg_ids_round_trip_the_send_time() {
        let id = client_msg_id("ab12", 5, 77, 987_654_321);
        assert_eq!(id, "ab12-5-77-987654321");
        assert_eq!(sent_micros(&id), Some(987_654_321));
        assert_eq!(sent_micros("no-time-here"), None);
        assert_eq!(sender_index(&id), Some(5));
        assert_eq!(sender_index("no-client"), None);
    }
}
