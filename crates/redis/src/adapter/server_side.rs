//! Server-side emits: events between the servers of a cluster (Node's `io.serverSideEmit`),
//! which socketioxide's adapter interface does not cover, so they hang off the constructor.

use std::sync::{Arc, PoisonError, Weak};

use serde_json::Value as Json;

use super::config::{NsEntry, RedisAdapterCtr, Shared};
use super::error::Error;
use super::wire;

pub(crate) type Listener = Arc<dyn Fn(ServerSideEmit) + Send + Sync>;

/// An event another server emitted to the cluster.
pub struct ServerSideEmit {
    /// The event name.
    pub event: String,
    /// Its arguments.
    pub args: Vec<Json>,
    ack: Option<ServerSideAck>,
}

impl std::fmt::Debug for ServerSideEmit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerSideEmit")
            .field("event", &self.event)
            .field("args", &self.args)
            .field("wants_ack", &self.wants_ack())
            .finish()
    }
}

struct ServerSideAck {
    shared: Weak<Shared>,
    channel: String,
    request_id: String,
}

impl ServerSideEmit {
    pub(crate) fn new(event: String, args: Vec<Json>) -> Self {
        Self {
            event,
            args,
            ack: None,
        }
    }

    pub(crate) fn with_ack(
        mut self,
        shared: &Arc<Shared>,
        channel: String,
        request_id: String,
    ) -> Self {
        self.ack = Some(ServerSideAck {
            shared: Arc::downgrade(shared),
            channel,
            request_id,
        });
        self
    }

    /// Whether the sender waits for an answer (`serverSideEmit` with a callback).
    pub fn wants_ack(&self) -> bool {
        self.ack.is_some()
    }

    /// Answers the sender (only the first answer counts; without `wants_ack` this does nothing).
    pub fn ack(self, value: Json) {
        let Some(ack) = self.ack else { return };
        if let Some(shared) = ack.shared.upgrade() {
            let body = wire::encode_server_side_emit_response(&ack.request_id, &value);
            shared.publisher.publish(ack.channel, body);
        }
    }
}

impl RedisAdapterCtr {
    fn namespace(&self, nsp: &str) -> Result<NsEntry, Error> {
        self.shared
            .namespaces
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(nsp)
            .cloned()
            .ok_or_else(|| {
                Error::Config(format!("namespace {nsp} is not registered on this adapter"))
            })
    }

    /// Emits `event` with `args` to every other server of the cluster (Node's
    /// `io.of(nsp).serverSideEmit(event, ...args)`); does not wait for answers.
    pub async fn server_side_emit(
        &self,
        nsp: &str,
        event: &str,
        args: Vec<Json>,
    ) -> Result<(), Error> {
        let ns = self.namespace(nsp)?;
        let mut data = Vec::with_capacity(args.len() + 1);
        data.push(Json::from(event));
        data.extend(args);
        let body = wire::encode_server_side_emit(&ns.uid, None, &data);
        self.shared
            .publisher
            .publish_wait(ns.channels.request, body)
            .await
    }

    /// Emits to every other server and collects one answer from each (Node's
    /// `serverSideEmit(event, ...args, (err, responses) => ...)`). Fails with
    /// [`Error::Timeout`] when some server does not answer within the request timeout.
    pub async fn server_side_emit_with_ack(
        &self,
        nsp: &str,
        event: &str,
        args: Vec<Json>,
    ) -> Result<Vec<Json>, Error> {
        let ns = self.namespace(nsp)?;
        let expected = self.shared.remote_count(&ns.channels).await?;
        if expected == 0 {
            return Ok(Vec::new());
        }
        let mut data = Vec::with_capacity(args.len() + 1);
        data.push(Json::from(event));
        data.extend(args);
        let answers = self
            .shared
            .request(&ns.channels, expected, "server_side_emit", |id| {
                wire::encode_server_side_emit(&ns.uid, Some(id), &data)
            })
            .await?;
        Ok(answers
            .iter()
            .map(|a| wire::get(a, "data").map_or(Json::Null, to_json))
            .collect())
    }

    /// The number of servers on namespace `nsp` (this one included), from `PUBSUB NUMSUB`.
    pub async fn server_count(&self, nsp: &str) -> Result<u16, Error> {
        let ns = self.namespace(nsp)?;
        let n = self.shared.publisher.numsub(&ns.channels.request).await?;
        Ok(u16::try_from(n).unwrap_or(u16::MAX))
    }
}

/// A decoded value as JSON (server-side emits travel as JSON, so no binaries).
pub(crate) fn to_json(value: &rmpv::Value) -> Json {
    let (text, _) = super::msgpack::mp_to_payload(value);
    serde_json::from_str(&text).unwrap_or(Json::Null)
}
