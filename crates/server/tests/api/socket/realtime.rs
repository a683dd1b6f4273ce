//! REST writes reach sockets through the notifier.

use std::time::Duration;

use serde_json::json;

use crate::helpers::{Backend, TestApp};

const WAIT: Duration = Duration::from_secs(5);

async fn rest_writes_are_broadcast_to_the_room(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (alice, bob) = (app.user(), app.user());
    let conversation = app.conversation(&alice, &[&bob]).await;
    let mut theirs = app.joined(&bob, &conversation).await;

    let message = app.send(&conversation, &alice, "over REST").await;
    let id = message["id"].as_str().unwrap().to_owned();
    assert_eq!(
        theirs.wait_for("message:new", WAIT).await["id"],
        id.as_str()
    );

    app.patch(
        &format!("/api/messages/{id}"),
        &alice,
        json!({ "content": "edited" }),
    )
    .await;
    let updated = theirs.wait_for("message:updated", WAIT).await;
    assert_eq!(updated["content"], "edited");
    assert!(updated["editedAt"].is_string());

    app.post(
        &format!("/api/messages/{id}/reactions"),
        &bob,
        json!({ "emoji": "🎉" }),
    )
    .await;
    let reacted = theirs.wait_for("message:updated", WAIT).await;
    assert_eq!(
        reacted["metadata"]["reactions"]["🎉"],
        json!([bob.id.to_string()])
    );

    app.post(
        &format!("/api/conversations/{conversation}/read"),
        &alice,
        json!({ "messageId": id }),
    )
    .await;
    assert_eq!(
        theirs.wait_for("message:read:update", WAIT).await["userId"],
        alice.id.to_string()
    );

    app.delete(&format!("/api/messages/{id}"), &alice).await;
    let deleted = theirs.wait_for("message:deleted", WAIT).await;
    assert_eq!(
        deleted,
        json!({ "messageId": id, "conversationId": conversation })
    );
    app.stop().await;
}

async fn a_removed_participant_stops_receiving_at_once(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (alice, bob, admin) = (app.user(), app.user(), app.admin());
    let conversation = app.conversation(&alice, &[&bob]).await;
    let mut theirs = app.joined(&bob, &conversation).await;
    app.remove_participant(&admin, &conversation, &bob).await;
    app.send(&conversation, &alice, "not for bob").await;
    assert!(
        theirs
            .maybe("message:new", Duration::from_millis(700))
            .await
            .is_none()
    );
    let ack = theirs
        .ask("join", json!({ "conversationId": conversation }))
        .await;
    assert_eq!(ack["error"]["code"], "forbidden");
    app.stop().await;
}

async fn admin_moderation_broadcasts_the_deletion(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (alice, bob, admin) = (app.user(), app.user(), app.admin());
    let conversation = app.conversation(&alice, &[&bob]).await;
    let mut theirs = app.joined(&bob, &conversation).await;
    let message = app.send(&conversation, &alice, "bad").await;
    theirs.wait_for("message:new", WAIT).await;
    app.delete(
        &format!("/api/admin/messages/{}", message["id"].as_str().unwrap()),
        &admin,
    )
    .await;
    let deleted = theirs.wait_for("message:deleted", WAIT).await;
    assert_eq!(deleted["messageId"], message["id"]);
    app.stop().await;
}

crate::on_both_backends!(
    rest_writes_are_broadcast_to_the_room,
    a_removed_participant_stops_receiving_at_once,
    admin_moderation_broadcasts_the_deletion,
);
