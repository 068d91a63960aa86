//! Deletes in batches: a runner loop buffers its completed messages and deletes them 10 at a time (or
//! `ack_linger` after the first of a batch). No channel and no task of its own: the flush is one of the
//! loop's I/O futures.

use std::sync::Arc;

use tokio::time::Instant;

use super::metrics::{add, inc};
use super::observer::TaskEvent;
use super::runner::Runner;
use super::task::Received;
use super::task::TaskInfo;
use crate::backend::ReceiptHandle;

/// One message to delete.
#[derive(Debug)]
pub(crate) struct AckEntry {
    pub(crate) received: Arc<Received>,
    /// The observer's summary (`Some` exactly when there is an observer).
    pub(crate) info: Option<Arc<TaskInfo>>,
}

/// The deletes of a runner loop waiting for their batch.
#[derive(Debug)]
pub(crate) struct AckBuffer {
    entries: Vec<AckEntry>,
    size: usize,
    /// When the first entry of the batch came (only kept with a linger).
    since: Option<Instant>,
    linger: std::time::Duration,
}

impl AckBuffer {
    pub(crate) fn new(size: usize, linger: std::time::Duration) -> Self {
        AckBuffer { entries: Vec::with_capacity(size), size, since: None, linger }
    }

    /// Adds a delete; returns a full batch to flush.
    pub(crate) fn push(&mut self, entry: AckEntry) -> Option<Vec<AckEntry>> {
        if self.entries.is_empty() && !self.linger.is_zero() {
            self.since = Some(Instant::now());
        }
        self.entries.push(entry);
        (self.entries.len() >= self.size).then(|| self.take())
    }

    /// Takes what is buffered.
    pub(crate) fn take(&mut self) -> Vec<AckEntry> {
        self.since = None;
        std::mem::replace(&mut self.entries, Vec::with_capacity(self.size))
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// When the buffered batch must go at the latest (`None`: nothing buffered, or no linger).
    pub(crate) fn deadline(&self) -> Option<Instant> {
        self.since.map(|since| since + self.linger)
    }
}

/// Deletes one batch; counts and reports each entry's outcome. Gives the tasks back (for reuse).
pub(crate) async fn flush(runner: &Runner, mut batch: Vec<AckEntry>) -> Vec<AckEntry> {
    // The task is usually no longer shared: take its receipt handle instead of copying it.
    let entries: Vec<(String, ReceiptHandle)> = batch
        .iter_mut()
        .enumerate()
        .map(|(i, entry)| {
            let receipt = match Arc::get_mut(&mut entry.received) {
                Some(received) => ReceiptHandle(std::mem::take(&mut received.delivery.receipt_handle.0)),
                None => entry.received.delivery.receipt_handle.clone(),
            };
            (i.to_string(), receipt)
        })
        .collect();
    let counters = &runner.metrics.counters;
    match runner.subscription.ack_batch(entries).await {
        Ok(outcome) => {
            add(&counters.acked, outcome.successful.len());
            if runner.observer.is_some() {
                for id in &outcome.successful {
                    if let Some(entry) = id.parse::<usize>().ok().and_then(|i| batch.get(i)) {
                        runner.emit_task(&entry.info, TaskEvent::Acked);
                    }
                }
            }
            for failed in &outcome.failed {
                let Some(entry) = failed.id.parse::<usize>().ok().and_then(|i| batch.get(i)) else { continue };
                inc(&counters.ack_failed);
                tracing::warn!(
                    queue = %runner.queue, message_id = %entry.received.delivery.message_id, code = %failed.code,
                    "delete failed: {}; the message will be redelivered", failed.message
                );
                let error = format!("{}: {}", failed.code, failed.message);
                runner.emit_task(&entry.info, |task| TaskEvent::AckFailed { task, error });
            }
        }
        Err(e) => {
            tracing::warn!(queue = %runner.queue, entries = batch.len(), "delete batch failed: {e}; the messages will be redelivered");
            add(&counters.ack_failed, batch.len());
            for entry in &batch {
                runner.emit_task(&entry.info, |task| TaskEvent::AckFailed { task, error: e.to_string() });
            }
        }
    }
    batch
}
