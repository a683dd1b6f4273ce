//! Client input as it arrives (REST bodies and Socket.IO payloads share these shapes), the
//! garde rules that check it, and the validated values the use cases work with.
//!
//! Fields are kept as loose types (strings) so that a bad UUID or an unknown `type` becomes a
//! validation error naming the field, not an opaque decoding failure.

use garde::Validate;
use serde::Deserialize;

use crate::error::{Error, Result};
use crate::ids::{FileId, MessageId, UserId};
use crate::model::{
    ConversationStatus, ConversationType, MessageKind, ParticipantRole, ReportStatus,
};

mod projects;
pub use projects::{AddMembersInput, CreateProjectInput};

/// Message content: 1..=5000 characters (Unicode scalar values, not bytes or UTF-16 units).
pub const MAX_CONTENT_CHARS: usize = 5000;
/// At most this many files on one message.
pub const MAX_FILES_PER_MESSAGE: usize = 10;
/// At most this many user ids in one request (`participantIds`, `memberIds`, `userIds`).
pub const MAX_USER_IDS: usize = 1000;

fn not_blank(value: &str, ctx: &()) -> garde::Result {
    if value.trim().is_empty() {
        return Err(garde::Error::new("must contain a non-whitespace character"));
    }
    no_nul(value, ctx)
}

/// NUL cannot be stored in PostgreSQL text (and is never meaningful in a message).
fn no_nul(value: &str, _: &()) -> garde::Result {
    if value.contains('\0') {
        return Err(garde::Error::new("must not contain NUL characters"));
    }
    Ok(())
}

fn uuid_text(value: &str, _: &()) -> garde::Result {
    uuid::Uuid::parse_str(value)
        .map(|_| ())
        .map_err(|_| garde::Error::new("must be a UUID"))
}

fn one_of<T>(
    parse: fn(&str) -> Option<T>,
    all: &'static [&'static str],
) -> impl FnOnce(&str, &()) -> garde::Result {
    move |value, _| match parse(value) {
        Some(_) => Ok(()),
        None => Err(garde::Error::new(format!(
            "must be one of: {}",
            all.join(", ")
        ))),
    }
}

fn kind_names() -> &'static [&'static str] {
    &["text", "file"]
}

fn parse_send_kind(value: &str) -> Option<MessageKind> {
    MessageKind::parse(value).filter(|kind| *kind != MessageKind::System)
}

fn default_text() -> String {
    "text".to_owned()
}

fn parse_ids<T: From<uuid::Uuid>>(values: &[String]) -> Vec<T> {
    values
        .iter()
        .filter_map(|v| uuid::Uuid::parse_str(v).ok())
        .map(T::from)
        .collect()
}

fn checked<T: Validate<Context = ()>>(input: &T) -> Result<()> {
    input.validate().map_err(Error::from)
}

/// Refuses an array longer than `max` before any of its elements is looked at: garde checks
/// every element before the length rule, so 100k bad ids would cost 100k problems.
fn at_most(field: &str, len: usize, max: usize) -> Result<()> {
    if len > max {
        let problem = format!("must have at most {max} entries, not {len}");
        return Err(field_error(field, &problem));
    }
    Ok(())
}

/// Body of `POST /conversations/:id/messages` and the payload of `message:send`.
#[derive(Clone, Debug, Deserialize, Validate)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct SendMessageInput {
    /// The text: 1 to 5,000 characters, not only white space.
    #[garde(length(chars, min = 1, max = MAX_CONTENT_CHARS), custom(not_blank))]
    pub content: String,
    /// `text` (default) or `file`.
    #[serde(rename = "type", default = "default_text")]
    #[garde(custom(one_of(parse_send_kind, kind_names())))]
    pub kind: String,
    /// Uploads to attach (type `file` only): the sender's own, unattached, same conversation.
    #[serde(default)]
    #[garde(length(max = MAX_FILES_PER_MESSAGE), inner(custom(uuid_text)))]
    #[cfg_attr(feature = "openapi", schema(max_items = 10))]
    pub file_ids: Vec<String>,
    /// A client-chosen key that makes retries idempotent.
    #[serde(default)]
    #[garde(inner(length(chars, min = 1, max = 128), custom(no_nul)))]
    pub client_msg_id: Option<String>,
}

/// A send that passed validation: what [`Services::send_message`](crate::Services::send_message)
/// stores.
#[derive(Clone, Debug, PartialEq)]
pub struct ValidSend {
    /// The text as sent (not trimmed).
    pub content: String,
    /// `text` or `file`, never `system`.
    pub kind: MessageKind,
    /// The uploads to attach, at most ten.
    pub file_ids: Vec<FileId>,
    /// The idempotency key, 1 to 128 characters, if the client gave one.
    pub client_msg_id: Option<String>,
}

impl SendMessageInput {
    /// Checks a send as it came from a client (REST body or `message:send` payload) and
    /// returns the typed values, or a validation error naming the field at fault.
    ///
    /// ```
    /// use confab_domain::input::SendMessageInput;
    /// use confab_domain::model::MessageKind;
    ///
    /// let input: SendMessageInput = serde_json::from_value(serde_json::json!({
    ///     "content": "hello",
    ///     "clientMsgId": "c-1",
    /// }))?;
    /// let send = input.parse()?;
    /// assert_eq!(send.kind, MessageKind::Text); // `type` defaults to "text"
    /// assert_eq!(send.client_msg_id.as_deref(), Some("c-1"));
    ///
    /// // A file message needs files; the error says which field and why.
    /// let input: SendMessageInput = serde_json::from_value(serde_json::json!({
    ///     "content": "the report",
    ///     "type": "file",
    /// }))?;
    /// let error = input.parse().unwrap_err();
    /// assert_eq!(error.code(), "validation_failed");
    /// assert_eq!(error.to_string(), "fileIds: a file message needs at least one file id");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// Blank content, more than [`MAX_CONTENT_CHARS`] characters, an unknown `type` (or
    /// `system`, which only the server writes) and malformed file ids are refused too.
    pub fn parse(self) -> Result<ValidSend> {
        at_most("fileIds", self.file_ids.len(), MAX_FILES_PER_MESSAGE)?;
        checked(&self)?;
        let kind = parse_send_kind(&self.kind).unwrap_or(MessageKind::Text);
        let mut file_ids: Vec<FileId> = parse_ids(&self.file_ids);
        file_ids.dedup();
        match kind {
            MessageKind::File if file_ids.is_empty() => {
                return Err(field_error(
                    "fileIds",
                    "a file message needs at least one file id",
                ));
            }
            MessageKind::Text if !file_ids.is_empty() => {
                return Err(field_error(
                    "fileIds",
                    "only messages of type \"file\" carry files",
                ));
            }
            _ => {}
        }
        Ok(ValidSend {
            content: self.content,
            kind,
            file_ids,
            client_msg_id: self.client_msg_id,
        })
    }
}

fn field_error(field: &str, message: &str) -> Error {
    Error::Validation {
        message: format!("{field}: {message}"),
        details: Some(serde_json::json!({ field: message })),
    }
}

/// Body of `PATCH /messages/:id`.
#[derive(Clone, Debug, Deserialize, Validate)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct EditMessageInput {
    /// The new text, under the same rules as a send's.
    #[garde(length(chars, min = 1, max = MAX_CONTENT_CHARS), custom(not_blank))]
    pub content: String,
}

impl EditMessageInput {
    /// The new content of an edited message, under the same rules as a send's.
    ///
    /// ```
    /// use confab_domain::input::EditMessageInput;
    ///
    /// let edit = EditMessageInput { content: "fixed typo".into() };
    /// assert_eq!(edit.parse()?, "fixed typo");
    /// let blank = EditMessageInput { content: " \n ".into() };
    /// assert_eq!(blank.parse().unwrap_err().code(), "validation_failed");
    /// # Ok::<(), confab_domain::Error>(())
    /// ```
    pub fn parse(self) -> Result<String> {
        checked(&self)?;
        Ok(self.content)
    }
}

/// Body of `POST /projects/:projectId/conversations`.
#[derive(Clone, Debug, Deserialize, Validate)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct CreateConversationInput {
    /// Optional title, at most 255 characters; blank means none.
    #[serde(default)]
    #[garde(inner(length(chars, max = 255), custom(no_nul)))]
    pub title: Option<String>,
    /// `project` (default), `support` or `announcement`.
    #[serde(rename = "type", default)]
    #[garde(inner(custom(one_of(ConversationType::parse, &["project", "support", "announcement"]))))]
    pub kind: Option<String>,
    /// Other participants; each must be a member of the project (admins: each becomes one).
    #[serde(default)]
    #[garde(length(max = MAX_USER_IDS), inner(custom(uuid_text)))]
    #[cfg_attr(feature = "openapi", schema(max_items = 1000))]
    pub participant_ids: Vec<String>,
}

/// A conversation to create, validated.
#[derive(Clone, Debug, PartialEq)]
pub struct ValidConversation {
    /// The title trimmed; `None` when absent or blank.
    pub title: Option<String>,
    /// The type, `project` when not given.
    pub kind: ConversationType,
    /// The other participants, sorted and without repeats.
    pub participant_ids: Vec<UserId>,
}

impl CreateConversationInput {
    /// Validates the body: a validation error names each field at fault (more than 1,000
    /// participant ids are refused before any is looked at).
    pub fn parse(self) -> Result<ValidConversation> {
        at_most("participantIds", self.participant_ids.len(), MAX_USER_IDS)?;
        checked(&self)?;
        let kind = self
            .kind
            .as_deref()
            .and_then(ConversationType::parse)
            .unwrap_or(ConversationType::Project);
        let participant_ids = distinct_ids(&self.participant_ids);
        let title = self
            .title
            .map(|t| t.trim().to_owned())
            .filter(|t| !t.is_empty());
        Ok(ValidConversation {
            title,
            kind,
            participant_ids,
        })
    }
}

/// Body of `POST /messages/:id/reactions`.
#[derive(Clone, Debug, Deserialize, Validate)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReactionInput {
    /// The emoji: 1 to 16 characters, no white space or control characters.
    #[garde(length(chars, min = 1, max = 16), custom(no_whitespace))]
    pub emoji: String,
}

fn no_whitespace(value: &str, _: &()) -> garde::Result {
    if value.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(garde::Error::new("must not contain whitespace"));
    }
    Ok(())
}

impl ReactionInput {
    /// The emoji, or a validation error.
    pub fn parse(self) -> Result<String> {
        checked(&self)?;
        Ok(self.emoji)
    }
}

/// Body of `POST /messages/:id/report`.
#[derive(Clone, Debug, Deserialize, Validate)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ReportInput {
    /// Why, 1 to 100 characters, not blank.
    #[garde(length(chars, min = 1, max = 100), custom(not_blank))]
    pub reason: String,
    /// Optional details, at most 2,000 characters.
    #[serde(default)]
    #[garde(inner(length(chars, max = 2000), custom(no_nul)))]
    pub description: Option<String>,
}

impl ReportInput {
    /// The trimmed reason and the description as given, or a validation error.
    pub fn parse(self) -> Result<(String, Option<String>)> {
        checked(&self)?;
        Ok((self.reason.trim().to_owned(), self.description))
    }
}

/// Body of `POST /conversations/:id/read` and the payload of `message:read`.
#[derive(Clone, Debug, Deserialize, Validate)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ReadInput {
    /// The newest message read (a UUID); the server finds its conversation.
    #[garde(custom(uuid_text))]
    pub message_id: String,
}

impl ReadInput {
    /// The message id, or a validation error for anything but a UUID.
    pub fn parse(self) -> Result<MessageId> {
        checked(&self)?;
        Ok(parse_ids(std::slice::from_ref(&self.message_id))
            .into_iter()
            .next()
            .unwrap_or_default())
    }
}

fn distinct_ids(values: &[String]) -> Vec<UserId> {
    let mut ids: Vec<UserId> = parse_ids(values);
    ids.sort();
    ids.dedup();
    ids
}

/// Body of `POST /admin/conversations/:id/participants`.
#[derive(Clone, Debug, Deserialize, Validate)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct AddParticipantInput {
    /// The user to add (a UUID; a user not seen yet gets a placeholder row).
    #[garde(custom(uuid_text))]
    pub user_id: String,
    /// `member` (default), `admin` or `owner`.
    #[serde(default)]
    #[garde(inner(custom(one_of(ParticipantRole::parse, &["owner", "admin", "member"]))))]
    pub role: Option<String>,
}

impl AddParticipantInput {
    /// The user and the role (`member` when not given), or a validation error.
    pub fn parse(self) -> Result<(UserId, ParticipantRole)> {
        checked(&self)?;
        let user = parse_ids(std::slice::from_ref(&self.user_id))
            .into_iter()
            .next()
            .unwrap_or_default();
        let role = self
            .role
            .as_deref()
            .and_then(ParticipantRole::parse)
            .unwrap_or(ParticipantRole::Member);
        Ok((user, role))
    }
}

/// Body of `PATCH /admin/conversations/:id`: at least one field.
#[derive(Clone, Debug, Deserialize, Validate)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UpdateConversationInput {
    /// The new status: `active`, `archived` or `locked`.
    #[serde(default)]
    #[garde(inner(custom(one_of(ConversationStatus::parse, &["active", "archived", "locked"]))))]
    pub status: Option<String>,
    /// The new title, at most 255 characters; an empty one clears it.
    #[serde(default)]
    #[garde(inner(length(chars, max = 255), custom(no_nul)))]
    pub title: Option<String>,
}

/// A validated change to a conversation; `None` fields stay as they are.
#[derive(Clone, Debug, PartialEq)]
pub struct ConversationChange {
    /// The new status.
    pub status: Option<ConversationStatus>,
    /// The new title, trimmed; `Some("")` clears it.
    pub title: Option<String>,
}

impl UpdateConversationInput {
    /// The change, or a validation error (also when neither field is given).
    pub fn parse(self) -> Result<ConversationChange> {
        checked(&self)?;
        if self.status.is_none() && self.title.is_none() {
            return Err(Error::validation("give at least one of status, title"));
        }
        Ok(ConversationChange {
            status: self.status.as_deref().and_then(ConversationStatus::parse),
            title: self.title.map(|t| t.trim().to_owned()),
        })
    }
}

/// Body of `PATCH /admin/reports/:id`.
#[derive(Clone, Debug, Deserialize, Validate)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UpdateReportInput {
    /// `pending`, `reviewed` or `resolved`.
    #[garde(custom(one_of(ReportStatus::parse, &["pending", "reviewed", "resolved"])))]
    pub status: String,
}

impl UpdateReportInput {
    /// The status, or a validation error.
    pub fn parse(self) -> Result<ReportStatus> {
        checked(&self)?;
        ReportStatus::parse(&self.status).ok_or_else(|| Error::validation("unknown status"))
    }
}

/// `limit` of a page: 1..=100, 50 by default.
///
/// ```
/// use confab_domain::input::page_limit;
///
/// assert_eq!(page_limit(None)?, 50);
/// assert_eq!(page_limit(Some(100))?, 100);
/// assert!(page_limit(Some(0)).is_err());
/// assert!(page_limit(Some(101)).is_err());
/// # Ok::<(), confab_domain::Error>(())
/// ```
pub fn page_limit(limit: Option<i64>) -> Result<u32> {
    page_limit_up_to(limit, 50, 100)
}

/// `limit` of a page of at most `max` items, `default` when not given (`message:sync`'s
/// pages are larger than REST's).
pub fn page_limit_up_to(limit: Option<i64>, default: u32, max: u32) -> Result<u32> {
    match limit {
        None => Ok(default),
        Some(n) if (1..=i64::from(max)).contains(&n) => Ok(u32::try_from(n).unwrap_or(default)),
        Some(_) => Err(field_error(
            "limit",
            &format!("must be between 1 and {max}"),
        )),
    }
}

/// A search query: 1..=256 characters after trimming.
///
/// ```
/// use confab_domain::input::search_query;
///
/// assert_eq!(search_query(Some("  release notes ")).unwrap(), "release notes");
/// assert!(search_query(Some("   ")).is_err());
/// assert!(search_query(None).is_err());
/// ```
pub fn search_query(q: Option<&str>) -> Result<String> {
    let q = q.map(str::trim).unwrap_or_default();
    if q.is_empty() || q.chars().count() > 256 || q.contains('\0') {
        return Err(field_error("q", "must be 1 to 256 characters"));
    }
    Ok(q.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn send(content: &str) -> SendMessageInput {
        SendMessageInput {
            content: content.to_owned(),
            kind: "text".into(),
            file_ids: vec![],
            client_msg_id: None,
        }
    }

    #[test]
    fn content_is_measured_in_characters_not_bytes() {
        assert!(send(&"a".repeat(5000)).parse().is_ok());
        assert!(send(&"a".repeat(5001)).parse().is_err());
        // 5000 four-byte characters: 20000 bytes, 10000 UTF-16 units, still 5000 characters.
        assert!(send(&"😀".repeat(5000)).parse().is_ok());
        assert!(send(&"é".repeat(5001)).parse().is_err());
    }

    #[test]
    fn empty_or_blank_content_is_rejected() {
        assert!(send("").parse().is_err());
        assert!(send("  \n\t").parse().is_err());
    }

    #[test]
    fn nul_characters_are_rejected_everywhere() {
        assert!(send("a\0b").parse().is_err());
        let mut input = send("ok");
        input.client_msg_id = Some("k\0".into());
        assert!(input.parse().is_err());
        let title = CreateConversationInput {
            title: Some("t\0".into()),
            kind: None,
            participant_ids: vec![],
        };
        assert!(title.parse().is_err());
        assert!(search_query(Some("a\0")).is_err());
    }

    #[test]
    fn unknown_types_and_bad_file_ids_name_the_field() {
        let mut input = send("hi");
        input.kind = "video".into();
        let Err(Error::Validation {
            details: Some(details),
            ..
        }) = input.parse()
        else {
            panic!("expected a validation error")
        };
        assert!(details.get("type").is_some(), "{details}");

        let mut input = send("hi");
        input.kind = "file".into();
        input.file_ids = vec!["nope".into()];
        let Err(Error::Validation {
            details: Some(details),
            ..
        }) = input.parse()
        else {
            panic!("expected a validation error")
        };
        assert!(details.get("fileIds[0]").is_some(), "{details}");
    }

    fn problems(error: Error) -> (String, serde_json::Map<String, serde_json::Value>) {
        match error {
            Error::Validation {
                message,
                details: Some(serde_json::Value::Object(details)),
            } => (message, details),
            other => panic!("expected a validation error with details, got {other:?}"),
        }
    }

    #[test]
    fn too_many_file_ids_are_refused_by_their_count_before_any_is_checked() {
        let mut input = send("hi");
        input.kind = "file".into();
        input.file_ids = vec!["bad".into(); 100_000];
        let (message, details) = problems(input.parse().unwrap_err());
        assert_eq!(details.len(), 1, "{details:?}");
        assert!(details["fileIds"].as_str().unwrap().contains("at most 10"));
        assert!(message.len() < 200, "{message}");
    }

    #[test]
    fn a_validation_error_lists_at_most_twenty_problems() {
        let input = CreateConversationInput {
            title: None,
            kind: None,
            participant_ids: vec!["not-a-uuid".into(); 1000],
        };
        let (message, details) = problems(input.parse().unwrap_err());
        assert_eq!(details.len(), crate::error::MAX_PROBLEMS);
        assert!(message.contains("and 980 more problems"), "{message}");
        let too_many = CreateConversationInput {
            title: None,
            kind: None,
            participant_ids: vec!["not-a-uuid".into(); 1001],
        };
        let (_, details) = problems(too_many.parse().unwrap_err());
        assert_eq!(details.len(), 1, "the count is checked first");
    }

    #[test]
    fn a_file_message_needs_files_and_a_text_message_has_none() {
        let mut input = send("see attached");
        input.kind = "file".into();
        assert!(input.clone().parse().is_err());
        input.file_ids = vec![uuid::Uuid::new_v4().to_string()];
        assert_eq!(input.clone().parse().unwrap().file_ids.len(), 1);
        input.kind = "text".into();
        assert!(input.parse().is_err());
    }

    #[test]
    fn page_limits_are_bounded() {
        assert_eq!(page_limit(None).unwrap(), 50);
        assert_eq!(page_limit(Some(100)).unwrap(), 100);
        assert!(page_limit(Some(0)).is_err());
        assert!(page_limit(Some(101)).is_err());
        assert_eq!(page_limit_up_to(None, 100, 500).unwrap(), 100);
        assert_eq!(page_limit_up_to(Some(500), 100, 500).unwrap(), 500);
        assert!(page_limit_up_to(Some(501), 100, 500).is_err());
    }

    #[test]
    fn a_conversation_defaults_to_project_type_and_dedupes_participants() {
        let id = uuid::Uuid::new_v4().to_string();
        let input = CreateConversationInput {
            title: Some("  ".into()),
            kind: None,
            participant_ids: vec![id.clone(), id],
        };
        let valid = input.parse().unwrap();
        assert_eq!(valid.kind, ConversationType::Project);
        assert_eq!(valid.participant_ids.len(), 1);
        assert_eq!(valid.title, None);
    }
}
