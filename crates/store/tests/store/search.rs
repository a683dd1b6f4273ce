//! Full-text search: stemming, ranking, highlights, and input that must never break it.

use confab_domain::ports::MessageRepository;
use confab_store::{Backend, Database};
use sea_orm::{ConnectionTrait, Statement};

use crate::support::{fixture, now, send};

pub(crate) async fn search_stems_ranks_and_highlights(db: &Database) {
    let f = fixture(db).await;
    let once = send(
        &f.store,
        f.conversation,
        f.alice,
        "I was running late for the standup",
    )
    .await;
    let thrice = send(
        &f.store,
        f.conversation,
        f.bob,
        "run, run, run to the standup",
    )
    .await;
    send(
        &f.store,
        f.conversation,
        f.bob,
        "walking home after the standup",
    )
    .await;

    let hits = f.store.search(f.conversation, "run", 10).await.unwrap();
    let ids: Vec<_> = hits.iter().map(|hit| hit.message.id).collect();
    assert_eq!(ids, vec![thrice.id, once.id], "best match first");
    assert!(
        hits[0].rank > hits[1].rank,
        "{} > {}",
        hits[0].rank,
        hits[1].rank
    );
    assert!(hits[1].rank > 0.0);
    assert!(
        hits[0].highlight.contains("<mark>run</mark>"),
        "{}",
        hits[0].highlight
    );
    assert!(
        hits[1].highlight.contains("<mark>running</mark>"),
        "{}",
        hits[1].highlight
    );
    assert_eq!(hits[1].message, once);

    let both = f
        .store
        .search(f.conversation, "running standup", 10)
        .await
        .unwrap();
    assert_eq!(both.len(), 2, "every word must match, each stemmed");
    let limited = f.store.search(f.conversation, "standup", 1).await.unwrap();
    assert_eq!(limited.len(), 1);
}

/// Stored XSS: a highlight is the content HTML-escaped, with `<mark>` tags around the
/// matches and no other markup, whatever the sender wrote (markup, entities, our own tags).
pub(crate) async fn highlights_are_escaped_html_with_marks_only_around_matches(db: &Database) {
    let f = fixture(db).await;
    let content =
        r#"<img src=x onerror="alert('xss')"> zebrafish & <mark>zebra</mark> <script>x</script>"#;
    send(&f.store, f.conversation, f.alice, content).await;
    let hits = f
        .store
        .search(f.conversation, "zebrafish", 10)
        .await
        .unwrap();
    assert_eq!(hits.len(), 1);
    let highlight = &hits[0].highlight;
    assert!(highlight.contains("<mark>zebrafish</mark>"), "{highlight}");
    assert!(highlight.contains("&amp;"), "{highlight}");
    if db.backend() == Backend::Sqlite {
        // FTS5 returns the whole content; PostgreSQL's fragments leave tag tokens out.
        let img = "&lt;img src=x onerror=&quot;alert(&#39;xss&#39;)&quot;&gt;";
        assert!(highlight.contains(img), "{highlight}");
        assert!(highlight.contains("&lt;mark&gt;zebra"), "{highlight}");
    }
    let rest = highlight.replace("<mark>", "").replace("</mark>", "");
    assert!(
        !rest.contains('<') && !rest.contains('>'),
        "markup beyond the marks: {highlight}"
    );
    assert_eq!(
        highlight.matches("<mark>").count(),
        highlight.matches("</mark>").count()
    );
}

pub(crate) async fn search_leaves_out_deleted_messages_and_other_conversations(db: &Database) {
    let f = fixture(db).await;
    let other = f.alices_own_conversation().await;
    let gone = send(&f.store, f.conversation, f.alice, "secret launch codes").await;
    let kept = send(&f.store, f.conversation, f.alice, "launch party on friday").await;
    send(&f.store, other, f.alice, "launch elsewhere").await;
    f.store
        .delete_message(gone.id, f.alice, None, now())
        .await
        .unwrap();

    let hits = f.store.search(f.conversation, "launch", 10).await.unwrap();
    let ids: Vec<_> = hits.iter().map(|hit| hit.message.id).collect();
    assert_eq!(ids, vec![kept.id]);
}

pub(crate) async fn search_sees_edits(db: &Database) {
    let f = fixture(db).await;
    let message = send(&f.store, f.conversation, f.alice, "apples for lunch").await;
    f.store
        .edit_message(message.id, f.alice, "oranges for lunch", now())
        .await
        .unwrap();
    assert!(
        f.store
            .search(f.conversation, "apples", 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        f.store
            .search(f.conversation, "orange", 10)
            .await
            .unwrap()
            .len(),
        1
    );
    assert_index_consistent(db).await;
}

pub(crate) async fn hostile_search_input_never_errors(db: &Database) {
    let f = fixture(db).await;
    send(
        &f.store,
        f.conversation,
        f.alice,
        "a plain message about NEAR misses",
    )
    .await;
    let inputs = [
        r#""a" OR ("#,
        "NEAR(",
        "NEAR(a b, 2)",
        "*",
        "\"",
        "\"\"\"",
        "-",
        "AND OR NOT",
        "col:umn",
        "^start",
        "a* OR b*",
        "'); DROP TABLE messages; --",
        "",
        "   ",
        "{}[]()<>",
        "ünïcödé 🎉",
    ];
    for input in inputs {
        let result = f.store.search(f.conversation, input, 10).await;
        assert!(result.is_ok(), "{input:?}: {result:?}");
    }
    let hits = f.store.search(f.conversation, "NEAR(", 10).await.unwrap();
    assert_eq!(hits.len(), 1, "NEAR is a word like any other");
    assert_eq!(all_messages_count(db).await, 1);
}

async fn all_messages_count(db: &Database) -> i64 {
    let statement = Statement::from_string(
        db.connection().get_database_backend(),
        "SELECT COUNT(*) FROM messages",
    );
    let row = crate::support::one_row(db, statement).await;
    row.try_get_by_index(0).unwrap()
}

pub(crate) async fn the_search_index_follows_cascading_deletes(db: &Database) {
    let f = fixture(db).await;
    send(&f.store, f.conversation, f.alice, "ephemeral words").await;
    send(&f.store, f.conversation, f.bob, "more ephemeral words").await;
    let statement = Statement::from_sql_and_values(
        db.connection().get_database_backend(),
        "DELETE FROM conversations WHERE id = $1",
        [f.conversation.as_uuid().into()],
    );
    db.connection().execute_raw(statement).await.unwrap();
    assert!(
        f.store
            .search(f.conversation, "ephemeral", 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(all_messages_count(db).await, 0);
    assert_index_consistent(db).await;
}

/// On SQLite, FTS5's own check that the index matches the `messages` table.
async fn assert_index_consistent(db: &Database) {
    if db.backend() != Backend::Sqlite {
        return;
    }
    db.connection()
        .execute_unprepared(
            "INSERT INTO messages_fts(messages_fts, rank) VALUES ('integrity-check', 1)",
        )
        .await
        .unwrap();
}
