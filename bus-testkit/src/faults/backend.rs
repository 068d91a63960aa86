//! [`FaultyBackend`] and [`FaultyPublisher`]: the backend and publisher decorators of a fault plan.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use bus_core::backend::{BatchEntry, PublishBatchOutput, PublishReceipt, QueueStats};
use bus_core::{Backend, BusError, Message, Publisher, Subscription, Topology};

use super::log::FaultLog;
use super::plan::{Call, FaultPlan, FaultPlanError};
use super::schedule::FaultSchedule;
use super::subscription::FaultySubscription;

/// A [`Backend`] decorator: its subscriptions are [`FaultySubscription`]s, its publisher a
/// [`FaultyPublisher`], and `send` fails on [`Call::Send`] faults, all driven by one [`FaultSchedule`].
///
/// ```
/// use std::sync::Arc;
/// use bus_core::{Backend, PublisherExt, Topology};
/// use bus_core::backend::QueueSpec;
/// use bus_testkit::faults::{Call, FaultPlan, FaultyBackend};
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// let memory = Arc::new(bus_memory::MemoryBackend::new());
/// let backend = FaultyBackend::new(memory, FaultPlan::new(7).fail_nth(Call::Publish, 2)).unwrap();
/// backend.apply_topology(&Topology::new().topic("events").queue(QueueSpec::new("q")).subscribe("events", "q"))
///     .await.unwrap();
/// let publisher = backend.publisher();
/// assert!(publisher.publish_data("events", "A", 1).await.is_ok());
/// let err = publisher.publish_data("events", "B", 2).await.unwrap_err();
/// assert!(err.to_string().contains("injected fault: publish call 2 fails"));
/// assert_eq!(backend.log().events().len(), 1);
/// # }
/// ```
#[derive(Debug)]
pub struct FaultyBackend {
    inner: Arc<dyn Backend>,
    schedule: Arc<FaultSchedule>,
    subscriptions: Mutex<Vec<Arc<FaultySubscription>>>,
}

impl FaultyBackend {
    /// Wraps `inner` with the faults of `plan`.
    pub fn new(inner: Arc<dyn Backend>, plan: FaultPlan) -> Result<Self, FaultPlanError> {
        Ok(Self::with_schedule(inner, FaultSchedule::new(plan)?))
    }

    /// Wraps `inner` with a schedule shared with other decorators (a [`faulty_router`](super::faulty_router)).
    pub fn with_schedule(inner: Arc<dyn Backend>, schedule: Arc<FaultSchedule>) -> Self {
        FaultyBackend { inner, schedule, subscriptions: Mutex::default() }
    }

    /// The schedule.
    pub fn schedule(&self) -> &Arc<FaultSchedule> {
        &self.schedule
    }

    /// The log of injected faults.
    pub fn log(&self) -> &FaultLog {
        self.schedule.log()
    }

    /// Deliveries held back by the subscriptions handed out so far (duplicates, reordered batches).
    pub fn pending(&self) -> usize {
        self.subscriptions.lock().unwrap_or_else(PoisonError::into_inner).iter().map(|s| s.pending()).sum()
    }
}

#[async_trait]
impl Backend for FaultyBackend {
    fn name(&self) -> &'static str {
        "faulty"
    }

    async fn apply_topology(&self, topology: &Topology) -> Result<(), BusError> {
        self.inner.apply_topology(topology).await
    }

    fn publisher(&self) -> Arc<dyn Publisher> {
        Arc::new(FaultyPublisher::new(self.inner.publisher(), self.schedule.clone()))
    }

    async fn subscription(&self, queue: &str) -> Result<Arc<dyn Subscription>, BusError> {
        let sub = Arc::new(FaultySubscription::new(self.inner.subscription(queue).await?, self.schedule.clone()));
        self.subscriptions.lock().unwrap_or_else(PoisonError::into_inner).push(sub.clone());
        Ok(sub)
    }

    async fn send(&self, queue: &str, message: Message, delay: Option<Duration>) -> Result<String, BusError> {
        if let Some(err) = self.schedule.fail_call(Call::Send, queue) {
            return Err(err);
        }
        self.inner.send(queue, message, delay).await
    }

    async fn queue_stats(&self, queue: &str) -> Result<QueueStats, BusError> {
        self.inner.queue_stats(queue).await
    }

    async fn purge(&self, queue: &str) -> Result<(), BusError> {
        self.inner.purge(queue).await
    }
}

/// A [`Publisher`] decorator that fails publishes on [`Call::Publish`] faults (targets are topics).
/// A failed call publishes nothing.
#[derive(Debug)]
pub struct FaultyPublisher {
    inner: Arc<dyn Publisher>,
    schedule: Arc<FaultSchedule>,
}

impl FaultyPublisher {
    /// Wraps `inner`.
    pub fn new(inner: Arc<dyn Publisher>, schedule: Arc<FaultSchedule>) -> Self {
        FaultyPublisher { inner, schedule }
    }
}

#[async_trait]
impl Publisher for FaultyPublisher {
    async fn publish(&self, topic: &str, message: Message) -> Result<PublishReceipt, BusError> {
        if let Some(err) = self.schedule.fail_call(Call::Publish, topic) {
            return Err(err);
        }
        self.inner.publish(topic, message).await
    }

    async fn publish_batch(&self, topic: &str, entries: Vec<BatchEntry>) -> Result<PublishBatchOutput, BusError> {
        if let Some(err) = self.schedule.fail_call(Call::Publish, topic) {
            return Err(err);
        }
        self.inner.publish_batch(topic, entries).await
    }
}
