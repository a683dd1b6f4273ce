//! Group commit: sends that wait for the database together are stored together.
//!
//! Each send without files is queued to one of a few writer tasks (chosen by its
//! conversation, so one conversation's sends always meet the same writer and two writers of a
//! node never lock the same conversation rows). A writer takes everything queued (up to
//! `max_rows`; with a `window`, it first waits that long for more), stores it in one
//! transaction, then answers each waiter, in `seq` order per conversation. An idle node pays
//! nothing: with the default window of 0 a lone send is written at once, alone, on the old
//! per-send path. Under load a batch is what arrived during the previous commit, so one
//! fsync serves many sends.
//!
//! - PostgreSQL: one statement (one round trip, one implicit transaction) bumps each
//!   conversation's `last_seq` by its number of rows and inserts the rows with consecutive
//!   `seq`s. A row whose conversation does not exist gets no row back: not found.
//! - SQLite: one write transaction with a SAVEPOINT per row: a row that fails rolls back to
//!   its savepoint and gets its own outcome; one COMMIT (one fsync) for the batch.
//!
//! A failing row fails only its own send: when the PostgreSQL statement fails (a retried
//! `clientMsgId` hitting the unique key, a missing sender, a deadlock with another node...)
//! nothing of it was stored, and every row of the batch takes the per-send path on its own,
//! which gives each its own outcome (`Existing` for a retry); but when it failed because the
//! database is unavailable (no connection in time, a broken connection), every send of the
//! batch fails `unavailable` at once rather than waiting again, one after the other. If the
//! SQLite COMMIT fails, nothing was stored and every send of the batch fails. A waiter whose
//! writer is gone (a panic, the store dropped) gets an error, never waits forever.

use std::collections::HashMap;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use chrono::SecondsFormat;
use confab_domain::Error;
use confab_domain::ports::{Inserted, NewMessage};
use futures::FutureExt;
use sea_orm::{ConnectionTrait, DatabaseTransaction, DbBackend, DbErr, TransactionTrait};
use tokio::sync::{mpsc, oneshot};
use tracing::Instrument;
use uuid::Uuid;

use super::files::one_with_files;
use super::messages;
use super::sql::{begin_write, stmt};
use crate::connect::GroupCommitOptions;
use crate::error::{Failure, Outcome, batch_failed, not_found, unavailable};
use crate::scoped::Db;

/// One queued send, where its outcome goes, and the sender's span (its statements are
/// traced under it when they are its own, and a batch's span follows from it).
struct Job {
    new: NewMessage,
    reply: oneshot::Sender<Outcome<Inserted>>,
    span: tracing::Span,
}

/// How many batches and rows the writers have stored so far (for tests and diagnostics).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct GroupCommitStats {
    /// Batches written (a lone send is a batch of one).
    pub batches: u64,
    /// Sends written through the batches.
    pub rows: u64,
    /// Batches whose single statement failed, so that each row took the per-send path.
    pub fallbacks: u64,
}

#[derive(Debug, Default)]
struct Counters {
    batches: AtomicU64,
    rows: AtomicU64,
    fallbacks: AtomicU64,
}

/// The node's batcher: one queue per writer task.
#[derive(Debug)]
pub(crate) struct GroupCommit {
    writers: Vec<mpsc::UnboundedSender<Job>>,
    counters: Arc<Counters>,
}

impl GroupCommit {
    /// Starts the writer tasks on the current Tokio runtime (SQLite gets one: it has a
    /// single writer anyway).
    pub(crate) fn start(db: Db, options: &GroupCommitOptions) -> Self {
        let count = match db.get_database_backend() {
            DbBackend::Sqlite => 1,
            _ => options.writers.max(1),
        };
        let max_rows = options.max_rows.max(1);
        let counters = Arc::new(Counters::default());
        let writers = (0..count)
            .map(|_| {
                let (tx, rx) = mpsc::unbounded_channel();
                let writer = Writer {
                    db: db.clone(),
                    max_rows,
                    window: options.window,
                    counters: Arc::clone(&counters),
                };
                tokio::spawn(writer.run(rx));
                tx
            })
            .collect();
        Self { writers, counters }
    }

    /// Queues `new` for its conversation's writer and waits for the outcome.
    pub(crate) async fn insert(&self, new: NewMessage) -> Outcome<Inserted> {
        let slot = new.conversation_id.as_uuid().as_u128() % self.writers.len() as u128;
        let writer = &self.writers[usize::try_from(slot).unwrap_or_default()];
        let (reply, outcome) = oneshot::channel();
        let span = tracing::Span::current();
        if writer.send(Job { new, reply, span }).is_err() {
            return Err(writer_gone());
        }
        outcome.await.unwrap_or_else(|_| Err(writer_gone()))
    }

    pub(crate) fn stats(&self) -> GroupCommitStats {
        GroupCommitStats {
            batches: self.counters.batches.load(Ordering::Relaxed),
            rows: self.counters.rows.load(Ordering::Relaxed),
            fallbacks: self.counters.fallbacks.load(Ordering::Relaxed),
        }
    }
}

fn writer_gone() -> Failure {
    Failure::Domain(Error::Unavailable(
        "the database writer stopped before storing the message".to_owned(),
    ))
}

struct Writer {
    db: Db,
    max_rows: usize,
    window: Duration,
    counters: Arc<Counters>,
}

impl Writer {
    /// Until every sender is gone (the store was dropped).
    async fn run(self, mut queue: mpsc::UnboundedReceiver<Job>) {
        let mut jobs = Vec::with_capacity(self.max_rows);
        loop {
            if queue.recv_many(&mut jobs, self.max_rows).await == 0 {
                return;
            }
            if !self.window.is_zero() {
                let deadline = tokio::time::Instant::now() + self.window;
                while jobs.len() < self.max_rows {
                    let room = self.max_rows - jobs.len();
                    let more = queue.recv_many(&mut jobs, room);
                    match tokio::time::timeout_at(deadline, more).await {
                        Ok(n) if n > 0 => {}
                        _ => break,
                    }
                }
            }
            let batch = std::mem::replace(&mut jobs, Vec::with_capacity(self.max_rows));
            // A panic drops the batch's reply channels (each waiter gets an error) and
            // leaves the writer serving the next batch.
            let written = AssertUnwindSafe(self.write(batch)).catch_unwind().await;
            if written.is_err() {
                tracing::error!("group commit: a batch panicked; its sends failed");
            }
        }
    }

    async fn write(&self, jobs: Vec<Job>) {
        let rows = jobs.len() as u64;
        self.counters.batches.fetch_add(1, Ordering::Relaxed);
        self.counters.rows.fetch_add(rows, Ordering::Relaxed);
        crate::metrics::group_commit_batch(jobs.len());
        if let [_] = jobs.as_slice() {
            return self.one_by_one(jobs).await;
        }
        let span = tracing::info_span!("db.group_commit", rows = jobs.len());
        for job in &jobs {
            span.follows_from(&job.span);
        }
        match self.db.get_database_backend() {
            DbBackend::Postgres => self.postgres(jobs).instrument(span).await,
            _ => self.sqlite(jobs).instrument(span).await,
        }
    }

    /// The per-send path, one send after the other.
    async fn one_by_one(&self, jobs: Vec<Job>) {
        for job in jobs {
            let outcome = messages::insert(&self.db, job.new)
                .instrument(job.span)
                .await;
            let _ = job.reply.send(outcome);
        }
    }

    async fn postgres(&self, jobs: Vec<Job>) {
        match postgres_batch(&self.db, &jobs).await {
            Ok(seqs) => {
                for job in jobs {
                    let outcome = match seqs.get(&job.new.id.as_uuid()) {
                        Some(&seq) => Ok(Inserted::Created(messages::created(
                            job.new,
                            seq,
                            Vec::new(),
                        ))),
                        None => Err(not_found("conversation")),
                    };
                    let _ = job.reply.send(outcome);
                }
            }
            Err(err) if unavailable("insert_message", &err).is_some() => {
                // Each send alone would wait for the pool again, one after the other.
                tracing::debug!(rows = jobs.len(), error = %err, "group commit: the database is unavailable; the batch's sends failed");
                fail_all(jobs, &err);
            }
            Err(err) => {
                tracing::debug!(rows = jobs.len(), error = %err, "group commit: the batch statement failed; storing its sends one by one");
                self.counters.fallbacks.fetch_add(1, Ordering::Relaxed);
                crate::metrics::group_commit_fallback();
                self.one_by_one(jobs).await;
            }
        }
    }

    async fn sqlite(&self, jobs: Vec<Job>) {
        let txn = match begin_write(&self.db).await {
            Ok(txn) => txn,
            Err(err) => return fail_all(jobs, &err),
        };
        let mut answered = Vec::with_capacity(jobs.len());
        let mut jobs = jobs.into_iter();
        while let Some(job) = jobs.next() {
            match in_savepoint(&txn, job.new).instrument(job.span).await {
                Ok(outcome) => answered.push((job.reply, outcome)),
                Err(err) => {
                    // The transaction is in an unknown state: store none of the batch.
                    let _ = txn.rollback().await;
                    let failure = batch_failed(&err);
                    let _ = job.reply.send(Err(failure));
                    for (reply, _) in answered {
                        let _ = reply.send(Err(batch_failed(&err)));
                    }
                    return fail_all(jobs.collect(), &err);
                }
            }
        }
        match txn.commit().await {
            Ok(()) => {
                for (reply, outcome) in answered {
                    let _ = reply.send(outcome);
                }
            }
            Err(err) => {
                for (reply, _) in answered {
                    let _ = reply.send(Err(batch_failed(&err)));
                }
            }
        }
    }
}

fn fail_all(jobs: Vec<Job>, err: &DbErr) {
    for job in jobs {
        let _ = job.reply.send(Err(batch_failed(err)));
    }
}

/// Each row's conversation, sender, content... as one JSON array: the batch statement takes
/// one parameter whatever the batch size, so PostgreSQL prepares it once per connection.
fn postgres_input(jobs: &[Job]) -> serde_json::Value {
    let rows = jobs
        .iter()
        .enumerate()
        .map(|(ord, job)| {
            let new = &job.new;
            serde_json::json!({
                "ord": ord,
                "id": new.id.as_uuid(),
                "conversation_id": new.conversation_id.as_uuid(),
                "sender_id": new.sender_id.as_uuid(),
                "content": new.content,
                "type": new.kind.as_str(),
                "metadata": new.metadata,
                "client_msg_id": new.client_msg_id,
                // Microseconds, cut as sqlx cuts them when it binds a timestamp.
                "created_at": new.created_at.to_rfc3339_opts(SecondsFormat::Micros, true),
            })
        })
        .collect();
    serde_json::Value::Array(rows)
}

/// Stores the batch in one statement; the `seq` of each stored row, by message id.
///
/// Each conversation's `last_seq` moves by its number of rows in one `UPDATE` (which locks
/// the row until the statement commits, as the per-send path does), and its rows take the
/// numbers after the old value in queue order. `locked` takes the conversation rows' locks in
/// id order first, so that two nodes' batches over the same conversations queue behind each
/// other instead of deadlocking (which PostgreSQL would only notice after `deadlock_timeout`,
/// 1 s by default). `= ANY(ARRAY(...))` keeps both on the primary key whatever the plan
/// (a join with the function's rows, estimated at 100, can make a generic plan scan the whole
/// table). The statement is all or nothing: a unique key
/// or foreign key violation anywhere stores none of it and bumps nothing.
async fn postgres_batch(db: &Db, jobs: &[Job]) -> Result<HashMap<Uuid, i64>, DbErr> {
    let sql = "WITH input AS ( \
                 SELECT * FROM jsonb_to_recordset($1::jsonb) AS t( \
                   ord int, id uuid, conversation_id uuid, sender_id uuid, content text, \
                   type text, metadata jsonb, client_msg_id text, created_at timestamptz)), \
               counts AS ( \
                 SELECT conversation_id, count(*) AS n, max(created_at) AS at \
                 FROM input GROUP BY conversation_id), \
               locked AS ( \
                 SELECT id FROM conversations \
                 WHERE id = ANY(ARRAY(SELECT conversation_id FROM counts)) \
                 ORDER BY id FOR UPDATE), \
               bumped AS ( \
                 UPDATE conversations c SET last_seq = c.last_seq + counts.n, updated_at = counts.at \
                 FROM counts \
                 WHERE c.id = ANY(ARRAY(SELECT id FROM locked)) AND c.id = counts.conversation_id \
                 RETURNING c.id, c.last_seq - counts.n AS base) \
               INSERT INTO messages \
                 (id, conversation_id, seq, sender_id, content, type, metadata, client_msg_id, created_at) \
               SELECT i.id, i.conversation_id, \
                 b.base + row_number() OVER (PARTITION BY i.conversation_id ORDER BY i.ord), \
                 i.sender_id, i.content, i.type, i.metadata, i.client_msg_id, i.created_at \
               FROM input i JOIN bumped b ON b.id = i.conversation_id \
               RETURNING id, seq";
    let rows = db
        .query_all_raw(stmt(db, sql, [postgres_input(jobs).into()]))
        .await?;
    let mut seqs = HashMap::with_capacity(rows.len());
    for row in rows {
        seqs.insert(
            row.try_get_by_index::<Uuid>(0)?,
            row.try_get_by_index::<i64>(1)?,
        );
    }
    Ok(seqs)
}

/// One row of a SQLite batch in a savepoint of its own, as the per-send path stores it
/// (next `seq`, `clientMsgId` lookup, insert). The outer error means the transaction itself
/// failed (a savepoint could not begin or end): the whole batch fails.
async fn in_savepoint(
    txn: &DatabaseTransaction,
    new: NewMessage,
) -> Result<Outcome<Inserted>, DbErr> {
    let savepoint = txn.begin().await?;
    match row(&savepoint, &new).await {
        Ok(Some(seq)) => {
            savepoint.commit().await?;
            Ok(Ok(Inserted::Created(messages::created(
                new,
                seq,
                Vec::new(),
            ))))
        }
        Ok(None) => {
            savepoint.rollback().await?;
            Ok(Err(not_found("conversation")))
        }
        Err(Stored::Existing(row)) => {
            savepoint.rollback().await?;
            Ok(one_with_files(txn, row).await.map(Inserted::Existing))
        }
        Err(Stored::Failed(failure)) => {
            savepoint.rollback().await?;
            Ok(Err(failure))
        }
    }
}

/// Why a row of a SQLite batch was not stored.
enum Stored {
    /// Its `clientMsgId` was stored before (a retry).
    Existing(crate::entity::message::Model),
    Failed(Failure),
}

impl From<DbErr> for Stored {
    fn from(err: DbErr) -> Self {
        Self::Failed(err.into())
    }
}

impl From<Failure> for Stored {
    fn from(failure: Failure) -> Self {
        Self::Failed(failure)
    }
}

/// The row's `seq` once inserted; `None` when its conversation does not exist.
async fn row(savepoint: &DatabaseTransaction, new: &NewMessage) -> Result<Option<i64>, Stored> {
    let Some(seq) = messages::next_seq(savepoint, new.conversation_id, new.created_at).await?
    else {
        return Ok(None);
    };
    if let Some(client_msg_id) = &new.client_msg_id
        && let Some(stored) = messages::by_client_msg_id(savepoint, new, client_msg_id).await?
    {
        return Err(Stored::Existing(stored));
    }
    messages::insert_row(savepoint, new, seq).await?;
    Ok(Some(seq))
}
