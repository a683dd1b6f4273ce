//! Extractors whose failures answer in the contract's error shape: the caller's identity
//! from `Authorization: Bearer`, JSON bodies (malformed JSON is a 400, never a 500), path ids
//! and query strings.

use std::str::FromStr;
use std::sync::{Arc, OnceLock};

use axum::extract::rejection::QueryRejection;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use bytes::Bytes;
use confab_domain::ids::UserId;
use confab_domain::{Error, Identity};
use serde::de::DeserializeOwned;

use crate::error::ApiError;
use crate::state::AppState;

/// The authenticated caller.
#[derive(Clone, Debug)]
pub struct Auth(pub Identity);

/// Who made a request, for the access log: the server's request middleware puts one in the
/// request's extensions and reads it when the response is ready; [`Auth`] fills it.
#[derive(Clone, Debug, Default)]
pub struct Caller(Arc<OnceLock<UserId>>);

impl Caller {
    /// The authenticated user, once [`Auth`] has verified one.
    pub fn user_id(&self) -> Option<UserId> {
        self.0.get().copied()
    }

    fn set(&self, user_id: UserId) {
        let _ = self.0.set(user_id);
    }
}

/// The bearer token of a request: `Authorization: Bearer <jwt>`.
pub fn bearer_token(parts: &Parts) -> Option<&str> {
    let value = parts.headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

impl FromRequestParts<AppState> for Auth {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        if let Some(identity) = parts.extensions.get::<Identity>() {
            return Ok(Self(identity.clone()));
        }
        let token = bearer_token(parts)
            .ok_or_else(|| ApiError(Error::Unauthenticated("missing bearer token".into())))?;
        let identity = state.services.authenticate(token).await?;
        if let Some(caller) = parts.extensions.get::<Caller>() {
            caller.set(identity.user_id);
        }
        parts.extensions.insert(identity.clone());
        Ok(Self(identity))
    }
}

/// A JSON body. Decoded whatever the `Content-Type` says (clients often omit it);
/// malformed JSON or wrong field types are a 400 `validation_failed` naming the problem.
#[derive(Debug)]
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                ApiError(Error::TooLarge("request body too large".into()))
            } else {
                ApiError::bad_request(e.body_text())
            }
        })?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Err(ApiError::bad_request("expected a JSON body"));
        }
        serde_json::from_slice(&bytes).map(Self).map_err(|e| {
            let kind = if e.is_data() {
                "invalid body"
            } else {
                "malformed JSON"
            };
            ApiError::bad_request(format!("{kind}: {e}"))
        })
    }
}

/// A typed id from the path; anything that is not a UUID is a 400 naming the value.
#[derive(Debug)]
pub struct Id<T>(pub T);

impl<T, S> FromRequestParts<S> for Id<T>
where
    T: FromStr + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let axum::extract::Path(raw) =
            axum::extract::Path::<String>::from_request_parts(parts, state)
                .await
                .map_err(|e| ApiError::bad_request(e.body_text()))?;
        raw.parse()
            .map(Self)
            .map_err(|_| ApiError::bad_request(format!("{raw:?} is not a valid id (a UUID)")))
    }
}

/// Two typed ids from the path (`/a/{x}/b/{y}`).
#[derive(Debug)]
pub struct Ids<A, B>(pub A, pub B);

impl<A, B, S> FromRequestParts<S> for Ids<A, B>
where
    A: FromStr + Send,
    B: FromStr + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let axum::extract::Path((a, b)) =
            axum::extract::Path::<(String, String)>::from_request_parts(parts, state)
                .await
                .map_err(|e| ApiError::bad_request(e.body_text()))?;
        let a = a
            .parse()
            .map_err(|_| ApiError::bad_request(format!("{a:?} is not a valid id (a UUID)")))?;
        let b = b
            .parse()
            .map_err(|_| ApiError::bad_request(format!("{b:?} is not a valid id (a UUID)")))?;
        Ok(Self(a, b))
    }
}

/// A query string; bad values are a 400.
#[derive(Debug)]
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Query(value)| Self(value))
            .map_err(|e: QueryRejection| ApiError::bad_request(e.body_text()))
    }
}
