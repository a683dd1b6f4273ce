//! `TestApp`: a real node on 127.0.0.1:0 with its own database (a fresh PostgreSQL
//! database or SQLite file) and data dir, driven over HTTP.

use std::sync::Arc;
use std::time::Duration;

use confab_server::{App, Config};
use confab_store::testing::{TestDb, fresh_postgres, fresh_sqlite};
use reqwest::{Method, StatusCode};
use secrecy::SecretString;
use serde_json::Value;
use uuid::Uuid;

pub(crate) const SECRET: &[u8] = b"test-secret-0123456789abcdef0123456789";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Backend {
    Sqlite,
    Postgres,
}

pub(crate) struct TestApp {
    pub base: String,
    /// The ops listener's base URL when `ops_bind` is configured.
    pub ops: Option<String>,
    pub client: reqwest::Client,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    handle: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
    /// Shared by the nodes of a cluster test; dropped with the last of them.
    db: Arc<TestDb>,
    _dir: tempfile::TempDir,
    config: Config,
}

/// The shared test Redis (`CONFAB_TEST_REDIS_URL`, default `redis://127.0.0.1:6379`).
#[expect(
    clippy::disallowed_methods,
    reason = "a test fixture's service address, not a confab setting"
)]
pub(crate) fn redis_url() -> String {
    std::env::var("CONFAB_TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}

/// A Redis channel and key prefix no other test uses.
/// `GET /readyz` on `app`: its JSON body, whatever the status.
pub(crate) async fn readiness(app: &TestApp) -> Value {
    app.call(Method::GET, "/readyz", None, None).await.1
}

/// Polls `check` every 100 ms until it holds; false when `within` passes first.
pub(crate) async fn eventually<F: std::future::Future<Output = bool>>(
    within: Duration,
    mut check: impl FnMut() -> F,
) -> bool {
    let start = std::time::Instant::now();
    while start.elapsed() < within {
        if check().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

pub(crate) fn unique_prefix() -> String {
    format!("confab-test-{}", Uuid::new_v4().simple())
}

/// The body of a GET of `url` as text, whatever the status.
pub(crate) async fn text_at(client: &reqwest::Client, url: String) -> String {
    let response = client
        .get(url)
        .send()
        .await
        .expect("the request is answered");
    response.text().await.unwrap()
}

/// Asserts `page` contains each of `needles`, showing the page when one is missing.
pub(crate) fn assert_contains_all(page: &str, needles: &[&str]) {
    for needle in needles {
        assert!(page.contains(needle), "missing {needle} in:\n{page}");
    }
}

/// A free port on 127.0.0.1 (bound, then released).
pub(crate) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Points `config` at the Redis at `url`, with `prefix` for its keys and channels.
pub(crate) fn on_redis(config: &mut Config, url: String, prefix: &str) {
    config.redis_url = Some(url);
    config.redis.key_prefix = prefix.to_owned();
    config.redis.channel_prefix = prefix.to_owned();
}

/// A `confab serve` child process on 127.0.0.1:0 with JSON logs and no analytics refresh,
/// its stderr collected; killed when dropped.
pub(crate) struct Served {
    pub base: String,
    child: std::process::Child,
    log: Arc<std::sync::Mutex<String>>,
}

impl Served {
    /// Starts the binary with its data in `dir` and `env` on top of the defaults above
    /// (`RUST_LOG` and `OTEL_EXPORTER_OTLP_ENDPOINT` unset unless `env` sets them); returns
    /// once it logs where it listens.
    pub(crate) fn start(dir: &std::path::Path, env: &[(&str, &str)]) -> Self {
        use std::io::{BufRead, BufReader};
        use std::process::{Command, Stdio};
        let mut command = Command::new(env!("CARGO_BIN_EXE_confab"));
        command
            .arg("serve")
            .env("CONFAB_BIND", "127.0.0.1:0")
            .env("CONFAB_DATA_DIR", dir)
            .env("CONFAB_JWT_SECRET", std::str::from_utf8(SECRET).unwrap())
            .env("CONFAB_LOG_FORMAT", "json")
            .env("CONFAB_ANALYTICS__REFRESH_INTERVAL", "0s")
            .env_remove("RUST_LOG")
            .env_remove("OTEL_EXPORTER_OTLP_ENDPOINT")
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let mut child = command.spawn().expect("the confab binary starts");
        let stderr = child.stderr.take().unwrap();
        let log = Arc::new(std::sync::Mutex::new(String::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        let sink = log.clone();
        // Keeps draining the log after the listening line so the child never blocks on a
        // full pipe.
        std::thread::spawn(move || {
            let mut tx = Some(tx);
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if tx.is_some() && line.contains("confab listening") {
                    let addr = serde_json::from_str::<Value>(&line)
                        .ok()
                        .and_then(|v| v["addr"].as_str().map(str::to_owned));
                    let _ = tx.take().unwrap().send(addr);
                }
                let mut log = sink.lock().unwrap();
                log.push_str(&line);
                log.push('\n');
            }
        });
        let addr = rx
            .recv_timeout(Duration::from_secs(120))
            .expect("the node logs its address")
            .expect("the listening line names the address");
        Self {
            base: format!("http://{addr}"),
            child,
            log,
        }
    }

    /// The log so far, one line per record.
    pub(crate) fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }

    pub(crate) fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A user with a token.
#[derive(Clone, Debug)]
pub(crate) struct User {
    pub id: Uuid,
    pub token: String,
}

pub(crate) fn token_for(id: Uuid, admin: bool, ttl: Duration) -> String {
    let claims = confab_auth::claims_for(id, Some(format!("user {id}")), None, admin, ttl);
    confab_auth::mint_hs256(SECRET, &claims).unwrap()
}

/// A user whose token carries a name and an email, valid for an hour.
pub(crate) fn named(name: &str, email: &str) -> User {
    let id = Uuid::new_v4();
    let claims = confab_auth::claims_for(
        id,
        Some(name.to_owned()),
        Some(email.to_owned()),
        false,
        Duration::from_secs(3600),
    );
    User {
        id,
        token: confab_auth::mint_hs256(SECRET, &claims).unwrap(),
    }
}

/// The users' ids as strings, as request bodies carry them.
pub(crate) fn user_ids(users: &[&User]) -> Vec<String> {
    users.iter().map(|u| u.id.to_string()).collect()
}

/// A token that expired two minutes ago: past the 60 s leeway.
pub(crate) fn expired_token_for(id: Uuid) -> String {
    let mut claims = confab_auth::claims_for(id, None, None, false, Duration::ZERO);
    claims.exp = chrono::Utc::now().timestamp() - 120;
    confab_auth::mint_hs256(SECRET, &claims).unwrap()
}

/// A response's body: JSON, else the text as a string, `Null` when empty.
async fn body_of(response: reqwest::Response) -> Value {
    let text = response.text().await.unwrap();
    if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    }
}

impl TestApp {
    /// A node with no per-user rate limits (tests that measure limits set their own).
    pub(crate) async fn spawn(backend: Backend) -> Self {
        Self::spawn_with(backend, |_| {}).await
    }

    pub(crate) async fn spawn_with(backend: Backend, configure: impl FnOnce(&mut Config)) -> Self {
        let db = match backend {
            Backend::Sqlite => fresh_sqlite(),
            Backend::Postgres => fresh_postgres().await,
        };
        Self::spawn_on(db, configure).await
    }

    /// A node on `db` as it is (a database a test filled first, e.g. by an import).
    pub(crate) async fn spawn_on(db: TestDb, configure: impl FnOnce(&mut Config)) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let mut config = Config::default();
        config.bind = "127.0.0.1:0".parse().unwrap();
        config.data_dir = dir.path().to_path_buf();
        config.database_url = Some(db.url().to_owned());
        if let Some(schema) = db.schema() {
            config.database_schema = schema.to_owned();
        }
        // Under scripts/pgbouncer: serve through PgBouncer in transaction mode, migrate directly.
        if let Some(pooled) = db.pooled_url() {
            config.database_url = Some(pooled.to_owned());
            config.database_pooler = confab_server::config::DatabasePooler::Transaction;
            config.database_migration_url = Some(db.url().to_owned());
        }
        config.jwt_secret = Some(SecretString::from(
            String::from_utf8(SECRET.to_vec()).unwrap(),
        ));
        config.limits.messages_per_minute = 0;
        config.limits.searches_per_minute = 0;
        config.limits.edits_per_minute = 0;
        config.limits.reactions_per_minute = 0;
        config.limits.reports_per_hour = 0;
        config.limits.conversations_per_hour = 0;
        config.limits.reads_per_minute = 0;
        config.limits.sockets_per_user = 0;
        // Admission control refuses by load, which a busy test machine's timing would set
        // off: off here, like the rate limits; tests of it set their own.
        config.limits.sends_in_flight = 0;
        config.limits.deliveries_in_flight = 0;
        config.limits.send_queue_target = Duration::ZERO;
        config.limits.send_lag_target = Duration::ZERO;
        config.shutdown_timeout = Duration::from_secs(2);
        configure(&mut config);
        Self::start(config, Arc::new(db), dir).await
    }

    /// Another node on the same database (and, when configured, the same Redis), with its
    /// own data dir and port.
    pub(crate) async fn peer(&self, configure: impl FnOnce(&mut Config)) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let mut config = self.config.clone();
        config.data_dir = dir.path().to_path_buf();
        configure(&mut config);
        Self::start(config, self.db.clone(), dir).await
    }

    async fn start(config: Config, db: Arc<TestDb>, dir: tempfile::TempDir) -> Self {
        let app = App::build(config.clone()).await.expect("the app builds");
        let base = format!("http://{}", app.local_addr());
        let ops = app.ops_addr().map(|addr| format!("http://{addr}"));
        let (tx, rx) = tokio::sync::oneshot::channel();
        let handle = tokio::spawn(app.run(async move {
            let _ = rx.await;
        }));
        Self {
            base,
            ops,
            client: reqwest::Client::new(),
            shutdown: Some(tx),
            handle: Some(handle),
            db,
            _dir: dir,
            config,
        }
    }

    /// The node's database, for tests that seed or inspect it directly.
    pub(crate) fn database_url(&self) -> &str {
        self.db.url()
    }

    /// The options to connect to [`Self::database_url`] with (its schema).
    pub(crate) fn store_options(&self) -> confab_store::StoreOptions {
        self.db.options()
    }

    /// The schema the node's tables are in (`public` on SQLite, which has none).
    pub(crate) fn database_schema(&self) -> String {
        self.config.database_schema.clone()
    }

    /// The node's data dir (local uploads live in `files/` under it).
    pub(crate) fn data_dir(&self) -> &std::path::Path {
        self._dir.path()
    }

    pub(crate) fn user(&self) -> User {
        let id = Uuid::new_v4();
        User {
            id,
            token: token_for(id, false, Duration::from_secs(3600)),
        }
    }

    pub(crate) fn admin(&self) -> User {
        let id = Uuid::new_v4();
        User {
            id,
            token: token_for(id, true, Duration::from_secs(3600)),
        }
    }

    /// Sends a request; `body` is JSON when given.
    pub(crate) async fn call(
        &self,
        method: Method,
        path: &str,
        who: Option<&User>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut request = self.client.request(method, format!("{}{path}", self.base));
        if let Some(who) = who {
            request = request.bearer_auth(&who.token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("the request is answered");
        let status = response.status();
        (status, body_of(response).await)
    }

    /// Sends `body` (if any) with `method` to `path` with `token`, asserts the answer is 429
    /// and returns its `Retry-After` in seconds and its body.
    pub(crate) async fn rate_limited(
        &self,
        method: Method,
        path: &str,
        token: &str,
        body: Option<Value>,
    ) -> (u64, Value) {
        let mut request = self
            .client
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("the request is answered");
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        let retry_after = response.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        (retry_after, body_of(response).await)
    }

    pub(crate) async fn get(&self, path: &str, who: &User) -> (StatusCode, Value) {
        self.call(Method::GET, path, Some(who), None).await
    }

    /// The status of a GET of `path` as `who`, for tests that need nothing else.
    pub(crate) async fn status(&self, path: &str, who: &User) -> StatusCode {
        self.get(path, who).await.0
    }

    pub(crate) async fn post(&self, path: &str, who: &User, body: Value) -> (StatusCode, Value) {
        self.call(Method::POST, path, Some(who), Some(body)).await
    }

    pub(crate) async fn patch(&self, path: &str, who: &User, body: Value) -> (StatusCode, Value) {
        self.call(Method::PATCH, path, Some(who), Some(body)).await
    }

    pub(crate) async fn delete(&self, path: &str, who: &User) -> (StatusCode, Value) {
        self.call(Method::DELETE, path, Some(who), None).await
    }

    /// A project (created by a fresh admin) with no members, and its id.
    pub(crate) async fn project(&self) -> String {
        self.project_with(&[]).await
    }

    /// A project (created by a fresh admin) with `members` as its members, and its id.
    pub(crate) async fn project_with(&self, members: &[&User]) -> String {
        let ids = user_ids(members);
        let (status, body) = self
            .post(
                "/api/admin/projects",
                &self.admin(),
                serde_json::json!({ "name": "Acme", "memberIds": ids }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body["project"]["id"].as_str().unwrap().to_owned()
    }

    /// A conversation owned by `owner` with `members`, in a new project all of them are
    /// members of; returns its id.
    pub(crate) async fn conversation(&self, owner: &User, members: &[&User]) -> String {
        let mut everyone = vec![owner];
        everyone.extend_from_slice(members);
        let project = self.project_with(&everyone).await;
        let ids = user_ids(members);
        let body =
            serde_json::json!({ "title": "General", "type": "project", "participantIds": ids });
        self.created_conversation(&project, owner, body).await
    }

    /// A conversation titled "t" created by `owner` with `members` in an existing `project`;
    /// returns its id.
    pub(crate) async fn conversation_in(
        &self,
        project: &str,
        owner: &User,
        members: &[&User],
    ) -> String {
        let body = serde_json::json!({ "title": "t", "participantIds": user_ids(members) });
        self.created_conversation(project, owner, body).await
    }

    async fn created_conversation(&self, project: &str, owner: &User, body: Value) -> String {
        let (status, body) = self
            .post(
                &format!("/api/projects/{project}/conversations"),
                owner,
                body,
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body["conversation"]["id"].as_str().unwrap().to_owned()
    }

    /// The served OpenAPI document; asserts it is served.
    pub(crate) async fn openapi(&self) -> Value {
        let (status, doc) = self
            .call(Method::GET, "/api/openapi.json", None, None)
            .await;
        assert_eq!(status, StatusCode::OK);
        doc
    }

    /// Asserts the served OpenAPI document describes each `(path, method)` and returns it.
    pub(crate) async fn openapi_with(&self, operations: &[(&str, &str)]) -> Value {
        let doc = self.openapi().await;
        for (path, method) in operations {
            assert!(
                doc["paths"][path][method].is_object(),
                "missing {method} {path}"
            );
        }
        doc
    }

    /// `admin` removes `user` from `conversation`; asserts it succeeded.
    pub(crate) async fn remove_participant(&self, admin: &User, conversation: &str, user: &User) {
        let path = format!(
            "/api/admin/conversations/{conversation}/participants/{}",
            user.id
        );
        let (status, body) = self.delete(&path, admin).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }

    /// Sends a text message and returns it.
    pub(crate) async fn send(&self, conversation: &str, who: &User, content: &str) -> Value {
        let (status, body) = self
            .post(
                &format!("/api/conversations/{conversation}/messages"),
                who,
                serde_json::json!({ "content": content, "type": "text" }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body["message"].clone()
    }

    pub(crate) async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(handle) = self.handle.take() {
            handle.await.unwrap().unwrap();
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// Runs a scenario on SQLite and on PostgreSQL as two tests.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),+ $(,)?) => {
        mod on_sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::helpers::Backend::Sqlite).await;
                }
            )+
        }
        mod on_postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::helpers::Backend::Postgres).await;
                }
            )+
        }
    };
}

impl TestApp {
    /// A connected Socket.IO client for `who`.
    /// Opens a Socket.IO handshake with `token` in its auth payload (none if `None`) and
    /// returns the `connect_error` body; panics if the socket connects.
    pub(crate) async fn refused_handshake(&self, token: Option<&str>) -> Value {
        let auth = token.map(|token| serde_json::json!({ "token": token }));
        confab_test_client::Client::handshake(&self.base, auth, "")
            .await
            .refused()
    }

    /// Asserts a handshake with `token` is refused with a message starting with `code`.
    pub(crate) async fn assert_handshake_refused(&self, token: Option<&str>, code: &str) {
        let refused = self.refused_handshake(token).await;
        assert!(
            refused["message"].as_str().unwrap().starts_with(code),
            "{refused}"
        );
    }

    pub(crate) async fn socket(&self, who: &User) -> confab_test_client::Client {
        confab_test_client::Client::handshake(
            &self.base,
            Some(serde_json::json!({ "token": who.token })),
            "",
        )
        .await
        .connected()
    }

    /// A socket that has joined `conversation`.
    /// A new conversation of `who` and their joined socket, after one `message:send` of
    /// `content` that succeeded and one refused as invalid (what the metrics tests count).
    pub(crate) async fn sent_and_refused(
        &self,
        who: &User,
        content: &str,
    ) -> (confab_test_client::Client, String) {
        let conversation = self.conversation(who, &[]).await;
        let socket = self.joined(who, &conversation).await;
        let send = serde_json::json!({ "conversationId": conversation, "content": content });
        let ack = socket.ask("message:send", send).await;
        assert_eq!(ack["ok"], true, "{ack}");
        let invalid = serde_json::json!({ "conversationId": 1 });
        let ack = socket.ask("message:send", invalid).await;
        assert_eq!(ack["error"]["code"], "validation_failed", "{ack}");
        (socket, conversation)
    }

    pub(crate) async fn joined(
        &self,
        who: &User,
        conversation: &str,
    ) -> confab_test_client::Client {
        let socket = self.socket(who).await;
        let ack = socket
            .ask(
                "join",
                serde_json::json!({ "conversationId": conversation }),
            )
            .await;
        assert_eq!(ack["ok"], true, "{ack}");
        socket
    }
}
