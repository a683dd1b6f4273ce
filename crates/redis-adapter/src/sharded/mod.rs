//! The Redis Cluster driver: sharded Pub/Sub (`SPUBLISH`/`SSUBSCRIBE`, Redis 7+) in the wire
//! format of `@socket.io/redis-adapter`'s `createShardedAdapter` ([`wire`]).
//!
//! The adapter hands this driver the classic channels and messages (`crate::wire`); the
//! driver translates each one to its sharded form and channel, and each message it receives
//! back to the classic form, so the adapter's logic is the same on one Redis and on a Cluster.
//! What the translation needs beyond one message: the namespace's uid (from its channels, at
//! registration), and who asked each request (remembered from the request, because sharded
//! answers go to the requester's own channel).
//!
//! Rooms (Node's default `subscriptionMode: "dynamic"`): a broadcast to exactly one room goes
//! on that room's channel, which only the servers with a socket in the room subscribe to. The
//! adapter tells the driver which rooms have local sockets ([`Driver::watch_rooms`] when a
//! socket joins, [`Driver::prune_rooms`] from time to time to drop the empty ones).
//!
//! Publishing uses one multiplexed Cluster connection (Node's `pubClient`); receiving another,
//! in RESP3 with a push channel (Node's `subClient`). The redis crate keeps a connection to
//! each master, follows slot moves, and subscribes again after a reconnect; a ping every
//! [`ClusterConfig::ping_interval`] tells the health whether the subscriber is up and
//! subscribes everything again after an outage (`SSUBSCRIBE` is idempotent).

pub(crate) mod wire;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, OnceLock, PoisonError, RwLock, Weak};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use confab_redis_link::cluster::LazyCluster;
use redis::cluster::ClusterClient;
use redis::cluster_async::ClusterConnection;
use redis::{PushInfo, PushKind};
use tokio::sync::mpsc;

use crate::config::ClusterConfig;
use crate::driver::{Driver, Inbox, Route};
use crate::error::Error;
use crate::health::ClusterHealth;
use crate::queue::{self, Job};
use wire::Inbound;

/// Answers to remember the requester of, at most (older ones are forgotten first).
const MAX_REQUESTERS: usize = 10_000;

/// At most this many messages in flight per publishing round.
const MAX_BATCH: usize = 128;

/// A namespace served through this driver.
struct Ns {
    uid: String,
    route: Weak<dyn Route>,
    /// Room channels subscribed (by room).
    rooms: HashSet<String>,
}

#[derive(Default)]
struct State {
    /// By main channel `P#N#`.
    namespaces: HashMap<String, Ns>,
    /// Every subscribed channel -> its namespace's main channel.
    channels: HashMap<String, String>,
    /// Request id -> requester uid, with when it was seen.
    requesters: HashMap<String, (String, Instant)>,
}

struct Inner {
    prefix: String,
    health: ClusterHealth,
    timeout: Duration,
    ping_interval: Duration,
    request_timeout: Duration,
    /// The subscriber (RESP3, pushes go to `push`).
    sub_client: ClusterClient,
    sub_conn: tokio::sync::Mutex<Option<ClusterConnection>>,
    push: Mutex<Option<mpsc::UnboundedReceiver<PushInfo>>>,
    state: RwLock<State>,
    started: std::sync::Once,
}

pub(crate) struct ShardedDriver {
    inner: Arc<Inner>,
    publisher: LazyCluster,
    queue_size: usize,
    queue: OnceLock<mpsc::Sender<Job>>,
}

impl ShardedDriver {
    /// A driver on the Cluster at `seed`; connects lazily.
    pub(crate) fn new(
        seed: &confab_redis_link::cluster::Seed,
        config: &ClusterConfig,
    ) -> Result<Self, Error> {
        let (tx, rx) = mpsc::unbounded_channel();
        let sub_client = confab_redis_link::cluster::client(seed, config.redis_timeout, Some(tx))?;
        let publisher = LazyCluster::new(seed, config.redis_timeout)?;
        Ok(Self {
            inner: Arc::new(Inner {
                prefix: config.prefix.clone(),
                health: ClusterHealth::new(config.error_log_interval),
                timeout: config.redis_timeout,
                ping_interval: config.ping_interval,
                request_timeout: config.request_timeout,
                sub_client,
                sub_conn: tokio::sync::Mutex::new(None),
                push: Mutex::new(Some(rx)),
                state: RwLock::default(),
                started: std::sync::Once::new(),
            }),
            publisher,
            queue_size: config.publish_queue,
            queue: OnceLock::new(),
        })
    }

    fn ensure_started(&self) {
        self.inner.started.call_once(|| {
            let rx = self
                .inner
                .push
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .take();
            if let Some(rx) = rx {
                tokio::spawn(receive(Arc::downgrade(&self.inner), rx));
            }
            tokio::spawn(keep_alive(Arc::downgrade(&self.inner)));
        });
    }

    fn sender(&self) -> &mpsc::Sender<Job> {
        self.queue.get_or_init(|| {
            let (tx, rx) = mpsc::channel(self.queue_size.max(1));
            tokio::spawn(publish_worker(
                self.publisher.clone(),
                self.inner.health.clone(),
                self.inner.timeout,
                rx,
            ));
            tx
        })
    }

    /// The sharded channel and body for a classic message published on `channel`.
    fn translate(&self, channel: &str, payload: &[u8]) -> Result<(String, Vec<u8>), Error> {
        let prefix = &self.inner.prefix;
        let bad = |e: String| Error::Encode(e);
        if let Some(nsp) = channel
            .strip_prefix(&format!("{prefix}-request#"))
            .and_then(|rest| rest.strip_suffix('#'))
        {
            let body = wire::outbound_request(payload, nsp)
                .map_err(bad)?
                .ok_or_else(|| {
                    Error::Config(
                        "this request (all rooms of the cluster) has no counterpart in the sharded adapter's format".into(),
                    )
                })?;
            return Ok((format!("{prefix}#{nsp}#"), body));
        }
        if let Some(rest) = channel.strip_prefix(&format!("{prefix}-response#")) {
            let nsp = rest.split('#').next().unwrap_or("/");
            let main = format!("{prefix}#{nsp}#");
            let state = self
                .inner
                .state
                .read()
                .unwrap_or_else(PoisonError::into_inner);
            let uid = state
                .namespaces
                .get(&main)
                .map(|ns| ns.uid.clone())
                .unwrap_or_default();
            let (request_id, body) = wire::outbound_response(payload, &uid, nsp)
                .map_err(bad)?
                .ok_or_else(|| Error::Encode("an answer without a sharded counterpart".into()))?;
            let requester = state
                .requesters
                .get(&request_id)
                .map(|(uid, _)| uid.clone())
                .ok_or_else(|| Error::Encode(format!("no requester known for {request_id}")))?;
            return Ok((format!("{main}{requester}#"), body));
        }
        let (body, nsp, room) = wire::outbound_broadcast(payload).map_err(bad)?;
        let main = format!("{prefix}#{nsp}#");
        let channel = match room.filter(|r| wire::uses_room_channel(r)) {
            Some(room) => format!("{main}{room}#"),
            None => main,
        };
        Ok((channel, body))
    }

    async fn ssubscribe(&self, channels: &[String]) -> Result<(), Error> {
        self.ensure_started();
        self.inner.ssubscribe(channels).await
    }
}

impl Inner {
    /// The shared state for writing (a poisoned lock is taken over: the state stays usable).
    fn state_mut(&self) -> std::sync::RwLockWriteGuard<'_, State> {
        self.state.write().unwrap_or_else(PoisonError::into_inner)
    }

    /// The subscriber connection, connecting first if needed.
    async fn connection(&self) -> Result<ClusterConnection, Error> {
        let mut conn = self.sub_conn.lock().await;
        if let Some(conn) = conn.as_ref() {
            return Ok(conn.clone());
        }
        let connected = tokio::time::timeout(self.timeout, self.sub_client.get_async_connection())
            .await
            .map_err(|_| Error::unavailable("connecting to the Redis Cluster timed out"))??;
        *conn = Some(connected.clone());
        Ok(connected)
    }

    /// `SSUBSCRIBE`s each channel (one command per channel: they live in different slots).
    async fn ssubscribe(&self, channels: &[String]) -> Result<(), Error> {
        let work = async {
            let mut conn = self.connection().await?;
            for channel in channels {
                conn.ssubscribe(channel).await?;
            }
            Ok::<_, Error>(())
        };
        tokio::time::timeout(self.timeout, work)
            .await
            .unwrap_or_else(|_| Err(Error::unavailable("SSUBSCRIBE timed out")))
    }

    async fn sunsubscribe(&self, channels: &[String]) {
        let work = async {
            let mut conn = self.connection().await?;
            for channel in channels {
                conn.sunsubscribe(channel).await?;
            }
            Ok::<_, Error>(())
        };
        if let Ok(Err(e)) = tokio::time::timeout(self.timeout, work).await {
            tracing::debug!(error = %e, "cluster adapter: SUNSUBSCRIBE failed");
        }
    }

    fn all_channels(&self) -> Vec<String> {
        self.state
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .channels
            .keys()
            .cloned()
            .collect()
    }

    fn dispatch(&self, channel: &str, payload: &[u8]) {
        metrics::counter!("confab_redis_received_total").increment(1);
        let message = match wire::inbound(payload) {
            Ok(message) => message,
            Err(e) => {
                tracing::debug!(error = %e, channel, "cluster adapter: ignoring a malformed sharded message");
                return;
            }
        };
        let route = {
            let mut state = self.state_mut();
            let Some(main) = state.channels.get(channel).cloned() else {
                return;
            };
            let Some(ns) = state.namespaces.get(&main) else {
                return;
            };
            let (route, uid) = (ns.route.clone(), ns.uid.clone());
            if let Inbound::Request {
                requester,
                request_id: Some(id),
                ..
            } = &message
                && *requester != uid
            {
                remember(&mut state.requesters, id, requester, self.request_timeout);
            }
            route
        };
        let Some(route) = route.upgrade() else {
            return;
        };
        match message {
            Inbound::Broadcast(body) => route.on_message(Inbox::Broadcast, channel, &body),
            Inbound::Request { body, .. } => route.on_message(Inbox::Request, channel, &body),
            Inbound::Response(body) => route.on_message(Inbox::Response, channel, &body),
            Inbound::Ignore => {}
        }
    }
}

/// Remembers who asked `id`, forgetting answers older than the request timeout (twice, for
/// slow acks) and, past [`MAX_REQUESTERS`], the oldest.
fn remember(
    requesters: &mut HashMap<String, (String, Instant)>,
    id: &str,
    requester: &str,
    request_timeout: Duration,
) {
    let now = Instant::now();
    if requesters.len() >= MAX_REQUESTERS {
        requesters.retain(|_, (_, at)| now.duration_since(*at) < request_timeout * 2);
        if requesters.len() >= MAX_REQUESTERS
            && let Some(oldest) = requesters
                .iter()
                .min_by_key(|(_, (_, at))| *at)
                .map(|(k, _)| k.clone())
        {
            requesters.remove(&oldest);
        }
    }
    requesters.insert(id.to_owned(), (requester.to_owned(), now));
}

/// Hands each pushed message to its namespace.
async fn receive(inner: Weak<Inner>, mut rx: mpsc::UnboundedReceiver<PushInfo>) {
    while let Some(push) = rx.recv().await {
        let Some(inner) = inner.upgrade() else { return };
        match push.kind {
            PushKind::SMessage | PushKind::Message => {
                let mut data = push.data.into_iter();
                let (Some(channel), Some(payload)) = (data.next(), data.next()) else {
                    continue;
                };
                let (Ok(channel), Ok(payload)) = (
                    redis::from_redis_value::<String>(channel),
                    redis::from_redis_value::<Vec<u8>>(payload),
                ) else {
                    continue;
                };
                inner.dispatch(&channel, &payload);
            }
            PushKind::Disconnection => inner
                .health
                .subscriber_down(&"a cluster node closed the connection"),
            _ => {}
        }
    }
}

/// Pings the Cluster on the subscriber connection; after a failure, subscribes every
/// registered channel again once it answers.
async fn keep_alive(inner: Weak<Inner>) {
    let mut resubscribe = true;
    loop {
        let Some(strong) = inner.upgrade() else {
            return;
        };
        let interval = strong.ping_interval;
        let ping = async {
            let mut conn = strong.connection().await?;
            redis::cmd("PING")
                .query_async::<redis::Value>(&mut conn)
                .await?;
            // After a failure or a dropped node connection: SSUBSCRIBE is idempotent.
            if resubscribe || !strong.health.is_subscribed() {
                strong.ssubscribe(&strong.all_channels()).await?;
            }
            Ok::<_, Error>(())
        };
        match tokio::time::timeout(strong.timeout * 2, ping).await {
            Ok(Ok(())) => {
                resubscribe = false;
                strong.health.subscriber_up();
            }
            Ok(Err(e)) => {
                resubscribe = true;
                strong.health.subscriber_down(&e);
            }
            Err(_) => {
                resubscribe = true;
                strong.health.subscriber_down(&"ping timed out");
            }
        }
        drop(strong);
        let delay = if resubscribe {
            interval.min(Duration::from_millis(500))
        } else {
            interval
        };
        tokio::time::sleep(delay).await;
    }
}

/// Publishes in order: each round sends what has queued up (the cluster connection writes one
/// node's commands in the order they are issued) and waits for all of them.
async fn publish_worker(
    cluster: LazyCluster,
    health: ClusterHealth,
    timeout: Duration,
    mut rx: mpsc::Receiver<Job>,
) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while rx.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let attempt = async {
            let conn = cluster.get().await?;
            let sends = batch.iter().map(|job| {
                let mut conn = conn.clone();
                async move {
                    redis::cmd("SPUBLISH")
                        .arg(&job.channel)
                        .arg(&job.payload)
                        .query_async::<redis::Value>(&mut conn)
                        .await
                }
            });
            for result in futures::future::join_all(sends).await {
                result?;
            }
            Ok::<_, redis::RedisError>(())
        };
        let result = match tokio::time::timeout(timeout, attempt).await {
            Ok(result) => result.map_err(Error::from),
            Err(_) => Err(Error::unavailable(format!(
                "no answer from the Redis Cluster within {timeout:?}"
            ))),
        };
        let outcome = if result.is_ok() { "ok" } else { "error" };
        metrics::counter!("confab_redis_published_total", "outcome" => outcome)
            .increment(batch.len() as u64);
        match &result {
            Ok(()) => health.publish_ok(),
            Err(e) => health.publish_failed("publish", e),
        }
        let result = result.map_err(|e| e.to_string());
        for job in batch.drain(..) {
            if let Some(done) = job.done {
                let _ = done.send(result.clone().map_err(Error::Unavailable));
            }
        }
    }
}

#[async_trait]
impl Driver for ShardedDriver {
    fn health(&self) -> ClusterHealth {
        self.inner.health.clone()
    }

    fn publish(&self, channel: String, payload: Vec<u8>) {
        let (channel, payload) = match self.translate(&channel, &payload) {
            Ok(message) => message,
            Err(e) => {
                tracing::debug!(error = %e, "cluster adapter: not published on the sharded channels");
                return;
            }
        };
        queue::enqueue(self.sender(), &self.inner.health, channel, payload);
    }

    async fn publish_wait(&self, channel: String, payload: Vec<u8>) -> Result<(), Error> {
        let (channel, payload) = self.translate(&channel, &payload)?;
        queue::enqueue_and_wait(self.sender(), self.inner.timeout, channel, payload).await
    }

    /// `PUBSUB SHARDNUMSUB P#N#` for the classic request channel `P-request#N#` (the redis
    /// crate asks every master and adds the answers).
    async fn numsub(&self, channel: &str) -> Result<usize, Error> {
        let prefix = &self.inner.prefix;
        let main = channel
            .strip_prefix(&format!("{prefix}-request#"))
            .map_or_else(|| channel.to_owned(), |nsp| format!("{prefix}#{nsp}"));
        let query = async {
            let mut conn = self.publisher.get().await?;
            let reply: redis::Value = redis::cmd("PUBSUB")
                .arg("SHARDNUMSUB")
                .arg(&main)
                .query_async(&mut conn)
                .await?;
            Ok::<_, Error>(count_of(&reply, &main))
        };
        let result = tokio::time::timeout(self.inner.timeout, query)
            .await
            .unwrap_or_else(|_| Err(Error::unavailable("PUBSUB SHARDNUMSUB timed out")));
        match &result {
            Ok(_) => self.inner.health.publish_ok(),
            Err(e) => self.inner.health.publish_failed("server count", e),
        }
        result
    }

    async fn register(
        &self,
        channels: Vec<(String, Inbox)>,
        _pattern: String,
        route: Weak<dyn Route>,
    ) -> Result<(), Error> {
        let prefix = self.inner.prefix.clone();
        let request = format!("{prefix}-request#");
        let Some(nsp) = channels
            .iter()
            .find_map(|(c, _)| c.strip_prefix(&request)?.strip_suffix('#'))
            .map(str::to_owned)
        else {
            return Err(Error::Config("no request channel to register".into()));
        };
        let response = format!("{prefix}-response#{nsp}#");
        let uid = channels
            .iter()
            .find_map(|(c, _)| c.strip_prefix(&response)?.strip_suffix('#'))
            .unwrap_or_default()
            .to_owned();
        let main = format!("{prefix}#{nsp}#");
        let own = format!("{main}{uid}#");
        {
            let mut state = self.inner.state_mut();
            state.channels.insert(main.clone(), main.clone());
            state.channels.insert(own.clone(), main.clone());
            state.namespaces.insert(
                main.clone(),
                Ns {
                    uid,
                    route,
                    rooms: HashSet::new(),
                },
            );
        }
        let result = self.ssubscribe(&[main, own]).await;
        match &result {
            Ok(()) => self.inner.health.subscriber_up(),
            Err(e) => self.inner.health.subscriber_down(e),
        }
        result
    }

    async fn unregister(&self, channels: &[String], _pattern: &str) {
        let prefix = &self.inner.prefix;
        let request = format!("{prefix}-request#");
        let Some(nsp) = channels
            .iter()
            .find_map(|c| c.strip_prefix(&request)?.strip_suffix('#'))
        else {
            return;
        };
        let main = format!("{prefix}#{nsp}#");
        let gone: Vec<String> = {
            let mut state = self.inner.state_mut();
            state.namespaces.remove(&main);
            let gone: Vec<String> = state
                .channels
                .iter()
                .filter(|(_, m)| **m == main)
                .map(|(c, _)| c.clone())
                .collect();
            for channel in &gone {
                state.channels.remove(channel);
            }
            gone
        };
        self.inner.sunsubscribe(&gone).await;
    }

    fn room_channels(&self) -> bool {
        true
    }

    async fn watch_rooms(&self, broadcast: &str, rooms: &[String]) -> Result<(), Error> {
        let new: Vec<String> = {
            let mut guard = self.inner.state_mut();
            let state = &mut *guard;
            let Some(ns) = state.namespaces.get_mut(broadcast) else {
                return Ok(());
            };
            let mut new = Vec::new();
            for room in rooms {
                if wire::listens_on_room(room) && ns.rooms.insert(room.clone()) {
                    let channel = format!("{broadcast}{room}#");
                    state.channels.insert(channel.clone(), broadcast.to_owned());
                    new.push(channel);
                }
            }
            new
        };
        if new.is_empty() {
            return Ok(());
        }
        self.ssubscribe(&new).await
    }

    async fn prune_rooms(&self, broadcast: &str, live: &[String]) {
        let live: HashSet<&String> = live.iter().collect();
        let gone: Vec<String> = {
            let mut guard = self.inner.state_mut();
            let state = &mut *guard;
            let Some(ns) = state.namespaces.get_mut(broadcast) else {
                return;
            };
            let empty: Vec<String> = ns
                .rooms
                .iter()
                .filter(|r| !live.contains(r))
                .cloned()
                .collect();
            let mut gone = Vec::with_capacity(empty.len());
            for room in empty {
                ns.rooms.remove(&room);
                let channel = format!("{broadcast}{room}#");
                state.channels.remove(&channel);
                gone.push(channel);
            }
            gone
        };
        if !gone.is_empty() {
            self.inner.sunsubscribe(&gone).await;
        }
    }
}

/// The count for `channel` in a `PUBSUB SHARDNUMSUB` reply (a map in RESP3, a flat
/// `[channel, count, ..]` array in RESP2).
fn count_of(reply: &redis::Value, channel: &str) -> usize {
    use redis::Value;
    let as_count = |v: &Value| redis::from_redis_value_ref::<usize>(v).unwrap_or(0);
    let is_channel =
        |v: &Value| redis::from_redis_value_ref::<String>(v).is_ok_and(|c| c == channel);
    match reply {
        Value::Map(entries) => entries
            .iter()
            .filter(|(k, _)| is_channel(k))
            .map(|(_, v)| as_count(v))
            .sum(),
        Value::Array(items) => items
            .chunks(2)
            .filter(|pair| pair.first().is_some_and(is_channel))
            .map(|pair| pair.get(1).map_or(0, as_count))
            .sum(),
        _ => 0,
    }
}
