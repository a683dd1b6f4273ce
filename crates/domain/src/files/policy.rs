//! Who may read a file back. Pure, like `crate::policy`, so every case is tested without IO.

use super::StoredFile;
use crate::error::{Error, Result};
use crate::identity::Identity;
use crate::model::Message;
use crate::policy;
use crate::ports::Access;

/// Downloading: whoever may view the file's conversation (active participants and admins;
/// others are `forbidden`). Among participants, an upload no message attached yet is its
/// uploader's alone, and a deleted message's files go with its content (its sender keeps
/// them, as with the content): both look `not_found` to the others. `attached_to` is the
/// message the file is attached to, if it still exists.
pub fn may_download(
    actor: &Identity,
    access: &Access,
    file: &StoredFile,
    attached_to: Option<&Message>,
) -> Result<()> {
    policy::may_view(actor, access)?;
    if actor.is_admin || file.uploader_id == actor.user_id {
        return Ok(());
    }
    match attached_to {
        Some(message) if !message.is_deleted() => Ok(()),
        _ => Err(Error::NotFound("file")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{ConversationId, FileId, MessageId, UserId};
    use crate::model::{ConversationStatus, ConversationType, MessageKind, ParticipantRole};

    fn access(participant: Option<UserId>) -> Access {
        crate::policy::tests::access(
            ConversationType::Project,
            ConversationStatus::Active,
            participant.map(|_| ParticipantRole::Member),
            participant.unwrap_or_default(),
        )
    }

    fn file(uploader: UserId, attached: Option<MessageId>) -> StoredFile {
        let id = FileId::new();
        StoredFile {
            id,
            message_id: attached,
            conversation_id: ConversationId::new(),
            uploader_id: uploader,
            file_name: "a.png".into(),
            file_size: 1,
            file_type: "image/png".into(),
            file_url: super::super::file_url(id),
            storage_path: "c/a".into(),
            created_at: chrono::Utc::now(),
        }
    }

    fn message(sender: UserId, deleted: bool) -> Message {
        Message {
            id: MessageId::new(),
            conversation_id: ConversationId::new(),
            seq: 1,
            sender_id: sender,
            content: "see file".into(),
            kind: MessageKind::File,
            metadata: serde_json::json!({}),
            files: vec![],
            client_msg_id: None,
            edited_at: None,
            deleted_at: deleted.then(chrono::Utc::now),
            created_at: chrono::Utc::now(),
        }
    }

    fn code(result: Result<()>) -> &'static str {
        result.err().map_or("ok", |e| e.code())
    }

    #[test]
    fn participants_read_sent_files_and_outsiders_are_forbidden() {
        let (alice, bob, eve) = (UserId::new(), UserId::new(), UserId::new());
        let sent = message(alice, false);
        let f = file(alice, Some(sent.id));
        let reader = Identity::user(bob);
        assert_eq!(
            code(may_download(&reader, &access(Some(bob)), &f, Some(&sent))),
            "ok"
        );
        let outsider = Identity::user(eve);
        assert_eq!(
            code(may_download(&outsider, &access(None), &f, Some(&sent))),
            "forbidden"
        );
        let admin = Identity {
            is_admin: true,
            ..Identity::user(eve)
        };
        assert_eq!(
            code(may_download(&admin, &access(None), &f, Some(&sent))),
            "ok"
        );
    }

    #[test]
    fn drafts_and_deleted_messages_files_stay_with_their_owner() {
        let (alice, bob) = (UserId::new(), UserId::new());
        let draft = file(alice, None);
        let bob_reads = |f: &StoredFile, m: Option<&Message>| {
            code(may_download(&Identity::user(bob), &access(Some(bob)), f, m))
        };
        assert_eq!(bob_reads(&draft, None), "not_found");
        let alice_reads = may_download(&Identity::user(alice), &access(Some(alice)), &draft, None);
        assert_eq!(code(alice_reads), "ok");

        let deleted = message(alice, true);
        let gone = file(alice, Some(deleted.id));
        assert_eq!(bob_reads(&gone, Some(&deleted)), "not_found");
        // The message row vanished altogether.
        assert_eq!(bob_reads(&gone, None), "not_found");
        let sender = may_download(
            &Identity::user(alice),
            &access(Some(alice)),
            &gone,
            Some(&deleted),
        );
        assert_eq!(code(sender), "ok");
    }

    #[test]
    fn a_removed_uploader_is_forbidden_too() {
        let alice = UserId::new();
        let f = file(alice, None);
        assert_eq!(
            code(may_download(
                &Identity::user(alice),
                &access(None),
                &f,
                None
            )),
            "forbidden"
        );
    }
}
