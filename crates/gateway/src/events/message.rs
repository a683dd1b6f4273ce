//! `message:send`: the same use case as `POST /conversations/:id/messages`. The ack goes out
//! right after the commit, before the `message:new` broadcast.

use std::time::Instant;

use confab_domain::model::Message;
use confab_domain::{Error, Identity};
use serde::Serialize;
use socketioxide::adapter::Adapter;

use crate::events::request::SendPayload;
use crate::hub::Hub;
use crate::reply::{Ack, Reply};

/// The ack's fields (`ok` is added by the reply).
#[derive(Serialize)]
struct Stored<'a> {
    message: &'a Message,
}

/// Stores the message. The commit hook answers the ack, so the sender has it before the
/// broadcast; the same outcome is returned, and `dispatch`'s answer finds it sent.
pub(crate) async fn send<A: Adapter>(
    hub: &Hub<A>,
    me: &Identity,
    SendPayload {
        conversation_id,
        message,
    }: SendPayload,
    ack: &Ack<A>,
    received: Instant,
) -> Result<Reply, Error> {
    let mut answered = None;
    let sent = hub
        .services
        .send_message_received(me, conversation_id, message, received, |sent| {
            let outcome = Reply::of(&Stored {
                message: &sent.message,
            });
            ack.answer(&outcome);
            crate::metrics::message_sent(received.elapsed());
            answered = Some(outcome);
        })
        .await?;
    answered.unwrap_or_else(|| {
        Reply::of(&Stored {
            message: &sent.message,
        })
    })
}
