//! The visibility heartbeat: keeps a running handler's message invisible.

use std::time::Duration;

use tokio::time::{sleep_until, Instant};

use super::metrics::inc;
use super::runner::Runner;
use crate::backend::ReceiptHandle;
use crate::error::BusError;
use crate::limits::MAX_VISIBILITY_TIMEOUT;

/// The longest delay a message received at `received_at` can still be given: SQS keeps a message in
/// flight at most 12 h from its receive.
pub(crate) fn cap_delay(delay: Duration, received_at: Instant) -> Duration {
    delay.min(MAX_VISIBILITY_TIMEOUT.saturating_sub(received_at.elapsed()))
}

/// Extends the visibility of `receipt` to the queue's visibility timeout every heartbeat interval,
/// counted from the receive. Never returns while the extensions succeed; returns the error of the
/// first one that fails (or when the 12 h limit leaves nothing to extend). Without a heartbeat it
/// never returns.
pub(crate) async fn keep_invisible(runner: &Runner, receipt: &ReceiptHandle, received_at: Instant) -> BusError {
    let Some(interval) = runner.config.heartbeat_interval() else {
        return std::future::pending().await;
    };
    let visibility = runner.config.visibility_timeout;
    let mut next = received_at + interval;
    loop {
        sleep_until(next).await;
        let extension = cap_delay(visibility, received_at);
        if extension.is_zero() {
            return BusError::invalid_parameter(
                "VisibilityTimeout",
                "the message has been in flight for 12 hours, the most SQS allows; it cannot be extended",
            );
        }
        match runner.subscription.change_visibility(receipt, extension).await {
            Ok(()) => {
                inc(&runner.metrics.counters.visibility_extended);
                tracing::trace!(extension_s = extension.as_secs_f64(), "visibility extended");
            }
            Err(e) => return e,
        }
        next += interval;
    }
}
