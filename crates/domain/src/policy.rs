//! Who may do what. Pure functions over the caller and what the store returned, so every
//! rule is unit-tested without IO.

use crate::error::{Error, Result};
use crate::identity::Identity;
use crate::model::{ConversationStatus, ConversationType, Message, ParticipantRole};
use crate::ports::Access;

/// App admins (the `app_metadata.role == "admin"` claim) only.
pub fn require_admin(actor: &Identity) -> Result<()> {
    if actor.is_admin {
        Ok(())
    } else {
        Err(Error::forbidden("this action needs the admin role"))
    }
}

/// Reading a conversation (messages, search, joining its room): participants and admins.
pub fn may_view(actor: &Identity, access: &Access) -> Result<()> {
    if access.participant.is_some() || actor.is_admin {
        Ok(())
    } else {
        Err(Error::forbidden(
            "you are not a participant of this conversation",
        ))
    }
}

/// Changing a conversation's messages (send, edit, react) needs it to be open.
pub fn require_open(access: &Access) -> Result<()> {
    match access.conversation.status {
        ConversationStatus::Active => Ok(()),
        ConversationStatus::Locked => Err(Error::Forbidden {
            code: "conversation_locked",
            message: "this conversation is locked".into(),
        }),
        ConversationStatus::Archived => Err(Error::Forbidden {
            code: "conversation_archived",
            message: "this conversation is archived".into(),
        }),
    }
}

/// Posting: an open conversation the caller may view; in announcement conversations only
/// owners, conversation admins and app admins post.
pub fn may_post(actor: &Identity, access: &Access) -> Result<()> {
    may_view(actor, access)?;
    require_open(access)?;
    if access.conversation.kind == ConversationType::Announcement && !actor.is_admin {
        let role = access.participant.as_ref().map(|p| p.role);
        if !matches!(role, Some(ParticipantRole::Owner | ParticipantRole::Admin)) {
            return Err(Error::Forbidden {
                code: "announcement_only",
                message: "only owners and admins post in announcement conversations".into(),
            });
        }
    }
    Ok(())
}

/// Editing: the sender, while still a participant, of a message not deleted, in an open
/// conversation.
pub fn may_edit(actor: &Identity, access: &Access, message: &Message) -> Result<()> {
    may_view(actor, access)?;
    if message.sender_id != actor.user_id {
        return Err(Error::forbidden("only the sender may edit a message"));
    }
    if message.is_deleted() {
        return Err(Error::Conflict("the message was deleted".into()));
    }
    require_open(access)
}

/// Deleting through the client API: the sender (still a participant) or an app admin.
pub fn may_delete(actor: &Identity, access: &Access, message: &Message) -> Result<()> {
    may_view(actor, access)?;
    if message.sender_id != actor.user_id && !actor.is_admin {
        return Err(Error::forbidden("only the sender may delete a message"));
    }
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::ids::{ConversationId, MessageId, ProjectId, UserId};
    use crate::model::{Conversation, MessageKind, Participant};

    /// What `user` may reach in a new conversation of `kind` and `status`, as a participant
    /// with `role` (`None`: not one).
    pub(crate) fn access(
        kind: ConversationType,
        status: ConversationStatus,
        role: Option<ParticipantRole>,
        user: UserId,
    ) -> Access {
        let now = chrono::Utc::now();
        let conversation = Conversation {
            id: ConversationId::new(),
            project_id: ProjectId::new(),
            title: None,
            kind,
            status,
            created_by: None,
            last_seq: 0,
            created_at: now,
            updated_at: now,
        };
        let participant = role.map(|role| Participant {
            conversation_id: conversation.id,
            user_id: user,
            role,
            joined_at: now,
            last_read_at: None,
            last_read_seq: 0,
        });
        Access {
            conversation,
            participant,
        }
    }

    fn message(sender: UserId) -> Message {
        Message {
            id: MessageId::new(),
            conversation_id: ConversationId::new(),
            seq: 1,
            sender_id: sender,
            content: "hi".into(),
            kind: MessageKind::Text,
            metadata: serde_json::json!({}),
            files: vec![],
            client_msg_id: None,
            edited_at: None,
            deleted_at: None,
            created_at: chrono::Utc::now(),
        }
    }

    #[test]
    fn outsiders_may_not_view_but_admins_may() {
        let me = Identity::user(UserId::new());
        let a = access(
            ConversationType::Project,
            ConversationStatus::Active,
            None,
            me.user_id,
        );
        assert_eq!(may_view(&me, &a).unwrap_err().code(), "forbidden");
        let admin = Identity {
            is_admin: true,
            ..me
        };
        assert!(may_view(&admin, &a).is_ok());
    }

    #[test]
    fn members_may_not_post_in_announcements_but_owners_may() {
        let me = Identity::user(UserId::new());
        let member = access(
            ConversationType::Announcement,
            ConversationStatus::Active,
            Some(ParticipantRole::Member),
            me.user_id,
        );
        assert_eq!(
            may_post(&me, &member).unwrap_err().code(),
            "announcement_only"
        );
        let owner = access(
            ConversationType::Announcement,
            ConversationStatus::Active,
            Some(ParticipantRole::Owner),
            me.user_id,
        );
        assert!(may_post(&me, &owner).is_ok());
    }

    #[test]
    fn locked_and_archived_conversations_take_no_messages() {
        let me = Identity {
            is_admin: true,
            ..Identity::user(UserId::new())
        };
        for (status, code) in [
            (ConversationStatus::Locked, "conversation_locked"),
            (ConversationStatus::Archived, "conversation_archived"),
        ] {
            let a = access(
                ConversationType::Project,
                status,
                Some(ParticipantRole::Owner),
                me.user_id,
            );
            assert_eq!(may_post(&me, &a).unwrap_err().code(), code);
        }
    }

    #[test]
    fn only_the_sender_edits_and_deleted_messages_stay_deleted() {
        let me = Identity::user(UserId::new());
        let a = access(
            ConversationType::Project,
            ConversationStatus::Active,
            Some(ParticipantRole::Member),
            me.user_id,
        );
        assert!(may_edit(&me, &a, &message(me.user_id)).is_ok());
        assert_eq!(
            may_edit(&me, &a, &message(UserId::new()))
                .unwrap_err()
                .code(),
            "forbidden"
        );
        let mut gone = message(me.user_id);
        gone.deleted_at = Some(chrono::Utc::now());
        assert_eq!(may_edit(&me, &a, &gone).unwrap_err().code(), "conflict");
    }
}
