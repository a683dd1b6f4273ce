//! The analytics view's upkeep: a background task that refreshes it every
//! `analytics.refresh_interval` (PostgreSQL; a no-op on SQLite). Nodes take turns through
//! an advisory lock, so a cluster refreshes once per interval, not once per node.

use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use confab_domain::Services;

/// Starts the refresh loop; it ends when the services are dropped. The first refresh comes
/// one interval after start. A zero interval starts nothing.
pub fn spawn_refresh(services: &Arc<Services>, every: Duration) {
    if every.is_zero() {
        return;
    }
    tokio::spawn(refresh_loop(Arc::downgrade(services), every));
}

async fn refresh_loop(services: Weak<Services>, every: Duration) {
    let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        let Some(services) = services.upgrade() else {
            return;
        };
        let started = Instant::now();
        match services.refresh_analytics().await {
            Ok(true) => tracing::debug!(elapsed = ?started.elapsed(), "analytics view refreshed"),
            Ok(false) => {}
            Err(error) => {
                tracing::warn!(%error, "analytics view refresh failed; retrying next interval")
            }
        }
    }
}
