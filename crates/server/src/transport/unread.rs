//! A response sent before its request body was read (an early 413 or 415, a refusal of an
//! unauthenticated upload...) carries `Connection: close`. hyper closes such a connection
//! after the response, since the unread rest would be taken for the next request; without
//! the header a pooled client (undici, browsers' fetch) would send its next request on a
//! connection that is about to close and see that request fail.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::Poll;

use axum::body::{Body, HttpBody};
use axum::extract::Request;
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;

use super::body::{Observe, Polled, observed};

/// The middleware (`axum::middleware::from_fn(close_if_unread)`).
pub async fn close_if_unread(request: Request, next: Next) -> Response {
    if request.body().is_end_stream() {
        return next.run(request).await;
    }
    let finished = Arc::new(AtomicBool::new(false));
    let request = request.map(|inner| observed(inner, ReadToEnd(finished.clone())));
    let mut response = next.run(request).await;
    if !finished.load(Ordering::Acquire) {
        response
            .headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    response
}

/// Records on a request body whether it was read to its end.
struct ReadToEnd(Arc<AtomicBool>);

impl Observe for ReadToEnd {
    fn polled(&mut self, inner: &Body, polled: &Polled) {
        let ended = match polled {
            Poll::Ready(None) => true,
            // Readers that stop at the declared length never poll for the end.
            Poll::Ready(Some(Ok(_))) => inner.is_end_stream(),
            _ => false,
        };
        if ended {
            self.0.store(true, Ordering::Release);
        }
    }
}

#[cfg(test)]
mod tests {
    use axum::Router;
    use axum::routing::post;
    use tower::ServiceExt;

    use super::*;

    async fn call(app: Router, body: &'static str) -> Option<HeaderValue> {
        let request = Request::post("/")
            .header(header::CONTENT_LENGTH, body.len())
            .body(Body::from(body))
            .unwrap_or_default();
        let response = app.oneshot(request).await.unwrap_or_else(|n| match n {});
        response.headers().get(header::CONNECTION).cloned()
    }

    #[tokio::test]
    async fn an_answer_before_the_body_was_read_closes_the_connection() {
        let refusing = Router::new()
            .route("/", post(|| async { "refused unread" }))
            .layer(axum::middleware::from_fn(close_if_unread));
        assert_eq!(
            call(refusing, "some body").await,
            Some(HeaderValue::from_static("close"))
        );
        let reading = Router::new()
            .route("/", post(|body: String| async move { body }))
            .layer(axum::middleware::from_fn(close_if_unread));
        assert_eq!(call(reading, "some body").await, None);
    }
}
