//! Hostile clients: oversized validation errors, writes other than sends, reaction floods,
//! typing floods and markup in searchable content, over REST and the socket alike.

use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp};
use confab_test_client::Client as SocketClient;

const WAIT: Duration = Duration::from_secs(5);

/// 100k bad `fileIds` (the issue's reproduction answered with a 3.4 MB error body).
fn flood_of_bad_file_ids() -> Value {
    json!({ "content": "see attached", "type": "file", "fileIds": vec!["x"; 100_000] })
}

fn assert_small_validation_error(error: &Value, size: usize) {
    assert!(size < 4096, "a {size}-byte error");
    assert_eq!(error["code"], "validation_failed", "{error}");
    let problems = error["details"].as_object().map_or(0, |d| d.len());
    assert!((1..=20).contains(&problems), "{problems} problems: {error}");
}

async fn a_hundred_thousand_bad_file_ids_get_a_small_error_over_rest_and_socket(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let alice = app.user();
    let conversation = app.conversation(&alice, &[]).await;
    let response = app
        .client
        .post(format!(
            "{}/api/conversations/{conversation}/messages",
            app.base
        ))
        .bearer_auth(&alice.token)
        .json(&flood_of_bad_file_ids())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let text = response.text().await.unwrap();
    let body: Value = serde_json::from_str(&text).unwrap();
    assert_small_validation_error(&body["error"], text.len());

    let socket = app.joined(&alice, &conversation).await;
    let mut payload = flood_of_bad_file_ids();
    payload["conversationId"] = json!(conversation);
    let ack = socket.ask("message:send", payload).await;
    assert_small_validation_error(&ack["error"], ack.to_string().len());

    // 1000 ids (the allowed count), each one bad: at most 20 of them are listed.
    let project = app.project_with(&[&alice]).await;
    let (status, body) = app
        .post(
            &format!("/api/projects/{project}/conversations"),
            &alice,
            json!({ "title": "t", "participantIds": vec!["x"; 1000] }),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_small_validation_error(&body["error"], body.to_string().len());
    assert_eq!(body["error"]["details"].as_object().unwrap().len(), 20);
    let (_, page) = app
        .get(
            &format!("/api/conversations/{conversation}/messages"),
            &alice,
        )
        .await;
    assert!(
        page["messages"].as_array().unwrap().is_empty(),
        "nothing stored"
    );
    app.stop().await;
}

fn assert_rate_limited(status: StatusCode, body: &Value) {
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert_eq!(body["error"]["code"], "rate_limited", "{body}");
}

async fn edits_reactions_reports_and_new_conversations_are_rate_limited(backend: Backend) {
    let app = TestApp::spawn_with(backend, |c| {
        c.limits.edits_per_minute = 3;
        c.limits.reactions_per_minute = 2;
        c.limits.reports_per_hour = 1;
        c.limits.conversations_per_hour = 1;
    })
    .await;
    let (alice, bob) = (app.user(), app.user());
    let conversation = app.conversation(&alice, &[&bob]).await;
    let first = app.send(&conversation, &alice, "one").await;
    let second = app.send(&conversation, &alice, "two").await;
    let edit = |n: u32| json!({ "content": format!("edit {n}") });
    let first_path = format!("/api/messages/{}", first["id"].as_str().unwrap());
    for n in 0..3 {
        let (status, body) = app.patch(&first_path, &alice, edit(n)).await;
        assert_eq!(status, StatusCode::OK, "edit {n}: {body}");
    }
    let (retry_after, _) = app
        .rate_limited(Method::PATCH, &first_path, &alice.token, Some(edit(9)))
        .await;
    assert!((1..=20).contains(&retry_after), "Retry-After {retry_after}");
    let second_path = format!("/api/messages/{}", second["id"].as_str().unwrap());
    let (status, body) = app.delete(&second_path, &alice).await;
    assert_rate_limited(status, &body);
    let (_, page) = app
        .get(&format!("/api/conversations/{conversation}/messages"), &bob)
        .await;
    let contents: Vec<&str> = page["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["content"].as_str().unwrap())
        .collect();
    assert_eq!(
        contents,
        ["two", "edit 2"],
        "the refused edit and delete changed nothing"
    );

    let reactions = format!("{second_path}/reactions");
    for emoji in ["👍", "🎉"] {
        let (status, body) = app.post(&reactions, &bob, json!({ "emoji": emoji })).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let (status, body) = app.post(&reactions, &bob, json!({ "emoji": "🚀" })).await;
    assert_rate_limited(status, &body);
    let (status, body) = app.delete(&format!("{reactions}/👍"), &bob).await;
    assert_rate_limited(status, &body);

    let report = format!("{second_path}/report");
    let (status, body) = app.post(&report, &bob, json!({ "reason": "spam" })).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, body) = app.post(&report, &bob, json!({ "reason": "spam" })).await;
    assert_rate_limited(status, &body);

    // Bob has created no conversation yet (alice created the first one).
    let project = app.project_with(&[&alice, &bob]).await;
    let path = format!("/api/projects/{project}/conversations");
    let body = json!({ "title": "t", "participantIds": [alice.id] });
    assert_eq!(
        app.post(&path, &bob, body.clone()).await.0,
        StatusCode::CREATED
    );
    let (status, refused) = app.post(&path, &bob, body.clone()).await;
    assert_rate_limited(status, &refused);
    let admin = app.admin();
    for _ in 0..3 {
        assert_eq!(
            app.post(&path, &admin, body.clone()).await.0,
            StatusCode::CREATED,
            "admins provision without a limit"
        );
    }
    app.stop().await;
}

/// Reads count once whichever way they come: REST and `message:read` share the allowance.
async fn reads_share_one_allowance_over_rest_and_socket(backend: Backend) {
    let app = TestApp::spawn_with(backend, |c| c.limits.reads_per_minute = 2).await;
    let (alice, bob) = (app.user(), app.user());
    let conversation = app.conversation(&alice, &[&bob]).await;
    let message = app.send(&conversation, &alice, "read me").await;
    let read = json!({ "messageId": message["id"] });
    let path = format!("/api/conversations/{conversation}/read");
    let (status, body) = app.post(&path, &bob, read.clone()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let socket = app.joined(&bob, &conversation).await;
    assert_eq!(socket.ask("message:read", read.clone()).await["ok"], true);
    let ack = socket.ask("message:read", read.clone()).await;
    assert_eq!(ack["error"]["code"], "rate_limited", "{ack}");
    assert!(ack["error"]["retryAfterMs"].as_u64().unwrap() > 0, "{ack}");
    let (status, body) = app.post(&path, &bob, read).await;
    assert_rate_limited(status, &body);
    app.stop().await;
}

async fn a_message_carries_at_most_the_configured_distinct_reactions(backend: Backend) {
    let app = TestApp::spawn_with(backend, |c| c.limits.max_reactions_per_message = 3).await;
    let (alice, bob) = (app.user(), app.user());
    let conversation = app.conversation(&alice, &[&bob]).await;
    let message = app.send(&conversation, &alice, "react").await;
    let reactions = format!(
        "/api/messages/{}/reactions",
        message["id"].as_str().unwrap()
    );
    for emoji in ["a", "b", "c"] {
        let (status, body) = app.post(&reactions, &bob, json!({ "emoji": emoji })).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let (status, body) = app.post(&reactions, &bob, json!({ "emoji": "d" })).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"]["code"], "too_many_reactions");
    let (status, body) = app.post(&reactions, &alice, json!({ "emoji": "a" })).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "an emoji already there takes more: {body}"
    );
    let reacted = body["message"]["metadata"]["reactions"]
        .as_object()
        .unwrap();
    assert_eq!(reacted.len(), 3);
    app.stop().await;
}

/// Every `user:typing` the watcher gets within `window`, with when it came.
async fn typing_events(watcher: &mut SocketClient, window: Duration) -> Vec<(Instant, bool)> {
    let deadline = Instant::now() + window;
    let mut seen = Vec::new();
    while let Some(left) = deadline.checked_duration_since(Instant::now()) {
        match watcher.maybe("user:typing", left).await {
            Some(event) => seen.push((Instant::now(), event["isTyping"].as_bool().unwrap())),
            None => break,
        }
    }
    seen
}

/// A flood of starts and stops reaches the room as at most one `user:typing` per 2 s, and
/// the last one tells the truth (the typist stopped).
async fn typing_floods_are_coalesced_to_one_broadcast_per_two_seconds(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (alice, bob) = (app.user(), app.user());
    let conversation = app.conversation(&alice, &[&bob]).await;
    let typist = app.joined(&alice, &conversation).await;
    let mut watcher = app.joined(&bob, &conversation).await;
    let room = json!({ "conversationId": conversation });
    // The flood runs beside the watcher, so each event is timed as it arrives.
    let flood = {
        let room = room.clone();
        tokio::spawn(async move {
            for _ in 0..50 {
                assert_eq!(typist.ask("typing:start", room.clone()).await["ok"], true);
                assert_eq!(typist.ask("typing:stop", room.clone()).await["ok"], true);
            }
            typist
        })
    };
    let seen = typing_events(&mut watcher, Duration::from_millis(4500)).await;
    let typist = flood.await.unwrap();
    assert!(
        !seen.is_empty() && seen.len() <= 3,
        "{} broadcasts for 100 signals",
        seen.len()
    );
    for pair in seen.windows(2) {
        let gap = pair[1].0 - pair[0].0;
        assert!(
            gap >= Duration::from_millis(1800),
            "two broadcasts {gap:?} apart"
        );
    }
    assert_eq!(seen.last().map(|s| s.1), Some(false), "the typist stopped");

    // After a quiet spell the next change goes out at once.
    assert_eq!(typist.ask("typing:start", room.clone()).await["ok"], true);
    let started = watcher
        .wait_for("user:typing", Duration::from_millis(500))
        .await;
    assert_eq!(started["isTyping"], true);
    typist.ask("typing:stop", room).await;
    let stopped = watcher.wait_for("user:typing", WAIT).await;
    assert_eq!(stopped["isTyping"], false);
    app.stop().await;
}

/// Stored XSS through search: the sender's markup comes back escaped, only matches marked.
async fn search_highlights_are_escaped_html(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let alice = app.user();
    let conversation = app.conversation(&alice, &[]).await;
    app.send(
        &conversation,
        &alice,
        r#"<img src=x onerror="alert(1)"> zebrafish <b>bold</b>"#,
    )
    .await;
    let (status, body) = app
        .get(
            &format!("/api/conversations/{conversation}/search?q=zebrafish"),
            &alice,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let highlight = body["messages"][0]["highlight"].as_str().unwrap();
    assert!(highlight.contains("<mark>zebrafish</mark>"), "{highlight}");
    let rest = highlight.replace("<mark>", "").replace("</mark>", "");
    assert!(!rest.contains('<') && !rest.contains('>'), "{highlight}");
    assert!(!highlight.contains("<img"), "{highlight}");
    app.stop().await;
}

crate::on_both_backends!(
    a_hundred_thousand_bad_file_ids_get_a_small_error_over_rest_and_socket,
    edits_reactions_reports_and_new_conversations_are_rate_limited,
    reads_share_one_allowance_over_rest_and_socket,
    a_message_carries_at_most_the_configured_distinct_reactions,
    typing_floods_are_coalesced_to_one_broadcast_per_two_seconds,
    search_highlights_are_escaped_html,
);
