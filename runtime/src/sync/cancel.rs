//! Stopping a running resync from outside (Ctrl-C, SIGTERM, a newer resync request).

use super::SyncError;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// Set to stop a running resync: the request in flight is dropped and the run ends `aborted`
/// with nothing deleted.
#[derive(Clone, Debug, Default)]
pub struct CancellationFlag(Arc<CancelState>);

#[derive(Debug, Default)]
struct CancelState {
    cancelled: AtomicBool,
    notify: tokio::sync::Notify,
}

impl CancellationFlag {
    pub fn new() -> Self {
        CancellationFlag::default()
    }

    pub fn cancel(&self) {
        self.0.cancelled.store(true, Ordering::SeqCst);
        self.0.notify.notify_waiters();
    }

    pub fn is_cancelled(&self) -> bool {
        self.0.cancelled.load(Ordering::SeqCst)
    }

    /// Completes once [`CancellationFlag::cancel`] has been called.
    pub async fn cancelled(&self) {
        let notified = self.0.notify.notified();
        tokio::pin!(notified);
        // Registered before the check, so a cancel in between is not missed.
        notified.as_mut().enable();
        if self.is_cancelled() {
            return;
        }
        notified.await;
    }

    /// Runs `work` unless the flag is set first: `Err(Aborted)` then, and `work` is dropped.
    pub async fn guard<T, E>(
        &self,
        work: impl std::future::Future<Output = Result<T, E>>,
    ) -> Result<T, SyncError>
    where
        SyncError: From<E>,
    {
        tokio::select! {
            biased;
            _ = self.cancelled() => Err(SyncError::Aborted),
            result = work => result.map_err(SyncError::from),
        }
    }
}
