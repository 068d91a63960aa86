//! [`Task`]: what a handler receives, and [`TaskInfo`]: the summary the runtime reports.

use std::sync::Arc;
use std::time::SystemTime;

use serde::de::DeserializeOwned;

use super::cancel::CancellationToken;
use super::handler::HandlerError;
use crate::backend::Delivery;
use crate::event::Event;
use crate::message::{Message, MessageAttributes};

/// One received event, handed to a handler: the event (type and data), the delivery's metadata, the
/// queue it came from, and a cancellation signal.
#[derive(Debug)]
pub struct Task {
    queue: Arc<str>,
    // Shared with the runtime, which needs the receipt handle and the metadata once the handler is
    // done: one allocation per task, no copies. Its `event` is always set (see `event()`).
    delivery: Arc<Delivery>,
    cancel: CancellationToken,
}

/// What [`Task::event`] returns if a delivery without an event ever reached it (the runtime never
/// builds such a task: undecodable bodies take the failure path).
static NO_EVENT: Event = Event { event_type: String::new(), data: serde_json::Value::Null };

impl Task {
    /// A task for `event` received from `queue` in `delivery` (whose `event` it replaces).
    ///
    /// The runtime builds tasks itself; this is public so that handlers can be tested directly.
    pub fn new(queue: impl Into<Arc<str>>, event: Event, mut delivery: Delivery) -> Self {
        delivery.event = Some(event);
        Task { queue: queue.into(), delivery: Arc::new(delivery), cancel: CancellationToken::new() }
    }

    /// The runtime's constructor: `delivery.event` is set.
    pub(crate) fn shared(queue: Arc<str>, delivery: Arc<Delivery>, cancel: CancellationToken) -> Self {
        Task { queue, delivery, cancel }
    }

    /// Replaces the task's cancellation token.
    pub fn with_cancellation(mut self, token: CancellationToken) -> Self {
        self.cancel = token;
        self
    }

    /// The queue the message was received from.
    pub fn queue(&self) -> &str {
        &self.queue
    }

    /// The event.
    pub fn event(&self) -> &Event {
        self.delivery.event.as_ref().unwrap_or(&NO_EVENT)
    }

    /// The event type (`USER_CREATED`).
    pub fn event_type(&self) -> &str {
        &self.event().event_type
    }

    /// The event's data, as JSON.
    pub fn data(&self) -> &serde_json::Value {
        &self.event().data
    }

    /// Deserialises the event's data into `T`.
    pub fn decode<T: DeserializeOwned>(&self) -> Result<T, HandlerError> {
        T::deserialize(self.data())
            .map_err(|e| HandlerError::msg(format!("cannot decode the data of a {} event: {e}", self.event_type())))
    }

    /// The SQS message id.
    pub fn message_id(&self) -> &str {
        &self.delivery.message_id
    }

    /// `ApproximateReceiveCount`: 1 on the first delivery.
    pub fn receive_count(&self) -> u32 {
        self.delivery.receive_count
    }

    /// When the message entered the queue (`SentTimestamp`).
    pub fn sent_at(&self) -> SystemTime {
        self.delivery.sent_at
    }

    /// When the message was first received (`ApproximateFirstReceiveTimestamp`).
    pub fn first_received_at(&self) -> SystemTime {
        self.delivery.first_received_at
    }

    /// The published message's attributes (unwrapped from the SNS envelope).
    pub fn attributes(&self) -> &MessageAttributes {
        &self.delivery.message.attributes
    }

    /// The published message (body and attributes).
    pub fn message(&self) -> &Message {
        &self.delivery.message
    }

    /// The whole delivery (its `event` is [`event`](Self::event)).
    pub fn delivery(&self) -> &Delivery {
        &self.delivery
    }

    /// The cancellation signal: fired when the runtime gives up on this task (see [`CancellationToken`]).
    pub fn cancellation(&self) -> &CancellationToken {
        &self.cancel
    }

    /// Whether the runtime has given up on this task.
    pub fn is_cancelled(&self) -> bool {
        self.cancel.is_cancelled()
    }
}

/// The summary of a task that metrics, observers and failure events carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskInfo {
    /// The queue.
    pub queue: Arc<str>,
    /// The SQS message id.
    pub message_id: String,
    /// The event type, or `None` when the body is not an event.
    pub event_type: Option<String>,
    /// `ApproximateReceiveCount` of this delivery.
    pub receive_count: u32,
}

impl TaskInfo {
    /// The summary of a delivery received from `queue`.
    pub fn of(queue: &Arc<str>, delivery: &Delivery) -> Self {
        TaskInfo {
            queue: queue.clone(),
            message_id: delivery.message_id.clone(),
            event_type: delivery.event_type().map(str::to_owned),
            receive_count: delivery.receive_count,
        }
    }
}
