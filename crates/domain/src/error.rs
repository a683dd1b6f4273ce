//! The domain's error type. [`wire`] maps it to what clients see (HTTP status + JSON body,
//! Socket.IO ack body), the adapters only wrap that; the `code` strings are part of the
//! external contract.

use std::time::Duration;

use serde_json::Value;

pub mod wire;

/// Why a request could not be served.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Input failed validation; `details` names the offending fields.
    #[error("{message}")]
    Validation {
        /// What is wrong, for people (the first problem, or a summary).
        message: String,
        /// Field paths (as clients spell them) to their problems; `None` for a single
        /// problem that names no field.
        details: Option<Value>,
    },
    /// No credentials, or credentials that do not verify.
    #[error("{0}")]
    Unauthenticated(String),
    /// The caller is known but may not do this; `code` says why in a machine-readable way.
    #[error("{message}")]
    Forbidden {
        /// The wire code: `forbidden`, `conversation_locked`, `not_a_project_member`...
        code: &'static str,
        /// Why, for people.
        message: String,
    },
    /// The thing does not exist, or the caller may not know that it does.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The request conflicts with the current state (a duplicate, a bad transition).
    #[error("{0}")]
    Conflict(String),
    /// A cap on stored state was reached (e.g. distinct reactions on one message); a
    /// conflict with a `code` of its own (`too_many_reactions`).
    #[error("{message}")]
    LimitReached {
        /// The wire code (`too_many_reactions`).
        code: &'static str,
        /// Which cap, for people.
        message: String,
    },
    /// Too many requests of this kind; try again after `retry_after`.
    #[error("rate limit exceeded for {kind}")]
    RateLimited {
        /// The limit's name ([`LimitKind::as_str`](crate::ports::LimitKind::as_str), or
        /// `unauthenticated` for an address over its failed-authentication allowance).
        kind: &'static str,
        /// How long until the next attempt can succeed (`retryAfterMs` on the wire).
        retry_after: Duration,
    },
    /// The node has more sends in flight than it can store within its budget (see
    /// [`Admission`](crate::admission::Admission)); refused before any database work. Try
    /// again after `retry_after`.
    #[error("the server is overloaded, try again shortly")]
    Overloaded {
        /// When the queue is expected to have drained (`details.retryAfterMs` on the wire).
        retry_after: Duration,
    },
    /// The request body exceeds a size limit.
    #[error("{0}")]
    TooLarge(String),
    /// The content type is not allowed.
    #[error("{0}")]
    UnsupportedType(String),
    /// A dependency (database, Redis, object store) is unavailable.
    #[error("{0}")]
    Unavailable(String),
    /// A bug or unexpected failure. The cause, with its chain of sources (all of it shown
    /// here), is for the logs, never for clients.
    #[error("internal error: {}", crate::logs::Chain(.0.as_ref()))]
    Internal(#[source] Cause),
}

/// What an [`Error::Internal`] carries: any error, or a message (`String` and `&str` convert).
pub type Cause = Box<dyn std::error::Error + Send + Sync + 'static>;

/// An internal cause with what was being done when it happened: it shows `context` and gives
/// the error as its source, so a log of the chain reads "database error in insert_message",
/// then the driver's own error.
#[derive(Debug, thiserror::Error)]
#[error("{context}")]
pub struct Context {
    context: String,
    #[source]
    source: Cause,
}

impl Error {
    /// 400 `validation_failed` with `message` and no field details.
    pub fn validation(message: impl Into<String>) -> Self {
        Self::Validation {
            message: message.into(),
            details: None,
        }
    }

    /// 403 `forbidden` with `message`.
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::Forbidden {
            code: "forbidden",
            message: message.into(),
        }
    }

    /// 403 `not_a_project_member`: the caller, or a user they named, is not a member of the
    /// project.
    pub fn not_a_project_member(message: impl Into<String>) -> Self {
        Self::Forbidden {
            code: "not_a_project_member",
            message: message.into(),
        }
    }

    /// 409 `too_many_reactions`: the message carries `max` distinct emoji already.
    pub fn too_many_reactions(max: u32) -> Self {
        Self::LimitReached {
            code: "too_many_reactions",
            message: format!("a message carries at most {max} distinct reactions"),
        }
    }

    /// An internal error whose cause is `cause` (an error, kept as the source, or a message).
    pub fn internal(cause: impl Into<Cause>) -> Self {
        Self::Internal(cause.into())
    }

    /// An internal error from `source`, met while doing `context` (see [`Context`]).
    pub fn internal_in(context: impl Into<String>, source: impl Into<Cause>) -> Self {
        Self::Internal(Box::new(Context {
            context: context.into(),
            source: source.into(),
        }))
    }

    /// The contract's snake_case code for this error.
    ///
    /// ```
    /// use confab_domain::Error;
    ///
    /// assert_eq!(Error::NotFound("conversation").code(), "not_found");
    /// assert_eq!(Error::validation("content: too long").code(), "validation_failed");
    /// assert_eq!(Error::not_a_project_member("not a member").code(), "not_a_project_member");
    /// ```
    pub fn code(&self) -> &'static str {
        match self {
            Self::Validation { .. } => "validation_failed",
            Self::Unauthenticated(_) => "unauthorized",
            Self::Forbidden { code, .. } => code,
            Self::NotFound(_) => "not_found",
            Self::Conflict(_) => "conflict",
            Self::LimitReached { code, .. } => code,
            Self::RateLimited { .. } => "rate_limited",
            Self::Overloaded { .. } => "overloaded",
            Self::TooLarge(_) => "payload_too_large",
            Self::UnsupportedType(_) => "unsupported_media_type",
            Self::Unavailable(_) => "service_unavailable",
            Self::Internal(_) => "internal_error",
        }
    }

    /// The message a client may see. Internal causes stay in the logs.
    ///
    /// ```
    /// use confab_domain::Error;
    ///
    /// let error = Error::internal("connection reset by db-3.internal");
    /// assert_eq!(error.public_message(), "internal error");
    /// assert_eq!(Error::NotFound("message").public_message(), "message not found");
    /// ```
    pub fn public_message(&self) -> String {
        match self {
            Self::Internal(_) => "internal error".to_owned(),
            Self::Unavailable(_) => "a dependency is unavailable, try again shortly".to_owned(),
            other => other.to_string(),
        }
    }
}

/// A validation error lists at most this many problems (the contract's cap): one bad
/// element per entry of a long array must not make the answer as large as the request.
pub const MAX_PROBLEMS: usize = 20;

impl From<garde::Report> for Error {
    fn from(report: garde::Report) -> Self {
        let mut fields = serde_json::Map::new();
        let mut first = None;
        let mut total = 0usize;
        for (path, error) in report.iter() {
            total += 1;
            if fields.len() >= MAX_PROBLEMS {
                continue;
            }
            let path = wire_path(&path.to_string());
            let text = error.message().to_string();
            if first.is_none() {
                first = Some(if path.is_empty() {
                    text.clone()
                } else {
                    format!("{path}: {text}")
                });
            }
            fields.insert(
                if path.is_empty() {
                    "value".to_owned()
                } else {
                    path
                },
                Value::String(text),
            );
        }
        let mut message = first.unwrap_or_else(|| "invalid input".to_owned());
        if total > fields.len() {
            let more = total - fields.len();
            message = format!("{message} (and {more} more problems)");
        }
        Self::Validation {
            message,
            details: Some(Value::Object(fields)),
        }
    }
}

/// garde reports Rust field names; clients know the JSON ones (`fileIds`, `type`).
fn wire_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let mut upper = false;
    for c in path.chars() {
        match c {
            '_' => upper = true,
            c if upper => {
                out.extend(c.to_uppercase());
                upper = false;
            }
            c => out.push(c),
        }
    }
    if out == "kind" || out.starts_with("kind.") {
        out.replacen("kind", "type", 1)
    } else {
        out
    }
}

/// The domain's result: [`Error`] unless said otherwise.
pub type Result<T, E = Error> = std::result::Result<T, E>;
