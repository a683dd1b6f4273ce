//! Data: every active participant of a conversation becomes a member (role `member`) of the
//! conversation's project, as of the day they first joined one of its conversations. Before
//! membership existed anyone could take part in any project's conversations; afterwards
//! only members may, so without this step existing participants would lose their
//! conversations.
//!
//! `down` changes nothing: the memberships cannot be told apart from later ones, and the
//! previous migration's `down` drops the table anyway.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

/// Plain SQL both backends accept (the `WHERE` also keeps SQLite from reading `ON CONFLICT`
/// as part of the join).
const BACKFILL: &str = "INSERT INTO project_members (project_id, user_id, role, added_at) \
    SELECT c.project_id, p.user_id, 'member', MIN(p.joined_at) \
    FROM conversation_participants p \
    JOIN conversations c ON c.id = p.conversation_id \
    WHERE p.left_at IS NULL \
    GROUP BY c.project_id, p.user_id \
    ON CONFLICT (project_id, user_id) DO NOTHING";

#[expect(
    elided_lifetimes_in_paths,
    reason = "sea-orm-migration's MigrationTrait declares `&SchemaManager` with an elided lifetime; async_trait refuses `SchemaManager<'_>` here"
)]
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared(BACKFILL)
            .await?;
        Ok(())
    }

    async fn down(&self, _manager: &SchemaManager) -> Result<(), DbErr> {
        Ok(())
    }

    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}
