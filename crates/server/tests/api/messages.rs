use std::collections::HashSet;

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{Backend, TestApp};

async fn sends_get_consecutive_seqs_and_the_message_shape_of_the_contract(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (alice, bob) = (app.user(), app.user());
    let conversation = app.conversation(&alice, &[&bob]).await;
    let first = app.send(&conversation, &alice, "hello").await;
    let second = app.send(&conversation, &bob, "hi!").await;
    assert_eq!(first["seq"], 1);
    assert_eq!(second["seq"], 2);
    assert_eq!(first["conversationId"], conversation.as_str());
    assert_eq!(first["senderId"], alice.id.to_string());
    assert_eq!(first["content"], "hello");
    assert_eq!(first["type"], "text");
    assert!(first["files"].as_array().unwrap().is_empty());
    assert!(first["metadata"].is_object());
    let created = first["createdAt"].as_str().unwrap();
    assert!(
        created.ends_with('Z') && chrono::DateTime::parse_from_rfc3339(created).is_ok(),
        "{created}"
    );
    assert!(first.get("editedAt").is_none() && first.get("deletedAt").is_none());
    app.stop().await;
}

async fn a_retry_with_the_same_client_msg_id_returns_the_stored_message(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let alice = app.user();
    let conversation = app.conversation(&alice, &[]).await;
    let path = format!("/api/conversations/{conversation}/messages");
    let body = json!({ "content": "once", "type": "text", "clientMsgId": "c-123" });
    let (status, first) = app.post(&path, &alice, body.clone()).await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, retry) = app.post(&path, &alice, body).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(retry["message"]["id"], first["message"]["id"]);
    assert_eq!(retry["message"]["clientMsgId"], "c-123");
    let next = app.send(&conversation, &alice, "next").await;
    assert_eq!(next["seq"], 2, "a retry consumes no seq");
    let (_, page) = app.get(&path, &alice).await;
    assert_eq!(page["messages"].as_array().unwrap().len(), 2);
    app.stop().await;
}

async fn paging_walks_every_message_once_newest_first(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let alice = app.user();
    let conversation = app.conversation(&alice, &[]).await;
    for i in 1..=125 {
        app.send(&conversation, &alice, &format!("message {i}"))
            .await;
    }
    let mut seen = Vec::new();
    let mut before: Option<String> = None;
    loop {
        let mut path = format!("/api/conversations/{conversation}/messages?limit=50");
        if let Some(b) = &before {
            path.push_str(&format!("&before={b}"));
        }
        let (status, page) = app.get(&path, &alice).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        let messages = page["messages"].as_array().unwrap();
        seen.extend(messages.iter().map(|m| m["seq"].as_i64().unwrap()));
        before = messages
            .last()
            .map(|m| m["id"].as_str().unwrap().to_owned());
        if !page["hasMore"].as_bool().unwrap() {
            break;
        }
    }
    let expected: Vec<i64> = (1..=125).rev().collect();
    assert_eq!(seen, expected);
    assert_eq!(seen.iter().collect::<HashSet<_>>().len(), 125);
    let (status, body) = app
        .get(
            &format!("/api/conversations/{conversation}/messages?limit=101"),
            &alice,
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(
        app.status(
            &format!("/api/conversations/{conversation}/messages?limit=0"),
            &alice
        )
        .await,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        app.status(
            &format!("/api/conversations/{conversation}/messages?before=nope"),
            &alice
        )
        .await,
        StatusCode::BAD_REQUEST
    );
    app.stop().await;
}

async fn editing_keeps_history_and_only_the_sender_may(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (alice, bob) = (app.user(), app.user());
    let conversation = app.conversation(&alice, &[&bob]).await;
    let message = app.send(&conversation, &alice, "draft").await;
    let path = format!("/api/messages/{}", message["id"].as_str().unwrap());
    let (status, body) = app.patch(&path, &bob, json!({ "content": "hijack" })).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, body) = app
        .patch(&path, &alice, json!({ "content": "final" }))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["message"]["content"], "final");
    assert!(body["message"]["editedAt"].is_string());
    assert_eq!(body["message"]["seq"], 1);
    let (_, page) = app
        .get(&format!("/api/conversations/{conversation}/messages"), &bob)
        .await;
    assert_eq!(page["messages"][0]["content"], "final");
    assert_eq!(
        app.patch(&path, &alice, json!({ "content": "" })).await.0,
        StatusCode::BAD_REQUEST
    );
    app.stop().await;
}

async fn a_deleted_message_keeps_its_place_but_hides_its_content_from_others(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (alice, bob) = (app.user(), app.user());
    let conversation = app.conversation(&alice, &[&bob]).await;
    let message = app.send(&conversation, &alice, "oops").await;
    let path = format!("/api/messages/{}", message["id"].as_str().unwrap());
    assert_eq!(app.delete(&path, &bob).await.0, StatusCode::FORBIDDEN);
    let (status, body) = app.delete(&path, &alice).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["success"], true);
    let (_, page) = app
        .get(&format!("/api/conversations/{conversation}/messages"), &bob)
        .await;
    let seen = &page["messages"][0];
    assert_eq!(seen["seq"], 1);
    assert_eq!(seen["content"], "");
    assert!(seen["deletedAt"].is_string());
    assert_eq!(
        app.patch(&path, &alice, json!({ "content": "undo" }))
            .await
            .0,
        StatusCode::CONFLICT
    );
    app.stop().await;
}

async fn reactions_are_added_once_per_user_and_removed(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (alice, bob) = (app.user(), app.user());
    let conversation = app.conversation(&alice, &[&bob]).await;
    let message = app.send(&conversation, &alice, "ship it?").await;
    let id = message["id"].as_str().unwrap();
    for who in [&alice, &bob, &bob] {
        let (status, body) = app
            .post(
                &format!("/api/messages/{id}/reactions"),
                who,
                json!({ "emoji": "👍" }),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let (_, page) = app
        .get(
            &format!("/api/conversations/{conversation}/messages"),
            &alice,
        )
        .await;
    let users = page["messages"][0]["metadata"]["reactions"]["👍"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(
        users,
        vec![json!(alice.id.to_string()), json!(bob.id.to_string())]
    );
    let (status, body) = app
        .delete(&format!("/api/messages/{id}/reactions/%F0%9F%91%8D"), &bob)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body["message"]["metadata"]["reactions"]["👍"],
        json!([alice.id.to_string()])
    );
    assert_eq!(
        app.post(
            &format!("/api/messages/{id}/reactions"),
            &alice,
            json!({ "emoji": "" })
        )
        .await
        .0,
        StatusCode::BAD_REQUEST
    );
    app.stop().await;
}

async fn reports_move_from_pending_to_resolved(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (alice, bob, admin) = (app.user(), app.user(), app.admin());
    let conversation = app.conversation(&alice, &[&bob]).await;
    let message = app.send(&conversation, &alice, "spam spam").await;
    let id = message["id"].as_str().unwrap();
    let (status, body) = app
        .post(
            &format!("/api/messages/{id}/report"),
            &bob,
            json!({ "reason": "spam", "description": "again" }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let report = &body["report"];
    assert_eq!(report["status"], "pending");
    assert_eq!(report["messageId"], id);
    let report_id = report["id"].as_str().unwrap();
    let (_, list) = app.get("/api/admin/reports?status=pending", &admin).await;
    assert!(
        list["reports"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["id"] == report_id)
    );
    let (status, body) = app
        .patch(
            &format!("/api/admin/reports/{report_id}"),
            &admin,
            json!({ "status": "reviewed" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, body) = app
        .patch(
            &format!("/api/admin/reports/{report_id}"),
            &admin,
            json!({ "status": "resolved" }),
        )
        .await;
    assert_eq!(body["report"]["status"], "resolved");
    assert_eq!(body["report"]["resolvedBy"], admin.id.to_string());
    assert!(body["report"]["resolvedAt"].is_string());
    let (status, _) = app
        .patch(
            &format!("/api/admin/reports/{report_id}"),
            &admin,
            json!({ "status": "pending" }),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (_, list) = app.get("/api/admin/reports?status=pending", &admin).await;
    assert!(list["reports"].as_array().unwrap().is_empty());
    assert_eq!(
        app.post(
            &format!("/api/messages/{id}/report"),
            &app.user(),
            json!({ "reason": "x" })
        )
        .await
        .0,
        StatusCode::FORBIDDEN
    );
    app.stop().await;
}

async fn the_message_rate_limit_answers_429_with_retry_after(backend: Backend) {
    let app = TestApp::spawn_with(backend, |c| c.limits.messages_per_minute = 30).await;
    let alice = app.user();
    let conversation = app.conversation(&alice, &[]).await;
    let path = format!("/api/conversations/{conversation}/messages");
    for i in 0..30 {
        let (status, body) = app
            .post(&path, &alice, json!({ "content": format!("m{i}") }))
            .await;
        assert_eq!(status, StatusCode::CREATED, "message {i}: {body}");
    }
    let one_too_many = Some(json!({ "content": "one too many" }));
    let (retry_after, body) = app
        .rate_limited(Method::POST, &path, &alice.token, one_too_many)
        .await;
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    assert_eq!(body["error"]["code"], "rate_limited");
    // Other users are not affected.
    let bob = app.user();
    let theirs = app.conversation(&bob, &[]).await;
    app.send(&theirs, &bob, "fine").await;
    let (_, page) = app.get(&format!("{path}?limit=100"), &alice).await;
    assert_eq!(
        page["messages"].as_array().unwrap().len(),
        30,
        "the refused message was not stored"
    );
    app.stop().await;
}

crate::on_both_backends!(
    sends_get_consecutive_seqs_and_the_message_shape_of_the_contract,
    a_retry_with_the_same_client_msg_id_returns_the_stored_message,
    paging_walks_every_message_once_newest_first,
    editing_keeps_history_and_only_the_sender_may,
    a_deleted_message_keeps_its_place_but_hides_its_content_from_others,
    reactions_are_added_once_per_user_and_removed,
    reports_move_from_pending_to_resolved,
    the_message_rate_limit_answers_429_with_retry_after,
);
