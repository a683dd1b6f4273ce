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
pub(crate) fn unique_prefix() -> String {
    format!("confab-test-{}", Uuid::new_v4().simple())
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

/// A token that expired two minutes ago: past the 60 s leeway.
pub(crate) fn expired_token_for(id: Uuid) -> String {
    let mut claims = confab_auth::claims_for(id, None, None, false, Duration::ZERO);
    claims.exp = chrono::Utc::now().timestamp() - 120;
    confab_auth::mint_hs256(SECRET, &claims).unwrap()
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
        let text = response.text().await.unwrap();
        let value = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        (status, value)
    }

    pub(crate) async fn get(&self, path: &str, who: &User) -> (StatusCode, Value) {
        self.call(Method::GET, path, Some(who), None).await
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
        let ids: Vec<String> = members.iter().map(|m| m.id.to_string()).collect();
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
        let ids: Vec<String> = members.iter().map(|m| m.id.to_string()).collect();
        let (status, body) = self
            .post(
                &format!("/api/projects/{project}/conversations"),
                owner,
                serde_json::json!({ "title": "General", "type": "project", "participantIds": ids }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body["conversation"]["id"].as_str().unwrap().to_owned()
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
