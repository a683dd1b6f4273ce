//! The per-user limits on writes other than sends: each use case asks the limiter for its
//! own kind, and a refusal changes nothing.

use super::*;

/// Refuses one kind of action, admits the rest, and remembers what it was asked.
struct Refuse {
    kind: &'static str,
    asked: Mutex<Vec<LimitKind>>,
}

impl Refuse {
    fn new(kind: &'static str) -> Arc<Self> {
        Arc::new(Self {
            kind,
            asked: Mutex::new(Vec::new()),
        })
    }
}

#[async_trait]
impl RateLimiter for Refuse {
    async fn acquire(&self, _: UserId, kind: LimitKind) -> std::result::Result<(), Duration> {
        self.asked.lock().unwrap().push(kind);
        match kind.as_str() == self.kind {
            true => Err(Duration::from_secs(3)),
            false => Ok(()),
        }
    }
}

async fn limited(kind: &'static str) -> (World, Message) {
    let mut w = world().await;
    let message = w
        .services
        .send_message(&w.alice, w.conversation, text("hi", None), |_| {})
        .await
        .unwrap()
        .message;
    w.limit_with(Refuse::new(kind));
    w.events.0.lock().unwrap().clear();
    (w, message)
}

fn assert_limited<T: std::fmt::Debug>(result: Result<T>, kind: &str) {
    match result {
        Err(Error::RateLimited {
            kind: refused,
            retry_after,
        }) => {
            assert_eq!(refused, kind);
            assert_eq!(retry_after, Duration::from_secs(3));
        }
        other => panic!("expected {kind} to be rate limited, got {other:?}"),
    }
}

#[tokio::test]
async fn edits_and_deletes_share_the_edits_allowance_and_change_nothing_when_refused() {
    let (w, message) = limited("edits").await;
    let edit = EditMessageInput {
        content: "changed".into(),
    };
    assert_limited(
        w.services.edit_message(&w.alice, message.id, edit).await,
        "edits",
    );
    assert_limited(
        w.services.delete_message(&w.alice, message.id).await,
        "edits",
    );
    let stored = w
        .services
        .sync(&w.alice, w.conversation, 0, 10)
        .await
        .unwrap();
    assert_eq!(stored.messages[0].content, "hi");
    assert!(stored.messages[0].deleted_at.is_none());
    assert!(w.events.0.lock().unwrap().is_empty(), "nothing broadcast");
}

#[tokio::test]
async fn reactions_reports_and_reads_each_have_their_own_allowance() {
    let (w, message) = limited("reactions").await;
    let reaction = crate::input::ReactionInput {
        emoji: "👍".into()
    };
    assert_limited(
        w.services.react(&w.bob, message.id, reaction, true).await,
        "reactions",
    );

    let (w, message) = limited("reports").await;
    let report = crate::input::ReportInput {
        reason: "spam".into(),
        description: None,
    };
    assert_limited(
        w.services.report_message(&w.bob, message.id, report).await,
        "reports",
    );

    let (w, message) = limited("reads").await;
    assert_limited(
        w.services.mark_read(&w.bob, None, message.id).await,
        "reads",
    );
    assert!(w.events.0.lock().unwrap().is_empty(), "nothing broadcast");
}

#[tokio::test]
async fn members_are_limited_in_creating_conversations_and_admins_are_not() {
    let (w, _) = limited("conversations").await;
    let input = || CreateConversationInput {
        title: None,
        kind: None,
        participant_ids: vec![w.bob.user_id.to_string()],
    };
    assert_limited(
        w.services
            .create_conversation(&w.alice, w.project, input())
            .await,
        "conversations",
    );
    let admin = Identity {
        is_admin: true,
        ..Identity::user(UserId::new())
    };
    assert!(
        w.services
            .create_conversation(&admin, w.project, input())
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn typing_broadcasts_are_counted_per_user_and_conversation() {
    let mut w = world().await;
    let limiter = Refuse::new("typing");
    w.limit_with(limiter.clone());
    let wait = w
        .services
        .typing_allowance(w.alice.user_id, w.conversation)
        .await
        .unwrap_err();
    assert_eq!(wait, Duration::from_secs(3));
    assert_eq!(
        limiter.asked.lock().unwrap().as_slice(),
        [LimitKind::Typing(w.conversation)]
    );
}
