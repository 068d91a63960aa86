//! Shared helpers of the worker runtime's integration tests.
#![allow(dead_code)]

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use bus_core::backend::{
    BatchEntry, BatchEntryError, BatchOutcome, PublishBatchOutput, PublishReceipt, QueueSpec, Topology,
};
use bus_core::worker::{TaskEvent, TaskFailure, TaskObserver};
use bus_core::{
    Backend, BusError, Delivery, Event, Message, Publisher, ReceiptHandle, ReceiveOptions, Subscription,
    TASK_WORKER_FAILED,
};
use tokio::time::Instant;

/// The work queue, its dead-letter queue, and the failure topic of every test.
pub const QUEUE: &str = "work";
pub const DLQ: &str = "work-dlq";
pub const TOPIC: &str = "events";
pub const VISIBILITY: Duration = Duration::from_secs(30);

/// A fresh backend with `events` and the queues `work` (30 s visibility, redrive to `work-dlq`
/// after `max_receive_count`) and `other`.
pub async fn backend(max_receive_count: u32) -> Arc<dyn Backend> {
    let backend: Arc<dyn Backend> = Arc::new(bus_memory::MemoryBackend::new());
    let topology = Topology::new()
        .topic(TOPIC)
        .queue(QueueSpec::new(DLQ))
        .queue(QueueSpec::new(QUEUE).with_visibility_timeout(VISIBILITY).with_dead_letter_queue(DLQ, max_receive_count))
        .queue(QueueSpec::new("other").with_visibility_timeout(VISIBILITY));
    backend.apply_topology(&topology).await.unwrap();
    backend
}

/// An event message.
pub fn event(event_type: &str, data: serde_json::Value) -> Message {
    Event::new(event_type, data).to_message().unwrap()
}

/// Polls `done` every 100 ms of (virtual) time until it holds or `limit` passes.
pub async fn wait_for(limit: Duration, mut done: impl FnMut() -> bool) -> bool {
    let end = Instant::now() + limit;
    while Instant::now() < end {
        if done() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    done()
}

/// Receives everything visible in `queue` (without deleting it).
pub async fn peek_all(backend: &Arc<dyn Backend>, queue: &str) -> Vec<Delivery> {
    let sub = backend.subscription(queue).await.unwrap();
    let mut all = Vec::new();
    loop {
        let batch = sub
            .receive(ReceiveOptions::new(10, Duration::ZERO).with_visibility_timeout(Duration::from_secs(3600)))
            .await
            .unwrap();
        if batch.is_empty() {
            return all;
        }
        all.extend(batch);
    }
}

/// Records every task event with the (virtual) instant it happened.
#[derive(Debug, Default)]
pub struct Recorder {
    pub events: Mutex<Vec<(Instant, TaskEvent)>>,
}

impl Recorder {
    pub fn new() -> Arc<Self> {
        Arc::new(Recorder::default())
    }

    pub fn events(&self) -> Vec<(Instant, TaskEvent)> {
        self.events.lock().unwrap().clone()
    }

    /// The instants at which `Received` events happened, in order.
    pub fn receive_times(&self) -> Vec<(Instant, u32)> {
        self.events()
            .into_iter()
            .filter_map(|(at, e)| match e {
                TaskEvent::Received(t) => Some((at, t.receive_count)),
                _ => None,
            })
            .collect()
    }

    pub fn failures(&self) -> Vec<TaskFailure> {
        self.events()
            .into_iter()
            .filter_map(|(_, e)| match e {
                TaskEvent::Failed { failure, .. } => Some(failure),
                _ => None,
            })
            .collect()
    }
}

impl TaskObserver for Recorder {
    fn on_event(&self, event: &TaskEvent) {
        self.events.lock().unwrap().push((Instant::now(), event.clone()));
    }
}

/// Forwards observer calls to a shared recorder.
pub fn observe(recorder: &Arc<Recorder>) -> impl TaskObserver {
    let r = recorder.clone();
    move |e: &TaskEvent| r.on_event(e)
}

/// A publisher that records what it publishes, and fails on demand.
#[derive(Debug)]
pub struct RecordingPublisher {
    pub inner: Arc<dyn Publisher>,
    pub fail: AtomicBool,
    pub published: Mutex<Vec<(String, Message)>>,
}

impl RecordingPublisher {
    pub fn new(inner: Arc<dyn Publisher>) -> Arc<Self> {
        Arc::new(RecordingPublisher { inner, fail: AtomicBool::new(false), published: Mutex::default() })
    }

    /// The data of every `TASK_WORKER_FAILED` event published.
    pub fn failures(&self) -> Vec<TaskFailure> {
        self.published
            .lock()
            .unwrap()
            .iter()
            .map(|(_, m)| {
                let e = Event::from_body(&m.body).unwrap();
                assert_eq!(e.event_type, TASK_WORKER_FAILED);
                assert_eq!(m.attributes["event-type"].as_str(), Some(TASK_WORKER_FAILED));
                e.decode::<TaskFailure>().unwrap().data
            })
            .collect()
    }
}

#[async_trait]
impl Publisher for RecordingPublisher {
    async fn publish(&self, topic: &str, message: Message) -> Result<PublishReceipt, BusError> {
        if self.fail.load(SeqCst) {
            return Err(BusError::Backend {
                service: "sns",
                code: Some("InternalError".into()),
                request_id: None,
                message: "injected publish failure".into(),
                source: None,
            });
        }
        self.published.lock().unwrap().push((topic.to_owned(), message.clone()));
        self.inner.publish(topic, message).await
    }

    async fn publish_batch(&self, topic: &str, entries: Vec<BatchEntry>) -> Result<PublishBatchOutput, BusError> {
        self.inner.publish_batch(topic, entries).await
    }
}

/// A subscription wrapper that injects failures and records receive sizes.
#[derive(Debug)]
pub struct Faulty {
    pub inner: Arc<dyn Subscription>,
    /// Visibility changes fail while set (single calls with an error, batches entry by entry).
    pub fail_visibility: AtomicBool,
    /// This many next receives fail.
    pub fail_receives: AtomicU32,
    /// The largest `max_messages` asked for.
    pub max_requested: AtomicUsize,
    /// Receives that returned more than they were asked for (must stay 0).
    pub over_delivered: AtomicUsize,
    /// Every delete entry fails while set.
    pub fail_acks: AtomicBool,
    /// When not 0, every n-th delete entry fails.
    pub fail_every_nth_ack: AtomicUsize,
    acks_seen: AtomicUsize,
    /// The size of every delete batch.
    pub ack_batches: Mutex<Vec<usize>>,
    /// The size of every visibility change batch.
    pub visibility_batches: Mutex<Vec<usize>>,
    /// Visibility changes of these receipt handles fail.
    pub fail_receipts: Mutex<HashSet<String>>,
}

impl Faulty {
    pub fn new(inner: Arc<dyn Subscription>) -> Arc<Self> {
        Arc::new(Faulty {
            inner,
            fail_visibility: AtomicBool::new(false),
            fail_receives: AtomicU32::new(0),
            max_requested: AtomicUsize::new(0),
            over_delivered: AtomicUsize::new(0),
            fail_acks: AtomicBool::new(false),
            fail_every_nth_ack: AtomicUsize::new(0),
            acks_seen: AtomicUsize::new(0),
            ack_batches: Mutex::default(),
            visibility_batches: Mutex::default(),
            fail_receipts: Mutex::default(),
        })
    }
}

fn injected(what: &str) -> BusError {
    BusError::Backend {
        service: "sqs",
        code: Some("ServiceUnavailable".into()),
        request_id: None,
        message: format!("injected {what} failure"),
        source: None,
    }
}

#[async_trait]
impl Subscription for Faulty {
    fn queue(&self) -> &str {
        self.inner.queue()
    }

    async fn receive(&self, options: ReceiveOptions) -> Result<Vec<Delivery>, BusError> {
        self.max_requested.fetch_max(options.max_messages, SeqCst);
        if self.fail_receives.fetch_update(SeqCst, SeqCst, |n| n.checked_sub(1)).is_ok() {
            return Err(injected("receive"));
        }
        let out = self.inner.receive(options).await?;
        if out.len() > options.max_messages {
            self.over_delivered.fetch_add(1, SeqCst);
        }
        Ok(out)
    }

    async fn ack(&self, receipt: &ReceiptHandle) -> Result<(), BusError> {
        self.inner.ack(receipt).await
    }

    async fn ack_batch(&self, entries: Vec<(String, ReceiptHandle)>) -> Result<BatchOutcome, BusError> {
        self.ack_batches.lock().unwrap().push(entries.len());
        let nth = self.fail_every_nth_ack.load(SeqCst);
        let mut failed = Vec::new();
        let mut passed = Vec::new();
        for entry in entries {
            let seen = self.acks_seen.fetch_add(1, SeqCst) + 1;
            if self.fail_acks.load(SeqCst) || (nth > 0 && seen % nth == 0) {
                failed.push(BatchEntryError::from_error(entry.0, &injected("delete")));
            } else {
                passed.push(entry);
            }
        }
        let mut outcome =
            if passed.is_empty() { BatchOutcome::default() } else { self.inner.ack_batch(passed).await? };
        outcome.failed.extend(failed);
        Ok(outcome)
    }

    async fn change_visibility(&self, receipt: &ReceiptHandle, timeout: Duration) -> Result<(), BusError> {
        if self.fail_visibility.load(SeqCst) || self.fail_receipts.lock().unwrap().contains(receipt.as_str()) {
            return Err(injected("change visibility"));
        }
        self.inner.change_visibility(receipt, timeout).await
    }

    async fn change_visibility_batch(
        &self,
        entries: Vec<(String, ReceiptHandle, Duration)>,
    ) -> Result<BatchOutcome, BusError> {
        self.visibility_batches.lock().unwrap().push(entries.len());
        let fail_all = self.fail_visibility.load(SeqCst);
        let (failing, passing): (Vec<_>, Vec<_>) = {
            let fail_receipts = self.fail_receipts.lock().unwrap();
            entries.into_iter().partition(|e| fail_all || fail_receipts.contains(e.1.as_str()))
        };
        let mut outcome = if passing.is_empty() {
            BatchOutcome::default()
        } else {
            self.inner.change_visibility_batch(passing).await?
        };
        outcome
            .failed
            .extend(failing.into_iter().map(|e| BatchEntryError::from_error(e.0, &injected("change visibility"))));
        Ok(outcome)
    }
}

/// Waits until `queue` holds `n` messages in all (visible, in flight or delayed).
pub async fn wait_queue_total(backend: &Arc<dyn Backend>, queue: &str, n: u64, limit: Duration) -> bool {
    let end = Instant::now() + limit;
    loop {
        if backend.queue_stats(queue).await.unwrap().total() == n {
            return true;
        }
        if Instant::now() >= end {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Counts handlers running at once, and the most ever.
#[derive(Debug, Default)]
pub struct Gauge {
    /// Handlers running now.
    pub now: std::sync::atomic::AtomicUsize,
    /// The most ever running at once.
    pub max: std::sync::atomic::AtomicUsize,
}

impl Gauge {
    /// A handler starts.
    pub fn enter(&self) {
        use std::sync::atomic::Ordering::SeqCst;
        let now = self.now.fetch_add(1, SeqCst) + 1;
        self.max.fetch_max(now, SeqCst);
    }

    /// A handler ends.
    pub fn leave(&self) {
        self.now.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
    }
}
