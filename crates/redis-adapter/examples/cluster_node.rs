//! A socketioxide node on confab-redis-adapter's cluster adapter, driven by the JS interop suite
//! (`tests/js-interop`) next to Node.js Socket.IO servers on `@socket.io/redis-adapter`.
//!
//! ```sh
//! cargo run -p confab-redis-adapter --example cluster_node -- --port 0 --prefix socket.io --redis redis://127.0.0.1:6379
//! # or, on a Redis Cluster (sharded Pub/Sub): --redis redis+cluster://127.0.0.1:7000,127.0.0.1:7001
//! ```
//! Prints `LISTENING <port>` once the namespace is subscribed. Every client event takes an ack:
//! - `join` / `leave` `[rooms]`: this socket joins or leaves rooms (on this node).
//! - `broadcast` `{ rooms, except, event, data }`: `io.to(rooms).except(except).emit(event, data)`.
//! - `broadcast-ack` `{ rooms, event, data, timeoutMs }`: the same with acks; answers the acks.
//! - `leave-everywhere` `{ rooms, room }`: `io.to(rooms).leave(room)` (every node).
//! - `join-everywhere` `{ rooms, room }`: `io.to(rooms).join(room)` (every node).
//! - `fetch-sockets` `{ rooms }`: the ids `io.to(rooms).fetch_sockets()` returns.
//! - `all-rooms`: `io.rooms()`.
//! - `server-count`: the cluster's server count.
//! - `server-side-emit` `{ event, data }` and `server-side-emit-ack` `{ event, data }`.
//!
//! Server-side emits from other servers are forwarded to this node's sockets as
//! `server-side` `{ event, args }` and acknowledged with `{ "from": "rust" }`.

use std::convert::Infallible;
use std::time::Duration;

use confab_redis_adapter::{ClusterConfig, RedisAdapter, RedisAdapterCtr};
use futures::StreamExt;
use serde::Deserialize;
use serde_json::{Value, json};
use socketioxide::SocketIo;
use socketioxide::adapter::Emitter;
use socketioxide::extract::{AckSender, Data, SocketRef};
use socketioxide::handler::ConnectHandler;

type Adapter = RedisAdapter<Emitter>;
type Io = SocketIo<Adapter>;

#[derive(Clone)]
struct Ctx {
    io: Io,
    ctr: RedisAdapterCtr,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct Broadcast {
    rooms: Vec<String>,
    except: Vec<String>,
    event: String,
    data: Value,
    timeout_ms: Option<u64>,
    room: String,
}

fn arg(flag: &str, default: &str) -> String {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == flag)
        .and_then(|i| args.get(i + 1).cloned())
        .unwrap_or_else(|| default.to_owned())
}

#[tokio::main]
#[expect(
    clippy::disallowed_methods,
    reason = "a test binary's log filter; it has no confab configuration"
)]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_env_filter(
            std::env::var("RUST_LOG").unwrap_or_else(|_| "confab_redis_adapter=info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let port: u16 = arg("--port", "0").parse()?;
    let config = ClusterConfig {
        prefix: arg("--prefix", "socket.io"),
        request_timeout: Duration::from_secs(3),
        ..ClusterConfig::default()
    };
    let ctr = RedisAdapterCtr::from_url(&arg("--redis", "redis://127.0.0.1:6379"), config)?;

    let (layer, io) = SocketIo::builder()
        .with_adapter::<Adapter>(ctr.clone())
        .build_layer();
    let ctx = Ctx {
        io: io.clone(),
        ctr: ctr.clone(),
    };
    forward_server_side_emits(&ctx);
    let _ = EVENTS_CTX.set(ctx);
    io.ns("/", on_connect.with(register_events)).await?;

    let app = axum::Router::new().layer(layer);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    println!("LISTENING {}", listener.local_addr()?.port());
    axum::serve(listener, app).await?;
    Ok(())
}

static EVENTS_CTX: std::sync::OnceLock<Ctx> = std::sync::OnceLock::new();

async fn on_connect() {}

/// Registered in a connect middleware, which runs before the CONNECT ack, so a client that
/// emits right after connecting loses nothing.
async fn register_events(s: SocketRef<Adapter>) -> Result<(), Infallible> {
    s.on(
        "join",
        async |s: SocketRef<Adapter>, Data::<Vec<String>>(rooms), ack: AckSender<Adapter>| {
            // Through the adapter, as confab's gateway does: on a Redis Cluster it listens on
            // the rooms' channels before answering.
            let joined = s.local().join(rooms).await.is_ok();
            let _ = ack.send(&joined);
        },
    );
    s.on(
        "leave",
        async |s: SocketRef<Adapter>, Data::<Vec<String>>(rooms), ack: AckSender<Adapter>| {
            s.leave(rooms);
            let _ = ack.send(&true);
        },
    );
    s.on(
        "broadcast",
        async |Data::<Broadcast>(b), ack: AckSender<Adapter>| {
            let io = &ctx().io;
            let result = io
                .to(b.rooms)
                .except(b.except)
                .emit(&b.event, &b.data)
                .await;
            let _ = ack.send(&result.map(|()| json!(true)).unwrap_or_else(error));
        },
    );
    s.on(
        "broadcast-ack",
        async |Data::<Broadcast>(b), ack: AckSender<Adapter>| {
            let timeout = Duration::from_millis(b.timeout_ms.unwrap_or(2000));
            let op = ctx().io.to(b.rooms).timeout(timeout);
            let answer = match op.emit_with_ack::<_, Value>(&b.event, &b.data).await {
                Ok(stream) => {
                    let acks: Vec<Value> = stream
                        .filter_map(|(_, a)| async move { a.ok() })
                        .collect()
                        .await;
                    json!(acks)
                }
                Err(e) => error(e),
            };
            let _ = ack.send(&answer);
        },
    );
    s.on(
        "leave-everywhere",
        async |Data::<Broadcast>(b), ack: AckSender<Adapter>| {
            let result = ctx().io.to(b.rooms).leave(b.room).await;
            let _ = ack.send(&result.map(|()| json!(true)).unwrap_or_else(error));
        },
    );
    s.on(
        "join-everywhere",
        async |Data::<Broadcast>(b), ack: AckSender<Adapter>| {
            let result = ctx().io.to(b.rooms).join(b.room).await;
            let _ = ack.send(&result.map(|()| json!(true)).unwrap_or_else(error));
        },
    );
    s.on(
        "fetch-sockets",
        async |Data::<Broadcast>(b), ack: AckSender<Adapter>| {
            let answer = match ctx().io.to(b.rooms).fetch_sockets().await {
                Ok(sockets) => json!(
                    sockets
                        .iter()
                        .map(|s| s.data().id.to_string())
                        .collect::<Vec<_>>()
                ),
                Err(e) => error(e),
            };
            let _ = ack.send(&answer);
        },
    );
    s.on("all-rooms", async |ack: AckSender<Adapter>| {
        let answer = match ctx().io.rooms().await {
            Ok(rooms) => json!(rooms.iter().map(|r| r.to_string()).collect::<Vec<_>>()),
            Err(e) => error(e),
        };
        let _ = ack.send(&answer);
    });
    s.on("server-count", async |ack: AckSender<Adapter>| {
        let answer = ctx()
            .ctr
            .server_count("/")
            .await
            .map(|n| json!(n))
            .unwrap_or_else(error);
        let _ = ack.send(&answer);
    });
    s.on(
        "server-side-emit",
        async |Data::<Broadcast>(b), ack: AckSender<Adapter>| {
            let result = ctx()
                .ctr
                .server_side_emit("/", &b.event, vec![b.data])
                .await;
            let _ = ack.send(&result.map(|()| json!(true)).unwrap_or_else(error));
        },
    );
    s.on(
        "server-side-emit-ack",
        async |Data::<Broadcast>(b), ack: AckSender<Adapter>| {
            let result = ctx()
                .ctr
                .server_side_emit_with_ack("/", &b.event, vec![b.data])
                .await;
            let _ = ack.send(&result.map(|r| json!(r)).unwrap_or_else(error));
        },
    );
    Ok(())
}

fn ctx() -> &'static Ctx {
    // Set before the namespace exists.
    EVENTS_CTX
        .get()
        .unwrap_or_else(|| unreachable!("the context is set before serving"))
}

fn error(e: impl std::fmt::Display) -> Value {
    json!({ "error": e.to_string() })
}

fn forward_server_side_emits(ctx: &Ctx) {
    let io = ctx.io.clone();
    ctx.ctr.on_server_side_emit("/", move |emit| {
        let io = io.clone();
        let payload = json!({ "event": emit.event, "args": emit.args });
        if emit.wants_ack() {
            emit.ack(json!({ "from": "rust" }));
        }
        tokio::spawn(async move {
            let _ = io.local().emit("server-side", &payload).await;
        });
    });
}
