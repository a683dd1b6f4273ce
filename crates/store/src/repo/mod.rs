//! The repository adapter: [`SqlStore`] implements every port in `confab_domain::ports` for
//! both backends. Each port method delegates to a function in a module per feature; this
//! file only wires them up and maps failures ([`run`]). The helpers every module builds its
//! statements with are in [`sql`].
//!
//! SQL is written once for both backends where it can be: both accept `$n` placeholders
//! (sqlx binds SQLite's `$n` by number), `RETURNING` and `ON CONFLICT`. Search is the one
//! place the dialects part ways.

mod admin;
mod admin_conversations;
mod analytics;
mod audit;
mod conversations;
mod convert;
mod export;
mod files;
mod group_commit;
mod group_read;
mod members;
mod messages;
mod participants;
mod projects;
mod reactions;
mod reports;
mod search;
mod sql;
mod users;

use std::sync::Arc;

use crate::scoped::Db;
use async_trait::async_trait;
use confab_domain::Result;
use confab_domain::ids::{ConversationId, MessageId, ProjectId, ReportId, UserId};
use confab_domain::model::{
    ConversationStatus, ConversationSummary, Message, Participant, ParticipantRole, Project,
    ProjectMember, ProjectRole, ReadReceipt, Report, ReportStatus, SearchHit, User,
};
use confab_domain::ports::{
    Access, ConversationRepository, Inserted, MemberRule, MessagePage, MessageRepository,
    NewMessage, NewParticipant, ProjectRepository, ReportRepository, Store, UserRepository,
};
use confab_domain::time::Timestamp;

use crate::error::run;

pub(crate) use group_commit::GroupCommit;
pub use group_commit::GroupCommitStats;
pub(crate) use group_read::GroupRead;
pub use group_read::GroupReadStats;

/// The store over its connection pools (PostgreSQL or SQLite, chosen by the URL).
///
/// `db` serves reads; `writer` serves every statement that writes. On PostgreSQL they are the
/// same pool. On a SQLite file `writer` is a pool of one connection: SQLite lets one writer
/// in at a time, and pooled connections racing for its lock wait in its busy handler, which
/// sleeps and retries (unfair: measured p99.9 ~1 s under load). One write connection makes the
/// pool's FIFO queue the only wait; readers keep the shared pool (WAL lets them run beside
/// the writer).
///
/// With group commit on, sends without files go through `batcher` (see [`group_commit`]);
/// with group reads on, access checks go through `reader` (see [`group_read`]).
#[derive(Clone, Debug)]
pub struct SqlStore {
    db: Db,
    writer: Db,
    batcher: Option<Arc<GroupCommit>>,
    reader: Option<Arc<GroupRead>>,
}

impl SqlStore {
    pub(crate) fn new(
        db: Db,
        writer: Db,
        batcher: Option<GroupCommit>,
        reader: Option<GroupRead>,
    ) -> Self {
        Self {
            db,
            writer,
            batcher: batcher.map(Arc::new),
            reader: reader.map(Arc::new),
        }
    }

    /// Batches and sends the group-commit writers have stored so far (zeros when group
    /// commit is off).
    pub fn group_commit_stats(&self) -> GroupCommitStats {
        self.batcher
            .as_ref()
            .map(|batcher| batcher.stats())
            .unwrap_or_default()
    }

    /// Access lookups the group reader has answered from batch statements so far (zeros
    /// when group reads are off).
    pub fn group_read_stats(&self) -> GroupReadStats {
        self.reader
            .as_ref()
            .map(|reader| reader.stats())
            .unwrap_or_default()
    }
}

#[async_trait]
impl UserRepository for SqlStore {
    async fn upsert_user(&self, user: &User, now: Timestamp) -> Result<()> {
        run("upsert_user", users::upsert(&self.writer, user, now)).await
    }
}

#[async_trait]
impl ProjectRepository for SqlStore {
    async fn create_project(&self, project: &Project, members: &[UserId]) -> Result<()> {
        let work = projects::create(&self.writer, project, members);
        run("create_project", work).await
    }

    async fn list_projects(&self) -> Result<Vec<Project>> {
        run("list_projects", projects::list(&self.db)).await
    }

    async fn projects_of(&self, user: UserId) -> Result<Vec<Project>> {
        run("projects_of", members::projects_of(&self.db, user)).await
    }

    async fn project_exists(&self, id: ProjectId) -> Result<bool> {
        run("project_exists", projects::exists(&self.db, id)).await
    }

    async fn project_role(&self, project: ProjectId, user: UserId) -> Result<Option<ProjectRole>> {
        run("project_role", members::role(&self.db, project, user)).await
    }

    async fn list_members(&self, project: ProjectId) -> Result<Vec<ProjectMember>> {
        run("list_members", members::list(&self.db, project)).await
    }

    async fn add_members(
        &self,
        project: ProjectId,
        users: &[UserId],
        role: Option<ProjectRole>,
        now: Timestamp,
    ) -> Result<()> {
        let work = members::add(&self.writer, project, users, role, now);
        run("add_members", work).await
    }

    async fn remove_member(
        &self,
        project: ProjectId,
        user: UserId,
        now: Timestamp,
    ) -> Result<Option<Vec<ConversationId>>> {
        let work = members::remove(&self.writer, project, user, now);
        run("remove_member", work).await
    }
}

#[async_trait]
impl ConversationRepository for SqlStore {
    async fn create_conversation(
        &self,
        conversation: &confab_domain::model::Conversation,
        participants: &[NewParticipant],
        rule: MemberRule,
    ) -> Result<()> {
        let work = conversations::create(&self.writer, conversation, participants, rule);
        run("create_conversation", work).await
    }

    async fn access(&self, conversation: ConversationId, user: UserId) -> Result<Option<Access>> {
        match &self.reader {
            Some(reader) => run("access", reader.access(conversation, user)).await,
            None => {
                let work = conversations::access(&self.db, conversation, user);
                run("access", work).await
            }
        }
    }

    async fn update_conversation(
        &self,
        id: ConversationId,
        status: Option<ConversationStatus>,
        title: Option<Option<String>>,
        now: Timestamp,
    ) -> Result<Option<confab_domain::model::Conversation>> {
        let work = conversations::update(&self.writer, id, status, title, now);
        run("update_conversation", work).await
    }

    async fn list_conversations(
        &self,
        project: ProjectId,
        viewer: UserId,
        all: bool,
    ) -> Result<Vec<ConversationSummary>> {
        let work = conversations::list(&self.db, project, viewer, all);
        run("list_conversations", work).await
    }

    async fn list_participants(&self, conversation: ConversationId) -> Result<Vec<Participant>> {
        let work = participants::list(&self.db, conversation);
        run("list_participants", work).await
    }

    async fn add_participant(
        &self,
        conversation: ConversationId,
        user: UserId,
        role: ParticipantRole,
        now: Timestamp,
    ) -> Result<Participant> {
        let work = participants::add(&self.writer, conversation, user, role, now);
        run("add_participant", work).await
    }

    async fn remove_participant(
        &self,
        conversation: ConversationId,
        user: UserId,
        now: Timestamp,
    ) -> Result<bool> {
        let work = participants::remove(&self.writer, conversation, user, now);
        run("remove_participant", work).await
    }

    async fn conversations_of(&self, user: UserId) -> Result<Vec<ConversationId>> {
        run("conversations_of", participants::of_user(&self.db, user)).await
    }
}

#[async_trait]
impl MessageRepository for SqlStore {
    async fn insert_message(&self, message: NewMessage) -> Result<Inserted> {
        match &self.batcher {
            Some(batcher) if message.file_ids.is_empty() => {
                run("insert_message", batcher.insert(message)).await
            }
            _ => run("insert_message", messages::insert(&self.writer, message)).await,
        }
    }

    async fn get_message(&self, id: MessageId) -> Result<Option<Message>> {
        run("get_message", messages::get(&self.db, id)).await
    }

    async fn find_by_client_msg_id(
        &self,
        conversation: ConversationId,
        sender: UserId,
        client_msg_id: &str,
    ) -> Result<Option<Message>> {
        run(
            "find_by_client_msg_id",
            messages::find_by_key(&self.db, conversation, sender, client_msg_id),
        )
        .await
    }

    async fn list_messages(
        &self,
        conversation: ConversationId,
        before_seq: Option<i64>,
        limit: u32,
    ) -> Result<MessagePage> {
        let work = messages::before(&self.db, conversation, before_seq, limit);
        run("list_messages", work).await
    }

    async fn messages_after(
        &self,
        conversation: ConversationId,
        after_seq: i64,
        limit: u32,
    ) -> Result<MessagePage> {
        let work = messages::after(&self.db, conversation, after_seq, limit);
        run("messages_after", work).await
    }

    async fn edit_message(
        &self,
        id: MessageId,
        editor: UserId,
        content: &str,
        now: Timestamp,
    ) -> Result<Message> {
        let work = messages::edit(&self.writer, id, editor, content, now);
        run("edit_message", work).await
    }

    async fn delete_message(
        &self,
        id: MessageId,
        by: UserId,
        reason: Option<&str>,
        now: Timestamp,
    ) -> Result<Message> {
        let work = messages::delete(&self.writer, id, by, reason, now);
        run("delete_message", work).await
    }

    async fn set_reaction(
        &self,
        id: MessageId,
        user: UserId,
        emoji: &str,
        present: bool,
        max_emoji: u32,
    ) -> Result<Option<Message>> {
        let work = reactions::set(&self.writer, id, user, emoji, present, max_emoji);
        run("set_reaction", work).await
    }

    async fn mark_read(
        &self,
        message: &Message,
        user: UserId,
        now: Timestamp,
    ) -> Result<ReadReceipt> {
        run(
            "mark_read",
            messages::mark_read(&self.writer, message, user, now),
        )
        .await
    }

    async fn search(
        &self,
        conversation: ConversationId,
        query: &str,
        limit: u32,
    ) -> Result<Vec<SearchHit>> {
        run(
            "search",
            search::search(&self.db, conversation, query, limit),
        )
        .await
    }
}

#[async_trait]
impl ReportRepository for SqlStore {
    async fn create_report(&self, report: &Report) -> Result<()> {
        run("create_report", reports::create(&self.writer, report)).await
    }

    async fn list_reports(&self, status: Option<ReportStatus>) -> Result<Vec<Report>> {
        run("list_reports", reports::list(&self.db, status)).await
    }

    async fn get_report(&self, id: ReportId) -> Result<Option<Report>> {
        run("get_report", reports::get(&self.db, id)).await
    }

    async fn update_report(
        &self,
        id: ReportId,
        status: ReportStatus,
        by: UserId,
        now: Timestamp,
    ) -> Result<Option<Report>> {
        run(
            "update_report",
            reports::update(&self.writer, id, status, by, now),
        )
        .await
    }
}

#[async_trait]
impl Store for SqlStore {
    async fn ping(&self) -> Result<()> {
        run("ping", async { Ok(self.db.ping().await?) }).await
    }
}
