//! Logging a failing dependency once per interval instead of once per operation.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use confab_redis_link::Throttle;

/// Remembers the last error of one dependency and rate-limits its log lines.
#[derive(Debug)]
pub struct ErrorLog {
    what: &'static str,
    interval: Duration,
    throttle: Mutex<Throttle>,
    failing: AtomicBool,
    last_error: Mutex<Option<String>>,
}

impl ErrorLog {
    /// A log for the dependency named `what`, logging failures at most once per `interval`.
    pub fn new(what: &'static str, interval: Duration) -> Self {
        Self {
            what,
            interval,
            throttle: Mutex::new(Throttle::new(interval)),
            failing: AtomicBool::new(false),
            last_error: Mutex::new(None),
        }
    }

    /// Records a failure; logs it unless one was logged within the interval.
    pub fn failed(&self, operation: &str, error: &dyn std::fmt::Display) {
        self.failing.store(true, Ordering::Relaxed);
        if let Ok(mut last) = self.last_error.lock() {
            *last = Some(error.to_string());
        }
        let Ok(mut throttle) = self.throttle.lock() else {
            return;
        };
        if let Some(suppressed) = throttle.hit() {
            tracing::warn!(dependency = self.what, operation, %error, suppressed, "dependency failing (further errors logged at most once per {:?})", self.interval);
        }
    }

    /// Records a success; logs the recovery once.
    pub fn succeeded(&self) {
        if self.failing.swap(false, Ordering::Relaxed) {
            let suppressed = self
                .throttle
                .lock()
                .map_or(0, |mut throttle| throttle.take_suppressed());
            tracing::info!(dependency = self.what, suppressed, "dependency recovered");
            if let Ok(mut last) = self.last_error.lock() {
                *last = None;
            }
        }
    }

    /// Whether the last call failed (no success since).
    pub fn is_failing(&self) -> bool {
        self.failing.load(Ordering::Relaxed)
    }

    /// The text of the last failure while failing, `None` once a call succeeded.
    pub fn last_error(&self) -> Option<String> {
        self.last_error.lock().ok().and_then(|e| e.clone())
    }
}
