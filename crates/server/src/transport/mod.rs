//! The HTTP listener: our accept loop around hyper's HTTP/1 connection, so the contract's
//! transport limits hold. A connection must send each request head within the header read
//! timeout of its first byte (of the connection, for its first request), and a keep-alive
//! connection with no request in progress is closed after the idle timeout. Requests in
//! progress are bounded elsewhere: non-streaming REST routes by the request timeout
//! (confab-http), streaming routes and Socket.IO by their own limits. A websocket leaves
//! hyper once upgraded, and with it these limits (Engine.IO's heartbeat takes over).
//!
//! The rest is what `axum::serve` did: `ConnectInfo<SocketAddr>` on every request,
//! `TCP_NODELAY`, upgrades, and a graceful shutdown that stops accepting and lets
//! connections finish.

mod activity;
mod body;
pub mod unread;

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tower::ServiceExt;

use self::activity::{Activity, Expired, Watched};

/// Connections closed by a transport timeout, by `reason` (`header_read`, `idle`).
pub const CONNECTIONS_TIMED_OUT: &str = "confab_http_connections_timed_out_total";

/// The connection limits (`None`: none).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timeouts {
    /// A request head must arrive within this long of its first byte.
    pub header_read: Option<Duration>,
    /// A keep-alive connection with no request in progress is closed after this long.
    pub idle: Option<Duration>,
}

/// Serves `router` on `listener` until `signal` resolves, then stops accepting, asks every
/// connection to finish its request in progress and close, and returns once all have.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    timeouts: Timeouts,
    signal: impl Future<Output = ()> + Send + 'static,
) {
    // `stop` turns true on the signal; every connection task holds a `done` receiver, so
    // `done_tx.closed()` resolves when the last of them has ended.
    let (stop_tx, mut stop) = watch::channel(false);
    let (done_tx, done_rx) = watch::channel(());
    tokio::spawn(async move {
        signal.await;
        let _ = stop_tx.send(true);
    });
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = stop.wait_for(|stopping| *stopping) => break,
        };
        let (tcp, remote) = match accepted {
            Ok(pair) => pair,
            Err(e) => {
                // Out of file descriptors and the like: back off rather than spin.
                tracing::warn!(error = %e, "accepting a connection failed");
                tokio::time::sleep(Duration::from_millis(500)).await;
                continue;
            }
        };
        let stop = stop.clone();
        let done = done_rx.clone();
        let router = router.clone();
        tokio::spawn(async move {
            serve_connection(tcp, remote, router, timeouts, stop).await;
            drop(done);
        });
    }
    drop(done_rx);
    drop(listener);
    done_tx.closed().await;
}

async fn serve_connection(
    tcp: TcpStream,
    remote: SocketAddr,
    router: Router,
    timeouts: Timeouts,
    mut stop: watch::Receiver<bool>,
) {
    // Small frames (an ack, then a broadcast) must not wait for Nagle's algorithm: Node's
    // HTTP server and `ws` disable it too.
    if let Err(e) = tcp.set_nodelay(true) {
        tracing::debug!(error = %e, "could not set TCP_NODELAY");
    }
    let activity = Activity::new();
    let io = TokioIo::new(Watched::new(tcp, activity.clone()));
    let service = {
        let activity = activity.clone();
        hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
            let busy = activity.begin();
            let mut request = request.map(Body::new);
            request.extensions_mut().insert(ConnectInfo(remote));
            let response = router.clone().oneshot(request);
            async move {
                let response = response.await.unwrap_or_else(|never| match never {});
                Ok::<_, Infallible>(response.map(|inner| body::observed(inner, busy)))
            }
        })
    };
    let mut builder = hyper::server::conn::http1::Builder::new();
    // hyper's own header timer also runs on idle keep-alive connections; ours (above)
    // tells the two apart.
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(None::<Duration>);
    let conn = builder.serve_connection(io, service).with_upgrades();
    tokio::pin!(conn);
    let mut stopping = false;
    loop {
        tokio::select! {
            served = conn.as_mut() => {
                if let Err(e) = served {
                    tracing::debug!(%remote, error = %e, "connection ended with an error");
                }
                return;
            }
            expired = activity.expired(timeouts) => {
                match expired {
                    Expired::HeaderRead => tracing::debug!(%remote, "closing a connection: request head not received in time"),
                    Expired::Idle => tracing::trace!(%remote, "closing an idle keep-alive connection"),
                }
                let reason = match expired {
                    Expired::HeaderRead => "header_read",
                    Expired::Idle => "idle",
                };
                metrics::counter!(CONNECTIONS_TIMED_OUT, "reason" => reason).increment(1);
                return;
            }
            _ = stop.wait_for(|stopping| *stopping), if !stopping => {
                stopping = true;
                conn.as_mut().graceful_shutdown();
            }
        }
    }
}
