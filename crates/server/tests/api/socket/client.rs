//! A small Socket.IO v5 / Engine.IO v4 client over websocket, enough to drive the gateway
//! from Rust tests: CONNECT with auth, events, acks both ways, ping answers.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::sync::{Mutex, mpsc, oneshot};
use tokio_tungstenite::tungstenite::Message;

type Acks = Arc<Mutex<HashMap<u64, oneshot::Sender<Value>>>>;

pub struct SocketClient {
    out: mpsc::UnboundedSender<String>,
    events: mpsc::UnboundedReceiver<(String, Value)>,
    acks: Acks,
    next_ack: AtomicU64,
    pub sid: String,
}

/// How a handshake ended.
#[derive(Debug)]
pub enum Handshake {
    Connected(SocketClient),
    /// The CONNECT_ERROR payload (`{ message }`).
    Refused(Value),
}

impl Handshake {
    pub fn connected(self) -> SocketClient {
        match self {
            Self::Connected(client) => client,
            Self::Refused(error) => panic!("handshake refused: {error}"),
        }
    }

    pub fn refused(self) -> Value {
        match self {
            Self::Connected(_) => panic!("handshake unexpectedly accepted"),
            Self::Refused(error) => error,
        }
    }
}

impl std::fmt::Debug for SocketClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SocketClient")
            .field("sid", &self.sid)
            .finish()
    }
}

impl SocketClient {
    /// Opens a websocket to `base` (`http://host:port`), sends CONNECT with `auth`.
    pub async fn connect(base: &str, auth: Option<Value>, query: &str) -> Handshake {
        let url = format!(
            "{}/socket.io/?EIO=4&transport=websocket{query}",
            base.replacen("http", "ws", 1)
        );
        let (ws, _) = tokio_tungstenite::connect_async(url)
            .await
            .expect("websocket connects");
        let (mut sink, mut stream) = ws.split();
        // Engine.IO OPEN
        let open = next_text(&mut stream).await;
        assert!(open.starts_with('0'), "expected OPEN, got {open}");
        let connect = match &auth {
            Some(auth) => format!("40{auth}"),
            None => "40".to_owned(),
        };
        sink.send(Message::text(connect)).await.unwrap();
        let answer = loop {
            let frame = next_text(&mut stream).await;
            if frame == "2" {
                sink.send(Message::text("3")).await.unwrap();
                continue;
            }
            break frame;
        };
        if let Some(error) = answer.strip_prefix("44") {
            return Handshake::Refused(serde_json::from_str(error).unwrap());
        }
        let sid = answer.strip_prefix("40").map(|p| {
            serde_json::from_str::<Value>(p).unwrap()["sid"]
                .as_str()
                .unwrap()
                .to_owned()
        });
        let sid = sid.unwrap_or_else(|| panic!("expected CONNECT, got {answer}"));

        let (out, mut out_rx) = mpsc::unbounded_channel::<String>();
        let (events_tx, events) = mpsc::unbounded_channel();
        let acks: Acks = Arc::default();
        tokio::spawn(async move {
            while let Some(frame) = out_rx.recv().await {
                if sink.send(Message::text(frame)).await.is_err() {
                    break;
                }
            }
            let _ = sink.close().await;
        });
        let reader_acks = acks.clone();
        let pong = out.clone();
        tokio::spawn(async move {
            while let Some(Ok(message)) = stream.next().await {
                let Message::Text(text) = message else {
                    continue;
                };
                route(text.as_str(), &pong, &events_tx, &reader_acks).await;
            }
        });
        Handshake::Connected(Self {
            out,
            events,
            acks,
            next_ack: AtomicU64::new(1),
            sid,
        })
    }

    /// Emits without asking for an ack.
    pub fn emit(&self, event: &str, data: Value) {
        let _ = self.out.send(format!("42{}", json!([event, data])));
    }

    /// Emits and waits for the ack's first argument.
    pub async fn ask(&self, event: &str, data: Value) -> Value {
        let id = self.next_ack.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = oneshot::channel();
        self.acks.lock().await.insert(id, tx);
        let _ = self.out.send(format!("42{id}{}", json!([event, data])));
        tokio::time::timeout(Duration::from_secs(10), rx)
            .await
            .unwrap_or_else(|_| panic!("no ack for {event}"))
            .unwrap()
    }

    /// Emits `frame` (a raw `42<id>[...]` without the id) and waits for the ack.
    pub async fn ask_raw(&self, args: &str) -> Value {
        let id = self.next_ack.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = oneshot::channel();
        self.acks.lock().await.insert(id, tx);
        let _ = self.out.send(format!("42{id}{args}"));
        tokio::time::timeout(Duration::from_secs(10), rx)
            .await
            .expect("an ack")
            .unwrap()
    }

    /// The next server event named `name` within `wait` (other events are skipped).
    pub async fn expect(&mut self, name: &str, wait: Duration) -> Value {
        self.maybe(name, wait)
            .await
            .unwrap_or_else(|| panic!("no {name} event within {wait:?}"))
    }

    /// The next server event named `name`, or `None` if none arrives within `wait`.
    pub async fn maybe(&mut self, name: &str, wait: Duration) -> Option<Value> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            match tokio::time::timeout_at(deadline, self.events.recv()).await {
                Ok(Some((event, data))) if event == name => return Some(data),
                Ok(Some(_)) => continue,
                Ok(None) | Err(_) => return None,
            }
        }
    }

    pub fn close(self) {
        let _ = self.out.send("41".to_owned());
    }
}

async fn next_text<S>(stream: &mut S) -> String
where
    S: StreamExt<Item = Result<Message, tokio_tungstenite::tungstenite::Error>> + Unpin,
{
    loop {
        let message = tokio::time::timeout(Duration::from_secs(10), stream.next())
            .await
            .expect("a frame")
            .expect("open")
            .expect("ok");
        if let Message::Text(text) = message {
            return text.as_str().to_owned();
        }
    }
}

async fn route(
    text: &str,
    pong: &mpsc::UnboundedSender<String>,
    events: &mpsc::UnboundedSender<(String, Value)>,
    acks: &Acks,
) {
    if text == "2" {
        let _ = pong.send("3".to_owned());
        return;
    }
    if let Some(rest) = text.strip_prefix("42") {
        let args: Value = serde_json::from_str(rest).unwrap_or(Value::Null);
        if let Some(name) = args.get(0).and_then(Value::as_str) {
            let _ = events.send((name.to_owned(), args.get(1).cloned().unwrap_or(Value::Null)));
        }
    } else if let Some(rest) = text.strip_prefix("43") {
        let split = rest.find('[').unwrap_or(rest.len());
        let (id, args) = rest.split_at(split);
        if let Ok(id) = id.parse::<u64>() {
            let value: Value = serde_json::from_str(args).unwrap_or(Value::Null);
            if let Some(tx) = acks.lock().await.remove(&id) {
                let _ = tx.send(value.get(0).cloned().unwrap_or(Value::Null));
            }
        }
    } else if text.starts_with("41") {
        let _ = events.send(("disconnect".to_owned(), Value::Null));
    }
}
