//! The dedicated subscriber connection (Node's `subClient`), shared by every namespace.
//!
//! A background task owns it: it connects, subscribes to every registered channel and pattern,
//! hands each message to its namespace, pings to notice a dead link, and on any failure
//! reconnects with capped exponential backoff and subscribes again. Namespaces register their
//! channels once; the task keeps them subscribed across outages.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError, RwLock, Weak};
use std::time::Duration;

use futures::StreamExt;
use redis::aio::{PubSubSink, PubSubStream};
use tokio::sync::watch;

use crate::driver::{Inbox, Route};
use crate::error::Error;
use crate::health::ClusterHealth;

#[derive(Default)]
struct Routes {
    channels: HashMap<String, (Inbox, Weak<dyn Route>)>,
    patterns: HashMap<String, Weak<dyn Route>>,
}

/// Reconnection and liveness settings.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Timing {
    pub op_timeout: Duration,
    pub ping_interval: Duration,
    pub backoff_min: Duration,
    pub backoff_max: Duration,
}

pub(crate) struct Subscriber {
    inner: Arc<Inner>,
}

struct Inner {
    link: confab_redis_link::Link,
    health: ClusterHealth,
    timing: Timing,
    routes: RwLock<Routes>,
    /// The live connection's sink, `None` while (re)connecting.
    sink: Mutex<Option<PubSubSink>>,
    /// Bumped each time a connection is up and subscribed to everything registered.
    generation: watch::Sender<u64>,
    started: std::sync::Once,
}

impl Subscriber {
    pub(crate) fn new(
        link: confab_redis_link::Link,
        health: ClusterHealth,
        timing: Timing,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                link,
                health,
                timing,
                routes: RwLock::default(),
                sink: Mutex::new(None),
                generation: watch::Sender::new(0),
                started: std::sync::Once::new(),
            }),
        }
    }

    fn ensure_started(&self) {
        self.inner.started.call_once(|| {
            tokio::spawn(run(Arc::downgrade(&self.inner)));
        });
    }

    /// Registers a namespace's channels and waits until they are subscribed (at most the
    /// operation timeout). On error they stay registered: the background task subscribes them
    /// as soon as Redis is back.
    pub(crate) async fn register(
        &self,
        channels: Vec<(String, Inbox)>,
        pattern: String,
        route: Weak<dyn Route>,
    ) -> Result<(), Error> {
        {
            let mut routes = self
                .inner
                .routes
                .write()
                .unwrap_or_else(PoisonError::into_inner);
            for (channel, inbox) in &channels {
                routes
                    .channels
                    .insert(channel.clone(), (*inbox, route.clone()));
            }
            routes.patterns.insert(pattern.clone(), route);
        }
        self.ensure_started();
        let names: Vec<String> = channels.into_iter().map(|(c, _)| c).collect();
        let deadline = tokio::time::Instant::now() + self.inner.timing.op_timeout;
        let mut generation = self.inner.generation.subscribe();
        loop {
            // SUBSCRIBE is idempotent, so racing with the task's own resubscription is harmless.
            let timeout = self.inner.timing.op_timeout;
            if let Some(sink) = self.inner.current_sink()
                && subscribe(sink, &names, std::slice::from_ref(&pattern), timeout)
                    .await
                    .is_ok()
            {
                return Ok(());
            }
            match tokio::time::timeout_at(deadline, generation.changed()).await {
                Ok(Ok(())) => continue,
                Ok(Err(_)) => return Err(Error::unavailable("the subscriber stopped")),
                Err(_) => return Err(Error::unavailable("could not subscribe to redis in time")),
            }
        }
    }

    /// Forgets a namespace's channels and unsubscribes them (best effort).
    pub(crate) async fn unregister(&self, channels: &[String], pattern: &str) {
        {
            let mut routes = self
                .inner
                .routes
                .write()
                .unwrap_or_else(PoisonError::into_inner);
            for channel in channels {
                routes.channels.remove(channel);
            }
            routes.patterns.remove(pattern);
        }
        if let Some(mut sink) = self.inner.current_sink() {
            let timeout = self.inner.timing.op_timeout;
            let _ = tokio::time::timeout(timeout, sink.unsubscribe(channels)).await;
            let _ = tokio::time::timeout(timeout, sink.punsubscribe(pattern)).await;
        }
    }
}

impl Inner {
    fn current_sink(&self) -> Option<PubSubSink> {
        self.sink
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn set_sink(&self, sink: Option<PubSubSink>) {
        *self.sink.lock().unwrap_or_else(PoisonError::into_inner) = sink;
    }

    fn registered(&self) -> (Vec<String>, Vec<String>) {
        let routes = self.routes.read().unwrap_or_else(PoisonError::into_inner);
        (
            routes.channels.keys().cloned().collect(),
            routes.patterns.keys().cloned().collect(),
        )
    }

    fn dispatch(&self, msg: &redis::Msg) {
        metrics::counter!("confab_redis_received_total").increment(1);
        let channel = msg.get_channel_name();
        let routes = self.routes.read().unwrap_or_else(PoisonError::into_inner);
        let (inbox, route) = if msg.from_pattern() {
            let Ok(pattern) = msg.get_pattern::<String>() else {
                return;
            };
            match routes.patterns.get(&pattern) {
                Some(route) => (Inbox::Broadcast, route.clone()),
                None => return,
            }
        } else {
            match routes.channels.get(channel) {
                Some((inbox, route)) => (*inbox, route.clone()),
                None => return,
            }
        };
        drop(routes);
        if let Some(route) = route.upgrade() {
            route.on_message(inbox, channel, msg.get_payload_bytes());
        }
    }
}

async fn subscribe(
    mut sink: PubSubSink,
    channels: &[String],
    patterns: &[String],
    timeout: Duration,
) -> Result<(), Error> {
    let work = async {
        if !channels.is_empty() {
            sink.subscribe(channels).await?;
        }
        if !patterns.is_empty() {
            sink.psubscribe(patterns).await?;
        }
        Ok::<_, Error>(())
    };
    tokio::time::timeout(timeout, work)
        .await
        .unwrap_or_else(|_| Err(Error::unavailable("no answer from redis")))
}

/// The task: connect, subscribe, listen, and start over on failure. Ends when the subscriber
/// is dropped.
async fn run(inner: Weak<Inner>) {
    let mut delay: Option<Duration> = None;
    loop {
        if let Some(delay) = delay {
            tokio::time::sleep(delay).await;
        }
        let Some(strong) = inner.upgrade() else {
            return;
        };
        let timing = strong.timing;
        match connect(&strong).await {
            Ok(stream) => {
                strong.health.subscriber_up();
                strong.generation.send_modify(|g| *g += 1);
                drop(strong);
                let reason = listen(&inner, stream, timing).await;
                let Some(strong) = inner.upgrade() else {
                    return;
                };
                strong.set_sink(None);
                strong.health.subscriber_down(&reason);
                delay = Some(timing.backoff_min);
            }
            Err(e) => {
                strong.health.subscriber_down(&e);
                delay = Some(delay.map_or(timing.backoff_min, |d| (d * 2).min(timing.backoff_max)));
            }
        }
    }
}

/// Opens the connection and subscribes to everything registered so far.
async fn connect(inner: &Inner) -> Result<PubSubStream, Error> {
    let timeout = inner.timing.op_timeout;
    let pubsub = tokio::time::timeout(timeout, inner.link.pubsub())
        .await
        .map_err(|_| Error::unavailable("connecting timed out"))??;
    let (sink, stream) = pubsub.split();
    let (channels, patterns) = inner.registered();
    subscribe(sink.clone(), &channels, &patterns, timeout).await?;
    inner.set_sink(Some(sink));
    Ok(stream)
}

/// Handles messages until the connection fails; returns why.
async fn listen(inner: &Weak<Inner>, mut stream: PubSubStream, timing: Timing) -> String {
    let mut ping = tokio::time::interval(timing.ping_interval);
    ping.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    ping.tick().await;
    loop {
        tokio::select! {
            msg = stream.next() => {
                let Some(msg) = msg else { return "the connection closed".into() };
                let Some(strong) = inner.upgrade() else { return "shutting down".into() };
                strong.dispatch(&msg);
            }
            _ = ping.tick() => {
                let Some(strong) = inner.upgrade() else { return "shutting down".into() };
                let Some(mut sink) = strong.current_sink() else { return "no connection".into() };
                drop(strong);
                match tokio::time::timeout(timing.op_timeout, sink.ping::<redis::Value>()).await {
                    Ok(Ok(_)) => {}
                    Ok(Err(e)) => return format!("ping failed: {e}"),
                    Err(_) => return "ping timed out".into(),
                }
            }
        }
    }
}
