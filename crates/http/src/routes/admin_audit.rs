//! The moderation audit log.

use axum::Json;
use axum::extract::State;
use confab_domain::admin::{AuditPage, AuditQuery};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiQuery, Auth};
use crate::state::AppState;

/// `GET /admin/audit`.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(audit_log))
}

/// Every admin action (projects, participants, conversation changes, moderation deletes,
/// report updates, exports), newest first. Pages with `nextCursor`.
#[utoipa::path(get, path = "/admin/audit", tag = "admin", params(AuditQuery),
    responses((status = 200, body = AuditPage), (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
async fn audit_log(
    State(state): State<AppState>,
    Auth(me): Auth,
    ApiQuery(query): ApiQuery<AuditQuery>,
) -> ApiResult<Json<AuditPage>> {
    Ok(Json(state.services.audit_log(&me, query).await?))
}
