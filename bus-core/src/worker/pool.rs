//! [`WorkerPool`]: runs one runner per queue under a shared concurrency cap; start, stop, metrics.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::sync::{watch, Semaphore};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::config::{PoolConfig, QueueConfig};
use super::metrics::{Metrics, MetricsSnapshot};
use super::observer::TaskObserver;
use super::router::Router;
use super::runner::Runner;
use super::shutdown::{RunnerReport, ShutdownReport};
use crate::backend::{Backend, Publisher, Subscription};
use crate::error::BusError;

struct Running {
    stop: watch::Sender<Option<Instant>>,
    handle: JoinHandle<RunnerReport>,
}

/// Runs workers: one runner per queue, each with many handlers in flight, under a per-queue and a
/// global concurrency cap that is never exceeded.
///
/// See the [module documentation](super) for an example.
///
/// Dropping the pool stops its runners at once: in-flight handlers are dropped and their messages
/// released. Call [`shutdown`](Self::shutdown) to drain them instead.
pub struct WorkerPool {
    config: PoolConfig,
    runners: BTreeMap<String, Arc<Runner>>,
    running: Mutex<HashMap<String, Running>>,
    metrics: Arc<Metrics>,
    global_permits: Arc<Semaphore>,
}

impl fmt::Debug for WorkerPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WorkerPool")
            .field("config", &self.config)
            .field("queues", &self.runners.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl WorkerPool {
    /// A builder.
    pub fn builder() -> WorkerPoolBuilder {
        WorkerPoolBuilder::default()
    }

    fn running(&self) -> MutexGuard<'_, HashMap<String, Running>> {
        self.running.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Starts every runner that is not running.
    ///
    /// # Panics
    /// When called outside a Tokio runtime, like `tokio::spawn`.
    pub fn start(&self) {
        for queue in self.runners.keys() {
            self.spawn(queue);
        }
    }

    /// Starts the runner of `queue` (nothing happens if it is running).
    pub fn start_queue(&self, queue: &str) -> Result<(), BusError> {
        if !self.runners.contains_key(queue) {
            return Err(BusError::QueueNotFound(queue.to_owned()));
        }
        self.spawn(queue);
        Ok(())
    }

    fn spawn(&self, queue: &str) {
        let mut running = self.running();
        if running.get(queue).is_some_and(|r| !r.handle.is_finished()) {
            return;
        }
        let Some(runner) = self.runners.get(queue) else { return };
        let (stop, stop_rx) = watch::channel(None);
        let handle = tokio::spawn(runner.clone().run(stop_rx));
        running.insert(queue.to_owned(), Running { stop, handle });
    }

    /// Whether the runner of `queue` is running.
    pub fn is_running(&self, queue: &str) -> bool {
        self.running().get(queue).is_some_and(|r| !r.handle.is_finished())
    }

    /// The queues this pool consumes, sorted.
    pub fn queues(&self) -> Vec<&str> {
        self.runners.keys().map(String::as_str).collect()
    }

    /// The pool's configuration.
    pub fn config(&self) -> &PoolConfig {
        &self.config
    }

    /// Stops the runner of `queue`: it stops receiving, lets in-flight handlers finish until
    /// `deadline` from now, deletes what completed, and releases (visibility 0) what did not finish.
    ///
    /// A long poll in progress is abandoned. On the memory backend that takes nothing; on AWS, messages
    /// that the abandoned request was about to return come back when their visibility timeout runs out.
    pub async fn stop_queue(&self, queue: &str, deadline: Duration) -> Result<RunnerReport, BusError> {
        if !self.runners.contains_key(queue) {
            return Err(BusError::QueueNotFound(queue.to_owned()));
        }
        let running = self.running().remove(queue);
        Ok(match running {
            Some(r) => stop(queue, r, Instant::now() + deadline).await,
            None => RunnerReport { queue: queue.to_owned(), ..RunnerReport::default() },
        })
    }

    /// Stops every runner within the configured shutdown timeout (see [`shutdown_within`](Self::shutdown_within)).
    pub async fn shutdown(&self) -> ShutdownReport {
        self.shutdown_within(self.config.shutdown_timeout).await
    }

    /// Stops every runner at once: each stops receiving, lets its in-flight handlers finish until
    /// `deadline` from now, flushes its deletes, and releases (visibility 0) the messages of handlers
    /// that did not finish. The pool can be started again afterwards.
    pub async fn shutdown_within(&self, deadline: Duration) -> ShutdownReport {
        let deadline = Instant::now() + deadline;
        let running: Vec<(String, Running)> = self.running().drain().collect();
        let stops = running.into_iter().map(|(queue, r)| async move { stop(&queue, r, deadline).await });
        let mut queues = futures::future::join_all(stops).await;
        queues.sort_by(|a, b| a.queue.cmp(&b.queue));
        ShutdownReport { queues }
    }

    /// A snapshot of the counters, per queue and in total.
    pub fn metrics(&self) -> MetricsSnapshot {
        self.metrics.snapshot()
    }

    /// Handlers running now, over all queues.
    pub fn in_flight(&self) -> usize {
        self.metrics.snapshot().in_flight.current
    }

    /// Pool permits not held by a runner or a task (at most the global cap).
    pub fn available_permits(&self) -> usize {
        self.global_permits.available_permits()
    }
}

async fn stop(queue: &str, running: Running, deadline: Instant) -> RunnerReport {
    // A runner that has already ended has dropped its receiver: nothing to signal.
    let _ = running.stop.send(Some(deadline));
    match running.handle.await {
        Ok(report) => report,
        Err(e) => {
            tracing::error!(queue, "runner ended abnormally: {e}");
            RunnerReport { queue: queue.to_owned(), was_running: true, ..RunnerReport::default() }
        }
    }
}

/// Builds a [`WorkerPool`].
#[derive(Default)]
pub struct WorkerPoolBuilder {
    config: PoolConfig,
    backend: Option<Arc<dyn Backend>>,
    publisher: Option<Arc<dyn Publisher>>,
    observer: Option<Arc<dyn TaskObserver>>,
    queues: Vec<QueueEntry>,
}

/// A configured queue: its settings, its router, and its subscription when given directly.
type QueueEntry = (QueueConfig, Router, Option<Arc<dyn Subscription>>);

impl fmt::Debug for WorkerPoolBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WorkerPoolBuilder")
            .field("config", &self.config)
            .field("queues", &self.queues.iter().map(|q| &q.0.queue).collect::<Vec<_>>())
            .finish()
    }
}

impl WorkerPoolBuilder {
    /// The backend that provides the queues' subscriptions and the failure events' publisher.
    pub fn backend(mut self, backend: Arc<dyn Backend>) -> Self {
        self.backend = Some(backend);
        self
    }

    /// The publisher of failure events (default: the backend's).
    pub fn publisher(mut self, publisher: Arc<dyn Publisher>) -> Self {
        self.publisher = Some(publisher);
        self
    }

    /// An observer of every task event.
    pub fn observer(mut self, observer: impl TaskObserver) -> Self {
        self.observer = Some(Arc::new(observer));
        self
    }

    /// A shared observer of every task event.
    pub fn observer_arc(mut self, observer: Arc<dyn TaskObserver>) -> Self {
        self.observer = Some(observer);
        self
    }

    /// The global concurrency cap (default 64).
    pub fn max_concurrency(mut self, n: usize) -> Self {
        self.config.max_concurrency = n;
        self
    }

    /// Publishes `TASK_WORKER_FAILED` events to `topic`.
    pub fn failure_topic(mut self, topic: impl Into<String>) -> Self {
        self.config.failure_topic = Some(topic.into());
        self
    }

    /// The deadline of [`WorkerPool::shutdown`] (default 30 s).
    pub fn shutdown_timeout(mut self, d: Duration) -> Self {
        self.config.shutdown_timeout = d;
        self
    }

    /// Replaces the whole pool configuration.
    pub fn config(mut self, config: PoolConfig) -> Self {
        self.config = config;
        self
    }

    /// Consumes a queue of the backend with `router`.
    pub fn queue(mut self, config: QueueConfig, router: Router) -> Self {
        self.queues.push((config, router, None));
        self
    }

    /// Consumes `subscription` with `router` (no backend needed).
    pub fn queue_with_subscription(
        mut self,
        config: QueueConfig,
        router: Router,
        subscription: Arc<dyn Subscription>,
    ) -> Self {
        self.queues.push((config, router, Some(subscription)));
        self
    }

    /// Checks the configuration, resolves the subscriptions and builds the pool (not started).
    pub async fn build(self) -> Result<WorkerPool, BusError> {
        self.config.validate()?;
        if self.queues.is_empty() {
            return Err(BusError::invalid_parameter("WorkerPool.queues", "configure at least one queue"));
        }
        let publisher = self.publisher.or_else(|| self.backend.as_ref().map(|b| b.publisher()));
        if self.config.failure_topic.is_some() && publisher.is_none() {
            return Err(BusError::invalid_parameter(
                "WorkerPool.failure_topic",
                "a failure topic needs a publisher: set a backend or a publisher",
            ));
        }
        let mut seen = std::collections::HashSet::new();
        for (config, router, _) in &self.queues {
            config.validate()?;
            router.validate()?;
            if !seen.insert(config.queue.as_str()) {
                return Err(BusError::invalid_parameter(
                    "WorkerPool.queues",
                    format!("queue {:?} is configured twice", config.queue),
                ));
            }
        }
        let metrics = Arc::new(Metrics::new(self.queues.iter().map(|q| q.0.queue.as_str())));
        let global_permits = Arc::new(Semaphore::new(self.config.max_concurrency));
        let mut runners = BTreeMap::new();
        for (config, router, subscription) in self.queues {
            let subscription = match (subscription, &self.backend) {
                (Some(s), _) => s,
                (None, Some(backend)) => backend.subscription(&config.queue).await?,
                (None, None) => {
                    return Err(BusError::invalid_parameter(
                        "WorkerPool.backend",
                        format!("queue {:?} has no subscription: set a backend", config.queue),
                    ))
                }
            };
            if subscription.queue() != config.queue {
                return Err(BusError::invalid_parameter(
                    "WorkerPool.queues",
                    format!("the subscription of queue {:?} consumes {:?}", config.queue, subscription.queue()),
                ));
            }
            let runner = Runner {
                queue: Arc::from(config.queue.as_str()),
                queue_permits: Arc::new(Semaphore::new(config.concurrency)),
                global_permits: global_permits.clone(),
                metrics: metrics.queue(&config.queue).unwrap_or_default(),
                global_in_flight: metrics.in_flight.clone(),
                router,
                subscription,
                publisher: publisher.clone(),
                failure_topic: self.config.failure_topic.clone(),
                observer: self.observer.clone(),
                config,
            };
            runners.insert(runner.config.queue.clone(), Arc::new(runner));
        }
        Ok(WorkerPool { config: self.config, runners, running: Mutex::default(), metrics, global_permits })
    }
}
