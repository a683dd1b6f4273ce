//! Logging a failing dependency once per interval instead of once per operation.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Remembers the last error of one dependency and rate-limits its log lines.
#[derive(Debug)]
pub struct ErrorLog {
    what: &'static str,
    interval: Duration,
    last_logged: Mutex<Option<Instant>>,
    suppressed: AtomicU64,
    failing: AtomicBool,
    last_error: Mutex<Option<String>>,
}

impl ErrorLog {
    pub fn new(what: &'static str, interval: Duration) -> Self {
        Self {
            what,
            interval,
            last_logged: Mutex::new(None),
            suppressed: AtomicU64::new(0),
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
        let Ok(mut logged) = self.last_logged.lock() else {
            return;
        };
        if logged.is_some_and(|t| t.elapsed() < self.interval) {
            self.suppressed.fetch_add(1, Ordering::Relaxed);
            return;
        }
        *logged = Some(Instant::now());
        let suppressed = self.suppressed.swap(0, Ordering::Relaxed);
        tracing::warn!(dependency = self.what, operation, %error, suppressed, "dependency failing (further errors logged at most once per {:?})", self.interval);
    }

    /// Records a success; logs the recovery once.
    pub fn succeeded(&self) {
        if self.failing.swap(false, Ordering::Relaxed) {
            let suppressed = self.suppressed.swap(0, Ordering::Relaxed);
            tracing::info!(dependency = self.what, suppressed, "dependency recovered");
            if let Ok(mut last) = self.last_error.lock() {
                *last = None;
            }
        }
    }

    pub fn is_failing(&self) -> bool {
        self.failing.load(Ordering::Relaxed)
    }

    pub fn last_error(&self) -> Option<String> {
        self.last_error.lock().ok().and_then(|e| e.clone())
    }
}
