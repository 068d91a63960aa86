//! [`TaskObserver`]: a hook that sees every task's progress (the test kit records outcomes with it).

use std::sync::Arc;
use std::time::Duration;

use super::failure::TaskFailure;
use super::task::TaskInfo;

/// What happened to the `TASK_WORKER_FAILED` event of a failed task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FailurePublish {
    /// Published; the publisher's message id.
    Published {
        /// The SNS message id.
        message_id: String,
    },
    /// No failure topic is configured.
    NotConfigured,
    /// Not published because the failed task was itself a `TASK_WORKER_FAILED` event (no failure loops).
    Skipped,
    /// Publishing failed; the message was still released for redelivery.
    PublishFailed {
        /// The publish error.
        error: String,
    },
}

/// One step of a task, or of a runner, as an observer sees it.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum TaskEvent {
    /// A message was received and its task started.
    Received(Arc<TaskInfo>),
    /// The handler returned `Complete`; the delete is queued.
    Completed(Arc<TaskInfo>),
    /// The handler returned `RetryAfter`; the message becomes visible after `delay`.
    Retried {
        /// The task.
        task: Arc<TaskInfo>,
        /// The visibility delay that was requested (after capping).
        delay: Duration,
    },
    /// The task failed (error, panic, undecodable body, or abandoned); the message is left for
    /// redelivery or the dead-letter queue.
    Failed {
        /// The task.
        task: Arc<TaskInfo>,
        /// The failure summary (the data of the `TASK_WORKER_FAILED` event).
        failure: TaskFailure,
        /// What became of the failure event.
        failure_event: FailurePublish,
        /// The visibility delay before redelivery (`None`: the visibility timeout was left alone).
        retry_in: Option<Duration>,
    },
    /// No handler takes this event type: acknowledged and ignored.
    Ignored(Arc<TaskInfo>),
    /// The handler had not finished when a shutdown deadline passed: released with visibility 0.
    Released(Arc<TaskInfo>),
    /// The message was deleted.
    Acked(Arc<TaskInfo>),
    /// The delete failed; the message will be redelivered.
    AckFailed {
        /// The task.
        task: Arc<TaskInfo>,
        /// The backend's error.
        error: String,
    },
    /// A receive call failed; the runner backs off and tries again.
    ReceiveFailed {
        /// The queue.
        queue: Arc<str>,
        /// The backend's error.
        error: String,
    },
}

impl TaskEvent {
    /// The task this event is about (`None` for runner events).
    pub fn task(&self) -> Option<&Arc<TaskInfo>> {
        match self {
            TaskEvent::Received(t)
            | TaskEvent::Completed(t)
            | TaskEvent::Ignored(t)
            | TaskEvent::Released(t)
            | TaskEvent::Acked(t)
            | TaskEvent::Retried { task: t, .. }
            | TaskEvent::Failed { task: t, .. }
            | TaskEvent::AckFailed { task: t, .. } => Some(t),
            TaskEvent::ReceiveFailed { .. } => None,
        }
    }
}

/// Sees every [`TaskEvent`] of a pool, synchronously, on the task's thread: keep it cheap.
///
/// Any `Fn(&TaskEvent) + Send + Sync` closure is an observer.
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use bus_core::worker::{TaskEvent, TaskObserver};
/// let seen = Arc::new(Mutex::new(Vec::new()));
/// let log = seen.clone();
/// let observer = move |e: &TaskEvent| log.lock().unwrap().push(format!("{e:?}"));
/// observer.on_event(&TaskEvent::ReceiveFailed { queue: "q".into(), error: "down".into() });
/// assert_eq!(seen.lock().unwrap().len(), 1);
/// ```
pub trait TaskObserver: Send + Sync + 'static {
    /// Called for every event.
    fn on_event(&self, event: &TaskEvent);
}

impl<F> TaskObserver for F
where
    F: Fn(&TaskEvent) + Send + Sync + 'static,
{
    fn on_event(&self, event: &TaskEvent) {
        self(event)
    }
}
