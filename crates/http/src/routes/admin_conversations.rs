//! Admin views of conversations: the filtered, paged listing with details, one
//! conversation's details, and analytics.

use axum::Json;
use axum::extract::State;
use confab_domain::admin::{
    AdminConversationsQuery, AnalyticsQuery, ConversationAnalytics, ConversationDetail,
    ConversationPage,
};
use confab_domain::ids::ConversationId;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiQuery, Auth, Id};
use crate::state::AppState;

/// `GET /admin/conversations`, `/admin/conversations/analytics` and `/admin/conversations/{id}`.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_conversations))
        .routes(routes!(analytics))
        .routes(routes!(conversation))
}

/// `{ "conversation": {...} }` with details and the last message.
#[derive(Debug, Serialize, ToSchema)]
pub struct AdminConversationBody {
    /// The conversation with its participants, counts and last message.
    pub conversation: ConversationDetail,
}

/// Lists every conversation matching the filters (they combine), newest created first, with
/// participants, counts and last activity. Pages with `nextCursor`.
#[utoipa::path(get, path = "/admin/conversations", tag = "admin", operation_id = "admin_list_conversations", params(AdminConversationsQuery),
    responses((status = 200, body = ConversationPage), (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, description = "unknown project", body = ErrorBody)),
    security(("bearer" = [])))]
async fn list_conversations(
    State(state): State<AppState>,
    Auth(me): Auth,
    ApiQuery(query): ApiQuery<AdminConversationsQuery>,
) -> ApiResult<Json<ConversationPage>> {
    Ok(Json(state.services.admin_conversations(&me, query).await?))
}

/// One conversation with participants, counts, last activity and its last message (deleted
/// content included).
#[utoipa::path(get, path = "/admin/conversations/{id}", tag = "admin",
    params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = AdminConversationBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
async fn conversation(
    State(state): State<AppState>,
    Auth(me): Auth,
    Id(id): Id<ConversationId>,
) -> ApiResult<Json<AdminConversationBody>> {
    let conversation = state.services.admin_conversation(&me, id).await?;
    Ok(Json(AdminConversationBody { conversation }))
}

/// Messages, mean response time, active conversations and messages per UTC day over a window
/// (default: the last 30 days). Exact at any moment; on PostgreSQL served mostly from a
/// periodically refreshed materialized view plus a direct count of what is newer.
#[utoipa::path(get, path = "/admin/conversations/analytics", tag = "admin", params(AnalyticsQuery),
    responses((status = 200, body = ConversationAnalytics), (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, description = "unknown project", body = ErrorBody)),
    security(("bearer" = [])))]
async fn analytics(
    State(state): State<AppState>,
    Auth(me): Auth,
    ApiQuery(query): ApiQuery<AnalyticsQuery>,
) -> ApiResult<Json<ConversationAnalytics>> {
    Ok(Json(
        state.services.conversation_analytics(&me, query).await?,
    ))
}
