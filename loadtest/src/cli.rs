//! Command line and scenario defaults. Every flag overrides its scenario's default.

use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, ValueEnum};

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum Scenario {
    /// 1,000 clients in 10 rooms of 100; 100 senders at a fixed total rate.
    Fanout,
    /// 10,000 clients in 5,000 two-person conversations.
    Dm,
    /// 10,000 connects as fast as possible: connect rate, connect latency, failures.
    Storm,
    /// Idle connections: server RSS per connection.
    Idle,
    /// Closed-loop senders: the most acknowledged (durably stored) sends per second.
    Persist,
    /// `fanout` spread over several nodes (`--url` more than once) sharing rooms via Redis.
    Cluster,
    /// The fan-out shape at an offered rate past capacity (open loop): accepted sends, refusals
    /// by code and how fast they come, sends never answered, memory.
    Overload,
    /// 10,000 fresh users connect and join (100 rooms): time from the first connect to the
    /// last joined, server RSS per joined connection.
    Join,
}

impl Scenario {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Fanout => "fanout",
            Self::Dm => "dm",
            Self::Storm => "storm",
            Self::Idle => "idle",
            Self::Persist => "persist",
            Self::Cluster => "cluster",
            Self::Overload => "overload",
            Self::Join => "join",
        }
    }
}

/// How a client opens its session.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) enum Transport {
    /// A websocket from the start (`transports: ["websocket"]` in socket.io-client).
    Websocket,
    /// socket.io-client's default: Engine.IO long polling (open, CONNECT, poll for its answer)
    /// on one keep-alive HTTP connection, then the upgrade to a websocket.
    Polling,
}

#[derive(Debug, Parser)]
#[command(
    name = "confab-loadgen",
    about = "Socket.IO load generator for confab and its reference servers"
)]
pub(crate) struct Args {
    #[arg(long, value_enum, default_value = "fanout")]
    pub scenario: Scenario,
    /// Server base URL (http://127.0.0.1:3000). Repeat for a cluster: clients are spread over
    /// the URLs round-robin; setup uses the first. Any reachable host: point it at servers you
    /// run (staging, a test cluster), never at someone else's.
    #[arg(long = "url", default_value = "http://127.0.0.1:3000")]
    pub urls: Vec<String>,
    /// Label for the server under test (confab, node, uws): goes into the report and file name.
    #[arg(long, default_value = "confab")]
    pub target: String,
    /// HS256 secret the server verifies tokens with.
    #[arg(long, env = "CONFAB_JWT_SECRET", hide_env_values = true)]
    pub secret: String,
    /// Connections to open.
    #[arg(long)]
    pub clients: Option<usize>,
    /// Conversations; client i joins conversation i mod rooms.
    #[arg(long)]
    pub rooms: Option<usize>,
    /// Clients that send (the first S clients, so senders spread evenly over the rooms).
    #[arg(long)]
    pub senders: Option<usize>,
    /// Total send rate in messages per second, spread evenly over the senders (open loop).
    #[arg(long)]
    pub rate: Option<f64>,
    /// Closed loop: each sender keeps `--in-flight` sends outstanding, sending again on each ack.
    #[arg(long)]
    pub closed_loop: Option<bool>,
    /// Outstanding sends per sender in closed-loop mode.
    #[arg(long, default_value_t = 1)]
    pub in_flight: usize,
    /// Measured time, after the warm-up (e.g. 30s).
    #[arg(long, value_parser = humantime::parse_duration)]
    pub duration: Option<Duration>,
    /// Sending before measuring starts (latencies not recorded).
    #[arg(long, value_parser = humantime::parse_duration)]
    pub warmup: Option<Duration>,
    /// After sending stops, how long receivers keep reading before loss is counted (and sends
    /// still unanswered are counted as never answered). Default 3s (`overload`: 10s).
    #[arg(long, value_parser = humantime::parse_duration)]
    pub drain: Option<Duration>,
    /// New connections per second (0: as fast as `--connect-concurrency` allows).
    #[arg(long)]
    pub connect_rate: Option<f64>,
    /// Most connection handshakes (connect + join) in flight at once. Default 1000 (`join`:
    /// every client at once, as a crowd of independent users arriving).
    #[arg(long)]
    pub connect_concurrency: Option<usize>,
    /// How clients open their session: `websocket`, or `polling` then upgrade (socket.io-client's
    /// default). `--source-ips` applies to both connections.
    #[arg(long, value_enum, default_value = "websocket")]
    pub transport: Transport,
    /// Give up on one connection's handshake (TCP + websocket + Socket.IO CONNECT) after this.
    #[arg(long, default_value = "30s", value_parser = humantime::parse_duration)]
    pub connect_timeout: Duration,
    /// Content length of each message, in characters.
    #[arg(long, default_value_t = 64)]
    pub message_size: usize,
    /// Server process(es) to sample (CPU from utime+stime, VmRSS, VmHWM). Repeatable.
    #[arg(long = "server-pid")]
    pub server_pids: Vec<u32>,
    /// Other processes to sample, by command name (`postgres`, `redis-server`): CPU summed over
    /// every process of that name, e.g. a database's backends. Repeatable.
    #[arg(long = "aux-comm")]
    pub aux_comms: Vec<String>,
    /// Local addresses to bind client sockets to, round-robin (127.0.0.1,127.0.0.2,…): each
    /// adds ~28k ephemeral ports towards one server address.
    #[arg(long, value_delimiter = ',')]
    pub source_ips: Vec<IpAddr>,
    /// Concurrent REST calls while creating conversations.
    #[arg(long, default_value_t = 16)]
    pub setup_concurrency: usize,
    /// JSON report path (default results/<scenario>-<target>-<timestamp>.json).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Exit with status 1 when anything was lost, duplicated or failed.
    #[arg(long)]
    pub assert_clean: bool,
    /// Tokio worker threads for the load generator (default: all cores).
    #[arg(long)]
    pub workers: Option<usize>,
    /// After all clients connected, wait this long before reading the server's RSS
    /// (lets allocators settle; used by `idle`).
    #[arg(long, value_parser = humantime::parse_duration)]
    pub settle: Option<Duration>,
}

/// A fully resolved run.
#[derive(Clone, Debug, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Plan {
    pub scenario: &'static str,
    pub clients: usize,
    pub rooms: usize,
    pub senders: usize,
    pub rate: f64,
    pub closed_loop: bool,
    pub in_flight: usize,
    #[serde(with = "secs")]
    pub duration: Duration,
    #[serde(with = "secs")]
    pub warmup: Duration,
    #[serde(with = "secs")]
    pub drain: Duration,
    #[serde(with = "secs")]
    pub settle: Duration,
    pub connect_rate: f64,
    pub connect_concurrency: usize,
    #[serde(with = "secs")]
    pub connect_timeout: Duration,
    pub message_size: usize,
    pub transport: Transport,
}

mod secs {
    pub(super) fn serialize<S: serde::Serializer>(
        d: &std::time::Duration,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        s.serialize_f64(d.as_secs_f64())
    }
}

/// Upper bounds that keep every run finite and this machine usable.
const MAX_CLIENTS: usize = 100_000;
const MAX_RUN: Duration = Duration::from_secs(600);
const MAX_PER_ROOM: usize = 1000;

impl Args {
    pub(crate) fn plan(&self) -> anyhow::Result<Plan> {
        let s = secs_of;
        // (clients, rooms, senders, rate, closed loop, duration, warmup, connect rate, settle)
        let d = match self.scenario {
            Scenario::Fanout | Scenario::Cluster => {
                (1000, 10, 100, 100.0, false, s(30), s(5), 1000.0, s(0))
            }
            Scenario::Dm => (10_000, 5000, 5000, 1000.0, false, s(30), s(5), 1000.0, s(0)),
            Scenario::Storm => (10_000, 100, 0, 0.0, false, s(2), s(0), 0.0, s(0)),
            Scenario::Idle => (10_000, 100, 0, 0.0, false, s(10), s(0), 2000.0, s(3)),
            Scenario::Persist => (50, 50, 50, 0.0, true, s(20), s(3), 1000.0, s(0)),
            Scenario::Overload => (1000, 10, 100, 1000.0, false, s(30), s(5), 1000.0, s(0)),
            // Every connect at once (bounded by --connect-concurrency), as a crowd of users
            // arriving does; RSS is read after the last join.
            Scenario::Join => (10_000, 100, 0, 0.0, false, s(2), s(0), 0.0, s(0)),
        };
        let drain = match self.scenario {
            Scenario::Overload => s(10),
            _ => s(3),
        };
        let plan = Plan {
            scenario: self.scenario.name(),
            clients: self.clients.unwrap_or(d.0),
            rooms: self.rooms.unwrap_or(d.1),
            senders: self.senders.unwrap_or(d.2),
            rate: self.rate.unwrap_or(d.3),
            closed_loop: self.closed_loop.unwrap_or(d.4),
            in_flight: self.in_flight.max(1),
            duration: self.duration.unwrap_or(d.5),
            warmup: self.warmup.unwrap_or(d.6),
            drain: self.drain.unwrap_or(drain),
            settle: self.settle.unwrap_or(d.8),
            connect_rate: self.connect_rate.unwrap_or(d.7),
            connect_concurrency: self
                .connect_concurrency
                .unwrap_or(match self.scenario {
                    Scenario::Join => usize::MAX,
                    _ => 1000,
                })
                .clamp(1, MAX_CLIENTS),
            connect_timeout: self.connect_timeout,
            message_size: self.message_size.clamp(1, 5000),
            transport: self.transport,
        };
        plan.check()?;
        Ok(plan)
    }
}

fn secs_of(n: u64) -> Duration {
    Duration::from_secs(n)
}

impl Plan {
    fn check(&self) -> anyhow::Result<()> {
        anyhow::ensure!(
            (1..=MAX_CLIENTS).contains(&self.clients),
            "--clients must be 1..={MAX_CLIENTS}"
        );
        anyhow::ensure!(
            (1..=self.clients).contains(&self.rooms),
            "--rooms must be 1..=clients"
        );
        anyhow::ensure!(
            self.clients.div_ceil(self.rooms) < MAX_PER_ROOM,
            "at most {} clients per room (one REST call creates a conversation with up to 1000 participants)",
            MAX_PER_ROOM - 1
        );
        anyhow::ensure!(
            self.senders <= self.clients,
            "--senders must be <= --clients"
        );
        anyhow::ensure!(
            self.rate.is_finite() && (0.0..=1_000_000.0).contains(&self.rate),
            "--rate must be 0..=1000000"
        );
        anyhow::ensure!(
            self.senders == 0 || self.closed_loop || self.rate > 0.0,
            "senders need --rate > 0 or --closed-loop true"
        );
        anyhow::ensure!(
            self.duration + self.warmup + self.drain + self.settle <= MAX_RUN,
            "warmup + duration + drain + settle must be at most {}s",
            MAX_RUN.as_secs()
        );
        anyhow::ensure!(
            self.connect_rate.is_finite() && self.connect_rate >= 0.0,
            "--connect-rate must be >= 0"
        );
        Ok(())
    }

    /// Room of client `i`.
    pub(crate) fn room_of(&self, i: usize) -> usize {
        i % self.rooms
    }

    /// Seconds between two sends of one open-loop sender.
    pub(crate) fn send_period(&self) -> Option<Duration> {
        (self.senders > 0 && !self.closed_loop && self.rate > 0.0)
            .then(|| Duration::from_secs_f64(self.senders as f64 / self.rate))
    }

    /// Offset of sender `j`'s first send: senders are staggered evenly over one period.
    pub(crate) fn send_offset(&self, j: usize) -> Duration {
        match self.rate > 0.0 && !self.closed_loop {
            true => Duration::from_secs_f64(j as f64 / self.rate),
            false => Duration::ZERO,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(extra: &[&str]) -> Args {
        let mut v = vec!["confab-loadgen", "--secret", "x"];
        v.extend_from_slice(extra);
        Args::parse_from(v)
    }

    #[test]
    fn fanout_defaults_match_the_issue() {
        let p = args(&[]).plan().unwrap();
        assert_eq!((p.clients, p.rooms, p.senders), (1000, 10, 100));
        assert_eq!(p.room_of(123), 3);
        // 100 senders at 100 msgs/s in total: each sends once a second, 10 ms apart.
        assert_eq!(p.send_period(), Some(Duration::from_secs(1)));
        assert_eq!(p.send_offset(3), Duration::from_millis(30));
    }

    #[test]
    fn flags_override_scenario_defaults() {
        let p = args(&[
            "--scenario",
            "dm",
            "--clients",
            "20",
            "--rooms",
            "10",
            "--senders",
            "10",
        ])
        .plan()
        .unwrap();
        assert_eq!((p.clients, p.rooms, p.senders), (20, 10, 10));
        let p = args(&["--scenario", "persist"]).plan().unwrap();
        assert!(p.closed_loop);
        assert_eq!(p.send_period(), None);
    }

    #[test]
    fn overload_is_the_fanout_shape_open_loop_with_a_longer_drain() {
        let p = args(&["--scenario", "overload", "--rate", "10000"])
            .plan()
            .unwrap();
        assert_eq!((p.clients, p.rooms, p.senders), (1000, 10, 100));
        assert!(!p.closed_loop);
        // 10,000 sends/s over 100 senders: each every 10 ms, staggered by 0.1 ms.
        assert_eq!(p.send_period(), Some(Duration::from_millis(10)));
        assert_eq!(p.send_offset(1), Duration::from_micros(100));
        assert_eq!(p.drain, Duration::from_secs(10));
        assert_eq!(p.connect_concurrency, 1000);
        let p = args(&["--scenario", "overload", "--drain", "2s"])
            .plan()
            .unwrap();
        assert_eq!(p.drain, Duration::from_secs(2));
    }

    #[test]
    fn join_connects_everyone_at_once() {
        let p = args(&["--scenario", "join"]).plan().unwrap();
        assert_eq!((p.clients, p.rooms, p.senders), (10_000, 100, 0));
        assert_eq!(p.connect_rate, 0.0);
        assert_eq!(p.connect_concurrency, MAX_CLIENTS);
        let p = args(&["--scenario", "join", "--connect-concurrency", "50"])
            .plan()
            .unwrap();
        assert_eq!(p.connect_concurrency, 50);
        let p = args(&["--scenario", "storm"]).plan().unwrap();
        assert_eq!(p.connect_concurrency, 1000);
    }

    #[test]
    fn unbounded_runs_are_refused() {
        assert!(args(&["--clients", "1000000"]).plan().is_err());
        assert!(args(&["--duration", "2h"]).plan().is_err());
        assert!(args(&["--clients", "2000", "--rooms", "1"]).plan().is_err());
        assert!(args(&["--rate", "0"]).plan().is_err());
    }
}
