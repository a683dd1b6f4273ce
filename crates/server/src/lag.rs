//! The runtime's scheduling delay, fed to admission control.
//!
//! A task sleeps [`PERIOD`] and measures how late it wakes. On a node whose CPU keeps up the
//! answer is about a millisecond (the timer's resolution); past the delivery capacity every
//! task, this one and the handlers of incoming sends alike, waits behind the sockets' writer
//! tasks, and the delay shows it before any socket queue overflows
//! ([`Admission::scheduler_lag`](confab_domain::admission::Admission::scheduler_lag)).

use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use confab_domain::Services;

/// How often the probe wakes: often enough to turn refusals on within a few milliseconds of
/// the CPU saturating, rarely enough to cost nothing (100 wake-ups a second).
pub const PERIOD: Duration = Duration::from_millis(10);

/// Starts the probe on the current runtime; it ends when `services` is dropped. Nothing is
/// started when the lag signal is off.
pub fn spawn_probe(services: &Arc<Services>) {
    if services.admission().config().lag_target.is_zero() {
        return;
    }
    tokio::spawn(probe(Arc::downgrade(services)));
}

async fn probe(services: Weak<Services>) {
    loop {
        let asked = Instant::now();
        tokio::time::sleep(PERIOD).await;
        let woke = Instant::now();
        let Some(services) = services.upgrade() else {
            return;
        };
        let lag = woke.saturating_duration_since(asked).saturating_sub(PERIOD);
        services.admission().scheduler_lag(lag, woke);
    }
}
