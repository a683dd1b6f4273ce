//! Small request bodies are read before the route runs. A route that answers early (401 from
//! the token check, 403, 404) would otherwise leave the body unread; hyper then closes the
//! connection while the client is still writing it, and the client (undici, browsers' fetch)
//! gets a broken pipe instead of the answer. Large bodies (uploads) are streamed as before.
//! The read is bounded by the request timeout (when set): a small body trickled past it is
//! answered 408 like any other slow request, whatever the route.

use std::time::Duration;

use axum::body::{Body, to_bytes};
use axum::extract::Request;
use axum::http::header::CONTENT_LENGTH;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::ApiError;

/// Bodies up to this size (by `Content-Length`) are read before the route runs.
pub const SMALL_BODY_BYTES: usize = 64 * 1024;

/// Middleware: reads a declared body of at most [`SMALL_BODY_BYTES`] in full (within `limit`,
/// when set), then runs the route with it.
pub async fn read_small_bodies(limit: Option<Duration>, request: Request, next: Next) -> Response {
    let declared = request
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    let Some(length) = declared.filter(|n| (1..=SMALL_BODY_BYTES).contains(n)) else {
        return next.run(request).await;
    };
    let (parts, body) = request.into_parts();
    let read = to_bytes(body, length);
    let read = match limit {
        Some(limit) => match tokio::time::timeout(limit, read).await {
            Ok(read) => read,
            Err(_) => return crate::timeout::timed_out(limit),
        },
        None => read.await,
    };
    match read {
        Ok(bytes) => {
            next.run(Request::from_parts(parts, Body::from(bytes)))
                .await
        }
        Err(_) => {
            ApiError::bad_request("the request body could not be read in full").into_response()
        }
    }
}
