//! The websocket client. One task reads (answering pings, routing acks, acking the server's
//! events with a value the test chooses, gathering binary attachments) and one writes; the
//! test holds the [`Client`] and reads the events it received in order.
//!
//! Waiting is bounded: a frame during the handshake and an ack within 10 s, the next event
//! of [`Client::expect`] within 5 s; past that the call panics, which is how a test fails.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::sync::{mpsc, oneshot};
use tokio_tungstenite::tungstenite::Message;

use crate::frame::{self, Inbound};

/// How long a handshake frame or an ack may take.
const ANSWER: Duration = Duration::from_secs(10);
/// How long [`Client::expect`] waits for the next event.
const NEXT_EVENT: Duration = Duration::from_secs(5);

/// An event the server sent: its name, its arguments, and the binary attachments of a
/// BINARY_EVENT (their places in `args` hold Socket.IO's `{"_placeholder":true,"num":n}`).
/// A Socket.IO DISCONNECT from the server arrives as an event named `disconnect`.
#[derive(Debug, Clone)]
pub struct Event {
    /// The event name (`disconnect` for a server DISCONNECT).
    pub name: String,
    /// The arguments after the name, in order.
    pub args: Vec<Value>,
    /// A BINARY_EVENT's attachments, in the order of their placeholders.
    pub attachments: Vec<Vec<u8>>,
}

impl Event {
    /// The first argument (`null` when there is none): what a handler emitted as its data.
    pub fn data(&self) -> Value {
        self.args.first().cloned().unwrap_or(Value::Null)
    }
}

type Acks = Arc<Mutex<HashMap<u64, oneshot::Sender<Value>>>>;

/// A connected socket on the main namespace.
pub struct Client {
    /// The Socket.IO session id the server gave in its CONNECT.
    pub sid: String,
    out: mpsc::UnboundedSender<String>,
    events: mpsc::UnboundedReceiver<Event>,
    acks: Acks,
    next_ack: AtomicU64,
    ack_value: Arc<Mutex<Value>>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client").field("sid", &self.sid).finish()
    }
}

/// How a handshake ended.
#[derive(Debug)]
pub enum Handshake {
    /// The server accepted the CONNECT: the socket, ready for events.
    Connected(Client),
    /// The CONNECT_ERROR payload (`{ message, data? }`).
    Refused(Value),
}

impl Handshake {
    /// The client; panics when the server refused.
    pub fn connected(self) -> Client {
        match self {
            Self::Connected(client) => client,
            Self::Refused(error) => panic!("handshake refused: {error}"),
        }
    }

    /// The refusal; panics when the server accepted.
    pub fn refused(self) -> Value {
        match self {
            Self::Connected(_) => panic!("handshake unexpectedly accepted"),
            Self::Refused(error) => error,
        }
    }
}

impl Client {
    /// Connects to `127.0.0.1:port` with no `auth` and panics unless the server accepts.
    pub async fn connect(port: u16) -> Self {
        Self::handshake(&format!("http://127.0.0.1:{port}"), None, "")
            .await
            .connected()
    }

    /// Opens a websocket to `base` (`http://host:port`; `query` is appended to the URL, e.g.
    /// `&token=…`) and sends CONNECT with `auth`.
    pub async fn handshake(base: &str, auth: Option<Value>, query: &str) -> Handshake {
        let url = format!(
            "{}/socket.io/?EIO=4&transport=websocket{query}",
            base.replacen("http", "ws", 1)
        );
        let (ws, _) = tokio_tungstenite::connect_async(url)
            .await
            .unwrap_or_else(|e| panic!("the websocket connects: {e}"));
        let (mut sink, mut stream) = ws.split();
        let open = next_text(&mut stream).await;
        assert!(open.starts_with('0'), "expected Engine.IO OPEN, got {open}");
        let connect = match &auth {
            Some(auth) => format!("40{auth}"),
            None => "40".to_owned(),
        };
        send(&mut sink, connect).await;
        let answer = loop {
            let text = next_text(&mut stream).await;
            match frame::parse(&text) {
                Ok(Inbound::Ping) => send(&mut sink, frame::PONG.to_owned()).await,
                Ok(Inbound::Connect(json)) => break Ok(json_value(json)),
                Ok(Inbound::ConnectError(json)) => break Err(json_value(json)),
                _ => panic!("expected CONNECT, got {text}"),
            }
        };
        let sid = match answer {
            Ok(connect) => connect["sid"]
                .as_str()
                .unwrap_or_else(|| panic!("CONNECT without a sid: {connect}"))
                .to_owned(),
            Err(refusal) => return Handshake::Refused(refusal),
        };
        let (out, mut outgoing) = mpsc::unbounded_channel::<String>();
        tokio::spawn(async move {
            while let Some(text) = outgoing.recv().await {
                if sink.send(Message::text(text)).await.is_err() {
                    break;
                }
            }
            let _ = sink.close().await;
        });
        let (events_tx, events) = mpsc::unbounded_channel();
        let acks = Acks::default();
        let ack_value = Arc::new(Mutex::new(Value::Null));
        let reader = Reader {
            out: out.clone(),
            events: events_tx,
            acks: acks.clone(),
            ack_value: ack_value.clone(),
            pending: None,
        };
        tokio::spawn(reader.run(stream));
        Handshake::Connected(Self {
            sid,
            out,
            events,
            acks,
            next_ack: AtomicU64::new(1),
            ack_value,
        })
    }

    /// Emits without asking for an ack.
    pub fn emit(&self, event: &str, data: Value) {
        let _ = self.out.send(format!("42{}", json!([event, data])));
    }

    /// Emits and waits for the ack's first argument.
    pub async fn ask(&self, event: &str, data: Value) -> Value {
        self.ask_raw(&json!([event, data]).to_string()).await
    }

    /// Emits `args` (a raw `["name", …]` array, sent as `42<id><args>`) and waits for the
    /// ack's first argument.
    pub async fn ask_raw(&self, args: &str) -> Value {
        let id = self.next_ack.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = oneshot::channel();
        lock(&self.acks).insert(id, tx);
        let _ = self.out.send(format!("42{id}{args}"));
        tokio::time::timeout(ANSWER, rx)
            .await
            .unwrap_or_else(|_| panic!("no ack for {args} within {ANSWER:?}"))
            .unwrap_or_else(|_| panic!("the connection closed before the ack for {args}"))
    }

    /// What this client answers to events that ask for an ack (default `null`).
    pub fn ack_with(&self, value: Value) {
        *lock(&self.ack_value) = value;
    }

    /// The next event, or `None` when none arrives within `wait`.
    pub async fn next(&mut self, wait: Duration) -> Option<Event> {
        tokio::time::timeout(wait, self.events.recv())
            .await
            .ok()
            .flatten()
    }

    /// The next event, which must be `name` and arrive within 5 s.
    pub async fn expect(&mut self, name: &str) -> Event {
        let event = self
            .next(NEXT_EVENT)
            .await
            .unwrap_or_else(|| panic!("socket {} got no `{name}` within {NEXT_EVENT:?}", self.sid));
        assert_eq!(event.name, name, "socket {} got {event:?}", self.sid);
        event
    }

    /// The data of the next event named `name` within `wait`, skipping other events.
    pub async fn wait_for(&mut self, name: &str, wait: Duration) -> Value {
        self.maybe(name, wait)
            .await
            .unwrap_or_else(|| panic!("socket {} got no `{name}` within {wait:?}", self.sid))
    }

    /// The data of the next event named `name`, skipping other events, or `None` when none
    /// arrives within `wait`.
    pub async fn maybe(&mut self, name: &str, wait: Duration) -> Option<Value> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            match tokio::time::timeout_at(deadline, self.events.recv()).await {
                Ok(Some(event)) if event.name == name => return Some(event.data()),
                Ok(Some(_)) => continue,
                Ok(None) | Err(_) => return None,
            }
        }
    }

    /// Asserts that no event arrives for `wait`.
    pub async fn expect_silence(&mut self, wait: Duration) {
        if let Some(event) = self.next(wait).await {
            panic!(
                "socket {} should have received nothing, got {event:?}",
                self.sid
            );
        }
    }

    /// Takes everything received so far.
    pub fn drain(&mut self) -> Vec<Event> {
        let mut out = Vec::new();
        while let Ok(event) = self.events.try_recv() {
            out.push(event);
        }
        out
    }

    /// Sends Socket.IO DISCONNECT.
    pub fn close(self) {
        let _ = self.out.send("41".to_owned());
    }
}

/// The reading half: everything the server sends.
struct Reader {
    out: mpsc::UnboundedSender<String>,
    events: mpsc::UnboundedSender<Event>,
    acks: Acks,
    ack_value: Arc<Mutex<Value>>,
    /// A BINARY_EVENT waiting for its attachments: the event, its ack id, how many are left.
    pending: Option<(Event, Option<u64>, usize)>,
}

impl Reader {
    async fn run<S>(mut self, mut stream: S)
    where
        S: futures::Stream<Item = Result<Message, tokio_tungstenite::tungstenite::Error>> + Unpin,
    {
        while let Some(Ok(message)) = stream.next().await {
            match message {
                Message::Text(text) => self.text(text.as_str()),
                Message::Binary(bytes) => self.attachment(bytes.to_vec()),
                Message::Close(_) => break,
                _ => {}
            }
        }
    }

    fn text(&mut self, text: &str) {
        match frame::parse(text) {
            Ok(Inbound::Ping) => {
                let _ = self.out.send(frame::PONG.to_owned());
            }
            Ok(Inbound::Event { ack, json }) => {
                if let Some(event) = event(json) {
                    self.deliver(event, ack);
                }
            }
            Ok(Inbound::BinaryEvent {
                attachments,
                ack,
                json,
            }) => {
                if let Some(event) = event(json) {
                    match attachments {
                        0 => self.deliver(event, ack),
                        n => self.pending = Some((event, ack, n)),
                    }
                }
            }
            Ok(Inbound::Ack { id, json }) => {
                let first = match json_value(json) {
                    Value::Array(mut args) if !args.is_empty() => args.swap_remove(0),
                    _ => Value::Null,
                };
                if let Some(waiter) = lock(&self.acks).remove(&id) {
                    let _ = waiter.send(first);
                }
            }
            Ok(Inbound::Disconnect) => {
                let _ = self.events.send(Event {
                    name: "disconnect".to_owned(),
                    args: Vec::new(),
                    attachments: Vec::new(),
                });
            }
            _ => {}
        }
    }

    fn attachment(&mut self, bytes: Vec<u8>) {
        if let Some((mut event, ack, left)) = self.pending.take() {
            event.attachments.push(bytes);
            match left {
                1 => self.deliver(event, ack),
                _ => self.pending = Some((event, ack, left - 1)),
            }
        }
    }

    /// Acks the event when the server asked for it, then hands it to the test.
    fn deliver(&self, event: Event, ack: Option<u64>) {
        if let Some(id) = ack {
            let value = lock(&self.ack_value).clone();
            let _ = self.out.send(format!("43{id}[{value}]"));
        }
        let _ = self.events.send(event);
    }
}

/// `["name", args…]` as an [`Event`]; `None` for anything else.
fn event(json: &str) -> Option<Event> {
    let Value::Array(array) = json_value(json) else {
        return None;
    };
    let (name, args) = array.split_first()?;
    Some(Event {
        name: name.as_str()?.to_owned(),
        args: args.to_vec(),
        attachments: Vec::new(),
    })
}

fn json_value(json: &str) -> Value {
    serde_json::from_str(json).unwrap_or(Value::Null)
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

async fn send<S>(sink: &mut S, text: String)
where
    S: futures::Sink<Message> + Unpin,
    S::Error: std::fmt::Debug,
{
    if let Err(e) = sink.send(Message::text(text)).await {
        panic!("the websocket takes a frame: {e:?}");
    }
}

async fn next_text<S>(stream: &mut S) -> String
where
    S: futures::Stream<Item = Result<Message, tokio_tungstenite::tungstenite::Error>> + Unpin,
{
    loop {
        let message = match tokio::time::timeout(ANSWER, stream.next()).await {
            Ok(Some(Ok(message))) => message,
            Ok(Some(Err(e))) => panic!("the websocket failed: {e}"),
            Ok(None) => panic!("the websocket closed"),
            Err(_) => panic!("no frame within {ANSWER:?}"),
        };
        if let Message::Text(text) = message {
            return text.as_str().to_owned();
        }
    }
}
