//! The REST error shape: `{ "error": { "code", "message", "details"? } }` with the fitting
//! status. The body, status and retry hint come from the domain's one mapping
//! (`confab_domain::error::wire`; `report_failure!` logs internal causes, once); this file only
//! wraps them in a response.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use confab_domain::Error;
use confab_domain::error::wire::{self, Surface};

pub use confab_domain::error::wire::{ErrorBody, ErrorDetail};

/// Any failure a handler returns.
#[derive(Debug)]
pub struct ApiError(pub Error);

/// What handlers return: a failure becomes the REST error response.
pub type ApiResult<T> = Result<T, ApiError>;

impl From<Error> for ApiError {
    fn from(error: Error) -> Self {
        Self(error)
    }
}

impl ApiError {
    /// A 400 `validation_failed` error with `message` shown to the client.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self(Error::validation(message))
    }

    /// The HTTP status the domain maps this error to (500 if it maps to no valid status).
    pub fn status(&self) -> StatusCode {
        StatusCode::from_u16(wire::status(&self.0)).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        confab_domain::report_failure!(&self.0, "request");
        let body = wire::body(&self.0, Surface::Rest);
        let mut response = (self.status(), Json(body)).into_response();
        if let Some(wait) = wire::retry_after(&self.0) {
            // Whole seconds, rounded up: a client that waits this long is let in.
            let secs = wait.as_millis().div_ceil(1000).max(1);
            if let Ok(value) = HeaderValue::from_str(&secs.to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
        }
        response
    }
}
