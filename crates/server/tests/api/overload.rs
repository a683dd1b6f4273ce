//! Overload: past its admission budget a node refuses sends at once with `overloaded` (a 503
//! with `Retry-After` over REST, an ack with `retryAfterMs` over the socket), and stores none
//! of them.

use std::collections::BTreeSet;
use std::time::Duration;

use futures::future::join_all;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp};

const WAIT: Duration = Duration::from_secs(10);

/// A node that works on one send at a time: a flood is mostly refused.
async fn one_send_at_a_time(backend: Backend) -> TestApp {
    TestApp::spawn_with(backend, |c| {
        c.limits.sends_in_flight = 1;
        c.limits.send_queue_target = Duration::ZERO;
        c.limits.send_lag_target = Duration::ZERO;
    })
    .await
}

/// The contents stored in `conversation`, as `alice` reads them.
async fn stored_contents(
    app: &TestApp,
    alice: &crate::helpers::User,
    conversation: &str,
) -> BTreeSet<String> {
    let (status, page) = app
        .get(
            &format!("/api/conversations/{conversation}/messages?limit=100"),
            alice,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    page["messages"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|m| m["content"].as_str().map(str::to_owned))
        .collect()
}

fn assert_overloaded(error: &Value) {
    assert_eq!(error["code"], "overloaded", "{error}");
    let hint = error["details"]["retryAfterMs"].as_u64();
    assert!(hint.is_some_and(|ms| ms > 0), "{error}");
}

async fn a_flood_of_socket_sends_past_the_budget_is_refused_and_nothing_refused_is_stored(
    backend: Backend,
) {
    let app = one_send_at_a_time(backend).await;
    let alice = app.user();
    let bob = app.user();
    let conversation = app.conversation(&alice, &[&bob]).await;
    let mut watcher = app.joined(&bob, &conversation).await;
    let mut senders = Vec::new();
    for _ in 0..4 {
        senders.push(app.joined(&alice, &conversation).await);
    }
    let sends = senders.iter().enumerate().flat_map(|(s, socket)| {
        let conversation = conversation.clone();
        (0..15).map(move |i| {
            let content = format!("m{s}-{i}");
            let payload = json!({
                "conversationId": conversation, "content": content, "clientMsgId": content,
            });
            async move { (content, socket.ask("message:send", payload).await) }
        })
    });
    let acks = join_all(sends).await;
    let mut acked = BTreeSet::new();
    let mut refused = 0;
    for (content, ack) in &acks {
        if ack["ok"] == true {
            assert_eq!(ack["message"]["content"], content.as_str(), "{ack}");
            acked.insert(content.clone());
        } else {
            assert_overloaded(&ack["error"]);
            assert!(ack["error"]["retryAfterMs"].as_u64().is_some(), "{ack}");
            refused += 1;
        }
    }
    assert!(
        refused > 0,
        "60 sends at once past a budget of 1 were all admitted"
    );
    assert!(!acked.is_empty(), "nothing was admitted");
    // Every acked message is stored, nothing refused is.
    assert_eq!(stored_contents(&app, &alice, &conversation).await, acked);
    // Every acked message is delivered, and only those.
    let mut delivered = BTreeSet::new();
    while delivered.len() < acked.len() {
        let message = watcher.wait_for("message:new", WAIT).await;
        delivered.insert(message["content"].as_str().unwrap_or_default().to_owned());
    }
    assert_eq!(delivered, acked);
    watcher.expect_silence(Duration::from_millis(300)).await;
    // Once the flood is over, a send goes through again.
    let after = senders[0]
        .ask(
            "message:send",
            json!({ "conversationId": conversation, "content": "after" }),
        )
        .await;
    assert_eq!(after["ok"], true, "{after}");
    app.stop().await;
}

async fn a_flood_of_rest_sends_past_the_budget_gets_503_overloaded_with_retry_after(
    backend: Backend,
) {
    let app = one_send_at_a_time(backend).await;
    let alice = app.user();
    let conversation = app.conversation(&alice, &[]).await;
    let url = format!("{}/api/conversations/{conversation}/messages", app.base);
    let sends = (0..40).map(|i| {
        let request = app
            .client
            .post(&url)
            .bearer_auth(&alice.token)
            .json(&json!({ "content": format!("r{i}"), "type": "text" }));
        async move {
            let response = request.send().await.expect("answered");
            let status = response.status();
            let retry_after = response.headers().get("retry-after").cloned();
            let body: Value = response.json().await.unwrap_or_default();
            (format!("r{i}"), status, retry_after, body)
        }
    });
    let mut created = BTreeSet::new();
    let mut refused = 0;
    for (content, status, retry_after, body) in join_all(sends).await {
        match status {
            StatusCode::CREATED => {
                created.insert(content);
            }
            StatusCode::SERVICE_UNAVAILABLE => {
                assert_overloaded(&body["error"]);
                let secs = retry_after.and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
                assert!(secs.is_some_and(|s| s >= 1), "Retry-After in whole seconds");
                refused += 1;
            }
            other => panic!("{other}: {body}"),
        }
    }
    assert!(
        refused > 0,
        "40 sends at once past a budget of 1 were all admitted"
    );
    assert_eq!(stored_contents(&app, &alice, &conversation).await, created);
    app.stop().await;
}

/// `count` REST sends into `conversation` at once; the contents created, and how many were
/// refused `overloaded`.
async fn rest_flood(
    app: &TestApp,
    user: &crate::helpers::User,
    conversation: &str,
    count: usize,
) -> (BTreeSet<String>, usize) {
    let url = format!("{}/api/conversations/{conversation}/messages", app.base);
    let sends = (0..count).map(|i| {
        let content = format!("{conversation}-{i}");
        let request = app
            .client
            .post(&url)
            .bearer_auth(&user.token)
            .json(&json!({ "content": content, "type": "text" }));
        async move {
            let response = request.send().await.expect("answered");
            let status = response.status();
            let body: Value = response.json().await.unwrap_or_default();
            (content, status, body)
        }
    });
    let mut created = BTreeSet::new();
    let mut refused = 0;
    for (content, status, body) in join_all(sends).await {
        match status {
            StatusCode::CREATED => {
                created.insert(content);
            }
            StatusCode::SERVICE_UNAVAILABLE => {
                assert_overloaded(&body["error"]);
                refused += 1;
            }
            other => panic!("{other}: {body}"),
        }
    }
    (created, refused)
}

async fn a_send_weighs_its_rooms_sockets_so_a_flood_into_a_crowded_room_is_held_and_one_into_a_quiet_room_is_not(
    backend: Backend,
) {
    // Room for 40 deliveries in flight, and no other signal: a send into a room of one
    // socket weighs 1, one into a room of ten weighs 10.
    let app = TestApp::spawn_with(backend, |c| {
        c.limits.sends_in_flight = 0;
        c.limits.deliveries_in_flight = 40;
        c.limits.send_queue_target = Duration::ZERO;
        c.limits.send_lag_target = Duration::ZERO;
    })
    .await;
    let alice = app.user();
    let bob = app.user();
    let quiet = app.conversation(&alice, &[&bob]).await;
    let crowded = app.conversation(&alice, &[&bob]).await;
    let _listener = app.joined(&bob, &quiet).await;
    let mut crowd = Vec::new();
    for _ in 0..10 {
        crowd.push(app.joined(&bob, &crowded).await);
    }
    let (created, refused) = rest_flood(&app, &alice, &quiet, 40).await;
    assert_eq!(
        (created.len(), refused),
        (40, 0),
        "40 sends into a room of one fit a budget of 40 deliveries"
    );
    let (created, refused) = rest_flood(&app, &alice, &crowded, 40).await;
    assert!(
        refused > 0,
        "40 sends at once into a room of ten (400 deliveries) all fit a budget of 40"
    );
    assert!(!created.is_empty(), "nothing was admitted");
    assert_eq!(stored_contents(&app, &alice, &crowded).await, created);
    // Every socket of the crowd got every created message, and only those.
    for socket in &mut crowd {
        let mut delivered = BTreeSet::new();
        while delivered.len() < created.len() {
            let message = socket.wait_for("message:new", WAIT).await;
            delivered.insert(message["content"].as_str().unwrap_or_default().to_owned());
        }
        assert_eq!(delivered, created);
    }
    app.stop().await;
}

crate::on_both_backends!(
    a_flood_of_socket_sends_past_the_budget_is_refused_and_nothing_refused_is_stored,
    a_flood_of_rest_sends_past_the_budget_gets_503_overloaded_with_retry_after,
    a_send_weighs_its_rooms_sockets_so_a_flood_into_a_crowded_room_is_held_and_one_into_a_quiet_room_is_not,
);
