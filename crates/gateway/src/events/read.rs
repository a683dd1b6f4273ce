//! `message:read` and `message:sync`.

use std::sync::Arc;

use confab_domain::ids::{ConversationId, MessageId};
use confab_domain::input::ReadInput;
use confab_domain::{Error, Identity};
use serde::Deserialize;
use serde_json::{Value, json};
use socketioxide::adapter::Adapter;

use super::{Outcome, payload};
use crate::hub::Hub;
use crate::reply::Reply;

/// `message:read`'s payload: the message id.
pub(super) fn decode_read(data: Option<Value>) -> Result<MessageId, Error> {
    payload::<ReadInput>(data).and_then(ReadInput::parse)
}

/// Marks a message read; the server finds its conversation.
pub(crate) async fn read<A: Adapter>(
    hub: &Arc<Hub<A>>,
    me: &Identity,
    data: Option<Value>,
    reply: Reply<A>,
) -> Outcome<A> {
    let id = match decode_read(data) {
        Ok(id) => id,
        Err(e) => return Err((e, reply)),
    };
    match hub.services.mark_read(me, None, id).await {
        Ok(receipt) => {
            reply.ok(&json!({ "receipt": receipt }));
            Ok(())
        }
        Err(e) => Err((e, reply)),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SyncPayload {
    conversation_id: String,
    #[serde(default)]
    after_seq: Option<i64>,
    #[serde(default)]
    limit: Option<i64>,
}

/// `message:sync`'s payload: conversation, `afterSeq` (default 0) and page size (default 100,
/// at most `sync_max`).
pub(super) fn decode_sync(
    data: Option<Value>,
    sync_max: u32,
) -> Result<(ConversationId, i64, u32), Error> {
    let p = payload::<SyncPayload>(data)?;
    let id = p
        .conversation_id
        .parse()
        .map_err(|_| Error::validation("conversationId: must be a UUID"))?;
    let max = i64::from(sync_max);
    let limit = match p.limit {
        None => 100,
        Some(n) if (1..=max).contains(&n) => n,
        Some(_) => {
            return Err(Error::validation(format!(
                "limit: must be between 1 and {max}"
            )));
        }
    };
    let after = p.after_seq.unwrap_or(0);
    if after < 0 {
        return Err(Error::validation("afterSeq: must not be negative"));
    }
    Ok((id, after, u32::try_from(limit).unwrap_or(100)))
}

/// What a reconnecting client missed after `afterSeq`, in seq order.
pub(crate) async fn sync<A: Adapter>(
    hub: &Arc<Hub<A>>,
    me: &Identity,
    data: Option<Value>,
    reply: Reply<A>,
) -> Outcome<A> {
    let (conversation, after, limit) = match decode_sync(data, hub.config.sync_max) {
        Ok(parsed) => parsed,
        Err(e) => return Err((e, reply)),
    };
    match hub.services.sync(me, conversation, after, limit).await {
        Ok(page) => {
            reply.ok(&json!({ "messages": page.messages, "hasMore": page.has_more }));
            Ok(())
        }
        Err(e) => Err((e, reply)),
    }
}
