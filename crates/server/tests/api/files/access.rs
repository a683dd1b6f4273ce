//! Who may upload and download, files on messages (ack, broadcast, history, sync), what
//! may be attached, and the sweeper.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::{error_code, pdf, png};
use crate::helpers::{Backend, TestApp};

async fn outsiders_can_neither_upload_nor_download_and_admins_can_download(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (alice, outsider, admin) = (app.user(), app.user(), app.admin());
    let conversation = app.conversation(&alice, &[]).await;
    let (status, body) = app
        .upload(&conversation, &outsider, "x.png", &png(100))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(app.stored_files().is_empty());

    let file = app
        .uploaded(&conversation, &alice, "x.png", &png(100))
        .await;
    let id = file["fileId"].as_str().unwrap();
    let (status, _) = app.send_files(&conversation, &alice, &[id]).await;
    assert_eq!(status, StatusCode::CREATED);

    let response = app.download(id, &outsider).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let response = app.download(id, &admin).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.bytes().await.unwrap().as_ref(),
        png(100).as_slice()
    );

    let response = app
        .download(&uuid::Uuid::new_v4().to_string(), &alice)
        .await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let (status, _) = app
        .upload(
            &uuid::Uuid::new_v4().to_string(),
            &alice,
            "x.png",
            &png(100),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let unauthenticated = app
        .client
        .get(format!("{}/api/files/{id}", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(unauthenticated.status(), StatusCode::UNAUTHORIZED);
    app.stop().await;
}

async fn participants_read_sent_files_but_not_drafts_removed_members_or_deleted_messages(
    backend: Backend,
) {
    let app = TestApp::spawn(backend).await;
    let (alice, bob, admin) = (app.user(), app.user(), app.admin());
    let conversation = app.conversation(&alice, &[&bob]).await;
    let draft = app
        .uploaded(&conversation, &alice, "draft.pdf", &pdf())
        .await;
    let draft = draft["fileId"].as_str().unwrap();
    assert_eq!(
        app.download(draft, &bob).await.status(),
        StatusCode::NOT_FOUND
    );

    let (_, sent) = app.send_files(&conversation, &alice, &[draft]).await;
    assert_eq!(app.download(draft, &bob).await.status(), StatusCode::OK);

    let message = sent["message"]["id"].as_str().unwrap();
    let (status, _) = app
        .delete(&format!("/api/messages/{message}"), &alice)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        app.download(draft, &bob).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(app.download(draft, &alice).await.status(), StatusCode::OK);

    let shared = app.uploaded(&conversation, &alice, "b.pdf", &pdf()).await;
    let shared = shared["fileId"].as_str().unwrap();
    app.send_files(&conversation, &alice, &[shared]).await;
    assert_eq!(app.download(shared, &bob).await.status(), StatusCode::OK);
    app.remove_participant(&admin, &conversation, &bob).await;
    assert_eq!(
        app.download(shared, &bob).await.status(),
        StatusCode::FORBIDDEN
    );
    let (status, _) = app.upload(&conversation, &bob, "x.pdf", &pdf()).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    app.stop().await;
}

async fn uploads_into_a_locked_conversation_are_refused(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (alice, admin) = (app.user(), app.admin());
    let conversation = app.conversation(&alice, &[]).await;
    let (status, body) = app
        .patch(
            &format!("/api/admin/conversations/{conversation}"),
            &admin,
            json!({ "status": "locked" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = app.upload(&conversation, &alice, "x.pdf", &pdf()).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(error_code(&body), "conversation_locked");
    assert!(app.stored_files().is_empty());
    app.stop().await;
}

/// `{ id, fileName, fileSize, fileType, fileUrl }` of an upload answer.
fn attachment_of(upload: &Value) -> Value {
    json!([{
        "id": upload["fileId"],
        "fileName": upload["fileName"],
        "fileSize": upload["fileSize"],
        "fileType": upload["fileType"],
        "fileUrl": upload["fileUrl"],
    }])
}

async fn a_file_message_carries_its_files_in_the_ack_the_broadcast_history_and_sync(
    backend: Backend,
) {
    let app = TestApp::spawn(backend).await;
    let (alice, bob) = (app.user(), app.user());
    let conversation = app.conversation(&alice, &[&bob]).await;
    let upload = app
        .uploaded(&conversation, &alice, "plan.pdf", &pdf())
        .await;
    let expected = attachment_of(&upload);
    let sender = app.joined(&alice, &conversation).await;
    let mut watcher = app.joined(&bob, &conversation).await;

    let ack = sender
        .ask(
            "message:send",
            json!({ "conversationId": conversation, "content": "the plan", "type": "file",
                    "fileIds": [upload["fileId"]], "clientMsgId": "f-1" }),
        )
        .await;
    assert_eq!(ack["ok"], true, "{ack}");
    assert_eq!(ack["message"]["files"], expected);
    assert_eq!(ack["message"]["type"], "file");
    let broadcast = watcher
        .wait_for("message:new", Duration::from_secs(5))
        .await;
    assert_eq!(broadcast["files"], expected);
    assert_eq!(broadcast["id"], ack["message"]["id"]);

    let (_, page) = app
        .get(&format!("/api/conversations/{conversation}/messages"), &bob)
        .await;
    assert_eq!(page["messages"][0]["files"], expected);
    let sync = watcher
        .ask(
            "message:sync",
            json!({ "conversationId": conversation, "afterSeq": 0 }),
        )
        .await;
    assert_eq!(sync["messages"][0]["files"], expected, "{sync}");

    // The REST send answers with the files too.
    let second = app.uploaded(&conversation, &alice, "b.png", &png(64)).await;
    let (status, sent) = app
        .send_files(&conversation, &alice, &[second["fileId"].as_str().unwrap()])
        .await;
    assert_eq!(status, StatusCode::CREATED, "{sent}");
    assert_eq!(sent["message"]["files"], attachment_of(&second));
    let broadcast = watcher
        .wait_for("message:new", Duration::from_secs(5))
        .await;
    assert_eq!(broadcast["files"], attachment_of(&second));
    app.stop().await;
}

async fn only_the_senders_unattached_uploads_in_the_conversation_attach(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (alice, bob) = (app.user(), app.user());
    let conversation = app.conversation(&alice, &[&bob]).await;
    let elsewhere = app.conversation(&alice, &[]).await;
    let bobs = app.uploaded(&conversation, &bob, "bob.pdf", &pdf()).await;
    let other = app.uploaded(&elsewhere, &alice, "other.pdf", &pdf()).await;
    let mine = app
        .uploaded(&conversation, &alice, "mine.pdf", &pdf())
        .await;
    let id = |v: &Value| v["fileId"].as_str().unwrap().to_owned();

    for (what, file) in [
        ("someone else's", id(&bobs)),
        ("another conversation's", id(&other)),
    ] {
        let (status, body) = app.send_files(&conversation, &alice, &[&file]).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{what}: {body}");
        assert_eq!(error_code(&body), "validation_failed");
    }
    let (status, _) = app.send_files(&conversation, &alice, &[&id(&mine)]).await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, body) = app.send_files(&conversation, &alice, &[&id(&mine)]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "attached twice: {body}");
    let (_, page) = app
        .get(
            &format!("/api/conversations/{conversation}/messages"),
            &alice,
        )
        .await;
    assert_eq!(page["messages"].as_array().unwrap().len(), 1);
    app.stop().await;
}

async fn the_sweeper_deletes_expired_unattached_uploads_and_keeps_attached_ones(backend: Backend) {
    let app = TestApp::spawn_with(backend, |config| {
        config.files.unattached_ttl = Duration::from_secs(1);
        config.files.sweep_interval = Duration::from_millis(200);
    })
    .await;
    let alice = app.user();
    let conversation = app.conversation(&alice, &[]).await;
    let stale = app
        .uploaded(&conversation, &alice, "stale.pdf", &pdf())
        .await;
    let kept = app
        .uploaded(&conversation, &alice, "kept.pdf", &pdf())
        .await;
    let kept_id = kept["fileId"].as_str().unwrap();
    let (status, _) = app.send_files(&conversation, &alice, &[kept_id]).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(app.stored_files().len(), 2);

    let stale_id = stale["fileId"].as_str().unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while app.download(stale_id, &alice).await.status() != StatusCode::NOT_FOUND {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the stale upload was not swept"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let left = app.stored_files();
    assert_eq!(left.len(), 1, "{left:?}");
    assert!(left[0].ends_with(kept_id), "{left:?}");
    let response = app.download(kept_id, &alice).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.bytes().await.unwrap().as_ref(), pdf().as_slice());
    app.stop().await;
}

crate::on_both_backends!(
    outsiders_can_neither_upload_nor_download_and_admins_can_download,
    participants_read_sent_files_but_not_drafts_removed_members_or_deleted_messages,
    uploads_into_a_locked_conversation_are_refused,
    a_file_message_carries_its_files_in_the_ack_the_broadcast_history_and_sync,
    only_the_senders_unattached_uploads_in_the_conversation_attach,
    the_sweeper_deletes_expired_unattached_uploads_and_keeps_attached_ones,
);
