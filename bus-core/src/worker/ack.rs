//! Deletes in batches: a runner loop buffers its completed messages and deletes them 10 at a time (or
//! `ack_linger` after the first of a batch). No channel and no task of its own: the flush is one of the
//! loop's I/O futures.

use std::sync::Arc;

use tokio::time::Instant;

use super::metrics::{add, inc};
use super::observer::TaskEvent;
use super::runner::Runner;
use super::task::TaskInfo;
use crate::backend::Delivery;

/// One message to delete.
#[derive(Debug)]
pub(crate) struct AckEntry {
    pub(crate) delivery: Arc<Delivery>,
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

/// Deletes one batch; counts and reports each entry's outcome.
pub(crate) async fn flush(runner: &Runner, batch: Vec<AckEntry>) {
    // The delivery is usually no longer shared: take its receipt handle instead of copying it.
    let mut meta = Vec::with_capacity(batch.len());
    let mut entries = Vec::with_capacity(batch.len());
    for (i, entry) in batch.into_iter().enumerate() {
        let (message_id, receipt) = match Arc::try_unwrap(entry.delivery) {
            Ok(d) => (d.message_id, d.receipt_handle),
            Err(shared) => (shared.message_id.clone(), shared.receipt_handle.clone()),
        };
        meta.push((message_id, entry.info));
        entries.push((i.to_string(), receipt));
    }
    let counters = &runner.metrics.counters;
    let count = entries.len();
    match runner.subscription.ack_batch(entries).await {
        Ok(outcome) => {
            add(&counters.acked, outcome.successful.len());
            if runner.observer.is_some() {
                for id in &outcome.successful {
                    if let Some((_, info)) = id.parse::<usize>().ok().and_then(|i| meta.get(i)) {
                        runner.emit_task(info, TaskEvent::Acked);
                    }
                }
            }
            for failed in &outcome.failed {
                let Some((message_id, info)) = failed.id.parse::<usize>().ok().and_then(|i| meta.get(i)) else {
                    continue;
                };
                inc(&counters.ack_failed);
                tracing::warn!(
                    queue = %runner.queue, message_id = %message_id, code = %failed.code,
                    "delete failed: {}; the message will be redelivered", failed.message
                );
                let error = format!("{}: {}", failed.code, failed.message);
                runner.emit_task(info, |task| TaskEvent::AckFailed { task, error });
            }
        }
        Err(e) => {
            tracing::warn!(queue = %runner.queue, entries = count, "delete batch failed: {e}; the messages will be redelivered");
            add(&counters.ack_failed, count);
            for (_, info) in &meta {
                runner.emit_task(info, |task| TaskEvent::AckFailed { task, error: e.to_string() });
            }
        }
    }
}
