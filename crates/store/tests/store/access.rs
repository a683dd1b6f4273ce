//! The one-query access check on the send path.

use confab_domain::ids::ConversationId;
use confab_domain::model::ParticipantRole;
use confab_domain::ports::ConversationRepository;
use confab_store::Database;

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
