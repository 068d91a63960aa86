//! The [`Publisher`] trait: publish messages to a topic.

use std::fmt::Debug;

use async_trait::async_trait;
use serde::Serialize;

use crate::error::BusError;
use crate::event::Event;
use crate::message::Message;

/// The result of one successful publish.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishReceipt {
    /// The SNS message id.
    pub message_id: String,
    /// FIFO topics: the sequence number SNS assigned.
    pub sequence_number: Option<String>,
}

/// One entry of a [`Publisher::publish_batch`] call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchEntry {
    /// The caller's id for this entry, unique within the batch (1-80 of `A-Za-z0-9_-`).
    pub id: String,
    /// The message.
    pub message: Message,
}

impl BatchEntry {
    /// An entry with this id and message.
    pub fn new(id: impl Into<String>, message: Message) -> Self {
        BatchEntry { id: id.into(), message }
    }
}

/// A failed entry of a batch call, as AWS reports it (`BatchResultErrorEntry`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchEntryError {
    /// The entry's id.
    pub id: String,
    /// AWS's error code (`InvalidParameterValue`, `ReceiptHandleIsInvalid`, ...).
    pub code: String,
    /// A human-readable message.
    pub message: String,
    /// Whether the sender is at fault (`SenderFault`).
    pub sender_fault: bool,
}

impl BatchEntryError {
    /// A sender-fault entry error built from a [`BusError`].
    pub fn from_error(id: impl Into<String>, err: &BusError) -> Self {
        BatchEntryError {
            id: id.into(),
            code: err.aws_code().to_owned(),
            message: err.to_string(),
            sender_fault: !err.is_transient(),
        }
    }
}

/// The per-entry outcome of a batch publish (`PublishBatch`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PublishBatchOutput {
    /// Entries that were published: `(entry id, receipt)`.
    pub successful: Vec<(String, PublishReceipt)>,
    /// Entries that failed.
    pub failed: Vec<BatchEntryError>,
}

/// Publishes messages to topics by name.
///
/// # Contract
/// - `publish` returns after the topic has accepted the message; delivery to subscribed queues is
///   at-least-once and may be asynchronous (AWS) or immediate (memory). Callers must not assume either.
/// - A message is validated before anything is sent: at most 10 attributes with valid names, size within
///   the SNS limit (256 KiB), FIFO fields present on FIFO topics. A rejected message is not published.
/// - `publish_batch` takes 1-10 entries with distinct ids. Request-level problems (empty, more than 10,
///   duplicate ids, total over 256 KiB) fail the whole call; entry-level problems are reported per entry
///   in [`PublishBatchOutput::failed`] while the other entries are published.
/// - Ordering: none on standard topics; per `MessageGroupId` on FIFO topics.
#[async_trait]
pub trait Publisher: Send + Sync + Debug + 'static {
    /// Publishes one message to the topic named `topic`.
    async fn publish(&self, topic: &str, message: Message) -> Result<PublishReceipt, BusError>;

    /// Publishes up to 10 messages to `topic` in one call, with a result per entry.
    async fn publish_batch(&self, topic: &str, entries: Vec<BatchEntry>) -> Result<PublishBatchOutput, BusError>;
}

/// Serde sugar over any [`Publisher`].
#[async_trait]
pub trait PublisherExt: Publisher {
    /// Publishes an [`Event`] as its JSON body with the `event-type` attribute.
    async fn publish_event<T: Serialize + Sync>(
        &self,
        topic: &str,
        event: &Event<T>,
    ) -> Result<PublishReceipt, BusError> {
        let message = event.to_message()?;
        self.publish(topic, message).await
    }

    /// Publishes an event built from a type name and data.
    async fn publish_data<T: Serialize + Send + Sync>(
        &self,
        topic: &str,
        event_type: &str,
        data: T,
    ) -> Result<PublishReceipt, BusError> {
        let event = Event::new(event_type, data);
        self.publish_event(topic, &event).await
    }
}

impl<P: Publisher + ?Sized> PublisherExt for P {}

/// Checks a batch's shape as SQS and SNS do: 1-10 entries, distinct well-formed ids.
pub fn validate_batch_ids<'a>(ids: impl ExactSizeIterator<Item = &'a str>) -> Result<(), BusError> {
    let n = ids.len();
    if n == 0 {
        return Err(BusError::EmptyBatch);
    }
    if n > crate::limits::MAX_BATCH_ENTRIES {
        return Err(BusError::TooManyEntriesInBatch { actual: n, limit: crate::limits::MAX_BATCH_ENTRIES });
    }
    let mut seen = std::collections::HashSet::with_capacity(n);
    for id in ids {
        if id.is_empty()
            || id.len() > crate::limits::MAX_BATCH_ID_LEN
            || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(BusError::invalid_parameter(
                "Id",
                format!("batch entry id {id:?} must be 1-80 characters of A-Z a-z 0-9 - _ (AWS InvalidBatchEntryId)"),
            ));
        }
        if !seen.insert(id) {
            return Err(BusError::BatchEntryIdsNotDistinct { id: id.to_owned() });
        }
    }
    Ok(())
}
