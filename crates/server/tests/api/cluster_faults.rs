//! A cluster under faults: Redis going away and coming back, a node dying, and nginx in
//! front of two nodes.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use confab_redis_link::testing::PrivateRedis;
use reqwest::Method;
use serde_json::json;

use crate::helpers::{
    Backend, SECRET, TestApp, eventually, free_port, on_redis, readiness, unique_prefix,
};
use crate::socket::polling::PollingClient;
use confab_test_client::Client as SocketClient;

const WAIT: Duration = Duration::from_secs(5);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redis_outage_loses_no_acknowledged_message_and_delivery_resumes_by_itself() {
    let mut redis = PrivateRedis::start().await;
    let prefix = unique_prefix();
    let url = redis.url();
    let one = TestApp::spawn_with(Backend::Postgres, |c| {
        on_redis(c, url, &prefix);
        c.redis.timeout = Duration::from_millis(500);
    })
    .await;
    let two = one.peer(|_| {}).await;
    let (alice, bob) = (one.user(), one.user());
    let conversation = one.conversation(&alice, &[&bob]).await;
    let sender = one.joined(&alice, &conversation).await;
    let mut receiver = two.joined(&bob, &conversation).await;
    let send = |content: String| {
        let sender = &sender;
        let conversation = &conversation;
        async move {
            sender
                .ask(
                    "message:send",
                    json!({ "conversationId": conversation, "content": content }),
                )
                .await
        }
    };
    let mut acked = Vec::new();
    for i in 0..5 {
        let ack = send(format!("before {i}")).await;
        acked.push(ack["message"]["seq"].as_i64().unwrap());
        assert_eq!(
            receiver.wait_for("message:new", WAIT).await["seq"],
            ack["message"]["seq"]
        );
    }
    assert_eq!(readiness(&one).await["status"], "ok");

    redis.kill();
    for i in 0..10 {
        let ack = send(format!("during {i}")).await;
        assert_eq!(
            ack["ok"], true,
            "sends persist and ack while Redis is down: {ack}"
        );
        acked.push(ack["message"]["seq"].as_i64().unwrap());
    }
    assert!(
        eventually(Duration::from_secs(10), || async {
            readiness(&one).await["status"] == "degraded"
        })
        .await,
        "/readyz reports the outage: {}",
        readiness(&one).await
    );

    redis.restart().await;
    let started = Instant::now();
    let mut resumed = false;
    for probe in 0.. {
        if started.elapsed() > Duration::from_secs(20) {
            break;
        }
        let content = format!("probe {probe}");
        let ack = send(content.clone()).await;
        assert_eq!(ack["ok"], true, "{ack}");
        acked.push(ack["message"]["seq"].as_i64().unwrap());
        while let Some(seen) = receiver
            .maybe("message:new", Duration::from_millis(300))
            .await
        {
            if seen["content"] == content.as_str() {
                resumed = true;
            }
        }
        if resumed {
            break;
        }
    }
    assert!(resumed, "cross-node delivery resumed without a restart");
    assert!(
        eventually(Duration::from_secs(10), || async {
            readiness(&one).await["status"] == "ok"
        })
        .await
    );

    // The receiver fills the gap from the database: every acknowledged message is there.
    let sync = receiver
        .ask(
            "message:sync",
            json!({ "conversationId": conversation, "afterSeq": 0, "limit": 500 }),
        )
        .await;
    let stored: Vec<i64> = sync["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["seq"].as_i64().unwrap())
        .collect();
    assert_eq!(stored, (1..=acked.len() as i64).collect::<Vec<_>>());
    acked.sort_unstable();
    assert_eq!(stored, acked);
}

/// A child process serving HTTP on 127.0.0.1, with its scratch directory; killed when dropped.
struct Process {
    child: Child,
    base: String,
    _dir: tempfile::TempDir,
}

impl Process {
    /// Waits up to `within` for `child` to answer `/healthz` on `port`; `None` if it never does.
    async fn healthy(
        child: Child,
        dir: tempfile::TempDir,
        port: u16,
        within: Duration,
    ) -> Option<Self> {
        let mut process = Self {
            child,
            base: format!("http://127.0.0.1:{port}"),
            _dir: dir,
        };
        let client = reqwest::Client::new();
        let base = &process.base;
        let up = eventually(within, || async {
            client
                .get(format!("{base}/healthz"))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success())
        })
        .await;
        if up {
            Some(process)
        } else {
            process.kill();
            None
        }
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A node process that can be killed like a crash.
struct NodeProcess(Process);

impl NodeProcess {
    async fn start(database_url: &str, schema: &str, redis_url: &str, prefix: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let child = Command::new(env!("CARGO_BIN_EXE_confab"))
            .env_clear()
            .env("CONFAB_BIND", format!("127.0.0.1:{port}"))
            .env("CONFAB_DATA_DIR", dir.path())
            .env("CONFAB_DATABASE_URL", database_url)
            .env("CONFAB_DATABASE_SCHEMA", schema)
            .env("CONFAB_REDIS_URL", redis_url)
            .env("CONFAB_REDIS__KEY_PREFIX", prefix)
            .env("CONFAB_REDIS__CHANNEL_PREFIX", prefix)
            .env(
                "CONFAB_JWT_SECRET",
                String::from_utf8(SECRET.to_vec()).unwrap(),
            )
            .env("CONFAB_LIMITS__MESSAGES_PER_MINUTE", "0")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("the confab binary starts");
        let process = Process::healthy(child, dir, port, Duration::from_secs(20)).await;
        assert!(process.is_some(), "the node process answers /healthz");
        Self(process.unwrap())
    }

    fn crash(&mut self) {
        self.0.kill();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn when_a_node_dies_a_live_node_announces_its_users_offline() {
    let prefix = unique_prefix();
    let url = crate::helpers::redis_url();
    let live = TestApp::spawn_with(Backend::Postgres, |c| {
        on_redis(c, url.clone(), &prefix);
        c.redis.node_dead_after = Duration::from_secs(2);
        c.realtime.presence_interval = Duration::from_millis(300);
    })
    .await;
    let (alice, bob) = (live.user(), live.user());
    let conversation = live.conversation(&alice, &[&bob]).await;
    let mut watcher = live.joined(&bob, &conversation).await;

    let mut doomed =
        NodeProcess::start(live.database_url(), &live.database_schema(), &url, &prefix).await;
    let _alice = SocketClient::handshake(&doomed.0.base, Some(json!({ "token": alice.token })), "")
        .await
        .connected();
    assert_eq!(
        watcher.wait_for("user:online", WAIT).await["userId"],
        alice.id.to_string()
    );

    doomed.crash();
    let offline = watcher
        .wait_for("user:offline", Duration::from_secs(15))
        .await;
    assert_eq!(offline["userId"], alice.id.to_string());
}

/// nginx from Debian, on loopback, with docker/nginx.conf pointed at two nodes.
struct Nginx(Process);

impl Nginx {
    async fn start(upstreams: [&str; 2]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let shipped = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../docker/nginx.conf"
        ))
        .unwrap();
        let prefix = dir.path().display().to_string();
        let config = shipped
            .replace("server node1:3000", &format!("server {}", upstreams[0]))
            .replace("server node2:3000", &format!("server {}", upstreams[1]))
            .replace("listen 80;", &format!("listen 127.0.0.1:{port};"))
            .replace("worker_processes auto;", &format!("worker_processes 1;\npid {prefix}/nginx.pid;\nerror_log {prefix}/error.log;"))
            .replace(
                "http {",
                &format!(
                    "http {{\n    access_log off;\n    client_body_temp_path {prefix}/body;\n    proxy_temp_path {prefix}/proxy;\n    fastcgi_temp_path {prefix}/fastcgi;\n    uwsgi_temp_path {prefix}/uwsgi;\n    scgi_temp_path {prefix}/scgi;"
                ),
            );
        assert!(
            config.contains(upstreams[0]) && config.contains(upstreams[1]),
            "the shipped nginx.conf names node1:3000 and node2:3000"
        );
        let path = dir.path().join("nginx.conf");
        std::fs::write(&path, config).unwrap();
        let child = Command::new("nginx")
            .arg("-p")
            .arg(dir.path())
            .arg("-c")
            .arg(&path)
            .args(["-g", "daemon off;"])
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect(
                "nginx must be installed for the load-balancer test (apt-get install nginx-light)",
            );
        let process = Process::healthy(child, dir, port, Duration::from_secs(10)).await;
        assert!(process.is_some(), "nginx proxies /healthz");
        Self(process.unwrap())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn polling_and_websocket_clients_work_through_nginx_in_front_of_two_nodes() {
    let prefix = unique_prefix();
    let url = crate::helpers::redis_url();
    let one = TestApp::spawn_with(Backend::Postgres, |c| {
        on_redis(c, url.clone(), &prefix);
    })
    .await;
    let two = one.peer(|_| {}).await;
    let nginx = Nginx::start([
        one.base.trim_start_matches("http://"),
        two.base.trim_start_matches("http://"),
    ])
    .await;

    let (alice, bob, carol) = (one.user(), one.user(), one.user());
    let conversation = one.conversation(&alice, &[&bob, &carol]).await;
    let mut polling = PollingClient::connect(&nginx.0.base, json!({ "token": alice.token })).await;
    assert_eq!(
        polling
            .ask("join", json!({ "conversationId": conversation }))
            .await["ok"],
        true
    );
    let mut websocket =
        SocketClient::handshake(&nginx.0.base, Some(json!({ "token": bob.token })), "")
            .await
            .connected();
    assert_eq!(
        websocket
            .ask("join", json!({ "conversationId": conversation }))
            .await["ok"],
        true
    );
    // Carol talks to each node directly, so one of the two paths crosses nodes.
    let mut direct_one = one.joined(&carol, &conversation).await;
    let mut direct_two = two.joined(&carol, &conversation).await;

    let ack = polling
        .ask(
            "message:send",
            json!({ "conversationId": conversation, "content": "via polling" }),
        )
        .await;
    assert_eq!(ack["ok"], true, "{ack}");
    assert_eq!(
        websocket.wait_for("message:new", WAIT).await["content"],
        "via polling"
    );
    assert_eq!(
        direct_one.wait_for("message:new", WAIT).await["content"],
        "via polling"
    );
    assert_eq!(
        direct_two.wait_for("message:new", WAIT).await["content"],
        "via polling"
    );

    let ack = websocket
        .ask(
            "message:send",
            json!({ "conversationId": conversation, "content": "via websocket" }),
        )
        .await;
    assert_eq!(ack["ok"], true, "{ack}");
    let mut seen = polling.expect("message:new", WAIT).await;
    if seen["content"] == "via polling" {
        seen = polling.expect("message:new", WAIT).await;
    }
    assert_eq!(seen["content"], "via websocket");
    let (status, _) = one.call(Method::GET, "/readyz", None, None).await;
    assert_eq!(status, reqwest::StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nginx_spreads_new_sessions_over_both_nodes_and_keeps_each_session_on_its_node() {
    let prefix = unique_prefix();
    let url = crate::helpers::redis_url();
    let one = TestApp::spawn_with(Backend::Postgres, |c| {
        on_redis(c, url.clone(), &prefix);
        c.realtime.ping_interval = Duration::from_millis(25_000);
    })
    .await;
    // The handshake's pingInterval tells which node answered.
    let two = one
        .peer(|c| c.realtime.ping_interval = Duration::from_millis(24_000))
        .await;
    let nginx = Nginx::start([
        one.base.trim_start_matches("http://"),
        two.base.trim_start_matches("http://"),
    ])
    .await;

    // 16 sessions from one address: all on one node has a chance of 2 in 65,536.
    let users: Vec<_> = (0..16).map(|_| one.user()).collect();
    let members: Vec<_> = users[1..].iter().collect();
    let conversation = one.conversation(&users[0], &members).await;
    let mut per_node = [0_usize; 2];
    for (i, user) in users.iter().enumerate() {
        let polling = PollingClient::connect(&nginx.0.base, json!({ "token": user.token })).await;
        // Each of these is several requests (POST, then the poll that carries the ack); a
        // request that reached the other node would be refused ("Session ID unknown").
        let joined = polling
            .ask("join", json!({ "conversationId": conversation }))
            .await;
        assert_eq!(joined["ok"], true, "{joined}");
        for n in 0..2 {
            let ack = polling
                .ask(
                    "message:send",
                    json!({ "conversationId": conversation, "content": format!("{i}.{n}") }),
                )
                .await;
            assert_eq!(ack["ok"], true, "{ack}");
        }
        let node = match polling.handshake["pingInterval"].as_u64() {
            Some(25_000) => 0,
            Some(24_000) => 1,
            other => panic!("unexpected pingInterval {other:?}"),
        };
        per_node[node] += 1;
    }
    assert!(
        per_node[0] > 0 && per_node[1] > 0,
        "sessions per node: {per_node:?}"
    );
}
