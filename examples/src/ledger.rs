//! The [`Ledger`]: what every queue received and how each task ended, recorded by a handler wrapper
//! ([`Tracked`]) and a worker-pool observer, so the demo can say what went where.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use async_trait::async_trait;
use bus_core::worker::{FailurePublish, Handler, HandlerResult, TaskEvent, TaskFailure, TaskObserver};
use bus_core::Task;

/// How the deliveries of one event to one queue have ended so far.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueueVisit {
    /// The event type.
    pub event_type: String,
    /// Handler runs (receives that reached a handler).
    pub attempts: u32,
    /// Whether a handler completed it.
    pub completed: bool,
    /// Whether it failed on its last receive (the redrive moves it to the dead-letter queue).
    pub dead_lettered: bool,
}

impl QueueVisit {
    /// Whether nothing more will happen to it in this queue.
    pub fn is_final(&self) -> bool {
        self.completed || self.dead_lettered
    }
}

/// One `TASK_WORKER_FAILED` event the runtime published (or tried to).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailureRecord {
    /// The id of the event whose task failed (see [`event_id`]).
    pub event_id: String,
    /// The failure (the data of the `TASK_WORKER_FAILED` event).
    pub failure: TaskFailure,
    /// The message id of the published `TASK_WORKER_FAILED` event, `None` if it was not published.
    pub failure_event_id: Option<String>,
}

#[derive(Debug, Default)]
struct State {
    /// queue -> event id -> visit.
    visits: BTreeMap<String, BTreeMap<String, QueueVisit>>,
    /// (queue, SQS message id) -> event id, to attribute observer events (which carry the SQS id).
    sqs_ids: HashMap<(String, String), String>,
    failures: Vec<FailureRecord>,
}

/// The record of everything the demo's workers did. Cheap to clone; clones share the record.
#[derive(Debug, Clone, Default)]
pub struct Ledger {
    state: Arc<Mutex<State>>,
}

/// The id of the event a task carries: the SNS message id from the envelope (the same in every queue
/// the event reached, and the id the archive stores it under), else the SQS message id.
pub fn event_id(task: &Task) -> String {
    bus_archive::delivery_id(task.delivery()).to_owned()
}

impl Ledger {
    /// An empty ledger.
    pub fn new() -> Self {
        Self::default()
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn record_start(&self, task: &Task) -> String {
        let id = event_id(task);
        let mut state = self.state();
        state.sqs_ids.insert((task.queue().to_owned(), task.message_id().to_owned()), id.clone());
        let visit = state.visits.entry(task.queue().to_owned()).or_default().entry(id.clone()).or_default();
        visit.event_type = task.event_type().to_owned();
        visit.attempts += 1;
        id
    }

    fn record_completed(&self, queue: &str, id: &str) {
        if let Some(v) = self.state().visits.get_mut(queue).and_then(|q| q.get_mut(id)) {
            v.completed = true;
        }
    }

    fn record_failure(&self, failure: &TaskFailure, publish: &FailurePublish) {
        let mut state = self.state();
        let key = (failure.queue.clone(), failure.message_id.clone());
        let id = state.sqs_ids.get(&key).cloned().unwrap_or_else(|| failure.message_id.clone());
        if failure.dead_lettered {
            if let Some(v) = state.visits.get_mut(&failure.queue).and_then(|q| q.get_mut(&id)) {
                v.dead_lettered = true;
            }
        }
        let failure_event_id = match publish {
            FailurePublish::Published { message_id } => Some(message_id.clone()),
            _ => None,
        };
        state.failures.push(FailureRecord { event_id: id, failure: failure.clone(), failure_event_id });
    }

    /// Every queue's visits: queue -> event id -> visit.
    pub fn visits(&self) -> BTreeMap<String, BTreeMap<String, QueueVisit>> {
        self.state().visits.clone()
    }

    /// The visit of event `id` to `queue`, if it got there.
    pub fn visit(&self, queue: &str, id: &str) -> Option<QueueVisit> {
        self.state().visits.get(queue).and_then(|q| q.get(id)).cloned()
    }

    /// The failures, in the order they happened.
    pub fn failures(&self) -> Vec<FailureRecord> {
        self.state().failures.clone()
    }

    /// A worker-pool observer that records failures (with the id of their `TASK_WORKER_FAILED` event).
    pub fn observer(&self) -> impl TaskObserver {
        let ledger = self.clone();
        move |event: &TaskEvent| {
            if let TaskEvent::Failed { failure, failure_event, .. } = event {
                ledger.record_failure(failure, failure_event);
            }
        }
    }

    /// Wraps a handler so that its runs are recorded here.
    pub fn track(&self, handler: impl Handler) -> Tracked {
        Tracked { ledger: self.clone(), inner: Arc::new(handler) }
    }
}

/// A handler that records each run in a [`Ledger`], then runs the wrapped handler.
#[derive(Clone)]
pub struct Tracked {
    ledger: Ledger,
    inner: Arc<dyn Handler>,
}

impl std::fmt::Debug for Tracked {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tracked").finish_non_exhaustive()
    }
}

#[async_trait]
impl Handler for Tracked {
    async fn handle(&self, task: Task) -> HandlerResult {
        let queue = task.queue().to_owned();
        let id = self.ledger.record_start(&task);
        let result = self.inner.handle(task).await;
        if matches!(result, Ok(bus_core::Outcome::Complete)) {
            self.ledger.record_completed(&queue, &id);
        }
        result
    }
}
