//! Group reads: the access checks that wait for the database together are read together.
//!
//! Every send (and most socket events) first reads its conversation and the sender's
//! membership ([`conversations::access`]). Alone that is one round trip and one statement
//! start per send; under load those starts, not the rows, are most of what the read costs
//! the database and the node. The reader task takes every lookup queued while its previous
//! query ran (up to `max_rows`) and answers them all from one statement. An idle node pays
//! nothing: a lone lookup is read at once, alone, with the per-call statement.
//!
//! PostgreSQL only (a SQLite read is a call into the same process). If the batch statement
//! fails, each lookup is read on its own, at once, so a failure is only ever its own; if it
//! failed because the database is unavailable (no connection in time), every lookup of the
//! batch is answered `unavailable` at once, as each would be after waiting alone.

use std::collections::HashMap;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock};

use confab_domain::Error;
use confab_domain::ids::{ConversationId, UserId};
use confab_domain::ports::Access;
use futures::FutureExt;
use sea_orm::{ConnectionTrait, DbErr};
use tokio::sync::{mpsc, oneshot};
use tracing::Instrument;

use super::conversations::{self, ACCESS_PARTICIPANT_COLUMNS, access_from_row};
use super::convert::CONVERSATION_COLUMNS;
use super::sql::stmt;
use crate::error::{Failure, Outcome, unavailable};
use crate::scoped::Db;

struct Lookup {
    conversation: ConversationId,
    user: UserId,
    reply: oneshot::Sender<Outcome<Option<Access>>>,
    span: tracing::Span,
}

/// How many lookups the reader answered from batch statements (for tests and diagnostics).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct GroupReadStats {
    /// Batch statements that answered (a lone lookup is not one).
    pub batches: u64,
    /// Lookups those statements answered.
    pub rows: u64,
}

#[derive(Debug, Default)]
struct Counters {
    batches: AtomicU64,
    rows: AtomicU64,
}

/// The node's access reader.
#[derive(Debug)]
pub(crate) struct GroupRead {
    queue: mpsc::UnboundedSender<Lookup>,
    counters: Arc<Counters>,
}

impl GroupRead {
    /// Starts the reader task on the current Tokio runtime.
    pub(crate) fn start(db: Db, max_rows: usize) -> Self {
        let (queue, lookups) = mpsc::unbounded_channel();
        let counters = Arc::new(Counters::default());
        tokio::spawn(run(db, max_rows.max(1), lookups, Arc::clone(&counters)));
        Self { queue, counters }
    }

    pub(crate) fn stats(&self) -> GroupReadStats {
        GroupReadStats {
            batches: self.counters.batches.load(Ordering::Relaxed),
            rows: self.counters.rows.load(Ordering::Relaxed),
        }
    }

    /// The conversation and `user`'s active membership, as [`conversations::access`] reads it.
    pub(crate) async fn access(
        &self,
        conversation: ConversationId,
        user: UserId,
    ) -> Outcome<Option<Access>> {
        let (reply, answer) = oneshot::channel();
        let lookup = Lookup {
            conversation,
            user,
            reply,
            span: tracing::Span::current(),
        };
        if self.queue.send(lookup).is_err() {
            return Err(reader_gone());
        }
        answer.await.unwrap_or_else(|_| Err(reader_gone()))
    }
}

fn reader_gone() -> Failure {
    Failure::Domain(Error::Unavailable(
        "the database reader stopped before answering".to_owned(),
    ))
}

/// Until the store is dropped.
async fn run(
    db: Db,
    max_rows: usize,
    mut queue: mpsc::UnboundedReceiver<Lookup>,
    counters: Arc<Counters>,
) {
    let mut lookups = Vec::with_capacity(max_rows);
    loop {
        if queue.recv_many(&mut lookups, max_rows).await == 0 {
            return;
        }
        let batch = std::mem::replace(&mut lookups, Vec::with_capacity(max_rows));
        // A panic drops the batch's reply channels (each waiter gets an error) and leaves
        // the reader serving the next batch.
        if AssertUnwindSafe(read(&db, batch, &counters))
            .catch_unwind()
            .await
            .is_err()
        {
            tracing::error!("group read: a batch panicked; its lookups failed");
        }
    }
}

async fn read(db: &Db, lookups: Vec<Lookup>, counters: &Counters) {
    if lookups.len() > 1 {
        let span = tracing::info_span!("db.group_read", rows = lookups.len());
        for lookup in &lookups {
            span.follows_from(&lookup.span);
        }
        match read_batch(db, &lookups).instrument(span).await {
            Ok(mut found) => {
                counters.batches.fetch_add(1, Ordering::Relaxed);
                counters
                    .rows
                    .fetch_add(lookups.len() as u64, Ordering::Relaxed);
                for (ord, lookup) in lookups.into_iter().enumerate() {
                    let _ = lookup.reply.send(found.remove(&ord).transpose());
                }
                return;
            }
            Err(err) => {
                if unavailable("access", &err).is_some() {
                    // Alone, each would wait for the pool again: answer them all now.
                    // (`Failure` is not `Clone`: each waiter gets its own.)
                    tracing::debug!(rows = lookups.len(), error = %err, "group read: the database is unavailable");
                    for lookup in lookups {
                        let failure = unavailable("access", &err).unwrap_or_else(reader_gone);
                        let _ = lookup.reply.send(Err(failure));
                    }
                    return;
                }
                tracing::debug!(rows = lookups.len(), error = %err, "group read: the batch statement failed; reading its lookups one by one");
            }
        }
    }
    // Each on its own, at once, as without group reads.
    let alone = lookups.into_iter().map(|lookup| async move {
        let answer = conversations::access(db, lookup.conversation, lookup.user)
            .instrument(lookup.span)
            .await;
        let _ = lookup.reply.send(answer);
    });
    futures::future::join_all(alone).await;
}

/// Every lookup's access in one statement, by its position in `lookups` (absent: no such
/// conversation). The keys travel as one JSON parameter, so the statement is prepared once
/// per connection whatever the batch size; `= ANY(ARRAY(...))` keeps the conversations on
/// their primary key whatever the plan.
async fn read_batch(db: &Db, lookups: &[Lookup]) -> Result<HashMap<usize, Outcome<Access>>, DbErr> {
    static SQL: LazyLock<String> = LazyLock::new(|| {
        format!(
            "WITH k AS ( \
               SELECT * FROM jsonb_to_recordset($1::jsonb) AS t(ord int, cid uuid, uid uuid)) \
             SELECT k.ord, {CONVERSATION_COLUMNS}, {ACCESS_PARTICIPANT_COLUMNS} \
             FROM k \
             JOIN conversations c ON c.id = k.cid AND c.id = ANY(ARRAY(SELECT cid FROM k)) \
             LEFT JOIN conversation_participants p \
                ON p.conversation_id = k.cid AND p.user_id = k.uid AND p.left_at IS NULL"
        )
    });
    let keys: Vec<serde_json::Value> = lookups
        .iter()
        .enumerate()
        .map(|(ord, lookup)| {
            serde_json::json!({
                "ord": ord,
                "cid": lookup.conversation.as_uuid(),
                "uid": lookup.user.as_uuid(),
            })
        })
        .collect();
    let rows = db
        .query_all_raw(stmt(
            db,
            SQL.as_str(),
            [serde_json::Value::Array(keys).into()],
        ))
        .await?;
    let mut found = HashMap::with_capacity(rows.len());
    for row in rows {
        let ord = row.try_get_by_index::<i32>(0)?;
        let ord = usize::try_from(ord).map_err(|_| DbErr::Custom(format!("bad ord {ord}")))?;
        found.insert(ord, access_from_row(&row));
    }
    Ok(found)
}
