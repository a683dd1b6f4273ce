//! The moderation audit log: one row per admin action (who did what to which record, when,
//! with the action's particulars as JSON). Rows are only ever appended.
//!
//! `actor_id` and `target_id` carry no foreign keys on purpose: the log must keep its rows
//! whatever happens to the users and records they name. `target_id` is text so any kind of
//! target (project, conversation, message, report, user) fits.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum AuditLog {
    Table,
    Id,
    ActorId,
    Action,
    TargetType,
    TargetId,
    Details,
    CreatedAt,
}

const CREATED_AT_INDEX: &str = "idx_audit_log_created_at";

#[expect(
    elided_lifetimes_in_paths,
    reason = "sea-orm-migration's MigrationTrait declares `&SchemaManager` with an elided lifetime; async_trait refuses `SchemaManager<'_>` here"
)]
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use AuditLog as A;
        manager
            .create_table(
                Table::create()
                    .table(A::Table)
                    .col(pk_uuid(A::Id))
                    .col(uuid(A::ActorId))
                    .col(string_len(A::Action, 64))
                    .col(string_len(A::TargetType, 32))
                    .col(string_len(A::TargetId, 64))
                    .col(json_binary(A::Details).default("{}"))
                    .col(timestamp_with_time_zone(A::CreatedAt))
                    .to_owned(),
            )
            .await?;
        // Newest first, paged by `(created_at, id)`.
        manager
            .create_index(
                Index::create()
                    .name(CREATED_AT_INDEX)
                    .table(A::Table)
                    .col(A::CreatedAt)
                    .col(A::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(AuditLog::Table).to_owned())
            .await
    }

    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}
