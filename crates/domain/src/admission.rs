//! Admission control for sends: past the node's capacity, a send is refused at the door
//! (`overloaded`, with a retry hint) instead of waiting seconds in the database pool's queue.
//! Refusing costs a lock and a comparison; it happens before any database work.
//!
//! Four signals, any of which refuses:
//! - a hard cap on the sends in flight (admitted, not yet stored, acked and broadcast);
//! - a cap on the deliveries those sends cause on this node: each send weighs its
//!   conversation room's sockets here (its fan-out), so that 64 sends into rooms of one and
//!   16 into rooms of 100 are not the same work. A send into a database-bound, small-room
//!   load keeps the whole sends cap (its batches are its throughput); a fan-out-bound load
//!   is held to what the CPU writes before its queue forms, which keeps refusals fast;
//! - the node's scheduling delay: a probe on the runtime (the server runs one) sleeps a few
//!   milliseconds and reports how late it woke ([`Admission::scheduler_lag`]). Past the
//!   delivery capacity the database is not the queue: the sockets' writer tasks are, and every
//!   task, the handlers of incoming sends included, waits behind them. A late wake-up above
//!   `lag_target` refuses new sends for one window; that keeps the work the accepted sends
//!   cause (their fan-out) within what the CPU writes, so socket queues do not overflow and
//!   refusals stay fast (like the delay below, only while sends queue: a node stalled by
//!   something else, a noisy neighbour or a connect storm, still takes a lone send);
//! - the queueing delay, as CoDel measures it: each admitted send reports how long it took
//!   from its receipt to its commit. When even the fastest send of a whole window took
//!   longer than the target, a standing queue has formed, and new sends are refused until a
//!   window ends with a send under the target (or with none), or until the sends in flight
//!   all finish (the queue drained).
//!   A lone send that is merely slow (a slow disk) is no queue: the delay refuses only while
//!   several sends are in flight.
//!
//! Time is passed in (`now`), so the logic is tested with a fake clock.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// The delay refuses only while at least this many sends are in flight: a lone send on a
/// slow disk waits for its own commit, not in a queue (CoDel likewise never drops when its
/// queue holds a single packet).
const MIN_QUEUE: u32 = 8;

/// The longest retry hint: beyond it, a client is better off with its own backoff.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(5);

/// The default deliveries cap (see [`AdmissionConfig::default`]).
pub const DEFAULT_MAX_DELIVERIES: u32 = 2_000;

/// The shortest retry hint (a client that retries sooner meets the same queue).
const MIN_RETRY_AFTER: Duration = Duration::from_millis(50);

/// The admission settings (`CONFAB_LIMITS__SENDS_IN_FLIGHT`, `DELIVERIES_IN_FLIGHT`,
/// `SEND_QUEUE_TARGET`, `SEND_LAG_TARGET`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AdmissionConfig {
    /// Sends in flight on this node at most (0: no cap).
    pub max_in_flight: u32,
    /// Deliveries those sends cause on this node at most, each send counting its room's
    /// sockets here (at least one, at most a quarter of this cap, so that a room larger than
    /// the cap still gets in; 0: no cap). A send is taken whatever its weight when no other
    /// is in flight.
    pub max_deliveries: u32,
    /// The queueing delay (receipt to commit) the node tolerates as a standing queue
    /// (zero: the delay is not watched).
    pub target: Duration,
    /// The window the delay is judged over: a standing queue is one that lasts this long.
    pub window: Duration,
    /// The scheduling delay past which new sends are refused for one window (zero: not
    /// watched).
    pub lag_target: Duration,
}

impl AdmissionConfig {
    /// Nothing is refused.
    pub const OFF: Self = Self {
        max_in_flight: 0,
        max_deliveries: 0,
        target: Duration::ZERO,
        window: Duration::from_millis(100),
        lag_target: Duration::ZERO,
    };
}

impl Default for AdmissionConfig {
    /// 64 sends in flight, a 100 ms target over 100 ms windows and a 10 ms scheduling delay,
    /// chosen in the `overload` scenario (docs/performance.md): at the ~2,000 sends/s a node
    /// of two cores stores and fans out to rooms of 100, 64 in flight is ~30 ms of work
    /// (Little's law). 256 let accepted acks wait 110 ms (p50) at 10x the offered capacity
    /// and memory grow 1.6x; 64 keeps them at 52 ms and memory at 1.2x. The deliveries cap
    /// ([`DEFAULT_MAX_DELIVERIES`]) holds sends into rooms of 100 to 20 at once, which keeps
    /// the time to refusal short at 10x, while sends into rooms of one keep all 64.
    fn default() -> Self {
        Self {
            max_in_flight: 64,
            max_deliveries: DEFAULT_MAX_DELIVERIES,
            target: Duration::from_millis(100),
            window: Duration::from_millis(100),
            lag_target: Duration::from_millis(10),
        }
    }
}

/// Why a send was refused, and when to come back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Refused {
    /// The retry hint: the estimated time for the sends in flight to drain, clamped to
    /// 50 ms-5 s.
    pub retry_after: Duration,
}

#[derive(Debug)]
struct State {
    in_flight: u32,
    /// The weights of the sends in flight.
    deliveries: u64,
    /// Start of the current window.
    window_start: Option<Instant>,
    /// The least delay reported in the current window.
    window_min: Option<Duration>,
    /// Sends stored in the current window, and in the last complete one.
    stored: u32,
    last_stored: u32,
    /// The last complete window's least delay was above the target: refuse.
    dropping: bool,
    /// A scheduling delay above `lag_target` was reported: refuse until then.
    lagging_until: Option<Instant>,
}

/// The admission gate of one node. Shared: hold it in an `Arc`.
#[derive(Debug)]
pub struct Admission {
    config: AdmissionConfig,
    state: Mutex<State>,
}

/// One admitted send. Report its commit with [`Permit::stored`]; dropping it (after the
/// broadcast, or on a failure) frees its place.
#[derive(Debug)]
pub struct Permit {
    admission: Arc<Admission>,
    weight: u32,
}

impl Admission {
    /// A gate with `config`.
    pub fn new(config: AdmissionConfig) -> Self {
        Self {
            config,
            state: Mutex::new(State {
                in_flight: 0,
                deliveries: 0,
                window_start: None,
                window_min: None,
                stored: 0,
                last_stored: 0,
                dropping: false,
                lagging_until: None,
            }),
        }
    }

    /// The settings.
    pub fn config(&self) -> AdmissionConfig {
        self.config
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether sends are weighed by their fan-out (a deliveries cap is set): when not,
    /// [`Admission::admit`]'s `audience` is not read and callers may pass 1.
    pub fn weighs(&self) -> bool {
        self.config.max_deliveries > 0
    }

    /// Admits a send received now whose broadcast reaches `audience` sockets on this node,
    /// or refuses it with a retry hint.
    pub fn admit(self: &Arc<Self>, now: Instant, audience: u32) -> Result<Permit, Refused> {
        let mut state = self.lock();
        self.roll(&mut state, now);
        let capped = self.config.max_in_flight > 0 && state.in_flight >= self.config.max_in_flight;
        let weight = match self.config.max_deliveries {
            0 => 0,
            max => audience.clamp(1, (max / 4).max(1)),
        };
        let heavy = weight > 0
            && state.deliveries > 0
            && state.deliveries + u64::from(weight) > u64::from(self.config.max_deliveries);
        let queue = state.in_flight >= MIN_QUEUE;
        let queued = state.dropping && queue;
        let lagging = queue && state.lagging_until.is_some_and(|until| now < until);
        if capped || heavy || queued || lagging {
            return Err(Refused {
                retry_after: self.retry_after(&state),
            });
        }
        state.in_flight += 1;
        state.deliveries += u64::from(weight);
        Ok(Permit {
            admission: Arc::clone(self),
            weight,
        })
    }

    /// The runtime's probe woke `lag` later than it asked, at `now`: past `lag_target`, new
    /// sends are refused for one window (each later report above it extends that).
    pub fn scheduler_lag(&self, lag: Duration, now: Instant) {
        if self.config.lag_target.is_zero() || lag <= self.config.lag_target {
            return;
        }
        self.lock().lagging_until = Some(now + self.config.window);
    }

    /// Sends in flight now.
    pub fn in_flight(&self) -> u32 {
        self.lock().in_flight
    }

    /// The deliveries the sends in flight weigh now.
    pub fn deliveries_in_flight(&self) -> u64 {
        self.lock().deliveries
    }

    /// Ends the windows that are over by `now`: a window whose least delay stayed above the
    /// target turns refusing on; one with a send under it, or with none stored at all (the
    /// queue is empty or refused away), turns it off.
    fn roll(&self, state: &mut State, now: Instant) {
        let window = self.config.window.max(Duration::from_millis(1));
        let Some(start) = state.window_start else {
            state.window_start = Some(now);
            return;
        };
        let elapsed = now.saturating_duration_since(start);
        if elapsed < window {
            return;
        }
        state.dropping = !self.config.target.is_zero()
            && elapsed < window * 2
            && state.window_min.is_some_and(|min| min > self.config.target);
        state.last_stored = if elapsed < window * 2 {
            state.stored
        } else {
            0
        };
        state.stored = 0;
        state.window_min = None;
        state.window_start = Some(now);
    }

    /// The time the sends in flight take to drain at the last window's rate.
    fn retry_after(&self, state: &State) -> Duration {
        let window = self.config.window;
        let estimate = match state.last_stored {
            0 => window * 2,
            rate => window.saturating_mul(state.in_flight.max(1)) / rate,
        };
        estimate.clamp(MIN_RETRY_AFTER, MAX_RETRY_AFTER)
    }

    fn stored(&self, delay: Duration, now: Instant) {
        let mut state = self.lock();
        self.roll(&mut state, now);
        state.stored += 1;
        state.window_min = Some(state.window_min.map_or(delay, |min| min.min(delay)));
    }
}

impl Permit {
    /// The send received at `received` was committed at `now`.
    pub fn stored(&self, received: Instant, now: Instant) {
        self.admission
            .stored(now.saturating_duration_since(received), now);
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        let mut state = self.admission.lock();
        state.in_flight = state.in_flight.saturating_sub(1);
        state.deliveries = state.deliveries.saturating_sub(u64::from(self.weight));
        if state.in_flight == 0 {
            // The queue drained: what its sends waited says nothing about the next one (as
            // CoDel leaves its dropping state when its queue empties). Without this, a burst
            // that waited on a cold start (first connections, first statements) would have
            // the next burst refused although nothing is queued any more.
            state.dropping = false;
            state.window_min = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    fn gate(max: u32, target_ms: u64) -> Arc<Admission> {
        Arc::new(Admission::new(AdmissionConfig {
            max_in_flight: max,
            max_deliveries: 0,
            target: MS * u32::try_from(target_ms).unwrap_or(0),
            window: MS * 100,
            lag_target: MS * 10,
        }))
    }

    #[test]
    fn a_late_wake_up_refuses_for_one_window_and_a_small_one_does_not() {
        let gate = gate(0, 0);
        let t0 = Instant::now();
        gate.scheduler_lag(MS * 30, t0);
        let lone = gate.admit(t0 + MS, 1);
        assert!(lone.is_ok(), "a lone send is taken even when the node lags");
        let queue: Vec<_> = (1..MIN_QUEUE)
            .filter_map(|_| gate.admit(t0, 1).ok())
            .collect();
        assert_eq!(queue.len() + 1, 8);
        gate.scheduler_lag(MS * 9, t0 + MS * 200);
        assert!(gate.admit(t0 + MS * 200, 1).is_ok(), "under the lag target");
        gate.scheduler_lag(MS * 30, t0 + MS * 210);
        let refused = gate.admit(t0 + MS * 220, 1).err();
        assert!(refused.is_some_and(|r| r.retry_after >= MIN_RETRY_AFTER));
        assert!(
            gate.admit(t0 + MS * 309, 1).is_err(),
            "for the whole window"
        );
        assert!(gate.admit(t0 + MS * 311, 1).is_ok(), "and no longer");
        drop((lone, queue));
        let off = Arc::new(Admission::new(AdmissionConfig::OFF));
        off.scheduler_lag(MS * 500, t0);
        assert!(off.admit(t0, 1).is_ok(), "zero turns the signal off");
    }

    #[test]
    fn the_cap_refuses_past_its_sends_in_flight_and_a_finished_send_frees_its_place() {
        let gate = gate(2, 0);
        let t0 = Instant::now();
        let a = gate.admit(t0, 1);
        let b = gate.admit(t0, 1);
        assert!(a.is_ok() && b.is_ok());
        let refused = gate.admit(t0, 1).err();
        assert!(refused.is_some_and(|r| r.retry_after >= MIN_RETRY_AFTER));
        assert_eq!(gate.in_flight(), 2);
        drop(a);
        assert!(gate.admit(t0, 1).is_ok());
        assert_eq!(gate.in_flight(), 1, "the permit was dropped at once");
    }

    #[test]
    fn sends_weigh_their_fan_out_so_a_few_into_big_rooms_fill_the_budget_many_small_ones_do_not() {
        let gate = Arc::new(Admission::new(AdmissionConfig {
            max_deliveries: 400,
            ..AdmissionConfig::OFF
        }));
        let t0 = Instant::now();
        // Rooms of 100: four fill the budget of 400, the fifth is refused.
        let big: Vec<_> = (0..5).filter_map(|_| gate.admit(t0, 100).ok()).collect();
        assert_eq!(big.len(), 4);
        assert_eq!(gate.deliveries_in_flight(), 400);
        assert!(
            gate.admit(t0, 1).is_err(),
            "even a small send waits for room"
        );
        drop(big);
        assert_eq!(
            gate.deliveries_in_flight(),
            0,
            "finished sends free their weight"
        );
        // Rooms of one (or none: a send still costs one): 400 fit.
        let small: Vec<_> = (0..500).filter_map(|_| gate.admit(t0, 0).ok()).collect();
        assert_eq!(small.len(), 400);
        drop(small);
        // A room bigger than the budget counts as a quarter of it: it still gets in, four
        // at a time, and alone whatever its size.
        let huge: Vec<_> = (0..5).filter_map(|_| gate.admit(t0, 5_000).ok()).collect();
        assert_eq!(huge.len(), 4);
        drop(huge);
        let tight = Arc::new(Admission::new(AdmissionConfig {
            max_deliveries: 2,
            ..AdmissionConfig::OFF
        }));
        let alone = tight.admit(t0, 10_000);
        assert!(alone.is_ok(), "a lone send is taken whatever its fan-out");
        let off = Arc::new(Admission::new(AdmissionConfig::OFF));
        assert!(!off.weighs());
        let unweighed: Vec<_> = (0..100).filter_map(|_| off.admit(t0, 1_000).ok()).collect();
        assert_eq!(unweighed.len(), 100, "zero turns the cap off");
        assert_eq!(off.deliveries_in_flight(), 0);
    }

    #[test]
    fn zero_turns_both_signals_off() {
        let gate = Arc::new(Admission::new(AdmissionConfig::OFF));
        let t0 = Instant::now();
        let permits: Vec<_> = (0..10_000).filter_map(|_| gate.admit(t0, 1).ok()).collect();
        assert_eq!(permits.len(), 10_000);
        for p in &permits {
            p.stored(t0, t0 + MS * 5_000);
        }
        assert!(gate.admit(t0 + MS * 250, 1).is_ok());
    }

    #[test]
    fn a_window_whose_fastest_send_waited_past_the_target_refuses_until_the_delay_falls() {
        let gate = gate(0, 100);
        let t0 = Instant::now();
        // Window 1 (0-100 ms): every send waits 150 ms; a queue of them is in flight.
        let permits: Vec<_> = (0..MIN_QUEUE)
            .filter_map(|_| gate.admit(t0, 1).ok())
            .collect();
        assert_eq!(permits.len(), 8);
        for i in 0..5 {
            gate.stored(MS * 150, t0 + MS * (50 + i));
        }
        // Window 2 starts at 100 ms: refusing.
        let refused = gate.admit(t0 + MS * 101, 1).err();
        assert!(refused.is_some(), "a standing queue refuses");
        // Sends admitted before keep reporting long delays: still refusing next window.
        gate.stored(MS * 180, t0 + MS * 150);
        assert!(gate.admit(t0 + MS * 201, 1).is_err());
        // A window with a fast send reopens the door.
        gate.stored(MS * 20, t0 + MS * 250);
        assert!(gate.admit(t0 + MS * 301, 1).is_ok());
        drop(permits);
    }

    #[test]
    fn a_lone_slow_send_is_no_queue() {
        let gate = gate(0, 100);
        let t0 = Instant::now();
        for round in 0..5 {
            let start = t0 + MS * (round * 300);
            let permit = gate.admit(start, 1);
            assert!(permit.is_ok(), "round {round}");
            gate.stored(MS * 250, start + MS * 250);
        }
    }

    #[test]
    fn the_fastest_send_of_the_window_decides_so_a_burst_of_slow_ones_does_not_refuse() {
        let gate = gate(0, 100);
        let t0 = Instant::now();
        let permits: Vec<_> = (0..MIN_QUEUE)
            .filter_map(|_| gate.admit(t0, 1).ok())
            .collect();
        assert_eq!(permits.len(), 8);
        gate.stored(MS * 400, t0 + MS * 10);
        gate.stored(MS * 30, t0 + MS * 20);
        gate.stored(MS * 400, t0 + MS * 30);
        assert!(gate.admit(t0 + MS * 110, 1).is_ok());
        drop(permits);
    }

    #[test]
    fn a_queue_that_drained_is_forgotten_so_the_next_burst_is_taken() {
        let gate = gate(0, 100);
        let t0 = Instant::now();
        // A first burst waits 150 ms (a cold start), then every send of it finishes.
        let burst: Vec<_> = (0..MIN_QUEUE * 2)
            .filter_map(|_| gate.admit(t0, 1).ok())
            .collect();
        assert_eq!(burst.len(), 16);
        for permit in &burst {
            permit.stored(t0, t0 + MS * 150);
        }
        drop(burst);
        // The next burst, in the next window: nothing is queued, so nothing is refused.
        let next: Vec<_> = (0..MIN_QUEUE * 2)
            .filter_map(|_| gate.admit(t0 + MS * 160, 1).ok())
            .collect();
        assert_eq!(next.len(), 16, "a drained queue refused the next burst");
        // While a queue stands (its sends still in flight), the delay still refuses...
        for permit in &next {
            permit.stored(t0 + MS * 10, t0 + MS * 190);
        }
        assert!(
            gate.admit(t0 + MS * 270, 1).is_err(),
            "a window whose sends all waited past the target, with a queue standing"
        );
        // ...until it drains.
        drop(next);
        assert!(gate.admit(t0 + MS * 280, 1).is_ok());
    }

    #[test]
    fn an_idle_node_forgets_an_old_queue() {
        let gate = gate(0, 100);
        let t0 = Instant::now();
        let permits: Vec<_> = (0..MIN_QUEUE)
            .filter_map(|_| gate.admit(t0, 1).ok())
            .collect();
        assert_eq!(permits.len(), 8);
        gate.stored(MS * 500, t0 + MS * 50);
        // The next window starts more than a window later: nothing was measured in between.
        assert!(gate.admit(t0 + MS * 1_000, 1).is_ok());
        // A window with nothing stored also reopens.
        gate.stored(MS * 500, t0 + MS * 1_050);
        assert!(gate.admit(t0 + MS * 1_120, 1).is_err());
        assert!(gate.admit(t0 + MS * 1_230, 1).is_ok());
        drop(permits);
    }

    #[test]
    fn the_retry_hint_is_the_drain_time_at_the_last_windows_rate() {
        let gate = gate(10, 0);
        let t0 = Instant::now();
        let permits: Vec<_> = (0..10).filter_map(|_| gate.admit(t0, 1).ok()).collect();
        assert_eq!(permits.len(), 10);
        // 20 stored in the first window: 200/s, so 10 in flight drain in 50 ms.
        for _ in 0..20 {
            gate.stored(MS, t0 + MS * 10);
        }
        let hint = gate.admit(t0 + MS * 120, 1).err().map(|r| r.retry_after);
        assert_eq!(hint, Some(MS * 50));
        // Nothing stored in a window: two windows.
        let hint = gate.admit(t0 + MS * 230, 1).err().map(|r| r.retry_after);
        assert_eq!(hint, Some(MS * 200));
        // One stored in the last window: a second.
        gate.stored(MS, t0 + MS * 240);
        let hint = gate.admit(t0 + MS * 340, 1).err().map(|r| r.retry_after);
        assert_eq!(hint, Some(MS * 1_000));
    }
}
