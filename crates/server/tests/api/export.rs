//! `GET /api/admin/conversations/:id/export`: the exact JSON and CSV of a small conversation
//! with every awkward case (quoting, formulas, multi-line, unicode, edits, a moderation
//! delete, files, reactions), and the errors.

use confab_store::testing::seed::{SeedFile, insert_file};
use reqwest::StatusCode;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{Backend, TestApp, User, named};

/// The raw response: status, headers, body text.
async fn download(
    app: &TestApp,
    who: &User,
    path: &str,
) -> (StatusCode, reqwest::header::HeaderMap, String) {
    let response = app
        .client
        .get(format!("{}{path}", app.base))
        .bearer_auth(&who.token)
        .send()
        .await
        .unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    (status, headers, response.text().await.unwrap())
}

struct Sent {
    conversation: String,
    messages: Vec<Value>,
    alice: User,
    bob: User,
    carol: User,
    admin: User,
    file: SeedFile,
}

/// Seven messages, one per awkward case, as the API returned them after every change.
async fn conversation(app: &TestApp) -> Sent {
    let alice = named("Alice", "alice@example.com");
    let bob = named("Bob, Jr.", "bob@example.com");
    let carol = named("=cmd|' /C calc'!A0", "carol@example.com");
    let admin = app.admin();
    let conversation = app.conversation(&alice, &[&bob, &carol]).await;
    app.send(&conversation, &alice, "hello, \"world\"").await;
    app.send(&conversation, &bob, "line one\nline two\r\nline three")
        .await;
    app.send(&conversation, &carol, "=SUM(A1:A2)").await;
    app.send(&conversation, &alice, "héllo 👋 ünïcödé").await;
    let edited = app.send(&conversation, &bob, "-5 apples").await;
    let deleted = app.send(&conversation, &carol, "@everyone spam").await;
    let db = confab_store::connect(app.database_url(), &app.store_options())
        .await
        .unwrap();
    let file = SeedFile {
        id: Uuid::now_v7(),
        conversation_id: conversation.parse().unwrap(),
        uploader_id: alice.id,
        file_name: "report, final.pdf".into(),
        file_size: 1234,
        file_type: "application/pdf".into(),
        file_url: "/api/files/report".into(),
    };
    insert_file(&db, &file).await;
    db.close().await.unwrap();
    let (status, body) = app
        .post(
            &format!("/api/conversations/{conversation}/messages"),
            &alice,
            json!({ "content": "see attached", "type": "file", "fileIds": [file.id] }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");

    let first = {
        let (_, page) = app
            .get(
                &format!("/api/conversations/{conversation}/messages?limit=100"),
                &admin,
            )
            .await;
        page["messages"].as_array().unwrap().last().unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let (status, _) = app
        .post(
            &format!("/api/messages/{first}/reactions"),
            &bob,
            json!({ "emoji": "👍" }),
        )
        .await;
    assert!(status.is_success(), "{status}");
    let id = edited["id"].as_str().unwrap();
    let (status, _) = app
        .patch(
            &format!("/api/messages/{id}"),
            &bob,
            json!({ "content": "+5 apples" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let id = deleted["id"].as_str().unwrap();
    let (status, _) = app
        .delete(
            &format!("/api/admin/messages/{id}?reason=spam,%20obviously"),
            &admin,
        )
        .await;
    assert_eq!(status, StatusCode::OK);

    // Admins read everything unredacted, oldest first after reversing.
    let (_, page) = app
        .get(
            &format!("/api/conversations/{conversation}/messages?limit=100"),
            &admin,
        )
        .await;
    let mut messages = page["messages"].as_array().unwrap().clone();
    messages.reverse();
    assert_eq!(messages.len(), 7);
    Sent {
        conversation,
        messages,
        alice,
        bob,
        carol,
        admin,
        file,
    }
}

fn text(value: &Value) -> String {
    value.as_str().unwrap_or_default().to_owned()
}

async fn exports_are_exact_json_and_csv(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let s = conversation(&app).await;
    let m = &s.messages;
    let (alice, bob, carol) = (s.alice.id, s.bob.id, s.carol.id);
    let edit_time = text(&m[4]["editedAt"]);
    let deleted_at = text(&m[5]["deletedAt"]);
    assert!(!edit_time.is_empty() && !deleted_at.is_empty());

    // JSON
    let path = format!("/api/admin/conversations/{}/export", s.conversation);
    let (status, headers, body) = download(&app, &s.admin, &path).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(headers["content-type"], "application/json");
    assert_eq!(
        headers["content-disposition"],
        format!(
            "attachment; filename=\"conversation-{}.json\"",
            s.conversation
        )
        .as_str()
    );
    let export: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(export["conversation"]["id"], s.conversation);
    assert_eq!(export["conversation"]["lastSeq"], 7);
    let mut participants = export["participants"].as_array().unwrap().clone();
    participants.sort_by_key(|p| text(&p["userId"]));
    let mut expected_participants = vec![
        json!({ "userId": alice, "role": "owner", "name": "Alice", "email": "alice@example.com" }),
        json!({ "userId": bob, "role": "member", "name": "Bob, Jr.", "email": "bob@example.com" }),
        json!({ "userId": carol, "role": "member", "name": "=cmd|' /C calc'!A0", "email": "carol@example.com" }),
    ];
    expected_participants.sort_by_key(|p| text(&p["userId"]));
    for (got, mut want) in participants.into_iter().zip(expected_participants) {
        want["joinedAt"] = export["conversation"]["createdAt"].clone();
        assert_eq!(got, want);
    }
    let sender =
        |id: Uuid, name: &str, email: &str| json!({ "id": id, "name": name, "email": email });
    let base = |i: usize, who: Value| {
        json!({
            "seq": i + 1,
            "id": m[i]["id"],
            "createdAt": m[i]["createdAt"],
            "sender": who,
            "type": "text",
            "content": m[i]["content"],
            "editedAt": null,
            "deletedAt": null,
            "deletedBy": null,
            "deleteReason": null,
            "edits": [],
            "files": [],
            "reactions": {},
        })
    };
    let a = || sender(alice, "Alice", "alice@example.com");
    let b = || sender(bob, "Bob, Jr.", "bob@example.com");
    let c = || sender(carol, "=cmd|' /C calc'!A0", "carol@example.com");
    let mut expected = vec![
        base(0, a()),
        base(1, b()),
        base(2, c()),
        base(3, a()),
        base(4, b()),
        base(5, c()),
        base(6, a()),
    ];
    expected[0]["reactions"] = json!({ "👍": [bob] });
    expected[4]["editedAt"] = json!(edit_time);
    expected[4]["edits"] =
        json!([{ "previousContent": "-5 apples", "editedAt": edit_time, "editorId": bob }]);
    expected[5]["deletedAt"] = json!(deleted_at);
    expected[5]["deletedBy"] = json!(s.admin.id);
    expected[5]["deleteReason"] = json!("spam, obviously");
    expected[6]["type"] = json!("file");
    expected[6]["files"] = json!([{
        "id": s.file.id, "name": "report, final.pdf", "size": 1234,
        "type": "application/pdf", "url": "/api/files/report",
    }]);
    assert_eq!(export["messages"], Value::Array(expected));
    assert_eq!(
        m[5]["content"], "@everyone spam",
        "admins see deleted content"
    );
    assert_eq!(m[4]["content"], "+5 apples");

    // CSV
    let (status, headers, csv) = download(&app, &s.admin, &format!("{path}?format=csv")).await;
    assert_eq!(status, StatusCode::OK, "{csv}");
    assert_eq!(headers["content-type"], "text/csv; charset=utf-8");
    assert_eq!(
        headers["content-disposition"],
        format!(
            "attachment; filename=\"conversation-{}.csv\"",
            s.conversation
        )
        .as_str()
    );
    let id = |i: usize| text(&m[i]["id"]);
    let at = |i: usize| text(&m[i]["createdAt"]);
    let alice_cols = format!("{alice},Alice,alice@example.com");
    let bob_cols = format!("{bob},\"Bob, Jr.\",bob@example.com");
    let carol_cols = format!("{carol},'=cmd|' /C calc'!A0,carol@example.com");
    let expected_csv = [
        "seq,id,createdAt,senderId,senderName,senderEmail,type,content,editedAt,deletedAt,deletedBy,deleteReason,edits,files,reactions".to_owned(),
        format!("1,{},{},{alice_cols},text,\"hello, \"\"world\"\"\",,,,,[],[],\"{{\"\"👍\"\":[\"\"{bob}\"\"]}}\"", id(0), at(0)),
        format!("2,{},{},{bob_cols},text,\"line one\nline two\r\nline three\",,,,,[],[],{{}}", id(1), at(1)),
        format!("3,{},{},{carol_cols},text,'=SUM(A1:A2),,,,,[],[],{{}}", id(2), at(2)),
        format!("4,{},{},{alice_cols},text,héllo 👋 ünïcödé,,,,,[],[],{{}}", id(3), at(3)),
        format!(
            "5,{},{},{bob_cols},text,'+5 apples,{edit_time},,,,\"[{{\"\"previousContent\"\":\"\"-5 apples\"\",\"\"editedAt\"\":\"\"{edit_time}\"\",\"\"editorId\"\":\"\"{bob}\"\"}}]\",[],{{}}",
            id(4), at(4)
        ),
        format!(
            "6,{},{},{carol_cols},text,'@everyone spam,,{deleted_at},{},\"spam, obviously\",[],[],{{}}",
            id(5), at(5), s.admin.id
        ),
        format!(
            "7,{},{},{alice_cols},file,see attached,,,,,[],\"[{{\"\"id\"\":\"\"{}\"\",\"\"name\"\":\"\"report, final.pdf\"\",\"\"size\"\":1234,\"\"type\"\":\"\"application/pdf\"\",\"\"url\"\":\"\"/api/files/report\"\"}}]\",{{}}",
            id(6), at(6), s.file.id
        ),
    ]
    .map(|line| format!("{line}\r\n"))
    .concat();
    assert_eq!(csv, expected_csv);
    app.stop().await;
}

async fn exports_check_the_format_the_conversation_and_the_caller(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (alice, admin) = (app.user(), app.admin());
    let conversation = app.conversation(&alice, &[]).await;
    let path = format!("/api/admin/conversations/{conversation}/export");
    let (status, body) = app.get(&format!("{path}?format=xml"), &admin).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"]["code"], "validation_failed");
    let unknown = format!("/api/admin/conversations/{}/export", Uuid::new_v4());
    assert_eq!(app.status(&unknown, &admin).await, StatusCode::NOT_FOUND);
    assert_eq!(app.status(&path, &alice).await, StatusCode::FORBIDDEN);
    let (status, body) = app.get(&format!("{path}?format=json"), &admin).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body["messages"],
        json!([]),
        "an empty conversation is valid JSON"
    );
    let (status, _, csv) = download(&app, &admin, &format!("{path}?format=csv")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(csv.lines().count(), 1, "a header row only");
    app.stop().await;
}

crate::on_both_backends!(
    exports_are_exact_json_and_csv,
    exports_check_the_format_the_conversation_and_the_caller
);
