//! Security defaults and session rules (contract: "Sessions", "Abuse limits", "Security
//! defaults"): session expiry on sockets, `exp`/`nbf` leeway, the per-node socket cap, the
//! per-socket room cap, the upload part cap, the key-length and cluster-secret refusals,
//! `/readyz` without error text, and the per-address limit on failed authentication.

use std::time::Duration;

use confab_server::App;
use reqwest::{Method, StatusCode};
use secrecy::SecretString;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::files::{BOUNDARY, png};
use crate::helpers::{Backend, SECRET, TestApp, User, token_for};
use confab_test_client::Client as SocketClient;

/// A token for `id` with `exp` and `nbf` relative to now (seconds).
fn token_at(id: Uuid, exp_in: i64, nbf_in: Option<i64>) -> String {
    let now = chrono::Utc::now().timestamp();
    let mut claims = confab_auth::claims_for(id, None, None, false, Duration::ZERO);
    claims.exp = now + exp_in;
    claims.nbf = nbf_in.map(|n| now + n);
    confab_auth::mint_hs256(SECRET, &claims).unwrap()
}

fn user_with(token: String) -> User {
    User {
        id: Uuid::new_v4(),
        token,
    }
}

async fn a_socket_is_told_its_session_expired_and_is_disconnected_at_exp(backend: Backend) {
    let app = TestApp::spawn_with(backend, |c| c.auth.leeway = Duration::ZERO).await;
    let id = Uuid::new_v4();
    let short = token_for(id, false, Duration::from_secs(2));
    let mut expiring = SocketClient::handshake(&app.base, Some(json!({ "token": short })), "")
        .await
        .connected();
    let mut lasting = app.socket(&app.user()).await;

    let expired = expiring
        .wait_for("session:expired", Duration::from_secs(6))
        .await;
    assert_eq!(expired, json!({}));
    expiring
        .wait_for("disconnect", Duration::from_secs(2))
        .await;
    assert!(
        lasting
            .maybe("session:expired", Duration::from_millis(500))
            .await
            .is_none(),
        "a socket whose token is valid keeps its session"
    );
    let ack = lasting
        .ask("join", json!({ "conversationId": Uuid::new_v4() }))
        .await;
    assert_eq!(ack["error"]["code"], "not_found", "{ack}");
    app.stop().await;
}

async fn exp_and_nbf_have_a_sixty_second_leeway_on_rest_and_handshakes(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let path = "/api/projects";
    let within = user_with(token_at(Uuid::new_v4(), -30, None));
    assert_eq!(app.status(path, &within).await, StatusCode::OK);
    let (status, body) = app
        .get(path, &user_with(token_at(Uuid::new_v4(), -90, None)))
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("expired")
    );

    let early = token_at(Uuid::new_v4(), 3600, Some(120));
    let (status, body) = app.get(path, &user_with(early.clone())).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("not valid yet"),
        "{body}"
    );
    app.assert_handshake_refused(Some(&early), "unauthorized")
        .await;
    let skewed = token_at(Uuid::new_v4(), 3600, Some(30));
    assert_eq!(
        app.status(path, &user_with(skewed.clone())).await,
        StatusCode::OK
    );
    SocketClient::handshake(&app.base, Some(json!({ "token": skewed })), "")
        .await
        .connected();
    app.stop().await;
}

async fn a_user_holds_at_most_the_configured_sockets_per_node(backend: Backend) {
    let app = TestApp::spawn_with(backend, |c| c.limits.sockets_per_user = 3).await;
    let user = app.user();
    let mut sockets = Vec::new();
    for _ in 0..3 {
        sockets.push(app.socket(&user).await);
    }
    app.assert_handshake_refused(Some(&user.token), "too_many_sockets")
        .await;
    // Another user is not affected, and a freed slot can be taken again.
    app.socket(&app.user()).await;
    sockets.pop().unwrap().close();
    let mut reconnected = None;
    for _ in 0..50 {
        match SocketClient::handshake(&app.base, Some(json!({ "token": user.token })), "").await {
            confab_test_client::Handshake::Connected(s) => {
                reconnected = Some(s);
                break;
            }
            confab_test_client::Handshake::Refused(_) => {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
    assert!(reconnected.is_some(), "a closed socket frees its slot");
    app.stop().await;
}

async fn a_socket_joins_at_most_the_configured_conversations(backend: Backend) {
    let app = TestApp::spawn_with(backend, |c| c.limits.rooms_per_socket = 2).await;
    let (alice, bob) = (app.user(), app.user());
    let mut ids = Vec::new();
    for _ in 0..3 {
        ids.push(app.conversation(&alice, &[&bob]).await);
    }
    let socket = app.socket(&alice).await;
    for id in &ids[..2] {
        let ack = socket.ask("join", json!({ "conversationId": id })).await;
        assert_eq!(ack["ok"], true, "{ack}");
    }
    let ack = socket
        .ask("join", json!({ "conversationId": ids[2] }))
        .await;
    assert_eq!(ack["error"]["code"], "too_many_rooms", "{ack}");
    let again = socket
        .ask("join", json!({ "conversationId": ids[0] }))
        .await;
    assert_eq!(
        again["ok"], true,
        "joining a joined room again is fine: {again}"
    );
    socket
        .ask("leave", json!({ "conversationId": ids[0] }))
        .await;
    let ack = socket
        .ask("join", json!({ "conversationId": ids[2] }))
        .await;
    assert_eq!(ack["ok"], true, "{ack}");
    app.stop().await;
}

/// A multipart body: `fields` small text fields, then the `file` part.
fn form_with_fields(fields: usize, file: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    for i in 0..fields {
        body.extend(
            format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"f{i}\"\r\n\r\nx\r\n")
                .into_bytes(),
        );
    }
    body.extend(
        format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.png\"\r\n\
             Content-Type: image/png\r\n\r\n"
        )
        .into_bytes(),
    );
    body.extend_from_slice(file);
    body.extend(format!("\r\n--{BOUNDARY}--\r\n").into_bytes());
    body
}

async fn an_upload_has_at_most_eight_parts(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let alice = app.user();
    let conversation = app.conversation(&alice, &[]).await;
    let ok = app
        .upload_raw(&conversation, &alice, form_with_fields(7, &png(2000)))
        .await;
    assert_eq!(ok.status(), StatusCode::CREATED);
    let refused = app
        .upload_raw(&conversation, &alice, form_with_fields(8, &png(2000)))
        .await;
    assert_eq!(refused.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let body: Value = refused.json().await.unwrap();
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("at most 8 parts"),
        "{body}"
    );
    app.stop().await;
}

fn base_config() -> confab_server::Config {
    let mut config = confab_server::Config::default();
    config.bind = "127.0.0.1:0".parse().unwrap();
    config
}

#[tokio::test]
async fn a_secret_shorter_than_32_bytes_stops_the_node_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = base_config();
    config.data_dir = dir.path().to_path_buf();
    config.jwt_secret = Some(SecretString::from("s3cret".to_owned()));
    let error = App::build(config).await.unwrap_err().to_string();
    assert!(error.contains("CONFAB_JWT_SECRET is 6 bytes"), "{error}");
    assert!(error.contains("at least 32"), "{error}");
    assert!(
        !dir.path().join("confab.db").exists(),
        "refused before the database is touched"
    );
}

#[tokio::test]
async fn the_development_secret_is_refused_on_a_cluster() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = base_config();
    config.data_dir = dir.path().to_path_buf();
    config.redis_url = Some(crate::helpers::redis_url());
    let error = App::build(config).await.unwrap_err().to_string();
    assert!(error.contains("CONFAB_REDIS_URL is set"), "{error}");
    assert!(!dir.path().join("jwt-secret").exists());
}

#[tokio::test]
async fn readyz_names_each_check_status_without_error_text() {
    let app = TestApp::spawn_with(Backend::Sqlite, |c| {
        // Nothing listens on port 1: the Redis check fails.
        c.redis_url = Some("redis://127.0.0.1:1".into());
        c.redis.channel_prefix = crate::helpers::unique_prefix();
    })
    .await;
    let (status, body) = app.call(Method::GET, "/readyz", None, None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "degraded", "{body}");
    for (name, check) in body["checks"].as_object().unwrap() {
        let keys: Vec<&String> = check.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["status"], "{name}: {check}");
    }
    assert_eq!(body["checks"]["redis"]["status"], "degraded");
    app.stop().await;
}

async fn metric(app: &TestApp, name: &str) -> f64 {
    let page = crate::helpers::text_at(&app.client, format!("{}/metrics", app.base)).await;
    page.lines()
        .filter(|l| l.starts_with(name))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

#[tokio::test]
async fn failed_authentication_is_limited_per_address_and_valid_tokens_pass() {
    let app = TestApp::spawn_with(Backend::Sqlite, |c| {
        c.limits.unauthenticated_per_minute = 6;
        c.limits.unauthenticated_burst = 3;
    })
    .await;
    let user = app.user();
    // Authenticated traffic is never charged.
    for _ in 0..200 {
        assert_eq!(app.status("/api/projects", &user).await, StatusCode::OK);
    }
    let bad = user_with("garbage".into());
    for _ in 0..3 {
        assert_eq!(
            app.status("/api/projects", &bad).await,
            StatusCode::UNAUTHORIZED
        );
    }
    let (retry, body) = app
        .rate_limited(Method::GET, "/api/projects", "garbage", None)
        .await;
    assert!((1..=10).contains(&retry), "Retry-After {retry}");
    assert_eq!(body["error"]["code"], "rate_limited");

    // Without credentials: refused at once; with a valid token: served as usual.
    let (status, _) = app.call(Method::GET, "/api/projects", None, None).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(app.status("/api/projects", &user).await, StatusCode::OK);
    // Handshakes: a bad token is refused as rate limited, a valid one connects.
    app.assert_handshake_refused(Some("garbage"), "rate_limited")
        .await;
    app.socket(&user).await;
    assert!(metric(&app, "confab_rate_limited_total{limit=\"unauthenticated\"}").await >= 3.0);
    app.stop().await;
}

#[tokio::test]
async fn failed_handshakes_count_toward_the_address_limit() {
    let app = TestApp::spawn_with(Backend::Sqlite, |c| {
        c.limits.unauthenticated_per_minute = 6;
        c.limits.unauthenticated_burst = 3;
    })
    .await;
    for _ in 0..3 {
        app.assert_handshake_refused(Some("bad"), "unauthorized")
            .await;
    }
    app.assert_handshake_refused(None, "rate_limited").await;
    let (status, _) = app.call(Method::GET, "/api/projects", None, None).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    app.socket(&app.user()).await;
    app.stop().await;
}

#[tokio::test]
async fn behind_a_trusted_proxy_the_forwarded_client_is_limited_not_the_proxy() {
    let app = TestApp::spawn_with(Backend::Sqlite, |c| {
        c.limits.unauthenticated_per_minute = 6;
        c.limits.unauthenticated_burst = 2;
        c.http.trusted_proxies = vec!["127.0.0.0/8".into()];
    })
    .await;
    let from = |client: &'static str| {
        app.client
            .get(format!("{}/api/projects", app.base))
            .header("x-forwarded-for", client)
            .bearer_auth("garbage")
            .send()
    };
    for _ in 0..2 {
        assert_eq!(
            from("198.51.100.1").await.unwrap().status(),
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(
        from("198.51.100.1").await.unwrap().status(),
        StatusCode::TOO_MANY_REQUESTS
    );
    // A forged left-most entry does not escape: the proxy appends the real client.
    assert_eq!(
        from("203.0.113.5, 198.51.100.1").await.unwrap().status(),
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(
        from("198.51.100.2").await.unwrap().status(),
        StatusCode::UNAUTHORIZED,
        "another client behind the same proxy is not limited"
    );
    app.stop().await;
}

crate::on_both_backends!(
    a_socket_is_told_its_session_expired_and_is_disconnected_at_exp,
    exp_and_nbf_have_a_sixty_second_leeway_on_rest_and_handshakes,
    a_user_holds_at_most_the_configured_sockets_per_node,
    a_socket_joins_at_most_the_configured_conversations,
    an_upload_has_at_most_eight_parts,
);

/// Runs the real binary at `RUST_LOG=trace` and returns its log after `exercise` ran.
async fn trace_log_of<F, Fut>(exercise: F) -> String
where
    F: FnOnce(String) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let dir = tempfile::tempdir().unwrap();
    let mut node = crate::helpers::Served::start(dir.path(), &[("RUST_LOG", "trace")]);
    exercise(node.base.clone()).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    node.kill();
    node.log()
}

#[tokio::test]
async fn tokens_appear_in_no_log_line_even_at_trace_level() {
    let user = Uuid::new_v4();
    let token = token_for(user, false, Duration::from_secs(3600));
    let signature = token.rsplit('.').next().unwrap().to_owned();
    let sent = token.clone();
    let log = trace_log_of(|base| async move {
        let client = reqwest::Client::new();
        let answer = client
            .get(format!("{base}/api/projects?token={sent}"))
            .bearer_auth(&sent)
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), StatusCode::OK);
        let socket = SocketClient::handshake(&base, Some(json!({ "token": sent })), "")
            .await
            .connected();
        socket
            .ask("join", json!({ "conversationId": Uuid::new_v4() }))
            .await;
        socket.close();
        SocketClient::handshake(&base, None, &format!("&token={sent}"))
            .await
            .connected();
        SocketClient::handshake(&base, Some(json!({ "token": format!("{sent}x") })), "")
            .await
            .refused();
    })
    .await;
    assert!(
        log.lines().count() > 20 && log.contains("request"),
        "the trace log was written: {} lines",
        log.lines().count()
    );
    assert!(
        log.contains("[redacted]"),
        "the request span shows a redacted query"
    );
    let leaks: Vec<&str> = log.lines().filter(|l| l.contains(&signature)).collect();
    assert!(
        leaks.is_empty(),
        "{} lines carry the token: {:?}",
        leaks.len(),
        &leaks[..leaks.len().min(3)]
    );
}
