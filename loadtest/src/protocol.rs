//! What the load generator reads from confab's answers (`message:new`, acks) and the
//! `clientMsgId`s it writes; the Engine.IO / Socket.IO framing itself is
//! `confab_test_client::frame`, shared with the Rust tests.

use std::borrow::Cow;

use serde::Deserialize;

pub(crate) use confab_test_client::frame::{Inbound, PONG, connect, event, event_name, parse};

/// The fields of a `message:new` the load generator checks.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Delivered<'a> {
    #[serde(borrow)]
    pub conversation_id: Cow<'a, str>,
    pub seq: i64,
    #[serde(borrow, default)]
    pub client_msg_id: Option<Cow<'a, str>>,
}

/// Parses `["message:new", Message]`.
pub(crate) fn delivered(json: &str) -> Result<Delivered<'_>, serde_json::Error> {
    let (_, message): (serde::de::IgnoredAny, Delivered<'_>) = serde_json::from_str(json)?;
    Ok(message)
}

/// An ack's first argument: `{ ok, message?, lastSeq? }` or `{ error: { code } }`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct AckBody {
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
pub(crate) struct AckedMessage {
    pub seq: i64,
}

#[derive(Debug, Deserialize)]
pub(crate) struct AckError {
    #[serde(default)]
    pub code: String,
}

impl AckBody {
    /// The error code of a failed ack (`unknown` when the body says neither ok nor error).
    pub(crate) fn error_code(&self) -> Option<&str> {
        match (&self.error, self.ok) {
            (Some(e), _) if !e.code.is_empty() => Some(&e.code),
            (Some(_), _) | (None, false) => Some("unknown"),
            (None, true) => None,
        }
    }
}

/// What a `message:send` ack said.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum SendAck {
    /// Stored: the message's `seq`.
    Accepted(i64),
    /// `ok:false` (or no `ok`) with this error code: not stored, not lost.
    Refused(String),
    /// `ok:true` without the message.
    NoMessage,
}

/// Classifies a `message:send` ack payload.
pub(crate) fn send_ack(json: &str) -> Result<SendAck, serde_json::Error> {
    let body = ack_body(json)?;
    Ok(match (body.error_code(), &body.message) {
        (None, Some(message)) => SendAck::Accepted(message.seq),
        (None, None) => SendAck::NoMessage,
        (Some(code), _) => SendAck::Refused(code.to_owned()),
    })
}

/// Parses an ACK payload `[body, …]`.
pub(crate) fn ack_body(json: &str) -> Result<AckBody, serde_json::Error> {
    let mut args: Vec<serde_json::Value> = serde_json::from_str(json)?;
    if args.is_empty() {
        return Ok(AckBody::default());
    }
    serde_json::from_value(args.swap_remove(0))
}

/// A load-test `clientMsgId`: `<run>-<client>-<n>-<sentMicros>`; the send time travels with the
/// message so every receiver can compute its delivery latency.
pub(crate) fn client_msg_id(run: &str, client: usize, n: u64, sent_us: u64) -> String {
    format!("{run}-{client}-{n}-{sent_us}")
}

/// The send time (microseconds since the run's clock base) inside a load-test `clientMsgId`.
pub(crate) fn sent_micros(client_msg_id: &str) -> Option<u64> {
    client_msg_id.rsplit('-').next()?.parse().ok()
}

/// The sending client's index inside a load-test `clientMsgId` (`<run>-<client>-<n>-<sent>`).
pub(crate) fn sender_index(client_msg_id: &str) -> Option<usize> {
    client_msg_id.split('-').nth(1)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn send_acks_are_accepted_or_refused_by_code() {
        assert_eq!(
            send_ack(r#"[{"ok":true,"message":{"seq":3}}]"#).unwrap(),
            SendAck::Accepted(3)
        );
        let overloaded = r#"[{"ok":false,"error":{"code":"overloaded","message":"busy","details":{"retryAfterMs":200}}}]"#;
        assert_eq!(
            send_ack(overloaded).unwrap(),
            SendAck::Refused("overloaded".into())
        );
        let limited =
            r#"[{"ok":false,"error":{"code":"rate_limited","message":"slow","retryAfterMs":900}}]"#;
        assert_eq!(
            send_ack(limited).unwrap(),
            SendAck::Refused("rate_limited".into())
        );
        assert_eq!(send_ack(r#"[{"ok":true}]"#).unwrap(), SendAck::NoMessage);
        assert!(send_ack("not json").is_err());
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
