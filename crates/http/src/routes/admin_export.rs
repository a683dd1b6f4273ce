//! Conversation exports, streamed (see `crate::export`).

use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use confab_domain::ids::ConversationId;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{ApiResult, ErrorBody};
use crate::export;
use crate::extract::{ApiQuery, Auth, Id};
use crate::state::AppState;

/// `GET /admin/conversations/{id}/export`.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(export_conversation))
}

/// Query of the export route.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// `json` (default) or `csv`.
    format: Option<String>,
}

/// Streams the whole conversation as a file: JSON `{ conversation, participants, messages }`
/// or CSV (a header row, then one row per message), messages in `seq` order with sender,
/// moderation record, edit history, files and reactions.
#[utoipa::path(get, path = "/admin/conversations/{id}/export", tag = "admin",
    params(("id" = String, Path, format = Uuid), ExportQuery),
    responses(
        (status = 200, description = "The export, as an attachment",
            content((Object = "application/json"), (String = "text/csv"))),
        (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
async fn export_conversation(
    State(state): State<AppState>,
    Auth(me): Auth,
    Id(id): Id<ConversationId>,
    ApiQuery(query): ApiQuery<ExportQuery>,
) -> ApiResult<Response> {
    let export = state
        .services
        .export_conversation(&me, id, query.format.as_deref())
        .await?;
    let filename = format!(
        "attachment; filename=\"conversation-{id}.{}\"",
        export.format.extension()
    );
    let headers = [
        (
            header::CONTENT_TYPE,
            HeaderValue::from_static(export::content_type(export.format)),
        ),
        (
            header::CONTENT_DISPOSITION,
            HeaderValue::from_str(&filename)
                .unwrap_or_else(|_| HeaderValue::from_static("attachment")),
        ),
        (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
    ];
    Ok((headers, export::body(export)).into_response())
}
