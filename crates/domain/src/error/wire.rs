//! What a client receives for an [`Error`], REST and Socket.IO alike: the contract's error
//! table (code, public message, HTTP status, retry hint, validation details) in one place.
//! The adapters only wrap it: `confab-http` in a response with the status and `Retry-After`,
//! `confab-gateway` in the ack. [`report_failure!`](crate::report_failure) is the one place
//! a failure is logged on its way out, so each internal cause is logged once.

use std::time::Duration;

use serde::Serialize;
use serde_json::{Value, json};

use super::Error;

/// Where a failure is answered. The contract puts the retry hint of a rate limit in a
/// different place on each: REST in `details.retryAfterMs` (beside a `Retry-After`
/// header), socket acks beside `code` as `retryAfterMs`. `overloaded` has it in
/// `details.retryAfterMs` on both (and beside `code` on sockets too, where clients look for
/// a rate limit's).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Surface {
    /// An HTTP response.
    Rest,
    /// A Socket.IO ack (or `connect_error`).
    Socket,
}

/// The JSON body of every failure: `{ "error": { "code", "message", "details"? } }`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorBody {
    /// What went wrong.
    pub error: ErrorDetail,
}

/// The inside of an [`ErrorBody`].
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ErrorDetail {
    /// snake_case, stable: `validation_failed`, `unauthorized`, `forbidden`,
    /// `not_a_project_member`, `not_found`, `conflict`, `too_many_reactions`,
    /// `rate_limited`, `overloaded`, `payload_too_large`, `unsupported_media_type`,
    /// `messaging_disabled`, `service_unavailable`, `internal_error`, ...
    pub code: String,
    /// Human-readable, in English; never a stack trace or SQL. Not for matching: use `code`.
    pub message: String,
    /// Socket acks only: when a rate-limited event may be retried (REST has it in
    /// `details`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(ignore))]
    pub retry_after_ms: Option<u64>,
    /// Validation failures: the problems by field path; REST rate limits and `overloaded`:
    /// `retryAfterMs`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub details: Option<Value>,
}

impl ErrorBody {
    /// A body with just a code and a message (for answers that are no domain [`Error`],
    /// such as a request timeout).
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            error: ErrorDetail {
                code: code.into(),
                message: message.into(),
                retry_after_ms: None,
                details: None,
            },
        }
    }
}

/// The wire body of `error` on `surface`: the one mapping from [`Error`] to what a client
/// sees. Internal causes never leave: the message is [`Error::public_message`].
pub fn body(error: &Error, surface: Surface) -> ErrorBody {
    let mut body = ErrorBody::new(error.code(), error.public_message());
    if let Error::Validation { details, .. } = error {
        body.error.details.clone_from(details);
    }
    if let Some(wait) = retry_after(error) {
        let millis = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX);
        let overloaded = matches!(error, Error::Overloaded { .. });
        if surface == Surface::Rest || overloaded {
            body.error.details = Some(json!({ "retryAfterMs": millis }));
        }
        if surface == Surface::Socket {
            body.error.retry_after_ms = Some(millis);
        }
    }
    body
}

/// The HTTP status the contract gives `error`.
pub fn status(error: &Error) -> u16 {
    match error {
        Error::Validation { .. } => 400,
        Error::Unauthenticated(_) => 401,
        Error::Forbidden { .. } => 403,
        Error::NotFound(_) => 404,
        Error::Conflict(_) | Error::LimitReached { .. } => 409,
        Error::RateLimited { .. } => 429,
        Error::TooLarge(_) => 413,
        Error::UnsupportedType(_) => 415,
        Error::Unavailable(_) | Error::Overloaded { .. } => 503,
        Error::Internal(_) => 500,
    }
}

/// How long a refused caller should wait before trying again, when the error says.
pub fn retry_after(error: &Error) -> Option<Duration> {
    match error {
        Error::RateLimited { retry_after, .. } | Error::Overloaded { retry_after } => {
            Some(*retry_after)
        }
        _ => None,
    }
}

/// Logs a failure that is about to be answered (`$what` failed: "request", "socket event").
/// Failures of ours (internal, with the cause's whole chain of sources; a dependency down) at
/// ERROR/WARN, rate-limited: a client can
/// provoke them at will. A client's mistake or a refusal at DEBUG. Client-controlled text is
/// clipped. Adapters call this once per answer and log the cause nowhere else. A macro so
/// that the line carries the adapter's target (`confab_gateway=debug` shows the socket's
/// refusals).
#[macro_export]
macro_rules! report_failure {
    ($error:expr, $what:literal) => {{
        static INTERNAL: $crate::logs::LogGate =
            $crate::logs::LogGate::new(20, ::std::time::Duration::from_secs(1));
        static UNAVAILABLE: $crate::logs::LogGate =
            $crate::logs::LogGate::new(5, ::std::time::Duration::from_secs(1));
        let error: &$crate::Error = $error;
        match error {
            $crate::Error::Internal(cause) => {
                $crate::gated_error!(INTERNAL, cause = %$crate::logs::Clip($crate::logs::Chain(&**cause)), "{} failed", $what)
            }
            $crate::Error::Unavailable(cause) => {
                $crate::gated_warn!(UNAVAILABLE, cause = %$crate::logs::Clip(cause), "{} failed: dependency unavailable", $what)
            }
            other => ::tracing::debug!(code = other.code(), error = %$crate::logs::Clip(other), "{} refused", $what),
        }
    }};
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limited() -> Error {
        Error::RateLimited {
            kind: "messages",
            retry_after: Duration::from_millis(1500),
        }
    }

    fn json(error: &Error, surface: Surface) -> Value {
        serde_json::to_value(body(error, surface)).unwrap_or_default()
    }

    #[test]
    fn a_rate_limit_carries_its_retry_hint_where_each_surface_expects_it() {
        assert_eq!(
            json(&limited(), Surface::Rest),
            json!({ "error": {
                "code": "rate_limited",
                "message": "rate limit exceeded for messages",
                "details": { "retryAfterMs": 1500 },
            }})
        );
        assert_eq!(
            json(&limited(), Surface::Socket),
            json!({ "error": {
                "code": "rate_limited",
                "message": "rate limit exceeded for messages",
                "retryAfterMs": 1500,
            }})
        );
        assert_eq!(status(&limited()), 429);
        assert_eq!(retry_after(&limited()), Some(Duration::from_millis(1500)));
    }

    #[test]
    fn overload_is_a_503_with_its_retry_hint_in_details_on_both_surfaces() {
        let error = Error::Overloaded {
            retry_after: Duration::from_millis(250),
        };
        assert_eq!(
            json(&error, Surface::Rest),
            json!({ "error": {
                "code": "overloaded",
                "message": "the server is overloaded, try again shortly",
                "details": { "retryAfterMs": 250 },
            }})
        );
        assert_eq!(
            json(&error, Surface::Socket),
            json!({ "error": {
                "code": "overloaded",
                "message": "the server is overloaded, try again shortly",
                "retryAfterMs": 250,
                "details": { "retryAfterMs": 250 },
            }})
        );
        assert_eq!(status(&error), 503);
        assert_eq!(retry_after(&error), Some(Duration::from_millis(250)));
    }

    #[test]
    fn internal_causes_never_reach_the_body() {
        let error = Error::internal("password=hunter2 in the connection string");
        for surface in [Surface::Rest, Surface::Socket] {
            let text = json(&error, surface).to_string();
            assert!(!text.contains("hunter2"), "{text}");
            assert!(text.contains("internal_error"), "{text}");
        }
        assert_eq!(status(&error), 500);
    }

    #[test]
    fn validation_details_are_kept_on_both_surfaces() {
        let error = Error::Validation {
            message: "content: too long".into(),
            details: Some(json!({ "content": "too long" })),
        };
        for surface in [Surface::Rest, Surface::Socket] {
            assert_eq!(
                json(&error, surface),
                json!({ "error": {
                    "code": "validation_failed",
                    "message": "content: too long",
                    "details": { "content": "too long" },
                }})
            );
        }
        assert_eq!(status(&error), 400);
        assert_eq!(
            json(&Error::NotFound("conversation"), Surface::Rest),
            json!({ "error": { "code": "not_found", "message": "conversation not found" } })
        );
    }
}
