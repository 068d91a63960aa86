//! The failure path: count, report (`TASK_WORKER_FAILED`), and leave the message for redelivery.

use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::time::Instant;

use super::heartbeat::cap_delay;
use super::metrics::inc;
use super::observer::{FailurePublish, TaskEvent};
use super::runner::Runner;
use super::task::TaskInfo;
use crate::backend::{Delivery, PublisherExt};
use crate::event::{Event, TASK_WORKER_FAILED};

/// Why a task failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureKind {
    /// The handler returned an error.
    Error,
    /// The handler panicked.
    Panic,
    /// The message body is not an event (`{"type": ..., "data": ...}`).
    Undecodable,
    /// The message's visibility could not be extended; the handler was cancelled.
    Abandoned,
}

/// The data of a `TASK_WORKER_FAILED` event: the summary of a failed task.
///
/// ```
/// use bus_core::worker::{FailureKind, TaskFailure};
/// let f: TaskFailure = serde_json::from_value(serde_json::json!({
///     "queue": "email", "event_type": "USER_CREATED", "message_id": "m-1", "receive_count": 2,
///     "kind": "error", "error": "smtp down", "dead_lettered": false
/// })).unwrap();
/// assert_eq!(f.kind, FailureKind::Error);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskFailure {
    /// The queue the message came from.
    pub queue: String,
    /// The event type, `None` when the body is not an event.
    pub event_type: Option<String>,
    /// The SQS message id.
    pub message_id: String,
    /// The receive count of the failed attempt.
    pub receive_count: u32,
    /// Why it failed.
    pub kind: FailureKind,
    /// The error text (the handler error with its sources, or the panic message).
    pub error: String,
    /// Whether this was the last receive before the redrive moves the message to the dead-letter queue.
    pub dead_lettered: bool,
}

/// Whether the runtime changes the failed message's visibility.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Release {
    /// Apply the backoff (or 0 on the last receive).
    Backoff,
    /// Leave the visibility alone (the receipt handle is probably stale).
    Leave,
}

/// Handles a failed task: counters, a log line, the `TASK_WORKER_FAILED` event, and the visibility
/// change that schedules the redelivery. The message is never deleted here.
pub(crate) async fn fail(
    runner: &Runner,
    info: &Option<Arc<TaskInfo>>,
    delivery: &Delivery,
    received_at: Instant,
    kind: FailureKind,
    error: String,
    release: Release,
) {
    let counters = &runner.metrics.counters;
    let dead = runner.is_last_receive(delivery.receive_count);
    inc(&counters.failed);
    match kind {
        FailureKind::Panic => inc(&counters.panicked),
        FailureKind::Undecodable => inc(&counters.undecodable),
        FailureKind::Abandoned => inc(&counters.abandoned),
        FailureKind::Error => {}
    }
    if dead {
        inc(&counters.dead_lettered);
    }
    let failure = TaskFailure {
        queue: runner.queue.to_string(),
        event_type: delivery.event_type().map(str::to_owned),
        message_id: delivery.message_id.clone(),
        receive_count: delivery.receive_count,
        kind,
        error,
        dead_lettered: dead,
    };
    if kind == FailureKind::Panic {
        tracing::error!(kind = ?kind, dead_lettered = dead, "task panicked: {}", failure.error);
    } else {
        tracing::warn!(kind = ?kind, dead_lettered = dead, "task failed: {}", failure.error);
    }
    let failure_event = publish(runner, &failure).await;
    let retry_in = match release {
        Release::Leave => None,
        Release::Backoff if dead => Some(Duration::ZERO),
        Release::Backoff => {
            runner.config.failure_backoff.map(|b| cap_delay(b.delay(delivery.receive_count), received_at))
        }
    };
    if let Some(delay) = retry_in {
        runner.change_visibility(&delivery.receipt_handle, delay).await;
    }
    runner.emit_task(info, |task| TaskEvent::Failed { task, failure, failure_event, retry_in });
}

async fn publish(runner: &Runner, failure: &TaskFailure) -> FailurePublish {
    let (Some(publisher), Some(topic)) = (&runner.publisher, &runner.failure_topic) else {
        return FailurePublish::NotConfigured;
    };
    if failure.event_type.as_deref() == Some(TASK_WORKER_FAILED) {
        tracing::warn!("not publishing a failure event for a failed {TASK_WORKER_FAILED} event (no failure loops)");
        return FailurePublish::Skipped;
    }
    match publisher.publish_event(topic, &Event::new(TASK_WORKER_FAILED, failure)).await {
        Ok(receipt) => {
            inc(&runner.metrics.counters.failure_events);
            FailurePublish::Published { message_id: receipt.message_id }
        }
        Err(e) => {
            inc(&runner.metrics.counters.failure_event_errors);
            tracing::error!(topic = %topic, "cannot publish the {TASK_WORKER_FAILED} event: {e}; the message is released all the same");
            FailurePublish::PublishFailed { error: e.to_string() }
        }
    }
}
