//! What a [`TestBus`](super::TestBus) records: the public snapshot types ([`Records`] and its parts)
//! and the [`Recorder`] that the taps and the observer write to.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use bus_core::backend::Topology;
use bus_core::worker::{FailurePublish, TaskEvent, TaskFailure};
use bus_core::{Delivery, Event, Message, ReceiptHandle};
use tokio::time::Instant;

use super::routes::Routes;
use crate::faults::FaultEvent;

/// Where a message was sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    /// Published to a topic.
    Topic(String),
    /// Sent straight to a queue (`Backend::send`).
    Queue(String),
}

impl std::fmt::Display for Destination {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Destination::Topic(t) => write!(f, "topic {t:?}"),
            Destination::Queue(q) => write!(f, "queue {q:?}"),
        }
    }
}

/// One message handed to a publisher (or `send`), with its result.
#[derive(Debug, Clone, PartialEq)]
pub struct Published {
    /// The topic or queue.
    pub destination: Destination,
    /// The message as given.
    pub message: Message,
    /// Its event, when the body is one.
    pub event: Option<Event>,
    /// The message id, or the error text when the publish failed.
    pub result: Result<String, String>,
    /// Virtual time since the bus started.
    pub at: Duration,
}

/// A published message that a subscription's filter policy kept from its queue.
#[derive(Debug, Clone, PartialEq)]
pub struct FilteredOut {
    /// The topic it was published to.
    pub topic: String,
    /// The queue it did not reach.
    pub queue: String,
    /// The subscription's filter policy (JSON).
    pub policy: serde_json::Value,
    /// The policy's scope.
    pub scope: bus_core::filter::FilterScope,
    /// The message.
    pub message: Message,
    /// Its event, when the body is one.
    pub event: Option<Event>,
    /// Virtual time since the bus started.
    pub at: Duration,
}

/// One receive of a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Receive {
    /// `ApproximateReceiveCount` of this receive.
    pub receive_count: u32,
    /// Virtual time since the bus started.
    pub at: Duration,
}

/// What a task did with one receive of a message.
#[derive(Debug, Clone, PartialEq)]
pub enum TaskOutcome {
    /// The handler returned `Complete`.
    Completed,
    /// The handler asked for a retry after `delay`.
    Retried {
        /// The visibility delay.
        delay: Duration,
    },
    /// The task failed (error, panic, undecodable body, abandoned).
    Failed {
        /// The failure (the data of the `TASK_WORKER_FAILED` event).
        failure: TaskFailure,
        /// What became of the `TASK_WORKER_FAILED` event.
        failure_event: FailurePublish,
    },
    /// No handler takes the event type: acknowledged and ignored.
    Ignored,
    /// Released at a shutdown deadline.
    Released,
}

impl std::fmt::Display for TaskOutcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TaskOutcome::Completed => f.write_str("completed"),
            TaskOutcome::Retried { delay } => write!(f, "retry after {delay:?}"),
            TaskOutcome::Failed { failure, .. } => write!(f, "failed ({:?}): {}", failure.kind, failure.error),
            TaskOutcome::Ignored => f.write_str("ignored (no handler for its type)"),
            TaskOutcome::Released => f.write_str("released at shutdown"),
        }
    }
}

/// Everything that happened to one message in one queue.
#[derive(Debug, Clone, PartialEq)]
pub struct QueueMessage {
    /// The queue.
    pub queue: String,
    /// The SQS message id.
    pub message_id: String,
    /// The message as published (unwrapped from the SNS envelope).
    pub message: Message,
    /// Its event, when the body is one.
    pub event: Option<Event>,
    /// Every receive, duplicates included.
    pub receives: Vec<Receive>,
    /// The outcome of each task run on it, in order.
    pub outcomes: Vec<TaskOutcome>,
    /// Whether an acknowledgement of it reported success.
    pub acked: bool,
    /// Errors of acknowledgements that failed.
    pub ack_errors: Vec<String>,
}

impl QueueMessage {
    /// How many times it was received (duplicate deliveries included).
    pub fn receive_count(&self) -> usize {
        self.receives.len()
    }

    /// The failures of its tasks.
    pub fn failures(&self) -> impl Iterator<Item = &TaskFailure> {
        self.outcomes.iter().filter_map(|o| match o {
            TaskOutcome::Failed { failure, .. } => Some(failure),
            _ => None,
        })
    }

    /// Whether a task completed it.
    pub fn completed(&self) -> bool {
        self.outcomes.contains(&TaskOutcome::Completed)
    }
}

/// A message that a queue's redrive moved to its dead-letter queue.
#[derive(Debug, Clone, PartialEq)]
pub struct DeadLetter {
    /// The queue it came from.
    pub source_queue: String,
    /// The dead-letter queue.
    pub dead_letter_queue: String,
    /// The SQS message id (kept by the redrive).
    pub message_id: String,
    /// The message.
    pub message: Message,
    /// Its event, when the body is one.
    pub event: Option<Event>,
    /// How many times the source queue delivered it.
    pub source_receives: usize,
    /// Virtual time since the bus started, when it was read from the dead-letter queue.
    pub at: Duration,
}

/// A snapshot of everything a [`TestBus`](super::TestBus) recorded. Assertions read it.
#[derive(Debug, Clone)]
pub struct Records {
    /// Every publish and send, in order.
    pub published: Vec<Published>,
    /// Published messages that a filter policy kept from a queue.
    pub filtered_out: Vec<FilteredOut>,
    /// Per queue, its messages in the order of their first receive.
    pub queues: BTreeMap<String, Vec<QueueMessage>>,
    /// Messages read from dead-letter queues, with their source queue.
    pub dead_letters: Vec<DeadLetter>,
    /// Receive calls that failed, per queue.
    pub receive_errors: BTreeMap<String, Vec<String>>,
    /// Injected faults, when a fault plan is configured.
    pub faults: Vec<FaultEvent>,
    pub(crate) routes: Arc<Routes>,
}

impl Records {
    /// The messages received from `queue` (empty for a queue nothing was received from).
    pub fn queue(&self, queue: &str) -> &[QueueMessage] {
        self.queues.get(queue).map(Vec::as_slice).unwrap_or_default()
    }

    /// The topology the bus runs.
    pub fn topology(&self) -> &Topology {
        &self.routes.topology
    }
}

#[derive(Debug, Default)]
struct QueueLog {
    messages: Vec<QueueMessage>,
    index: HashMap<String, usize>,
    receipts: HashMap<ReceiptHandle, String>,
}

impl QueueLog {
    fn entry(&mut self, queue: &str, message_id: &str) -> &mut QueueMessage {
        let i = *self.index.entry(message_id.to_owned()).or_insert_with(|| {
            self.messages.push(QueueMessage {
                queue: queue.to_owned(),
                message_id: message_id.to_owned(),
                message: Message::default(),
                event: None,
                receives: Vec::new(),
                outcomes: Vec::new(),
                acked: false,
                ack_errors: Vec::new(),
            });
            self.messages.len() - 1
        });
        &mut self.messages[i]
    }
}

#[derive(Debug, Default)]
struct State {
    published: Vec<Published>,
    filtered_out: Vec<FilteredOut>,
    queues: BTreeMap<String, QueueLog>,
    receive_errors: BTreeMap<String, Vec<String>>,
    changes: u64,
}

/// The shared, synchronised log that the taps and the task observer write to.
#[derive(Debug)]
pub(crate) struct Recorder {
    start: Instant,
    routes: Arc<Routes>,
    state: Mutex<State>,
}

impl Recorder {
    pub(crate) fn new(routes: Arc<Routes>) -> Self {
        Recorder { start: Instant::now(), routes, state: Mutex::default() }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        state.changes += 1;
        state
    }

    /// Virtual time since the bus started.
    pub(crate) fn elapsed(&self) -> Duration {
        self.start.elapsed()
    }

    /// A counter that grows with every recorded change.
    pub(crate) fn changes(&self) -> u64 {
        self.state.lock().unwrap_or_else(PoisonError::into_inner).changes
    }

    /// A publish (or send) and its result; for a publish that succeeded, the subscriptions whose
    /// policy rejected it.
    pub(crate) fn published(&self, destination: Destination, message: &Message, result: Result<String, String>) {
        let at = self.elapsed();
        let event = Event::from_body(&message.body).ok();
        let mut state = self.state();
        if let (Destination::Topic(topic), Ok(_)) = (&destination, &result) {
            for route in self.routes.rejecting(topic, message) {
                state.filtered_out.push(FilteredOut {
                    topic: topic.clone(),
                    queue: route.queue.clone(),
                    policy: route.policy_json.clone().unwrap_or_default(),
                    scope: route.scope,
                    message: message.clone(),
                    event: event.clone(),
                    at,
                });
            }
        }
        state.published.push(Published { destination, message: message.clone(), event, result, at });
    }

    pub(crate) fn received(&self, queue: &str, deliveries: &[Delivery]) {
        let at = self.elapsed();
        let mut state = self.state();
        let log = state.queues.entry(queue.to_owned()).or_default();
        for d in deliveries {
            log.receipts.insert(d.receipt_handle.clone(), d.message_id.clone());
            let entry = log.entry(queue, &d.message_id);
            if entry.receives.is_empty() {
                entry.message = d.message.clone();
                entry.event = d.event.clone();
            }
            entry.receives.push(Receive { receive_count: d.receive_count, at });
        }
    }

    pub(crate) fn acked(&self, queue: &str, receipts: &[&ReceiptHandle]) {
        let mut state = self.state();
        let log = state.queues.entry(queue.to_owned()).or_default();
        for receipt in receipts {
            if let Some(id) = log.receipts.get(*receipt).cloned() {
                log.entry(queue, &id).acked = true;
            }
        }
    }

    pub(crate) fn receive_failed(&self, queue: &str, error: String) {
        self.state().receive_errors.entry(queue.to_owned()).or_default().push(error);
    }

    /// A task event from the worker pool's observer.
    pub(crate) fn task_event(&self, event: &TaskEvent) {
        let outcome = match event {
            TaskEvent::Completed(_) => TaskOutcome::Completed,
            TaskEvent::Retried { delay, .. } => TaskOutcome::Retried { delay: *delay },
            TaskEvent::Failed { failure, failure_event, .. } => {
                TaskOutcome::Failed { failure: failure.clone(), failure_event: failure_event.clone() }
            }
            TaskEvent::Ignored(_) => TaskOutcome::Ignored,
            TaskEvent::Released(_) => TaskOutcome::Released,
            TaskEvent::AckFailed { task, error } => {
                let mut state = self.state();
                let log = state.queues.entry(task.queue.to_string()).or_default();
                log.entry(&task.queue, &task.message_id).ack_errors.push(error.clone());
                return;
            }
            // Receives and acks are recorded by the subscription tap, receive errors too.
            _ => return,
        };
        let Some(task) = event.task() else { return };
        let mut state = self.state();
        let log = state.queues.entry(task.queue.to_string()).or_default();
        log.entry(&task.queue, &task.message_id).outcomes.push(outcome);
    }

    /// A snapshot, with the dead letters worked out from what the dead-letter queues delivered.
    pub(crate) fn snapshot(&self, faults: Vec<FaultEvent>) -> Records {
        let state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let queues: BTreeMap<String, Vec<QueueMessage>> =
            state.queues.iter().map(|(name, log)| (name.clone(), log.messages.clone())).collect();
        let mut dead_letters = Vec::new();
        for (dlq, sources) in &self.routes.dead_letter_sources {
            for m in queues.get(dlq).map(Vec::as_slice).unwrap_or_default() {
                let source = sources
                    .iter()
                    .find_map(|s| queues.get(s)?.iter().find(|x| x.message_id == m.message_id))
                    .map(|x| (x.queue.clone(), x.receives.len()));
                let (source_queue, source_receives) = source.unwrap_or_else(|| (sources[0].clone(), 0));
                dead_letters.push(DeadLetter {
                    source_queue,
                    dead_letter_queue: dlq.clone(),
                    message_id: m.message_id.clone(),
                    message: m.message.clone(),
                    event: m.event.clone(),
                    source_receives,
                    at: m.receives.first().map(|r| r.at).unwrap_or_default(),
                });
            }
        }
        Records {
            published: state.published.clone(),
            filtered_out: state.filtered_out.clone(),
            queues,
            dead_letters,
            receive_errors: state.receive_errors.clone(),
            faults,
            routes: self.routes.clone(),
        }
    }
}
