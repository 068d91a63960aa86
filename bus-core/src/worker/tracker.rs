//! [`Tracker`]: counts a runner's spawned tasks so that a stop can wait for them.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use tokio::sync::Notify;

/// Counts live tasks; cheaper than a `JoinSet` (no per-task bookkeeping besides one counter).
#[derive(Debug, Default)]
pub(crate) struct Tracker {
    count: AtomicUsize,
    idle: Notify,
}

/// Held by one task; dropping it (when the task ends, panics or is aborted) untracks the task.
#[derive(Debug)]
pub(crate) struct Tracked(Arc<Tracker>);

impl Tracker {
    /// Tracks one more task.
    pub(crate) fn track(self: &Arc<Self>) -> Tracked {
        self.count.fetch_add(1, Ordering::AcqRel);
        Tracked(self.clone())
    }

    /// Tasks alive now.
    pub(crate) fn len(&self) -> usize {
        self.count.load(Ordering::Acquire)
    }

    /// Completes when no task is alive.
    pub(crate) async fn idle(&self) {
        loop {
            let notified = self.idle.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if self.len() == 0 {
                return;
            }
            notified.await;
        }
    }
}

impl Drop for Tracked {
    fn drop(&mut self) {
        if self.0.count.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.0.idle.notify_waiters();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn idle_waits_for_every_tracked_task() {
        let tracker = Arc::new(Tracker::default());
        tracker.idle().await; // nothing tracked: at once
        let a = tracker.track();
        let b = tracker.track();
        let waiter = tokio::spawn({
            let t = tracker.clone();
            async move { t.idle().await }
        });
        tokio::task::yield_now().await;
        drop(a);
        tokio::task::yield_now().await;
        assert!(!waiter.is_finished());
        assert_eq!(tracker.len(), 1);
        drop(b);
        waiter.await.unwrap();
        assert_eq!(tracker.len(), 0);
    }
}
