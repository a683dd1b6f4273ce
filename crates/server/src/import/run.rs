//! The import, table by table and conversation by conversation.

use std::collections::{HashMap, HashSet};
use std::io::IsTerminal;
use std::time::Instant;

use anyhow::{Context, bail};
use chrono::{DateTime, Utc};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use sea_orm::Value;
use uuid::Uuid;

use super::convert::{self, one_of};
use super::files::Copier;
use super::source::{
    REPORT_COLUMNS, Source, SrcConversation, SrcMessage, SrcParticipant, SrcProject,
};
use super::target::{self, Stored, Target};
use super::{ProjectMap, Summary};
use crate::cli::SeedArgs;
use crate::{Config, app};

/// Messages per transaction.
const BATCH: u32 = 500;

/// Runs `confab import seed` against the configured database.
pub async fn seed(config: &Config, args: &SeedArgs) -> anyhow::Result<Summary> {
    let started = Instant::now();
    let map = ProjectMap::parse(args.project_map.as_deref())?;
    let source = Source::open(&args.from, &args.schema).await?;
    // Every check of the input before confab's database is touched.
    let projects = source.projects().await?;
    let seeds: HashSet<Uuid> = projects.iter().map(|p| p.id).collect();
    if let Some(unknown) = map.seeds().find(|id| !seeds.contains(id)) {
        bail!("--project-map names the project {unknown}, which the seed database does not have");
    }
    // Migrations and the bulk writes go over the direct connection when there is one.
    let database = app::open_direct_database(config).await?;
    let migrated = if args.dry_run {
        Target::has_tables(database.connection()).await
    } else {
        database
            .migrate()
            .await
            .context("migrating confab's database")?;
        true
    };
    let copier = match args.copy_files && !args.dry_run {
        true => {
            let settings = config
                .files
                .storage(config.storage_url.as_deref(), &config.data_dir);
            let storage = confab_http::files::Storage::open(&settings)
                .context("opening confab's file storage")?;
            Some(Copier::new(storage)?)
        }
        false => None,
    };
    let target = Target::new(database.connection().clone(), database.backend(), migrated);
    let mut import = Import {
        source,
        target,
        map,
        copier,
        dry_run: args.dry_run,
        now: Utc::now(),
        users: HashSet::new(),
        members: HashMap::new(),
        summary: Summary {
            dry_run: args.dry_run,
            ..Summary::default()
        },
    };
    let result = import.all(projects).await;
    let Import {
        source,
        mut summary,
        ..
    } = import;
    source.close().await;
    let _ = database.close().await;
    result?;
    summary.elapsed = started.elapsed();
    Ok(summary)
}

struct Import {
    source: Source,
    target: Target,
    map: ProjectMap,
    copier: Option<Copier>,
    dry_run: bool,
    now: DateTime<Utc>,
    /// Every user id confab has (or will have) a row for.
    users: HashSet<Uuid>,
    /// The members of each confab project, as far as read so far.
    members: HashMap<Uuid, HashSet<Uuid>>,
    summary: Summary,
}

impl Import {
    async fn all(&mut self, projects: Vec<SrcProject>) -> anyhow::Result<()> {
        self.users().await?;
        self.projects(projects).await?;
        let conversations = self.source.conversations().await?;
        let progress = progress_bar(self.source.message_count().await?);
        let result = self.conversations(conversations, &progress).await;
        progress.finish_and_clear();
        result
    }

    async fn users(&mut self) -> anyhow::Result<()> {
        let listed = self.source.users().await?;
        let referenced = self.source.referenced_users().await?;
        let existing = self.target.ids("SELECT id FROM users", vec![]).await?;
        let listed_ids: HashSet<Uuid> = listed.iter().map(|u| u.id).collect();
        let mut rows = Vec::new();
        for user in &listed {
            if !existing.contains(&user.id) {
                let at = user.created_at.unwrap_or(self.now);
                rows.push(vec![
                    user.id.into(),
                    user.email.clone().into(),
                    user.name.clone().into(),
                    at.into(),
                    at.into(),
                ]);
            }
        }
        let mut placeholders = 0;
        for id in referenced.iter().filter(|id| !listed_ids.contains(id)) {
            placeholders += 1;
            if !existing.contains(id) {
                let none: Option<String> = None;
                rows.push(vec![
                    (*id).into(),
                    none.clone().into(),
                    none.into(),
                    self.now.into(),
                    self.now.into(),
                ]);
            }
        }
        self.summary
            .users
            .add(listed_ids.len() + placeholders, rows.len());
        self.summary.placeholder_users = placeholders as u64;
        self.users = listed_ids.into_iter().chain(referenced).collect();
        self.users.extend(existing);
        self.write(
            "users",
            &["id", "email", "name", "created_at", "updated_at"],
            rows,
        )
        .await
    }

    async fn projects(&mut self, projects: Vec<SrcProject>) -> anyhow::Result<()> {
        let mut existing = self.target.ids("SELECT id FROM projects", vec![]).await?;
        let mut rows = Vec::new();
        for project in &projects {
            let id = self.map.target(project.id);
            if !existing.insert(id) {
                continue;
            }
            let short = project.id.simple().to_string();
            let name = match project.name.as_deref().map(str::trim) {
                Some(name) if !name.is_empty() => convert::truncate(name, 255),
                _ => format!("Project {}", short.get(..8).unwrap_or(&short)),
            };
            rows.push(vec![
                id.into(),
                name.into(),
                project.created_by.filter(|u| self.users.contains(u)).into(),
                project.created_at.unwrap_or(self.now).into(),
            ]);
        }
        self.summary.projects.add(projects.len(), rows.len());
        self.write(
            "projects",
            &["id", "name", "created_by", "created_at"],
            rows,
        )
        .await
    }

    async fn conversations(
        &mut self,
        conversations: Vec<SrcConversation>,
        progress: &ProgressBar,
    ) -> anyhow::Result<()> {
        let existing = self
            .target
            .ids("SELECT id FROM conversations", vec![])
            .await?;
        let mut new = 0;
        for conversation in &conversations {
            if !existing.contains(&conversation.id) {
                new += 1;
                self.conversation_row(conversation).await?;
            }
            self.conversation(conversation, progress)
                .await
                .with_context(|| format!("importing conversation {}", conversation.id))?;
        }
        self.summary.conversations.add(conversations.len(), new);
        Ok(())
    }

    async fn conversation_row(&mut self, c: &SrcConversation) -> anyhow::Result<()> {
        let (kind, odd_kind) = one_of(c.kind.as_deref(), convert::CONVERSATION_TYPES, "project");
        let (status, odd_status) = one_of(
            c.status.as_deref(),
            convert::CONVERSATION_STATUSES,
            "active",
        );
        self.summary.replaced_values += u64::from(odd_kind) + u64::from(odd_status);
        let created_at = c.created_at.unwrap_or(self.now);
        let title = c.title.as_deref().map(|t| convert::truncate(t, 255));
        let row = vec![
            c.id.into(),
            self.map.target(c.project_id).into(),
            title.into(),
            kind.into(),
            status.into(),
            c.created_by.into(),
            0_i64.into(),
            created_at.into(),
            c.updated_at.unwrap_or(created_at).into(),
        ];
        let columns = [
            "id",
            "project_id",
            "title",
            "type",
            "status",
            "created_by",
            "last_seq",
            "created_at",
            "updated_at",
        ];
        self.write("conversations", &columns, vec![row]).await
    }

    async fn conversation(
        &mut self,
        c: &SrcConversation,
        progress: &ProgressBar,
    ) -> anyhow::Result<()> {
        let participants = self.source.participants(c.id).await?;
        self.participants(c, &participants).await?;
        let mut stored = self.target.messages(c.id).await?;
        self.messages(c, &mut stored, progress).await?;
        self.files(c.id, &stored).await?;
        let read = self.receipts(c.id, &stored).await?;
        self.reports(c.id).await?;
        self.read_markers(c.id, &participants, &stored, &read).await
    }

    async fn participants(
        &mut self,
        c: &SrcConversation,
        participants: &[SrcParticipant],
    ) -> anyhow::Result<()> {
        let sql = "SELECT user_id AS id FROM conversation_participants WHERE conversation_id = $1";
        let existing = self.target.ids(sql, vec![c.id.into()]).await?;
        let joined_default = c.created_at.unwrap_or(self.now);
        let mut rows = Vec::new();
        for p in participants
            .iter()
            .filter(|p| !existing.contains(&p.user_id))
        {
            let (role, odd) = one_of(p.role.as_deref(), convert::PARTICIPANT_ROLES, "member");
            self.summary.replaced_values += u64::from(odd);
            rows.push(vec![
                c.id.into(),
                p.user_id.into(),
                role.into(),
                p.joined_at.unwrap_or(joined_default).into(),
                p.left_at.into(),
                p.notifications_enabled.unwrap_or(true).into(),
                p.last_read_at.into(),
                0_i64.into(),
            ]);
        }
        self.summary
            .participants
            .add(participants.len(), rows.len());
        let columns = [
            "conversation_id",
            "user_id",
            "role",
            "joined_at",
            "left_at",
            "notifications_enabled",
            "last_read_at",
            "last_read_seq",
        ];
        self.write("conversation_participants", &columns, rows)
            .await?;
        self.members(self.map.target(c.project_id), participants, joined_default)
            .await
    }

    /// Participants become members of the conversation's project.
    async fn members(
        &mut self,
        project: Uuid,
        participants: &[SrcParticipant],
        joined_default: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        if !self.members.contains_key(&project) {
            let sql = "SELECT user_id AS id FROM project_members WHERE project_id = $1";
            let existing = self.target.ids(sql, vec![project.into()]).await?;
            self.members.insert(project, existing);
        }
        let mut rows = Vec::new();
        if let Some(members) = self.members.get_mut(&project) {
            for p in participants {
                if members.insert(p.user_id) {
                    rows.push(vec![
                        project.into(),
                        p.user_id.into(),
                        "member".into(),
                        p.joined_at.unwrap_or(joined_default).into(),
                    ]);
                }
            }
        }
        self.summary.members_added += rows.len() as u64;
        let columns = ["project_id", "user_id", "role", "added_at"];
        self.write("project_members", &columns, rows).await
    }

    async fn messages(
        &mut self,
        c: &SrcConversation,
        stored: &mut HashMap<Uuid, Stored>,
        progress: &ProgressBar,
    ) -> anyhow::Result<()> {
        let mut after = None;
        loop {
            let batch = self.source.messages(c.id, after, BATCH).await?;
            let Some(last) = batch.last() else {
                return Ok(());
            };
            after = Some((last.created_at, last.id));
            let found = batch.len();
            let new: Vec<SrcMessage> = batch
                .into_iter()
                .filter(|m| !stored.contains_key(&m.id))
                .collect();
            self.summary.messages.add(found, new.len());
            if !new.is_empty() && !self.dry_run {
                self.write_messages(c.id, new, stored).await?;
            }
            progress.inc(found as u64);
        }
    }

    /// One transaction: `seq` numbers for the batch, the messages, their edit history.
    async fn write_messages(
        &mut self,
        conversation: Uuid,
        batch: Vec<SrcMessage>,
        stored: &mut HashMap<Uuid, Stored>,
    ) -> anyhow::Result<()> {
        let txn = self.target.begin().await?;
        let first = target::take_seqs(&txn, conversation, batch.len() as i64).await?;
        let mut rows = Vec::with_capacity(batch.len());
        let mut edits = Vec::new();
        for (seq, m) in (first..).zip(batch) {
            let (kind, odd) = one_of(m.kind.as_deref(), convert::MESSAGE_TYPES, "text");
            self.summary.replaced_values += u64::from(odd);
            let meta = convert::metadata(m.metadata);
            for edit in meta.edits {
                let editor = edit.editor.filter(|u| self.users.contains(u));
                edits.push(vec![
                    Uuid::now_v7().into(),
                    m.id.into(),
                    editor.unwrap_or(m.sender_id).into(),
                    edit.previous_content.into(),
                    edit.edited_at
                        .or(m.edited_at)
                        .unwrap_or(m.created_at)
                        .into(),
                ]);
            }
            rows.push(vec![
                m.id.into(),
                conversation.into(),
                seq.into(),
                m.sender_id.into(),
                m.content.unwrap_or_default().into(),
                kind.into(),
                Value::from(meta.metadata),
                m.edited_at.into(),
                m.deleted_at.into(),
                m.created_at.into(),
            ]);
            let row = Stored {
                seq,
                sender: m.sender_id,
                created_at: m.created_at,
            };
            stored.insert(m.id, row);
        }
        let columns = [
            "id",
            "conversation_id",
            "seq",
            "sender_id",
            "content",
            "type",
            "metadata",
            "edited_at",
            "deleted_at",
            "created_at",
        ];
        target::insert(&txn, "messages", &columns, rows).await?;
        let columns = [
            "id",
            "message_id",
            "editor_id",
            "previous_content",
            "edited_at",
        ];
        self.summary.edits += target::insert(&txn, "message_edits", &columns, edits).await?;
        txn.commit().await.context("committing messages")?;
        Ok(())
    }

    async fn files(
        &mut self,
        conversation: Uuid,
        stored: &HashMap<Uuid, Stored>,
    ) -> anyhow::Result<()> {
        let files = self.source.files(conversation).await?;
        if files.is_empty() {
            return Ok(());
        }
        let sql = "SELECT id FROM message_files WHERE conversation_id = $1";
        let existing = self.target.ids(sql, vec![conversation.into()]).await?;
        let mut rows = Vec::new();
        let mut new = 0;
        for f in files.iter().filter(|f| !existing.contains(&f.id)) {
            new += 1;
            let Some(message) = stored.get(&f.message_id) else {
                continue;
            };
            let file_type = f
                .file_type
                .clone()
                .filter(|t| !t.trim().is_empty())
                .unwrap_or_else(|| "application/octet-stream".to_owned());
            let (url, path) = self.file_location(conversation, f, &file_type).await;
            rows.push(vec![
                f.id.into(),
                f.message_id.into(),
                conversation.into(),
                message.sender.into(),
                convert::truncate(&f.file_name, 255).into(),
                f.file_size.into(),
                convert::truncate(&file_type, 100).into(),
                url.into(),
                path.into(),
                f.created_at.unwrap_or(message.created_at).into(),
            ]);
        }
        self.summary.files.add(files.len(), new);
        let columns = [
            "id",
            "message_id",
            "conversation_id",
            "uploader_id",
            "file_name",
            "file_size",
            "file_type",
            "file_url",
            "storage_path",
            "created_at",
        ];
        self.write("message_files", &columns, rows).await
    }

    /// The file's URL and storage path in confab: copied (`/api/files/<id>`), or as they were.
    async fn file_location(
        &mut self,
        conversation: Uuid,
        f: &super::source::SrcFile,
        file_type: &str,
    ) -> (String, String) {
        let Some(copier) = &self.copier else {
            return (f.file_url.clone(), f.storage_path.clone());
        };
        match copier
            .copy(&f.file_url, conversation, f.id, file_type, &f.file_name)
            .await
        {
            Ok(key) => {
                self.summary.files_copied += 1;
                let id = confab_domain::ids::FileId::from(f.id);
                (confab_domain::files::file_url(id), key)
            }
            Err(e) => {
                self.summary.files_not_copied += 1;
                eprintln!(
                    "confab import seed: file {} not copied from {}: {e:#}",
                    f.id, f.file_url
                );
                (f.file_url.clone(), f.storage_path.clone())
            }
        }
    }

    /// Imports the receipts; returns each reader's highest `seq` read.
    async fn receipts(
        &mut self,
        conversation: Uuid,
        stored: &HashMap<Uuid, Stored>,
    ) -> anyhow::Result<HashMap<Uuid, i64>> {
        let receipts = self.source.receipts(conversation).await?;
        let mut read: HashMap<Uuid, i64> = HashMap::new();
        if receipts.is_empty() {
            return Ok(read);
        }
        let sql = "SELECT r.message_id AS a, r.user_id AS b FROM message_read_receipts r \
                   JOIN messages m ON m.id = r.message_id WHERE m.conversation_id = $1";
        let existing = self.target.pairs(sql, vec![conversation.into()]).await?;
        let mut rows = Vec::new();
        for r in &receipts {
            let Some(message) = stored.get(&r.message_id) else {
                continue;
            };
            let best = read.entry(r.user_id).or_default();
            *best = (*best).max(message.seq);
            if !existing.contains(&(r.message_id, r.user_id)) {
                rows.push(vec![
                    r.message_id.into(),
                    r.user_id.into(),
                    r.read_at.unwrap_or(message.created_at).into(),
                ]);
            }
        }
        if self.dry_run {
            let new = receipts.len() - existing.len().min(receipts.len());
            self.summary.receipts.add(receipts.len(), new);
        } else {
            self.summary.receipts.add(receipts.len(), rows.len());
        }
        let columns = ["message_id", "user_id", "read_at"];
        self.write("message_read_receipts", &columns, rows).await?;
        Ok(read)
    }

    async fn reports(&mut self, conversation: Uuid) -> anyhow::Result<()> {
        let reports = self.source.reports(conversation).await?;
        if reports.is_empty() {
            return Ok(());
        }
        let sql = "SELECT r.id FROM message_reports r \
                   JOIN messages m ON m.id = r.message_id WHERE m.conversation_id = $1";
        let existing = self.target.ids(sql, vec![conversation.into()]).await?;
        let mut rows = Vec::new();
        for r in reports.iter().filter(|r| !existing.contains(&r.id)) {
            let (status, odd) = one_of(r.status.as_deref(), convert::REPORT_STATUSES, "pending");
            self.summary.replaced_values += u64::from(odd);
            rows.push(vec![
                r.id.into(),
                r.message_id.into(),
                r.reported_by.into(),
                convert::truncate(&r.reason, 100).into(),
                r.description.clone().into(),
                status.into(),
                r.resolved_by.into(),
                r.resolved_at.into(),
                r.created_at.unwrap_or(self.now).into(),
            ]);
        }
        self.summary.reports.add(reports.len(), rows.len());
        self.write("message_reports", REPORT_COLUMNS, rows).await
    }

    /// Each participant's `last_read_seq`: the last message at or before their
    /// `last_read_at`, or the last one they have a receipt for, whichever is later.
    async fn read_markers(
        &mut self,
        conversation: Uuid,
        participants: &[SrcParticipant],
        stored: &HashMap<Uuid, Stored>,
        read: &HashMap<Uuid, i64>,
    ) -> anyhow::Result<()> {
        if self.dry_run {
            return Ok(());
        }
        let db = self.target.begin().await?;
        for p in participants {
            let by_time = p.last_read_at.map_or(0, |at| {
                stored
                    .values()
                    .filter(|m| m.created_at <= at)
                    .map(|m| m.seq)
                    .max()
                    .unwrap_or(0)
            });
            let seq = by_time.max(read.get(&p.user_id).copied().unwrap_or(0));
            if seq > 0 {
                target::raise_read_marker(&db, conversation, p.user_id, seq).await?;
            }
        }
        db.commit().await.context("committing read markers")?;
        Ok(())
    }

    async fn write(
        &self,
        table: &str,
        columns: &[&str],
        rows: Vec<Vec<Value>>,
    ) -> anyhow::Result<()> {
        if self.dry_run || rows.is_empty() {
            return Ok(());
        }
        target::insert(self.target.connection(), table, columns, rows).await?;
        Ok(())
    }
}

/// Messages done out of the source's total, on stderr when it is a terminal.
fn progress_bar(total: u64) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::hidden());
    if std::io::stderr().is_terminal() {
        bar.set_draw_target(ProgressDrawTarget::stderr());
    }
    if let Ok(style) = ProgressStyle::with_template(
        "{msg} [{bar:40}] {pos}/{len} messages ({per_sec}, {eta} left)",
    ) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message("importing");
    bar
}
