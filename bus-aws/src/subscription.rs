//! [`SqsSubscription`]: the [`Subscription`] over SQS `ReceiveMessage`, `DeleteMessage(Batch)` and
//! `ChangeMessageVisibility(Batch)`.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use aws_sdk_sqs::types::{
    BatchResultErrorEntry, ChangeMessageVisibilityBatchRequestEntry, DeleteMessageBatchRequestEntry,
    MessageSystemAttributeName,
};
use bus_core::backend::{
    validate_batch_ids, validate_visibility, BatchEntryError, BatchOutcome, Delivery, ReceiptHandle, ReceiveOptions,
};
use bus_core::envelope::from_epoch_millis;
use bus_core::{BusError, Subscription};

use crate::attributes;
use crate::error::{map_sdk_error, Service, Subject};
use crate::resolve::Clients;

/// A consumer of one SQS queue.
///
/// `receive` asks for every message attribute and the system attributes the [`Delivery`] carries
/// (`ApproximateReceiveCount`, `ApproximateFirstReceiveTimestamp`, `SentTimestamp`, `MessageGroupId`,
/// `SequenceNumber`) and unwraps the SNS envelope when there is one; with raw delivery the SQS message
/// attributes are the published ones.
#[derive(Debug, Clone)]
pub struct SqsSubscription {
    clients: Arc<Clients>,
    queue: String,
    url: String,
}

/// The system attributes a receive asks for.
const SYSTEM_ATTRIBUTES: [MessageSystemAttributeName; 5] = [
    MessageSystemAttributeName::ApproximateReceiveCount,
    MessageSystemAttributeName::ApproximateFirstReceiveTimestamp,
    MessageSystemAttributeName::SentTimestamp,
    MessageSystemAttributeName::MessageGroupId,
    MessageSystemAttributeName::SequenceNumber,
];

fn secs_i32(d: Duration) -> i32 {
    i32::try_from(d.as_secs()).unwrap_or(i32::MAX)
}

fn entry_failure(f: &BatchResultErrorEntry) -> BatchEntryError {
    BatchEntryError {
        id: f.id().to_owned(),
        code: f.code().to_owned(),
        message: f.message().unwrap_or_default().to_owned(),
        sender_fault: f.sender_fault(),
    }
}

impl SqsSubscription {
    pub(crate) fn new(clients: Arc<Clients>, queue: String, url: String) -> Self {
        SqsSubscription { clients, queue, url }
    }

    /// The queue's URL.
    pub fn queue_url(&self) -> &str {
        &self.url
    }

    /// Maps an error of a call about one receipt handle; "queue does not exist" still names the queue.
    fn receipt_error<E, R>(&self, receipt: &ReceiptHandle, err: aws_sdk_sqs::error::SdkError<E, R>) -> BusError
    where
        E: aws_sdk_sqs::error::ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
        R: std::fmt::Debug + Send + Sync + 'static,
        aws_sdk_sqs::error::SdkError<E, R>: aws_sdk_sqs::operation::RequestId,
    {
        match map_sdk_error(Service::Sqs, Subject::Receipt(receipt.as_str()), err) {
            BusError::QueueNotFound(_) => {
                self.clients.forget_queue(&self.queue);
                BusError::QueueNotFound(self.queue.clone())
            }
            other => other,
        }
    }

    fn delivery(&self, m: &aws_sdk_sqs::types::Message) -> Delivery {
        let system = m.attributes();
        let sys = |name: MessageSystemAttributeName| system.and_then(|a| a.get(&name)).map(String::as_str);
        let millis = |name| sys(name).and_then(|v| v.parse::<u64>().ok()).map(from_epoch_millis);
        let sent_at = millis(MessageSystemAttributeName::SentTimestamp).unwrap_or_else(SystemTime::now);
        let first = millis(MessageSystemAttributeName::ApproximateFirstReceiveTimestamp).unwrap_or(sent_at);
        let receive_count =
            sys(MessageSystemAttributeName::ApproximateReceiveCount).and_then(|v| v.parse().ok()).unwrap_or(1);
        let mut d = Delivery::from_queue_body(
            m.message_id().unwrap_or_default().to_owned(),
            ReceiptHandle(m.receipt_handle().unwrap_or_default().to_owned()),
            receive_count,
            first,
            sent_at,
            m.body().unwrap_or_default().to_owned(),
            attributes::from_sqs(m.message_attributes()),
        );
        d.group_id = sys(MessageSystemAttributeName::MessageGroupId).map(str::to_owned);
        d.sequence_number = sys(MessageSystemAttributeName::SequenceNumber).map(str::to_owned);
        d
    }
}

#[async_trait]
impl Subscription for SqsSubscription {
    fn queue(&self) -> &str {
        &self.queue
    }

    async fn receive(&self, options: ReceiveOptions) -> Result<Vec<Delivery>, BusError> {
        options.validate()?;
        let out = self
            .clients
            .sqs
            .receive_message()
            .queue_url(&self.url)
            .max_number_of_messages(options.max_messages as i32)
            .set_wait_time_seconds(options.wait_time.map(secs_i32))
            .set_visibility_timeout(options.visibility_timeout.map(secs_i32))
            .message_attribute_names("All")
            .set_message_system_attribute_names(Some(SYSTEM_ATTRIBUTES.to_vec()))
            .send()
            .await
            .map_err(|e| self.clients.queue_error(&self.queue, e))?;
        Ok(out.messages().iter().map(|m| self.delivery(m)).collect())
    }

    async fn ack(&self, receipt: &ReceiptHandle) -> Result<(), BusError> {
        self.clients
            .sqs
            .delete_message()
            .queue_url(&self.url)
            .receipt_handle(receipt.as_str())
            .send()
            .await
            .map_err(|e| self.receipt_error(receipt, e))?;
        Ok(())
    }

    async fn ack_batch(&self, entries: Vec<(String, ReceiptHandle)>) -> Result<BatchOutcome, BusError> {
        validate_batch_ids(entries.iter().map(|(id, _)| id.as_str()))?;
        let request = entries
            .into_iter()
            .map(|(id, handle)| DeleteMessageBatchRequestEntry::builder().id(id).receipt_handle(handle.0).build())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| BusError::invalid_parameter("Entries", e.to_string()))?;
        let out = self
            .clients
            .sqs
            .delete_message_batch()
            .queue_url(&self.url)
            .set_entries(Some(request))
            .send()
            .await
            .map_err(|e| self.clients.queue_error(&self.queue, e))?;
        Ok(BatchOutcome {
            successful: out.successful().iter().map(|s| s.id().to_owned()).collect(),
            failed: out.failed().iter().map(entry_failure).collect(),
        })
    }

    async fn change_visibility(&self, receipt: &ReceiptHandle, timeout: Duration) -> Result<(), BusError> {
        validate_visibility(timeout)?;
        self.clients
            .sqs
            .change_message_visibility()
            .queue_url(&self.url)
            .receipt_handle(receipt.as_str())
            .visibility_timeout(secs_i32(timeout))
            .send()
            .await
            .map_err(|e| self.receipt_error(receipt, e))?;
        Ok(())
    }

    async fn change_visibility_batch(
        &self,
        entries: Vec<(String, ReceiptHandle, Duration)>,
    ) -> Result<BatchOutcome, BusError> {
        validate_batch_ids(entries.iter().map(|(id, _, _)| id.as_str()))?;
        let mut outcome = BatchOutcome::default();
        let mut request = Vec::with_capacity(entries.len());
        for (id, handle, timeout) in entries {
            if let Err(e) = validate_visibility(timeout) {
                outcome.failed.push(BatchEntryError::from_error(id, &e));
                continue;
            }
            let entry = ChangeMessageVisibilityBatchRequestEntry::builder()
                .id(id)
                .receipt_handle(handle.0)
                .visibility_timeout(secs_i32(timeout))
                .build()
                .map_err(|e| BusError::invalid_parameter("Entries", e.to_string()))?;
            request.push(entry);
        }
        if request.is_empty() {
            return Ok(outcome);
        }
        let out = self
            .clients
            .sqs
            .change_message_visibility_batch()
            .queue_url(&self.url)
            .set_entries(Some(request))
            .send()
            .await
            .map_err(|e| self.clients.queue_error(&self.queue, e))?;
        outcome.successful.extend(out.successful().iter().map(|s| s.id().to_owned()));
        outcome.failed.extend(out.failed().iter().map(entry_failure));
        Ok(outcome)
    }
}
