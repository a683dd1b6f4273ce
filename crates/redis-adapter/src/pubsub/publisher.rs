//! Publishing on the pool (confab-redis-link), in order.
//!
//! Every message of this node goes through one queue and one worker, which sends what has
//! piled up as a single pipeline: a node's messages reach Redis in the order they were made
//! (a `REMOTE_LEAVE` published before a broadcast is seen before it everywhere), and a burst
//! costs one round trip. Broadcasts do not wait for Redis (local delivery never does); requests
//! wait for their publish to be confirmed or failed. Each batch is bounded by a timeout, so an
//! outage fails fast instead of piling up callers.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use confab_redis_link::Pool;
use tokio::sync::mpsc;

use crate::error::Error;
use crate::health::ClusterHealth;
use crate::queue::{self, Job};

/// At most this many messages per pipeline.
const MAX_BATCH: usize = 128;

pub(crate) struct Publisher {
    pool: Pool,
    health: ClusterHealth,
    timeout: Duration,
    queue_size: usize,
    /// Started on first use, from inside the runtime.
    tx: OnceLock<mpsc::Sender<Job>>,
}

impl Publisher {
    pub(crate) fn new(
        pool: Pool,
        health: ClusterHealth,
        timeout: Duration,
        queue_size: usize,
    ) -> Self {
        Self {
            pool,
            health,
            timeout,
            queue_size,
            tx: OnceLock::new(),
        }
    }

    fn sender(&self) -> &mpsc::Sender<Job> {
        self.tx.get_or_init(|| {
            let (tx, rx) = mpsc::channel(self.queue_size.max(1));
            let worker = Worker {
                pool: self.pool.clone(),
                health: self.health.clone(),
                timeout: self.timeout,
            };
            tokio::spawn(worker.run(rx));
            tx
        })
    }

    /// Queues a message without waiting. A full queue (Redis far behind) drops it, counted
    /// like any publish failure.
    pub(crate) fn publish(&self, channel: String, payload: Vec<u8>) {
        queue::enqueue(self.sender(), &self.health, channel, payload);
    }

    /// Publishes and waits until Redis took the message (or the publish timeout), in an INFO
    /// span (`redis.publish`): room changes and disconnects that other nodes must apply.
    #[tracing::instrument(
        name = "redis.publish",
        level = "info",
        skip_all,
        fields(otel.kind = "client", db.system = "redis", db.operation = "PUBLISH")
    )]
    pub(crate) async fn publish_wait(
        &self,
        channel: String,
        payload: Vec<u8>,
    ) -> Result<(), Error> {
        queue::enqueue_and_wait(self.sender(), self.timeout, channel, payload).await
    }

    /// `PUBSUB NUMSUB channel`: how many connections listen there (Node's server count).
    pub(crate) async fn numsub(&self, channel: &str) -> Result<usize, Error> {
        let query = async {
            let mut conn = self.pool.get().await?;
            let reply: Vec<(String, usize)> = redis::cmd("PUBSUB")
                .arg("NUMSUB")
                .arg(channel)
                .query_async(&mut *conn)
                .await?;
            Ok::<_, Error>(reply.first().map_or(0, |(_, n)| *n))
        };
        let result = match tokio::time::timeout(self.timeout, query).await {
            Ok(result) => result,
            Err(_) => Err(Error::unavailable("PUBSUB NUMSUB timed out")),
        };
        match &result {
            Ok(_) => self.health.publish_ok(),
            Err(e) => self.health.publish_failed("server count", e),
        }
        result
    }
}

struct Worker {
    pool: Pool,
    health: ClusterHealth,
    timeout: Duration,
}

impl Worker {
    async fn run(self, mut rx: mpsc::Receiver<Job>) {
        let mut batch = Vec::with_capacity(MAX_BATCH);
        while rx.recv_many(&mut batch, MAX_BATCH).await > 0 {
            let result = self.send(&batch).await;
            let outcome = if result.is_ok() { "ok" } else { "error" };
            metrics::counter!("confab_redis_published_total", "outcome" => outcome)
                .increment(batch.len() as u64);
            match &result {
                Ok(()) => self.health.publish_ok(),
                Err(e) => self.health.publish_failed("publish", e),
            }
            let result = result.map_err(Arc::new);
            for job in batch.drain(..) {
                if let Some(done) = job.done {
                    let _ = done.send(result.clone().map_err(|e| Error::unavailable(&e)));
                }
            }
        }
    }

    async fn send(&self, batch: &[Job]) -> Result<(), Error> {
        let attempt = async {
            let mut conn = self.pool.get().await?;
            let mut pipe = redis::pipe();
            for job in batch {
                pipe.cmd("PUBLISH")
                    .arg(&job.channel)
                    .arg(&job.payload)
                    .ignore();
            }
            let result: Result<(), redis::RedisError> = pipe.query_async(&mut *conn).await;
            if result.is_err() {
                // A broken connection must not go back to the pool.
                let _ = confab_redis_link::Connection::take(conn);
            }
            result.map_err(Error::from)
        };
        match tokio::time::timeout(self.timeout, attempt).await {
            Ok(result) => result,
            Err(_) => Err(Error::unavailable(format!(
                "no answer from redis within {:?}",
                self.timeout
            ))),
        }
    }
}
