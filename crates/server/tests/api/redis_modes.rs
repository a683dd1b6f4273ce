//! Managed Redis: nodes on a TLS-only `redis-server` (`rediss://`, a CA made for the test) and
//! on a Sentinel group whose master is killed mid-run.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use confab_redis_link::testing::{PrivateRedis, SentinelGroup, TlsFiles, ping};
use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, eventually, readiness, unique_prefix};

const WAIT: Duration = Duration::from_secs(5);

/// Two nodes on one fresh database and `url`, in a private Redis namespace.
async fn two_nodes(
    url: String,
    configure: impl Fn(&mut confab_server::Config),
) -> (TestApp, TestApp) {
    let prefix = unique_prefix();
    let one = TestApp::spawn_with(Backend::Postgres, |c| {
        c.redis_url = Some(url);
        c.redis.key_prefix = prefix.clone();
        c.redis.channel_prefix = prefix.clone();
        c.redis.timeout = Duration::from_millis(500);
        c.realtime.offline_grace = Duration::from_millis(300);
        configure(c);
    })
    .await;
    let two = one.peer(|_| {}).await;
    (one, two)
}

/// A message sent on `one` reaches a socket on `two`, and a newcomer on `one` is announced
/// online to a conversation member on `two`.
async fn delivery_and_presence_cross(one: &TestApp, two: &TestApp, content: &str) {
    let (alice, bob) = (one.user(), one.user());
    let conversation = one.conversation(&alice, &[&bob]).await;
    let mut receiver = two.joined(&bob, &conversation).await;
    let _alice_socket = one.socket(&alice).await;
    assert_eq!(
        receiver.wait_for("user:online", WAIT).await["userId"],
        alice.id.to_string(),
        "presence crosses nodes"
    );
    let sender = one.joined(&alice, &conversation).await;
    let ack = sender
        .ask(
            "message:send",
            json!({ "conversationId": conversation, "content": content }),
        )
        .await;
    assert_eq!(ack["ok"], true, "{ack}");
    assert_eq!(
        receiver.wait_for("message:new", WAIT).await["content"],
        content
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nodes_share_rooms_presence_and_limits_over_rediss() {
    let tls = TlsFiles::generate();
    let redis = PrivateRedis::start_tls(&tls).await;
    assert!(redis.url().starts_with("rediss://"));
    let ca = tls.ca.clone();
    let (one, two) = two_nodes(redis.url(), move |c| {
        c.redis.tls_ca_file = Some(ca.clone());
        c.limits.messages_per_minute = 4;
    })
    .await;
    for node in [&one, &two] {
        let ready = readiness(node).await;
        assert_eq!(ready["checks"]["redis"]["status"], "ok", "{ready}");
    }
    delivery_and_presence_cross(&one, &two, "over TLS").await;

    // The limit is one allowance across both nodes (kept in the TLS Redis).
    let carol = one.user();
    let conversation = one.conversation(&carol, &[]).await;
    let path = format!("/api/conversations/{conversation}/messages");
    let mut statuses = Vec::new();
    for i in 0..6 {
        let node = if i % 2 == 0 { &one } else { &two };
        let (status, _) = node
            .post(&path, &carol, json!({ "content": format!("m{i}") }))
            .await;
        statuses.push(status.as_u16());
    }
    assert_eq!(statuses, [201, 201, 201, 201, 429, 429]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_that_does_not_trust_the_redis_certificate_says_so() {
    let tls = TlsFiles::generate();
    let redis = PrivateRedis::start_tls(&tls).await;
    let prefix = unique_prefix();
    let other_ca = tls.other_ca.clone();
    let app = TestApp::spawn_with(Backend::Sqlite, |c| {
        c.redis_url = Some(redis.url());
        c.redis.key_prefix = prefix.clone();
        c.redis.channel_prefix = prefix.clone();
        c.redis.timeout = Duration::from_millis(500);
        c.redis.tls_ca_file = Some(other_ca);
        c.ops_bind = Some("127.0.0.1:0".parse().unwrap());
    })
    .await;
    // The connection itself fails on the certificate, with a message that says so.
    let mut config = confab_server::Config::default();
    config.redis.tls_ca_file = Some(tls.other_ca.clone());
    let link = confab_server::cluster::link(&redis.url(), &config).unwrap();
    let error = ping(&link, WAIT).await.unwrap_err();
    assert!(error.contains("certificate"), "{error}");
    // The node runs (serving its own sockets) and its readiness names the cause.
    let ops = app.ops.clone().unwrap();
    let client = reqwest::Client::new();
    let mut last = Value::Null;
    let start = Instant::now();
    let mut named = false;
    while !named && start.elapsed() < WAIT {
        last = client
            .get(format!("{ops}/readyz"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        named = last["checks"]["redis"]["error"]
            .as_str()
            .is_some_and(|e| e.contains("certificate"));
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(named, "ops /readyz: {last}");
    assert_eq!(
        readiness(&app).await["checks"]["redis"]["status"],
        "degraded"
    );
    // Trusting the right CA, the same server answers.
    let link = confab_redis_link::Link::open(&redis.url(), &tls.options()).unwrap();
    ping(&link, WAIT).await.unwrap();
}

/// `confab <args>` with `env` (and a clean environment otherwise); its exit code and stderr.
/// Fails the test when it runs longer than 30 s.
fn confab(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> (Option<i32>, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_confab"))
        .args(args)
        .env_clear()
        .env("CONFAB_DATA_DIR", dir.join("data"))
        .env("CONFAB_BIND", "127.0.0.1:0")
        .env("CONFAB_JWT_SECRET", "0123456789abcdef0123456789abcdef")
        .envs(env.iter().copied())
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > Duration::from_secs(30) {
            let _ = child.kill();
            panic!("confab {args:?} {env:?} still runs after 30 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn config_check_accepts_tls_and_sentinel_settings_and_refuses_bad_urls() {
    let dir = tempfile::tempdir().unwrap();
    for env in [
        vec![
            ("CONFAB_REDIS_URL", "rediss://:pw@127.0.0.1:6380/0"),
            ("CONFAB_REDIS__TLS_CA_FILE", "/etc/confab/redis-ca.pem"),
        ],
        vec![
            (
                "CONFAB_REDIS_URL",
                "redis+sentinel://:pw@127.0.0.1:26379,127.0.0.1:26380/mymaster/1",
            ),
            ("CONFAB_REDIS__SENTINEL_USERNAME", "watcher"),
            ("CONFAB_REDIS__SENTINEL_PASSWORD", "sentinel-secret"),
        ],
        vec![(
            "CONFAB_REDIS_URL",
            "rediss+sentinel://127.0.0.1:26379/mymaster",
        )],
    ] {
        let (code, stderr) = confab(dir.path(), &["config", "check"], &env);
        assert_eq!(code, Some(0), "{env:?}: {stderr}");
    }
    for (env, expected) in [
        (
            vec![(
                "CONFAB_REDIS_URL",
                "rediss://:hunter2@127.0.0.1:6380/#insecure",
            )],
            "certificate checks cannot be turned off",
        ),
        (
            vec![(
                "CONFAB_REDIS_URL",
                "redis+sentinel://:hunter2@127.0.0.1:26379",
            )],
            "names the master",
        ),
        (
            vec![("CONFAB_REDIS_URL", "http://:hunter2@127.0.0.1:6379")],
            "use redis://",
        ),
        (
            vec![("CONFAB_REDIS__TLS_INSECURE", "true")],
            "unknown variable",
        ),
    ] {
        let (code, stderr) = confab(dir.path(), &["config", "check"], &env);
        assert_eq!(code, Some(1), "{env:?}: {stderr}");
        assert!(stderr.contains(expected), "{env:?}: {stderr}");
        assert!(!stderr.contains("hunter2"), "{stderr}");
    }
}

#[test]
fn a_node_refuses_to_start_with_a_ca_file_it_cannot_use() {
    let dir = tempfile::tempdir().unwrap();
    let tls = TlsFiles::generate();
    let ca = tls.ca.to_string_lossy().into_owned();
    let missing = dir
        .path()
        .join("missing.pem")
        .to_string_lossy()
        .into_owned();
    let junk = dir.path().join("junk.pem");
    std::fs::write(&junk, "not a certificate").unwrap();
    let junk = junk.to_string_lossy().into_owned();
    for (url, file, expected) in [
        ("redis://127.0.0.1:1", &ca, "does not use TLS"),
        (
            "rediss://127.0.0.1:1",
            &missing,
            "CONFAB_REDIS__TLS_CA_FILE: cannot read",
        ),
        ("rediss://127.0.0.1:1", &junk, "holds no PEM certificate"),
    ] {
        let env = [
            ("CONFAB_REDIS_URL", url),
            ("CONFAB_REDIS__TLS_CA_FILE", file.as_str()),
        ];
        let (code, stderr) = confab(dir.path(), &[], &env);
        assert_ne!(code, Some(0), "{env:?}: {stderr}");
        assert!(stderr.contains(expected), "{env:?}: {stderr}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nodes_follow_a_sentinel_failover() {
    let mut group = SentinelGroup::start().await;
    let (one, two) = two_nodes(group.url(), |_| {}).await;
    for node in [&one, &two] {
        let ready = readiness(node).await;
        assert_eq!(ready["checks"]["redis"]["status"], "ok", "{ready}");
    }
    delivery_and_presence_cross(&one, &two, "before the failover").await;

    group.kill_master();
    let degraded = eventually(WAIT, || async {
        readiness(&one).await["checks"]["redis"]["status"] == "degraded"
    })
    .await;
    assert!(
        degraded,
        "/readyz reports the outage: {}",
        readiness(&one).await
    );
    group.wait_for_failover(Duration::from_secs(20)).await;
    let start = Instant::now();
    for node in [&one, &two] {
        let ready = eventually(Duration::from_secs(20), || async {
            readiness(node).await["checks"]["redis"]["status"] == "ok"
        })
        .await;
        assert!(ready, "/readyz recovers: {}", readiness(node).await);
    }
    eprintln!(
        "nodes ready again {:?} after the sentinels promoted the replica",
        start.elapsed()
    );
    delivery_and_presence_cross(&one, &two, "after the failover").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nodes_leave_a_demoted_master_after_a_manual_sentinel_failover() {
    let group = SentinelGroup::start().await;
    let (one, two) = two_nodes(group.url(), |c| c.limits.messages_per_minute = 3).await;
    delivery_and_presence_cross(&one, &two, "before the failover").await;

    // The old master keeps running as a replica: connections to it still answer, but refuse
    // writes. Pooled connections must notice and move to the new master.
    group.failover();
    group.wait_for_failover(Duration::from_secs(20)).await;
    let dave = one.user();
    let conversation = one.conversation(&dave, &[]).await;
    let path = format!("/api/conversations/{conversation}/messages");
    let mut statuses = Vec::new();
    for i in 0..4 {
        let node = if i % 2 == 0 { &one } else { &two };
        let (status, _) = node
            .post(&path, &dave, json!({ "content": format!("m{i}") }))
            .await;
        statuses.push(status.as_u16());
    }
    assert_eq!(
        statuses,
        [201, 201, 201, 429],
        "the shared limit is kept on the new master (a limiter that cannot write lets requests through)"
    );
    delivery_and_presence_cross(&one, &two, "after the failover").await;
}
