//! The moderation audit log: appended by every admin action, read newest first.

use confab_domain::admin::{AuditEntry, PageCursor};
use sea_orm::{ConnectionTrait, QueryResult};

use crate::scoped::Db;

use super::sql::{Params, stmt};
use crate::error::Outcome;

pub(crate) async fn record(db: &Db, entry: &AuditEntry) -> Outcome<()> {
    let sql = "INSERT INTO audit_log \
                 (id, actor_id, action, target_type, target_id, details, created_at) \
               VALUES ($1, $2, $3, $4, $5, $6, $7)";
    let values = [
        entry.id.into(),
        entry.actor_id.as_uuid().into(),
        entry.action.clone().into(),
        entry.target_type.clone().into(),
        entry.target_id.clone().into(),
        entry.details.clone().into(),
        entry.created_at.into(),
    ];
    db.execute_raw(stmt(db, sql, values)).await?;
    Ok(())
}

/// Newest first, strictly older than `before` in `(created_at, id)` order.
pub(crate) async fn list(
    db: &Db,
    before: Option<&PageCursor>,
    limit: u32,
) -> Outcome<Vec<AuditEntry>> {
    let mut params = Params::default();
    let filter = match before {
        Some(cursor) => {
            let at = params.bind(cursor.created_at);
            let id = params.bind(cursor.id);
            format!("WHERE created_at < {at} OR (created_at = {at} AND id < {id})")
        }
        None => String::new(),
    };
    let sql = format!(
        "SELECT id, actor_id, action, target_type, target_id, details, created_at \
         FROM audit_log {filter} ORDER BY created_at DESC, id DESC LIMIT {limit}"
    );
    let rows = db.query_all_raw(stmt(db, sql, params.values)).await?;
    rows.iter().map(entry).collect()
}

fn entry(row: &QueryResult) -> Outcome<AuditEntry> {
    Ok(AuditEntry {
        id: row.try_get("", "id")?,
        actor_id: row.try_get::<uuid::Uuid>("", "actor_id")?.into(),
        action: row.try_get("", "action")?,
        target_type: row.try_get("", "target_type")?,
        target_id: row.try_get("", "target_id")?,
        details: row.try_get("", "details")?,
        created_at: row.try_get("", "created_at")?,
    })
}
