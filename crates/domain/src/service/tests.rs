//! Use-case tests over an in-memory fake of the store (the real stores are tested against
//! PostgreSQL and SQLite in `confab-store` and `confab-http`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;

use super::*;
use crate::ids::{MessageId, ProjectId, ReportId};
use crate::input::{CreateConversationInput, EditMessageInput, SendMessageInput};
use crate::model::*;
use crate::ports::*;
use crate::time::Timestamp;

#[derive(Default)]
struct Fake {
    projects: Mutex<Vec<Project>>,
    members: Mutex<Vec<(ProjectId, UserId, ProjectRole)>>,
    conversations: Mutex<HashMap<ConversationId, Conversation>>,
    participants: Mutex<Vec<Participant>>,
    messages: Mutex<Vec<Message>>,
}

fn unused<T>() -> Result<T> {
    Err(Error::internal("not used by these tests"))
}

#[async_trait]
impl UserRepository for Fake {
    async fn upsert_user(&self, _: &User, _: Timestamp) -> Result<()> {
        Ok(())
    }
}

impl Fake {
    fn is_member(&self, project: ProjectId, user: UserId) -> bool {
        let members = self.members.lock().unwrap();
        members.iter().any(|(p, u, _)| *p == project && *u == user)
    }

    fn grant(&self, project: ProjectId, user: UserId) {
        if !self.is_member(project, user) {
            let member = (project, user, ProjectRole::Member);
            self.members.lock().unwrap().push(member);
        }
    }

    /// Applies `change` to the stored message `id` and returns the result.
    fn change_message(&self, id: MessageId, change: impl FnOnce(&mut Message)) -> Result<Message> {
        let mut messages = self.messages.lock().unwrap();
        let m = messages
            .iter_mut()
            .find(|m| m.id == id)
            .ok_or(Error::NotFound("message"))?;
        change(m);
        Ok(m.clone())
    }
}

#[async_trait]
impl ProjectRepository for Fake {
    async fn create_project(&self, p: &Project, members: &[UserId]) -> Result<()> {
        self.projects.lock().unwrap().push(p.clone());
        for user in members {
            self.grant(p.id, *user);
        }
        Ok(())
    }
    async fn list_projects(&self) -> Result<Vec<Project>> {
        Ok(self.projects.lock().unwrap().clone())
    }
    async fn projects_of(&self, user: UserId) -> Result<Vec<Project>> {
        let projects = self.projects.lock().unwrap().clone();
        Ok(projects
            .into_iter()
            .filter(|p| self.is_member(p.id, user))
            .collect())
    }
    async fn project_exists(&self, id: ProjectId) -> Result<bool> {
        Ok(self.projects.lock().unwrap().iter().any(|p| p.id == id))
    }
    async fn project_role(&self, project: ProjectId, user: UserId) -> Result<Option<ProjectRole>> {
        let members = self.members.lock().unwrap();
        Ok(members
            .iter()
            .find(|(p, u, _)| *p == project && *u == user)
            .map(|(_, _, role)| *role))
    }
    async fn list_members(&self, project: ProjectId) -> Result<Vec<ProjectMember>> {
        let members = self.members.lock().unwrap();
        Ok(members
            .iter()
            .filter(|(p, _, _)| *p == project)
            .map(|&(_, user_id, role)| ProjectMember {
                user_id,
                role,
                added_at: chrono::Utc::now(),
            })
            .collect())
    }
    async fn add_members(
        &self,
        project: ProjectId,
        users: &[UserId],
        _: Option<ProjectRole>,
        _: Timestamp,
    ) -> Result<()> {
        for user in users {
            self.grant(project, *user);
        }
        Ok(())
    }
    async fn remove_member(
        &self,
        project: ProjectId,
        user: UserId,
        _: Timestamp,
    ) -> Result<Option<Vec<ConversationId>>> {
        if !self.is_member(project, user) {
            return Ok(None);
        }
        self.members
            .lock()
            .unwrap()
            .retain(|(p, u, _)| !(*p == project && *u == user));
        let in_project: Vec<ConversationId> = self
            .conversations
            .lock()
            .unwrap()
            .values()
            .filter(|c| c.project_id == project)
            .map(|c| c.id)
            .collect();
        let mut left = Vec::new();
        self.participants.lock().unwrap().retain(|p| {
            let leaves = p.user_id == user && in_project.contains(&p.conversation_id);
            if leaves {
                left.push(p.conversation_id);
            }
            !leaves
        });
        Ok(Some(left))
    }
}

#[async_trait]
impl ConversationRepository for Fake {
    async fn create_conversation(
        &self,
        c: &Conversation,
        ps: &[NewParticipant],
        rule: MemberRule,
    ) -> Result<()> {
        for p in ps {
            match rule {
                MemberRule::Grant => self.grant(c.project_id, p.user_id),
                MemberRule::Require if !self.is_member(c.project_id, p.user_id) => {
                    return Err(Error::not_a_project_member("not a member"));
                }
                MemberRule::Require => {}
            }
        }
        self.conversations.lock().unwrap().insert(c.id, c.clone());
        for p in ps {
            self.participants.lock().unwrap().push(Participant {
                conversation_id: c.id,
                user_id: p.user_id,
                role: p.role,
                joined_at: c.created_at,
                last_read_at: None,
                last_read_seq: 0,
            });
        }
        Ok(())
    }
    async fn access(&self, c: ConversationId, u: UserId) -> Result<Option<Access>> {
        let Some(conversation) = self.conversations.lock().unwrap().get(&c).cloned() else {
            return Ok(None);
        };
        let participant = self
            .participants
            .lock()
            .unwrap()
            .iter()
            .find(|p| p.conversation_id == c && p.user_id == u)
            .cloned();
        Ok(Some(Access {
            conversation,
            participant,
        }))
    }
    async fn update_conversation(
        &self,
        id: ConversationId,
        s: Option<ConversationStatus>,
        _: Option<Option<String>>,
        _: Timestamp,
    ) -> Result<Option<Conversation>> {
        let mut all = self.conversations.lock().unwrap();
        let Some(c) = all.get_mut(&id) else {
            return Ok(None);
        };
        if let Some(s) = s {
            c.status = s;
        }
        Ok(Some(c.clone()))
    }
    async fn list_conversations(
        &self,
        _: ProjectId,
        _: UserId,
        _: bool,
    ) -> Result<Vec<ConversationSummary>> {
        unused()
    }
    async fn list_participants(&self, _: ConversationId) -> Result<Vec<Participant>> {
        unused()
    }
    async fn add_participant(
        &self,
        _: ConversationId,
        _: UserId,
        _: ParticipantRole,
        _: Timestamp,
    ) -> Result<Participant> {
        unused()
    }
    async fn remove_participant(&self, c: ConversationId, u: UserId, _: Timestamp) -> Result<bool> {
        let mut ps = self.participants.lock().unwrap();
        let before = ps.len();
        ps.retain(|p| !(p.conversation_id == c && p.user_id == u));
        Ok(ps.len() < before)
    }
    async fn conversations_of(&self, _: UserId) -> Result<Vec<ConversationId>> {
        unused()
    }
}

#[async_trait]
impl MessageRepository for Fake {
    async fn insert_message(&self, new: NewMessage) -> Result<Inserted> {
        let mut messages = self.messages.lock().unwrap();
        if let Some(existing) = messages.iter().find(|m| {
            m.conversation_id == new.conversation_id
                && m.sender_id == new.sender_id
                && new.client_msg_id.is_some()
                && m.client_msg_id == new.client_msg_id
        }) {
            return Ok(Inserted::Existing(existing.clone()));
        }
        let mut conversations = self.conversations.lock().unwrap();
        let conversation = conversations
            .get_mut(&new.conversation_id)
            .ok_or(Error::NotFound("conversation"))?;
        conversation.last_seq += 1;
        let message = Message {
            id: new.id,
            conversation_id: new.conversation_id,
            seq: conversation.last_seq,
            sender_id: new.sender_id,
            content: new.content,
            kind: new.kind,
            metadata: new.metadata,
            files: vec![],
            client_msg_id: new.client_msg_id,
            edited_at: None,
            deleted_at: None,
            created_at: new.created_at,
        };
        messages.push(message.clone());
        Ok(Inserted::Created(message))
    }
    async fn find_by_client_msg_id(
        &self,
        c: ConversationId,
        u: UserId,
        key: &str,
    ) -> Result<Option<Message>> {
        Ok(self
            .messages
            .lock()
            .unwrap()
            .iter()
            .find(|m| {
                m.conversation_id == c
                    && m.sender_id == u
                    && m.client_msg_id.as_deref() == Some(key)
            })
            .cloned())
    }
    async fn get_message(&self, id: MessageId) -> Result<Option<Message>> {
        Ok(self
            .messages
            .lock()
            .unwrap()
            .iter()
            .find(|m| m.id == id)
            .cloned())
    }
    async fn list_messages(
        &self,
        _: ConversationId,
        _: Option<i64>,
        _: u32,
    ) -> Result<MessagePage> {
        unused()
    }
    async fn messages_after(
        &self,
        c: ConversationId,
        after: i64,
        limit: u32,
    ) -> Result<MessagePage> {
        let all: Vec<Message> = self
            .messages
            .lock()
            .unwrap()
            .iter()
            .filter(|m| m.conversation_id == c && m.seq > after)
            .cloned()
            .collect();
        let has_more = all.len() > limit as usize;
        Ok(MessagePage {
            messages: all.into_iter().take(limit as usize).collect(),
            has_more,
        })
    }
    async fn edit_message(
        &self,
        id: MessageId,
        _: UserId,
        content: &str,
        now: Timestamp,
    ) -> Result<Message> {
        self.change_message(id, |m| {
            m.content = content.to_owned();
            m.edited_at = Some(now);
        })
    }
    async fn delete_message(
        &self,
        id: MessageId,
        _: UserId,
        _: Option<&str>,
        now: Timestamp,
    ) -> Result<Message> {
        self.change_message(id, |m| m.deleted_at = Some(now))
    }
    async fn set_reaction(
        &self,
        _: MessageId,
        _: UserId,
        _: &str,
        _: bool,
        _: u32,
    ) -> Result<Option<Message>> {
        unused()
    }
    async fn mark_read(&self, _: &Message, _: UserId, _: Timestamp) -> Result<ReadReceipt> {
        unused()
    }
    async fn search(&self, _: ConversationId, _: &str, _: u32) -> Result<Vec<SearchHit>> {
        unused()
    }
}

#[async_trait]
impl ReportRepository for Fake {
    async fn create_report(&self, _: &Report) -> Result<()> {
        unused()
    }
    async fn list_reports(&self, _: Option<ReportStatus>) -> Result<Vec<Report>> {
        unused()
    }
    async fn get_report(&self, _: ReportId) -> Result<Option<Report>> {
        unused()
    }
    async fn update_report(
        &self,
        _: ReportId,
        _: ReportStatus,
        _: UserId,
        _: Timestamp,
    ) -> Result<Option<Report>> {
        unused()
    }
}

#[async_trait]
impl Store for Fake {
    async fn ping(&self) -> Result<()> {
        Ok(())
    }
}

/// Tokens are user ids; `admin:<id>` is an admin.
struct UuidTokens;

#[async_trait]
impl Authenticator for UuidTokens {
    async fn authenticate(&self, token: &str) -> Result<Identity> {
        let (admin, id) = token
            .strip_prefix("admin:")
            .map_or((false, token), |id| (true, id));
        let user_id = id
            .parse()
            .map_err(|_| Error::Unauthenticated("bad token".into()))?;
        Ok(Identity {
            is_admin: admin,
            ..Identity::user(user_id)
        })
    }
}

#[derive(Default)]
struct Recorder(Mutex<Vec<Event>>);

#[async_trait]
impl Notifier for Recorder {
    async fn publish(&self, event: Event) {
        self.0.lock().unwrap().push(event);
    }
}

struct Capped(Mutex<u32>);

#[async_trait]
impl RateLimiter for Capped {
    async fn acquire(&self, _: UserId, _: LimitKind) -> std::result::Result<(), Duration> {
        let mut left = self.0.lock().unwrap();
        if *left == 0 {
            return Err(Duration::from_secs(2));
        }
        *left -= 1;
        Ok(())
    }
}

struct World {
    services: Services,
    store: Arc<Fake>,
    events: Arc<Recorder>,
    alice: Identity,
    bob: Identity,
    project: ProjectId,
    conversation: ConversationId,
}

fn services(store: Arc<Fake>, limiter: Arc<dyn RateLimiter>, events: Arc<Recorder>) -> Services {
    Services::builder(store, Arc::new(UuidTokens)).build(limiter, events)
}

/// An admin who is no participant of anything.
fn any_admin() -> Identity {
    Identity {
        is_admin: true,
        ..Identity::user(UserId::new())
    }
}

impl World {
    /// `who` sends `input` to the world's conversation.
    async fn send(&self, who: &Identity, input: SendMessageInput) -> Result<Sent> {
        self.services
            .send_message(who, self.conversation, input, |_| {})
            .await
    }

    /// The first ten messages of the world's conversation as `who` sees them.
    async fn synced(&self, who: &Identity) -> MessagePage {
        self.services
            .sync(who, self.conversation, 0, 10)
            .await
            .unwrap()
    }

    /// The events published so far, oldest first.
    fn events(&self) -> std::sync::MutexGuard<'_, Vec<Event>> {
        self.events.0.lock().unwrap()
    }

    /// The same store and recorder, now rate limited by `limiter`.
    fn limit_with(&mut self, limiter: Arc<dyn RateLimiter>) {
        self.services = services(self.store.clone(), limiter, self.events.clone());
    }
}

async fn world() -> World {
    let events = Arc::new(Recorder::default());
    let store = Arc::new(Fake::default());
    let services = services(store.clone(), Arc::new(Unlimited), events.clone());
    let admin = services
        .authenticate(&format!("admin:{}", UserId::new()))
        .await
        .unwrap();
    let alice = services
        .authenticate(&UserId::new().to_string())
        .await
        .unwrap();
    let bob = Identity::user(UserId::new());
    let input = crate::input::CreateProjectInput {
        name: "p".into(),
        member_ids: vec![alice.user_id.to_string(), bob.user_id.to_string()],
    };
    let project = services.create_project(&admin, input).await.unwrap();
    let input = CreateConversationInput {
        title: Some("t".into()),
        kind: None,
        participant_ids: vec![bob.user_id.to_string()],
    };
    let conversation = services
        .create_conversation(&alice, project.id, input)
        .await
        .unwrap()
        .id;
    World {
        services,
        store,
        events,
        alice,
        bob,
        project: project.id,
        conversation,
    }
}

fn text(content: &str, client_msg_id: Option<&str>) -> SendMessageInput {
    SendMessageInput {
        content: content.into(),
        kind: "text".into(),
        file_ids: vec![],
        client_msg_id: client_msg_id.map(Into::into),
    }
}

#[tokio::test]
async fn a_send_is_stored_acked_then_broadcast_once() {
    let w = world().await;
    let order = Arc::new(Mutex::new(Vec::new()));
    let seen = order.clone();
    let events = w.events.clone();
    let sent = w
        .services
        .send_message(
            &w.alice,
            w.conversation,
            text("hello", Some("c1")),
            move |sent| {
                seen.lock().unwrap().push(format!(
                    "ack {} after {} events",
                    sent.message.seq,
                    events.0.lock().unwrap().len()
                ));
            },
        )
        .await
        .unwrap();
    assert!(sent.created);
    assert_eq!(sent.message.seq, 1);
    assert_eq!(order.lock().unwrap().as_slice(), ["ack 1 after 0 events"]);
    assert_eq!(
        w.events().as_slice(),
        [Event::MessageCreated(sent.message.clone())]
    );

    let retry = w
        .services
        .send_message(&w.alice, w.conversation, text("hello", Some("c1")), |_| {})
        .await
        .unwrap();
    assert!(!retry.created);
    assert_eq!(retry.message.id, sent.message.id);
    assert_eq!(w.events().len(), 1, "a retry broadcasts nothing");
}

#[tokio::test]
async fn outsiders_cannot_send_and_nothing_is_stored() {
    let w = world().await;
    let outsider = Identity::user(UserId::new());
    let err = w
        .services
        .send_message(&outsider, w.conversation, text("hi", None), |_| {})
        .await
        .unwrap_err();
    assert_eq!(err.code(), "forbidden");
    let page = w.synced(&w.alice).await;
    assert!(page.messages.is_empty());
    assert!(w.events().is_empty());
}

#[tokio::test]
async fn an_unknown_conversation_is_not_found() {
    let w = world().await;
    let err = w
        .services
        .send_message(&w.alice, ConversationId::new(), text("hi", None), |_| {})
        .await
        .unwrap_err();
    assert_eq!(err.code(), "not_found");
}

#[tokio::test]
async fn the_rate_limit_answers_with_a_retry_time_and_stores_nothing() {
    let mut w = world().await;
    w.limit_with(Arc::new(Capped(Mutex::new(1))));
    w.send(&w.alice, text("one", None)).await.unwrap();
    let err = w.send(&w.alice, text("two", None)).await.unwrap_err();
    assert!(
        matches!(err, Error::RateLimited { retry_after, .. } if retry_after == Duration::from_secs(2))
    );
    assert_eq!(w.synced(&w.alice).await.messages.len(), 1);
}

#[tokio::test]
async fn a_retry_of_a_stored_message_is_answered_even_when_rate_limited() {
    let mut w = world().await;
    w.limit_with(Arc::new(Capped(Mutex::new(1))));
    let first = w
        .services
        .send_message(&w.alice, w.conversation, text("once", Some("k1")), |_| {})
        .await
        .unwrap();
    let retry = w
        .services
        .send_message(&w.alice, w.conversation, text("once", Some("k1")), |_| {})
        .await
        .unwrap();
    assert_eq!(retry.message.id, first.message.id);
    assert!(!retry.created);
    let err = w
        .services
        .send_message(&w.alice, w.conversation, text("new", Some("k2")), |_| {})
        .await
        .unwrap_err();
    assert_eq!(err.code(), "rate_limited");
}

#[tokio::test]
async fn deleted_messages_are_hidden_from_others_and_announced_once() {
    let w = world().await;
    let sent = w.send(&w.alice, text("secret", None)).await.unwrap();
    w.services
        .delete_message(&w.alice, sent.message.id)
        .await
        .unwrap();
    w.services
        .delete_message(&w.alice, sent.message.id)
        .await
        .unwrap();
    let deletions = w
        .events()
        .iter()
        .filter(|e| matches!(e, Event::MessageDeleted { .. }))
        .count();
    assert_eq!(deletions, 1);
    let for_bob = w.synced(&w.bob).await;
    assert_eq!(for_bob.messages[0].content, "");
    assert_eq!(for_bob.messages[0].seq, 1, "a deletion keeps its place");
    let for_alice = w.synced(&w.alice).await;
    assert_eq!(for_alice.messages[0].content, "secret");
}

#[tokio::test]
async fn only_the_sender_edits_and_an_edit_is_broadcast() {
    let w = world().await;
    let sent = w.send(&w.alice, text("draft", None)).await.unwrap();
    let err = w
        .services
        .edit_message(
            &w.bob,
            sent.message.id,
            EditMessageInput {
                content: "x".into(),
            },
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), "forbidden");
    let edited = w
        .services
        .edit_message(
            &w.alice,
            sent.message.id,
            EditMessageInput {
                content: "final".into(),
            },
        )
        .await
        .unwrap();
    assert_eq!(edited.content, "final");
    assert!(edited.edited_at.is_some());
    assert!(matches!(w.events().last(), Some(Event::MessageUpdated(m)) if m.content == "final"));
}

#[tokio::test]
async fn a_conversation_update_broadcasts_nothing_since_no_client_event_carries_it() {
    let w = world().await;
    let admin = any_admin();
    w.events().clear();
    let input = crate::input::UpdateConversationInput {
        status: Some("archived".into()),
        title: None,
    };
    let updated = w
        .services
        .update_conversation(&admin, w.conversation, input)
        .await
        .unwrap();
    assert_eq!(updated.status, ConversationStatus::Archived);
    assert!(w.events().is_empty());
}

#[tokio::test]
async fn a_removed_participant_loses_access_and_their_sockets_are_told() {
    let w = world().await;
    let admin = any_admin();
    w.services
        .remove_participant(&admin, w.conversation, w.bob.user_id)
        .await
        .unwrap();
    assert!(
        matches!(w.events().last(), Some(Event::ParticipantRemoved { user_id, .. }) if *user_id == w.bob.user_id)
    );
    assert_eq!(
        w.services
            .join(&w.bob, w.conversation)
            .await
            .unwrap_err()
            .code(),
        "forbidden"
    );
    assert_eq!(
        w.services
            .remove_participant(&admin, w.conversation, w.bob.user_id)
            .await
            .unwrap_err()
            .code(),
        "not_found"
    );
}

#[tokio::test]
async fn messaging_flags_bar_users_outside_the_rollout() {
    let w = world().await;
    w.services.set_flags(MessagingFlags {
        rollout_percentage: 0,
        ..MessagingFlags::default()
    });
    let err = w
        .services
        .authenticate(&UserId::new().to_string())
        .await
        .unwrap_err();
    assert_eq!(err.code(), "messaging_disabled");
    assert!(
        w.services
            .authenticate(&format!("admin:{}", UserId::new()))
            .await
            .is_ok()
    );
}

mod abuse;
mod membership;
