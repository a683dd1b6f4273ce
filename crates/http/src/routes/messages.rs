//! Messages: history, send, edit, delete, reactions, reports.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use confab_domain::ids::{ConversationId, MessageId};
use confab_domain::input::{self, EditMessageInput, ReactionInput, ReportInput, SendMessageInput};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{MessageBody, MessagePageBody, ReportBody, SUCCESS, Success};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiQuery, Auth, Id};
use crate::state::AppState;

/// The message routes: history, sending, editing, deleting, reactions and reports.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_messages, send_message))
        .routes(routes!(edit_message, delete_message))
        .routes(routes!(add_reaction))
        .routes(routes!(remove_reaction))
        .routes(routes!(report_message))
}

/// Query of `GET /conversations/{id}/messages`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// 1..=100, default 50.
    limit: Option<i64>,
    /// A message id: return messages older than it.
    before: Option<String>,
}

/// A page of history, newest first.
#[utoipa::path(get, path = "/conversations/{id}/messages", tag = "messages",
    params(("id" = String, Path, format = Uuid), PageQuery),
    responses((status = 200, body = MessagePageBody), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
async fn list_messages(
    State(state): State<AppState>,
    Auth(me): Auth,
    Id(conversation): Id<ConversationId>,
    ApiQuery(query): ApiQuery<PageQuery>,
) -> ApiResult<Json<MessagePageBody>> {
    let limit = input::page_limit(query.limit)?;
    let before = match query.before.as_deref().filter(|b| !b.is_empty()) {
        None => None,
        Some(raw) => Some(
            raw.parse::<MessageId>()
                .map_err(|_| ApiError::bad_request("before: must be a message id (a UUID)"))?,
        ),
    };
    let page = state
        .services
        .list_messages(&me, conversation, before, limit)
        .await?;
    Ok(Json(MessagePageBody {
        messages: page.messages,
        has_more: page.has_more,
    }))
}

/// Sends a message (the same use case as the `message:send` event): stored with the next
/// `seq`, then broadcast as `message:new`. A retry with the same `clientMsgId` answers 200
/// with the stored message.
#[utoipa::path(post, path = "/conversations/{id}/messages", tag = "messages",
    params(("id" = String, Path, format = Uuid)),
    request_body = SendMessageInput,
    responses((status = 201, body = MessageBody), (status = 200, description = "idempotent retry", body = MessageBody),
        (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 429, body = ErrorBody),
        (status = 503, description = "overloaded: the send could not be stored within the node's budget (`details.retryAfterMs`)", body = ErrorBody)),
    security(("bearer" = [])))]
async fn send_message(
    State(state): State<AppState>,
    Auth(me): Auth,
    Id(conversation): Id<ConversationId>,
    ApiJson(body): ApiJson<SendMessageInput>,
) -> ApiResult<(StatusCode, Json<MessageBody>)> {
    let sent = state
        .services
        .send_message(&me, conversation, body, |_| {})
        .await?;
    let status = if sent.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((
        status,
        Json(MessageBody {
            message: sent.message,
        }),
    ))
}

/// Edits the caller's own message; the previous content is kept in the edit history.
/// Counts against `EDITS_PER_MINUTE` (429 with `Retry-After` beyond it).
#[utoipa::path(patch, path = "/messages/{id}", tag = "messages",
    params(("id" = String, Path, format = Uuid)),
    request_body = EditMessageInput,
    responses((status = 200, body = MessageBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "conflict: the message was deleted", body = ErrorBody),
        (status = 429, description = "rate_limited (edits and deletes: `EDITS_PER_MINUTE`)", body = ErrorBody)),
    security(("bearer" = [])))]
async fn edit_message(
    State(state): State<AppState>,
    Auth(me): Auth,
    Id(id): Id<MessageId>,
    ApiJson(body): ApiJson<EditMessageInput>,
) -> ApiResult<Json<MessageBody>> {
    let message = state.services.edit_message(&me, id, body).await?;
    Ok(Json(MessageBody { message }))
}

/// Soft-deletes the caller's own message; its content is hidden from others afterwards.
/// Counts against `EDITS_PER_MINUTE`.
#[utoipa::path(delete, path = "/messages/{id}", tag = "messages", operation_id = "messages_delete_message",
    params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = Success), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 429, description = "rate_limited (edits and deletes: `EDITS_PER_MINUTE`)", body = ErrorBody)),
    security(("bearer" = [])))]
async fn delete_message(
    State(state): State<AppState>,
    Auth(me): Auth,
    Id(id): Id<MessageId>,
) -> ApiResult<Json<Success>> {
    state.services.delete_message(&me, id).await?;
    Ok(Json(SUCCESS))
}

/// Adds the caller's reaction. A message carries at most `MAX_REACTIONS_PER_MESSAGE` (50)
/// distinct emoji: one more is 409 `too_many_reactions`. Counts against
/// `REACTIONS_PER_MINUTE`.
#[utoipa::path(post, path = "/messages/{id}/reactions", tag = "messages",
    params(("id" = String, Path, format = Uuid)),
    request_body = ReactionInput,
    responses((status = 200, body = MessageBody), (status = 400, body = ErrorBody),
        (status = 409, description = "too_many_reactions: the message carries the maximum of distinct emoji", body = ErrorBody),
        (status = 429, description = "rate_limited (`REACTIONS_PER_MINUTE`)", body = ErrorBody)),
    security(("bearer" = [])))]
async fn add_reaction(
    State(state): State<AppState>,
    Auth(me): Auth,
    Id(id): Id<MessageId>,
    ApiJson(body): ApiJson<ReactionInput>,
) -> ApiResult<Json<MessageBody>> {
    let message = state.services.react(&me, id, body, true).await?;
    Ok(Json(MessageBody { message }))
}

/// Removes the caller's reaction. Counts against `REACTIONS_PER_MINUTE`.
#[utoipa::path(delete, path = "/messages/{id}/reactions/{emoji}", tag = "messages",
    params(("id" = String, Path, format = Uuid), ("emoji" = String, Path)),
    responses((status = 200, body = MessageBody), (status = 400, body = ErrorBody),
        (status = 409, description = "conflict: the message was deleted", body = ErrorBody),
        (status = 429, description = "rate_limited (`REACTIONS_PER_MINUTE`)", body = ErrorBody)),
    security(("bearer" = [])))]
async fn remove_reaction(
    State(state): State<AppState>,
    Auth(me): Auth,
    Path((id, emoji)): Path<(String, String)>,
) -> ApiResult<Json<MessageBody>> {
    let id: MessageId = id
        .parse()
        .map_err(|_| ApiError::bad_request(format!("{id:?} is not a valid id (a UUID)")))?;
    let message = state
        .services
        .react(&me, id, ReactionInput { emoji }, false)
        .await?;
    Ok(Json(MessageBody { message }))
}

/// Reports a message to the moderators. Counts against `REPORTS_PER_HOUR`.
#[utoipa::path(post, path = "/messages/{id}/report", tag = "messages",
    params(("id" = String, Path, format = Uuid)),
    request_body = ReportInput,
    responses((status = 201, body = ReportBody), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 429, description = "rate_limited (`REPORTS_PER_HOUR`)", body = ErrorBody)),
    security(("bearer" = [])))]
async fn report_message(
    State(state): State<AppState>,
    Auth(me): Auth,
    Id(id): Id<MessageId>,
    ApiJson(body): ApiJson<ReportInput>,
) -> ApiResult<(StatusCode, Json<ReportBody>)> {
    let report = state.services.report_message(&me, id, body).await?;
    Ok((StatusCode::CREATED, Json(ReportBody { report })))
}
