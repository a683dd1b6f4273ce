//! Conversations as admins list them: every conversation (filtered), with its active
//! participants (and their names and emails), counts and last activity.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::cursor::PageCursor;
use crate::error::{Error, Result};
use crate::ids::{ProjectId, UserId};
use crate::input::page_limit;
use crate::model::{Conversation, ConversationStatus, Message, ParticipantRole};
use crate::time;

/// An active participant with the profile confab knows for them.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ParticipantDetails {
    /// The participant.
    pub user_id: UserId,
    /// Their role in the conversation.
    pub role: ParticipantRole,
    /// When they were added (UTC).
    #[serde(with = "time::rfc3339")]
    pub joined_at: DateTime<Utc>,
    /// From the user's token claims; absent for users confab has not seen sign in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// From the user's token claims, like `name`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

/// A conversation with what an admin needs to see at a glance.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ConversationDetails {
    /// The conversation itself (its fields inline on the wire).
    #[serde(flatten)]
    pub conversation: Conversation,
    /// Active participants, earliest joined first.
    pub participants: Vec<ParticipantDetails>,
    /// How many active participants there are.
    pub participant_count: i64,
    /// Every message ever sent here, soft-deleted ones included (they keep their `seq`).
    pub message_count: i64,
    /// When the newest message was sent; `null` in an empty conversation.
    #[serde(with = "time::rfc3339_opt")]
    pub last_message_at: Option<DateTime<Utc>>,
}

/// One conversation's details plus its last message (unredacted: admins see deleted content).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ConversationDetail {
    /// What the listing shows (its fields inline on the wire).
    #[serde(flatten)]
    pub details: ConversationDetails,
    /// The newest message, deleted or not; `null` in an empty conversation.
    pub last_message: Option<Message>,
}

/// A page of the admin listing.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ConversationPage {
    /// Newest first (by creation, then id).
    pub conversations: Vec<ConversationDetails>,
    /// Pass as `cursor` for the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// Which conversations to list; the filters combine (AND).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ConversationFilter {
    /// Only this project's conversations.
    pub project: Option<ProjectId>,
    /// Conversations this user actively takes part in.
    pub user: Option<UserId>,
    /// Only conversations in this status.
    pub status: Option<ConversationStatus>,
}

/// `GET /admin/conversations` query string, as it arrives.
#[derive(Clone, Debug, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
#[serde(rename_all = "camelCase")]
pub struct AdminConversationsQuery {
    /// Only this project's conversations.
    pub project_id: Option<String>,
    /// Only conversations this user actively takes part in.
    pub user_id: Option<String>,
    /// `active`, `archived` or `locked`.
    pub status: Option<String>,
    /// 1..=100, default 50.
    pub limit: Option<i64>,
    /// `nextCursor` of the previous page.
    pub cursor: Option<String>,
}

/// A listing request that passed validation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ValidConversationsQuery {
    /// Which conversations.
    pub filter: ConversationFilter,
    /// Page size, 1..=100.
    pub limit: u32,
    /// Start after this position (the previous page's last row); `None` for the first page.
    pub after: Option<PageCursor>,
}

impl AdminConversationsQuery {
    /// Validates the query string: a validation error names the parameter at fault (an
    /// unknown status, an id that is not a UUID, a limit out of range, a cursor not ours).
    pub fn parse(self) -> Result<ValidConversationsQuery> {
        let status = match present(self.status.as_deref()) {
            None => None,
            Some(s) => Some(ConversationStatus::parse(s).ok_or_else(|| {
                field_error("status", "must be one of: active, archived, locked")
            })?),
        };
        Ok(ValidConversationsQuery {
            filter: ConversationFilter {
                project: id_param("projectId", self.project_id.as_deref())?,
                user: id_param("userId", self.user_id.as_deref())?,
                status,
            },
            limit: page_limit(self.limit)?,
            after: present(self.cursor.as_deref())
                .map(PageCursor::decode)
                .transpose()?,
        })
    }
}

/// An empty query parameter counts as absent (`?status=` from a cleared form field).
pub(crate) fn present(value: Option<&str>) -> Option<&str> {
    value.map(str::trim).filter(|v| !v.is_empty())
}

/// A UUID query parameter; anything else is a 400 naming the field.
pub(crate) fn id_param<T: From<uuid::Uuid>>(field: &str, value: Option<&str>) -> Result<Option<T>> {
    present(value)
        .map(|v| {
            uuid::Uuid::parse_str(v)
                .map(T::from)
                .map_err(|_| field_error(field, "must be a UUID"))
        })
        .transpose()
}

pub(crate) fn field_error(field: &str, message: &str) -> Error {
    Error::Validation {
        message: format!("{field}: {message}"),
        details: Some(serde_json::json!({ field: message })),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_parse_and_bad_values_name_the_field() {
        let project = uuid::Uuid::new_v4();
        let query = AdminConversationsQuery {
            project_id: Some(project.to_string()),
            status: Some("locked".into()),
            user_id: Some(" ".into()),
            ..Default::default()
        };
        let valid = query.parse().unwrap();
        assert_eq!(valid.filter.project, Some(ProjectId::from(project)));
        assert_eq!(valid.filter.status, Some(ConversationStatus::Locked));
        assert_eq!(valid.filter.user, None);
        assert_eq!(valid.limit, 50);

        for (query, field) in [
            (
                AdminConversationsQuery {
                    status: Some("open".into()),
                    ..Default::default()
                },
                "status",
            ),
            (
                AdminConversationsQuery {
                    user_id: Some("bob".into()),
                    ..Default::default()
                },
                "userId",
            ),
            (
                AdminConversationsQuery {
                    limit: Some(0),
                    ..Default::default()
                },
                "limit",
            ),
            (
                AdminConversationsQuery {
                    cursor: Some("nope".into()),
                    ..Default::default()
                },
                "cursor",
            ),
        ] {
            let Err(Error::Validation {
                details: Some(details),
                ..
            }) = query.parse()
            else {
                panic!("expected a validation error for {field}")
            };
            assert!(details.get(field).is_some(), "{details}");
        }
    }
}
