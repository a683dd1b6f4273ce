//! confab-loadgen: a Socket.IO load generator that speaks Engine.IO v4 / Socket.IO v5 over
//! websockets itself (no Socket.IO client library), for confab and its reference servers.
//!
//! It creates its fixtures through the REST API with an admin token it mints, opens N clients
//! over R conversations (staggered), lets S of them send at a fixed total rate (or closed loop),
//! and reports delivered messages/s, delivery and ack latency percentiles, connect rate and
//! latency, errors by kind, lost and duplicated deliveries per receiver (by `seq`), and the
//! server's CPU and RSS. Every run is bounded in count and time.

mod cli;
mod client;
mod polling;
mod procstat;
mod protocol;
mod report;
mod setup;
mod stats;
mod token;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Parser;
use tokio::sync::{Semaphore, watch};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use uuid::Uuid;

use crate::cli::{Args, Plan};
use crate::client::{Counters, Phase, SendSpec, Shared, Spec};

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let workers = args
        .workers
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers.max(1))
        .enable_all()
        .build()?;
    let clean = runtime.block_on(run(args))?;
    if !clean {
        std::process::exit(1);
    }
    Ok(())
}

/// Runs the scenario; `Ok(false)` when `--assert-clean` found loss, duplicates or errors.
async fn run(args: Args) -> anyhow::Result<bool> {
    let plan = args.plan()?;
    let targets = args
        .urls
        .iter()
        .map(|u| setup::target(u))
        .collect::<anyhow::Result<Vec<_>>>()?;
    setup::check_sources(&args.source_ips, &targets)?;
    if args.scenario == cli::Scenario::Cluster && targets.len() < 2 {
        eprintln!("warning: cluster scenario with one --url: this measures a single node");
    }
    let started_at = humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string();
    let run_id = Uuid::new_v4().simple().to_string()[..8].to_owned();
    let server_pids: Vec<String> = args.server_pids.iter().map(u32::to_string).collect();
    let ttl = plan.duration + plan.warmup + Duration::from_secs(3600);
    let minter = token::Minter::new(&args.secret, ttl)?;

    // Fixtures through the REST API of the first node.
    let users: Vec<Uuid> = (0..plan.clients).map(|_| Uuid::new_v4()).collect();
    let setup_started = Instant::now();
    let admin = minter.admin(Uuid::new_v4())?;
    let label = format!("loadgen {} {run_id}", plan.scenario);
    let fixtures = setup::create(
        &targets[0],
        &admin,
        &plan,
        &users,
        args.setup_concurrency,
        &label,
    )
    .await?;
    let setup_secs = setup_started.elapsed().as_secs_f64();
    eprintln!(
        "setup: project {} with {} conversations in {setup_secs:.1}s",
        fixtures.project,
        fixtures.conversations.len()
    );

    let shared = Arc::new(Shared {
        base: Instant::now(),
        run_id,
        phase: AtomicU8::new(Phase::Connect as u8),
        closing: AtomicBool::new(false),
        content: "x".repeat(plan.message_size),
        ws_config: WebSocketConfig::default()
            .read_buffer_size(4096)
            .write_buffer_size(0),
        connect_timeout: plan.connect_timeout,
        transport: args.transport,
        handshakes: Semaphore::new(plan.connect_concurrency),
        delivery: stats::Recorder::new(16)?,
        delivery_same_node: split_recorder(targets.len())?,
        delivery_cross_node: split_recorder(targets.len())?,
        nodes: targets.len(),
        rooms: plan.rooms,
        ack: stats::Recorder::new(16)?,
        refusal: stats::Recorder::new(16)?,
        refusal_overloaded: stats::Recorder::new(16)?,
        send_lag: stats::Recorder::new(16)?,
        connect: stats::Recorder::new(16)?,
        join: stats::Recorder::new(16)?,
        counters: Counters::default(),
    });
    let (phase_tx, phase_rx) = watch::channel(Phase::Connect);
    let mut sampler = report::Sampler::new(server_pids.clone(), args.aux_comms.clone());
    sampler.mark("before");

    // Connect, staggered.
    let specs = specs(&plan, &args, &targets, &fixtures, &users, &minter)?;
    let connect_started = Instant::now();
    let mut tasks = Vec::with_capacity(plan.clients);
    let gap = (plan.connect_rate > 0.0).then(|| Duration::from_secs_f64(1.0 / plan.connect_rate));
    for (n, spec) in specs.into_iter().enumerate() {
        if let Some(gap) = gap {
            let due = connect_started + gap.mul_f64(n as f64);
            tokio::time::sleep_until(due.into()).await;
        }
        tasks.push(tokio::spawn(client::run(
            shared.clone(),
            spec,
            phase_rx.clone(),
        )));
    }
    wait_for_connects(&shared, &plan, &mut sampler).await;
    let connect_secs = connect_started.elapsed().as_secs_f64();
    sampler.mark("connected");
    if !plan.settle.is_zero() {
        tokio::time::sleep(plan.settle).await;
    }
    sampler.mark("settled");

    // Warm up, measure, drain.
    set_phase(&shared, &phase_tx, Phase::Warmup);
    sampler.sleep(plan.warmup).await;
    set_phase(&shared, &phase_tx, Phase::Measure);
    sampler.mark("measure_start");
    let measure_started = Instant::now();
    sampler.sleep(plan.duration).await;
    set_phase(&shared, &phase_tx, Phase::Drain);
    let measured_secs = measure_started.elapsed().as_secs_f64();
    sampler.mark("measure_end");
    // Acks that arrive in the drain's last moments may still have their broadcast on the way:
    // they stop counting towards loss (see `Shared::closing`).
    let grace = (plan.drain / 2).min(LOSS_GRACE);
    sampler.sleep(plan.drain - grace).await;
    shared.closing.store(true, Ordering::Relaxed);
    sampler.sleep(grace).await;
    sampler.mark("end");
    set_phase(&shared, &phase_tx, Phase::Stop);

    let mut outcomes = Vec::with_capacity(tasks.len());
    for task in tasks {
        outcomes.push(task.await.context("a client task panicked")?);
    }
    let timing = report::Timing {
        started_at,
        setup_secs,
        connect_secs,
        measured_secs,
        connect_started,
    };
    let summary = report::build(&args, &plan, &shared, &sampler, &timing, &outcomes)?;
    let path = report::write(&args, &plan, &summary)?;
    println!("{}", report::line(&summary));
    eprintln!("report: {}", path.display());
    Ok(!args.assert_clean || summary.clean())
}

/// The end of the drain during which acks no longer count towards loss.
const LOSS_GRACE: Duration = Duration::from_secs(1);

/// Same-node / cross-node delivery latencies are kept apart only with several nodes.
fn split_recorder(nodes: usize) -> anyhow::Result<Option<stats::Recorder>> {
    (nodes > 1).then(|| stats::Recorder::new(16)).transpose()
}

fn set_phase(shared: &Shared, tx: &watch::Sender<Phase>, phase: Phase) {
    shared.phase.store(phase as u8, Ordering::Relaxed);
    let _ = tx.send(phase);
}

/// Waits until every connection attempt has finished (bounded by the connect timeout).
async fn wait_for_connects(shared: &Shared, plan: &Plan, sampler: &mut report::Sampler) {
    let deadline = Instant::now() + plan.connect_timeout + Duration::from_secs(5);
    while shared.counters.settled.load(Ordering::Relaxed) < plan.clients as u64
        && Instant::now() < deadline
    {
        sampler.tick();
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Joins follow connects; give the last ones a moment.
    let joined_deadline = Instant::now() + plan.connect_timeout;
    while shared.counters.joined.load(Ordering::Relaxed)
        < shared.counters.connected.load(Ordering::Relaxed)
        && Instant::now() < joined_deadline
    {
        sampler.tick();
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn specs(
    plan: &Plan,
    args: &Args,
    targets: &[setup::Target],
    fixtures: &setup::Fixtures,
    users: &[Uuid],
    minter: &token::Minter,
) -> anyhow::Result<Vec<Spec>> {
    let ws_urls: Vec<Arc<str>> = targets
        .iter()
        .map(|t| Arc::from(t.ws_url.as_str()))
        .collect();
    let conversations: Vec<Arc<str>> = fixtures
        .conversations
        .iter()
        .map(|c| Arc::from(c.as_str()))
        .collect();
    let period = plan.send_period();
    (0..plan.clients)
        .map(|i| {
            let room = plan.room_of(i);
            // Members of one room alternate between nodes (client i is member i / rooms of
            // room i % rooms), so every room spans the cluster.
            let node = (i / plan.rooms) % targets.len();
            Ok(Spec {
                index: i,
                room,
                node,
                addr: targets[node].addr,
                ws_url: ws_urls[node].clone(),
                source: (!args.source_ips.is_empty())
                    .then(|| args.source_ips[i % args.source_ips.len()]),
                token: minter.user(users[i], &format!("load user {i}"))?,
                conversation: conversations[room].clone(),
                send: (i < plan.senders).then(|| SendSpec {
                    offset: plan.send_offset(i),
                    period,
                    in_flight: plan.in_flight,
                }),
            })
        })
        .collect()
}
