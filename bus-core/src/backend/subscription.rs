//! The [`Subscription`] trait: consume one queue.

use std::fmt::Debug;
use std::time::{Duration, SystemTime};

use async_trait::async_trait;

use crate::envelope::Notification;
use crate::error::BusError;
use crate::event::Event;
use crate::message::Message;

use super::publisher::BatchEntryError;

/// An opaque receipt handle: identifies one receive of one message. It changes on every receive.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ReceiptHandle(pub String);

impl ReceiptHandle {
    /// The handle's text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for ReceiptHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Options of one receive call (`ReceiveMessage`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReceiveOptions {
    /// 1-10 messages at most.
    pub max_messages: usize,
    /// Long-poll wait, 0-20 s. `None` uses the queue's `ReceiveMessageWaitTimeSeconds`.
    pub wait_time: Option<Duration>,
    /// Visibility timeout for the received messages, 0 s-12 h. `None` uses the queue's.
    pub visibility_timeout: Option<Duration>,
}

impl Default for ReceiveOptions {
    fn default() -> Self {
        ReceiveOptions { max_messages: 10, wait_time: Some(Duration::from_secs(20)), visibility_timeout: None }
    }
}

impl ReceiveOptions {
    /// Up to `n` messages, waiting up to `wait`.
    pub fn new(max_messages: usize, wait_time: Duration) -> Self {
        ReceiveOptions { max_messages, wait_time: Some(wait_time), visibility_timeout: None }
    }

    /// Sets the visibility timeout of the received messages.
    pub fn with_visibility_timeout(mut self, timeout: Duration) -> Self {
        self.visibility_timeout = Some(timeout);
        self
    }

    /// Checks the ranges AWS enforces (`MaxNumberOfMessages` 1-10, `WaitTimeSeconds` 0-20,
    /// `VisibilityTimeout` 0-43200).
    pub fn validate(&self) -> Result<(), BusError> {
        if !(1..=crate::limits::MAX_RECEIVE_MESSAGES).contains(&self.max_messages) {
            return Err(BusError::invalid_parameter(
                "MaxNumberOfMessages",
                format!("must be between 1 and 10, got {}", self.max_messages),
            ));
        }
        if let Some(w) = self.wait_time {
            if w > crate::limits::MAX_WAIT_TIME {
                return Err(BusError::invalid_parameter(
                    "WaitTimeSeconds",
                    format!("must be between 0 and 20 seconds, got {} s", w.as_secs_f64()),
                ));
            }
        }
        if let Some(v) = self.visibility_timeout {
            validate_visibility(v)?;
        }
        Ok(())
    }
}

/// Checks a visibility timeout against SQS's range (0 s to 12 h).
pub fn validate_visibility(v: Duration) -> Result<(), BusError> {
    if v > crate::limits::MAX_VISIBILITY_TIMEOUT {
        return Err(BusError::invalid_parameter(
            "VisibilityTimeout",
            format!("must be between 0 and 43200 seconds, got {} s", v.as_secs()),
        ));
    }
    Ok(())
}

/// One received message.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    /// The SQS message id.
    pub message_id: String,
    /// The receipt handle of this receive (use it to acknowledge or change visibility).
    pub receipt_handle: ReceiptHandle,
    /// `ApproximateReceiveCount`, counting this receive.
    pub receive_count: u32,
    /// `ApproximateFirstReceiveTimestamp`.
    pub first_received_at: SystemTime,
    /// `SentTimestamp`: when the message entered the queue.
    pub sent_at: SystemTime,
    /// The queue body exactly as stored (the SNS envelope JSON when delivery is not raw).
    pub raw_body: String,
    /// The unwrapped message: the published body, attributes and subject (from the envelope), or the queue
    /// body and attributes passed through (no subject).
    pub message: Message,
    /// The envelope, when the message came through SNS with raw delivery off.
    pub notification: Option<Notification>,
    /// The event decoded from the message body, when the body is `{"type": ..., "data": ...}`.
    pub event: Option<Event>,
    /// FIFO: the message group.
    pub group_id: Option<String>,
    /// FIFO: the sequence number.
    pub sequence_number: Option<String>,
}

impl Delivery {
    /// Builds a delivery from a queue body and its SQS message attributes: unwraps the SNS envelope when
    /// there is one (body, attributes and `Subject` as published), and decodes the event. A body that is
    /// not an envelope (raw delivery, or a message sent straight to the queue) is passed through
    /// unchanged, with no subject: raw delivery carries none.
    #[allow(clippy::too_many_arguments)]
    pub fn from_queue_body(
        message_id: String,
        receipt_handle: ReceiptHandle,
        receive_count: u32,
        first_received_at: SystemTime,
        sent_at: SystemTime,
        raw_body: String,
        queue_attributes: crate::message::MessageAttributes,
    ) -> Self {
        let notification = Notification::parse(&raw_body);
        let message = match notification.as_ref().map(|n| n.to_message()) {
            Some(Ok(m)) => m,
            _ => Message { body: raw_body.clone(), attributes: queue_attributes, ..Message::default() },
        };
        let event = Event::from_body(&message.body).ok();
        Delivery {
            message_id,
            receipt_handle,
            receive_count,
            first_received_at,
            sent_at,
            raw_body,
            message,
            notification,
            event,
            group_id: None,
            sequence_number: None,
        }
    }

    /// The event type, when the body is an event.
    pub fn event_type(&self) -> Option<&str> {
        self.event.as_ref().map(|e| e.event_type.as_str())
    }
}

/// The per-entry outcome of a batch acknowledge or visibility change.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BatchOutcome {
    /// Ids of the entries that succeeded.
    pub successful: Vec<String>,
    /// Entries that failed, with AWS's error code.
    pub failed: Vec<BatchEntryError>,
}

/// A consumer of one queue.
///
/// # Contract
/// - At-least-once: a received message stays in the queue, invisible for the visibility timeout; if it
///   is not acknowledged in time it becomes visible again and is redelivered with `receive_count` + 1.
/// - Acknowledging (`ack`) deletes the message for good. Acknowledging with a stale receipt handle of a
///   message that was received again since may fail or be ignored, as on SQS; never acknowledge twice.
/// - `receive` returns 1-`max_messages` messages as soon as any is visible, or an empty list when the
///   wait time passes. It never returns more than 10.
/// - `change_visibility(handle, d)` makes the message visible again after `d` (0 = now); the
///   total time in flight may not exceed 12 h from the first receive.
/// - Batch calls take 1-10 entries with distinct ids and report per-entry failures.
/// - When the queue has a redrive policy, a message received more than `maxReceiveCount` times moves
///   to the dead-letter queue instead of being returned.
/// - FIFO queues return messages of one group in order and hold a group while one of its messages is
///   in flight.
#[async_trait]
pub trait Subscription: Send + Sync + Debug + 'static {
    /// The queue's name.
    fn queue(&self) -> &str;

    /// Receives up to `options.max_messages` messages, long-polling up to `options.wait_time`.
    async fn receive(&self, options: ReceiveOptions) -> Result<Vec<Delivery>, BusError>;

    /// Acknowledges (deletes) one message.
    async fn ack(&self, receipt: &ReceiptHandle) -> Result<(), BusError>;

    /// Acknowledges up to 10 messages; entry ids are `(id, handle)` pairs chosen by the caller.
    async fn ack_batch(&self, entries: Vec<(String, ReceiptHandle)>) -> Result<BatchOutcome, BusError>;

    /// Changes the visibility timeout of one received message (0 makes it visible now).
    async fn change_visibility(&self, receipt: &ReceiptHandle, timeout: Duration) -> Result<(), BusError>;

    /// Changes the visibility of up to 10 messages.
    async fn change_visibility_batch(
        &self,
        entries: Vec<(String, ReceiptHandle, Duration)>,
    ) -> Result<BatchOutcome, BusError>;
}
