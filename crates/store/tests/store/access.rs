//! The one-query access check on the send path.

use confab_domain::ids::ConversationId;
use confab_domain::model::ParticipantRole;
use confab_domain::ports::ConversationRepository;
use confab_store::{Backend, Database};

use crate::support::{fixture, now};

pub(crate) async fn access_tells_participants_removed_participants_and_unknown_conversations_apart(
    db: &Database,
) {
    let f = fixture(db).await;
    let alice = f
        .store
        .access(f.conversation, f.alice)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(alice.conversation.id, f.conversation);
    assert_eq!(alice.conversation.title.as_deref(), Some("Launch"));
    let participant = alice.participant.unwrap();
    assert_eq!(participant.user_id, f.alice);
    assert_eq!(participant.role, ParticipantRole::Owner);
    assert_eq!(participant.last_read_seq, 0);

    let carol = f
        .store
        .access(f.conversation, f.carol)
        .await
        .unwrap()
        .unwrap();
    assert!(carol.participant.is_none());

    f.store
        .remove_participant(f.conversation, f.bob, now())
        .await
        .unwrap();
    let bob = f
        .store
        .access(f.conversation, f.bob)
        .await
        .unwrap()
        .unwrap();
    assert!(bob.participant.is_none());
    assert_eq!(bob.conversation.id, f.conversation);

    assert!(
        f.store
            .access(ConversationId::new(), f.alice)
            .await
            .unwrap()
            .is_none()
    );
}

/// Access checks made at once are read together (PostgreSQL's group reads) and each gets the
/// answer it gets alone: participant, non-participant, removed participant, no such
/// conversation, the same key twice.
pub(crate) async fn access_checks_made_at_once_each_get_their_own_answer(db: &Database) {
    let f = fixture(db).await;
    f.store
        .remove_participant(f.conversation, f.bob, now())
        .await
        .unwrap();
    let missing = ConversationId::new();
    let keys = [
        (f.conversation, f.alice),
        (f.conversation, f.bob),
        (f.conversation, f.carol),
        (missing, f.alice),
        (f.conversation, f.alice),
    ];
    let mut alone = Vec::new();
    for &(conversation, user) in &keys {
        alone.push(f.store.access(conversation, user).await.unwrap());
    }
    let before = f.store.group_read_stats();
    // Rounds of 200 checks at once, until some were read together (the first round almost
    // always is: 200 lookups queue while the first is read).
    for round in 0..10 {
        let lookups = (0..200).map(|n| {
            let (conversation, user) = keys[n % keys.len()];
            let store = std::sync::Arc::clone(&f.store);
            async move { store.access(conversation, user).await.unwrap() }
        });
        let answers = futures::future::join_all(lookups).await;
        for (n, answer) in answers.iter().enumerate() {
            assert_eq!(answer, &alone[n % keys.len()], "round {round}, lookup {n}");
        }
        if f.store.group_read_stats().batches > before.batches || db.backend() != Backend::Postgres
        {
            break;
        }
    }
    let stats = f.store.group_read_stats();
    match db.backend() {
        Backend::Postgres => assert!(stats.batches > before.batches, "{stats:?}"),
        Backend::Sqlite => assert_eq!(stats, Default::default()),
    }
}
