//! A body that passes its frames through unchanged and lets an observer see each poll: the
//! one `HttpBody` wrapper behind the listener's activity tracking and `close_if_unread`.

use std::pin::Pin;
use std::task::{Context, Poll};

use axum::body::{Body, Bytes, HttpBody};
use hyper::body::{Frame, SizeHint};

/// What a poll of the inner body answered.
pub(super) type Polled = Poll<Option<Result<Frame<Bytes>, axum::Error>>>;

/// Told of every poll of an observed body; dropped with it.
pub(super) trait Observe: Send + Unpin + 'static {
    /// Called after each poll of `inner`, which answered `polled`.
    fn polled(&mut self, _inner: &Body, _polled: &Polled) {}
}

/// `inner`, with `observer` told of its polls.
pub(super) fn observed<W: Observe>(inner: Body, observer: W) -> Body {
    Body::new(Observed { inner, observer })
}

struct Observed<W> {
    inner: Body,
    observer: W,
}

impl<W: Observe> HttpBody for Observed<W> {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Polled {
        let this = &mut *self;
        let polled = Pin::new(&mut this.inner).poll_frame(cx);
        this.observer.polled(&this.inner, &polled);
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
