//! A tiny Socket.IO v5 / Engine.IO v4 websocket client: connects to `/`, answers pings,
//! records the events it receives (with their binary attachments) and acks the ones that ask
//! for it with a configurable value.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::{SinkExt, StreamExt};
use serde_json::Value;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;

/// An event the server sent us.
#[derive(Debug, Clone)]
pub struct Event {
    pub name: String,
    pub args: Vec<Value>,
    pub attachments: Vec<Vec<u8>>,
}

pub struct Client {
    pub sid: String,
    events: mpsc::UnboundedReceiver<Event>,
    ack_value: Arc<Mutex<Value>>,
    _task: tokio::task::JoinHandle<()>,
}

impl Client {
    pub async fn connect(port: u16) -> Self {
        let url = format!("ws://127.0.0.1:{port}/socket.io/?EIO=4&transport=websocket");
        let (ws, _) = tokio_tungstenite::connect_async(url)
            .await
            .expect("websocket connects");
        let (mut sink, mut stream) = ws.split();
        let open = next_text(&mut stream).await;
        assert!(open.starts_with('0'), "expected Engine.IO OPEN, got {open}");
        sink.send(Message::text("40")).await.unwrap();
        let connect = loop {
            let frame = next_text(&mut stream).await;
            if frame == "2" {
                sink.send(Message::text("3")).await.unwrap();
                continue;
            }
            break frame;
        };
        let body = connect
            .strip_prefix("40")
            .unwrap_or_else(|| panic!("expected CONNECT, got {connect}"));
        let sid = serde_json::from_str::<Value>(body).unwrap()["sid"]
            .as_str()
            .unwrap()
            .to_owned();

        let (tx, events) = mpsc::unbounded_channel();
        let ack_value = Arc::new(Mutex::new(Value::Null));
        let ack = ack_value.clone();
        let task = tokio::spawn(async move {
            let mut pending: Option<(Event, Option<u64>, usize)> = None;
            while let Some(Ok(msg)) = stream.next().await {
                match msg {
                    Message::Text(text) => {
                        let text = text.as_str();
                        if text == "2" {
                            let _ = sink.send(Message::text("3")).await;
                            continue;
                        }
                        let Some(packet) = text.strip_prefix('4') else {
                            continue;
                        };
                        let Some((event, ack_id, attachments)) = parse_event(packet) else {
                            continue;
                        };
                        if attachments == 0 {
                            finish(&mut sink, &tx, &ack, event, ack_id).await;
                        } else {
                            pending = Some((event, ack_id, attachments));
                        }
                    }
                    Message::Binary(bin) => {
                        if let Some((mut event, ack_id, left)) = pending.take() {
                            event.attachments.push(bin.to_vec());
                            if left == 1 {
                                finish(&mut sink, &tx, &ack, event, ack_id).await;
                            } else {
                                pending = Some((event, ack_id, left - 1));
                            }
                        }
                    }
                    Message::Close(_) => break,
                    _ => {}
                }
            }
        });
        Self {
            sid,
            events,
            ack_value,
            _task: task,
        }
    }

    /// What this client answers to events that ask for an ack.
    pub fn ack_with(&self, value: Value) {
        *self.ack_value.lock().unwrap() = value;
    }

    /// The next event, or `None` after `wait`.
    pub async fn next(&mut self, wait: Duration) -> Option<Event> {
        tokio::time::timeout(wait, self.events.recv())
            .await
            .ok()
            .flatten()
    }

    /// The next event, which must be `name` and arrive within 5 s.
    pub async fn expect(&mut self, name: &str) -> Event {
        let event = self
            .next(Duration::from_secs(5))
            .await
            .unwrap_or_else(|| panic!("socket {} got no `{name}` within 5 s", self.sid));
        assert_eq!(event.name, name, "socket {} got {event:?}", self.sid);
        event
    }

    /// Asserts that nothing arrives for `wait`.
    pub async fn expect_silence(&mut self, wait: Duration) {
        if let Some(event) = self.next(wait).await {
            panic!(
                "socket {} should have received nothing, got {event:?}",
                self.sid
            );
        }
    }

    /// Drops everything received so far.
    pub fn drain(&mut self) -> Vec<Event> {
        let mut out = Vec::new();
        while let Ok(e) = self.events.try_recv() {
            out.push(e);
        }
        out
    }
}

async fn finish<S>(
    sink: &mut S,
    tx: &mpsc::UnboundedSender<Event>,
    ack: &Arc<Mutex<Value>>,
    event: Event,
    ack_id: Option<u64>,
) where
    S: futures::Sink<Message> + Unpin,
{
    if let Some(id) = ack_id {
        let value = ack.lock().unwrap().clone();
        let _ = sink.send(Message::text(format!("43{id}[{value}]"))).await;
    }
    let _ = tx.send(event);
}

/// `2[..]`, `2<id>[..]`, `5<n>-[..]`, `5<n>-<id>[..]` (namespace `/` only).
fn parse_event(packet: &str) -> Option<(Event, Option<u64>, usize)> {
    let (kind, rest) = packet.split_at(1);
    let (attachments, rest) = match kind {
        "2" => (0, rest),
        "5" => {
            let (n, rest) = rest.split_once('-')?;
            (n.parse().ok()?, rest)
        }
        _ => return None,
    };
    let start = rest.find('[')?;
    let ack_id = (start > 0).then(|| rest[..start].parse().ok()).flatten();
    let array: Vec<Value> = serde_json::from_str(&rest[start..]).ok()?;
    let (name, args) = array.split_first()?;
    let event = Event {
        name: name.as_str()?.to_owned(),
        args: args.to_vec(),
        attachments: Vec::new(),
    };
    Some((event, ack_id, attachments))
}

async fn next_text<S>(stream: &mut S) -> String
where
    S: futures::Stream<Item = Result<Message, tokio_tungstenite::tungstenite::Error>> + Unpin,
{
    loop {
        let msg = tokio::time::timeout(Duration::from_secs(5), stream.next())
            .await
            .expect("the server answers within 5 s")
            .expect("the websocket stays open")
            .expect("a websocket frame");
        if let Message::Text(text) = msg {
            return text.as_str().to_owned();
        }
    }
}
