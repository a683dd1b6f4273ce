//! The run's report: process sampling during the run, then one JSON document and one summary
//! line.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use anyhow::Context;
use serde::Serialize;

use crate::cli::{Args, Plan};
use crate::client::OVERLOADED;
use crate::client::{Outcome, Shared};
use crate::procstat::{self, PeakCpu, ProcessReport, Sample};
use crate::stats::{self, Accounting, Errors, Percentiles, Refusals, round3};

/// Samples the server(s), this process, the processes named with `--aux-comm` and the whole
/// machine every 250 ms while the run sleeps, and at marks.
pub(crate) struct Sampler {
    server: Vec<String>,
    aux: Vec<String>,
    marks: BTreeMap<&'static str, Reading>,
    server_peak_kb: u64,
    own_peak_kb: u64,
    /// Between the `measure_start` and `measure_end` marks.
    measuring: bool,
    server_cpu_peak: PeakCpu,
    own_cpu_peak: PeakCpu,
}

#[derive(Clone, Default)]
struct Reading {
    server: Option<Sample>,
    own: Option<Sample>,
    machine: Option<Sample>,
    aux: Vec<Option<Sample>>,
}

impl Sampler {
    pub(crate) fn new(server: Vec<String>, aux: Vec<String>) -> Self {
        Self {
            server,
            aux,
            marks: BTreeMap::new(),
            server_peak_kb: 0,
            own_peak_kb: 0,
            measuring: false,
            server_cpu_peak: PeakCpu::new(Duration::from_secs(1)),
            own_cpu_peak: PeakCpu::new(Duration::from_secs(1)),
        }
    }

    fn read(&mut self) -> (Option<Sample>, Option<Sample>) {
        let server = match self.server.is_empty() {
            true => None,
            false => procstat::sample_all(&self.server),
        };
        let own = procstat::sample("self");
        if let Some(s) = server {
            self.server_peak_kb = self.server_peak_kb.max(s.rss_kb);
            if self.measuring {
                self.server_cpu_peak.feed(s);
            }
        }
        if let Some(s) = own {
            self.own_peak_kb = self.own_peak_kb.max(s.rss_kb);
            if self.measuring {
                self.own_cpu_peak.feed(s);
            }
        }
        (server, own)
    }

    pub(crate) fn tick(&mut self) {
        self.read();
    }

    pub(crate) fn mark(&mut self, name: &'static str) {
        if name == "measure_start" {
            self.measuring = true;
        }
        let (server, own) = self.read();
        if name == "measure_end" {
            self.measuring = false;
            self.server_cpu_peak.pause();
            self.own_cpu_peak.pause();
        }
        let reading = Reading {
            server,
            own,
            machine: procstat::sample_machine(),
            aux: self.aux.iter().map(|n| procstat::sample_comm(n)).collect(),
        };
        self.marks.insert(name, reading);
    }

    /// Sleeps, sampling as it goes.
    pub(crate) async fn sleep(&mut self, d: Duration) {
        let until = Instant::now() + d;
        while Instant::now() < until {
            self.tick();
            let left = until.saturating_duration_since(Instant::now());
            tokio::time::sleep(left.min(Duration::from_millis(250))).await;
        }
    }

    /// CPU between two marks of the sample `pick` chooses, in % of one core.
    fn cpu(&self, a: &str, b: &str, pick: impl Fn(&Reading) -> Option<Sample>) -> f64 {
        let at = |name: &str| self.marks.get(name).and_then(&pick);
        match (at(a), at(b)) {
            (Some(a), Some(b)) => round3(procstat::cpu_percent(&a, &b)),
            _ => 0.0,
        }
    }

    fn process(&self, server: bool) -> ProcessReport {
        let pick = |name: &str| {
            self.marks
                .get(name)
                .and_then(|r| if server { r.server } else { r.own })
        };
        let which = |r: &Reading| if server { r.server } else { r.own };
        let rss = |name: &str| pick(name).map_or(0, |s| s.rss_kb);
        let hwm = ["end", "measure_end", "settled", "connected"]
            .iter()
            .find_map(|m| pick(m))
            .map_or(0, |s| s.hwm_kb);
        ProcessReport {
            pids: match server {
                true => self.server.clone(),
                false => vec![std::process::id().to_string()],
            },
            cpu_percent_connect: self.cpu("before", "connected", which),
            cpu_percent: self.cpu("measure_start", "measure_end", which),
            cpu_percent_peak: round3(match server {
                true => self.server_cpu_peak.peak,
                false => self.own_cpu_peak.peak,
            }),
            cpu_secs: match (pick("measure_start"), pick("measure_end")) {
                (Some(a), Some(b)) => round3(procstat::busy_secs(&a, &b)),
                _ => 0.0,
            },
            rss_kb_before: rss("before"),
            rss_kb_after_connect: rss("settled"),
            rss_kb_peak: match server {
                true => self.server_peak_kb,
                false => self.own_peak_kb,
            },
            hwm_kb: hwm,
        }
    }

    /// The server's VmHWM once every client had joined (before any send).
    fn joined_hwm_kb(&self) -> u64 {
        ["settled", "connected"]
            .iter()
            .find_map(|m| self.marks.get(m).and_then(|r| r.server))
            .map_or(0, |s| s.hwm_kb)
    }

    /// The `--aux-comm` processes and the whole machine.
    fn others(&self) -> (Vec<AuxReport>, AuxReport) {
        let aux = self
            .aux
            .iter()
            .enumerate()
            .map(|(i, name)| {
                let pick = |r: &Reading| r.aux.get(i).copied().flatten();
                AuxReport {
                    name: name.clone(),
                    cpu_percent_connect: self.cpu("before", "connected", pick),
                    cpu_percent: self.cpu("measure_start", "measure_end", pick),
                }
            })
            .collect();
        let machine = AuxReport {
            name: format!("machine ({} cores)", cores()),
            cpu_percent_connect: self.cpu("before", "connected", |r| r.machine),
            cpu_percent: self.cpu("measure_start", "measure_end", |r| r.machine),
        };
        (aux, machine)
    }
}

fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// CPU of processes by name, or of the whole machine, in % of one core.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct AuxReport {
    pub name: String,
    pub cpu_percent_connect: f64,
    pub cpu_percent: f64,
}

pub(crate) struct Timing {
    pub started_at: String,
    pub setup_secs: f64,
    pub connect_secs: f64,
    pub measured_secs: f64,
    pub connect_started: Instant,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Summary {
    pub scenario: String,
    pub target: String,
    pub urls: Vec<String>,
    pub started_at: String,
    pub plan: Plan,
    pub setup_secs: f64,
    pub connect: ConnectReport,
    pub sends: SendReport,
    pub delivery: DeliveryReport,
    pub errors: BTreeMap<String, u64>,
    pub errors_total: u64,
    pub server: Option<ServerReport>,
    pub loadgen: ProcessReport,
    /// `--aux-comm` processes (e.g. PostgreSQL's backends), by name.
    pub aux: Vec<AuxReport>,
    /// The whole machine (every process, kernel included).
    pub machine: AuxReport,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ConnectReport {
    pub attempted: usize,
    pub connected: u64,
    pub joined: u64,
    pub failed: u64,
    /// From the first connect to the last successful one.
    pub elapsed_secs: f64,
    pub per_sec: f64,
    /// From the first connect to the last acknowledged join: what a crowd of users arriving
    /// waits for.
    pub join_elapsed_secs: f64,
    pub latency_ms: Percentiles,
    pub join_latency_ms: Percentiles,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SendReport {
    pub sent_total: u64,
    pub acked_total: u64,
    /// Sends that left in the measured window, per second: the offered rate actually achieved
    /// (open loop: compare with `targetRate`).
    pub sent_per_sec: f64,
    /// The offered rate asked for (`--rate`; 0 in closed loop).
    pub target_rate: f64,
    /// Acknowledged (durably stored) sends per second in the measured window.
    pub acked_per_sec: f64,
    /// Sends with no ack when the run ended (after the drain): never answered.
    pub unanswered: u64,
    /// Latency of accepted sends (send to `ok:true` ack).
    pub ack_latency_ms: Percentiles,
    /// Refusing acks answered in the measured window, by code.
    pub refused: Refusals,
    pub refused_total: u64,
    pub refused_per_sec: f64,
    /// `overloaded` refusals (the designed answer past capacity).
    pub overloaded: u64,
    /// Send to refusing ack, every code.
    pub refusal_latency_ms: Percentiles,
    /// Send to `overloaded` ack.
    pub overloaded_latency_ms: Percentiles,
    /// Open loop: how late sends left against their schedule (the load generator keeping up).
    pub schedule_lag_ms: Percentiles,
    /// Open-loop sends dropped because their sender was over 1 s behind schedule.
    pub skipped_late: u64,
    /// Accepted sends acked in the drain's last second (not in `ackedTotal`, not expected by
    /// receivers: their broadcast may still be on the way when the run stops).
    pub acked_late: u64,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DeliveryReport {
    /// `message:new` received in the measured window, per second (all receivers).
    pub per_sec: f64,
    pub latency_ms: Percentiles,
    #[serde(flatten)]
    pub accounting: Accounting,
    pub receivers_with_loss: u64,
    pub receivers_with_duplicates: u64,
    /// The first receivers (by client index) that lost or duplicated anything.
    pub worst_receivers: Vec<ReceiverReport>,
    /// With several nodes: deliveries whose sender was on the receiver's node, and those that
    /// crossed to another node (through the cluster adapter), measured in the same run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub same_node_latency_ms: Option<Percentiles>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cross_node_latency_ms: Option<Percentiles>,
}

/// How many receivers are itemised in the report.
const ITEMISED_RECEIVERS: usize = 50;

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ReceiverReport {
    pub client: usize,
    pub room: usize,
    pub expected: u64,
    pub lost: u64,
    pub duplicated: u64,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ServerReport {
    #[serde(flatten)]
    pub process: ProcessReport,
    /// (RSS after connect − RSS before) / connections.
    pub rss_per_connection_kb: f64,
    /// (peak RSS, VmHWM, once every client joined − RSS before) / joined connections.
    pub peak_rss_per_joined_kb: f64,
    /// Server CPU time per `message:new` received in the measured window, µs.
    pub cpu_us_per_delivery: f64,
    /// Server CPU time per accepted send in the measured window, µs.
    pub cpu_us_per_accepted_send: f64,
}

impl Summary {
    pub(crate) fn clean(&self) -> bool {
        self.errors_total == 0
            && self.delivery.accounting.lost == 0
            && self.delivery.accounting.duplicated == 0
            && self.connect.joined == self.connect.attempted as u64
            && (self.plan.senders == 0 || self.sends.acked_total > 0)
    }
}

pub(crate) fn build(
    args: &Args,
    plan: &Plan,
    shared: &Shared,
    sampler: &Sampler,
    timing: &Timing,
    outcomes: &[Outcome],
) -> anyhow::Result<Summary> {
    let c = &shared.counters;
    let (aux, machine) = sampler.others();
    let mut errors = Errors::default();
    let mut unanswered = 0;
    let mut sent_total = 0;
    let mut refused = Refusals::default();
    let mut skipped_late = 0;
    let mut acked_late = 0;
    for o in outcomes {
        acked_late += o.acked_late;
        errors.merge(&o.errors);
        unanswered += o.unanswered;
        sent_total += o.sent;
        refused.merge(&o.refused);
        skipped_late += o.skipped_late;
    }
    if unanswered > 0 {
        *errors.0.entry("ack_missing".into()).or_insert(0) += unanswered;
    }
    let acked = stats::acked_by_conversation(
        plan.rooms,
        outcomes.iter().map(|o| (o.room, o.acked.clone())),
    );
    let acked_total = acked.iter().map(|a| a.len() as u64).sum();
    let mut accounting = Accounting::default();
    let (mut with_loss, mut with_dups) = (0, 0);
    let mut worst = Vec::new();
    for o in outcomes.iter().filter(|o| o.connected) {
        let a = o.ledger.account(&acked[o.room]);
        with_loss += u64::from(a.lost > 0);
        with_dups += u64::from(a.duplicated > 0);
        if (a.lost > 0 || a.duplicated > 0) && worst.len() < ITEMISED_RECEIVERS {
            worst.push(ReceiverReport {
                client: o.index,
                room: o.room,
                expected: a.expected,
                lost: a.lost,
                duplicated: a.duplicated,
            });
        }
        accounting.add(&a);
    }
    let connected = c.connected.load(Ordering::Relaxed);
    let last_us = c.last_connected_us.load(Ordering::Relaxed);
    let first_us = crate::client::micros(timing.connect_started.duration_since(shared.base));
    let connect_elapsed = match last_us > first_us {
        true => (last_us - first_us) as f64 / 1e6,
        false => timing.connect_secs,
    };
    let per = |n: u64| stats::per_sec(n, timing.measured_secs);
    let joined = c.joined.load(Ordering::Relaxed);
    let last_joined_us = c.last_joined_us.load(Ordering::Relaxed);
    let delivered_measured = c.delivered_measured.load(Ordering::Relaxed);
    let acked_measured = c.acked_measured.load(Ordering::Relaxed);
    let server = (!args.server_pids.is_empty()).then(|| {
        let process = sampler.process(true);
        let grown = process.rss_kb_after_connect as f64 - process.rss_kb_before as f64;
        let peak_grown = sampler.joined_hwm_kb() as f64 - process.rss_kb_before as f64;
        ServerReport {
            rss_per_connection_kb: match connected {
                0 => 0.0,
                n => round3(grown / n as f64),
            },
            peak_rss_per_joined_kb: match joined {
                0 => 0.0,
                n => round3(peak_grown / n as f64),
            },
            cpu_us_per_delivery: stats::cpu_micros_per(process.cpu_secs, delivered_measured),
            cpu_us_per_accepted_send: stats::cpu_micros_per(process.cpu_secs, acked_measured),
            process,
        }
    });
    Ok(Summary {
        scenario: plan.scenario.to_owned(),
        target: args.target.clone(),
        urls: args.urls.clone(),
        started_at: timing.started_at.clone(),
        plan: plan.clone(),
        setup_secs: round3(timing.setup_secs),
        connect: ConnectReport {
            attempted: plan.clients,
            connected,
            joined,
            failed: plan.clients as u64 - connected.min(plan.clients as u64),
            elapsed_secs: round3(connect_elapsed),
            per_sec: match connect_elapsed > 0.0 {
                true => round3(connected as f64 / connect_elapsed),
                false => 0.0,
            },
            join_elapsed_secs: match last_joined_us > first_us {
                true => round3((last_joined_us - first_us) as f64 / 1e6),
                false => 0.0,
            },
            latency_ms: Percentiles::of(&shared.connect.merged()?),
            join_latency_ms: Percentiles::of(&shared.join.merged()?),
        },
        sends: SendReport {
            sent_total,
            acked_total,
            sent_per_sec: per(c.sent_measured.load(Ordering::Relaxed)),
            target_rate: match plan.closed_loop {
                true => 0.0,
                false => plan.rate,
            },
            acked_per_sec: per(acked_measured),
            unanswered,
            ack_latency_ms: Percentiles::of(&shared.ack.merged()?),
            refused_total: refused.total(),
            refused_per_sec: per(refused.total()),
            overloaded: refused.of(OVERLOADED),
            refused,
            refusal_latency_ms: Percentiles::of(&shared.refusal.merged()?),
            overloaded_latency_ms: Percentiles::of(&shared.refusal_overloaded.merged()?),
            schedule_lag_ms: Percentiles::of(&shared.send_lag.merged()?),
            skipped_late,
            acked_late,
        },
        delivery: DeliveryReport {
            per_sec: per(delivered_measured),
            latency_ms: Percentiles::of(&shared.delivery.merged()?),
            accounting,
            receivers_with_loss: with_loss,
            receivers_with_duplicates: with_dups,
            worst_receivers: worst,
            same_node_latency_ms: split(&shared.delivery_same_node)?,
            cross_node_latency_ms: split(&shared.delivery_cross_node)?,
        },
        errors_total: errors.total(),
        errors: errors.0,
        server,
        loadgen: sampler.process(false),
        aux,
        machine,
    })
}

fn split(recorder: &Option<stats::Recorder>) -> anyhow::Result<Option<Percentiles>> {
    recorder
        .as_ref()
        .map(|r| Ok(Percentiles::of(&r.merged()?)))
        .transpose()
}

/// Writes the JSON report; returns its path.
pub(crate) fn write(args: &Args, plan: &Plan, summary: &Summary) -> anyhow::Result<PathBuf> {
    let path = match &args.out {
        Some(p) => p.clone(),
        None => {
            let stamp: String = summary
                .started_at
                .chars()
                .filter(|c| c.is_ascii_digit() || *c == 'T')
                .collect();
            PathBuf::from(format!(
                "results/{}-{}-{stamp}.json",
                plan.scenario, args.target
            ))
        }
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let json = serde_json::to_string_pretty(summary)?;
    std::fs::write(&path, json + "\n").with_context(|| format!("writing {}", path.display()))?;
    Ok(path)
}

/// The one-line summary printed on stdout.
pub(crate) fn line(s: &Summary) -> String {
    let (cpu, rss, per_conn, per_delivery) = match &s.server {
        Some(r) => (
            format!("{:.0}%", r.process.cpu_percent),
            format!("{}MB", r.process.hwm_kb.max(r.process.rss_kb_peak) / 1024),
            format!("{:.1}KB", r.rss_per_connection_kb),
            format!("{:.1}us", r.cpu_us_per_delivery),
        ),
        None => ("-".into(), "-".into(), "-".into(), "-".into()),
    };
    format!(
        "scenario={} target={} clients={}/{} connect/s={:.0} connect_p99={:.1}ms sent/s={:.0} acked/s={:.0} ack_p50={:.2}ms ack_p99={:.2}ms refused/s={:.0} overloaded={} refusal_p99={:.2}ms unanswered={} delivered/s={:.0} p50={:.2}ms p90={:.2}ms p99={:.2}ms p99.9={:.2}ms lost={} dup={} errors={} server_cpu={} server_rss={} rss/conn={} cpu/delivery={} joined_in={:.2}s loadgen_cpu={:.0}%",
        s.scenario,
        s.target,
        s.connect.joined,
        s.connect.attempted,
        s.connect.per_sec,
        s.connect.latency_ms.p99,
        s.sends.sent_per_sec,
        s.sends.acked_per_sec,
        s.sends.ack_latency_ms.p50,
        s.sends.ack_latency_ms.p99,
        s.sends.refused_per_sec,
        s.sends.overloaded,
        s.sends.refusal_latency_ms.p99,
        s.sends.unanswered,
        s.delivery.per_sec,
        s.delivery.latency_ms.p50,
        s.delivery.latency_ms.p90,
        s.delivery.latency_ms.p99,
        s.delivery.latency_ms.p999,
        s.delivery.accounting.lost,
        s.delivery.accounting.duplicated,
        s.errors_total,
        cpu,
        rss,
        per_conn,
        per_delivery,
        s.connect.join_elapsed_secs,
        s.loadgen.cpu_percent,
    )
}
