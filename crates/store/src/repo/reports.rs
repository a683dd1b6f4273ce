//! Moderation reports. A report's conversation is its message's, read through a join.

use confab_domain::ids::{ReportId, UserId};
use confab_domain::model::{Report, ReportStatus};
use confab_domain::time::Timestamp;
use sea_orm::ActiveValue::Set;
use sea_orm::{ConnectionTrait, EntityTrait, FromQueryResult};

use crate::scoped::Db;
use uuid::Uuid;

use super::convert;
use super::sql::stmt;
use crate::entity::message_report;
use crate::error::Outcome;

/// The report columns plus the reported message's conversation.
const SELECT: &str = "SELECT r.id, r.message_id, r.reported_by, r.reason, r.description, \
    r.status, r.resolved_by, r.resolved_at, r.created_at, m.conversation_id \
    FROM message_reports r JOIN messages m ON m.id = r.message_id";

pub(crate) async fn create(db: &Db, report: &Report) -> Outcome<()> {
    let row = message_report::ActiveModel {
        id: Set(report.id.as_uuid()),
        message_id: Set(report.message_id.as_uuid()),
        reported_by: Set(report.reported_by.as_uuid()),
        reason: Set(report.reason.clone()),
        description: Set(report.description.clone()),
        status: Set(report.status.as_str().to_owned()),
        resolved_by: Set(report.resolved_by.map(|id| id.as_uuid())),
        resolved_at: Set(report.resolved_at),
        created_at: Set(report.created_at),
    };
    message_report::Entity::insert(row)
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// Newest first, optionally only those with `status`.
pub(crate) async fn list(db: &Db, status: Option<ReportStatus>) -> Outcome<Vec<Report>> {
    let (filter, values) = match status {
        Some(status) => ("WHERE r.status = $1", vec![status.as_str().into()]),
        None => ("", Vec::new()),
    };
    let sql = format!("{SELECT} {filter} ORDER BY r.created_at DESC, r.id DESC");
    let rows = db.query_all_raw(stmt(db, sql, values)).await?;
    rows.iter().map(report).collect()
}

pub(crate) async fn get(db: &Db, id: ReportId) -> Outcome<Option<Report>> {
    let sql = format!("{SELECT} WHERE r.id = $1");
    let row = db
        .query_one_raw(stmt(db, sql, [id.as_uuid().into()]))
        .await?;
    row.as_ref().map(report).transpose()
}

/// Sets the status; moving to `reviewed` or `resolved` records who and when, moving back to
/// `pending` clears them.
pub(crate) async fn update(
    db: &Db,
    id: ReportId,
    status: ReportStatus,
    by: UserId,
    now: Timestamp,
) -> Outcome<Option<Report>> {
    let settled = status != ReportStatus::Pending;
    let sql = "UPDATE message_reports SET status = $2, resolved_by = $3, resolved_at = $4 \
               WHERE id = $1";
    let values = [
        id.as_uuid().into(),
        status.as_str().into(),
        settled.then(|| by.as_uuid()).into(),
        settled.then_some(now).into(),
    ];
    let result = db.execute_raw(stmt(db, sql, values)).await?;
    if result.rows_affected() == 0 {
        return Ok(None);
    }
    get(db, id).await
}

fn report(row: &sea_orm::QueryResult) -> Outcome<Report> {
    let conversation_id: Uuid = row.try_get("", "conversation_id")?;
    convert::report(
        message_report::Model::from_query_result(row, "")?,
        conversation_id,
    )
}
