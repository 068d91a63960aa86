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
    // Shared with the runtime, which needs the receipt handle and the metadata once the handler is
    // done, and may cancel the token: one allocation per task (reused by the runner), no copies.
    // Its delivery's `event` is always set (see `event()`).
    shared: Arc<Received>,
}

/// A received message as a task and the runtime share it.
#[derive(Debug, Clone)]
pub(crate) struct Received {
    pub(crate) queue: Arc<str>,
    pub(crate) delivery: Delivery,
    pub(crate) cancel: CancellationToken,
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
        let received = Received { queue: queue.into(), delivery, cancel: CancellationToken::new() };
        Task { shared: Arc::new(received) }
    }

    /// The runtime's constructor: `delivery.event` is set.
    pub(crate) fn shared(shared: Arc<Received>) -> Self {
        Task { shared }
    }

    /// Replaces the task's cancellation token.
    pub fn with_cancellation(mut self, token: CancellationToken) -> Self {
        match Arc::get_mut(&mut self.shared) {
            Some(received) => received.cancel = token,
            None => {
                let mut received = Received::clone(&self.shared);
                received.cancel = token;
                self.shared = Arc::new(received);
            }
        }
        self
    }

    /// The queue the message was received from.
    pub fn queue(&self) -> &str {
        &self.shared.queue
    }

    /// The event.
    pub fn event(&self) -> &Event {
        self.shared.delivery.event.as_ref().unwrap_or(&NO_EVENT)
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
        &self.shared.delivery.message_id
    }

    /// `ApproximateReceiveCount`: 1 on the first delivery.
    pub fn receive_count(&self) -> u32 {
        self.shared.delivery.receive_count
    }

    /// When the message entered the queue (`SentTimestamp`).
    pub fn sent_at(&self) -> SystemTime {
        self.shared.delivery.sent_at
    }

    /// When the message was first received (`ApproximateFirstReceiveTimestamp`).
    pub fn first_received_at(&self) -> SystemTime {
        self.shared.delivery.first_received_at
    }

    /// The published message's attributes (unwrapped from the SNS envelope).
    pub fn attributes(&self) -> &MessageAttributes {
        &self.shared.delivery.message.attributes
    }

    /// The published message (body and attributes).
    pub fn message(&self) -> &Message {
        &self.shared.delivery.message
    }

    /// The whole delivery (its `event` is [`event`](Self::event)).
    pub fn delivery(&self) -> &Delivery {
        &self.shared.delivery
    }

    /// The cancellation signal: fired when the runtime gives up on this task (see [`CancellationToken`]).
    pub fn cancellation(&self) -> &CancellationToken {
        &self.shared.cancel
    }

    /// Whether the runtime has given up on this task.
    pub fn is_cancelled(&self) -> bool {
        self.shared.cancel.is_cancelled()
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
