//! The REST error shape: `{ "error": { "code", "message", "details"? } }` with the fitting
//! status. Internal causes are logged here, once, and never sent.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::time::Duration;

use confab_domain::Error;
use confab_domain::logs::{Clip, LogGate};
use confab_domain::{gated_error, gated_warn};
use serde::Serialize;
use serde_json::Value;

/// Any failure a handler returns.
#[derive(Debug)]
pub struct ApiError(pub Error);

pub type ApiResult<T> = Result<T, ApiError>;

impl From<Error> for ApiError {
    fn from(error: Error) -> Self {
        Self(error)
    }
}

impl ApiError {
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self(Error::validation(message))
    }

    pub fn status(&self) -> StatusCode {
        match &self.0 {
            Error::Validation { .. } => StatusCode::BAD_REQUEST,
            Error::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
            Error::Forbidden { .. } => StatusCode::FORBIDDEN,
            Error::NotFound(_) => StatusCode::NOT_FOUND,
            Error::Conflict(_) | Error::LimitReached { .. } => StatusCode::CONFLICT,
            Error::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            Error::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Error::UnsupportedType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Error::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Error::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

/// The JSON body of every error response.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// snake_case, stable: `validation_failed`, `unauthorized`, `forbidden`,
    /// `not_a_project_member`, `not_found`, `conflict`, `too_many_reactions`,
    /// `rate_limited`, `payload_too_large`, `unsupported_media_type`, `messaging_disabled`,
    /// `service_unavailable`, `internal_error`, ...
    pub code: String,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub details: Option<Value>,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        // Clients can provoke these at will: rate-limited, causes clipped.
        static INTERNAL: LogGate = LogGate::new(20, Duration::from_secs(1));
        static UNAVAILABLE: LogGate = LogGate::new(5, Duration::from_secs(1));
        match &self.0 {
            Error::Internal(cause) => {
                gated_error!(INTERNAL, cause = %Clip(cause), "request failed")
            }
            Error::Unavailable(cause) => {
                gated_warn!(UNAVAILABLE, cause = %Clip(cause), "dependency unavailable")
            }
            other => tracing::debug!(code = other.code(), error = %Clip(other), "request refused"),
        }
        let mut details = match &self.0 {
            Error::Validation { details, .. } => details.clone(),
            _ => None,
        };
        let retry_after = match &self.0 {
            Error::RateLimited { retry_after, .. } => Some(*retry_after),
            _ => None,
        };
        if let Some(wait) = retry_after {
            details = Some(serde_json::json!({ "retryAfterMs": wait.as_millis() }));
        }
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.0.code().to_owned(),
                message: self.0.public_message(),
                details,
            },
        };
        let mut response = (status, Json(body)).into_response();
        if let Some(wait) = retry_after {
            // Whole seconds, rounded up: a client that waits this long is let in.
            let secs = wait.as_millis().div_ceil(1000).max(1);
            if let Ok(value) = HeaderValue::from_str(&secs.to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
        }
        response
    }
}
