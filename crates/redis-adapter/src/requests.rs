//! Requests to the other nodes and the routing of their answers.
//!
//! A request registers a channel under a fresh request id, publishes, and collects answers
//! until it has one from every other server (`PUBSUB NUMSUB` on the request channel, minus
//! this node) or the request timeout passes. Answers arrive on the namespace's response
//! channel, on the subscriber task, and are routed by `requestId`.

use std::str::FromStr;
use std::sync::{Arc, Mutex, PoisonError};

use rmpv::Value as Mp;
use socketioxide_core::Sid;
use socketioxide_core::adapter::stream::ResponseHandlers;
use tokio::sync::mpsc;

use crate::error::Error;
use crate::state::Shared;
use crate::wire::{self, Channels};

/// Answers held per request before they are read (acks can come in bursts).
pub(crate) const ANSWER_BUFFER: usize = 1024;

/// Removes a request's entry when the request ends, however it ends.
pub(crate) struct PendingGuard {
    handlers: Arc<Mutex<ResponseHandlers<Mp>>>,
    id: Sid,
}

impl PendingGuard {
    pub(crate) fn insert(
        handlers: &Arc<Mutex<ResponseHandlers<Mp>>>,
        id: Sid,
        tx: mpsc::Sender<Mp>,
    ) -> Self {
        handlers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(id, tx);
        Self {
            handlers: handlers.clone(),
            id,
        }
    }
}

impl Drop for PendingGuard {
    fn drop(&mut self) {
        self.handlers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&self.id);
    }
}

impl Shared {
    /// How many other servers listen on `channels` (fails fast while our subscriber is down:
    /// their answers could not reach us anyway).
    pub(crate) async fn remote_count(&self, channels: &Channels) -> Result<usize, Error> {
        if !self.health.is_subscribed() {
            return Err(Error::Unavailable(
                self.health
                    .last_error()
                    .map_or_else(|| "not subscribed yet".to_owned(), |e| e.message),
            ));
        }
        Ok(self
            .driver
            .numsub(&channels.request)
            .await?
            .saturating_sub(1))
    }

    /// Publishes the request `body(request_id)` and waits for `expected` answers, in an INFO
    /// span (`redis.request`, its `operation` the request's kind) so a trace shows the round trip.
    #[tracing::instrument(
        name = "redis.request",
        level = "info",
        skip_all,
        fields(otel.kind = "client", db.system = "redis", db.operation = operation, expected)
    )]
    pub(crate) async fn request(
        &self,
        channels: &Channels,
        expected: usize,
        operation: &'static str,
        body: impl FnOnce(&str) -> Vec<u8>,
    ) -> Result<Vec<Mp>, Error> {
        let id = Sid::new();
        let (tx, mut rx) = mpsc::channel(ANSWER_BUFFER);
        let _guard = PendingGuard::insert(&self.pending, id, tx);
        let started = tokio::time::Instant::now();
        self.driver
            .publish_wait(channels.request.clone(), body(id.as_str()))
            .await?;
        let timeout = self.config.request_timeout;
        let deadline = tokio::time::Instant::now() + timeout;
        let mut answers = Vec::with_capacity(expected);
        while answers.len() < expected {
            match tokio::time::timeout_at(deadline, rx.recv()).await {
                Ok(Some(answer)) => answers.push(answer),
                Ok(None) => break,
                Err(_) => {
                    metrics::counter!("confab_redis_request_timeouts_total").increment(1);
                    return Err(Error::Timeout {
                        timeout,
                        expected,
                        received: answers.len(),
                    });
                }
            }
        }
        metrics::histogram!("confab_redis_request_duration_seconds")
            .record(started.elapsed().as_secs_f64());
        Ok(answers)
    }

    /// Routes an answer (a message on a response channel) to the request waiting for it.
    /// Answers to other nodes' requests are ignored.
    pub(crate) fn route_response(&self, payload: &[u8]) {
        let answer = match wire::decode_body(payload) {
            Ok(answer) => answer,
            Err(e) => {
                tracing::debug!(error = %e, "cluster adapter: ignoring a malformed response");
                return;
            }
        };
        let Some(id) = wire::get(&answer, "requestId")
            .and_then(Mp::as_str)
            .and_then(|id| Sid::from_str(id).ok())
        else {
            return;
        };
        let tx = self
            .pending
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&id)
            .cloned();
        if let Some(tx) = tx
            && tx.try_send(answer).is_err()
        {
            tracing::warn!(request = %id, "cluster adapter: dropped an answer (the request is gone or too far behind)");
        }
    }
}
