//! CPU and memory of a process from /proc: `utime + stime` (clock ticks) and VmRSS / VmHWM.

use std::time::Instant;

use serde::Serialize;

/// Linux reports CPU times in USER_HZ, which is 100 on every mainstream architecture
/// (the kernel ABI fixes it; `getconf CLK_TCK` prints 100).
const TICKS_PER_SECOND: f64 = 100.0;

/// One reading of one process.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Sample {
    pub at: Instant,
    pub cpu_ticks: u64,
    pub rss_kb: u64,
    pub hwm_kb: u64,
}

/// Reads `/proc/<pid>` (`self` for this process).
pub(crate) fn sample(pid: &str) -> Option<Sample> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    Some(Sample {
        at: Instant::now(),
        cpu_ticks: cpu_ticks(&stat)?,
        rss_kb: status_kb(&status, "VmRSS:").unwrap_or(0),
        hwm_kb: status_kb(&status, "VmHWM:").unwrap_or(0),
    })
}

/// utime + stime from a `/proc/<pid>/stat` line. The command name (field 2) is in parentheses
/// and may hold spaces, so fields are counted from the last `)`.
pub(crate) fn cpu_ticks(stat: &str) -> Option<u64> {
    let after = &stat[stat.rfind(')')? + 1..];
    let mut fields = after.split_whitespace();
    // After the name: state (3), ppid (4), … utime is field 14, stime 15.
    let utime: u64 = fields.nth(11)?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some(utime + stime)
}

/// A `Key:   1234 kB` line of `/proc/<pid>/status`.
pub(crate) fn status_kb(status: &str, key: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with(key))?;
    line[key.len()..].split_whitespace().next()?.parse().ok()
}

/// CPU use between two samples, in percent of one core.
pub(crate) fn cpu_percent(from: &Sample, to: &Sample) -> f64 {
    let wall = to.at.duration_since(from.at).as_secs_f64();
    if wall <= 0.0 {
        return 0.0;
    }
    let busy = to.cpu_ticks.saturating_sub(from.cpu_ticks) as f64 / TICKS_PER_SECOND;
    busy / wall * 100.0
}

/// CPU seconds spent between two samples.
pub(crate) fn busy_secs(from: &Sample, to: &Sample) -> f64 {
    to.cpu_ticks.saturating_sub(from.cpu_ticks) as f64 / TICKS_PER_SECOND
}

/// Peak CPU over windows of at least `window` (a clock tick is 10 ms, so windows much shorter
/// than a second are too coarse to mean anything).
#[derive(Debug)]
pub(crate) struct PeakCpu {
    window: std::time::Duration,
    anchor: Option<Sample>,
    pub peak: f64,
}

impl PeakCpu {
    pub(crate) fn new(window: std::time::Duration) -> Self {
        Self {
            window,
            anchor: None,
            peak: 0.0,
        }
    }

    /// Takes a sample; closes a window when it is long enough.
    pub(crate) fn feed(&mut self, s: Sample) {
        match self.anchor {
            Some(a) if s.at.duration_since(a.at) >= self.window => {
                self.peak = self.peak.max(cpu_percent(&a, &s));
                self.anchor = Some(s);
            }
            Some(_) => {}
            None => self.anchor = Some(s),
        }
    }

    /// Forgets the open window (sampling paused).
    pub(crate) fn pause(&mut self) {
        self.anchor = None;
    }
}

/// Several processes (a cluster's nodes) read as one: CPU and RSS add up.
pub(crate) fn sample_all(pids: &[String]) -> Option<Sample> {
    let mut total: Option<Sample> = None;
    for pid in pids {
        let s = sample(pid)?;
        total = Some(match total {
            None => s,
            Some(t) => Sample {
                at: s.at,
                cpu_ticks: t.cpu_ticks + s.cpu_ticks,
                rss_kb: t.rss_kb + s.rss_kb,
                hwm_kb: t.hwm_kb + s.hwm_kb,
            },
        });
    }
    total
}

/// The command name (field 2) of a `/proc/<pid>/stat` line.
fn comm(stat: &str) -> Option<&str> {
    Some(&stat[stat.find('(')? + 1..stat.rfind(')')?])
}

/// Every process named `name` read as one (CPU adds up; RSS is not summed: shared memory of
/// forked backends would count many times). Processes that exit between two readings take
/// their CPU time with them, so this undercounts short-lived ones.
pub(crate) fn sample_comm(name: &str) -> Option<Sample> {
    let mut ticks = 0;
    for entry in std::fs::read_dir("/proc").ok()?.flatten() {
        let file_name = entry.file_name();
        let Some(pid) = file_name
            .to_str()
            .filter(|p| p.bytes().all(|b| b.is_ascii_digit()))
        else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        if comm(&stat) == Some(name) {
            ticks += cpu_ticks(&stat).unwrap_or(0);
        }
    }
    Some(Sample {
        at: Instant::now(),
        cpu_ticks: ticks,
        rss_kb: 0,
        hwm_kb: 0,
    })
}

/// The whole machine from the first line of `/proc/stat`: busy ticks (everything but idle and
/// iowait), so `cpu_percent` gives % of one core (200 % = both cores of a 2-core machine).
pub(crate) fn sample_machine() -> Option<Sample> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let line = stat.lines().next()?.strip_prefix("cpu ")?;
    let fields: Vec<u64> = line
        .split_whitespace()
        .map(|f| f.parse().unwrap_or(0))
        .collect();
    // user nice system idle iowait irq softirq steal ...
    let busy: u64 = fields
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != 3 && *i != 4 && *i < 8)
        .map(|(_, v)| v)
        .sum();
    Some(Sample {
        at: Instant::now(),
        cpu_ticks: busy,
        rss_kb: 0,
        hwm_kb: 0,
    })
}

/// Summary of a process over a run.
#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ProcessReport {
    pub pids: Vec<String>,
    /// % of one core while clients connected.
    pub cpu_percent_connect: f64,
    /// % of one core during the measured window.
    pub cpu_percent: f64,
    /// Highest % of one core over 1 s windows of the measured window.
    pub cpu_percent_peak: f64,
    /// CPU seconds spent in the measured window.
    pub cpu_secs: f64,
    pub rss_kb_before: u64,
    pub rss_kb_after_connect: u64,
    pub rss_kb_peak: u64,
    pub hwm_kb: u64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn cpu_ticks_are_read_past_a_command_name_with_spaces() {
        let stat = "1234 (my (odd) proc) S 1 1234 1234 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 8 0 100 1000 200 18446744073709551615";
        assert_eq!(cpu_ticks(stat), Some(300));
    }

    #[test]
    fn status_lines_give_kilobytes() {
        let status = "Name:\tconfab\nVmHWM:\t  20480 kB\nVmRSS:\t   10240 kB\n";
        assert_eq!(status_kb(status, "VmRSS:"), Some(10240));
        assert_eq!(status_kb(status, "VmHWM:"), Some(20480));
        assert_eq!(status_kb(status, "VmSwap:"), None);
    }

    #[test]
    fn cpu_percent_is_busy_time_over_wall_time() {
        let t0 = Instant::now();
        let a = Sample {
            at: t0,
            cpu_ticks: 100,
            rss_kb: 0,
            hwm_kb: 0,
        };
        let b = Sample {
            at: t0 + Duration::from_secs(2),
            cpu_ticks: 250,
            ..a
        };
        assert!((cpu_percent(&a, &b) - 75.0).abs() < 1e-9);
    }

    #[test]
    fn peak_cpu_is_the_busiest_full_window() {
        let t0 = Instant::now();
        let at = |ms: u64, ticks: u64| Sample {
            at: t0 + Duration::from_millis(ms),
            cpu_ticks: ticks,
            rss_kb: 0,
            hwm_kb: 0,
        };
        let mut p = PeakCpu::new(Duration::from_secs(1));
        p.feed(at(0, 0));
        p.feed(at(250, 100)); // too short a window: ignored
        p.feed(at(1000, 50)); // 50 ticks in 1 s: 50 %
        p.feed(at(2000, 200)); // 150 ticks: 150 %
        p.feed(at(3000, 220)); // 20 %
        assert!((p.peak - 150.0).abs() < 1e-9, "{}", p.peak);
        p.pause();
        p.feed(at(10_000, 10_000));
        assert!((p.peak - 150.0).abs() < 1e-9, "a paused gap is no window");
        assert!((busy_secs(&at(0, 0), &at(1000, 250)) - 2.5).abs() < 1e-9);
    }

    #[test]
    fn the_command_name_is_read_between_the_outer_parentheses() {
        assert_eq!(comm("1 (my (odd) proc) S 1"), Some("my (odd) proc"));
        assert_eq!(comm("garbage"), None);
    }

    #[test]
    fn processes_and_the_machine_can_be_sampled_by_name() {
        assert!(sample_comm("no-such-process-name").is_some_and(|s| s.cpu_ticks == 0));
        assert!(sample_machine().is_some_and(|s| s.cpu_ticks > 0));
    }

    #[test]
    fn this_process_can_be_sampled() {
        let s = sample("self").unwrap();
        assert!(s.rss_kb > 0);
    }
}
