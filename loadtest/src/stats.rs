//! Latency histograms (HDR, microseconds) and the per-receiver delivery ledger that finds lost
//! and duplicated messages by `seq`.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::PoisonError;

use hdrhistogram::Histogram;
use serde::Serialize;

/// Highest latency a histogram holds (longer ones are clamped): two minutes, in µs.
const MAX_MICROS: u64 = 120_000_000;

/// A latency histogram split into a few shards so that thousands of connection tasks can
/// record into it without one hot lock. One histogram per connection would cost ~100 KB each.
pub(crate) struct Recorder {
    shards: Vec<Mutex<Histogram<u64>>>,
}

impl Recorder {
    pub(crate) fn new(shards: usize) -> anyhow::Result<Self> {
        let shards = (0..shards.max(1))
            .map(|_| new_histogram().map(Mutex::new))
            .collect::<anyhow::Result<_>>()?;
        Ok(Self { shards })
    }

    /// Records one latency in microseconds; `key` picks the shard (use the client index).
    pub(crate) fn record(&self, key: usize, micros: u64) {
        let shard = &self.shards[key % self.shards.len()];
        let mut h = shard.lock().unwrap_or_else(PoisonError::into_inner);
        h.saturating_record(micros.clamp(1, MAX_MICROS));
    }

    /// All shards merged.
    pub(crate) fn merged(&self) -> anyhow::Result<Histogram<u64>> {
        let mut all = new_histogram()?;
        for shard in &self.shards {
            let h = shard.lock().unwrap_or_else(PoisonError::into_inner);
            all.add(&*h)?;
        }
        Ok(all)
    }
}

fn new_histogram() -> anyhow::Result<Histogram<u64>> {
    Ok(Histogram::new_with_bounds(1, MAX_MICROS, 3)?)
}

/// Percentiles in milliseconds, as reported.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Percentiles {
    pub count: u64,
    pub mean: f64,
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
    pub p999: f64,
    pub max: f64,
}

impl Percentiles {
    pub(crate) fn of(h: &Histogram<u64>) -> Self {
        if h.is_empty() {
            return Self::default();
        }
        let ms = |micros: u64| round3(micros as f64 / 1000.0);
        Self {
            count: h.len(),
            mean: round3(h.mean() / 1000.0),
            p50: ms(h.value_at_quantile(0.50)),
            p90: ms(h.value_at_quantile(0.90)),
            p99: ms(h.value_at_quantile(0.99)),
            p999: ms(h.value_at_quantile(0.999)),
            max: ms(h.max()),
        }
    }
}

pub(crate) fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// What one receiver saw of its conversation: how often each `seq` after the one it joined at
/// arrived.
#[derive(Debug, Default)]
pub(crate) struct SeqLedger {
    /// `lastSeq` from the join ack: deliveries at or below it are history, not this run.
    base: i64,
    counts: Vec<u16>,
    /// Deliveries at or below `base`, or absurdly far ahead: a protocol problem.
    out_of_range: u64,
}

/// Cap on how far past its base a receiver tracks (a bound on memory per receiver).
const MAX_TRACKED: i64 = 4_000_000;

impl SeqLedger {
    pub(crate) fn new(base: i64) -> Self {
        Self {
            base,
            ..Self::default()
        }
    }

    pub(crate) fn see(&mut self, seq: i64) {
        let offset = seq - self.base - 1;
        if !(0..MAX_TRACKED).contains(&offset) {
            self.out_of_range += 1;
            return;
        }
        let i = offset as usize;
        if self.counts.len() <= i {
            self.counts.resize(i + 1, 0);
        }
        self.counts[i] = self.counts[i].saturating_add(1);
    }

    fn count(&self, seq: i64) -> u16 {
        let offset = seq - self.base - 1;
        if offset < 0 {
            return 0;
        }
        self.counts.get(offset as usize).copied().unwrap_or(0)
    }

    /// Compares what arrived with what the conversation's senders had acknowledged
    /// (`acked`, sorted and distinct).
    pub(crate) fn account(&self, acked: &[i64]) -> Accounting {
        let mut out = Accounting {
            expected: 0,
            out_of_range: self.out_of_range,
            ..Accounting::default()
        };
        for &seq in acked.iter().filter(|&&s| s > self.base) {
            out.expected += 1;
            if self.count(seq) == 0 {
                out.lost += 1;
            }
        }
        for (i, &n) in self.counts.iter().enumerate() {
            if n == 0 {
                continue;
            }
            out.delivered += u64::from(n);
            out.duplicated += u64::from(n - 1);
            let seq = self.base + 1 + i as i64;
            if acked.binary_search(&seq).is_err() {
                out.unacked += 1;
            }
        }
        out
    }
}

/// Loss and duplication for one receiver or, summed, for a run.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Accounting {
    /// Acknowledged messages this receiver should have seen.
    pub expected: u64,
    /// Deliveries (duplicates included).
    pub delivered: u64,
    /// Acknowledged messages that never arrived.
    pub lost: u64,
    /// Extra copies of a message already seen.
    pub duplicated: u64,
    /// Distinct messages that arrived but whose ack the sender never saw (sent at the very end,
    /// or an ack lost): not loss, reported for completeness.
    pub unacked: u64,
    /// Deliveries whose seq was at or below the join's `lastSeq`, or implausibly far ahead.
    pub out_of_range: u64,
}

impl Accounting {
    pub(crate) fn add(&mut self, other: &Accounting) {
        self.expected += other.expected;
        self.delivered += other.delivered;
        self.lost += other.lost;
        self.duplicated += other.duplicated;
        self.unacked += other.unacked;
        self.out_of_range += other.out_of_range;
    }
}

/// Errors by kind.
#[derive(Clone, Debug, Default, Serialize)]
pub(crate) struct Errors(pub BTreeMap<String, u64>);

impl Errors {
    pub(crate) fn count(&mut self, kind: impl Into<String>) {
        *self.0.entry(kind.into()).or_insert(0) += 1;
    }

    pub(crate) fn merge(&mut self, other: &Errors) {
        for (k, v) in &other.0 {
            *self.0.entry(k.clone()).or_insert(0) += v;
        }
    }

    pub(crate) fn total(&self) -> u64 {
        self.0.values().sum()
    }
}

/// Refusing acks by error code (`overloaded`, `rate_limited`, …). A refusal is an answer: the
/// send was not stored, so it is neither acked nor lost.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub(crate) struct Refusals(pub BTreeMap<String, u64>);

impl Refusals {
    pub(crate) fn count(&mut self, code: &str) {
        *self.0.entry(code.to_owned()).or_insert(0) += 1;
    }

    pub(crate) fn merge(&mut self, other: &Refusals) {
        for (k, v) in &other.0 {
            *self.0.entry(k.clone()).or_insert(0) += v;
        }
    }

    pub(crate) fn total(&self) -> u64 {
        self.0.values().sum()
    }

    /// Refusals with `code`.
    pub(crate) fn of(&self, code: &str) -> u64 {
        self.0.get(code).copied().unwrap_or(0)
    }
}

/// Events per second over a window (0 for an empty window), rounded like every figure.
pub(crate) fn per_sec(n: u64, secs: f64) -> f64 {
    match secs > 0.0 {
        true => round3(n as f64 / secs),
        false => 0.0,
    }
}

/// Server CPU time per event in µs (per delivery, per accepted send): busy CPU seconds over a
/// window divided by what the window produced; 0 when it produced nothing.
pub(crate) fn cpu_micros_per(busy_secs: f64, n: u64) -> f64 {
    match n {
        0 => 0.0,
        n => round3(busy_secs * 1e6 / n as f64),
    }
}

/// Sorted, distinct acknowledged seqs per conversation, from every sender's own list.
pub(crate) fn acked_by_conversation(
    rooms: usize,
    acks: impl IntoIterator<Item = (usize, Vec<i64>)>,
) -> Vec<Vec<i64>> {
    let mut by_room = vec![Vec::new(); rooms];
    for (room, seqs) in acks {
        if let Some(list) = by_room.get_mut(room) {
            list.extend(seqs);
        }
    }
    for list in &mut by_room {
        list.sort_unstable();
        list.dedup();
    }
    by_room
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_come_out_in_milliseconds() {
        let r = Recorder::new(4).unwrap();
        for i in 1..=1000u64 {
            r.record(i as usize, i * 1000); // 1 ms .. 1000 ms
        }
        let p = Percentiles::of(&r.merged().unwrap());
        assert_eq!(p.count, 1000);
        assert!((p.p50 - 500.0).abs() <= 1.0, "p50 {}", p.p50);
        assert!((p.p90 - 900.0).abs() <= 1.0, "p90 {}", p.p90);
        assert!((p.p99 - 990.0).abs() <= 1.0, "p99 {}", p.p99);
        assert!((p.p999 - 999.0).abs() <= 1.0, "p99.9 {}", p.p999);
        assert!((p.max - 1000.0).abs() <= 1.0);
        assert!((p.mean - 500.5).abs() <= 1.0);
    }

    #[test]
    fn an_empty_histogram_reports_zeros() {
        let r = Recorder::new(1).unwrap();
        assert_eq!(
            Percentiles::of(&r.merged().unwrap()),
            Percentiles::default()
        );
    }

    #[test]
    fn out_of_range_latencies_are_clamped_not_dropped() {
        let r = Recorder::new(1).unwrap();
        r.record(0, 0);
        r.record(0, u64::MAX);
        assert_eq!(r.merged().unwrap().len(), 2);
    }

    #[test]
    fn a_receiver_that_saw_everything_once_is_clean() {
        let mut l = SeqLedger::new(10);
        for s in 11..=20 {
            l.see(s);
        }
        let acked: Vec<i64> = (11..=20).collect();
        let a = l.account(&acked);
        assert_eq!(
            a,
            Accounting {
                expected: 10,
                delivered: 10,
                ..Accounting::default()
            }
        );
    }

    #[test]
    fn missing_and_repeated_seqs_are_counted_as_lost_and_duplicated() {
        let mut l = SeqLedger::new(0);
        for s in [1, 2, 2, 2, 4, 5] {
            l.see(s);
        }
        let a = l.account(&[1, 2, 3, 4, 5]);
        assert_eq!(a.expected, 5);
        assert_eq!(a.lost, 1, "seq 3 never came");
        assert_eq!(a.duplicated, 2, "seq 2 came three times");
        assert_eq!(a.delivered, 6);
        assert_eq!(a.unacked, 0);
    }

    #[test]
    fn deliveries_without_an_ack_and_history_are_not_loss() {
        let mut l = SeqLedger::new(5);
        l.see(3); // history, at or below the join's lastSeq
        l.see(6);
        l.see(7); // its ack never reached the sender before the run ended
        let a = l.account(&[4, 6]);
        assert_eq!(a.expected, 1, "seq 4 predates the join");
        assert_eq!(a.lost, 0);
        assert_eq!(a.unacked, 1);
        assert_eq!(a.out_of_range, 1);
    }

    #[test]
    fn acks_are_grouped_sorted_and_deduplicated_per_conversation() {
        let by = acked_by_conversation(2, vec![(0, vec![3, 1]), (1, vec![2]), (0, vec![2, 1])]);
        assert_eq!(by, vec![vec![1, 2, 3], vec![2]]);
    }

    #[test]
    fn refusals_add_up_by_code() {
        let mut a = Refusals::default();
        a.count("overloaded");
        a.count("overloaded");
        let mut b = Refusals::default();
        b.count("service_unavailable");
        b.count("overloaded");
        a.merge(&b);
        assert_eq!(a.of("overloaded"), 3);
        assert_eq!(a.of("service_unavailable"), 1);
        assert_eq!(a.of("rate_limited"), 0);
        assert_eq!(a.total(), 4);
    }

    #[test]
    fn rates_and_cpu_per_event() {
        // 30 s window: 300,000 sends offered is 10,000/s.
        assert_eq!(per_sec(300_000, 30.0), 10_000.0);
        assert_eq!(per_sec(5, 0.0), 0.0);
        // 1.5 CPU-seconds for 1,500,000 deliveries: 1 µs each.
        assert_eq!(cpu_micros_per(1.5, 1_500_000), 1.0);
        assert_eq!(cpu_micros_per(1.5, 0), 0.0);
    }

    #[test]
    fn errors_merge_by_kind() {
        let mut a = Errors::default();
        a.count("x");
        let mut b = Errors::default();
        b.count("x");
        b.count("y");
        a.merge(&b);
        assert_eq!(a.0.get("x"), Some(&2));
        assert_eq!(a.total(), 3);
    }
}
