//! Whether the cluster link works, for `/readyz`, and error logging that stays quiet during an
//! outage (one line per interval, with the number of errors it did not print).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use confab_redis_link::Throttle;

/// A cheap, cloneable view of the adapter's link to Redis.
#[derive(Clone, Debug)]
pub struct ClusterHealth {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    /// The subscriber connection is up and subscribed.
    subscribed: AtomicBool,
    /// The last publish (or server count) succeeded.
    publishing: AtomicBool,
    last_error: Mutex<Option<LastError>>,
    publish_log: Mutex<Throttle>,
    subscribe_log: Mutex<Throttle>,
}

/// The most recent failure talking to Redis.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LastError {
    /// What failed and why.
    pub message: String,
    /// When.
    pub at: SystemTime,
}

impl ClusterHealth {
    pub(crate) fn new(log_interval: Duration) -> Self {
        Self {
            inner: Arc::new(Inner {
                subscribed: AtomicBool::new(false),
                publishing: AtomicBool::new(true),
                last_error: Mutex::new(None),
                publish_log: Mutex::new(Throttle::new(log_interval)),
                subscribe_log: Mutex::new(Throttle::new(log_interval)),
            }),
        }
    }

    /// True when this node both receives from and publishes to Redis. False before the first
    /// subscription is confirmed and during an outage: the node then serves its own sockets
    /// only ("degraded").
    pub fn is_healthy(&self) -> bool {
        self.inner.subscribed.load(Ordering::Acquire)
            && self.inner.publishing.load(Ordering::Acquire)
    }

    /// Whether the subscriber connection is up (remote requests need it for their answers).
    pub fn is_subscribed(&self) -> bool {
        self.inner.subscribed.load(Ordering::Acquire)
    }

    /// The most recent error, kept after recovery so operators can see what happened.
    pub fn last_error(&self) -> Option<LastError> {
        lock(&self.inner.last_error).clone()
    }

    fn record(&self, message: String) {
        *lock(&self.inner.last_error) = Some(LastError {
            message,
            at: SystemTime::now(),
        });
    }

    pub(crate) fn publish_failed(&self, what: &str, error: &dyn std::fmt::Display) {
        self.inner.publishing.store(false, Ordering::Release);
        let message = format!("{what}: {error}");
        if let Some(suppressed) = lock(&self.inner.publish_log).hit() {
            tracing::warn!(
                suppressed,
                "cluster adapter: publishing to redis failed ({message}); local delivery continues"
            );
        }
        self.record(message);
    }

    pub(crate) fn publish_ok(&self) {
        if !self.inner.publishing.swap(true, Ordering::AcqRel) {
            let suppressed = lock(&self.inner.publish_log).reset();
            tracing::info!(
                suppressed,
                "cluster adapter: publishing to redis works again"
            );
        }
    }

    pub(crate) fn subscriber_down(&self, error: &dyn std::fmt::Display) {
        let was_up = self.inner.subscribed.swap(false, Ordering::AcqRel);
        let message = format!("subscriber: {error}");
        if was_up {
            tracing::warn!(
                "cluster adapter: lost the redis subscription ({message}); reconnecting"
            );
        } else if let Some(suppressed) = lock(&self.inner.subscribe_log).hit() {
            tracing::warn!(
                suppressed,
                "cluster adapter: cannot subscribe to redis ({message}); retrying"
            );
        }
        self.record(message);
    }

    pub(crate) fn subscriber_up(&self) {
        if !self.inner.subscribed.swap(true, Ordering::AcqRel) {
            if self.last_error().is_some() {
                metrics::counter!("confab_redis_reconnects_total").increment(1);
            }
            let failed = lock(&self.inner.subscribe_log).reset();
            tracing::info!(
                failed_attempts = failed,
                "cluster adapter: subscribed to redis"
            );
        }
        // Redis answers again: count publishing as working until a publish says otherwise, so
        // an idle node does not stay "degraded" after an outage.
        self.publish_ok();
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn health_needs_both_directions() {
        let h = ClusterHealth::new(Duration::from_secs(10));
        assert!(!h.is_healthy(), "not healthy before the first subscription");
        h.subscriber_up();
        assert!(h.is_healthy());
        h.publish_failed("publish", &"connection refused");
        assert!(!h.is_healthy());
        assert!(
            h.last_error()
                .unwrap()
                .message
                .contains("connection refused")
        );
        h.publish_ok();
        assert!(h.is_healthy());
        h.subscriber_down(&"eof");
        assert!(!h.is_healthy());
        assert!(h.last_error().unwrap().message.contains("eof"));
    }
}
