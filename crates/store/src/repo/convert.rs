//! Rows to domain records. Enum columns are parsed here; a spelling the domain does not know
//! is a [`Failure::Corrupt`] (an internal error), never a panic.

use confab_domain::model::{
    Conversation, ConversationStatus, ConversationType, FileAttachment, Message, MessageKind,
    Participant, ParticipantRole, Project, ProjectMember, ProjectRole, Report, ReportStatus,
};
use uuid::Uuid;

use crate::entity::message_report;
use crate::entity::{
    conversation, conversation_participant, message, message_file, project, project_member,
};
use crate::error::{Failure, Outcome};

/// The columns of `messages` the model reads, qualified by the alias `m`. Used by raw
/// queries, so PostgreSQL never ships the `search_tsv` column back.
pub(crate) const MESSAGE_COLUMNS: &str = "m.id, m.conversation_id, m.seq, m.sender_id, \
    m.content, m.type, m.metadata, m.client_msg_id, m.edited_at, m.deleted_at, m.deleted_by, \
    m.delete_reason, m.created_at";

/// The same columns unqualified, for `RETURNING` (SQLite does not take an alias there).
pub(crate) const MESSAGE_RETURNING: &str = "id, conversation_id, seq, sender_id, content, \
    type, metadata, client_msg_id, edited_at, deleted_at, deleted_by, delete_reason, created_at";

/// The columns of `conversations`, qualified by the alias `c`.
pub(crate) const CONVERSATION_COLUMNS: &str = "c.id, c.project_id, c.title, c.type, c.status, \
    c.created_by, c.last_seq, c.created_at, c.updated_at";

fn parse<T>(parse: fn(&str) -> Option<T>, what: &str, text: &str) -> Outcome<T> {
    parse(text).ok_or_else(|| Failure::Corrupt(format!("unknown {what} {text:?}")))
}

pub(crate) fn project(row: project::Model) -> Project {
    Project {
        id: row.id.into(),
        name: row.name,
        created_by: row.created_by.map(Into::into),
        created_at: row.created_at,
    }
}

pub(crate) fn member(row: project_member::Model) -> Outcome<ProjectMember> {
    Ok(ProjectMember {
        user_id: row.user_id.into(),
        role: parse(ProjectRole::parse, "project role", &row.role)?,
        added_at: row.added_at,
    })
}

pub(crate) fn conversation(row: conversation::Model) -> Outcome<Conversation> {
    Ok(Conversation {
        id: row.id.into(),
        project_id: row.project_id.into(),
        title: row.title,
        kind: parse(ConversationType::parse, "conversation type", &row.kind)?,
        status: parse(
            ConversationStatus::parse,
            "conversation status",
            &row.status,
        )?,
        created_by: row.created_by.map(Into::into),
        last_seq: row.last_seq,
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

pub(crate) fn participant(row: conversation_participant::Model) -> Outcome<Participant> {
    Ok(Participant {
        conversation_id: row.conversation_id.into(),
        user_id: row.user_id.into(),
        role: parse(ParticipantRole::parse, "participant role", &row.role)?,
        joined_at: row.joined_at,
        last_read_at: row.last_read_at,
        last_read_seq: row.last_read_seq,
    })
}

pub(crate) fn attachment(row: message_file::Model) -> FileAttachment {
    FileAttachment {
        id: row.id.into(),
        file_name: row.file_name,
        file_size: row.file_size,
        file_type: row.file_type,
        file_url: row.file_url,
    }
}

pub(crate) fn message(row: message::Model, files: Vec<FileAttachment>) -> Outcome<Message> {
    Ok(Message {
        id: row.id.into(),
        conversation_id: row.conversation_id.into(),
        seq: row.seq,
        sender_id: row.sender_id.into(),
        content: row.content,
        kind: parse(MessageKind::parse, "message type", &row.kind)?,
        metadata: row.metadata,
        files,
        client_msg_id: row.client_msg_id,
        edited_at: row.edited_at,
        deleted_at: row.deleted_at,
        created_at: row.created_at,
    })
}

pub(crate) fn report(row: message_report::Model, conversation_id: Uuid) -> Outcome<Report> {
    Ok(Report {
        id: row.id.into(),
        message_id: row.message_id.into(),
        conversation_id: conversation_id.into(),
        reported_by: row.reported_by.into(),
        reason: row.reason,
        description: row.description,
        status: parse(ReportStatus::parse, "report status", &row.status)?,
        resolved_by: row.resolved_by.map(Into::into),
        resolved_at: row.resolved_at,
        created_at: row.created_at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    #[test]
    fn an_unknown_status_is_an_internal_error_not_a_panic() {
        let row = conversation::Model {
            id: Uuid::now_v7(),
            project_id: Uuid::now_v7(),
            title: None,
            kind: "project".into(),
            status: "frozen".into(),
            created_by: None,
            last_seq: 0,
            created_at: Utc::now(),
            updated_at: Utc::now(),
        };
        assert!(matches!(conversation(row), Err(Failure::Corrupt(_))));
    }
}
