//! [`CancellationToken`]: the signal a handler watches to learn that the runtime gave up on its task.

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use tokio::sync::Notify;

/// A cloneable, one-way cancellation signal.
///
/// The runtime cancels a task's token when it can no longer keep the message invisible (a visibility
/// extension failed) or when a shutdown deadline passes. A handler that runs for long should check
/// [`is_cancelled`](Self::is_cancelled) or `select!` on [`cancelled`](Self::cancelled) and stop early:
/// the message will be redelivered, so any work it does after cancellation may be done twice.
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// use bus_core::worker::CancellationToken;
/// let token = CancellationToken::new();
/// let child = token.clone();
/// assert!(!child.is_cancelled());
/// token.cancel();
/// child.cancelled().await; // returns at once
/// assert!(child.is_cancelled());
/// # });
/// ```
#[derive(Clone, Default)]
pub struct CancellationToken {
    inner: Arc<Inner>,
}

#[derive(Default)]
struct Inner {
    cancelled: AtomicBool,
    notify: Notify,
}

impl CancellationToken {
    /// A token that is not cancelled.
    pub fn new() -> Self {
        Self::default()
    }

    /// Cancels the token and wakes every waiter. Cancelling twice is harmless.
    pub fn cancel(&self) {
        if !self.inner.cancelled.swap(true, Ordering::AcqRel) {
            self.inner.notify.notify_waiters();
        }
    }

    /// Whether the token has been cancelled.
    pub fn is_cancelled(&self) -> bool {
        self.inner.cancelled.load(Ordering::Acquire)
    }

    /// Whether a new task may be given this token: nobody else holds it and it is not cancelled.
    pub(crate) fn is_reusable(&self) -> bool {
        Arc::strong_count(&self.inner) == 1 && Arc::weak_count(&self.inner) == 0 && !self.is_cancelled()
    }

    /// Completes when the token is cancelled (at once if it already is).
    pub async fn cancelled(&self) {
        loop {
            let notified = self.inner.notify.notified();
            tokio::pin!(notified);
            // Register before checking the flag, so a `cancel` between the check and the await is not missed.
            notified.as_mut().enable();
            if self.is_cancelled() {
                return;
            }
            notified.await;
        }
    }
}

impl fmt::Debug for CancellationToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CancellationToken").field("cancelled", &self.is_cancelled()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn waiters_wake_on_cancel() {
        let token = CancellationToken::new();
        let waiter = tokio::spawn({
            let t = token.clone();
            async move { t.cancelled().await }
        });
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
        assert!(!waiter.is_finished());
        token.cancel();
        waiter.await.unwrap();
        assert!(token.is_cancelled());
    }
}
