//! `GET /api/admin/conversations/analytics`: exact numbers on data with known timestamps, and
//! the endpoint equal to an independent SQL computation on the same data, for several
//! windows, before and after a refresh of the PostgreSQL view and with messages above its
//! watermarks (SQLite computes directly; the same scenario checks it).

use std::time::Duration;

use chrono::{DateTime, Utc};
use confab_domain::admin::AdminRepository;
use confab_domain::admin::analytics::mean_seconds;
use confab_store::Database;
use confab_store::testing::seed::{
    OracleTotals, SeedMessage, analytics_oracle, analytics_refreshed_at, insert_messages,
};
use reqwest::StatusCode;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{Backend, TestApp, User};

fn t(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text).unwrap().to_utc()
}

struct Data {
    p1: String,
    p2: String,
    c1: Uuid,
    c2: Uuid,
    users: [User; 3],
}

async fn conversation(app: &TestApp, project: &str, owner: &User, others: &[&User]) -> Uuid {
    let id = app.conversation_in(project, owner, others).await;
    id.parse().unwrap()
}

fn message(conversation: Uuid, seq: i64, sender: &User, at: &str) -> SeedMessage {
    SeedMessage {
        id: Uuid::now_v7(),
        conversation_id: conversation,
        seq,
        sender_id: sender.id,
        content: format!("message {seq}"),
        created_at: t(at),
    }
}

/// Two projects; runs of one sender, gaps across days and windows, a microsecond fraction.
async fn seed(app: &TestApp, db: &Database) -> Data {
    let (a, b, c) = (app.user(), app.user(), app.user());
    let p1 = app.project_with(&[&a, &b, &c]).await;
    let p2 = app.project_with(&[&a, &c]).await;
    let c1 = conversation(app, &p1, &a, &[&b, &c]).await;
    let c2 = conversation(app, &p1, &b, &[&a]).await;
    let c3 = conversation(app, &p2, &a, &[&c]).await;
    insert_messages(
        db,
        &[
            message(c1, 1, &a, "2026-01-10T09:00:00Z"),
            message(c1, 2, &a, "2026-01-10T09:00:30Z"),
            message(c1, 3, &b, "2026-01-10T09:02:00Z"),
            message(c1, 4, &b, "2026-01-10T09:03:00Z"),
            message(c1, 5, &a, "2026-01-10T09:10:00.250Z"),
            message(c1, 6, &c, "2026-01-11T00:00:00.500Z"),
            message(c1, 7, &b, "2026-01-12T05:00:00Z"),
            message(c1, 8, &a, "2026-01-12T07:00:00Z"),
            message(c2, 1, &b, "2026-01-09T13:00:00Z"),
            message(c2, 2, &a, "2026-01-11T12:00:05.123456Z"),
            message(c3, 1, &a, "2026-01-11T08:00:00Z"),
            message(c3, 2, &c, "2026-01-11T08:01:00Z"),
        ],
    )
    .await;
    Data {
        p1,
        p2,
        c1,
        c2,
        users: [a, b, c],
    }
}

/// The answer, with `avgResponseTime` replaced by its exact text as sent: serde_json's
/// default float parser may land one ULP off, the printed shortest form never does.
async fn analytics(app: &TestApp, admin: &User, query: &str) -> Value {
    let response = app
        .client
        .get(format!(
            "{}/api/admin/conversations/analytics?{query}",
            app.base
        ))
        .bearer_auth(&admin.token)
        .send()
        .await
        .unwrap();
    let status = response.status();
    let text = response.text().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{query}: {text}");
    let mut body: Value = serde_json::from_str(&text).unwrap();
    let key = "\"avgResponseTime\":";
    let start = text.find(key).unwrap() + key.len();
    let end = start + text[start..].find([',', '}']).unwrap();
    body["avgResponseTime"] = Value::String(text[start..end].to_owned());
    body
}

/// A mean as the server prints it (shortest round-trip form, or `null`).
fn printed(mean: Option<f64>) -> Value {
    Value::String(serde_json::to_string(&mean).unwrap())
}

/// The windows compared with the oracle: whole dates, ragged times (view + edges), a window
/// inside one day, an empty one, with and without a project.
fn windows(data: &Data) -> Vec<(String, Option<String>, &'static str, &'static str)> {
    let mut out = Vec::new();
    for project in [Some(data.p1.clone()), Some(data.p2.clone()), None] {
        for (from, to) in [
            ("2026-01-09", "2026-01-12"),
            ("2026-01-10T09:01:00Z", "2026-01-12T06:00:00Z"),
            ("2026-01-09T12:00:00Z", "2026-01-11T12:00:05.123456Z"),
            ("2026-01-10T09:01:00Z", "2026-01-10T23:00:00Z"),
            ("2026-01-11", "2026-01-11"),
            ("2026-01-11T00:00:00Z", "2026-01-11T00:00:00Z"),
            ("2025-12-20", "2026-01-31"),
        ] {
            let query = match &project {
                Some(p) => format!("projectId={p}&from={from}&to={to}"),
                None => format!("from={from}&to={to}"),
            };
            out.push((query, project.clone(), from, to));
        }
    }
    out
}

fn bound(text: &str, end: bool) -> DateTime<Utc> {
    if text.len() == 10 {
        let day = t(&format!("{text}T00:00:00Z"));
        if end {
            day + chrono::Duration::days(1)
        } else {
            day
        }
    } else {
        t(text)
    }
}

fn assert_matches(body: &Value, expected: &OracleTotals, what: &str) {
    assert_eq!(body["totalMessages"], expected.messages, "{what}: {body}");
    assert_eq!(
        body["activeConversations"], expected.active_conversations,
        "{what}: {body}"
    );
    let avg = mean_seconds(
        i128::from(expected.response_micros),
        i128::from(expected.responses),
    );
    assert_eq!(body["avgResponseTime"], printed(avg), "{what}: {body}");
    for day in body["messagesByDay"].as_array().unwrap() {
        let date = day["date"].as_str().unwrap().parse().unwrap();
        let count = expected.by_day.get(&date).copied().unwrap_or(0);
        assert_eq!(day["count"], count, "{what}: {day}");
    }
    let listed: i64 = body["messagesByDay"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["count"].as_i64().unwrap())
        .sum();
    assert_eq!(
        listed, expected.messages,
        "{what}: every message is on a listed day"
    );
}

async fn compare_all(app: &TestApp, db: &Database, admin: &User, data: &Data, stage: &str) {
    for (query, project, from, to) in windows(data) {
        let body = analytics(app, admin, &query).await;
        let project = project.map(|p| p.parse().unwrap());
        let expected = analytics_oracle(db, project, bound(from, false), bound(to, true)).await;
        assert_matches(&body, &expected, &format!("{stage}: {query}"));
    }
}

async fn analytics_are_exact_and_equal_a_direct_computation(backend: Backend) {
    let app = TestApp::spawn_with(backend, |config| {
        // The test refreshes by hand, between checks.
        config.analytics.refresh_interval = Duration::ZERO;
    })
    .await;
    let db = confab_store::connect(app.database_url(), &app.store_options())
        .await
        .unwrap();
    let store = db.store();
    let admin = app.admin();
    let data = seed(&app, &db).await;
    let [a, b, c] = &data.users;
    let window = format!("projectId={}&from=2026-01-09&to=2026-01-12", data.p1);

    // Hand-computed: gaps 120 + 90 (A1, A2 -> B3), 480.25 + 420.25 (B3, B4 -> A5),
    // 53400.25 (A5 -> C6), 104399.5 (C6 -> B7), 7200 (B7 -> A8), 169205.123456 (c2).
    let body = analytics(&app, &admin, &window).await;
    let expected = json!({
        "totalMessages": 10,
        "avgResponseTime": printed(mean_seconds(335_315_373_456, 8)),
        "activeConversations": 2,
        "messagesByDay": [
            { "date": "2026-01-09", "count": 1 },
            { "date": "2026-01-10", "count": 5 },
            { "date": "2026-01-11", "count": 2 },
            { "date": "2026-01-12", "count": 2 },
        ],
    });
    assert_eq!(body, expected);
    // Ragged edges: A1 and A2 were sent before the window, their response B3 inside it.
    let body = analytics(
        &app,
        &admin,
        &format!(
            "projectId={}&from=2026-01-10T09:01:00Z&to=2026-01-12T06:00:00Z",
            data.p1
        ),
    )
    .await;
    assert_eq!(body["totalMessages"], 6);
    assert_eq!(
        body["avgResponseTime"],
        printed(mean_seconds(328_115_373_456, 7))
    );
    compare_all(&app, &db, &admin, &data, "before any refresh").await;

    // A soft-deleted message still counts: it was sent.
    let (status, page) = app
        .get(
            &format!("/api/conversations/{}/messages?limit=1", data.c1),
            a,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let last = page["messages"][0]["id"].as_str().unwrap().to_owned();
    let (status, _) = app
        .delete(&format!("/api/admin/messages/{last}?reason=spam"), &admin)
        .await;
    assert_eq!(status, StatusCode::OK);

    let refreshed = store.refresh_analytics().await.unwrap();
    assert_eq!(
        refreshed,
        backend == Backend::Postgres,
        "only PostgreSQL has a view"
    );
    compare_all(&app, &db, &admin, &data, "after a refresh").await;
    let body = analytics(&app, &admin, &window).await;
    assert_eq!(body, expected, "the view gives the same answer");

    // Above the watermarks, on a whole day the view covers: B replies to c2's A after an
    // hour; C posts in c1 with a time before A8's (clock skew): that gap counts as 0.
    insert_messages(
        &db,
        &[
            message(data.c2, 3, b, "2026-01-11T13:00:05.123456Z"),
            message(data.c1, 9, c, "2026-01-11T18:00:00Z"),
        ],
    )
    .await;
    let body = analytics(&app, &admin, &window).await;
    assert_eq!(body["totalMessages"], 12);
    assert_eq!(
        body["avgResponseTime"],
        printed(mean_seconds(335_315_373_456 + 3_600_000_000, 10))
    );
    assert_eq!(
        body["messagesByDay"][2],
        json!({ "date": "2026-01-11", "count": 4 })
    );
    compare_all(
        &app,
        &db,
        &admin,
        &data,
        "with messages above the watermark",
    )
    .await;

    store.refresh_analytics().await.unwrap();
    compare_all(&app, &db, &admin, &data, "after a second refresh").await;
    let again = analytics(&app, &admin, &window).await;
    assert_eq!(again, body);
    db.close().await.unwrap();
    app.stop().await;
}

async fn analytics_windows_are_validated_and_admin_only(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin();
    let path = "/api/admin/conversations/analytics";
    for query in [
        "from=2026-01-05&to=2026-01-01",
        "from=2024-01-01&to=2026-01-01",
        "from=yesterday",
        "to=2026-13-01",
        "projectId=nope",
    ] {
        let (status, body) = app.get(&format!("{path}?{query}"), &admin).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {body}");
        assert_eq!(body["error"]["code"], "validation_failed");
    }
    let (status, _) = app
        .get(&format!("{path}?projectId={}", Uuid::new_v4()), &admin)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(app.status(path, &app.user()).await, StatusCode::FORBIDDEN);

    // The default window: the last 30 UTC days, today included, zero-filled.
    let (status, body) = app.get(path, &admin).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let days = body["messagesByDay"].as_array().unwrap();
    assert_eq!(days.len(), 30);
    assert_eq!(
        days.last().unwrap()["date"],
        Utc::now().date_naive().to_string()
    );
    assert_eq!(body["totalMessages"], 0);
    assert_eq!(body["avgResponseTime"], Value::Null);
    app.stop().await;
}

async fn the_server_refreshes_the_view_in_the_background(backend: Backend) {
    let app = TestApp::spawn_with(backend, |config| {
        config.analytics.refresh_interval = Duration::from_millis(100);
    })
    .await;
    let db = confab_store::connect(app.database_url(), &app.store_options())
        .await
        .unwrap();
    match backend {
        Backend::Postgres => {
            // Wait for the first refresh (the loop fails the test if it never comes).
            let mut refreshed = None;
            for _ in 0..300 {
                refreshed = analytics_refreshed_at(&db).await;
                if refreshed.is_some() {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            assert!(refreshed.is_some(), "the view was never refreshed");
        }
        Backend::Sqlite => {
            tokio::time::sleep(Duration::from_millis(300)).await;
            assert_eq!(analytics_refreshed_at(&db).await, None);
        }
    }
    let body = analytics(&app, &app.admin(), "from=2026-01-01&to=2026-01-02").await;
    assert_eq!(body["totalMessages"], 0);
    db.close().await.unwrap();
    app.stop().await;
}

crate::on_both_backends!(
    the_server_refreshes_the_view_in_the_background,
    analytics_are_exact_and_equal_a_direct_computation,
    analytics_windows_are_validated_and_admin_only
);
