//! The publish queue in front of both drivers' publisher tasks (one Redis server's Pub/Sub,
//! a Cluster's sharded Pub/Sub): what a job is, queuing one without waiting, and queuing
//! one and waiting until Redis took it.

use std::time::Duration;

use tokio::sync::{mpsc, oneshot};

use crate::error::Error;
use crate::health::ClusterHealth;

/// One message for the publisher task; `done` hears how its publish went.
pub(crate) struct Job {
    pub(crate) channel: String,
    pub(crate) payload: Vec<u8>,
    pub(crate) done: Option<oneshot::Sender<Result<(), Error>>>,
}

/// Queues a message without waiting. A full queue (Redis far behind) drops it, counted like
/// any publish failure.
pub(crate) fn enqueue(
    queue: &mpsc::Sender<Job>,
    health: &ClusterHealth,
    channel: String,
    payload: Vec<u8>,
) {
    let job = Job {
        channel,
        payload,
        done: None,
    };
    if let Err(e) = queue.try_send(job) {
        let why = match e {
            mpsc::error::TrySendError::Full(_) => "the publish queue is full",
            mpsc::error::TrySendError::Closed(_) => "the publisher stopped",
        };
        health.publish_failed("publish", &why);
    }
}

/// Queues a message and waits until Redis took it: `timeout` for a place in the queue, then
/// twice that for the publish (the worker bounds each batch by the timeout; twice covers the
/// queue ahead of us).
pub(crate) async fn enqueue_and_wait(
    queue: &mpsc::Sender<Job>,
    timeout: Duration,
    channel: String,
    payload: Vec<u8>,
) -> Result<(), Error> {
    let (done, rx) = oneshot::channel();
    let job = Job {
        channel,
        payload,
        done: Some(done),
    };
    match tokio::time::timeout(timeout, queue.send(job)).await {
        Ok(Ok(())) => {}
        Ok(Err(_)) => return Err(Error::unavailable("the publisher stopped")),
        Err(_) => return Err(Error::unavailable("the publish queue is full")),
    }
    match tokio::time::timeout(timeout * 2, rx).await {
        Ok(Ok(result)) => result,
        Ok(Err(_)) => Err(Error::unavailable("the publisher stopped")),
        Err(_) => Err(Error::unavailable("publishing timed out")),
    }
}
