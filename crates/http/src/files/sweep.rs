//! The sweeper: uploads that no message attached within the TTL are deleted, the object
//! first and then the row, so a failure leaves a row to retry rather than an object nobody
//! knows about. Each node runs one; two nodes sweeping the same upload both succeed (a
//! missing object counts as deleted, the row goes once).

use std::sync::Arc;
use std::time::Duration;

use confab_domain::Services;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use super::store::Storage;

/// Uploads looked at per query.
const BATCH: u32 = 100;
/// Batches per pass, so one pass stays short; the next pass continues.
const MAX_BATCHES: usize = 20;
/// How long stopping waits for a pass in progress.
const STOP_GRACE: Duration = Duration::from_secs(5);

/// What one pass did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SweepReport {
    /// Uploads whose object and row are gone.
    pub deleted: u64,
    /// Uploads a message attached after they were listed (kept).
    pub attached: u64,
    /// Uploads whose deletion failed (retried next pass).
    pub failed: u64,
}

/// Deletes expired unattached uploads.
#[derive(Clone)]
pub struct Sweeper {
    services: Arc<Services>,
    storage: Storage,
    ttl: Duration,
}

impl std::fmt::Debug for Sweeper {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sweeper")
            .field("storage", &self.storage)
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

impl Sweeper {
    /// Sweeps uploads older than `ttl` that no message has attached, from the database and `storage`.
    pub fn new(services: Arc<Services>, storage: Storage, ttl: Duration) -> Self {
        Self {
            services,
            storage,
            ttl,
        }
    }

    /// One pass: lists expired uploads in batches and deletes each.
    pub async fn sweep_once(&self) -> SweepReport {
        let mut report = SweepReport::default();
        for _ in 0..MAX_BATCHES {
            let expired = match self.services.expired_uploads(self.ttl, BATCH).await {
                Ok(expired) => expired,
                Err(e) => {
                    tracing::warn!(error = %e, "sweep: listing expired uploads failed");
                    break;
                }
            };
            let before = report;
            for file in &expired {
                if let Err(e) = self.storage.delete(&file.storage_path).await {
                    tracing::warn!(file = %file.id, error = %e, "sweep: deleting an object failed");
                    report.failed += 1;
                    continue;
                }
                match self.services.forget_upload(file.id).await {
                    Ok(true) => report.deleted += 1,
                    Ok(false) => {
                        // A send attached it between the listing and now; its bytes are gone.
                        tracing::warn!(file = %file.id, "sweep: an expired upload was attached while it was being deleted");
                        report.attached += 1;
                    }
                    Err(e) => {
                        tracing::warn!(file = %file.id, error = %e, "sweep: deleting an upload row failed");
                        report.failed += 1;
                    }
                }
            }
            let progressed = report.deleted + report.attached > before.deleted + before.attached;
            if expired.len() < BATCH as usize || !progressed {
                break;
            }
        }
        if report.deleted + report.failed + report.attached > 0 {
            tracing::info!(
                deleted = report.deleted,
                failed = report.failed,
                attached = report.attached,
                "swept unattached uploads"
            );
        }
        report
    }

    /// Runs a pass every `interval` until the handle is stopped.
    pub fn spawn(self, interval: Duration) -> SweepHandle {
        let (stop, mut stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let mut ticker = tokio::time::interval(interval.max(Duration::from_millis(10)));
            ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    _ = &mut stopped => break,
                    _ = ticker.tick() => {
                        self.sweep_once().await;
                    }
                }
            }
        });
        SweepHandle { stop, task }
    }
}

/// A running sweeper.
#[derive(Debug)]
pub struct SweepHandle {
    stop: oneshot::Sender<()>,
    task: JoinHandle<()>,
}

impl SweepHandle {
    /// Stops after the pass in progress, if any (waiting a few seconds at most).
    pub async fn stop(self) {
        let _ = self.stop.send(());
        let abort = self.task.abort_handle();
        if tokio::time::timeout(STOP_GRACE, self.task).await.is_err() {
            abort.abort();
        }
    }
}
