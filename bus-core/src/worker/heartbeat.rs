//! The visibility heartbeat: keeps running handlers' messages invisible, for all the due handlers of a
//! runner loop at once (`ChangeMessageVisibilityBatch`, 10 per request).

use std::time::Duration;

use tokio::time::Instant;

use super::flights::Key;
use super::metrics::add;
use super::runner::Runner;
use crate::backend::ReceiptHandle;
use crate::error::BusError;
use crate::limits::MAX_VISIBILITY_TIMEOUT;

/// The longest delay a message received at `received_at` can still be given: SQS keeps a message in
/// flight at most 12 h from its receive.
pub(crate) fn cap_delay(delay: Duration, received_at: Instant) -> Duration {
    delay.min(MAX_VISIBILITY_TIMEOUT.saturating_sub(received_at.elapsed()))
}

/// The error of a task whose message has been in flight for the 12 h SQS allows.
pub(crate) fn in_flight_limit() -> String {
    BusError::invalid_parameter(
        "VisibilityTimeout",
        "the message has been in flight for 12 hours, the most SQS allows; it cannot be extended",
    )
    .to_string()
}

/// One visibility extension.
#[derive(Debug)]
pub(crate) struct Extension {
    pub(crate) key: Key,
    pub(crate) receipt: ReceiptHandle,
    pub(crate) extension: Duration,
}

/// Extends the visibility of up to 10 messages in one request. Returns the tasks whose extension
/// failed, with the error.
pub(crate) async fn extend(runner: &Runner, batch: Vec<Extension>) -> Vec<(Key, String)> {
    let entries: Vec<(String, ReceiptHandle, Duration)> =
        batch.iter().enumerate().map(|(i, e)| (i.to_string(), e.receipt.clone(), e.extension)).collect();
    match runner.subscription.change_visibility_batch(entries).await {
        Ok(outcome) => {
            add(&runner.metrics.counters.visibility_extended, outcome.successful.len());
            tracing::trace!(queue = %runner.queue, extended = outcome.successful.len(), "visibility extended");
            let mut failed = Vec::with_capacity(outcome.failed.len());
            for f in outcome.failed {
                if let Some(e) = f.id.parse::<usize>().ok().and_then(|i| batch.get(i)) {
                    failed.push((e.key, format!("{}: {}", f.code, f.message)));
                }
            }
            failed
        }
        Err(e) => batch.iter().map(|b| (b.key, e.to_string())).collect(),
    }
}
