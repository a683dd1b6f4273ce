//! `message:read` and `message:sync`.

use confab_domain::{Error, Identity};
use serde_json::json;
use socketioxide::adapter::Adapter;

use crate::events::request::{MessageRef, SyncPage};
use crate::hub::Hub;
use crate::reply::Reply;

/// Marks a message read; the server finds its conversation.
pub(crate) async fn read<A: Adapter>(
    hub: &Hub<A>,
    me: &Identity,
    MessageRef { message_id }: MessageRef,
) -> Result<Reply, Error> {
    let receipt = hub.services.mark_read(me, None, message_id).await?;
    Reply::of(&json!({ "receipt": receipt }))
}

/// What a reconnecting client missed after `afterSeq`, in seq order.
pub(crate) async fn sync<A: Adapter>(
    hub: &Hub<A>,
    me: &Identity,
    page: SyncPage,
) -> Result<Reply, Error> {
    let found = hub
        .services
        .sync(me, page.conversation_id, page.after_seq, page.limit)
        .await?;
    Reply::of(&json!({ "messages": found.messages, "hasMore": found.has_more }))
}
