//! What clients may send: [`ClientEvent`] (each contract name written once, here) and
//! [`Request`], an event with its payload decoded into typed fields with domain ids. All
//! checks that need no IO happen while decoding, so the fuzz target's `check_payload` and
//! `dispatch` refuse the same things.

use std::fmt;
use std::str::FromStr;

use confab_domain::Error;
use confab_domain::ids::{ConversationId, MessageId};
use confab_domain::input::{SendMessageInput, page_limit_up_to};
use confab_domain::logs::{Clip, clip};
use serde::de::{DeserializeOwned, Error as _};
use serde::{Deserialize, Deserializer};
use serde_json::{Value, json};

/// Defines [`ClientEvent`] from one list of `Variant = "name"`.
macro_rules! client_events {
    ($($(#[$doc:meta])* $variant:ident = $name:literal,)+) => {
        /// The events clients may send.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum ClientEvent {
            $($(#[$doc])* $variant,)+
        }

        impl ClientEvent {
            /// Every event, in the contract's order.
            pub const ALL: &'static [Self] = &[$(Self::$variant,)+];

            /// The contract's name, also the `event` label of logs and metrics.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $name,)+
                }
            }
        }
    };
}

client_events! {
    /// `{ conversationId }`: join the conversation's room.
    Join = "join",
    /// `{ conversationId }`: leave it.
    Leave = "leave",
    /// `{ conversationId, content, type, fileIds?, clientMsgId? }`.
    MessageSend = "message:send",
    /// `{ conversationId }`.
    TypingStart = "typing:start",
    /// `{ conversationId }`.
    TypingStop = "typing:stop",
    /// `{ messageId }`.
    MessageRead = "message:read",
    /// `{ conversationId, afterSeq?, limit? }`.
    MessageSync = "message:sync",
}

impl FromStr for ClientEvent {
    type Err = Error;

    /// The event called `name`; any other name is a validation error (quoting it clipped).
    fn from_str(name: &str) -> Result<Self, Error> {
        Self::ALL
            .iter()
            .copied()
            .find(|event| event.as_str() == name)
            .ok_or_else(|| Error::validation(format!("unknown event {:?}", clip(name))))
    }
}

impl fmt::Display for ClientEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `join`, `leave`, `typing:start` and `typing:stop`'s payload.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ConversationRef {
    #[serde(deserialize_with = "uuid")]
    pub conversation_id: ConversationId,
}

/// `message:send`'s payload: the conversation and a message as REST takes it (the message
/// itself is validated by the use case).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SendPayload {
    #[serde(deserialize_with = "uuid")]
    pub conversation_id: ConversationId,
    #[serde(flatten)]
    pub message: SendMessageInput,
}

/// `message:read`'s payload (the server finds the conversation).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct MessageRef {
    #[serde(deserialize_with = "uuid")]
    pub message_id: MessageId,
}

/// `message:sync`'s payload as it arrives.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SyncPayload {
    #[serde(deserialize_with = "uuid")]
    conversation_id: ConversationId,
    #[serde(default)]
    after_seq: Option<i64>,
    #[serde(default)]
    limit: Option<i64>,
}

/// `message:sync`, checked: the messages after `after_seq` (default 0), `limit` of them
/// (default 100, at most the configured `sync_max`).
#[derive(Debug)]
pub(crate) struct SyncPage {
    pub conversation_id: ConversationId,
    pub after_seq: i64,
    pub limit: u32,
}

/// A client event with its payload decoded.
#[derive(Debug)]
pub(crate) enum Request {
    Join(ConversationRef),
    Leave(ConversationRef),
    Send(SendPayload),
    Typing(ConversationRef, bool),
    Read(MessageRef),
    Sync(SyncPage),
}

impl Request {
    /// Decodes `event`'s payload; shape errors become validation errors naming the field.
    pub(crate) fn decode(
        event: ClientEvent,
        data: Option<Value>,
        sync_max: u32,
    ) -> Result<Self, Error> {
        Ok(match event {
            ClientEvent::Join => Self::Join(payload(data)?),
            ClientEvent::Leave => Self::Leave(payload(data)?),
            ClientEvent::MessageSend => Self::Send(payload(data)?),
            ClientEvent::TypingStart => Self::Typing(payload(data)?, true),
            ClientEvent::TypingStop => Self::Typing(payload(data)?, false),
            ClientEvent::MessageRead => Self::Read(payload(data)?),
            ClientEvent::MessageSync => Self::Sync(sync_page(payload(data)?, sync_max)?),
        })
    }

    /// The conversation the event is about, when its payload names one.
    pub(crate) fn conversation_id(&self) -> Option<ConversationId> {
        match self {
            Self::Join(p) | Self::Leave(p) | Self::Typing(p, _) => Some(p.conversation_id),
            Self::Send(p) => Some(p.conversation_id),
            Self::Sync(p) => Some(p.conversation_id),
            Self::Read(_) => None,
        }
    }
}

fn sync_page(p: SyncPayload, sync_max: u32) -> Result<SyncPage, Error> {
    let limit = page_limit_up_to(p.limit, 100, sync_max)?;
    let after_seq = p.after_seq.unwrap_or(0);
    if after_seq < 0 {
        return Err(Error::validation("afterSeq: must not be negative"));
    }
    Ok(SyncPage {
        conversation_id: p.conversation_id,
        after_seq,
        limit,
    })
}

/// Decodes a payload. A field that does not decode is named, as the domain's validation
/// names fields: `conversationId: must be a UUID`, with `details`.
fn payload<T: DeserializeOwned>(data: Option<Value>) -> Result<T, Error> {
    let value = data.ok_or_else(|| Error::validation("missing payload object"))?;
    serde_path_to_error::deserialize(value).map_err(|e| {
        let field = e.path().to_string();
        let problem = Clip(e.into_inner()).to_string();
        // `.`: the payload itself; `?`: a place serde does not name (inside a flattened part).
        if field == "." || field.contains('?') {
            return Error::validation(format!("invalid payload: {problem}"));
        }
        let field = clip(&field);
        Error::Validation {
            message: format!("{field}: {problem}"),
            details: Some(json!({ field: problem })),
        }
    })
}

/// A domain id from its UUID text.
fn uuid<'de, D: Deserializer<'de>, T: FromStr>(d: D) -> Result<T, D::Error> {
    let text = std::borrow::Cow::<str>::deserialize(d)?;
    text.parse().map_err(|_| D::Error::custom("must be a UUID"))
}
