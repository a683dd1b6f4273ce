//! A Socket.IO client over Engine.IO long polling only (no websocket), for tests that go
//! through a load balancer: every request must reach the node that holds the session. Like a
//! browser, it sends back the cookies the handshake answer set (nginx's sticky cookie).

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde_json::{Value, json};
use tokio::sync::{Mutex, mpsc, oneshot};

const SEPARATOR: char = '\u{1e}';

type Acks = Arc<Mutex<HashMap<u64, oneshot::Sender<Value>>>>;

pub(crate) struct PollingClient {
    /// The Engine.IO OPEN packet's data (`sid`, `pingInterval`...): which node answered.
    pub handshake: Value,
    http: reqwest::Client,
    url: String,
    events: mpsc::UnboundedReceiver<(String, Value)>,
    acks: Acks,
    next_ack: AtomicU64,
    poller: tokio::task::JoinHandle<()>,
}

impl PollingClient {
    /// Opens a polling session at `base` and connects to `/` with `auth`.
    pub(crate) async fn connect(base: &str, auth: Value) -> Self {
        let open = reqwest::Client::new()
            .get(format!("{base}/socket.io/?EIO=4&transport=polling"))
            .send()
            .await
            .unwrap();
        assert!(open.status().is_success(), "handshake: {}", open.status());
        let http = with_cookies(&open);
        let body = open.text().await.unwrap();
        let handshake: Value =
            serde_json::from_str(body.strip_prefix('0').expect("an OPEN packet")).unwrap();
        let sid = handshake["sid"].as_str().unwrap().to_owned();
        let url = format!("{base}/socket.io/?EIO=4&transport=polling&sid={sid}");
        post(&http, &url, &format!("40{auth}")).await;
        // The CONNECT answer arrives on a later poll; engineioxide queues its first ping when
        // the session opens, so a poll may bring only that ping first.
        let connect = connect_answer(&http, &url).await;
        assert!(
            connect.starts_with("40"),
            "expected CONNECT, got {connect:?}"
        );

        let (events_tx, events) = mpsc::unbounded_channel();
        let acks: Acks = Arc::default();
        let poller = tokio::spawn(poll_forever(
            http.clone(),
            url.clone(),
            events_tx,
            acks.clone(),
        ));
        Self {
            handshake,
            http,
            url,
            events,
            acks,
            next_ack: AtomicU64::new(1),
            poller,
        }
    }

    /// Emits and waits for the ack's first argument.
    pub(crate) async fn ask(&self, event: &str, data: Value) -> Value {
        let id = self.next_ack.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = oneshot::channel();
        self.acks.lock().await.insert(id, tx);
        post(
            &self.http,
            &self.url,
            &format!("42{id}{}", json!([event, data])),
        )
        .await;
        tokio::time::timeout(Duration::from_secs(10), rx)
            .await
            .unwrap_or_else(|_| panic!("no ack for {event}"))
            .unwrap()
    }

    /// The next server event named `name` within `wait`.
    pub(crate) async fn expect(&mut self, name: &str, wait: Duration) -> Value {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            match tokio::time::timeout_at(deadline, self.events.recv()).await {
                Ok(Some((event, data))) if event == name => return data,
                Ok(Some(_)) => continue,
                _ => panic!("no {name} event within {wait:?}"),
            }
        }
    }
}

/// Polls until the Socket.IO CONNECT answer (`40…` or `44…`) arrives, answering pings.
async fn connect_answer(http: &reqwest::Client, url: &str) -> String {
    for _ in 0..5 {
        let response = http.get(url).send().await.unwrap();
        assert!(
            response.status().is_success(),
            "poll: {}",
            response.status()
        );
        let answer = response.text().await.unwrap();
        for packet in answer.split(SEPARATOR) {
            if packet.starts_with("40") || packet.starts_with("44") {
                return packet.to_owned();
            }
            if packet == "2" {
                post(http, url, "3").await;
            }
        }
    }
    panic!("no CONNECT answer in 5 polls")
}

/// A client that sends the cookies `response` set (name=value only), as a browser would for
/// the rest of the session.
fn with_cookies(response: &reqwest::Response) -> reqwest::Client {
    let cookies: Vec<&str> = response
        .headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next())
        .collect();
    let mut headers = reqwest::header::HeaderMap::new();
    if !cookies.is_empty() {
        headers.insert(reqwest::header::COOKIE, cookies.join("; ").parse().unwrap());
    }
    reqwest::Client::builder()
        .default_headers(headers)
        .build()
        .unwrap()
}

impl Drop for PollingClient {
    fn drop(&mut self) {
        self.poller.abort();
    }
}

async fn post(http: &reqwest::Client, url: &str, body: &str) {
    let response = http.post(url).body(body.to_owned()).send().await.unwrap();
    assert!(
        response.status().is_success(),
        "POST {body}: {}",
        response.status()
    );
}

async fn poll_forever(
    http: reqwest::Client,
    url: String,
    events: mpsc::UnboundedSender<(String, Value)>,
    acks: Acks,
) {
    loop {
        let Ok(response) = http.get(&url).send().await else {
            return;
        };
        if !response.status().is_success() {
            return;
        }
        let Ok(body) = response.text().await else {
            return;
        };
        for packet in body.split(SEPARATOR) {
            if packet == "2" {
                post(&http, &url, "3").await;
            } else if let Some(rest) = packet.strip_prefix("42") {
                let args: Value = serde_json::from_str(rest).unwrap_or(Value::Null);
                if let Some(name) = args.get(0).and_then(Value::as_str) {
                    let _ =
                        events.send((name.to_owned(), args.get(1).cloned().unwrap_or(Value::Null)));
                }
            } else if let Some(rest) = packet.strip_prefix("43") {
                let split = rest.find('[').unwrap_or(rest.len());
                let (id, args) = rest.split_at(split);
                if let Ok(id) = id.parse::<u64>() {
                    let value: Value = serde_json::from_str(args).unwrap_or(Value::Null);
                    if let Some(tx) = acks.lock().await.remove(&id) {
                        let _ = tx.send(value.get(0).cloned().unwrap_or(Value::Null));
                    }
                }
            } else if packet.starts_with('1') {
                return;
            }
        }
    }
}
