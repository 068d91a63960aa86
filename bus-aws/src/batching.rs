//! [`BatchingPublisher`]: an auto-batching [`Publisher`] that turns single publishes into `PublishBatch`
//! calls of up to 10 entries, cutting SNS requests (and their cost) by up to 10×.
//!
//! Each `publish` is validated locally, then queued on a bounded channel (a full channel makes callers
//! wait: back-pressure). A background task collects the messages per topic and sends a batch when it
//! holds `max_entries` messages, when the next message would take it over the 256 KiB batch limit, or
//! when its oldest message has waited `linger`. Every caller gets its own message's result back: its
//! receipt, or the error of its entry (or of the whole request). Batches of a FIFO topic are sent one
//! after another, in order, so that per-group ordering is kept; other topics' batches run concurrently,
//! up to `max_in_flight` requests.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use bus_core::backend::{BatchEntry, PublishBatchOutput, PublishReceipt};
use bus_core::{limits, BusError, Message, Publisher};
use tokio::sync::{mpsc, oneshot, Semaphore};
use tokio::task::{JoinHandle, JoinSet};
use tokio::time::Instant;

use crate::error::{entry_error, Service, Subject};
use crate::publisher::{is_fifo, validate_for_topic};

/// Settings of a [`BatchingPublisher`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchingConfig {
    /// Entries per batch, 1-10 (default 10).
    pub max_entries: usize,
    /// How long the first message of a batch may wait for more (default 20 ms).
    pub linger: Duration,
    /// Total message bytes per batch (default and maximum 256 KiB, the `PublishBatch` limit).
    pub max_batch_bytes: usize,
    /// Messages that may wait in the channel before `publish` waits (default 1,000).
    pub channel_capacity: usize,
    /// Concurrent `PublishBatch` requests (default 8).
    pub max_in_flight: usize,
}

impl Default for BatchingConfig {
    fn default() -> Self {
        BatchingConfig {
            max_entries: limits::MAX_BATCH_ENTRIES,
            linger: Duration::from_millis(20),
            max_batch_bytes: limits::SNS_MAX_BATCH_BYTES,
            channel_capacity: 1_000,
            max_in_flight: 8,
        }
    }
}

impl BatchingConfig {
    /// Sets the linger time.
    pub fn with_linger(mut self, linger: Duration) -> Self {
        self.linger = linger;
        self
    }

    /// Sets the entries per batch (clamped to 1-10).
    pub fn with_max_entries(mut self, n: usize) -> Self {
        self.max_entries = n;
        self
    }

    /// Sets the channel capacity (at least 1).
    pub fn with_channel_capacity(mut self, n: usize) -> Self {
        self.channel_capacity = n;
        self
    }

    /// Sets the number of concurrent requests (at least 1).
    pub fn with_max_in_flight(mut self, n: usize) -> Self {
        self.max_in_flight = n;
        self
    }

    fn clamped(self) -> Self {
        BatchingConfig {
            max_entries: self.max_entries.clamp(1, limits::MAX_BATCH_ENTRIES),
            linger: self.linger,
            max_batch_bytes: self.max_batch_bytes.clamp(1, limits::SNS_MAX_BATCH_BYTES),
            channel_capacity: self.channel_capacity.max(1),
            max_in_flight: self.max_in_flight.max(1),
        }
    }
}

type Reply = oneshot::Sender<Result<PublishReceipt, BusError>>;

struct Request {
    topic: String,
    message: Message,
    reply: Reply,
}

/// An auto-batching publisher: single publishes become `PublishBatch` calls of up to 10 entries.
///
/// Each `publish` is validated locally, then queued on a bounded channel (when it is full, callers
/// wait: back-pressure). A background task collects messages per topic and sends a batch when it holds
/// [`BatchingConfig::max_entries`] messages, when the next message would take it over the 256 KiB batch
/// limit, or when its oldest message has waited [`BatchingConfig::linger`]. Every caller gets its own
/// message's result: its receipt, or the error of its entry (or of the whole request). Batches of a
/// FIFO topic are sent one after another, in order, keeping per-group order; other batches run
/// concurrently, up to [`BatchingConfig::max_in_flight`] requests.
///
/// `publish_batch` calls go straight to the inner publisher. Call [`close`](Self::close) to send what is
/// pending and wait for it; dropping the publisher also sends what is pending, in the background.
pub struct BatchingPublisher {
    inner: Arc<dyn Publisher>,
    tx: Mutex<Option<mpsc::Sender<Request>>>,
    task: Mutex<Option<JoinHandle<()>>>,
    config: BatchingConfig,
}

impl fmt::Debug for BatchingPublisher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BatchingPublisher").field("inner", &self.inner).field("config", &self.config).finish()
    }
}

impl BatchingPublisher {
    /// Wraps `inner`; spawns the batching task on the current tokio runtime.
    pub fn new(inner: Arc<dyn Publisher>, config: BatchingConfig) -> Self {
        let config = config.clamped();
        let (tx, rx) = mpsc::channel(config.channel_capacity);
        let task = tokio::spawn(run(inner.clone(), rx, config));
        BatchingPublisher { inner, tx: Mutex::new(Some(tx)), task: Mutex::new(Some(task)), config }
    }

    /// The settings in force.
    pub fn config(&self) -> BatchingConfig {
        self.config
    }

    /// Stops accepting messages, sends every pending batch and waits until all requests finished.
    /// Later `publish` calls fail with [`BusError::Closed`].
    pub async fn close(&self) {
        drop(self.tx.lock().unwrap_or_else(|p| p.into_inner()).take());
        let task = self.task.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(task) = task {
            if let Err(e) = task.await {
                tracing::error!(error = %e, "batching task failed");
            }
        }
    }
}

#[async_trait]
impl Publisher for BatchingPublisher {
    async fn publish(&self, topic: &str, message: Message) -> Result<PublishReceipt, BusError> {
        validate_for_topic(topic, &message)?;
        let tx = self.tx.lock().unwrap_or_else(|p| p.into_inner()).clone().ok_or(BusError::Closed)?;
        let (reply, rx) = oneshot::channel();
        tx.send(Request { topic: topic.to_owned(), message, reply }).await.map_err(|_| BusError::Closed)?;
        rx.await.map_err(|_| BusError::Closed)?
    }

    async fn publish_batch(&self, topic: &str, entries: Vec<BatchEntry>) -> Result<PublishBatchOutput, BusError> {
        self.inner.publish_batch(topic, entries).await
    }
}

/// Messages of one topic waiting to be sent.
struct Pending {
    entries: Vec<(Message, Reply)>,
    bytes: usize,
    deadline: Instant,
}

/// The batching task.
async fn run(inner: Arc<dyn Publisher>, mut rx: mpsc::Receiver<Request>, config: BatchingConfig) {
    let mut flusher = Flusher {
        inner,
        permits: Arc::new(Semaphore::new(config.max_in_flight)),
        fifo_chains: HashMap::new(),
        tasks: JoinSet::new(),
    };
    let mut pending: HashMap<String, Pending> = HashMap::new();
    loop {
        while flusher.tasks.try_join_next().is_some() {}
        let now = Instant::now();
        let due: Vec<String> = pending.iter().filter(|(_, p)| p.deadline <= now).map(|(t, _)| t.clone()).collect();
        for topic in due {
            let batch = pending.remove(&topic).map(|p| p.entries).unwrap_or_default();
            flusher.flush(&topic, batch).await;
        }
        let next_deadline = pending.values().map(|p| p.deadline).min();
        tokio::select! {
            request = rx.recv() => match request {
                Some(Request { topic, message, reply }) => {
                    let size = message.wire_size();
                    if let Some(p) = pending.get(&topic) {
                        if p.bytes + size > config.max_batch_bytes {
                            let batch = pending.remove(&topic).map(|p| p.entries).unwrap_or_default();
                            flusher.flush(&topic, batch).await;
                        }
                    }
                    let p = pending.entry(topic.clone()).or_insert_with(|| Pending {
                        entries: Vec::with_capacity(config.max_entries),
                        bytes: 0,
                        deadline: Instant::now() + config.linger,
                    });
                    p.entries.push((message, reply));
                    p.bytes += size;
                    if p.entries.len() >= config.max_entries {
                        let batch = pending.remove(&topic).map(|p| p.entries).unwrap_or_default();
                        flusher.flush(&topic, batch).await;
                    }
                }
                None => break,
            },
            // Due batches are sent at the top of the loop.
            _ = sleep_until(next_deadline), if next_deadline.is_some() => {},
        }
    }
    for (topic, p) in pending.drain() {
        flusher.flush(&topic, p.entries).await;
    }
    while flusher.tasks.join_next().await.is_some() {}
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d).await,
        None => std::future::pending().await,
    }
}

struct Flusher {
    inner: Arc<dyn Publisher>,
    permits: Arc<Semaphore>,
    /// For each FIFO topic, a receiver that resolves when its last batch finished.
    fifo_chains: HashMap<String, oneshot::Receiver<()>>,
    tasks: JoinSet<()>,
}

impl Flusher {
    /// Sends one batch in the background; waits for a free request slot first (back-pressure).
    async fn flush(&mut self, topic: &str, batch: Vec<(Message, Reply)>) {
        if batch.is_empty() {
            return;
        }
        let Ok(permit) = self.permits.clone().acquire_owned().await else {
            return;
        };
        let (previous, done) = if is_fifo(topic) {
            let (tx, rx) = oneshot::channel();
            (self.fifo_chains.insert(topic.to_owned(), rx), Some(tx))
        } else {
            (None, None)
        };
        let inner = self.inner.clone();
        let topic = topic.to_owned();
        self.tasks.spawn(async move {
            if let Some(previous) = previous {
                let _ = previous.await;
            }
            send_batch(&*inner, &topic, batch).await;
            drop(permit);
            drop(done);
        });
    }
}

/// Sends one batch and hands each caller its own result.
async fn send_batch(inner: &dyn Publisher, topic: &str, batch: Vec<(Message, Reply)>) {
    let mut replies: HashMap<String, Reply> = HashMap::with_capacity(batch.len());
    let mut entries = Vec::with_capacity(batch.len());
    for (i, (message, reply)) in batch.into_iter().enumerate() {
        let id = i.to_string();
        replies.insert(id.clone(), reply);
        entries.push(BatchEntry::new(id, message));
    }
    tracing::trace!(topic, entries = entries.len(), "sending PublishBatch");
    match inner.publish_batch(topic, entries).await {
        Ok(out) => {
            for (id, receipt) in out.successful {
                if let Some(r) = replies.remove(&id) {
                    let _ = r.send(Ok(receipt));
                }
            }
            for f in out.failed {
                if let Some(r) = replies.remove(&f.id) {
                    let _ = r.send(Err(entry_error(Service::Sns, Subject::Topic(topic), &f.code, &f.message)));
                }
            }
            for (id, r) in replies {
                let _ = r.send(Err(BusError::Backend {
                    service: "sns",
                    code: None,
                    request_id: None,
                    message: format!("PublishBatch returned no result for entry {id}"),
                    source: None,
                }));
            }
        }
        Err(e) => {
            tracing::warn!(topic, error = %e, "PublishBatch failed for the whole batch");
            let shared = Arc::new(e);
            for (_, r) in replies {
                let _ = r.send(Err(share_error(&shared)));
            }
        }
    }
}

/// The error of a whole failed batch, shared by all its callers.
#[derive(Debug)]
struct SharedError(Arc<BusError>);

impl fmt::Display for SharedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&*self.0, f)
    }
}

impl std::error::Error for SharedError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0.source()
    }
}

/// One caller's copy of a whole-batch error: the typed variants callers match on are reproduced,
/// anything else becomes a backend error whose source is the shared original.
fn share_error(e: &Arc<BusError>) -> BusError {
    match &**e {
        BusError::TopicNotFound(t) => BusError::TopicNotFound(t.clone()),
        BusError::InvalidParameter { name, reason } => BusError::invalid_parameter(name.clone(), reason.clone()),
        BusError::BatchRequestTooLong { actual, limit } => {
            BusError::BatchRequestTooLong { actual: *actual, limit: *limit }
        }
        BusError::Closed => BusError::Closed,
        BusError::Backend { service, code, request_id, message, .. } => BusError::Backend {
            service,
            code: code.clone(),
            request_id: request_id.clone(),
            message: message.clone(),
            source: Some(Box::new(SharedError(e.clone()))),
        },
        other => BusError::Backend {
            service: "sns",
            code: Some(other.aws_code().to_owned()),
            request_id: None,
            message: other.to_string(),
            source: Some(Box::new(SharedError(e.clone()))),
        },
    }
}

#[cfg(test)]
#[path = "batching_tests.rs"]
mod tests;
