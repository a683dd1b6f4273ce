//! `message:send`: the same use case as `POST /conversations/:id/messages`. The ack goes out
//! right after the commit, before the `message:new` broadcast.

use std::sync::Arc;
use std::time::Instant;

use confab_domain::ids::ConversationId;
use confab_domain::input::SendMessageInput;
use confab_domain::model::Message;
use confab_domain::{Error, Identity};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use socketioxide::adapter::Adapter;

use super::{Outcome, payload};
use crate::hub::Hub;
use crate::reply::Reply;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SendPayload {
    conversation_id: String,
    #[serde(flatten)]
    message: SendMessageInput,
}

/// The ack's fields (`ok` is added by the reply).
#[derive(Serialize)]
struct Stored<'a> {
    message: &'a Message,
}

/// The payload's shape and conversation id (the message itself is validated by the use case).
pub(super) fn decode(data: Option<Value>) -> Result<(ConversationId, SendMessageInput), Error> {
    let p = payload::<SendPayload>(data)?;
    let id = p
        .conversation_id
        .parse()
        .map_err(|_| Error::validation("conversationId: must be a UUID"))?;
    Ok((id, p.message))
}

pub(crate) async fn send<A: Adapter>(
    hub: &Arc<Hub<A>>,
    me: &Identity,
    data: Option<Value>,
    reply: Reply<A>,
    received: Instant,
) -> Outcome<A> {
    let (conversation, input) = match decode(data) {
        Ok(parsed) => parsed,
        Err(e) => return Err((e, reply)),
    };
    // The reply moves into the commit hook; a failure before it comes back out.
    let mut pending = Some(reply);
    let result = hub
        .services
        .send_message(me, conversation, input, |sent| {
            if let Some(reply) = pending.take() {
                reply.ok(&Stored {
                    message: &sent.message,
                });
                crate::metrics::message_sent(received.elapsed());
            }
        })
        .await;
    match (result, pending) {
        (Err(e), Some(reply)) => Err((e, reply)),
        (Err(e), None) => {
            tracing::error!(error = %e, "message:send failed after its ack");
            Ok(())
        }
        (Ok(_), _) => Ok(()),
    }
}
