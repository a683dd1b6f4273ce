//! Engine.IO v4 / Socket.IO v5 text framing over a websocket, the packets a chat client
//! needs: the engine's open/ping/pong/close, and Socket.IO CONNECT, CONNECT_ERROR, EVENT,
//! BINARY_EVENT and ACK (a namespace prefix is skipped). One websocket message carries one
//! Engine.IO packet; a BINARY_EVENT's attachments follow as binary messages.

/// What one websocket text message from the server means.
#[derive(Debug, PartialEq, Eq)]
pub enum Inbound<'a> {
    /// Engine.IO OPEN `0{"sid":…,"pingInterval":…}`.
    Open(&'a str),
    /// Engine.IO PING `2`: answer with [`PONG`].
    Ping,
    /// Engine.IO PONG `3` (an answer to a probe).
    Pong,
    /// Engine.IO CLOSE `1`: the server ends the session.
    Close,
    /// Engine.IO NOOP `6`.
    Noop,
    /// Socket.IO CONNECT `40{"sid":…}`.
    Connect(&'a str),
    /// Socket.IO CONNECT_ERROR `44{"message":…}`.
    ConnectError(&'a str),
    /// Socket.IO DISCONNECT `41`: the server closed the namespace.
    Disconnect,
    /// Socket.IO EVENT `42[<ack>]["name",…]`.
    Event {
        /// The ack id the server waits for, if any.
        ack: Option<u64>,
        /// The JSON array: the event name, then its arguments.
        json: &'a str,
    },
    /// Socket.IO BINARY_EVENT `45<n>-[<ack>]["name",…]`; `attachments` binary messages
    /// follow.
    BinaryEvent {
        /// How many binary messages follow.
        attachments: usize,
        /// The ack id the server waits for, if any.
        ack: Option<u64>,
        /// The JSON array, with placeholders where the attachments go.
        json: &'a str,
    },
    /// Socket.IO ACK `43<id>[…]`.
    Ack {
        /// The id of the client's event this answers.
        id: u64,
        /// The JSON array of the ack's arguments.
        json: &'a str,
    },
    /// Anything else (binary acks, upgrade probes): not interpreted.
    Other,
}

/// Engine.IO PONG, the answer to a server ping.
pub const PONG: &str = "3";

/// A text frame that is not Engine.IO / Socket.IO as this codec reads it: what is wrong.
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
    if kind == '6' {
        return Ok(Inbound::Other);
    }
    let mut attachments = 0;
    if kind == '5' {
        let (count, after) = rest
            .split_once('-')
            .ok_or(FrameError("binary event without an attachment count"))?;
        attachments = count
            .parse()
            .map_err(|_| FrameError("bad attachment count"))?;
        rest = after;
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
        '5' => Inbound::BinaryEvent {
            attachments,
            ack: id,
            json,
        },
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
    fn binary_events_count_their_attachments() {
        assert_eq!(
            parse(r#"451-["file",{"_placeholder":true,"num":0}]"#),
            Ok(Inbound::BinaryEvent {
                attachments: 1,
                ack: None,
                json: r#"["file",{"_placeholder":true,"num":0}]"#
            })
        );
        assert_eq!(
            parse(r#"452-/admin,7["x"]"#),
            Ok(Inbound::BinaryEvent {
                attachments: 2,
                ack: Some(7),
                json: r#"["x"]"#
            })
        );
        assert!(
            parse(r#"45["x"]"#).is_err(),
            "a binary event needs its count"
        );
        assert_eq!(parse(r#"461-0[]"#), Ok(Inbound::Other));
    }
}
