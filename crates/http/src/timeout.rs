//! The request timeout of non-streaming routes: a request (its body read included) that is
//! not answered within the configured time is answered 408 `request_timeout` and its
//! connection closed. Streaming routes (uploads, downloads, export) are not wrapped; they
//! bound themselves.

use std::time::Duration;

use axum::Json;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::ErrorBody;

/// Runs the request under `limit`.
pub async fn bounded(limit: Duration, request: Request, next: Next) -> Response {
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => {
            tracing::debug!(?limit, "request timed out");
            timed_out(limit)
        }
    }
}

/// The 408 answer (with `Connection: close`) for a request not completed within `limit`.
pub(crate) fn timed_out(limit: Duration) -> Response {
    let body = ErrorBody::new(
        "request_timeout",
        format!("the request was not completed within {}", humanize(limit)),
    );
    let mut response = (StatusCode::REQUEST_TIMEOUT, Json(body)).into_response();
    response
        .headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}

fn humanize(d: Duration) -> String {
    if d.subsec_millis() == 0 {
        format!("{} s", d.as_secs())
    } else {
        format!("{} ms", d.as_millis())
    }
}
