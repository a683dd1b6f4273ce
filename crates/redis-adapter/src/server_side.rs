//! Server-side emits: events between the servers of a cluster (Node's `io.serverSideEmit`),
//! which socketioxide's adapter interface does not cover, so they hang off the constructor
//! (`RedisAdapterCtr::server_side_emit` and friends, in `state`). This file holds what a
//! listener receives: the event, and the way to answer it.

use std::sync::{Arc, Weak};

use serde_json::Value as Json;

use crate::driver::Driver;
use crate::{msgpack, wire};

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
    driver: Weak<dyn Driver>,
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
        driver: &Arc<dyn Driver>,
        channel: String,
        request_id: String,
    ) -> Self {
        self.ack = Some(ServerSideAck {
            driver: Arc::downgrade(driver),
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
        if let Some(driver) = ack.driver.upgrade() {
            let body = wire::encode_server_side_emit_response(&ack.request_id, &value);
            driver.publish(ack.channel, body);
        }
    }
}

/// A decoded value as JSON (server-side emits travel as JSON, so no binaries).
pub(crate) fn to_json(value: &rmpv::Value) -> Json {
    let (text, _) = msgpack::mp_to_payload(value);
    serde_json::from_str(&text).unwrap_or(Json::Null)
}
