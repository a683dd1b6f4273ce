//! The core tables: users, projects, conversations and their participants, messages with
//! their edits, files, read receipts and reports.
//!
//! Ids are UUIDs (v7, minted by the application). Timestamps are `timestamptz` on PostgreSQL;
//! on SQLite they are RFC 3339 text written by sqlx, so no column has a database-side time
//! default: two spellings of one instant would not sort together.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[expect(
    elided_lifetimes_in_paths,
    reason = "sea-orm-migration's MigrationTrait declares `&SchemaManager` with an elided lifetime; async_trait refuses `SchemaManager<'_>` here"
)]
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in tables() {
            manager.create_table(table).await?;
        }
        for index in indexes() {
            manager.create_index(index).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Children first, so no foreign key points at a dropped table.
        let order: [DynIden; 9] = [
            MessageReports::Table.into_iden(),
            MessageReadReceipts::Table.into_iden(),
            MessageFiles::Table.into_iden(),
            MessageEdits::Table.into_iden(),
            Messages::Table.into_iden(),
            ConversationParticipants::Table.into_iden(),
            Conversations::Table.into_iden(),
            Projects::Table.into_iden(),
            Users::Table.into_iden(),
        ];
        for table in order {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }

    /// SQLite runs DDL transactionally too: a failed migration leaves nothing half-built.
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}

#[derive(DeriveIden, Clone, Copy)]
pub(crate) enum Users {
    Table,
    Id,
    Email,
    Name,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Projects {
    Table,
    Id,
    Name,
    CreatedBy,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Conversations {
    Table,
    Id,
    ProjectId,
    Title,
    Type,
    Status,
    CreatedBy,
    LastSeq,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum ConversationParticipants {
    Table,
    ConversationId,
    UserId,
    Role,
    JoinedAt,
    LeftAt,
    NotificationsEnabled,
    LastReadAt,
    LastReadSeq,
}

#[derive(DeriveIden, Clone, Copy)]
pub(crate) enum Messages {
    Table,
    Id,
    ConversationId,
    Seq,
    SenderId,
    Content,
    Type,
    Metadata,
    ClientMsgId,
    EditedAt,
    DeletedAt,
    DeletedBy,
    DeleteReason,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum MessageEdits {
    Table,
    Id,
    MessageId,
    EditorId,
    PreviousContent,
    EditedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum MessageFiles {
    Table,
    Id,
    MessageId,
    ConversationId,
    UploaderId,
    FileName,
    FileSize,
    FileType,
    FileUrl,
    StoragePath,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum MessageReadReceipts {
    Table,
    MessageId,
    UserId,
    ReadAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum MessageReports {
    Table,
    Id,
    MessageId,
    ReportedBy,
    Reason,
    Description,
    Status,
    ResolvedBy,
    ResolvedAt,
    CreatedAt,
}

/// A foreign key named `fk_<table>_<column>`.
fn fk<T, R>(table: T, column: T, parent: R, parent_column: R) -> ForeignKeyCreateStatement
where
    T: IntoIden + Copy + 'static,
    R: IntoIden + Copy + 'static,
{
    let name = format!("fk_{}_{}", table.into_iden(), column.into_iden());
    ForeignKey::create()
        .name(name)
        .from(table, column)
        .to(parent, parent_column)
        .to_owned()
}

/// A foreign key whose rows go when the parent row goes.
fn fk_cascade<T, R>(table: T, column: T, parent: R, parent_column: R) -> ForeignKeyCreateStatement
where
    T: IntoIden + Copy + 'static,
    R: IntoIden + Copy + 'static,
{
    fk(table, column, parent, parent_column)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

fn tables() -> Vec<TableCreateStatement> {
    vec![
        users(),
        projects(),
        conversations(),
        conversation_participants(),
        messages(),
        message_edits(),
        message_files(),
        message_read_receipts(),
        message_reports(),
    ]
}

fn users() -> TableCreateStatement {
    Table::create()
        .table(Users::Table)
        .col(pk_uuid(Users::Id))
        .col(text_null(Users::Email))
        .col(text_null(Users::Name))
        .col(timestamp_with_time_zone(Users::CreatedAt))
        .col(timestamp_with_time_zone(Users::UpdatedAt))
        .to_owned()
}

fn projects() -> TableCreateStatement {
    Table::create()
        .table(Projects::Table)
        .col(pk_uuid(Projects::Id))
        .col(string_len(Projects::Name, 255))
        .col(uuid_null(Projects::CreatedBy))
        .col(timestamp_with_time_zone(Projects::CreatedAt))
        .foreign_key(&mut fk(
            Projects::Table,
            Projects::CreatedBy,
            Users::Table,
            Users::Id,
        ))
        .to_owned()
}

fn conversations() -> TableCreateStatement {
    use Conversations as C;
    Table::create()
        .table(C::Table)
        .col(pk_uuid(C::Id))
        .col(uuid(C::ProjectId))
        .col(string_len_null(C::Title, 255))
        .col(string_len(C::Type, 50).default("project"))
        .col(string_len(C::Status, 50).default("active"))
        .col(uuid_null(C::CreatedBy))
        .col(big_integer(C::LastSeq).default(0))
        .col(timestamp_with_time_zone(C::CreatedAt))
        .col(timestamp_with_time_zone(C::UpdatedAt))
        .foreign_key(&mut fk_cascade(
            C::Table,
            C::ProjectId,
            Projects::Table,
            Projects::Id,
        ))
        .foreign_key(&mut fk(C::Table, C::CreatedBy, Users::Table, Users::Id))
        .to_owned()
}

fn conversation_participants() -> TableCreateStatement {
    use ConversationParticipants as P;
    Table::create()
        .table(P::Table)
        .col(uuid(P::ConversationId))
        .col(uuid(P::UserId))
        .col(string_len(P::Role, 50).default("member"))
        .col(timestamp_with_time_zone(P::JoinedAt))
        .col(timestamp_with_time_zone_null(P::LeftAt))
        .col(boolean(P::NotificationsEnabled).default(true))
        .col(timestamp_with_time_zone_null(P::LastReadAt))
        .col(big_integer(P::LastReadSeq).default(0))
        .primary_key(Index::create().col(P::ConversationId).col(P::UserId))
        .foreign_key(&mut fk_cascade(
            P::Table,
            P::ConversationId,
            Conversations::Table,
            Conversations::Id,
        ))
        .foreign_key(&mut fk(P::Table, P::UserId, Users::Table, Users::Id))
        .to_owned()
}

fn messages() -> TableCreateStatement {
    use Messages as M;
    Table::create()
        .table(M::Table)
        .col(pk_uuid(M::Id))
        .col(uuid(M::ConversationId))
        .col(big_integer(M::Seq))
        .col(uuid(M::SenderId))
        .col(text(M::Content))
        .col(string_len(M::Type, 50).default("text"))
        .col(json_binary(M::Metadata).default("{}"))
        .col(string_len_null(M::ClientMsgId, 128))
        .col(timestamp_with_time_zone_null(M::EditedAt))
        .col(timestamp_with_time_zone_null(M::DeletedAt))
        .col(uuid_null(M::DeletedBy))
        .col(text_null(M::DeleteReason))
        .col(timestamp_with_time_zone(M::CreatedAt))
        .foreign_key(&mut fk_cascade(
            M::Table,
            M::ConversationId,
            Conversations::Table,
            Conversations::Id,
        ))
        .foreign_key(&mut fk(M::Table, M::SenderId, Users::Table, Users::Id))
        .foreign_key(&mut fk(M::Table, M::DeletedBy, Users::Table, Users::Id))
        .to_owned()
}

fn message_edits() -> TableCreateStatement {
    use MessageEdits as E;
    Table::create()
        .table(E::Table)
        .col(pk_uuid(E::Id))
        .col(uuid(E::MessageId))
        .col(uuid(E::EditorId))
        .col(text(E::PreviousContent))
        .col(timestamp_with_time_zone(E::EditedAt))
        .foreign_key(&mut fk_cascade(
            E::Table,
            E::MessageId,
            Messages::Table,
            Messages::Id,
        ))
        .foreign_key(&mut fk(E::Table, E::EditorId, Users::Table, Users::Id))
        .to_owned()
}

fn message_files() -> TableCreateStatement {
    use MessageFiles as F;
    Table::create()
        .table(F::Table)
        .col(pk_uuid(F::Id))
        // NULL until the upload is attached to a message.
        .col(uuid_null(F::MessageId))
        .col(uuid(F::ConversationId))
        .col(uuid(F::UploaderId))
        .col(string_len(F::FileName, 255))
        .col(big_integer(F::FileSize))
        .col(string_len(F::FileType, 100))
        .col(text(F::FileUrl))
        .col(text(F::StoragePath))
        .col(timestamp_with_time_zone(F::CreatedAt))
        .foreign_key(&mut fk_cascade(
            F::Table,
            F::MessageId,
            Messages::Table,
            Messages::Id,
        ))
        .foreign_key(&mut fk_cascade(
            F::Table,
            F::ConversationId,
            Conversations::Table,
            Conversations::Id,
        ))
        .foreign_key(&mut fk(F::Table, F::UploaderId, Users::Table, Users::Id))
        .to_owned()
}

fn message_read_receipts() -> TableCreateStatement {
    use MessageReadReceipts as R;
    Table::create()
        .table(R::Table)
        .col(uuid(R::MessageId))
        .col(uuid(R::UserId))
        .col(timestamp_with_time_zone(R::ReadAt))
        .primary_key(Index::create().col(R::MessageId).col(R::UserId))
        .foreign_key(&mut fk_cascade(
            R::Table,
            R::MessageId,
            Messages::Table,
            Messages::Id,
        ))
        .foreign_key(&mut fk(R::Table, R::UserId, Users::Table, Users::Id))
        .to_owned()
}

fn message_reports() -> TableCreateStatement {
    use MessageReports as R;
    Table::create()
        .table(R::Table)
        .col(pk_uuid(R::Id))
        .col(uuid(R::MessageId))
        .col(uuid(R::ReportedBy))
        .col(string_len(R::Reason, 100))
        .col(text_null(R::Description))
        .col(string_len(R::Status, 50).default("pending"))
        .col(uuid_null(R::ResolvedBy))
        .col(timestamp_with_time_zone_null(R::ResolvedAt))
        .col(timestamp_with_time_zone(R::CreatedAt))
        .foreign_key(&mut fk_cascade(
            R::Table,
            R::MessageId,
            Messages::Table,
            Messages::Id,
        ))
        .foreign_key(&mut fk(R::Table, R::ReportedBy, Users::Table, Users::Id))
        .foreign_key(&mut fk(R::Table, R::ResolvedBy, Users::Table, Users::Id))
        .to_owned()
}

/// An index named `idx_<table>_<name>` (or `uq_` when unique) on `columns`.
fn index<T: IntoIden + Copy + 'static>(
    table: T,
    name: &str,
    columns: Vec<IndexColumn>,
) -> IndexCreateStatement {
    let mut statement = Index::create();
    statement
        .name(format!("idx_{}_{name}", table.into_iden()))
        .table(table);
    for column in columns {
        statement.col(column);
    }
    statement
}

fn unique<T: IntoIden + Copy + 'static>(
    table: T,
    name: &str,
    columns: Vec<IndexColumn>,
) -> IndexCreateStatement {
    let mut statement = index(table, name, columns);
    statement
        .name(format!("uq_{}_{name}", table.into_iden()))
        .unique();
    statement
}

fn col<C: IntoIden>(column: C) -> IndexColumn {
    column.into_iden().into_index_column()
}

fn indexes() -> Vec<IndexCreateStatement> {
    use ConversationParticipants as P;
    use Conversations as C;
    use MessageEdits as E;
    use MessageFiles as F;
    use MessageReports as R;
    use Messages as M;
    vec![
        index(C::Table, "project_id", vec![col(C::ProjectId)]),
        index(C::Table, "status", vec![col(C::Status)]),
        index(P::Table, "user_id", vec![col(P::UserId)]),
        unique(
            M::Table,
            "conversation_seq",
            vec![col(M::ConversationId), col(M::Seq)],
        ),
        unique(
            M::Table,
            "conversation_sender_client_msg",
            vec![
                col(M::ConversationId),
                col(M::SenderId),
                col(M::ClientMsgId),
            ],
        ),
        index(
            M::Table,
            "conversation_created_at",
            vec![
                col(M::ConversationId),
                (M::CreatedAt, IndexOrder::Desc).into_index_column(),
            ],
        ),
        index(M::Table, "sender_id", vec![col(M::SenderId)]),
        index(E::Table, "message_id", vec![col(E::MessageId)]),
        index(F::Table, "message_id", vec![col(F::MessageId)]),
        index(
            F::Table,
            "conversation_uploader",
            vec![col(F::ConversationId), col(F::UploaderId)],
        ),
        index(R::Table, "status", vec![col(R::Status)]),
    ]
}
