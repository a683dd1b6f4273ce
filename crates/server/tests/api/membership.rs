//! Project membership end to end: only members (and admins) list a project's conversations
//! or create one, every participant must be a member, admins manage members, and removing a
//! member takes them out of the project's conversations and rooms at once.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{Backend, TestApp, User};

const WAIT: Duration = Duration::from_secs(5);

fn ids(body: &Value, list: &str, field: &str) -> Vec<String> {
    let mut ids: Vec<String> = body[list]
        .as_array()
        .unwrap_or_else(|| panic!("no {list} in {body}"))
        .iter()
        .map(|item| item[field].as_str().unwrap().to_owned())
        .collect();
    ids.sort();
    ids
}

fn sorted(users: &[&User]) -> Vec<String> {
    let mut ids: Vec<String> = users.iter().map(|u| u.id.to_string()).collect();
    ids.sort();
    ids
}

async fn create(app: &TestApp, project: &str, who: &User, others: &[Uuid]) -> (StatusCode, Value) {
    app.post(
        &format!("/api/projects/{project}/conversations"),
        who,
        json!({ "title": "t", "type": "project", "participantIds": others }),
    )
    .await
}

async fn non_members_can_neither_list_nor_create_nor_name_strangers(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (alice, bob, outsider) = (app.user(), app.user(), app.user());
    let project = app.project_with(&[&alice, &bob]).await;
    let path = format!("/api/projects/{project}/conversations");

    let (status, body) = app.get(&path, &outsider).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["error"]["code"], "not_a_project_member");
    let (status, body) = create(&app, &project, &outsider, &[alice.id]).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["error"]["code"], "not_a_project_member");

    // A member may not pull in someone outside the project, known or not.
    let stranger = Uuid::new_v4();
    for other in [outsider.id, stranger] {
        let (status, body) = create(&app, &project, &alice, &[bob.id, other]).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
        assert_eq!(body["error"]["code"], "not_a_project_member");
    }
    let (_, listed) = app.get(&path, &alice).await;
    assert!(
        listed["conversations"].as_array().unwrap().is_empty(),
        "nothing stored"
    );
    let (_, members) = app
        .get(
            &format!("/api/admin/projects/{project}/members"),
            &app.admin(),
        )
        .await;
    assert_eq!(ids(&members, "members", "userId"), sorted(&[&alice, &bob]));

    let (status, body) = create(&app, &project, &alice, &[bob.id]).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, body) = app.get(&path, &bob).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["conversations"].as_array().unwrap().len(), 1);
    app.stop().await;
}

async fn admins_manage_members_and_everyone_lists_their_own_projects(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin();
    let (alice, bob, carol) = (app.user(), app.user(), app.user());
    let (status, body) = app
        .post(
            "/api/admin/projects",
            &admin,
            json!({ "name": "Apollo", "memberIds": [alice.id, alice.id] }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let project = body["project"]["id"].as_str().unwrap().to_owned();
    let other = app.project_with(&[&bob]).await;
    let members_path = format!("/api/admin/projects/{project}/members");

    let (status, body) = app.get(&members_path, &admin).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let members = body["members"].as_array().unwrap();
    assert_eq!(members.len(), 1);
    assert_eq!(members[0]["userId"], alice.id.to_string());
    assert_eq!(members[0]["role"], "member");
    assert!(members[0]["addedAt"].as_str().unwrap().ends_with('Z'));

    for _ in 0..2 {
        let (status, body) = app
            .post(
                &members_path,
                &admin,
                json!({ "userIds": [bob.id, carol.id], "role": "owner" }),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "idempotent: {body}");
        assert_eq!(
            ids(&body, "members", "userId"),
            sorted(&[&alice, &bob, &carol])
        );
    }
    let (_, body) = app.get(&members_path, &admin).await;
    let roles: Vec<&str> = body["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["role"].as_str().unwrap())
        .collect();
    assert_eq!(roles.iter().filter(|r| **r == "owner").count(), 2, "{body}");
    let (status, body) = app
        .post(&members_path, &admin, json!({ "userIds": ["nope"] }))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(
        app.post(&members_path, &alice, json!({ "userIds": [carol.id] }))
            .await
            .0,
        StatusCode::FORBIDDEN,
        "admins only"
    );
    let missing = format!("/api/admin/projects/{}/members", Uuid::new_v4());
    assert_eq!(app.status(&missing, &admin).await, StatusCode::NOT_FOUND);

    let (_, mine) = app.get("/api/projects", &bob).await;
    let mut expected = vec![project.clone(), other.clone()];
    expected.sort();
    assert_eq!(ids(&mine, "projects", "id"), expected);
    let (_, mine) = app.get("/api/projects", &app.user()).await;
    assert_eq!(mine, json!({ "projects": [] }));
    let (_, all) = app.get("/api/projects", &admin).await;
    assert_eq!(
        ids(&all, "projects", "id"),
        expected,
        "admins see every project"
    );

    let member = format!("{members_path}/{}", carol.id);
    let (status, body) = app.delete(&member, &admin).await;
    assert_eq!((status, body), (StatusCode::OK, json!({ "success": true })));
    assert_eq!(app.delete(&member, &admin).await.0, StatusCode::NOT_FOUND);
    let (_, mine) = app.get("/api/projects", &carol).await;
    assert_eq!(mine, json!({ "projects": [] }));

    let (_, audit) = app.get("/api/admin/audit?limit=3", &admin).await;
    let entries = audit["entries"].as_array().unwrap();
    assert_eq!(entries[0]["action"], "member.remove");
    assert_eq!(entries[0]["targetId"], project.as_str());
    assert_eq!(
        entries[0]["details"],
        json!({ "userId": carol.id, "conversations": 0 })
    );
    assert_eq!(entries[1]["action"], "member.add");
    assert_eq!(entries[1]["details"]["role"], "owner");
    app.stop().await;
}

async fn removing_a_member_takes_them_out_of_the_projects_conversations_and_rooms(
    backend: Backend,
) {
    let app = TestApp::spawn(backend).await;
    let (alice, bob) = (app.user(), app.user());
    let project = app.project_with(&[&alice, &bob]).await;
    let mut conversations = Vec::new();
    for _ in 0..2 {
        let (status, body) = create(&app, &project, &alice, &[bob.id]).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        conversations.push(body["conversation"]["id"].as_str().unwrap().to_owned());
    }
    let mut bobs = app.joined(&bob, &conversations[0]).await;
    let ack = bobs
        .ask("join", json!({ "conversationId": conversations[1] }))
        .await;
    assert_eq!(ack["ok"], true, "{ack}");

    let path = format!("/api/admin/projects/{project}/members/{}", bob.id);
    let (status, body) = app.delete(&path, &app.admin()).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    for conversation in &conversations {
        app.send(conversation, &alice, "after bob left").await;
        let messages = format!("/api/conversations/{conversation}/messages");
        assert_eq!(app.status(&messages, &bob).await, StatusCode::FORBIDDEN);
    }
    assert!(
        bobs.maybe("message:new", Duration::from_millis(800))
            .await
            .is_none(),
        "the removed member's socket left the rooms"
    );
    let ack = bobs
        .ask("join", json!({ "conversationId": conversations[0] }))
        .await;
    assert_eq!(ack["error"]["code"], "forbidden", "{ack}");
    app.stop().await;
}

async fn participants_an_admin_adds_become_members(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin();
    let (alice, dave, erin) = (app.user(), app.user(), app.user());
    let project = app.project().await;

    // A conversation an admin creates makes its participants members.
    let (status, body) = create(&app, &project, &admin, &[alice.id]).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let conversation = body["conversation"]["id"].as_str().unwrap().to_owned();
    let (_, mine) = app.get("/api/projects", &alice).await;
    assert_eq!(ids(&mine, "projects", "id"), vec![project.clone()]);

    // So does adding a participant.
    let (status, body) = app
        .post(
            &format!("/api/admin/conversations/{conversation}/participants"),
            &admin,
            json!({ "userId": dave.id }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, body) = create(&app, &project, &dave, &[alice.id]).await;
    assert_eq!(status, StatusCode::CREATED, "dave is a member now: {body}");
    let (status, _) = create(&app, &project, &erin, &[alice.id]).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "erin is not");
    app.stop().await;
}

/// The abuse this closes: an outsider put a stranger in a conversation of their own to watch
/// the stranger's `user:online` / `user:offline`.
async fn an_outsider_cannot_watch_a_strangers_presence(backend: Backend) {
    let app = TestApp::spawn_with(backend, |c| {
        c.realtime.offline_grace = Duration::from_millis(300)
    })
    .await;
    let (stranger, friend, watcher) = (app.user(), app.user(), app.user());
    let shared = app.conversation(&stranger, &[&friend]).await;
    let project = app.project_with(&[&stranger, &friend]).await;

    let (status, body) = create(&app, &project, &watcher, &[stranger.id]).await;
    let mut eyes = app.socket(&watcher).await;
    if status == StatusCode::CREATED {
        let id = body["conversation"]["id"].as_str().unwrap();
        eyes.ask("join", json!({ "conversationId": id })).await;
    }
    let theirs = app.socket(&stranger).await;
    let seen_online = eyes.maybe("user:online", Duration::from_millis(800)).await;
    theirs.close();
    let seen_offline = eyes
        .maybe("user:offline", Duration::from_millis(1200))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["error"]["code"], "not_a_project_member");
    assert!(seen_online.is_none(), "{seen_online:?}");
    assert!(seen_offline.is_none(), "{seen_offline:?}");

    // Whoever shares a conversation with the stranger still sees them come and go.
    let mut friends = app.joined(&friend, &shared).await;
    let theirs = app.socket(&stranger).await;
    let online = friends.wait_for("user:online", WAIT).await;
    assert_eq!(online["userId"], stranger.id.to_string());
    theirs.close();
    app.stop().await;
}

async fn the_openapi_document_describes_membership(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let doc = app
        .openapi_with(&[
            ("/projects", "get"),
            ("/admin/projects/{id}/members", "get"),
            ("/admin/projects/{id}/members", "post"),
            ("/admin/projects/{id}/members/{userId}", "delete"),
        ])
        .await;
    let create = &doc["paths"]["/projects/{projectId}/conversations"]["post"];
    let forbidden = create["responses"]["403"]["description"].as_str().unwrap();
    assert!(forbidden.contains("not_a_project_member"), "{forbidden}");
    let schemas = &doc["components"]["schemas"];
    assert!(schemas["ProjectMember"].is_object());
    assert!(schemas["CreateProjectInput"]["properties"]["memberIds"].is_object());
    assert!(schemas["AddMembersInput"]["properties"]["userIds"].is_object());
    app.stop().await;
}

crate::on_both_backends!(
    non_members_can_neither_list_nor_create_nor_name_strangers,
    admins_manage_members_and_everyone_lists_their_own_projects,
    removing_a_member_takes_them_out_of_the_projects_conversations_and_rooms,
    participants_an_admin_adds_become_members,
    an_outsider_cannot_watch_a_strangers_presence,
    the_openapi_document_describes_membership,
);
