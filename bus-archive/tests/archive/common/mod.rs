//! Helpers shared by the archive's integration tests.
#![allow(dead_code)]

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use bus_core::backend::{BatchEntry, PublishBatchOutput, PublishReceipt};
use bus_core::envelope::{format_timestamp, Notification};
use bus_core::{BusError, Delivery, Event, Message, Publisher, ReceiptHandle};

/// 2026-01-01T00:00:00Z.
pub const T0: u64 = 1_767_225_600;

/// `T0 + secs` seconds.
pub fn at(secs: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(T0 + secs)
}

/// An event message of this type with `data`.
pub fn event(kind: &str, data: serde_json::Value) -> Message {
    Event::new(kind, data).to_message().unwrap()
}

/// A delivery as SNS writes it to a queue with raw delivery off: the envelope carries `sns_id` and `time`.
pub fn enveloped(sqs_id: &str, sns_id: &str, time: SystemTime, message: &Message) -> Delivery {
    let n = Notification {
        kind: "Notification".into(),
        message_id: sns_id.into(),
        sequence_number: None,
        topic_arn: "arn:aws:sns:us-east-1:000000000000:events".into(),
        subject: None,
        message: message.body.clone(),
        timestamp: format_timestamp(time),
        signature_version: "1".into(),
        signature: "x".into(),
        signing_cert_url: String::new(),
        unsubscribe_url: String::new(),
        message_attributes: Notification::attributes_from(&message.attributes),
    };
    let now = SystemTime::now();
    Delivery::from_queue_body(
        sqs_id.into(),
        ReceiptHandle(format!("rh-{sqs_id}")),
        1,
        now,
        now,
        n.to_json(),
        Default::default(),
    )
}

/// A raw delivery (no envelope): the SQS id and `SentTimestamp` are all there is.
pub fn raw(sqs_id: &str, sent_at: SystemTime, message: &Message) -> Delivery {
    Delivery::from_queue_body(
        sqs_id.into(),
        ReceiptHandle(format!("rh-{sqs_id}")),
        1,
        sent_at,
        sent_at,
        message.body.clone(),
        message.attributes.clone(),
    )
}

/// One recorded publish.
#[derive(Debug, Clone)]
pub struct Published {
    pub topic: String,
    pub message: Message,
    pub at: tokio::time::Instant,
}

/// A publisher that records what it is given; it can be told to fail from the n-th publish on.
#[derive(Debug, Default, Clone)]
pub struct RecordingPublisher {
    pub published: Arc<Mutex<Vec<Published>>>,
    pub fail_from: Option<usize>,
}

impl RecordingPublisher {
    pub fn failing_from(n: usize) -> Self {
        RecordingPublisher { fail_from: Some(n), ..Default::default() }
    }

    pub fn take(&self) -> Vec<Published> {
        std::mem::take(&mut self.published.lock().unwrap())
    }

    pub fn bodies(&self) -> Vec<String> {
        self.published.lock().unwrap().iter().map(|p| p.message.body.clone()).collect()
    }
}

#[async_trait]
impl Publisher for RecordingPublisher {
    async fn publish(&self, topic: &str, message: Message) -> Result<PublishReceipt, BusError> {
        let mut published = self.published.lock().unwrap();
        if self.fail_from.is_some_and(|n| published.len() >= n) {
            return Err(BusError::TopicNotFound(topic.to_owned()));
        }
        published.push(Published { topic: topic.to_owned(), message, at: tokio::time::Instant::now() });
        Ok(PublishReceipt { message_id: format!("replayed-{}", published.len()), sequence_number: None })
    }

    async fn publish_batch(&self, topic: &str, entries: Vec<BatchEntry>) -> Result<PublishBatchOutput, BusError> {
        let mut out = PublishBatchOutput::default();
        for e in entries {
            out.successful.push((e.id.clone(), self.publish(topic, e.message).await?));
        }
        Ok(out)
    }
}
