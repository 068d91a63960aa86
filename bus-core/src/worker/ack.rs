//! The ack batcher: one per runner, deletes completed messages in batches of up to 10.

use std::sync::Arc;

use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::{sleep_until, Instant};

use super::metrics::inc;
use super::observer::TaskEvent;
use super::runner::Runner;
use super::task::TaskInfo;
use crate::backend::{Delivery, ReceiptHandle};

/// One message to delete.
#[derive(Debug)]
pub(crate) struct AckEntry {
    pub(crate) delivery: Arc<Delivery>,
    /// The observer's summary (`Some` exactly when there is an observer).
    pub(crate) info: Option<Arc<TaskInfo>>,
}

/// The sending side of a runner's ack batcher. The batcher flushes what it holds and stops once
/// every sender is dropped.
#[derive(Debug, Clone)]
pub(crate) struct AckSender {
    tx: mpsc::UnboundedSender<AckEntry>,
}

impl AckSender {
    /// Queues a delete. If the batcher is gone (it only stops after every sender is dropped, so this
    /// cannot happen while a sender exists) the message is simply redelivered later.
    pub(crate) fn push(&self, delivery: Arc<Delivery>, info: Option<Arc<TaskInfo>>) {
        if let Err(e) = self.tx.send(AckEntry { delivery, info }) {
            tracing::warn!(message_id = %e.0.delivery.message_id, "ack batcher stopped; the message will be redelivered");
        }
    }
}

/// Starts the batcher of `runner`: flushes at `ack_batch_size` entries or `ack_linger` after the
/// first entry of a batch, whichever comes first.
pub(crate) fn spawn(runner: Arc<Runner>) -> (AckSender, JoinHandle<()>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let handle = tokio::spawn(run(runner, rx));
    (AckSender { tx }, handle)
}

async fn run(runner: Arc<Runner>, mut rx: mpsc::UnboundedReceiver<AckEntry>) {
    let size = runner.config.ack_batch_size;
    let linger = runner.config.ack_linger;
    let mut batch: Vec<AckEntry> = Vec::with_capacity(size);
    while let Some(first) = rx.recv().await {
        batch.push(first);
        let deadline = Instant::now() + linger;
        let mut open = true;
        while batch.len() < size {
            match rx.try_recv() {
                Ok(entry) => {
                    batch.push(entry);
                    continue;
                }
                Err(mpsc::error::TryRecvError::Disconnected) => {
                    open = false;
                    break;
                }
                Err(mpsc::error::TryRecvError::Empty) if linger.is_zero() => break,
                Err(mpsc::error::TryRecvError::Empty) => {}
            }
            tokio::select! {
                biased;
                entry = rx.recv() => match entry {
                    Some(entry) => batch.push(entry),
                    None => {
                        open = false;
                        break;
                    }
                },
                _ = sleep_until(deadline) => break,
            }
        }
        flush(&runner, &mut batch).await;
        if !open {
            break;
        }
    }
}

async fn flush(runner: &Runner, batch: &mut Vec<AckEntry>) {
    let entries: Vec<(String, ReceiptHandle)> =
        batch.iter().enumerate().map(|(i, e)| (i.to_string(), e.delivery.receipt_handle.clone())).collect();
    let counters = &runner.metrics.counters;
    match runner.subscription.ack_batch(entries).await {
        Ok(outcome) => {
            for id in &outcome.successful {
                if let Some(entry) = id.parse::<usize>().ok().and_then(|i| batch.get(i)) {
                    inc(&counters.acked);
                    runner.emit_task(&entry.info, TaskEvent::Acked);
                }
            }
            for failed in &outcome.failed {
                if let Some(entry) = failed.id.parse::<usize>().ok().and_then(|i| batch.get(i)) {
                    inc(&counters.ack_failed);
                    tracing::warn!(
                        queue = %runner.queue, message_id = %entry.delivery.message_id, code = %failed.code,
                        "delete failed: {}; the message will be redelivered", failed.message
                    );
                    let error = format!("{}: {}", failed.code, failed.message);
                    runner.emit_task(&entry.info, |task| TaskEvent::AckFailed { task, error });
                }
            }
        }
        Err(e) => {
            tracing::warn!(queue = %runner.queue, entries = batch.len(), "delete batch failed: {e}; the messages will be redelivered");
            for entry in batch.iter() {
                inc(&counters.ack_failed);
                runner.emit_task(&entry.info, |task| TaskEvent::AckFailed { task, error: e.to_string() });
            }
        }
    }
    batch.clear();
}
