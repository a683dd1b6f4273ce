//! Conversations as their participants see them.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use confab_domain::ids::{ConversationId, ProjectId};
use confab_domain::input::{self, CreateConversationInput, ReadInput};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{ConversationBody, ConversationList, ParticipantList, ReadBody, SearchBody};
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiQuery, Auth, Id};
use crate::state::AppState;

/// The client conversation routes: listing and creating, read receipts, search, participants.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_conversations, create_conversation))
        .routes(routes!(mark_read))
        .routes(routes!(search))
        .routes(routes!(list_participants))
}

/// The project's conversations the caller takes part in (all of them for admins). Only
/// project members and admins may list them.
#[utoipa::path(get, path = "/projects/{projectId}/conversations", tag = "conversations",
    operation_id = "conversations_list_conversations",
    params(("projectId" = String, Path, format = Uuid)),
    responses((status = 200, body = ConversationList),
        (status = 403, description = "not_a_project_member: the caller is not a member of the project", body = ErrorBody),
        (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
async fn list_conversations(
    State(state): State<AppState>,
    Auth(me): Auth,
    Id(project): Id<ProjectId>,
) -> ApiResult<Json<ConversationList>> {
    let conversations = state.services.list_conversations(&me, project).await?;
    Ok(Json(ConversationList { conversations }))
}

/// Creates a conversation with the caller as owner and `participantIds` as participants.
/// The caller and every listed user must be project members (403 `not_a_project_member`);
/// a conversation an admin creates makes its participants members instead. Members create
/// at most `CONVERSATIONS_PER_HOUR` (30) conversations an hour.
#[utoipa::path(post, path = "/projects/{projectId}/conversations", tag = "conversations",
    params(("projectId" = String, Path, format = Uuid)),
    request_body = CreateConversationInput,
    responses((status = 201, body = ConversationBody), (status = 400, body = ErrorBody),
        (status = 403, description = "not_a_project_member: the caller or a listed participant is not a member of the project", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 429, description = "rate_limited (`CONVERSATIONS_PER_HOUR`)", body = ErrorBody)),
    security(("bearer" = [])))]
async fn create_conversation(
    State(state): State<AppState>,
    Auth(me): Auth,
    Id(project): Id<ProjectId>,
    ApiJson(body): ApiJson<CreateConversationInput>,
) -> ApiResult<(StatusCode, Json<ConversationBody>)> {
    let conversation = state
        .services
        .create_conversation(&me, project, body)
        .await?;
    Ok((StatusCode::CREATED, Json(ConversationBody { conversation })))
}

/// Marks a message (and everything before it) read; participants get `message:read:update`.
/// Counts against `READS_PER_MINUTE` (shared with the `message:read` event).
#[utoipa::path(post, path = "/conversations/{id}/read", tag = "conversations",
    params(("id" = String, Path, format = Uuid)),
    request_body = ReadInput,
    responses((status = 200, body = ReadBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 429, description = "rate_limited (`READS_PER_MINUTE`)", body = ErrorBody)),
    security(("bearer" = [])))]
async fn mark_read(
    State(state): State<AppState>,
    Auth(me): Auth,
    Id(conversation): Id<ConversationId>,
    ApiJson(body): ApiJson<ReadInput>,
) -> ApiResult<Json<ReadBody>> {
    let message = body.parse()?;
    let receipt = state
        .services
        .mark_read(&me, Some(conversation), message)
        .await?;
    Ok(Json(ReadBody {
        success: true,
        receipt,
    }))
}

/// Query of `GET /conversations/{id}/search`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchQuery {
    /// Words to find (stemmed: `run` finds `running`); web-search syntax on PostgreSQL.
    q: Option<String>,
}

/// Full-text search in one conversation, best match first. Each hit's `highlight` is the
/// message content HTML-escaped, with `<mark>`...`</mark>` around the matches and no other
/// markup: safe to insert as HTML.
#[utoipa::path(get, path = "/conversations/{id}/search", tag = "conversations",
    params(("id" = String, Path, format = Uuid), SearchQuery),
    responses((status = 200, body = SearchBody), (status = 400, body = ErrorBody), (status = 429, body = ErrorBody)),
    security(("bearer" = [])))]
async fn search(
    State(state): State<AppState>,
    Auth(me): Auth,
    Id(conversation): Id<ConversationId>,
    ApiQuery(query): ApiQuery<SearchQuery>,
) -> ApiResult<Json<SearchBody>> {
    let q = input::search_query(query.q.as_deref())?;
    let messages = state.services.search(&me, conversation, &q).await?;
    Ok(Json(SearchBody { messages }))
}

/// The conversation's active participants.
#[utoipa::path(get, path = "/conversations/{id}/participants", tag = "conversations",
    params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = ParticipantList), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
async fn list_participants(
    State(state): State<AppState>,
    Auth(me): Auth,
    Id(conversation): Id<ConversationId>,
) -> ApiResult<Json<ParticipantList>> {
    let participants = state.services.list_participants(&me, conversation).await?;
    Ok(Json(ParticipantList { participants }))
}
