//! Projects and their members: `GET /projects` for everyone (the caller's projects), member
//! management for admins.

use axum::Json;
use axum::extract::State;
use confab_domain::ids::{ProjectId, UserId};
use confab_domain::input::AddMembersInput;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{MemberList, ProjectList, SUCCESS, Success};
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, Auth, Id, Ids};
use crate::state::AppState;

/// The client project routes: my projects, and listing, adding and removing members.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(my_projects))
        .routes(routes!(list_members, add_members))
        .routes(routes!(remove_member))
}

/// The projects the caller is a member of (every project for admins), newest first.
#[utoipa::path(get, path = "/projects", tag = "projects",
    responses((status = 200, body = ProjectList), (status = 401, body = ErrorBody)),
    security(("bearer" = [])))]
async fn my_projects(
    State(state): State<AppState>,
    Auth(me): Auth,
) -> ApiResult<Json<ProjectList>> {
    let projects = state.services.my_projects(&me).await?;
    Ok(Json(ProjectList { projects }))
}

/// The project's members (`owner` or `member`), earliest added first.
#[utoipa::path(get, path = "/admin/projects/{id}/members", tag = "admin",
    params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = MemberList), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
async fn list_members(
    State(state): State<AppState>,
    Auth(me): Auth,
    Id(project): Id<ProjectId>,
) -> ApiResult<Json<MemberList>> {
    let members = state.services.list_members(&me, project).await?;
    Ok(Json(MemberList { members }))
}

/// Makes users members of the project and answers with all its members. Idempotent; ids
/// confab has not seen yet get a user row. With `role`, every listed user gets it; without,
/// new members get `member` and existing ones keep theirs.
#[utoipa::path(post, path = "/admin/projects/{id}/members", tag = "admin",
    params(("id" = String, Path, format = Uuid)), request_body = AddMembersInput,
    responses((status = 200, body = MemberList), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
async fn add_members(
    State(state): State<AppState>,
    Auth(me): Auth,
    Id(project): Id<ProjectId>,
    ApiJson(body): ApiJson<AddMembersInput>,
) -> ApiResult<Json<MemberList>> {
    let members = state.services.add_members(&me, project, body).await?;
    Ok(Json(MemberList { members }))
}

/// Ends a membership. The user also leaves every conversation of the project; their sockets
/// leave those rooms at once, on every node.
#[utoipa::path(delete, path = "/admin/projects/{id}/members/{userId}", tag = "admin",
    params(("id" = String, Path, format = Uuid), ("userId" = String, Path, format = Uuid)),
    responses((status = 200, body = Success), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
async fn remove_member(
    State(state): State<AppState>,
    Auth(me): Auth,
    Ids(project, user): Ids<ProjectId, UserId>,
) -> ApiResult<Json<Success>> {
    state.services.remove_member(&me, project, user).await?;
    Ok(Json(SUCCESS))
}
