//! [`TestBusBuilder`]: topology, handlers, failure topic, faults; and the sinks that read the queues
//! no handler consumes.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use bus_core::worker::{QueueConfig, Router, TaskEvent, WorkerPool};
use bus_core::{Backend, Publisher, ReceiveOptions, Subscription, Topology};
use bus_memory::MemoryBackend;
use tokio::runtime::RuntimeFlavor;
use tokio::task::JoinHandle;

use super::error::TestBusError;
use super::record::Recorder;
use super::routes::Routes;
use super::tap::{RecordingBackend, RecordingSubscription};
use super::TestBus;
use crate::faults::{faulty_router, FaultPlan, FaultSchedule, FaultyBackend};

/// Builds a [`TestBus`]: `TestBus::builder().topology(t).handler("email", router).build().await`.
#[derive(Debug, Default)]
pub struct TestBusBuilder {
    topology: Option<Topology>,
    handlers: Vec<(HandlerQueue, HandlerRouter)>,
    failure_topic: Option<String>,
    faults: Option<FaultPlan>,
    max_concurrency: Option<usize>,
    consume_unhandled: Option<bool>,
    idle_timeout: Option<Duration>,
    idle_poll: Option<Duration>,
}

/// A router, or a function that makes one from the bus's (recorded) publisher.
enum HandlerRouter {
    Ready(Router),
    Using(Box<dyn FnOnce(Arc<dyn Publisher>) -> Router + Send>),
}

impl HandlerRouter {
    fn resolve(self, publisher: &Arc<dyn Publisher>) -> Router {
        match self {
            HandlerRouter::Ready(router) => router,
            HandlerRouter::Using(make) => make(publisher.clone()),
        }
    }
}

impl std::fmt::Debug for HandlerRouter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HandlerRouter::Ready(router) => router.fmt(f),
            HandlerRouter::Using(_) => f.write_str("<router made from the publisher>"),
        }
    }
}

#[derive(Debug)]
enum HandlerQueue {
    Name(String),
    Config(Box<QueueConfig>),
}

impl HandlerQueue {
    fn name(&self) -> &str {
        match self {
            HandlerQueue::Name(n) => n,
            HandlerQueue::Config(c) => &c.queue,
        }
    }
}

impl TestBusBuilder {
    /// The topology to provision on the memory backend (required).
    pub fn topology(mut self, topology: Topology) -> Self {
        self.topology = Some(topology);
        self
    }

    /// Runs `router` on `queue`, configured from the queue's spec ([`QueueConfig::from_spec`]: its
    /// visibility timeout and `maxReceiveCount`).
    pub fn handler(mut self, queue: impl Into<String>, router: Router) -> Self {
        self.handlers.push((HandlerQueue::Name(queue.into()), HandlerRouter::Ready(router)));
        self
    }

    /// Runs on `queue` the router that `make` builds from the bus's publisher (recorded, and faulty
    /// when a fault plan is set), for handlers that publish events of their own.
    ///
    /// ```
    /// use bus_core::backend::{QueueSpec, Topology};
    /// use bus_core::worker::{Outcome, Router, Task};
    /// use bus_core::PublisherExt;
    /// use bus_testkit::TestBus;
    /// use serde_json::json;
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() -> Result<(), bus_testkit::TestBusError> {
    /// let topology = Topology::new().topic("events").queue(QueueSpec::new("email")).queue(QueueSpec::new("audit"))
    ///     .subscribe_with_policy("events", "email", json!({"event-type": ["USER_CREATED"]}))
    ///     .subscribe_with_policy("events", "audit", json!({"event-type": ["EMAIL_SENT"]}));
    /// let bus = TestBus::builder()
    ///     .topology(topology)
    ///     .handler_with_publisher("email", |publisher| {
    ///         Router::new().on("USER_CREATED", move |task: Task| {
    ///             let publisher = publisher.clone();
    ///             async move {
    ///                 publisher.publish_data("events", "EMAIL_SENT", task.data().clone()).await?;
    ///                 Ok(Outcome::Complete)
    ///             }
    ///         })
    ///     })
    ///     .build()
    ///     .await?;
    /// bus.publish("events", "USER_CREATED", json!({"id": 7})).await?;
    /// bus.wait_until_idle().await?;
    /// bus.assert_delivered("audit", bus_testkit::EventMatch::of_type("EMAIL_SENT").with_data(json!({"id": 7})));
    /// # Ok(())
    /// # }
    /// ```
    pub fn handler_with_publisher(
        mut self,
        queue: impl Into<String>,
        make: impl FnOnce(Arc<dyn Publisher>) -> Router + Send + 'static,
    ) -> Self {
        self.handlers.push((HandlerQueue::Name(queue.into()), HandlerRouter::Using(Box::new(make))));
        self
    }

    /// Runs `router` with an explicit queue configuration (concurrency, backoff, heartbeat, ...).
    pub fn handler_with_config(mut self, config: QueueConfig, router: Router) -> Self {
        self.handlers.push((HandlerQueue::Config(Box::new(config)), HandlerRouter::Ready(router)));
        self
    }

    /// Publishes `TASK_WORKER_FAILED` events to this topic (it must be in the topology).
    pub fn failure_topic(mut self, topic: impl Into<String>) -> Self {
        self.failure_topic = Some(topic.into());
        self
    }

    /// Injects the faults of `plan` between the handlers and the memory backend.
    pub fn faults(mut self, plan: FaultPlan) -> Self {
        self.faults = Some(plan);
        self
    }

    /// The worker pool's global concurrency cap (default 64).
    pub fn max_concurrency(mut self, n: usize) -> Self {
        self.max_concurrency = Some(n);
        self
    }

    /// Whether the bus itself reads (and deletes) the messages of queues without a handler, dead-letter
    /// queues included, so that they are recorded (default `true`). When `false`, those queues are
    /// left alone, are not recorded, and do not count for [`TestBus::wait_until_idle`].
    pub fn consume_unhandled(mut self, yes: bool) -> Self {
        self.consume_unhandled = Some(yes);
        self
    }

    /// The virtual-time limit of [`TestBus::wait_until_idle`] (default 1 hour).
    pub fn idle_timeout(mut self, limit: Duration) -> Self {
        self.idle_timeout = Some(limit);
        self
    }

    /// How often [`TestBus::wait_until_idle`] looks, in virtual time (default 100 ms).
    pub fn idle_poll_interval(mut self, every: Duration) -> Self {
        self.idle_poll = Some(every);
        self
    }

    /// Pauses tokio's clock (if it is not paused yet), provisions the topology, starts the handlers and
    /// the readers of the other queues.
    ///
    /// Fails on a multi-threaded runtime (time cannot be paused there), on an invalid topology or fault
    /// plan, and when a handler or the failure topic names something the topology lacks.
    pub async fn build(self) -> Result<TestBus, TestBusError> {
        ensure_paused_clock()?;
        let topology = self.topology.ok_or(TestBusError::NoTopology)?;
        let routes = Arc::new(Routes::new(topology)?);
        let declared = |kind: &'static str, name: &str, names: Vec<&str>| TestBusError::NotInTopology {
            kind,
            name: name.to_owned(),
            declared: names.join(", "),
        };
        let mut handlers: BTreeMap<String, (QueueConfig, HandlerRouter)> = BTreeMap::new();
        for (queue, router) in self.handlers {
            let name = queue.name().to_owned();
            let Some(spec) = routes.topology.queue_spec(&name) else {
                return Err(declared("queue", &name, routes.queue_names()));
            };
            let config = match queue {
                HandlerQueue::Name(_) => QueueConfig::from_spec(spec),
                HandlerQueue::Config(c) => *c,
            };
            if handlers.insert(name.clone(), (config, router)).is_some() {
                return Err(TestBusError::DuplicateHandler(name));
            }
        }
        if let Some(topic) = &self.failure_topic {
            if !routes.topology.topics.iter().any(|t| t.name == *topic) {
                let topics = routes.topology.topics.iter().map(|t| t.name.as_str()).collect();
                return Err(declared("topic", topic, topics));
            }
        }
        let schedule = self.faults.map(FaultSchedule::new).transpose()?;

        let memory = MemoryBackend::new();
        memory.apply_topology(&routes.topology).await?;
        let recorder = Arc::new(Recorder::new(routes.clone()));
        let faulty =
            schedule.as_ref().map(|s| Arc::new(FaultyBackend::with_schedule(Arc::new(memory.clone()), s.clone())));
        let inner: Arc<dyn Backend> = match &faulty {
            Some(f) => f.clone(),
            None => Arc::new(memory.clone()),
        };
        let backend: Arc<dyn Backend> = Arc::new(RecordingBackend { inner, recorder: recorder.clone() });

        let handled: Vec<String> = handlers.keys().cloned().collect();
        let handlers: Vec<(QueueConfig, HandlerRouter)> = handlers.into_values().collect();
        let pool = if handlers.is_empty() {
            None
        } else {
            let observer = recorder.clone();
            let mut pool =
                WorkerPool::builder().backend(backend.clone()).observer(move |e: &TaskEvent| observer.task_event(e));
            if let Some(n) = self.max_concurrency {
                pool = pool.max_concurrency(n);
            }
            if let Some(topic) = &self.failure_topic {
                pool = pool.failure_topic(topic.clone());
            }
            let publisher = backend.publisher();
            for (config, router) in handlers {
                let router = router.resolve(&publisher);
                let router = match &schedule {
                    Some(s) => faulty_router(&router, s.clone()),
                    None => router,
                };
                pool = pool.queue(config, router);
            }
            let pool = pool.build().await?;
            pool.start();
            Some(pool)
        };

        let mut consumed: Vec<String> = handled.clone();
        let mut sinks = Vec::new();
        if self.consume_unhandled.unwrap_or(true) {
            for q in &routes.topology.queues {
                if handled.contains(&q.name) {
                    continue;
                }
                let inner = Arc::new(memory.memory_subscription(&q.name)?);
                let sub = Arc::new(RecordingSubscription { inner, recorder: recorder.clone() });
                sinks.push(tokio::spawn(sink(sub)));
                consumed.push(q.name.clone());
            }
        }
        Ok(TestBus {
            memory,
            backend,
            faulty,
            recorder,
            pool,
            sinks,
            consumed,
            idle_timeout: self.idle_timeout.unwrap_or(Duration::from_secs(3600)),
            idle_poll: self.idle_poll.unwrap_or(Duration::from_millis(100)),
        })
    }
}

/// Reads a queue that no handler consumes: receive, record (through the tap), delete.
async fn sink(sub: Arc<RecordingSubscription>) {
    loop {
        match sub.receive(ReceiveOptions::new(10, Duration::from_secs(20))).await {
            Ok(batch) if !batch.is_empty() => {
                let entries =
                    batch.iter().enumerate().map(|(i, d)| (i.to_string(), d.receipt_handle.clone())).collect();
                if let Err(e) = sub.ack_batch(entries).await {
                    tracing::warn!(queue = sub.queue(), "test bus reader: delete failed: {e}");
                }
            }
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(queue = sub.queue(), "test bus reader: receive failed: {e}");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }
}

/// Pauses tokio's clock unless it is paused already; fails outside a current-thread runtime.
fn ensure_paused_clock() -> Result<(), TestBusError> {
    let handle = tokio::runtime::Handle::try_current().map_err(|_| TestBusError::NeedsCurrentThreadRuntime)?;
    if handle.runtime_flavor() != RuntimeFlavor::CurrentThread {
        return Err(TestBusError::NeedsCurrentThreadRuntime);
    }
    // A paused clock does not move while nothing awaits; a running one moves within microseconds. The
    // clock is read after the real time is, so a thread that was descheduled still sees it move.
    let before = tokio::time::Instant::now();
    let spin = std::time::Instant::now();
    loop {
        let waited = spin.elapsed();
        if tokio::time::Instant::now() != before {
            tokio::time::pause();
            return Ok(());
        }
        if waited >= Duration::from_micros(500) {
            return Ok(());
        }
        std::hint::spin_loop();
    }
}

pub(crate) type Sinks = Vec<JoinHandle<()>>;
