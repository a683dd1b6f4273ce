//! The admin surface beyond actions: the conversation listing (details, filters, stable
//! pages), one conversation's details, the audit log, and the report lifecycle's edges.

use reqwest::StatusCode;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{Backend, TestApp, User, named};

async fn create(app: &TestApp, project: &str, owner: &User, members: &[&User]) -> String {
    app.conversation_in(project, owner, members).await
}

fn ids(page: &Value) -> Vec<String> {
    page["conversations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_owned())
        .collect()
}

async fn list(app: &TestApp, admin: &User, query: &str) -> Value {
    let (status, body) = app
        .get(&format!("/api/admin/conversations?{query}"), admin)
        .await;
    assert_eq!(status, StatusCode::OK, "{query}: {body}");
    body
}

async fn admins_list_conversations_with_details_filters_and_stable_pages(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin();
    let alice = named("Alice", "alice@example.com");
    let (bob, carol) = (app.user(), app.user());
    let p1 = app.project_with(&[&alice, &bob, &carol]).await;
    let p2 = app.project_with(&[&alice, &carol]).await;
    let c1 = create(&app, &p1, &alice, &[&bob]).await;
    let c2 = create(&app, &p1, &bob, &[&carol]).await;
    let c3 = create(&app, &p1, &alice, &[]).await;
    let c4 = create(&app, &p2, &alice, &[]).await;
    let sent = app.send(&c1, &bob, "hello").await;

    let page = list(&app, &admin, &format!("projectId={p1}")).await;
    assert_eq!(
        ids(&page),
        vec![c3.clone(), c2.clone(), c1.clone()],
        "newest first"
    );
    assert_eq!(page["nextCursor"], Value::Null);
    let first = &page["conversations"][2];
    assert_eq!(first["projectId"], p1);
    assert_eq!(first["participantCount"], 2);
    assert_eq!(first["messageCount"], 1);
    assert_eq!(first["lastMessageAt"], sent["createdAt"]);
    let participant = |id: Uuid| {
        first["participants"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["userId"] == id.to_string())
            .cloned()
            .unwrap_or_else(|| panic!("{id} is listed: {first}"))
    };
    assert_eq!(
        participant(alice.id),
        json!({
            "userId": alice.id,
            "role": "owner",
            "joinedAt": first["createdAt"],
            "name": "Alice",
            "email": "alice@example.com",
        })
    );
    assert_eq!(participant(bob.id)["role"], "member");
    assert_eq!(page["conversations"][0]["lastMessageAt"], Value::Null);

    // Filters combine.
    let mine = list(&app, &admin, &format!("userId={}", alice.id)).await;
    assert_eq!(ids(&mine), vec![c4.clone(), c3.clone(), c1.clone()]);
    let mine = list(&app, &admin, &format!("userId={}&projectId={p1}", alice.id)).await;
    assert_eq!(ids(&mine), vec![c3.clone(), c1.clone()]);
    let (status, _) = app
        .patch(
            &format!("/api/admin/conversations/{c2}"),
            &admin,
            json!({ "status": "locked" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        ids(&list(&app, &admin, "status=locked").await),
        vec![c2.clone()]
    );
    let locked = list(&app, &admin, &format!("status=locked&userId={}", alice.id)).await;
    assert!(ids(&locked).is_empty());
    // A removed participant is no longer "in" the conversation.
    app.remove_participant(&admin, &c1, &bob).await;
    assert_eq!(
        ids(&list(&app, &admin, &format!("userId={}", bob.id)).await),
        vec![c2.clone()]
    );

    // Keyset pages stay put when a newer conversation appears between them.
    let page1 = list(&app, &admin, "limit=2").await;
    assert_eq!(ids(&page1), vec![c4.clone(), c3.clone()]);
    let cursor = page1["nextCursor"].as_str().unwrap().to_owned();
    let newer = create(&app, &p2, &carol, &[]).await;
    let page2 = list(&app, &admin, &format!("limit=2&cursor={cursor}")).await;
    assert_eq!(ids(&page2), vec![c2.clone(), c1.clone()]);
    assert_eq!(page2["nextCursor"], Value::Null, "nothing lies beyond");
    let page1 = list(&app, &admin, "limit=3").await;
    let rest = list(
        &app,
        &admin,
        &format!("limit=3&cursor={}", page1["nextCursor"].as_str().unwrap()),
    )
    .await;
    assert_eq!(ids(&rest), vec![c2.clone(), c1.clone()]);
    assert_eq!(rest["nextCursor"], Value::Null);
    assert_eq!(ids(&list(&app, &admin, "limit=1").await), vec![newer]);

    for query in [
        "status=open",
        "userId=bob",
        "projectId=1",
        "limit=0",
        "limit=101",
        "limit=many",
        "cursor=abc",
    ] {
        let (status, body) = app
            .get(&format!("/api/admin/conversations?{query}"), &admin)
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {body}");
    }
    let (status, _) = app
        .get(
            &format!("/api/admin/conversations?projectId={}", Uuid::new_v4()),
            &admin,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(
        app.status("/api/admin/conversations", &alice).await,
        StatusCode::FORBIDDEN
    );

    // One conversation: the same details plus the last message, deleted content included.
    let id = sent["id"].as_str().unwrap();
    let (status, _) = app
        .delete(&format!("/api/admin/messages/{id}?reason=rude"), &admin)
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = app
        .get(&format!("/api/admin/conversations/{c1}"), &admin)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let conversation = &body["conversation"];
    assert_eq!(conversation["id"], c1);
    assert_eq!(conversation["participantCount"], 1);
    assert_eq!(conversation["messageCount"], 1);
    assert_eq!(conversation["lastMessage"]["id"], id);
    assert_eq!(conversation["lastMessage"]["content"], "hello");
    assert!(conversation["lastMessage"]["deletedAt"].is_string());
    let (status, body) = app
        .get(&format!("/api/admin/conversations/{c3}"), &admin)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["conversation"]["lastMessage"], Value::Null);
    let unknown = format!("/api/admin/conversations/{}", Uuid::new_v4());
    assert_eq!(app.status(&unknown, &admin).await, StatusCode::NOT_FOUND);
    assert_eq!(
        app.status(&format!("/api/admin/conversations/{c1}"), &alice)
            .await,
        StatusCode::FORBIDDEN
    );
    app.stop().await;
}

async fn every_admin_action_is_audited_newest_first(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (admin, alice, bob) = (app.admin(), app.user(), app.user());
    let (status, body) = app
        .post(
            "/api/admin/projects",
            &admin,
            json!({ "name": "Audited", "memberIds": [alice.id] }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let project = body["project"]["id"].as_str().unwrap().to_owned();
    let conversation = create(&app, &project, &alice, &[]).await;
    let participants = format!("/api/admin/conversations/{conversation}/participants");
    let (status, _) = app
        .post(
            &participants,
            &admin,
            json!({ "userId": bob.id, "role": "admin" }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let message = app.send(&conversation, &bob, "report me").await;
    let message_id = message["id"].as_str().unwrap().to_owned();
    let (_, body) = app
        .post(
            &format!("/api/messages/{message_id}/report"),
            &alice,
            json!({ "reason": "spam" }),
        )
        .await;
    let report = body["report"]["id"].as_str().unwrap().to_owned();
    let (status, _) = app
        .patch(
            &format!("/api/admin/reports/{report}"),
            &admin,
            json!({ "status": "resolved" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = app
        .delete(
            &format!("/api/admin/messages/{message_id}?reason=spam%20link"),
            &admin,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    // Deleting again changes nothing and records nothing.
    app.delete(
        &format!("/api/admin/messages/{message_id}?reason=again"),
        &admin,
    )
    .await;
    let (status, _) = app
        .patch(
            &format!("/api/admin/conversations/{conversation}"),
            &admin,
            json!({ "status": "archived", "title": "Old" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = app
        .delete(&format!("{participants}/{}", bob.id), &admin)
        .await;
    assert_eq!(status, StatusCode::OK);
    let export = app
        .client
        .get(format!(
            "{}/api/admin/conversations/{conversation}/export?format=csv",
            app.base
        ))
        .bearer_auth(&admin.token)
        .send()
        .await
        .unwrap();
    assert_eq!(export.status(), StatusCode::OK);
    export.bytes().await.unwrap();

    let (status, page) = app.get("/api/admin/audit", &admin).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let entries = page["entries"].as_array().unwrap();
    let actions: Vec<&str> = entries
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        vec![
            "conversation.export",
            "participant.remove",
            "conversation.update",
            "message.delete",
            "report.update",
            "participant.add",
            "project.create",
        ]
    );
    assert!(entries.iter().all(|e| e["actorId"] == admin.id.to_string()));
    assert_eq!(entries[0]["targetType"], "conversation");
    assert_eq!(entries[0]["targetId"], conversation);
    assert_eq!(entries[0]["details"]["format"], "csv");
    assert_eq!(entries[1]["details"], json!({ "userId": bob.id }));
    assert_eq!(
        entries[2]["details"],
        json!({ "status": "archived", "title": "Old" })
    );
    assert_eq!(entries[3]["targetType"], "message");
    assert_eq!(entries[3]["targetId"], message_id);
    assert_eq!(entries[3]["details"]["reason"], "spam link");
    assert_eq!(entries[3]["details"]["senderId"], bob.id.to_string());
    assert_eq!(entries[4]["targetId"], report);
    assert_eq!(
        entries[4]["details"],
        json!({ "status": "resolved", "previousStatus": "pending", "messageId": message_id })
    );
    assert_eq!(
        entries[5]["details"],
        json!({ "userId": bob.id, "role": "admin" })
    );
    assert_eq!(entries[6]["targetType"], "project");
    assert_eq!(entries[6]["targetId"], project);
    assert_eq!(
        entries[6]["details"],
        json!({ "name": "Audited", "memberIds": [alice.id] })
    );
    assert!(
        entries
            .iter()
            .all(|e| e["createdAt"].is_string() && e["id"].is_string())
    );

    // Pages of two walk the same entries in the same order.
    let mut walked = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let query = match &cursor {
            Some(c) => format!("/api/admin/audit?limit=2&cursor={c}"),
            None => "/api/admin/audit?limit=2".to_owned(),
        };
        let (status, page) = app.get(&query, &admin).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        for entry in page["entries"].as_array().unwrap() {
            walked.push(entry["id"].clone());
        }
        match page["nextCursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    let all: Vec<Value> = entries.iter().map(|e| e["id"].clone()).collect();
    assert_eq!(walked, all);
    assert_eq!(
        app.status("/api/admin/audit", &alice).await,
        StatusCode::FORBIDDEN
    );
    for query in ["limit=0", "cursor=zz"] {
        let (status, _) = app.get(&format!("/api/admin/audit?{query}"), &admin).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}");
    }
    app.stop().await;
}

async fn report_lists_validate_the_status_and_resolving_records_who_and_when(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (alice, bob, reviewer, resolver) = (app.user(), app.user(), app.admin(), app.admin());
    let conversation = app.conversation(&alice, &[&bob]).await;
    let message = app.send(&conversation, &alice, "buy now").await;
    let id = message["id"].as_str().unwrap();
    let (status, body) = app
        .post(
            &format!("/api/messages/{id}/report"),
            &bob,
            json!({ "reason": "spam" }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let report = body["report"]["id"].as_str().unwrap().to_owned();
    assert_eq!(body["report"]["resolvedBy"], Value::Null);
    assert_eq!(body["report"]["resolvedAt"], Value::Null);

    for bad in ["open", "PENDING", "closed"] {
        let (status, body) = app
            .get(&format!("/api/admin/reports?status={bad}"), &reviewer)
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {body}");
        assert_eq!(body["error"]["code"], "validation_failed");
    }
    assert_eq!(
        app.status("/api/admin/reports", &alice).await,
        StatusCode::FORBIDDEN
    );
    let path = format!("/api/admin/reports/{report}");
    assert_eq!(
        app.patch(&path, &reviewer, json!({ "status": "done" }))
            .await
            .0,
        StatusCode::BAD_REQUEST
    );
    let (status, body) = app
        .patch(&path, &reviewer, json!({ "status": "reviewed" }))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, reviewed) = app
        .get("/api/admin/reports?status=reviewed", &reviewer)
        .await;
    assert_eq!(reviewed["reports"][0]["id"], report);
    let (_, body) = app
        .patch(&path, &resolver, json!({ "status": "resolved" }))
        .await;
    assert_eq!(body["report"]["status"], "resolved");
    assert_eq!(body["report"]["resolvedBy"], resolver.id.to_string());
    let resolved_at =
        chrono::DateTime::parse_from_rfc3339(body["report"]["resolvedAt"].as_str().unwrap())
            .unwrap();
    let created_at =
        chrono::DateTime::parse_from_rfc3339(body["report"]["createdAt"].as_str().unwrap())
            .unwrap();
    assert!(resolved_at >= created_at);
    let (_, resolved) = app
        .get("/api/admin/reports?status=resolved", &reviewer)
        .await;
    assert_eq!(
        resolved["reports"][0]["resolvedBy"],
        resolver.id.to_string()
    );
    let (_, all) = app.get("/api/admin/reports", &reviewer).await;
    assert_eq!(all["reports"].as_array().unwrap().len(), 1);
    let (_, reviewed) = app
        .get("/api/admin/reports?status=reviewed", &reviewer)
        .await;
    assert!(reviewed["reports"].as_array().unwrap().is_empty());
    let unknown = format!("/api/admin/reports/{}", Uuid::new_v4());
    assert_eq!(
        app.patch(&unknown, &reviewer, json!({ "status": "resolved" }))
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    app.stop().await;
}

async fn the_openapi_document_lists_the_admin_views(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let doc = app
        .openapi_with(&[
            ("/admin/conversations", "get"),
            ("/admin/conversations/{id}", "get"),
            ("/admin/conversations/{id}", "patch"),
            ("/admin/conversations/analytics", "get"),
            ("/admin/conversations/{id}/export", "get"),
            ("/admin/audit", "get"),
        ])
        .await;
    let schemas = &doc["components"]["schemas"];
    for schema in [
        "ConversationPage",
        "ConversationAnalytics",
        "AuditPage",
        "AdminConversationBody",
    ] {
        assert!(schemas[schema].is_object(), "missing schema {schema}");
    }
    app.stop().await;
}

crate::on_both_backends!(
    the_openapi_document_lists_the_admin_views,
    admins_list_conversations_with_details_filters_and_stable_pages,
    every_admin_action_is_audited_newest_first,
    report_lists_validate_the_status_and_resolving_records_who_and_when
);
