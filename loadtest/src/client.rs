//! One simulated client: a websocket speaking Engine.IO v4 / Socket.IO v5, which connects with
//! its token, joins its conversation, answers pings, sends on schedule (open loop) or on each
//! ack (closed loop), and keeps count of what it received.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use futures::{SinkExt, StreamExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio::sync::{Semaphore, watch};
use tokio::time::{Interval, MissedTickBehavior};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

use crate::cli::Transport;
use crate::polling::Polling;
use crate::protocol::{self, Inbound, SendAck};
use crate::stats::{Errors, Recorder, Refusals, SeqLedger};

type Ws = WebSocketStream<TcpStream>;

/// Where the run is. Sends happen in `Warmup` and `Measure`; latencies count in `Measure`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
#[repr(u8)]
pub(crate) enum Phase {
    Connect = 0,
    Warmup = 1,
    Measure = 2,
    Drain = 3,
    Stop = 4,
}

/// State every client task shares.
pub(crate) struct Shared {
    /// Clock base of the `sentMicros` carried in each `clientMsgId`.
    pub base: Instant,
    pub run_id: String,
    pub phase: AtomicU8,
    /// The drain's last second: an accepted send acked now may still have its broadcast on the
    /// way when receivers stop, so it is not expected from them (`Outcome::acked_late`).
    pub closing: AtomicBool,
    pub content: String,
    pub ws_config: WebSocketConfig,
    pub connect_timeout: Duration,
    pub transport: Transport,
    pub handshakes: Semaphore,
    pub delivery: Recorder,
    /// With several nodes: deliveries from a sender on the receiver's node / on another node.
    pub delivery_same_node: Option<Recorder>,
    pub delivery_cross_node: Option<Recorder>,
    pub nodes: usize,
    pub rooms: usize,
    pub ack: Recorder,
    /// Send to refusing ack (`ok:false`), every code / `overloaded` only.
    pub refusal: Recorder,
    pub refusal_overloaded: Recorder,
    /// How late each open-loop send left against its schedule.
    pub send_lag: Recorder,
    pub connect: Recorder,
    pub join: Recorder,
    pub counters: Counters,
}

#[derive(Default)]
pub(crate) struct Counters {
    /// Connection attempts that finished, one way or the other.
    pub settled: AtomicU64,
    pub connected: AtomicU64,
    pub joined: AtomicU64,
    /// When the last connection completed, µs since `base`.
    pub last_connected_us: AtomicU64,
    /// When the last join was acknowledged, µs since `base`.
    pub last_joined_us: AtomicU64,
    pub sent_measured: AtomicU64,
    pub acked_measured: AtomicU64,
    pub delivered_measured: AtomicU64,
}

impl Shared {
    fn measuring(&self) -> bool {
        self.phase.load(Ordering::Relaxed) == Phase::Measure as u8
    }

    fn now_us(&self) -> u64 {
        u64::try_from(self.base.elapsed().as_micros()).unwrap_or(u64::MAX)
    }

    /// The node client `i` connects to (the same rule as the specs: members of a room
    /// alternate between nodes).
    pub(crate) fn node_of(&self, client: usize) -> usize {
        (client / self.rooms.max(1)) % self.nodes.max(1)
    }
}

/// What one client is asked to do.
pub(crate) struct Spec {
    pub index: usize,
    pub room: usize,
    pub node: usize,
    pub addr: SocketAddr,
    pub ws_url: Arc<str>,
    pub source: Option<IpAddr>,
    pub token: String,
    pub conversation: Arc<str>,
    pub send: Option<SendSpec>,
}

#[derive(Clone, Copy, Debug)]
pub(crate) struct SendSpec {
    /// Delay of the first send after sending starts (staggering).
    pub offset: Duration,
    /// Open loop: time between sends. `None`: closed loop.
    pub period: Option<Duration>,
    pub in_flight: usize,
}

/// What one client saw.
pub(crate) struct Outcome {
    pub index: usize,
    pub room: usize,
    pub connected: bool,
    pub errors: Errors,
    pub ledger: SeqLedger,
    pub acked: Vec<i64>,
    /// Accepted sends acked in the drain's last second: not counted towards loss.
    pub acked_late: u64,
    pub sent: u64,
    pub unanswered: u64,
    /// Refusing acks (`ok:false`) answered in the measured window, by error code.
    pub refused: Refusals,
    /// Open-loop sends skipped because the sender was more than `MAX_SEND_LAG` behind.
    pub skipped_late: u64,
}

/// An open-loop sender this far behind its schedule drops the sends it missed instead of
/// catching up in a burst: what it offers stays bounded and the report says how many.
pub(crate) const MAX_SEND_LAG: Duration = Duration::from_secs(1);

/// Runs one client until the phase reaches `Stop` or its connection ends.
pub(crate) async fn run(
    shared: Arc<Shared>,
    spec: Spec,
    phases: watch::Receiver<Phase>,
) -> Outcome {
    let mut client = Client {
        outcome: Outcome {
            index: spec.index,
            room: spec.room,
            connected: false,
            errors: Errors::default(),
            ledger: SeqLedger::default(),
            acked: Vec::new(),
            acked_late: 0,
            sent: 0,
            unanswered: 0,
            refused: Refusals::default(),
            skipped_late: 0,
        },
        shared,
        spec,
        next_ack: 1,
        pending: HashMap::new(),
        sent_n: 0,
        join_refusal: None,
    };
    let opened = {
        let shared = client.shared.clone();
        let _permit = shared.handshakes.acquire().await.ok();
        client.open().await
    };
    client
        .shared
        .counters
        .settled
        .fetch_add(1, Ordering::Relaxed);
    match opened {
        Ok(ws) => client.serve(ws, phases).await,
        Err(kind) => match client.join_refusal.take() {
            Some(code) if kind == "join_refused" => {
                client.outcome.errors.count(format!("join_refused_{code}"));
            }
            _ => client.outcome.errors.count(kind),
        },
    }
    client.outcome.unanswered = client.pending.len() as u64;
    client.outcome
}

struct Client {
    shared: Arc<Shared>,
    spec: Spec,
    outcome: Outcome,
    next_ack: u64,
    /// Ack id -> send time (µs since base).
    pending: HashMap<u64, u64>,
    sent_n: u64,
    /// The error code of a refused `join`.
    join_refusal: Option<String>,
}

/// A stopped connection: why, as an error kind (`None`: a normal end).
type Ended = Option<&'static str>;

impl Client {
    /// TCP, websocket, Socket.IO CONNECT with the token, then `join`.
    async fn open(&mut self) -> Result<Ws, &'static str> {
        let started = Instant::now();
        let timeout = self.shared.connect_timeout;
        let mut ws = tokio::time::timeout(timeout, self.handshake())
            .await
            .map_err(|_| "connect_timeout")??;
        let shared = self.shared.clone();
        let c = &shared.counters;
        self.shared
            .connect
            .record(self.spec.index, micros(started.elapsed()));
        c.connected.fetch_add(1, Ordering::Relaxed);
        c.last_connected_us
            .fetch_max(self.shared.now_us(), Ordering::Relaxed);
        self.outcome.connected = true;
        let joining = Instant::now();
        let last_seq = tokio::time::timeout(timeout, self.join(&mut ws))
            .await
            .map_err(|_| "join_timeout")??;
        self.shared
            .join
            .record(self.spec.index, micros(joining.elapsed()));
        c.joined.fetch_add(1, Ordering::Relaxed);
        c.last_joined_us
            .fetch_max(self.shared.now_us(), Ordering::Relaxed);
        self.outcome.ledger = SeqLedger::new(last_seq);
        Ok(ws)
    }

    async fn handshake(&self) -> Result<Ws, &'static str> {
        if self.shared.transport == Transport::Polling {
            return self.polling_handshake().await;
        }
        let stream = self.tcp().await?;
        let config = Some(self.shared.ws_config);
        let (mut ws, _) =
            tokio_tungstenite::client_async_with_config(&*self.spec.ws_url, stream, config)
                .await
                .map_err(|_| "connect_ws")?;
        // Engine.IO OPEN, then Socket.IO CONNECT with the token.
        loop {
            match next_text(&mut ws).await? {
                text if text.starts_with('0') => break,
                text if text == "2" => send(&mut ws, protocol::PONG.into()).await?,
                _ => {}
            }
        }
        send(&mut ws, protocol::connect(&self.spec.token)).await?;
        loop {
            let text = next_text(&mut ws).await?;
            match protocol::parse(&text) {
                Ok(Inbound::Connect(_)) => return Ok(ws),
                Ok(Inbound::ConnectError(_)) => return Err("handshake_refused"),
                Ok(Inbound::Ping) => send(&mut ws, protocol::PONG.into()).await?,
                Ok(_) => {}
                Err(_) => return Err("protocol"),
            }
        }
    }

    /// socket.io-client's default: long polling until CONNECT is answered, then the upgrade
    /// of that session to a websocket on a second connection.
    async fn polling_handshake(&self) -> Result<Ws, &'static str> {
        let mut polling = Polling::new(self.tcp().await?, &self.spec.ws_url)?;
        let sid = polling.connect(&self.spec.token).await?;
        drop(polling);
        let stream = self.tcp().await?;
        let url = format!("{}&sid={sid}", self.spec.ws_url);
        let config = Some(self.shared.ws_config);
        let (mut ws, _) = tokio_tungstenite::client_async_with_config(&*url, stream, config)
            .await
            .map_err(|_| "connect_ws")?;
        send(&mut ws, "2probe".into()).await?;
        loop {
            match next_text(&mut ws).await? {
                text if text == "3probe" => break,
                text if text == "2" => send(&mut ws, protocol::PONG.into()).await?,
                _ => {}
            }
        }
        send(&mut ws, "5".into()).await?;
        Ok(ws)
    }

    /// A TCP connection to the client's node (from its source address, if any).
    async fn tcp(&self) -> Result<TcpStream, &'static str> {
        let socket = match self.spec.addr {
            SocketAddr::V4(_) => TcpSocket::new_v4(),
            SocketAddr::V6(_) => TcpSocket::new_v6(),
        }
        .map_err(|_| "connect_socket")?;
        if let Some(ip) = self.spec.source {
            socket
                .bind(SocketAddr::new(ip, 0))
                .map_err(|_| "connect_bind")?;
        }
        let stream = socket
            .connect(self.spec.addr)
            .await
            .map_err(|_| "connect_tcp")?;
        stream.set_nodelay(true).map_err(|_| "connect_tcp")?;
        Ok(stream)
    }

    /// `join` and wait for its ack; returns `lastSeq`.
    async fn join(&mut self, ws: &mut Ws) -> Result<i64, &'static str> {
        let id = self.next_ack;
        self.next_ack += 1;
        let data = format!("{{\"conversationId\":\"{}\"}}", self.spec.conversation);
        send(ws, protocol::event(Some(id), "join", &data)).await?;
        loop {
            let text = next_text(ws).await?;
            match protocol::parse(&text) {
                Ok(Inbound::Ack { id: got, json }) if got == id => {
                    let body = protocol::ack_body(json).map_err(|_| "protocol")?;
                    if let Some(code) = body.error_code() {
                        self.join_refusal = Some(code.to_owned());
                        return Err("join_refused");
                    }
                    return Ok(body.last_seq.unwrap_or(0));
                }
                Ok(Inbound::Ping) => send(ws, protocol::PONG.into()).await?,
                Ok(Inbound::Disconnect | Inbound::Close) => return Err("disconnected"),
                Ok(_) => {}
                Err(_) => return Err("protocol"),
            }
        }
    }

    /// The steady state: read, answer pings, send on schedule, until `Stop`.
    async fn serve(&mut self, mut ws: Ws, mut phases: watch::Receiver<Phase>) {
        let mut phase = *phases.borrow_and_update();
        let mut ticker: Option<Interval> = None;
        let mut started_sending = false;
        let ended: Ended = loop {
            if !started_sending && (Phase::Warmup..Phase::Drain).contains(&phase) {
                started_sending = true;
                ticker = self.start_sending(&mut ws).await;
            }
            if phase >= Phase::Drain {
                ticker = None;
            }
            tokio::select! {
                changed = phases.changed() => {
                    if changed.is_err() { break None; }
                    phase = *phases.borrow_and_update();
                    if phase == Phase::Stop { break None; }
                }
                frame = ws.next() => {
                    let text = match frame {
                        Some(Ok(Message::Text(text))) => text,
                        Some(Ok(Message::Close(_))) | None => break Some("disconnected"),
                        Some(Ok(_)) => continue,
                        Some(Err(_)) => break Some("ws_error"),
                    };
                    if let Err(kind) = self.on_text(&mut ws, &text, phase).await {
                        break Some(kind);
                    }
                }
                due = tick(&mut ticker) => {
                    let lag = tokio::time::Instant::now().saturating_duration_since(due);
                    if lag > MAX_SEND_LAG {
                        self.outcome.skipped_late += 1;
                        continue;
                    }
                    if self.shared.measuring() {
                        self.shared.send_lag.record(self.spec.index, micros(lag));
                    }
                    if let Err(kind) = self.send_message(&mut ws).await { break Some(kind); }
                }
            }
        };
        if let Some(kind) = ended {
            self.outcome.errors.count(kind);
        }
        let _ = ws.close(None).await;
    }

    /// Open loop: a staggered interval. Closed loop: the first `in_flight` sends now.
    async fn start_sending(&mut self, ws: &mut Ws) -> Option<Interval> {
        let send = self.spec.send?;
        match send.period {
            Some(period) => {
                let first = tokio::time::Instant::now() + send.offset;
                let mut ticker = tokio::time::interval_at(first, period);
                // Open loop: a late sender catches up (Burst) so the offered rate holds; past
                // MAX_SEND_LAG it skips instead (see `serve`).
                ticker.set_missed_tick_behavior(MissedTickBehavior::Burst);
                Some(ticker)
            }
            None => {
                for _ in 0..send.in_flight {
                    if let Err(kind) = self.send_message(ws).await {
                        self.outcome.errors.count(kind);
                        break;
                    }
                }
                None
            }
        }
    }

    async fn on_text(&mut self, ws: &mut Ws, text: &str, phase: Phase) -> Result<(), &'static str> {
        match protocol::parse(text) {
            Ok(Inbound::Ping) => send(ws, protocol::PONG.into()).await,
            Ok(Inbound::Event { json, .. }) => {
                if protocol::event_name(json) == Some("message:new") {
                    self.on_delivery(json);
                }
                Ok(())
            }
            Ok(Inbound::Ack { id, json }) => self.on_ack(ws, id, json, phase).await,
            Ok(Inbound::Disconnect | Inbound::Close) => Err("server_disconnect"),
            Ok(_) => Ok(()),
            Err(_) => {
                self.outcome.errors.count("protocol");
                Ok(())
            }
        }
    }

    fn on_delivery(&mut self, json: &str) {
        let Ok(message) = protocol::delivered(json) else {
            self.outcome.errors.count("protocol");
            return;
        };
        if *message.conversation_id != *self.spec.conversation {
            self.outcome.errors.count("wrong_conversation");
            return;
        }
        self.outcome.ledger.see(message.seq);
        if !self.shared.measuring() {
            return;
        }
        self.shared
            .counters
            .delivered_measured
            .fetch_add(1, Ordering::Relaxed);
        let key = message.client_msg_id.as_deref();
        let Some(sent) = key.and_then(protocol::sent_micros) else {
            return;
        };
        let latency = self.shared.now_us().saturating_sub(sent);
        self.shared.delivery.record(self.spec.index, latency);
        let sender = key.and_then(protocol::sender_index);
        if let (Some(sender), Some(same), Some(cross)) = (
            sender,
            &self.shared.delivery_same_node,
            &self.shared.delivery_cross_node,
        ) {
            match self.shared.node_of(sender) == self.spec.node {
                true => same.record(self.spec.index, latency),
                false => cross.record(self.spec.index, latency),
            }
        }
    }

    async fn on_ack(
        &mut self,
        ws: &mut Ws,
        id: u64,
        json: &str,
        phase: Phase,
    ) -> Result<(), &'static str> {
        let Some(sent_us) = self.pending.remove(&id) else {
            return Ok(());
        };
        match protocol::send_ack(json) {
            Ok(SendAck::Accepted(seq)) => {
                match self.shared.closing.load(Ordering::Relaxed) {
                    true => self.outcome.acked_late += 1,
                    false => self.outcome.acked.push(seq),
                }
                if self.shared.measuring() {
                    let latency = self.shared.now_us().saturating_sub(sent_us);
                    self.shared.ack.record(self.spec.index, latency);
                    self.shared
                        .counters
                        .acked_measured
                        .fetch_add(1, Ordering::Relaxed);
                }
            }
            Ok(SendAck::NoMessage) => self.outcome.errors.count("send_ack_without_message"),
            Ok(SendAck::Refused(code)) => {
                if self.shared.measuring() {
                    let latency = self.shared.now_us().saturating_sub(sent_us);
                    self.shared.refusal.record(self.spec.index, latency);
                    if code == OVERLOADED {
                        self.shared
                            .refusal_overloaded
                            .record(self.spec.index, latency);
                    }
                    self.outcome.refused.count(&code);
                }
                // `overloaded` is the designed answer past capacity, not a fault; any other
                // refusal still counts as an error.
                if code != OVERLOADED {
                    self.outcome.errors.count(format!("send_{code}"));
                }
            }
            Err(_) => self.outcome.errors.count("protocol"),
        }
        let closed_loop = self.spec.send.is_some_and(|s| s.period.is_none());
        if closed_loop && (Phase::Warmup..Phase::Drain).contains(&phase) {
            self.send_message(ws).await?;
        }
        Ok(())
    }

    async fn send_message(&mut self, ws: &mut Ws) -> Result<(), &'static str> {
        let id = self.next_ack;
        self.next_ack += 1;
        self.sent_n += 1;
        let sent_us = self.shared.now_us();
        let client_msg_id =
            protocol::client_msg_id(&self.shared.run_id, self.spec.index, self.sent_n, sent_us);
        let data = format!(
            "{{\"conversationId\":\"{}\",\"content\":\"{}\",\"type\":\"text\",\"clientMsgId\":\"{}\"}}",
            self.spec.conversation, self.shared.content, client_msg_id
        );
        self.pending.insert(id, sent_us);
        self.outcome.sent += 1;
        if self.shared.measuring() {
            self.shared
                .counters
                .sent_measured
                .fetch_add(1, Ordering::Relaxed);
        }
        send(ws, protocol::event(Some(id), "message:send", &data)).await
    }
}

/// The next tick's scheduled instant (never resolves without a ticker).
async fn tick(ticker: &mut Option<Interval>) -> tokio::time::Instant {
    match ticker {
        Some(t) => t.tick().await,
        None => std::future::pending().await,
    }
}

async fn next_text(ws: &mut Ws) -> Result<String, &'static str> {
    loop {
        match ws.next().await {
            Some(Ok(Message::Text(text))) => return Ok(text.as_str().to_owned()),
            Some(Ok(Message::Close(_))) | None => return Err("disconnected"),
            Some(Ok(_)) => {}
            Some(Err(_)) => return Err("ws_error"),
        }
    }
}

async fn send(ws: &mut Ws, text: String) -> Result<(), &'static str> {
    ws.send(Message::text(text)).await.map_err(|_| "ws_send")
}

/// The refusal a node answers past capacity (ack `{ok:false, error:{code:"overloaded", …}}`).
pub(crate) const OVERLOADED: &str = "overloaded";

pub(crate) fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
}
