//! [`SnsPublisher`]: the [`Publisher`] over SNS `Publish` and `PublishBatch`.

use std::sync::Arc;

use async_trait::async_trait;
use aws_sdk_sns::types::PublishBatchRequestEntry;
use bus_core::backend::{validate_batch_ids, BatchEntry, BatchEntryError, PublishBatchOutput, PublishReceipt};
use bus_core::{limits, BusError, Message, Publisher};

use crate::attributes;
use crate::resolve::Clients;

/// Publishes to SNS topics by name (or ARN).
///
/// Every message is checked locally first (subject, attribute count, names and values, the 256 KiB
/// limit, FIFO fields), so a bad message never costs a request. The subject goes out as `Subject` on
/// `Publish` and on each `PublishBatch` entry. Topic ARNs are resolved once and cached.
#[derive(Debug, Clone)]
pub struct SnsPublisher {
    clients: Arc<Clients>,
}

/// Whether a topic (name or ARN) is a FIFO topic: FIFO topic names end in `.fifo`.
pub(crate) fn is_fifo(topic: &str) -> bool {
    topic.ends_with(".fifo")
}

/// Checks a FIFO id (`MessageGroupId`, `MessageDeduplicationId`): 1-128 characters of `A-Za-z0-9` and
/// ASCII punctuation.
pub(crate) fn validate_fifo_id(param: &str, id: &str) -> Result<(), BusError> {
    if id.is_empty() || id.len() > limits::MAX_FIFO_ID_LEN {
        return Err(BusError::invalid_parameter(param, format!("must be 1-128 characters, got {}", id.len())));
    }
    if let Some(c) = id.chars().find(|c| !(c.is_ascii_alphanumeric() || c.is_ascii_punctuation())) {
        return Err(BusError::invalid_parameter(
            param,
            format!("contains the invalid character {c:?} (allowed: A-Z a-z 0-9 and ASCII punctuation)"),
        ));
    }
    Ok(())
}

/// Checks a message for `topic` as SNS would, before any request.
pub(crate) fn validate_for_topic(topic: &str, message: &Message) -> Result<(), BusError> {
    if message.body.is_empty() {
        return Err(BusError::invalid_parameter("Message", "Empty message"));
    }
    message.validate(limits::SNS_MAX_MESSAGE_BYTES)?;
    if is_fifo(topic) && message.group_id.is_none() {
        return Err(BusError::invalid_parameter(
            "MessageGroupId",
            "The MessageGroupId parameter is required for FIFO topics",
        ));
    }
    if let Some(g) = &message.group_id {
        validate_fifo_id("MessageGroupId", g)?;
    }
    if let Some(d) = &message.deduplication_id {
        if !is_fifo(topic) {
            return Err(BusError::invalid_parameter(
                "MessageDeduplicationId",
                "The request includes MessageDeduplicationId parameter that is not valid for this topic type",
            ));
        }
        validate_fifo_id("MessageDeduplicationId", d)?;
    }
    Ok(())
}

impl SnsPublisher {
    pub(crate) fn new(clients: Arc<Clients>) -> Self {
        SnsPublisher { clients }
    }
}

#[async_trait]
impl Publisher for SnsPublisher {
    async fn publish(&self, topic: &str, message: Message) -> Result<PublishReceipt, BusError> {
        validate_for_topic(topic, &message)?;
        let arn = self.clients.topic_arn(topic).await?;
        let out = self
            .clients
            .sns
            .publish()
            .topic_arn(&arn)
            .message(message.body)
            .set_subject(message.subject)
            .set_message_attributes(Some(attributes::to_sns(&message.attributes)?).filter(|m| !m.is_empty()))
            .set_message_group_id(message.group_id)
            .set_message_deduplication_id(message.deduplication_id)
            .send()
            .await
            .map_err(|e| self.clients.topic_error(topic, e))?;
        Ok(PublishReceipt {
            message_id: out.message_id().unwrap_or_default().to_owned(),
            sequence_number: out.sequence_number().map(str::to_owned),
        })
    }

    async fn publish_batch(&self, topic: &str, entries: Vec<BatchEntry>) -> Result<PublishBatchOutput, BusError> {
        validate_batch_ids(entries.iter().map(|e| e.id.as_str()))?;
        let total: usize = entries.iter().map(|e| e.message.wire_size()).sum();
        if total > limits::SNS_MAX_BATCH_BYTES {
            return Err(BusError::BatchRequestTooLong { actual: total, limit: limits::SNS_MAX_BATCH_BYTES });
        }
        let mut output = PublishBatchOutput::default();
        let mut request = Vec::with_capacity(entries.len());
        for BatchEntry { id, message } in entries {
            let built = validate_for_topic(topic, &message).and_then(|()| {
                PublishBatchRequestEntry::builder()
                    .id(&id)
                    .message(message.body)
                    .set_subject(message.subject)
                    .set_message_attributes(Some(attributes::to_sns(&message.attributes)?).filter(|m| !m.is_empty()))
                    .set_message_group_id(message.group_id)
                    .set_message_deduplication_id(message.deduplication_id)
                    .build()
                    .map_err(|e| BusError::invalid_parameter("PublishBatchRequestEntries", e.to_string()))
            });
            match built {
                Ok(entry) => request.push(entry),
                Err(e) => output.failed.push(BatchEntryError::from_error(id, &e)),
            }
        }
        if request.is_empty() {
            return Ok(output);
        }
        let arn = self.clients.topic_arn(topic).await?;
        let out = self
            .clients
            .sns
            .publish_batch()
            .topic_arn(&arn)
            .set_publish_batch_request_entries(Some(request))
            .send()
            .await
            .map_err(|e| self.clients.topic_error(topic, e))?;
        for s in out.successful() {
            output.successful.push((
                s.id().unwrap_or_default().to_owned(),
                PublishReceipt {
                    message_id: s.message_id().unwrap_or_default().to_owned(),
                    sequence_number: s.sequence_number().map(str::to_owned),
                },
            ));
        }
        for f in out.failed() {
            output.failed.push(BatchEntryError {
                id: f.id().to_owned(),
                code: f.code().to_owned(),
                message: f.message().unwrap_or_default().to_owned(),
                sender_fault: f.sender_fault(),
            });
        }
        Ok(output)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fifo_topics_need_a_group_id_and_standard_ones_refuse_dedup_ids() {
        let m = Message::new("x");
        assert!(validate_for_topic("events", &m).is_ok());
        let e = validate_for_topic("events.fifo", &m).unwrap_err();
        assert!(matches!(e, BusError::InvalidParameter { ref name, .. } if name == "MessageGroupId"));
        assert!(validate_for_topic("events.fifo", &m.clone().with_group_id("g")).is_ok());
        let e = validate_for_topic("events", &m.clone().with_deduplication_id("d")).unwrap_err();
        assert!(matches!(e, BusError::InvalidParameter { ref name, .. } if name == "MessageDeduplicationId"));
        let e = validate_for_topic("t.fifo", &m.with_group_id("g h")).unwrap_err();
        assert!(matches!(e, BusError::InvalidParameter { ref name, .. } if name == "MessageGroupId"));
    }

    #[test]
    fn invalid_subjects_fail_locally() {
        assert!(validate_for_topic("t", &Message::new("x").with_subject("Fine subject")).is_ok());
        for bad in [String::new(), "x".repeat(101), "line\nbreak".to_owned()] {
            let e = validate_for_topic("t", &Message::new("x").with_subject(bad.clone())).unwrap_err();
            assert!(matches!(e, BusError::InvalidSubject { .. }), "{bad:?}: {e:?}");
            assert_eq!(e.aws_code(), "InvalidParameter");
        }
    }

    #[test]
    fn empty_and_oversized_messages_fail_locally() {
        assert!(matches!(validate_for_topic("t", &Message::new("")), Err(BusError::InvalidParameter { .. })));
        let big = Message::new("x".repeat(limits::SNS_MAX_MESSAGE_BYTES + 1));
        assert!(matches!(validate_for_topic("t", &big), Err(BusError::PayloadTooLarge { .. })));
    }
}
