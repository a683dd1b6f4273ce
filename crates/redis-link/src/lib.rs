//! confab-redis-link: what the Socket.IO adapter (confab-redis-adapter) and the cluster state
//! (confab-cluster-state) both need from Redis, written once: `CONFAB_REDIS_URL` parsed in one
//! place ([`target::RedisTarget`]: a server, `rediss://` over TLS, Sentinel, Cluster), a
//! [`Link`] that opens connections to it (a [`Pool`] whose waits and connects are bounded, so an
//! unreachable Redis fails fast instead of stalling a caller, and the subscriber's dedicated
//! Pub/Sub connection), and a [`Throttle`] that lets one log line per interval through while
//! Redis is away.
//!
//! It also opens Redis Cluster connections ([`cluster`]) for the `redis+cluster://` URLs
//! [`target`] parses.
//!
//! Depends on redis, deadpool and tokio only; never on Socket.IO, on confab-domain or on
//! another confab crate.

#![warn(missing_docs)]

pub mod cluster;
mod link;
pub mod target;
#[cfg(feature = "testing")]
pub mod testing;

use std::time::{Duration, Instant};

pub use link::{Connection, Link, LinkOptions, Manager, Pool, PoolError};
pub use target::{RedisTarget, TargetError};

/// Connections per pool.
pub const POOL_SIZE: usize = 16;

/// Lets one log line through per interval and counts the ones it holds back, so an outage
/// is reported at once and then once per interval with the number of errors not printed.
#[derive(Debug)]
pub struct Throttle {
    interval: Duration,
    last: Option<Instant>,
    suppressed: u64,
}

impl Throttle {
    /// A throttle that lets the first error through at once and then at most one per
    /// `interval` (`Duration::ZERO` lets every one through).
    pub fn new(interval: Duration) -> Self {
        Self {
            interval,
            last: None,
            suppressed: 0,
        }
    }

    /// `Some(suppressed since the last line)` when this error should be logged, `None` when
    /// it is held back (and counted).
    pub fn hit(&mut self) -> Option<u64> {
        let now = Instant::now();
        match self.last {
            Some(last) if now.duration_since(last) < self.interval => {
                self.suppressed += 1;
                None
            }
            _ => {
                self.last = Some(now);
                Some(std::mem::take(&mut self.suppressed))
            }
        }
    }

    /// The errors held back since the last line, counting from zero again; the interval
    /// keeps running (a dependency that flaps still logs at most once per interval).
    pub fn take_suppressed(&mut self) -> u64 {
        std::mem::take(&mut self.suppressed)
    }

    /// Back to normal: the next error logs at once. Returns the errors held back.
    pub fn reset(&mut self) -> u64 {
        self.last = None;
        self.take_suppressed()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_throttle_logs_once_per_interval_and_counts_the_rest() {
        let mut t = Throttle::new(Duration::from_secs(60));
        assert_eq!(t.hit(), Some(0));
        assert_eq!(t.hit(), None);
        assert_eq!(t.hit(), None);
        assert_eq!(t.reset(), 2);
        assert_eq!(t.hit(), Some(0));

        let mut fast = Throttle::new(Duration::ZERO);
        assert_eq!(fast.hit(), Some(0));
        assert_eq!(fast.hit(), Some(0));
    }

    #[test]
    fn taking_the_count_keeps_the_interval_running() {
        let mut t = Throttle::new(Duration::from_secs(60));
        assert_eq!(t.hit(), Some(0));
        assert_eq!(t.hit(), None);
        assert_eq!(t.take_suppressed(), 1);
        assert_eq!(t.hit(), None, "still inside the interval");
        assert_eq!(t.take_suppressed(), 1);
    }
}
