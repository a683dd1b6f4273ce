//! Reading history: pages back with `before`, catching up with `after`.

use std::collections::HashSet;

use confab_domain::ports::MessageRepository;
use confab_store::Database;

use crate::support::{fixture, now, send};

pub(crate) async fn paging_back_with_before_returns_every_message_once_in_order(db: &Database) {
    let f = fixture(db).await;
    for n in 1..=125 {
        send(&f.store, f.conversation, f.alice, &format!("m{n}")).await;
    }
    let mut seen = Vec::new();
    let mut before = None;
    loop {
        let page = f
            .store
            .list_messages(f.conversation, before, 20)
            .await
            .unwrap();
        assert!(page.messages.len() <= 20);
        seen.extend(page.messages.iter().map(|m| m.seq));
        before = page.messages.last().map(|m| m.seq);
        if !page.has_more {
            break;
        }
    }
    let expected: Vec<i64> = (1..=125).rev().collect();
    assert_eq!(seen, expected);

    let exact = f
        .store
        .list_messages(f.conversation, Some(21), 20)
        .await
        .unwrap();
    assert_eq!(exact.messages.len(), 20);
    assert!(!exact.has_more, "nothing lies before seq 1");
}

pub(crate) async fn messages_after_returns_what_was_missed_oldest_first_with_has_more(
    db: &Database,
) {
    let f = fixture(db).await;
    for n in 1..=12 {
        send(&f.store, f.conversation, f.bob, &format!("m{n}")).await;
    }
    let page = f.store.messages_after(f.conversation, 3, 5).await.unwrap();
    let seqs: Vec<i64> = page.messages.iter().map(|m| m.seq).collect();
    assert_eq!(seqs, vec![4, 5, 6, 7, 8]);
    assert!(page.has_more);

    let rest = f.store.messages_after(f.conversation, 8, 5).await.unwrap();
    let seqs: Vec<i64> = rest.messages.iter().map(|m| m.seq).collect();
    assert_eq!(seqs, vec![9, 10, 11, 12]);
    assert!(!rest.has_more);

    let none = f.store.messages_after(f.conversation, 12, 5).await.unwrap();
    assert!(none.messages.is_empty() && !none.has_more);
}

pub(crate) async fn deleted_messages_keep_their_place_in_pages(db: &Database) {
    let f = fixture(db).await;
    let mut ids = Vec::new();
    for n in 1..=3 {
        ids.push(
            send(&f.store, f.conversation, f.alice, &format!("m{n}"))
                .await
                .id,
        );
    }
    f.store
        .delete_message(ids[1], f.alice, None, now())
        .await
        .unwrap();
    let page = f
        .store
        .list_messages(f.conversation, None, 10)
        .await
        .unwrap();
    let seqs: Vec<i64> = page.messages.iter().map(|m| m.seq).collect();
    assert_eq!(seqs, vec![3, 2, 1]);
    assert!(page.messages[1].is_deleted());
    let after = f.store.messages_after(f.conversation, 0, 10).await.unwrap();
    let unique: HashSet<i64> = after.messages.iter().map(|m| m.seq).collect();
    assert_eq!(unique.len(), 3);
}
