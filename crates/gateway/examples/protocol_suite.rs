//! A server for the official protocol test suites (`test-suite/` of socketio/socket.io-protocol
//! and of socketio/engine.io-protocol), so our engine settings can be checked against them:
//!
//! * Socket.IO on `/socket.io`: `/` and `/custom` emit `auth` with the handshake's auth payload
//!   on connect; on `/`, `message` is answered with `message-back` and the same arguments, and
//!   `message-with-ack` is acked with the same arguments (binary attachments included).
//! * Engine.IO on `/engine.io` (engineioxide directly): every message is sent back as received.
//!
//! The engine settings are production's (`GatewayConfig::default()`, as `confab` builds them)
//! except the ping interval and timeout, which the suites hard-code as 300 ms and 200 ms.
//!
//! ```text
//! cargo run --example protocol_suite -p confab-gateway -- [--port 3000] \
//!     [--ping-interval-ms 300] [--ping-timeout-ms 200] [--connect-timeout-ms 45000] \
//!     [--tcp-nodelay]
//! ```
//!
//! `--tcp-nodelay` turns Nagle's algorithm off on accepted connections (Node's HTTP server does
//! so by default; `confab` does not): a way to see its effect on small back-to-back frames.
//!
//! It listens on 127.0.0.1 only; both suites expect `http://localhost:3000`.
//! See docs/protocol-conformance.md for how to run the suites.

use std::error::Error;
use std::fmt;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::serve::ListenerExt;
use bytes::Bytes;
use confab_gateway::GatewayConfig;
use engineioxide::config::EngineIoConfig;
use engineioxide::handler::EngineIoHandler;
use engineioxide::layer::EngineIoLayer;
use engineioxide::{DisconnectReason, Socket as EngineSocket, Str};
use serde::de::{self, MapAccess, SeqAccess, Visitor};
use serde::ser::{SerializeTuple, Serializer};
use serde::{Deserialize, Deserializer, Serialize};
use socketioxide::SocketIo;
use socketioxide::extract::{AckSender, Data, SocketRef};
use tower_http::cors::CorsLayer;

type BoxError = Box<dyn Error + Send + Sync>;

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let settings = Settings::from_args(std::env::args().skip(1))?;

    let (socket_layer, io) = socket_io(&settings);
    io.ns("/", on_main_connect);
    io.ns("/custom", on_custom_connect);

    // Router::layer also wraps the fallback, so both engines see every request; each one
    // passes on what is not under its own path. The suites' README configures `cors: "*"`
    // for their browser runs.
    let app = Router::new()
        .layer(socket_layer)
        .layer(EngineIoLayer::from_config(
            Arc::new(EchoEngine),
            engine_io(&settings),
        ))
        .layer(CorsLayer::permissive());

    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, settings.port));
    let listener = tokio::net::TcpListener::bind(addr).await?;
    tracing::info!(addr = %listener.local_addr()?, ?settings, "protocol suite server listening");
    if settings.tcp_nodelay {
        let listener = listener.tap_io(|tcp| {
            if let Err(error) = tcp.set_nodelay(true) {
                tracing::warn!(%error, "TCP_NODELAY not set");
            }
        });
        axum::serve(listener, app).await?;
    } else {
        axum::serve(listener, app).await?;
    }
    Ok(())
}

/// Production's engine settings with the suites' heartbeat timing.
#[derive(Debug)]
struct Settings {
    port: u16,
    ping_interval: Duration,
    ping_timeout: Duration,
    connect_timeout: Duration,
    max_payload: u64,
    tcp_nodelay: bool,
}

impl Settings {
    fn from_args(mut args: impl Iterator<Item = String>) -> Result<Self, BoxError> {
        let production = GatewayConfig::default();
        let mut settings = Self {
            port: 3000,
            ping_interval: Duration::from_millis(300),
            ping_timeout: Duration::from_millis(200),
            connect_timeout: production.connect_timeout,
            max_payload: production.max_payload,
            tcp_nodelay: false,
        };
        while let Some(flag) = args.next() {
            if flag == "--tcp-nodelay" {
                settings.tcp_nodelay = true;
                continue;
            }
            let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
            match flag.as_str() {
                "--port" => settings.port = value.parse()?,
                "--ping-interval-ms" => settings.ping_interval = millis(&value)?,
                "--ping-timeout-ms" => settings.ping_timeout = millis(&value)?,
                "--connect-timeout-ms" => settings.connect_timeout = millis(&value)?,
                _ => return Err(format!("unknown flag {flag}").into()),
            }
        }
        Ok(settings)
    }
}

fn millis(value: &str) -> Result<Duration, BoxError> {
    Ok(Duration::from_millis(value.parse()?))
}

/// The same builder calls as `confab`'s `socket_io()`.
fn socket_io(settings: &Settings) -> (socketioxide::layer::SocketIoLayer, SocketIo) {
    SocketIo::builder()
        .req_path("/socket.io")
        .ping_interval(settings.ping_interval)
        .ping_timeout(settings.ping_timeout)
        .connect_timeout(settings.connect_timeout)
        .max_payload(settings.max_payload)
        .build_layer()
}

fn engine_io(settings: &Settings) -> EngineIoConfig {
    EngineIoConfig::builder()
        .req_path("/engine.io")
        .ping_interval(settings.ping_interval)
        .ping_timeout(settings.ping_timeout)
        .max_payload(settings.max_payload)
        .build()
}

/// Handlers are registered before `auth` is emitted, so a client that waits for `auth`
/// cannot send an event that finds no handler.
async fn on_main_connect(socket: SocketRef, Data(auth): Data<serde_json::Value>) {
    socket.on("message", on_message);
    socket.on("message-with-ack", on_message_with_ack);
    emit_auth(&socket, &auth);
}

async fn on_custom_connect(socket: SocketRef, Data(auth): Data<serde_json::Value>) {
    emit_auth(&socket, &auth);
}

async fn on_message(socket: SocketRef, Data(args): Data<Args>) {
    if let Err(error) = socket.emit("message-back", &args) {
        tracing::warn!(%error, "message-back not sent");
    }
}

async fn on_message_with_ack(Data(args): Data<Args>, ack: AckSender) {
    if let Err(error) = ack.send(&args) {
        tracing::warn!(%error, "ack not sent");
    }
}

fn emit_auth(socket: &SocketRef, auth: &serde_json::Value) {
    if let Err(error) = socket.emit("auth", auth) {
        tracing::warn!(%error, "auth not sent");
    }
}

/// Engine.IO echo: every text or binary message goes back to its sender.
#[derive(Debug, Clone)]
struct EchoEngine;

impl EngineIoHandler for EchoEngine {
    type Data = ();

    fn on_connect(self: Arc<Self>, _socket: Arc<EngineSocket<()>>) {}

    fn on_disconnect(&self, _socket: Arc<EngineSocket<()>>, _reason: DisconnectReason) {}

    fn on_message(self: &Arc<Self>, msg: Str, socket: Arc<EngineSocket<()>>) {
        if let Err(error) = socket.emit(msg) {
            tracing::warn!(%error, "echo not sent");
        }
    }

    fn on_binary(self: &Arc<Self>, data: Bytes, socket: Arc<EngineSocket<()>>) {
        if let Err(error) = socket.emit_binary(data) {
            tracing::warn!(%error, "binary echo not sent");
        }
    }
}

/// All arguments of an event. socketioxide hands a type the whole argument list (not just
/// the first argument) when it deserializes as a tuple, and sends a tuple as separate
/// arguments, so this one goes through serde's tuple methods.
struct Args(Vec<Arg>);

impl<'de> Deserialize<'de> for Args {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ArgsVisitor;
        impl<'de> Visitor<'de> for ArgsVisitor {
            type Value = Args;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("event arguments")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Args, A::Error> {
                let mut args = Vec::new();
                while let Some(arg) = seq.next_element()? {
                    args.push(arg);
                }
                Ok(Args(args))
            }
        }
        deserializer.deserialize_tuple(usize::MAX, ArgsVisitor)
    }
}

impl Serialize for Args {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut tuple = serializer.serialize_tuple(self.0.len())?;
        for arg in &self.0 {
            tuple.serialize_element(arg)?;
        }
        tuple.end()
    }
}

/// One argument, kept as received. Unlike `serde_json::Value` it has a binary variant, so
/// attachments (`{"_placeholder":true,"num":0}`) are sent back as attachments, and object
/// keys keep their order.
enum Arg {
    Null,
    Bool(bool),
    Signed(i64),
    Unsigned(u64),
    Float(f64),
    Text(String),
    Binary(Bytes),
    List(Vec<Arg>),
    Object(Vec<(String, Arg)>),
}

impl<'de> Deserialize<'de> for Arg {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ArgVisitor)
    }
}

struct ArgVisitor;

impl<'de> Visitor<'de> for ArgVisitor {
    type Value = Arg;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value or binary attachment")
    }
    fn visit_unit<E: de::Error>(self) -> Result<Arg, E> {
        Ok(Arg::Null)
    }
    fn visit_none<E: de::Error>(self) -> Result<Arg, E> {
        Ok(Arg::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Arg, D::Error> {
        Arg::deserialize(deserializer)
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Arg, E> {
        Ok(Arg::Bool(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Arg, E> {
        Ok(Arg::Signed(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Arg, E> {
        Ok(Arg::Unsigned(v))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Arg, E> {
        Ok(Arg::Float(v))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Arg, E> {
        Ok(Arg::Text(v.to_owned()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Arg, E> {
        Ok(Arg::Text(v))
    }
    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Arg, E> {
        Ok(Arg::Binary(Bytes::copy_from_slice(v)))
    }
    fn visit_byte_buf<E: de::Error>(self, v: Vec<u8>) -> Result<Arg, E> {
        Ok(Arg::Binary(Bytes::from(v)))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Arg, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Arg::List(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Arg, A::Error> {
        let mut entries = Vec::new();
        while let Some(entry) = map.next_entry()? {
            entries.push(entry);
        }
        Ok(Arg::Object(entries))
    }
}

impl Serialize for Arg {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Null => serializer.serialize_unit(),
            Self::Bool(v) => serializer.serialize_bool(*v),
            Self::Signed(v) => serializer.serialize_i64(*v),
            Self::Unsigned(v) => serializer.serialize_u64(*v),
            Self::Float(v) => serializer.serialize_f64(*v),
            Self::Text(v) => serializer.serialize_str(v),
            Self::Binary(v) => serializer.serialize_bytes(v),
            Self::List(items) => serializer.collect_seq(items),
            Self::Object(entries) => serializer.collect_map(entries.iter().map(|(k, v)| (k, v))),
        }
    }
}
