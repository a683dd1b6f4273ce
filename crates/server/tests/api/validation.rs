use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{Backend, TestApp};

async fn content_length_is_counted_in_characters(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let alice = app.user();
    let conversation = app.conversation(&alice, &[]).await;
    let path = format!("/api/conversations/{conversation}/messages");
    for (content, expected) in [
        ("a".repeat(5000), StatusCode::CREATED),
        ("a".repeat(5001), StatusCode::BAD_REQUEST),
        ("😀".repeat(5000), StatusCode::CREATED),
        ("ü".repeat(5001), StatusCode::BAD_REQUEST),
        (String::new(), StatusCode::BAD_REQUEST),
        ("   ".to_owned(), StatusCode::BAD_REQUEST),
    ] {
        let (status, body) = app
            .post(&path, &alice, json!({ "content": content, "type": "text" }))
            .await;
        assert_eq!(
            status,
            expected,
            "{} chars: {body}",
            content.chars().count()
        );
        if status == StatusCode::BAD_REQUEST {
            assert_eq!(body["error"]["code"], "validation_failed");
        }
    }
    let (_, page) = app.get(&path, &alice).await;
    let stored: Vec<usize> = page["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["content"].as_str().unwrap().chars().count())
        .collect();
    assert_eq!(
        stored,
        vec![5000, 5000],
        "only the valid messages were stored"
    );
    app.stop().await;
}

async fn malformed_bodies_and_ids_are_400_and_change_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let alice = app.user();
    let conversation = app.conversation(&alice, &[]).await;
    let url = format!("{}/api/conversations/{conversation}/messages", app.base);
    for raw in [
        "{not json",
        "",
        "[]",
        "null",
        "{\"content\": 42}",
        "{\"type\": \"text\"}",
    ] {
        let response = app
            .client
            .post(&url)
            .bearer_auth(&alice.token)
            .header("content-type", "application/json")
            .body(raw)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "body {raw:?}");
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["error"]["code"], "validation_failed", "body {raw:?}");
    }
    let path = format!("/api/conversations/{conversation}/messages");
    for body in [
        json!({ "content": "x", "type": "video" }),
        json!({ "content": "x", "type": "file", "fileIds": ["not-a-uuid"] }),
        json!({ "content": "x", "type": "file", "fileIds": [] }),
        json!({ "content": "x", "type": "text", "clientMsgId": "" }),
        json!({ "content": "nul \0 inside", "type": "text" }),
        json!({ "content": "x", "type": "text", "clientMsgId": "k-\0" }),
    ] {
        let (status, answer) = app.post(&path, &alice, body.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {answer}");
    }
    let (status, body) = app
        .get("/api/conversations/not-a-uuid/messages", &alice)
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"]["code"], "validation_failed");
    assert_eq!(
        app.patch("/api/messages/123", &alice, json!({ "content": "x" }))
            .await
            .0,
        StatusCode::BAD_REQUEST
    );
    let (_, page) = app.get(&path, &alice).await;
    assert!(page["messages"].as_array().unwrap().is_empty());
    app.stop().await;
}

async fn file_messages_need_the_senders_own_uploads(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let alice = app.user();
    let conversation = app.conversation(&alice, &[]).await;
    let (status, body) = app
        .post(
            &format!("/api/conversations/{conversation}/messages"),
            &alice,
            json!({ "content": "see file", "type": "file", "fileIds": [uuid::Uuid::new_v4()] }),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let next = app.send(&conversation, &alice, "after").await;
    assert_eq!(next["seq"], 1, "the refused file message consumed no seq");
    app.stop().await;
}

crate::on_both_backends!(
    content_length_is_counted_in_characters,
    malformed_bodies_and_ids_are_400_and_change_nothing,
    file_messages_need_the_senders_own_uploads,
);
