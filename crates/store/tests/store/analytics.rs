//! Analytics in the store: on PostgreSQL the materialized view holds per-day aggregates of
//! the messages under each conversation's watermark and moves only on refresh; on both
//! backends the totals equal an independent computation whatever the view's state.

use chrono::{DateTime, NaiveDate, Utc};
use confab_domain::admin::analytics::DayTotals;
use confab_domain::admin::{AdminRepository, AnalyticsWindow};
use confab_store::testing::seed::{SeedMessage, analytics_oracle, insert_messages};
use confab_store::{Backend, Database};
use sea_orm::{ConnectionTrait, Statement};
use uuid::Uuid;

use crate::support::{Fixture, fixture, send};

fn t(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text).unwrap().to_utc()
}

fn day(text: &str) -> NaiveDate {
    text.parse().unwrap()
}

fn seed(f: &Fixture, from_seq: i64, rows: &[(&str, &str)]) -> Vec<SeedMessage> {
    rows.iter()
        .enumerate()
        .map(|(i, (who, at))| SeedMessage {
            id: Uuid::now_v7(),
            conversation_id: f.conversation.as_uuid(),
            seq: from_seq + i64::try_from(i).unwrap(),
            sender_id: if *who == "a" { f.alice } else { f.bob }.as_uuid(),
            content: "x".into(),
            created_at: t(at),
        })
        .collect()
}

/// The view's rows for the conversation: `(day, messages, responses, response_us)`.
async fn view_rows(db: &Database, f: &Fixture) -> Vec<(String, i64, i64, i64)> {
    let sql = "SELECT to_char(day, 'YYYY-MM-DD') AS day, message_count, response_count, \
                 response_us FROM conversation_daily_stats WHERE conversation_id = $1 \
               ORDER BY day";
    let statement = Statement::from_sql_and_values(
        db.connection().get_database_backend(),
        sql,
        [f.conversation.as_uuid().into()],
    );
    db.connection()
        .query_all_raw(statement)
        .await
        .unwrap()
        .iter()
        .map(|row| {
            (
                row.try_get("", "day").unwrap(),
                row.try_get("", "message_count").unwrap(),
                row.try_get("", "response_count").unwrap(),
                row.try_get("", "response_us").unwrap(),
            )
        })
        .collect()
}

async fn assert_exact(db: &Database, f: &Fixture, window: &AnalyticsWindow) {
    let totals = f.store.analytics(Some(f.project), window).await.unwrap();
    let oracle = analytics_oracle(db, Some(f.project.as_uuid()), window.from(), window.to()).await;
    let sum = |pick: fn(&DayTotals) -> i64| totals.days.values().map(pick).sum::<i64>();
    assert_eq!(sum(|d| d.messages), oracle.messages);
    assert_eq!(sum(|d| d.responses), oracle.responses);
    assert_eq!(sum(|d| d.response_micros), oracle.response_micros);
    assert_eq!(totals.active_conversations, oracle.active_conversations);
    for (date, day) in &totals.days {
        assert_eq!(Some(&day.messages), oracle.by_day.get(date), "{date}");
    }
}

pub(crate) async fn the_view_moves_only_on_refresh_and_totals_stay_exact(db: &Database) {
    let f = fixture(db).await;
    insert_messages(
        db,
        &seed(
            &f,
            1,
            &[
                ("a", "2026-02-01T10:00:00Z"),
                ("a", "2026-02-01T10:00:10Z"),
                ("b", "2026-02-01T10:01:00Z"),
                ("a", "2026-02-02T10:01:00.000001Z"),
            ],
        ),
    )
    .await;
    let windows = [
        AnalyticsWindow::new(t("2026-02-01T00:00:00Z"), t("2026-02-04T00:00:00Z")).unwrap(),
        AnalyticsWindow::new(t("2026-02-01T10:00:30Z"), t("2026-02-03T12:00:00Z")).unwrap(),
        AnalyticsWindow::new(t("2026-02-02T00:00:00Z"), t("2026-02-02T10:01:00Z")).unwrap(),
    ];
    for window in &windows {
        assert_exact(db, &f, window).await;
    }
    let postgres = db.backend() == Backend::Postgres;
    assert_eq!(f.store.refresh_analytics().await.unwrap(), postgres);
    if postgres {
        // Gaps: 60 + 50 s on day one (A1, A2 -> B3); 86 400.000001 s on day two (B3 -> A4).
        assert_eq!(
            view_rows(db, &f).await,
            vec![
                ("2026-02-01".to_owned(), 3, 2, 110_000_000),
                ("2026-02-02".to_owned(), 1, 1, 86_400_000_001),
            ]
        );
    }
    for window in &windows {
        assert_exact(db, &f, window).await;
    }

    // Above the watermark: the view stays as it was until the next refresh.
    insert_messages(
        db,
        &seed(
            &f,
            5,
            &[("b", "2026-02-02T11:00:00Z"), ("b", "2026-02-03T09:00:00Z")],
        ),
    )
    .await;
    for window in &windows {
        assert_exact(db, &f, window).await;
    }
    let totals = f
        .store
        .analytics(Some(f.project), &windows[0])
        .await
        .unwrap();
    assert_eq!(totals.days[&day("2026-02-02")].messages, 2);
    assert_eq!(totals.days[&day("2026-02-03")].messages, 1);
    if postgres {
        assert_eq!(view_rows(db, &f).await.len(), 2, "not refreshed yet");
        f.store.refresh_analytics().await.unwrap();
        let rows = view_rows(db, &f).await;
        assert_eq!(
            rows[1],
            (
                "2026-02-02".to_owned(),
                2,
                2,
                86_400_000_001 + 3_539_999_999
            )
        );
        assert_eq!(rows[2], ("2026-02-03".to_owned(), 1, 0, 0));
    }
    for window in &windows {
        assert_exact(db, &f, window).await;
    }
}

/// Refreshes racing with sends: the refresher stops half-way through the sends, so the view
/// ends as a refresh taken while messages were being committed left it, with more messages
/// above its watermark. The totals (view + direct part) still equal the independent
/// computation: no message was counted twice or missed.
pub(crate) async fn refreshes_racing_with_sends_never_miss_or_double_count(db: &Database) {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    const TASKS: usize = 4;
    const EACH: usize = 40;
    let f = fixture(db).await;
    let sent = Arc::new(AtomicUsize::new(0));
    let refresher = {
        let (store, sent) = (f.store.clone(), sent.clone());
        tokio::spawn(async move {
            let mut refreshes = 0u32;
            while sent.load(Ordering::SeqCst) < TASKS * EACH / 2 {
                if store.refresh_analytics().await.unwrap() {
                    refreshes += 1;
                }
                tokio::task::yield_now().await;
            }
            refreshes
        })
    };
    let senders: Vec<_> = (0..TASKS)
        .map(|task| {
            let (store, sent) = (f.store.clone(), sent.clone());
            let (conversation, users) = (f.conversation, [f.alice, f.bob]);
            tokio::spawn(async move {
                for i in 0..EACH {
                    send(&store, conversation, users[(task + i) % 2], "racing").await;
                    sent.fetch_add(1, Ordering::SeqCst);
                }
            })
        })
        .collect();
    for sender in senders {
        sender.await.unwrap();
    }
    let refreshes = refresher.await.unwrap();
    if db.backend() == Backend::Postgres {
        assert!(
            refreshes > 0,
            "the view was refreshed while messages were sent"
        );
    }
    let today = Utc::now().date_naive();
    let from = today
        .pred_opt()
        .unwrap()
        .and_hms_opt(0, 0, 0)
        .unwrap()
        .and_utc();
    let window = AnalyticsWindow::new(from, from + chrono::Duration::days(3)).unwrap();
    assert_exact(db, &f, &window).await;
    let totals = f.store.analytics(Some(f.project), &window).await.unwrap();
    let total = i64::try_from(TASKS * EACH).unwrap();
    assert_eq!(totals.days.values().map(|d| d.messages).sum::<i64>(), total);
}
