//! confab's REST API: the client and admin routes of the contract, the OpenAPI document
//! generated from the handlers, health and metrics routes. Callers are identified through the
//! domain's `Authenticator` port (confab-auth implements it; this crate does not depend on it).
//!
//! Depends on the domain only through its use cases; knows nothing of the database or of
//! Socket.IO.

#![warn(missing_docs)]

pub mod address_limit;
pub mod drain;
pub mod error;
pub mod export;
pub mod extract;
pub mod files;
pub mod metrics;
pub mod openapi;
pub mod routes;
pub mod state;
pub mod timeout;

use std::time::Duration;

use axum::Router;
use axum::middleware;
use axum::routing::get;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_swagger_ui::SwaggerUi;

pub use error::{ApiError, ApiResult};
pub use routes::ops::ReadinessCheck;
pub use state::AppState;

#[derive(OpenApi)]
#[openapi(
    info(title = "confab", description = "Real-time messaging server: the REST half of the API. Real-time events are Socket.IO (see docs/events.md). Transport limits (docs/security.md): a request that is not completed within the request timeout (30 s by default; uploads, downloads and export are exempt) is answered 408 with code `request_timeout`; a response sent before its request body was read carries `Connection: close`."),
    modifiers(&BearerAuth),
    tags(
        (name = "projects", description = "The caller's projects"),
        (name = "conversations", description = "Conversations as participants see them"),
        (name = "messages", description = "Message history and changes"),
        (name = "files", description = "Uploads and downloads"),
        (name = "admin", description = "Admin-only routes"),
    )
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                Http::builder()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

/// The `/api` routes with their OpenAPI document.
pub fn api() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    api_with(None)
}

/// The `/api` routes; with `request_timeout`, the non-streaming ones answer 408 past it.
/// Uploads, downloads and export stream and keep their own limits.
pub fn api_with(request_timeout: Option<Duration>) -> (Router<AppState>, utoipa::openapi::OpenApi) {
    let bounded = OpenApiRouter::new()
        .merge(routes::conversations::router())
        .merge(routes::messages::router())
        .merge(routes::projects::router())
        .merge(routes::admin::router())
        .merge(routes::admin_conversations::router())
        .merge(routes::admin_audit::router());
    let bounded = match request_timeout {
        Some(limit) => bounded.route_layer(axum::middleware::from_fn(move |req, next| {
            timeout::bounded(limit, req, next)
        })),
        None => bounded,
    };
    let (router, mut doc) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(bounded)
        .merge(routes::files::router())
        .merge(routes::admin_export::router())
        .split_for_parts();
    openapi::add_common_responses(&mut doc);
    (router, doc)
}

/// The whole HTTP app: `/api/*`, `/api/openapi.json`, `/api/docs`, `/healthz`, `/readyz`,
/// and `/metrics` when `state.metrics` is set (not when the ops listener serves it). Unknown
/// paths answer 404 in the error shape.
pub fn router(state: AppState) -> Router {
    let request_timeout = state.request_timeout;
    let (api, mut doc) = api_with(request_timeout);
    doc.servers = Some(vec![utoipa::openapi::Server::new("/api")]);
    let router = Router::new()
        .nest(
            "/api",
            api.fallback(not_found)
                .layer(middleware::from_fn(move |req, next| {
                    drain::read_small_bodies(request_timeout, req, next)
                })),
        )
        .merge(SwaggerUi::new("/api/docs").url("/api/openapi.json", doc))
        .route("/healthz", get(routes::ops::healthz))
        .route("/readyz", get(routes::ops::readyz));
    let router = match state.metrics {
        Some(_) => router.route("/metrics", get(routes::ops::metrics)),
        None => router,
    };
    router.with_state(state)
}

/// The ops listener (`CONFAB_OPS_BIND`): `/metrics`, `/healthz` and a `/readyz` whose checks
/// say why they failed. Meant for a private address: nothing here needs a token.
pub fn ops_router(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(routes::ops::healthz))
        .route("/readyz", get(routes::ops::readyz_detailed))
        .route("/metrics", get(routes::ops::metrics))
        .fallback(not_found)
        .with_state(state)
}

async fn not_found() -> ApiError {
    ApiError(confab_domain::Error::NotFound("route"))
}
