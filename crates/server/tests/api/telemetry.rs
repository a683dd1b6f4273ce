//! Logs and traces of the real binary: one JSON access-log line per HTTP request, and spans
//! exported over OTLP/HTTP to a protobuf-decoding receiver on loopback (the caller's
//! `traceparent` continued, over HTTP and through the Socket.IO handshake, with database
//! spans inside the socket event's trace).

use std::collections::HashMap;
use std::io::{BufReader, Write};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value};
use opentelemetry_proto::tonic::trace::v1::Span;
use prost::Message as _;
use reqwest::StatusCode;
use sea_orm::ConnectionTrait as _;
use serde_json::{Value, json};
use uuid::Uuid;

use confab_test_client::Client as SocketClient;

use crate::helpers::{User, token_for};

/// A span as the receiver decoded it, with the service that sent it.
#[derive(Clone, Debug)]
struct Received {
    service: String,
    span: Span,
}

impl Received {
    fn trace_id(&self) -> String {
        hex(&self.span.trace_id)
    }

    fn span_id(&self) -> String {
        hex(&self.span.span_id)
    }

    fn parent_id(&self) -> String {
        hex(&self.span.parent_span_id)
    }

    fn attribute(&self, key: &str) -> Option<String> {
        attribute(&self.span.attributes, key)
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn attribute(attributes: &[KeyValue], key: &str) -> Option<String> {
    let value = attributes.iter().find(|kv| kv.key == key)?.value.as_ref()?;
    match value {
        AnyValue {
            value: Some(any_value::Value::StringValue(s)),
        } => Some(s.clone()),
        AnyValue {
            value: Some(any_value::Value::IntValue(i)),
        } => Some(i.to_string()),
        AnyValue {
            value: Some(any_value::Value::BoolValue(b)),
        } => Some(b.to_string()),
        other => Some(format!("{other:?}")),
    }
}

/// An OTLP/HTTP receiver on 127.0.0.1: decodes each `POST /v1/traces` body
/// (`ExportTraceServiceRequest`, protobuf) and keeps its spans.
struct Receiver {
    url: String,
    spans: Arc<Mutex<Vec<Received>>>,
}

impl Receiver {
    fn start() -> Self {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let spans: Arc<Mutex<Vec<Received>>> = Arc::default();
        let sink = spans.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { return };
                let sink = sink.clone();
                std::thread::spawn(move || serve(stream, &sink));
            }
        });
        Self { url, spans }
    }

    /// Waits until `done` holds for the spans received so far (the exporter batches), then
    /// returns them; a minute without that is a failure showing what did arrive.
    fn wait_for(&self, what: &str, done: impl Fn(&[Received]) -> bool) -> Vec<Received> {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let spans = self.spans.lock().unwrap().clone();
            if done(&spans) {
                return spans;
            }
            assert!(
                Instant::now() < deadline,
                "the receiver never got {what}; it got: {:#?}",
                spans
                    .iter()
                    .map(|s| format!("{} {} <- {}", s.span.name, s.span_id(), s.parent_id()))
                    .collect::<Vec<_>>()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// One connection: requests one after another (the exporter keeps connections alive).
fn serve(stream: std::net::TcpStream, sink: &Mutex<Vec<Received>>) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut writer = stream;
    while let Some(request) = confab_test_client::http1::read_request(&mut reader).unwrap() {
        assert!(
            request.line.starts_with("POST /v1/traces "),
            "unexpected request {}",
            request.line
        );
        let export = ExportTraceServiceRequest::decode(request.body.as_slice())
            .expect("the body is an OTLP ExportTraceServiceRequest");
        {
            let mut spans = sink.lock().unwrap();
            for resource_spans in export.resource_spans {
                let service = resource_spans
                    .resource
                    .as_ref()
                    .and_then(|r| attribute(&r.attributes, "service.name"))
                    .unwrap_or_default();
                for scope in resource_spans.scope_spans {
                    spans.extend(scope.spans.into_iter().map(|span| Received {
                        service: service.clone(),
                        span,
                    }));
                }
            }
        }
        writer
            .write_all(b"HTTP/1.1 200 OK\r\ncontent-type: application/x-protobuf\r\ncontent-length: 0\r\n\r\n")
            .unwrap();
    }
}

/// The release binary on 127.0.0.1:0 (SQLite in a temp dir), its stderr collected.
struct Node {
    served: crate::helpers::Served,
    base: String,
    _dir: tempfile::TempDir,
}

impl Node {
    fn start(env: &[(&str, &str)]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let served = crate::helpers::Served::start(dir.path(), env);
        Self {
            base: served.base.clone(),
            served,
            _dir: dir,
        }
    }

    /// The log's JSON lines with `message` "request" (the access log).
    fn access_lines(&self) -> Vec<Value> {
        self.served
            .log()
            .lines()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .filter(|l| l["message"] == "request")
            .collect()
    }
}

fn user() -> User {
    let id = Uuid::new_v4();
    User {
        id,
        token: token_for(id, false, Duration::from_secs(3600)),
    }
}

fn admin() -> User {
    let id = Uuid::new_v4();
    User {
        id,
        token: token_for(id, true, Duration::from_secs(3600)),
    }
}

async fn post(base: &str, path: &str, who: &User, body: Value) -> Value {
    let answer = reqwest::Client::new()
        .post(format!("{base}{path}"))
        .bearer_auth(&who.token)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::CREATED);
    answer.json().await.unwrap()
}

/// A conversation `owner` is in, in a new project.
async fn conversation(base: &str, owner: &User) -> String {
    let project = post(
        base,
        "/api/admin/projects",
        &admin(),
        json!({ "name": "Acme", "memberIds": [owner.id] }),
    )
    .await;
    let project = project["project"]["id"].as_str().unwrap();
    let created = post(
        base,
        &format!("/api/projects/{project}/conversations"),
        owner,
        json!({ "title": "General", "type": "project", "participantIds": [] }),
    )
    .await;
    created["conversation"]["id"].as_str().unwrap().to_owned()
}

/// A caller's W3C trace context: (`traceparent`, trace id, parent span id).
fn caller_trace() -> (String, String, String) {
    let trace = Uuid::new_v4().simple().to_string();
    let parent = Uuid::new_v4().simple().to_string()[..16].to_owned();
    (format!("00-{trace}-{parent}-01"), trace, parent)
}

/// Whether `ancestor` is `span`'s parent, grandparent, … within `spans`.
fn descends_from(spans: &[Received], span: &Received, ancestor: &Received) -> bool {
    let by_id: HashMap<String, &Received> = spans.iter().map(|s| (s.span_id(), s)).collect();
    let mut parent = span.parent_id();
    while let Some(up) = by_id.get(&parent) {
        if up.span_id() == ancestor.span_id() {
            return true;
        }
        parent = up.parent_id();
    }
    false
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_http_request_writes_one_json_access_log_line() {
    let node = Node::start(&[]);
    let caller = user();
    let client = reqwest::Client::new();
    let listed = client
        .get(format!("{}/api/projects", node.base))
        .bearer_auth(&caller.token)
        .header("x-request-id", "req-42")
        .send()
        .await
        .unwrap();
    assert_eq!(listed.status(), StatusCode::OK);
    let refused = client
        .get(format!(
            "{}/api/conversations/{}/participants",
            node.base,
            Uuid::new_v4()
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    let long_id = "x".repeat(5000);
    let missing = client
        .get(format!("{}/no/such/path", node.base))
        .header("x-request-id", &long_id)
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    // The line is written when the response is; the client may read it first.
    let deadline = Instant::now() + Duration::from_secs(30);
    while node.access_lines().len() < 3 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let lines = node.access_lines();
    assert_eq!(lines.len(), 3, "one line per request: {lines:#?}");
    let [listed, refused, missing] = &lines[..] else {
        unreachable!()
    };
    assert_eq!(listed["level"], "INFO");
    assert_eq!(listed["method"], "GET");
    assert_eq!(listed["route"], "/api/projects");
    assert_eq!(listed["status"], 200);
    assert_eq!(listed["request_id"], "req-42");
    assert_eq!(listed["user_id"], caller.id.to_string());
    assert!(listed["latency_ms"].as_f64().unwrap() >= 0.0, "{listed}");
    assert_eq!(refused["route"], "/api/conversations/{id}/participants");
    assert_eq!(refused["status"], 401);
    assert!(refused.get("user_id").is_none(), "{refused}");
    assert!(
        Uuid::parse_str(refused["request_id"].as_str().unwrap()).is_ok(),
        "a request without an id gets a generated one: {refused}"
    );
    assert_eq!(missing["status"], 404);
    assert!(missing.get("route").is_none(), "{missing}");
    let clipped = missing["request_id"].as_str().unwrap();
    assert!(
        clipped.len() < 300 && clipped.contains("more chars"),
        "a client's long request id is clipped: {} chars",
        clipped.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_internal_failure_is_logged_once_with_its_whole_cause() {
    let node = Node::start(&[]);
    // A table gone under the running node: a database error no request can cause.
    let file = node._dir.path().join("confab.db");
    let db = sea_orm::Database::connect(format!("sqlite://{}?mode=rw", file.display()))
        .await
        .unwrap();
    db.execute_unprepared("DROP TABLE message_reports")
        .await
        .unwrap();
    let answer = reqwest::Client::new()
        .get(format!("{}/api/admin/reports", node.base))
        .bearer_auth(&admin().token)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let body: Value = answer.json().await.unwrap();
    assert_eq!(body["error"]["message"], "internal error", "{body}");
    // The failure is logged before the response, the access line after it.
    let deadline = Instant::now() + Duration::from_secs(30);
    while node.access_lines().is_empty() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(node.access_lines().len(), 1);
    let errors: Vec<Value> = node
        .served
        .log()
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|l| l["level"] == "ERROR")
        .collect();
    assert_eq!(errors.len(), 1, "one ERROR line: {errors:#?}");
    let cause = errors[0]["cause"].as_str().unwrap_or_default();
    assert!(
        cause.contains("database error in list_reports") && cause.contains("no such table"),
        "the line carries the cause's whole chain, the driver's error included: {}",
        errors[0]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_http_request_continues_the_callers_trace() {
    let receiver = Receiver::start();
    let node = Node::start(&[
        ("OTEL_EXPORTER_OTLP_ENDPOINT", &receiver.url),
        ("OTEL_SERVICE_NAME", "confab-under-test"),
        ("OTEL_BSP_SCHEDULE_DELAY", "100"),
    ]);
    let caller = user();
    let (traceparent, trace, parent) = caller_trace();
    let answer = reqwest::Client::new()
        .get(format!("{}/api/projects", node.base))
        .bearer_auth(&caller.token)
        .header("traceparent", &traceparent)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::OK);
    let spans = receiver.wait_for("the request's span", |spans| {
        spans
            .iter()
            .any(|s| s.span.name == "http.request" && s.trace_id() == trace)
    });
    let request = spans
        .iter()
        .find(|s| s.span.name == "http.request" && s.trace_id() == trace)
        .unwrap();
    assert_eq!(request.parent_id(), parent, "a child of the caller's span");
    assert_eq!(request.service, "confab-under-test");
    assert_eq!(
        request.attribute("http.request.method").as_deref(),
        Some("GET")
    );
    assert_eq!(
        request.attribute("http.route").as_deref(),
        Some("/api/projects")
    );
    assert_eq!(
        request.attribute("http.response.status_code").as_deref(),
        Some("200")
    );
    assert_eq!(
        request.attribute("user.id"),
        Some(caller.id.to_string()),
        "{request:?}"
    );
    let line = node
        .access_lines()
        .into_iter()
        .find(|l| l["route"] == "/api/projects")
        .expect("the access-log line");
    assert_eq!(line["trace_id"], trace.as_str(), "the line names its trace");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_socket_message_send_is_one_trace_with_its_database_spans() {
    let receiver = Receiver::start();
    let node = Node::start(&[
        ("OTEL_EXPORTER_OTLP_ENDPOINT", &receiver.url),
        ("OTEL_BSP_SCHEDULE_DELAY", "100"),
    ]);
    let sender = user();
    let conversation = conversation(&node.base, &sender).await;
    let (traceparent, trace, parent) = caller_trace();
    let socket = SocketClient::handshake(
        &node.base,
        Some(json!({ "token": sender.token, "traceparent": traceparent })),
        "",
    )
    .await
    .connected();
    let joined = socket
        .ask("join", json!({ "conversationId": conversation }))
        .await;
    assert_eq!(joined["ok"], true, "{joined}");
    let sent = socket
        .ask(
            "message:send",
            json!({ "conversationId": conversation, "content": "traced", "type": "text",
                    "clientMsgId": Uuid::new_v4() }),
        )
        .await;
    assert_eq!(sent["ok"], true, "{sent}");
    socket.close();
    let is_insert = |s: &Received| {
        s.trace_id() == trace
            && s.attribute("db.operation").as_deref() == Some("INSERT")
            && s.attribute("db.system").as_deref() == Some("sqlite")
    };
    let spans = receiver.wait_for("the message:send event's spans", |spans| {
        spans.iter().any(is_insert)
            && spans.iter().any(|s| {
                s.span.name == "socket.event"
                    && s.attribute("event").as_deref() == Some("message:send")
            })
    });
    let show = |spans: &[Received]| {
        spans
            .iter()
            .map(|s| {
                format!(
                    "{} {} {} <- {}",
                    s.span.name,
                    s.trace_id(),
                    s.span_id(),
                    s.parent_id()
                )
            })
            .collect::<Vec<_>>()
    };
    let event = spans
        .iter()
        .find(|s| {
            s.span.name == "socket.event" && s.attribute("event").as_deref() == Some("message:send")
        })
        .unwrap();
    assert_eq!(
        event.trace_id(),
        trace,
        "the event continues the trace the handshake's auth.traceparent names: {:#?}",
        show(&spans)
    );
    let in_trace: Vec<Received> = spans
        .iter()
        .filter(|s| s.trace_id() == trace)
        .cloned()
        .collect();
    let insert = in_trace.iter().find(|s| is_insert(s)).unwrap();
    assert!(
        descends_from(&in_trace, insert, event),
        "the message's INSERT sits under the socket.event span: {:#?}",
        show(&in_trace)
    );
    // The connection's span (the event's parent) is exported once the socket is gone; when it
    // has been, it is the child of the caller's span.
    if let Some(connection) = in_trace.iter().find(|s| s.span_id() == event.parent_id()) {
        assert_eq!(connection.span.name, "socket.connection");
        assert_eq!(connection.parent_id(), parent);
    }
    assert_ne!(
        event.parent_id(),
        parent,
        "the event sits under its connection"
    );
}
