//! Small request bodies are read before the route runs. A route that answers early (401 from
//! the token check, 403, 404) would otherwise leave the body unread; hyper then closes the
//! connection while the client is still writing it, and the client (undici, browsers' fetch)
//! gets a broken pipe instead of the answer. Large bodies (uploads) are streamed as before.

use axum::body::{Body, to_bytes};
use axum::extract::Request;
use axum::http::header::CONTENT_LENGTH;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::ApiError;

/// Bodies up to this size (by `Content-Length`) are read before the route runs.
pub const SMALL_BODY_BYTES: usize = 64 * 1024;

/// Middleware: reads a declared body of at most [`SMALL_BODY_BYTES`] in full, then runs the
/// route with it.
pub async fn read_small_bodies(request: Request, next: Next) -> Response {
    let declared = request
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    let Some(length) = declared.filter(|n| (1..=SMALL_BODY_BYTES).contains(n)) else {
        return next.run(request).await;
    };
    let (parts, body) = request.into_parts();
    match to_bytes(body, length).await {
        Ok(bytes) => {
            next.run(Request::from_parts(parts, Body::from(bytes)))
                .await
        }
        Err(_) => {
            ApiError::bad_request("the request body could not be read in full").into_response()
        }
    }
}
