use std::time::Duration;

use serde_json::json;
use uuid::Uuid;

use crate::helpers::{Backend, TestApp};

const WAIT: Duration = Duration::from_secs(5);
const QUIET: Duration = Duration::from_millis(500);

async fn join_is_for_participants_and_admins_and_acks_last_seq(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (alice, outsider, admin) = (app.user(), app.user(), app.admin());
    let conversation = app.conversation(&alice, &[]).await;
    app.send(&conversation, &alice, "one").await;
    let socket = app.socket(&alice).await;
    let ack = socket
        .ask("join", json!({ "conversationId": conversation }))
        .await;
    assert_eq!(ack["ok"], true);
    assert_eq!(ack["lastSeq"], 1);
    assert_eq!(ack["conversation"]["id"], conversation.as_str());

    let theirs = app.socket(&outsider).await;
    let ack = theirs
        .ask("join", json!({ "conversationId": conversation }))
        .await;
    assert_eq!(ack["error"]["code"], "forbidden", "{ack}");
    let ack = theirs
        .ask("join", json!({ "conversationId": Uuid::new_v4() }))
        .await;
    assert_eq!(ack["error"]["code"], "not_found", "{ack}");
    let ack = theirs
        .ask("join", json!({ "conversationId": "nope" }))
        .await;
    assert_eq!(ack["error"]["code"], "validation_failed", "{ack}");
    let ack = app
        .socket(&admin)
        .await
        .ask("join", json!({ "conversationId": conversation }))
        .await;
    assert_eq!(ack["ok"], true, "{ack}");
    app.stop().await;
}

async fn a_send_is_acked_then_broadcast_to_the_room_including_the_sender(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (alice, bob) = (app.user(), app.user());
    let conversation = app.conversation(&alice, &[&bob]).await;
    let mut mine = app.joined(&alice, &conversation).await;
    let mut theirs = app.joined(&bob, &conversation).await;
    let payload = json!({ "conversationId": conversation, "content": "hello", "type": "text", "clientMsgId": "c1" });
    let ack = mine.ask("message:send", payload.clone()).await;
    assert_eq!(ack["ok"], true, "{ack}");
    assert_eq!(ack["message"]["seq"], 1);
    assert_eq!(ack["message"]["clientMsgId"], "c1");
    let seen = theirs.wait_for("message:new", WAIT).await;
    assert_eq!(seen["id"], ack["message"]["id"]);
    assert_eq!(seen["content"], "hello");
    let echoed = mine.wait_for("message:new", WAIT).await;
    assert_eq!(echoed["id"], ack["message"]["id"]);

    let retry = mine.ask("message:send", payload).await;
    assert_eq!(retry["message"]["id"], ack["message"]["id"]);
    assert!(
        theirs.maybe("message:new", QUIET).await.is_none(),
        "a retry broadcasts nothing"
    );
    app.stop().await;
}

async fn typing_reaches_others_and_expires(backend: Backend) {
    let app = TestApp::spawn_with(backend, |c| {
        c.realtime.typing_ttl = Duration::from_millis(800)
    })
    .await;
    let (alice, bob) = (app.user(), app.user());
    let conversation = app.conversation(&alice, &[&bob]).await;
    let mut mine = app.joined(&alice, &conversation).await;
    let mut theirs = app.joined(&bob, &conversation).await;
    assert_eq!(
        mine.ask("typing:start", json!({ "conversationId": conversation }))
            .await["ok"],
        true
    );
    let typing = theirs.wait_for("user:typing", WAIT).await;
    assert_eq!(
        typing,
        json!({ "userId": alice.id, "conversationId": conversation, "isTyping": true })
    );
    mine.ask("typing:stop", json!({ "conversationId": conversation }))
        .await;
    assert_eq!(
        theirs.wait_for("user:typing", WAIT).await["isTyping"],
        false
    );
    assert!(
        mine.maybe("user:typing", QUIET).await.is_none(),
        "the typist hears nothing"
    );
    // Broadcasts are coalesced to one per 2 s: let the allowance come back.
    tokio::time::sleep(Duration::from_secs(2)).await;

    mine.ask("typing:start", json!({ "conversationId": conversation }))
        .await;
    assert_eq!(theirs.wait_for("user:typing", WAIT).await["isTyping"], true);
    let started = tokio::time::Instant::now();
    assert_eq!(
        theirs.wait_for("user:typing", WAIT).await["isTyping"],
        false
    );
    assert!(
        started.elapsed() >= Duration::from_millis(500),
        "expired too early: {:?}",
        started.elapsed()
    );

    let outsider = app.socket(&app.user()).await;
    let ack = outsider
        .ask("typing:start", json!({ "conversationId": conversation }))
        .await;
    assert_eq!(ack["error"]["code"], "not_joined", "{ack}");
    app.stop().await;
}

async fn reads_are_broadcast_as_read_updates(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (alice, bob) = (app.user(), app.user());
    let conversation = app.conversation(&alice, &[&bob]).await;
    let mut mine = app.joined(&alice, &conversation).await;
    let theirs = app.joined(&bob, &conversation).await;
    let message = app.send(&conversation, &alice, "read me").await;
    let ack = theirs
        .ask("message:read", json!({ "messageId": message["id"] }))
        .await;
    assert_eq!(ack["ok"], true, "{ack}");
    let update = mine.wait_for("message:read:update", WAIT).await;
    assert_eq!(update["messageId"], message["id"]);
    assert_eq!(update["userId"], bob.id.to_string());
    assert_eq!(update["conversationId"], conversation.as_str());
    assert!(update["readAt"].is_string());
    let ack = theirs
        .ask("message:read", json!({ "messageId": Uuid::new_v4() }))
        .await;
    assert_eq!(ack["error"]["code"], "not_found");
    app.stop().await;
}

async fn sync_returns_what_a_client_missed_in_order(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (alice, bob) = (app.user(), app.user());
    let conversation = app.conversation(&alice, &[&bob]).await;
    app.send(&conversation, &alice, "seen").await;
    let missed: Vec<_> = futures::future::join_all((0..3).map(|i| {
        let app = &app;
        let alice = &alice;
        let conversation = &conversation;
        async move { app.send(conversation, alice, &format!("missed {i}")).await }
    }))
    .await;
    app.patch(
        &format!("/api/messages/{}", missed[0]["id"].as_str().unwrap()),
        &alice,
        json!({ "content": "edited" }),
    )
    .await;
    app.delete(
        &format!("/api/messages/{}", missed[1]["id"].as_str().unwrap()),
        &alice,
    )
    .await;
    let socket = app.socket(&bob).await;
    let ack = socket
        .ask(
            "message:sync",
            json!({ "conversationId": conversation, "afterSeq": 1 }),
        )
        .await;
    assert_eq!(ack["ok"], true, "{ack}");
    assert_eq!(ack["hasMore"], false);
    let messages = ack["messages"].as_array().unwrap();
    let seqs: Vec<i64> = messages
        .iter()
        .map(|m| m["seq"].as_i64().unwrap())
        .collect();
    assert_eq!(seqs, vec![2, 3, 4]);
    let edited = messages
        .iter()
        .find(|m| m["id"] == missed[0]["id"])
        .unwrap();
    assert_eq!(edited["content"], "edited");
    let deleted = messages
        .iter()
        .find(|m| m["id"] == missed[1]["id"])
        .unwrap();
    assert!(deleted["deletedAt"].is_string());
    assert_eq!(deleted["content"], "");
    let ack = socket
        .ask(
            "message:sync",
            json!({ "conversationId": conversation, "afterSeq": 0, "limit": 2 }),
        )
        .await;
    assert_eq!(ack["messages"].as_array().unwrap().len(), 2);
    assert_eq!(ack["hasMore"], true);
    let ack = app
        .socket(&app.user())
        .await
        .ask(
            "message:sync",
            json!({ "conversationId": conversation, "afterSeq": 0 }),
        )
        .await;
    assert_eq!(ack["error"]["code"], "forbidden");
    app.stop().await;
}

async fn the_message_limit_is_shared_by_sockets_and_rest(backend: Backend) {
    let app = TestApp::spawn_with(backend, |c| c.limits.messages_per_minute = 30).await;
    let alice = app.user();
    let conversation = app.conversation(&alice, &[]).await;
    let socket = app.joined(&alice, &conversation).await;
    let mut ok = 0;
    let mut limited = 0;
    for i in 0..40 {
        let ack = socket
            .ask(
                "message:send",
                json!({ "conversationId": conversation, "content": format!("flood {i}") }),
            )
            .await;
        if ack["ok"] == true {
            ok += 1;
        } else {
            assert_eq!(ack["error"]["code"], "rate_limited", "{ack}");
            assert!(ack["error"]["retryAfterMs"].as_u64().unwrap() > 0);
            limited += 1;
        }
    }
    assert_eq!((ok, limited), (30, 10));
    let (status, _) = app
        .post(
            &format!("/api/conversations/{conversation}/messages"),
            &alice,
            json!({ "content": "rest" }),
        )
        .await;
    assert_eq!(status, reqwest::StatusCode::TOO_MANY_REQUESTS);
    app.stop().await;
}

async fn malformed_payloads_get_error_acks_and_the_socket_stays(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let alice = app.user();
    let conversation = app.conversation(&alice, &[]).await;
    let mut socket = app.joined(&alice, &conversation).await;
    for (args, code) in [
        (r#"["message:send"]"#.to_owned(), "validation_failed"),
        (r#"["message:send","text"]"#.to_owned(), "validation_failed"),
        (r#"["message:send",{"conversationId":5}]"#.to_owned(), "validation_failed"),
        (json!(["message:send", { "conversationId": conversation, "content": "x".repeat(5001) }]).to_string(), "validation_failed"),
        (json!(["message:send", { "conversationId": conversation, "content": "" }]).to_string(), "validation_failed"),
        (json!(["message:send", { "conversationId": conversation, "content": "x", "type": "video" }]).to_string(), "validation_failed"),
        (json!(["message:send", { "conversationId": Uuid::new_v4(), "content": "x" }]).to_string(), "not_found"),
        (r#"["join",{}]"#.to_owned(), "validation_failed"),
        (r#"["message:read",{"messageId":[]}]"#.to_owned(), "validation_failed"),
        (r#"["no-such-event",{}]"#.to_owned(), "validation_failed"),
    ] {
        let ack = socket.ask_raw(&args).await;
        assert_eq!(ack["error"]["code"], code, "{args}: {ack}");
        assert!(ack["error"]["message"].is_string());
    }
    // Without an ack callback the failure is only logged; the socket keeps working.
    socket.emit("message:send", json!({ "conversationId": 1 }));
    let ack = socket
        .ask(
            "message:send",
            json!({ "conversationId": conversation, "content": "still here" }),
        )
        .await;
    assert_eq!(ack["ok"], true, "{ack}");
    assert_eq!(
        socket.wait_for("message:new", WAIT).await["content"],
        "still here"
    );
    app.stop().await;
}

crate::on_both_backends!(
    join_is_for_participants_and_admins_and_acks_last_seq,
    a_send_is_acked_then_broadcast_to_the_room_including_the_sender,
    typing_reaches_others_and_expires,
    reads_are_broadcast_as_read_updates,
    sync_returns_what_a_client_missed_in_order,
    the_message_limit_is_shared_by_sockets_and_rest,
    malformed_payloads_get_error_acks_and_the_socket_stays,
);
