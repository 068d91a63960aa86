//! The test harness: [`TestBus`], a memory backend with your topology and handlers on paused tokio
//! time, recording everything, with assertions that explain themselves when they fail.
//!
//! What it records ([`Records`]):
//! - **published**: every message handed to its publisher (or `send`), with the topic and the result;
//! - **filtered out**: for each published message, the subscriptions whose filter policy rejected it
//!   (worked out with `bus-core`'s engine on the topology, as SNS would);
//! - **delivered**, per queue: each message with every receive (duplicates included), the outcome of each
//!   task (completed, retried, failed with its `TASK_WORKER_FAILED` summary, ignored, released) and
//!   whether an acknowledgement succeeded;
//! - **dead-lettered**: what each queue's redrive moved to its dead-letter queue;
//! - **faults**: what a [`FaultPlan`](crate::faults::FaultPlan) injected.
//!
//! Queues without a handler (dead-letter queues included) are read by the bus itself, so they are
//! recorded too (turn it off with [`TestBusBuilder::consume_unhandled`]).
//!
//! ```
//! use bus_core::backend::{QueueSpec, Topology};
//! use bus_core::worker::{Outcome, Router, Task};
//! use bus_testkit::{EventMatch, TestBus};
//! use serde_json::json;
//!
//! # #[tokio::main(flavor = "current_thread", start_paused = true)]
//! # async fn main() -> Result<(), bus_testkit::TestBusError> {
//! let topology = Topology::new()
//!     .topic("events")
//!     .queue(QueueSpec::new("email-dlq"))
//!     .queue(QueueSpec::new("email").with_dead_letter_queue("email-dlq", 3))
//!     .subscribe_with_policy("events", "email", json!({"event-type": ["USER_CREATED"]}));
//! let router = Router::new().on("USER_CREATED", |task: Task| async move {
//!     if task.data()["email"].as_str().is_some_and(|e| e.contains('@')) {
//!         Ok(Outcome::Complete)
//!     } else {
//!         Err("no valid email".into())
//!     }
//! });
//! let bus = TestBus::builder().topology(topology).handler("email", router).failure_topic("events").build().await?;
//!
//! bus.publish("events", "USER_CREATED", json!({"id": 1, "email": "a@example.com"})).await?;
//! bus.publish("events", "USER_CREATED", json!({"id": 2, "email": "nope"})).await?;
//! bus.publish("events", "USER_COMMENT", json!({"id": 3})).await?;
//! bus.wait_until_idle().await?;
//!
//! bus.assert_completed("email", EventMatch::of_type("USER_CREATED").with_data(json!({"id": 1})));
//! bus.assert_failed("email", EventMatch::of_type("USER_CREATED").with_data(json!({"id": 2})));
//! bus.assert_dead_lettered("email", EventMatch::any().with_data(json!({"id": 2})));
//! bus.assert_not_delivered("email", "USER_COMMENT");
//! bus.assert_filtered_out("email", "USER_COMMENT");
//! bus.assert_published("events", "TASK_WORKER_FAILED"); // one per failed attempt
//! # Ok(())
//! # }
//! ```

mod assert;
mod builder;
mod diff;
mod error;
mod idle;
mod matcher;
mod record;
mod routes;
mod tap;

use std::sync::Arc;
use std::time::Duration;

use bus_core::backend::PublishReceipt;
use bus_core::worker::{MetricsSnapshot, ShutdownReport, WorkerPool};
use bus_core::{Backend, BusError, Event, Message, Publisher, PublisherExt};
use bus_memory::MemoryBackend;
use serde::Serialize;

pub use builder::TestBusBuilder;
pub use diff::{subset_mismatches, Mismatch};
pub use error::TestBusError;
pub use idle::NotIdle;
pub use matcher::EventMatch;
pub use record::{DeadLetter, Destination, FilteredOut, Published, QueueMessage, Receive, Records, TaskOutcome};

use crate::faults::{FaultEvent, FaultyBackend};
use record::Recorder;

/// A memory backend with a topology, the application's handlers and runners, on paused tokio time,
/// recording everything. See the [module docs](self) for an example.
///
/// Dropping it stops the handlers and the bus's own queue readers.
#[derive(Debug)]
pub struct TestBus {
    memory: MemoryBackend,
    backend: Arc<dyn Backend>,
    faulty: Option<Arc<FaultyBackend>>,
    recorder: Arc<Recorder>,
    pool: Option<WorkerPool>,
    sinks: builder::Sinks,
    consumed: Vec<String>,
    idle_timeout: Duration,
    idle_poll: Duration,
}

impl Drop for TestBus {
    fn drop(&mut self) {
        for sink in &self.sinks {
            sink.abort();
        }
    }
}

impl TestBus {
    /// A builder.
    pub fn builder() -> TestBusBuilder {
        TestBusBuilder::default()
    }

    /// The backend the handlers use: the memory backend behind the recording taps (and the faults, when
    /// a plan is configured). Publish through it (or [`publisher`](Self::publisher)) to be recorded.
    pub fn backend(&self) -> Arc<dyn Backend> {
        self.backend.clone()
    }

    /// The memory backend itself, unrecorded and without faults.
    pub fn memory(&self) -> &MemoryBackend {
        &self.memory
    }

    /// A recorded publisher.
    pub fn publisher(&self) -> Arc<dyn Publisher> {
        self.backend.publisher()
    }

    /// Publishes an event of `event_type` with `data` to `topic`.
    pub async fn publish<T: Serialize + Send + Sync>(
        &self,
        topic: &str,
        event_type: &str,
        data: T,
    ) -> Result<PublishReceipt, BusError> {
        self.publisher().publish_data(topic, event_type, data).await
    }

    /// Publishes an event to `topic`.
    pub async fn publish_event<T: Serialize + Sync>(
        &self,
        topic: &str,
        event: &Event<T>,
    ) -> Result<PublishReceipt, BusError> {
        self.publisher().publish_event(topic, event).await
    }

    /// Publishes a message to `topic`.
    pub async fn publish_message(&self, topic: &str, message: Message) -> Result<PublishReceipt, BusError> {
        self.publisher().publish(topic, message).await
    }

    /// A snapshot of everything recorded so far.
    pub fn records(&self) -> Records {
        self.recorder.snapshot(self.faults())
    }

    /// The faults injected so far (empty without a fault plan).
    pub fn faults(&self) -> Vec<FaultEvent> {
        self.faulty.as_ref().map(|f| f.log().events()).unwrap_or_default()
    }

    /// The worker pool running the handlers (`None` without handlers).
    pub fn pool(&self) -> Option<&WorkerPool> {
        self.pool.as_ref()
    }

    /// The worker pool's counters (all zero without handlers).
    pub fn metrics(&self) -> MetricsSnapshot {
        self.pool.as_ref().map(WorkerPool::metrics).unwrap_or_default()
    }

    /// Virtual time since the bus was built.
    pub fn elapsed(&self) -> Duration {
        self.recorder.elapsed()
    }

    /// A counter that grows with every recorded change (to see whether anything happened).
    pub fn changes(&self) -> u64 {
        self.recorder.changes()
    }

    /// Stops the handlers (letting running ones finish within the pool's shutdown timeout) and the
    /// bus's own queue readers.
    pub async fn shutdown(&self) -> ShutdownReport {
        for sink in &self.sinks {
            sink.abort();
        }
        match &self.pool {
            Some(pool) => pool.shutdown().await,
            None => ShutdownReport::default(),
        }
    }

    /// See [`Records::assert_published`].
    #[track_caller]
    pub fn assert_published(&self, topic: &str, matcher: impl Into<EventMatch>) {
        self.records().assert_published(topic, matcher);
    }

    /// See [`Records::assert_delivered`].
    #[track_caller]
    pub fn assert_delivered(&self, queue: &str, matcher: impl Into<EventMatch>) {
        self.records().assert_delivered(queue, matcher);
    }

    /// See [`Records::assert_not_delivered`].
    #[track_caller]
    pub fn assert_not_delivered(&self, queue: &str, matcher: impl Into<EventMatch>) {
        self.records().assert_not_delivered(queue, matcher);
    }

    /// See [`Records::assert_delivered_count`].
    #[track_caller]
    pub fn assert_delivered_count(&self, queue: &str, matcher: impl Into<EventMatch>, n: usize) {
        self.records().assert_delivered_count(queue, matcher, n);
    }

    /// See [`Records::assert_completed`].
    #[track_caller]
    pub fn assert_completed(&self, queue: &str, matcher: impl Into<EventMatch>) {
        self.records().assert_completed(queue, matcher);
    }

    /// See [`Records::assert_failed`].
    #[track_caller]
    pub fn assert_failed(&self, queue: &str, matcher: impl Into<EventMatch>) {
        self.records().assert_failed(queue, matcher);
    }

    /// See [`Records::assert_no_failures`].
    #[track_caller]
    pub fn assert_no_failures(&self) {
        self.records().assert_no_failures();
    }

    /// See [`Records::assert_dead_lettered`].
    #[track_caller]
    pub fn assert_dead_lettered(&self, queue: &str, matcher: impl Into<EventMatch>) {
        self.records().assert_dead_lettered(queue, matcher);
    }

    /// See [`Records::assert_not_dead_lettered`].
    #[track_caller]
    pub fn assert_not_dead_lettered(&self, queue: &str, matcher: impl Into<EventMatch>) {
        self.records().assert_not_dead_lettered(queue, matcher);
    }

    /// See [`Records::assert_filtered_out`].
    #[track_caller]
    pub fn assert_filtered_out(&self, queue: &str, matcher: impl Into<EventMatch>) {
        self.records().assert_filtered_out(queue, matcher);
    }
}
