//! What one connection is doing, for its timeouts: waiting for a request head, serving a
//! request, or idle between requests. hyper's own `header_read_timeout` cannot express both
//! limits: its timer also runs while a keep-alive connection waits for its next request, so
//! an idle connection would be closed after the header timeout rather than the idle one.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::Notify;
use tokio::time::Instant;

use super::Timeouts;
use super::body::Observe;

/// The phases, in the low bits of [`Activity::state`]; the rest is when it began (ms).
const HEAD: u64 = 0;
const BUSY: u64 = 1;
const IDLE: u64 = 2;
const PHASE_BITS: u64 = 2;

/// Which limit closed a connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Expired {
    HeaderRead,
    Idle,
}

#[derive(Debug)]
pub(super) struct Activity {
    started: Instant,
    /// `since_ms << PHASE_BITS | phase`, one word so the pair is always consistent.
    state: AtomicU64,
    in_flight: AtomicUsize,
    /// Woken when a deadline may have moved closer: an idle connection starts receiving a
    /// request head, or the last request in progress ends.
    changed: Notify,
}

impl Activity {
    /// A new connection: its first request head is due within the header timeout.
    pub(super) fn new() -> Arc<Self> {
        Arc::new(Self {
            started: Instant::now(),
            state: AtomicU64::new(HEAD),
            in_flight: AtomicUsize::new(0),
            changed: Notify::new(),
        })
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX >> PHASE_BITS)
    }

    fn set(&self, phase: u64) {
        self.state
            .store(self.now_ms() << PHASE_BITS | phase, Ordering::Release);
    }

    /// Bytes arrived: an idle connection is now reading a request head.
    fn received(&self) {
        let current = self.state.load(Ordering::Acquire);
        if current & 0b11 == IDLE {
            let next = self.now_ms() << PHASE_BITS | HEAD;
            if self
                .state
                .compare_exchange(current, next, Ordering::AcqRel, Ordering::Acquire)
                .is_ok()
            {
                self.changed.notify_one();
            }
        }
    }

    /// A request reached the service; the returned guard ends it when dropped (once its
    /// response body has been written or abandoned).
    pub(super) fn begin(self: &Arc<Self>) -> Busy {
        self.in_flight.fetch_add(1, Ordering::AcqRel);
        self.set(BUSY);
        Busy(self.clone())
    }

    /// Resolves when the connection has been waiting longer than the limit of its phase.
    /// Serving a request has no limit here (the request timeout and the streaming routes'
    /// own limits apply).
    pub(super) async fn expired(&self, limits: Timeouts) -> Expired {
        loop {
            let seen = self.state.load(Ordering::Acquire);
            let since = self.started + Duration::from_millis(seen >> PHASE_BITS);
            let due = match seen & 0b11 {
                HEAD => limits.header_read.map(|l| (since + l, Expired::HeaderRead)),
                IDLE => limits.idle.map(|l| (since + l, Expired::Idle)),
                _ => None,
            };
            let Some((deadline, kind)) = due else {
                // Woken when the phase may have moved to one with a limit.
                self.changed.notified().await;
                continue;
            };
            tokio::select! {
                () = tokio::time::sleep_until(deadline) => {
                    if self.state.load(Ordering::Acquire) == seen {
                        return kind;
                    }
                }
                () = self.changed.notified() => {}
            }
        }
    }
}

/// A request in progress; dropping it ends the request.
#[derive(Debug)]
pub(super) struct Busy(Arc<Activity>);

impl Drop for Busy {
    fn drop(&mut self) {
        if self.0.in_flight.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.0.set(IDLE);
            self.0.changed.notify_one();
        }
    }
}

/// A response body keeps its request busy until hyper is done with it (and drops it).
impl Observe for Busy {}

/// The connection's socket, reporting received bytes to its [`Activity`].
#[derive(Debug)]
pub(super) struct Watched<T> {
    inner: T,
    activity: Arc<Activity>,
}

impl<T> Watched<T> {
    pub(super) fn new(inner: T, activity: Arc<Activity>) -> Self {
        Self { inner, activity }
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for Watched<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.activity.received();
        }
        polled
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Watched<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Real time, short limits (tokio's paused clock needs its `test-util` feature, which
    // the workspace does not turn on).
    const LIMITS: Timeouts = Timeouts {
        header_read: Some(Duration::from_millis(200)),
        idle: Some(Duration::from_millis(800)),
    };

    /// At least `limit` and well under twice it.
    fn assert_about(elapsed: Duration, limit: Option<Duration>) {
        let limit = limit.unwrap_or_default();
        assert!(
            elapsed >= limit && elapsed < limit * 2,
            "{elapsed:?} for a {limit:?} limit"
        );
    }

    #[tokio::test]
    async fn a_connection_that_sends_no_head_expires_after_the_header_timeout() {
        let activity = Activity::new();
        let started = Instant::now();
        assert_eq!(activity.expired(LIMITS).await, Expired::HeaderRead);
        assert_about(started.elapsed(), LIMITS.header_read);
    }

    #[tokio::test]
    async fn an_idle_connection_lasts_the_idle_timeout_and_a_new_head_the_header_timeout() {
        let activity = Activity::new();
        drop(activity.begin());
        let started = Instant::now();
        assert_eq!(activity.expired(LIMITS).await, Expired::Idle);
        assert_about(started.elapsed(), LIMITS.idle);

        drop(activity.begin());
        let waiter = {
            let activity = activity.clone();
            tokio::spawn(async move { activity.expired(LIMITS).await })
        };
        tokio::time::sleep(Duration::from_millis(100)).await;
        let head = Instant::now();
        activity.received();
        assert_eq!(waiter.await.ok(), Some(Expired::HeaderRead));
        assert_about(head.elapsed(), LIMITS.header_read);
    }

    #[tokio::test]
    async fn a_request_in_progress_never_expires() {
        let activity = Activity::new();
        let busy = activity.begin();
        let waited = tokio::time::timeout(Duration::from_secs(2), activity.expired(LIMITS)).await;
        assert!(waited.is_err(), "a busy connection expired");
        drop(busy);
    }
}
