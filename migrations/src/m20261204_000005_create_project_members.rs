//! Project membership: which users belong to a project, as `owner` or `member`, and since
//! when. Only members (and admins) list a project's conversations or create one in it, and
//! every participant of a conversation is a member of its project.
//!
//! Keyed by `(project_id, user_id)`, which serves "the members of a project"; the `user_id`
//! index serves "the projects of a user" (`GET /projects`).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum ProjectMembers {
    Table,
    ProjectId,
    UserId,
    Role,
    AddedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Projects {
    Table,
    Id,
}

#[derive(DeriveIden, Clone, Copy)]
enum Users {
    Table,
    Id,
}

const USER_INDEX: &str = "idx_project_members_user_id";

#[expect(
    elided_lifetimes_in_paths,
    reason = "sea-orm-migration's MigrationTrait declares `&SchemaManager` with an elided lifetime; async_trait refuses `SchemaManager<'_>` here"
)]
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use ProjectMembers as M;
        manager
            .create_table(
                Table::create()
                    .table(M::Table)
                    .col(uuid(M::ProjectId))
                    .col(uuid(M::UserId))
                    .col(string_len(M::Role, 16).default("member"))
                    .col(timestamp_with_time_zone(M::AddedAt))
                    .primary_key(Index::create().col(M::ProjectId).col(M::UserId))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_project_members_project_id")
                            .from(M::Table, M::ProjectId)
                            .to(Projects::Table, Projects::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_project_members_user_id")
                            .from(M::Table, M::UserId)
                            .to(Users::Table, Users::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name(USER_INDEX)
                    .table(M::Table)
                    .col(M::UserId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ProjectMembers::Table).to_owned())
            .await
    }

    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}
