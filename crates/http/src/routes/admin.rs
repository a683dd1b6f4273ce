//! Admin routes (the `app_metadata.role == "admin"` claim is required).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use confab_domain::ids::{ConversationId, MessageId, ReportId, UserId};
use confab_domain::input::{
    AddParticipantInput, CreateProjectInput, UpdateConversationInput, UpdateReportInput,
};
use confab_domain::model::ReportStatus;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{
    ConversationBody, ParticipantBody, ProjectBody, ProjectList, ReportBody, ReportList, SUCCESS,
    Success,
};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiQuery, Auth, Id, Ids};
use crate::state::AppState;

/// The `/admin` routes for projects, participants, conversation status, moderation and reports.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_project, list_projects))
        .routes(routes!(add_participant))
        .routes(routes!(remove_participant))
        .routes(routes!(update_conversation))
        .routes(routes!(delete_message))
        .routes(routes!(list_reports))
        .routes(routes!(update_report))
}

/// Creates a project; `memberIds` become its members (role `member`).
#[utoipa::path(post, path = "/admin/projects", tag = "admin", request_body = CreateProjectInput,
    responses((status = 201, body = ProjectBody), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
async fn create_project(
    State(state): State<AppState>,
    Auth(me): Auth,
    ApiJson(body): ApiJson<CreateProjectInput>,
) -> ApiResult<(StatusCode, Json<ProjectBody>)> {
    let project = state.services.create_project(&me, body).await?;
    Ok((StatusCode::CREATED, Json(ProjectBody { project })))
}

/// Lists projects.
#[utoipa::path(get, path = "/admin/projects", tag = "admin",
    responses((status = 200, body = ProjectList), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
async fn list_projects(
    State(state): State<AppState>,
    Auth(me): Auth,
) -> ApiResult<Json<ProjectList>> {
    let projects = state.services.list_projects(&me).await?;
    Ok(Json(ProjectList { projects }))
}

/// Adds a participant (or re-activates a former one), making them a member of the
/// conversation's project if they are not one.
#[utoipa::path(post, path = "/admin/conversations/{id}/participants", tag = "admin",
    params(("id" = String, Path, format = Uuid)), request_body = AddParticipantInput,
    responses((status = 201, body = ParticipantBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
async fn add_participant(
    State(state): State<AppState>,
    Auth(me): Auth,
    Id(conversation): Id<ConversationId>,
    ApiJson(body): ApiJson<AddParticipantInput>,
) -> ApiResult<(StatusCode, Json<ParticipantBody>)> {
    let participant = state
        .services
        .add_participant(&me, conversation, body)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(ParticipantBody {
            success: true,
            participant,
        }),
    ))
}

/// Removes a participant; their sockets leave the conversation's room at once.
#[utoipa::path(delete, path = "/admin/conversations/{id}/participants/{userId}", tag = "admin",
    params(("id" = String, Path, format = Uuid), ("userId" = String, Path, format = Uuid)),
    responses((status = 200, body = Success), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
async fn remove_participant(
    State(state): State<AppState>,
    Auth(me): Auth,
    Ids(conversation, user): Ids<ConversationId, UserId>,
) -> ApiResult<Json<Success>> {
    state
        .services
        .remove_participant(&me, conversation, user)
        .await?;
    Ok(Json(SUCCESS))
}

/// Changes a conversation's status (`active`, `archived`, `locked`) and/or title.
#[utoipa::path(patch, path = "/admin/conversations/{id}", tag = "admin",
    params(("id" = String, Path, format = Uuid)), request_body = UpdateConversationInput,
    responses((status = 200, body = ConversationBody), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
async fn update_conversation(
    State(state): State<AppState>,
    Auth(me): Auth,
    Id(conversation): Id<ConversationId>,
    ApiJson(body): ApiJson<UpdateConversationInput>,
) -> ApiResult<Json<ConversationBody>> {
    let conversation = state
        .services
        .update_conversation(&me, conversation, body)
        .await?;
    Ok(Json(ConversationBody { conversation }))
}

/// Query of `DELETE /admin/messages/{id}`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ModerationQuery {
    /// Why the message was removed (kept in the moderation record).
    reason: Option<String>,
}

/// Moderation: soft-deletes any message (who, when and why are recorded) and broadcasts
/// `message:deleted`.
#[utoipa::path(delete, path = "/admin/messages/{id}", tag = "admin", operation_id = "admin_delete_message",
    params(("id" = String, Path, format = Uuid), ModerationQuery),
    responses((status = 200, body = Success), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
async fn delete_message(
    State(state): State<AppState>,
    Auth(me): Auth,
    Id(id): Id<MessageId>,
    ApiQuery(query): ApiQuery<ModerationQuery>,
) -> ApiResult<Json<Success>> {
    state
        .services
        .admin_delete_message(&me, id, query.reason.as_deref())
        .await?;
    Ok(Json(SUCCESS))
}

/// Query of `GET /admin/reports`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportQuery {
    /// `pending`, `reviewed` or `resolved`; all when absent.
    status: Option<String>,
}

/// Lists reports, newest first.
#[utoipa::path(get, path = "/admin/reports", tag = "admin", params(ReportQuery),
    responses((status = 200, body = ReportList), (status = 400, body = ErrorBody)), security(("bearer" = [])))]
async fn list_reports(
    State(state): State<AppState>,
    Auth(me): Auth,
    ApiQuery(query): ApiQuery<ReportQuery>,
) -> ApiResult<Json<ReportList>> {
    let status = match query.status.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => Some(ReportStatus::parse(s).ok_or_else(|| {
            ApiError::bad_request("status: must be one of pending, reviewed, resolved")
        })?),
    };
    let reports = state.services.list_reports(&me, status).await?;
    Ok(Json(ReportList { reports }))
}

/// Moves a report along `pending -> reviewed -> resolved`.
#[utoipa::path(patch, path = "/admin/reports/{id}", tag = "admin",
    params(("id" = String, Path, format = Uuid)), request_body = UpdateReportInput,
    responses((status = 200, body = ReportBody), (status = 409, body = ErrorBody)), security(("bearer" = [])))]
async fn update_report(
    State(state): State<AppState>,
    Auth(me): Auth,
    Id(id): Id<ReportId>,
    ApiJson(body): ApiJson<UpdateReportInput>,
) -> ApiResult<Json<ReportBody>> {
    let report = state.services.update_report(&me, id, body).await?;
    Ok(Json(ReportBody { report }))
}
