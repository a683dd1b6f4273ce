//! Metrics read when `/metrics` is scraped rather than recorded as they happen: the build,
//! the process (from `/proc`, Linux only), the tokio runtime (its stable metrics), the
//! database pools and the Redis links. Written straight in the Prometheus text format after
//! the recorder's page (the recorder's counters are integers; CPU seconds are not).

use std::fmt::Write as _;

use confab_store::Database;

use crate::cluster::Cluster;

/// What one node samples at scrape time.
#[derive(Clone, Default)]
pub struct Sources {
    /// The database whose pools are reported, when connected.
    pub database: Option<Database>,
    /// The Redis links reported, when running as a cluster node.
    pub cluster: Option<Cluster>,
}

impl Sources {
    /// Appends every sampled metric to `page`.
    pub fn write(&self, page: &mut String) {
        let mut out = Page(page);
        build_info(&mut out);
        process(&mut out);
        runtime(&mut out);
        if let Some(database) = &self.database {
            pools(&mut out, database);
        }
        if let Some(cluster) = &self.cluster {
            redis(&mut out, cluster);
        }
    }
}

/// A Prometheus text page being written.
struct Page<'a>(&'a mut String);

impl Page<'_> {
    fn header(&mut self, name: &str, kind: &str, help: &str) {
        let _ = writeln!(self.0, "# HELP {name} {help}");
        let _ = writeln!(self.0, "# TYPE {name} {kind}");
    }

    fn sample(&mut self, name: &str, labels: &[(&str, &str)], value: f64) {
        self.0.push_str(name);
        if !labels.is_empty() {
            self.0.push('{');
            for (i, (key, val)) in labels.iter().enumerate() {
                if i > 0 {
                    self.0.push(',');
                }
                let val = val.replace('\\', "\\\\").replace('"', "\\\"");
                let _ = write!(self.0, "{key}=\"{val}\"");
            }
            self.0.push('}');
        }
        let _ = writeln!(self.0, " {value}");
    }

    fn single(&mut self, name: &str, kind: &str, help: &str, value: f64) {
        self.header(name, kind, help);
        self.sample(name, &[], value);
    }
}

fn build_info(out: &mut Page<'_>) {
    out.header(
        "confab_build_info",
        "gauge",
        "Always 1; the labels say which build runs",
    );
    out.sample(
        "confab_build_info",
        &[
            ("version", env!("CARGO_PKG_VERSION")),
            ("os", std::env::consts::OS),
            ("arch", std::env::consts::ARCH),
        ],
        1.0,
    );
}

/// The standard `process_*` metrics every Prometheus client library exports, so stock
/// dashboards and alerts work.
fn process(out: &mut Page<'_>) {
    let Some(stat) = process::read() else {
        return;
    };
    out.single(
        "process_resident_memory_bytes",
        "gauge",
        "Resident memory size in bytes",
        stat.rss_bytes as f64,
    );
    out.single(
        "process_virtual_memory_bytes",
        "gauge",
        "Virtual memory size in bytes",
        stat.virtual_bytes as f64,
    );
    out.single(
        "process_cpu_seconds_total",
        "counter",
        "User and system CPU time spent, in seconds",
        stat.cpu_seconds,
    );
    out.single(
        "process_start_time_seconds",
        "gauge",
        "Start time of the process since the Unix epoch, in seconds",
        stat.start_time_seconds,
    );
    if let Some(fds) = stat.open_fds {
        out.single(
            "process_open_fds",
            "gauge",
            "Open file descriptors",
            fds as f64,
        );
    }
    if let Some(max) = stat.max_fds {
        out.single(
            "process_max_fds",
            "gauge",
            "The limit on open file descriptors",
            max as f64,
        );
    }
    out.single(
        "process_threads",
        "gauge",
        "OS threads in the process",
        stat.threads as f64,
    );
}

/// tokio's stable runtime metrics. The busy ratio is
/// `rate(confab_runtime_busy_seconds_total[1m]) / confab_runtime_workers`.
fn runtime(out: &mut Page<'_>) {
    let Ok(handle) = tokio::runtime::Handle::try_current() else {
        return;
    };
    let metrics = handle.metrics();
    let workers = metrics.num_workers();
    out.single(
        "confab_runtime_workers",
        "gauge",
        "Worker threads of the tokio runtime",
        workers as f64,
    );
    out.single(
        "confab_runtime_alive_tasks",
        "gauge",
        "Tasks alive in the tokio runtime (sockets, requests, background work)",
        metrics.num_alive_tasks() as f64,
    );
    out.single(
        "confab_runtime_global_queue_depth",
        "gauge",
        "Tasks waiting in the runtime's global queue",
        metrics.global_queue_depth() as f64,
    );
    let busy: f64 = (0..workers)
        .map(|w| metrics.worker_total_busy_duration(w).as_secs_f64())
        .sum();
    out.single(
        "confab_runtime_busy_seconds_total",
        "counter",
        "Time the runtime's workers spent running tasks, summed over workers (busy ratio: its rate divided by confab_runtime_workers)",
        busy,
    );
}

fn pools(out: &mut Page<'_>, database: &Database) {
    let stats = database.pool_stats();
    out.header(
        "confab_db_pool_connections",
        "gauge",
        "Pooled database connections, by pool (main; writer: SQLite's single write connection) and state (in_use, idle)",
    );
    for s in &stats {
        let in_use = f64::from(s.in_use());
        out.sample(
            "confab_db_pool_connections",
            &[("pool", s.pool), ("state", "in_use")],
            in_use,
        );
        out.sample(
            "confab_db_pool_connections",
            &[("pool", s.pool), ("state", "idle")],
            f64::from(s.idle),
        );
    }
    out.header(
        "confab_db_pool_max_connections",
        "gauge",
        "The most connections each pool opens",
    );
    for s in &stats {
        out.sample(
            "confab_db_pool_max_connections",
            &[("pool", s.pool)],
            f64::from(s.max),
        );
    }
}

fn redis(out: &mut Page<'_>, cluster: &Cluster) {
    out.header(
        "confab_redis_degraded",
        "gauge",
        "1 while a Redis link is down (adapter: cross-node delivery; state: shared presence and limits); the node then serves its own sockets only",
    );
    let flag = |healthy: bool| if healthy { 0.0 } else { 1.0 };
    out.sample(
        "confab_redis_degraded",
        &[("link", "adapter")],
        flag(cluster.adapter.is_healthy()),
    );
    out.sample(
        "confab_redis_degraded",
        &[("link", "state")],
        flag(cluster.state.is_healthy()),
    );
}

/// Reading `/proc/self`.
mod process {
    /// The kernel's `USER_HZ`: the unit of CPU times in `/proc`, 100 on every Linux ABI.
    const TICKS_PER_SECOND: f64 = 100.0;

    pub(super) struct Stat {
        pub rss_bytes: u64,
        pub virtual_bytes: u64,
        pub cpu_seconds: f64,
        pub start_time_seconds: f64,
        pub threads: u64,
        pub open_fds: Option<u64>,
        pub max_fds: Option<u64>,
    }

    pub(super) fn read() -> Option<Stat> {
        let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
        // The command name (field 2) may hold spaces: the fields after it follow its ')'.
        let rest = &stat[stat.rfind(')')? + 2..];
        let fields: Vec<&str> = rest.split_whitespace().collect();
        // `rest` starts at field 3 (state): field n is fields[n - 3].
        let field = |n: usize| fields.get(n - 3).and_then(|v| v.parse::<u64>().ok());
        let ticks = (field(14)? + field(15)?) as f64;
        let status = std::fs::read_to_string("/proc/self/status").ok()?;
        let kib = |key: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(key))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
                .map(|v| v * 1024)
        };
        Some(Stat {
            rss_bytes: kib("VmRSS:").unwrap_or_default(),
            virtual_bytes: field(23).unwrap_or_default(),
            cpu_seconds: ticks / TICKS_PER_SECOND,
            start_time_seconds: boot_time().unwrap_or_default()
                + field(22).unwrap_or_default() as f64 / TICKS_PER_SECOND,
            threads: field(20).unwrap_or_default(),
            open_fds: std::fs::read_dir("/proc/self/fd")
                .ok()
                .map(|d| d.count() as u64),
            max_fds: max_open_files(),
        })
    }

    fn boot_time() -> Option<f64> {
        let stat = std::fs::read_to_string("/proc/stat").ok()?;
        stat.lines()
            .find_map(|l| l.strip_prefix("btime "))
            .and_then(|v| v.trim().parse::<f64>().ok())
    }

    fn max_open_files() -> Option<u64> {
        let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
        let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
        // "Max open files            1024                 1048576              files"
        line["Max open files".len()..]
            .split_whitespace()
            .next()?
            .parse()
            .ok()
    }

    #[cfg(test)]
    mod tests {
        #[test]
        fn this_process_has_memory_cpu_time_and_open_files() {
            let stat = super::read().expect("/proc/self is readable on Linux");
            assert!(stat.rss_bytes > 1024 * 1024, "rss {}", stat.rss_bytes);
            assert!(stat.virtual_bytes >= stat.rss_bytes);
            assert!(stat.open_fds.unwrap() >= 3);
            assert!(stat.max_fds.unwrap() >= stat.open_fds.unwrap());
            assert!(stat.threads >= 1);
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_secs_f64();
            assert!(stat.start_time_seconds > 1.0e9 && stat.start_time_seconds <= now + 1.0);
        }
    }
}
