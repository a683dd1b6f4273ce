//! The ports: what the use cases need from the outside world. Adapters implement them
//! (`confab-store` for the repositories, `confab-gateway` for the notifier,
//! `confab-cluster-state` or the in-process versions for presence and rate limits).

use std::time::Duration;

use async_trait::async_trait;

use crate::error::Result;
use crate::identity::Identity;
use crate::ids::{ConversationId, FileId, MessageId, ProjectId, ReportId, UserId};
use crate::model::{
    Conversation, ConversationStatus, ConversationSummary, Message, MessageKind, Participant,
    ParticipantRole, Project, ProjectMember, ProjectRole, ReadReceipt, Report, ReportStatus,
    SearchHit, User,
};
use crate::time::Timestamp;

/// Verifies a bearer token and returns who it names.
#[async_trait]
pub trait Authenticator: Send + Sync + 'static {
    /// `Err(Error::Unauthenticated)` for a missing, malformed, expired or foreign token.
    async fn authenticate(&self, token: &str) -> Result<Identity>;
}

/// The client address of a request or socket, as the HTTP layer determined it (the peer, or
/// the forwarded-for address behind a trusted proxy). Travels in request extensions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientAddr(pub std::net::IpAddr);

/// A per-address allowance of failed authentication (401s, refused handshakes): an address
/// over it is answered 429 / `rate_limited` until it has waited. Only failures count, so
/// authenticated traffic from a busy address is never slowed.
pub trait AddressLimiter: Send + Sync + 'static {
    /// How long `addr` must still wait, while it is over its allowance.
    fn blocked(&self, addr: std::net::IpAddr) -> Option<Duration>;
    /// Charges one failure to `addr`; how long it must wait when that put it over.
    fn failed(&self, addr: std::net::IpAddr) -> Option<Duration>;
}

/// The current time, behind a port so use cases never read the wall clock themselves.
/// [`SystemClock`] is the only implementation; no test substitutes a fixed clock today.
pub trait Clock: Send + Sync + 'static {
    /// Now, in UTC, truncated to microseconds (what both databases store).
    fn now(&self) -> Timestamp;
}

/// The wall clock, truncated to microseconds.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        crate::time::truncate_micros(chrono::Utc::now())
    }
}

/// Something that changed, for the real-time layer to fan out. Published only after the
/// change is durably stored.
#[derive(Clone, Debug, PartialEq)]
pub enum Event {
    /// A new message was stored (`message:new`).
    MessageCreated(Message),
    /// A message was edited or its reactions changed (`message:updated`).
    MessageUpdated(Message),
    /// A message was deleted (`message:deleted`); clients drop its content.
    MessageDeleted {
        /// The conversation whose room hears it.
        conversation_id: ConversationId,
        /// The deleted message.
        message_id: MessageId,
    },
    /// A participant's read marker moved forward (`message:read:update`).
    ReadUpdated(ReadReceipt),
    /// The user's sockets must leave the conversation's room at once, on every node.
    ParticipantRemoved {
        /// The conversation they were removed from.
        conversation_id: ConversationId,
        /// The removed user.
        user_id: UserId,
    },
}

/// Fans events out to connected clients. Failures are the notifier's to log: the change is
/// already stored and clients recover missed events with `message:sync`.
#[async_trait]
pub trait Notifier: Send + Sync + 'static {
    /// Delivers `event` to the sockets concerned, on every node; never fails the caller.
    async fn publish(&self, event: Event);

    /// About how many sockets on this node an event in `conversation` reaches (its fan-out
    /// here, which admission control weighs a send by). Cheap: an estimate at most a moment
    /// old is fine. Without real-time clients, 1.
    fn audience(&self, _conversation: ConversationId) -> u32 {
        1
    }
}

/// A notifier that drops everything (a node without real-time clients, and unit tests).
#[derive(Clone, Copy, Debug, Default)]
pub struct NoopNotifier;

#[async_trait]
impl Notifier for NoopNotifier {
    async fn publish(&self, _event: Event) {}
}

/// The rate-limited actions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LimitKind {
    /// Sending a message (REST or `message:send`).
    Messages,
    /// Uploading a file.
    Uploads,
    /// Searching a conversation.
    Searches,
    /// Edits and deletions of one's own messages.
    Edits,
    /// Adding or removing a reaction.
    Reactions,
    /// Reporting a message.
    Reports,
    /// Creating a conversation.
    Conversations,
    /// Read receipts (`message:read`, `POST /conversations/:id/read`).
    Reads,
    /// `user:typing` broadcasts, counted per user and conversation.
    Typing(ConversationId),
}

impl LimitKind {
    /// The name in settings, metrics labels and logs (`messages`, `typing`...).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Messages => "messages",
            Self::Uploads => "uploads",
            Self::Searches => "searches",
            Self::Edits => "edits",
            Self::Reactions => "reactions",
            Self::Reports => "reports",
            Self::Conversations => "conversations",
            Self::Reads => "reads",
            Self::Typing(_) => "typing",
        }
    }

    /// What the allowance is counted against besides the user, if anything (typing: the
    /// conversation). Limiters key their state by user, kind and scope.
    pub fn scope(self) -> Option<ConversationId> {
        match self {
            Self::Typing(conversation) => Some(conversation),
            _ => None,
        }
    }
}

/// Per-user rate limits, shared by REST and socket events (and by all nodes when backed by
/// Redis). An implementation whose backend fails lets the request through and logs.
#[async_trait]
pub trait RateLimiter: Send + Sync + 'static {
    /// `Err(retry_after)` when `user` has used up `kind`'s allowance.
    async fn acquire(&self, user: UserId, kind: LimitKind) -> std::result::Result<(), Duration>;
}

/// A rate limiter that admits everything.
#[derive(Clone, Copy, Debug, Default)]
pub struct Unlimited;

#[async_trait]
impl RateLimiter for Unlimited {
    async fn acquire(&self, _: UserId, _: LimitKind) -> std::result::Result<(), Duration> {
        Ok(())
    }
}

/// A message to store. The store assigns `seq`.
#[derive(Clone, Debug, PartialEq)]
pub struct NewMessage {
    /// The id, chosen by the use case (a UUIDv7).
    pub id: MessageId,
    /// Where it goes.
    pub conversation_id: ConversationId,
    /// Who sends it.
    pub sender_id: UserId,
    /// Validated text.
    pub content: String,
    /// Text, file or system.
    pub kind: MessageKind,
    /// Initial metadata (an empty object for client sends).
    pub metadata: serde_json::Value,
    /// Uploads to attach: the sender's, in this conversation, not attached yet.
    pub file_ids: Vec<FileId>,
    /// The sender's idempotency key, unique per conversation and sender.
    pub client_msg_id: Option<String>,
    /// The send time, which becomes the message's `created_at`.
    pub created_at: Timestamp,
}

/// The result of storing a message.
#[derive(Clone, Debug, PartialEq)]
pub enum Inserted {
    /// Stored now, with the next `seq`.
    Created(Message),
    /// A message with the same `(conversation, sender, clientMsgId)` was already stored.
    Existing(Message),
}

/// A conversation with the caller's membership, read in one query on the hot path.
#[derive(Clone, Debug, PartialEq)]
pub struct Access {
    /// The conversation as stored.
    pub conversation: Conversation,
    /// `None` when the caller is not (or no longer) a participant.
    pub participant: Option<Participant>,
}

/// A page of messages plus whether more lie beyond it.
#[derive(Clone, Debug, PartialEq)]
pub struct MessagePage {
    /// The page, in the order the query asked for.
    pub messages: Vec<Message>,
    /// Whether another page follows in the same direction.
    pub has_more: bool,
}

/// How a new conversation's participants relate to its project's members.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MemberRule {
    /// Every participant must be a member already; otherwise nothing is stored and the
    /// answer is 403 `not_a_project_member`.
    Require,
    /// Participants who are not members become members (ids not seen yet get a user row):
    /// a conversation an admin creates.
    Grant,
}

/// A participant to add when a conversation is created.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NewParticipant {
    /// Who to add.
    pub user_id: UserId,
    /// Their role in the conversation.
    pub role: ParticipantRole,
}

/// Users, as the tokens' claims describe them.
#[async_trait]
pub trait UserRepository: Send + Sync {
    /// Creates the user or updates its email and name from fresh claims.
    async fn upsert_user(&self, user: &User, now: Timestamp) -> Result<()>;
}

/// Projects and their members.
#[async_trait]
pub trait ProjectRepository: Send + Sync {
    /// Stores the project and its first members (role `member`; ids not seen yet get a user
    /// row) in one transaction.
    async fn create_project(&self, project: &Project, members: &[UserId]) -> Result<()>;
    /// Every project, newest first (the admin view).
    async fn list_projects(&self) -> Result<Vec<Project>>;
    /// The projects `user` is a member of, newest first.
    async fn projects_of(&self, user: UserId) -> Result<Vec<Project>>;
    /// Whether a project with this id exists.
    async fn project_exists(&self, id: ProjectId) -> Result<bool>;
    /// `user`'s role in the project; `None` when they are not a member.
    async fn project_role(&self, project: ProjectId, user: UserId) -> Result<Option<ProjectRole>>;
    /// The project's members, earliest added first.
    async fn list_members(&self, project: ProjectId) -> Result<Vec<ProjectMember>>;
    /// Makes `users` members, creating user rows for ids not seen yet. With a `role`, every
    /// listed user gets it; without, new members get `member` and existing ones keep theirs.
    async fn add_members(
        &self,
        project: ProjectId,
        users: &[UserId],
        role: Option<ProjectRole>,
        now: Timestamp,
    ) -> Result<()>;
    /// Ends `user`'s membership and their part in every conversation of the project, in one
    /// transaction. Returns the conversations they left, or `None` when they were not a
    /// member.
    async fn remove_member(
        &self,
        project: ProjectId,
        user: UserId,
        now: Timestamp,
    ) -> Result<Option<Vec<ConversationId>>>;
}

/// Conversations and their participants.
#[async_trait]
pub trait ConversationRepository: Send + Sync {
    /// Stores the conversation and its first participants in one transaction, checking or
    /// granting their project membership as `rule` says. Under [`MemberRule::Grant`] users
    /// unknown to confab get a placeholder user row, filled in on their first request.
    async fn create_conversation(
        &self,
        conversation: &Conversation,
        participants: &[NewParticipant],
        rule: MemberRule,
    ) -> Result<()>;
    /// The conversation with `user`'s active participation, in one query; `None` when the
    /// conversation does not exist.
    async fn access(&self, conversation: ConversationId, user: UserId) -> Result<Option<Access>>;
    /// Sets the status and/or the title (`Some(None)` clears it) and bumps `updated_at`;
    /// `None` when the conversation does not exist.
    async fn update_conversation(
        &self,
        id: ConversationId,
        status: Option<ConversationStatus>,
        title: Option<Option<String>>,
        now: Timestamp,
    ) -> Result<Option<Conversation>>;
    /// The project's conversations as `viewer` sees them: those they take part in, or all of
    /// them when `all` (admins).
    async fn list_conversations(
        &self,
        project: ProjectId,
        viewer: UserId,
        all: bool,
    ) -> Result<Vec<ConversationSummary>>;
    /// The active participants, earliest joined first.
    async fn list_participants(&self, conversation: ConversationId) -> Result<Vec<Participant>>;
    /// Adds the user, or re-activates (and re-roles) a former participant; makes them a
    /// member of the conversation's project if they are not one (a user row is created for
    /// an id not seen yet).
    async fn add_participant(
        &self,
        conversation: ConversationId,
        user: UserId,
        role: ParticipantRole,
        now: Timestamp,
    ) -> Result<Participant>;
    /// Marks the participant as gone; `false` when they were not an active participant.
    async fn remove_participant(
        &self,
        conversation: ConversationId,
        user: UserId,
        now: Timestamp,
    ) -> Result<bool>;
    /// Conversations the user actively takes part in.
    async fn conversations_of(&self, user: UserId) -> Result<Vec<ConversationId>>;
}

/// Messages, their edits, reactions, read markers and search index.
#[async_trait]
pub trait MessageRepository: Send + Sync {
    /// Assigns the next `seq` and stores the message in one transaction, attaching the
    /// listed files (which must be the sender's unattached uploads in this conversation).
    async fn insert_message(&self, message: NewMessage) -> Result<Inserted>;
    /// The message, deleted or not; `None` when no message has this id.
    async fn get_message(&self, id: MessageId) -> Result<Option<Message>>;
    /// The message `sender` stored with `client_msg_id` in `conversation`, if any.
    async fn find_by_client_msg_id(
        &self,
        conversation: ConversationId,
        sender: UserId,
        client_msg_id: &str,
    ) -> Result<Option<Message>>;
    /// Newest first, `seq < before_seq` when given.
    async fn list_messages(
        &self,
        conversation: ConversationId,
        before_seq: Option<i64>,
        limit: u32,
    ) -> Result<MessagePage>;
    /// Oldest first, `seq > after_seq`.
    async fn messages_after(
        &self,
        conversation: ConversationId,
        after_seq: i64,
        limit: u32,
    ) -> Result<MessagePage>;
    /// Replaces the content, keeping the previous one in the edit history.
    async fn edit_message(
        &self,
        id: MessageId,
        editor: UserId,
        content: &str,
        now: Timestamp,
    ) -> Result<Message>;
    /// Soft-deletes; `by` and `reason` are recorded for moderation.
    async fn delete_message(
        &self,
        id: MessageId,
        by: UserId,
        reason: Option<&str>,
        now: Timestamp,
    ) -> Result<Message>;
    /// Adds or removes `user`'s `emoji` reaction; `None` when nothing changed. Adding an
    /// emoji the message does not carry yet fails with `too_many_reactions` when it carries
    /// `max_emoji` distinct ones already (0: no cap).
    async fn set_reaction(
        &self,
        id: MessageId,
        user: UserId,
        emoji: &str,
        present: bool,
        max_emoji: u32,
    ) -> Result<Option<Message>>;
    /// Records a read receipt and moves the participant's read marker forward (never back).
    async fn mark_read(
        &self,
        message: &Message,
        user: UserId,
        now: Timestamp,
    ) -> Result<ReadReceipt>;
    /// Full-text search inside one conversation, best match first, deleted messages excluded.
    async fn search(
        &self,
        conversation: ConversationId,
        query: &str,
        limit: u32,
    ) -> Result<Vec<SearchHit>>;
}

/// Reports of messages, for moderation.
#[async_trait]
pub trait ReportRepository: Send + Sync {
    /// Stores a new report.
    async fn create_report(&self, report: &Report) -> Result<()>;
    /// Reports with `status` (all when `None`), newest first.
    async fn list_reports(&self, status: Option<ReportStatus>) -> Result<Vec<Report>>;
    /// The report; `None` when no report has this id.
    async fn get_report(&self, id: ReportId) -> Result<Option<Report>>;
    /// Moves the report to `status`: `reviewed` and `resolved` record `by` and `now`,
    /// `pending` clears them. `None` when no report has this id.
    async fn update_report(
        &self,
        id: ReportId,
        status: ReportStatus,
        by: UserId,
        now: Timestamp,
    ) -> Result<Option<Report>>;
}

/// Everything the use cases persist. One adapter implements it per backend.
#[async_trait]
pub trait Store:
    UserRepository
    + ProjectRepository
    + ConversationRepository
    + MessageRepository
    + ReportRepository
    + 'static
{
    /// Cheap round trip for readiness checks.
    async fn ping(&self) -> Result<()>;
}

/// Who is online: live sockets per user (and, in a cluster, per node), plus whether the
/// user's arrival has been announced. The store decides the transitions atomically so that,
/// across all nodes, `user:online` is announced once when a user's first socket appears and
/// `user:offline` once when the last one has gone.
#[async_trait]
pub trait Presence: Send + Sync + 'static {
    /// Records a live socket; `true` when the user's arrival should be announced (their first
    /// socket anywhere, and not announced already).
    async fn connect(&self, user: UserId, socket: &str) -> bool;
    /// Forgets a socket; `true` when the user has no live socket left anywhere (the caller
    /// then waits out the grace period and calls [`Presence::settle_offline`]).
    async fn disconnect(&self, user: UserId, socket: &str) -> bool;
    /// `true` when the user is still without sockets and their departure should now be
    /// announced (exactly one caller gets `true`).
    async fn settle_offline(&self, user: UserId) -> bool;
    /// Whether the user has a live socket (anywhere).
    async fn is_online(&self, user: UserId) -> bool;
    /// Periodic upkeep: refreshes this node's liveness and clears the sockets of nodes that
    /// died; returns users whose departure should now be announced. Single-node stores have
    /// nothing to do.
    async fn maintain(&self) -> Vec<UserId> {
        Vec::new()
    }
    /// Forgets every socket of this node (clean shutdown); returns users to announce gone.
    async fn leave_cluster(&self) -> Vec<UserId> {
        Vec::new()
    }
}

/// The result of checking a typing signal's expiry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TypingCheck {
    /// The signal expired now; the caller announces `isTyping: false` (exactly one caller).
    Expired,
    /// Still typing until this many milliseconds from now.
    Pending(u64),
    /// Already stopped or expired elsewhere.
    Gone,
}

/// Typing signals with expiry, shared by all nodes in a cluster.
#[async_trait]
pub trait TypingState: Send + Sync + 'static {
    /// Starts or refreshes a signal for `ttl_ms`; `true` when the user was not typing there.
    async fn start(&self, user: UserId, conversation: ConversationId, ttl_ms: u64) -> bool;
    /// `true` when the user was typing there (the caller announces the stop).
    async fn stop(&self, user: UserId, conversation: ConversationId) -> bool;
    /// Checks whether the signal has expired.
    async fn check(&self, user: UserId, conversation: ConversationId) -> TypingCheck;
}
