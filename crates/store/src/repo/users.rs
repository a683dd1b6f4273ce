//! Users: created or refreshed from token claims.

use confab_domain::model::User;
use confab_domain::time::Timestamp;
use sea_orm::ConnectionTrait;

use crate::scoped::Db;

use super::sql::stmt;
use crate::error::Outcome;

/// Creates the user, or updates email and name (and `updated_at`) from fresh claims. A
/// placeholder row created when the user was added to a conversation is filled in here.
pub(crate) async fn upsert(db: &Db, user: &User, now: Timestamp) -> Outcome<()> {
    let sql = "INSERT INTO users (id, email, name, created_at, updated_at) \
               VALUES ($1, $2, $3, $4, $4) \
               ON CONFLICT (id) DO UPDATE SET \
                 email = excluded.email, name = excluded.name, updated_at = excluded.updated_at";
    let values = [
        user.id.as_uuid().into(),
        user.email.clone().into(),
        user.name.clone().into(),
        now.into(),
    ];
    db.execute_raw(stmt(db, sql, values)).await?;
    Ok(())
}
