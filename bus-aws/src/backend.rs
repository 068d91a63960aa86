//! [`AwsBackend`]: the [`Backend`] over SNS and SQS.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_sqs::types::QueueAttributeName;
use bus_core::backend::{validate_delay, QueueStats};
use bus_core::{Backend, BusError, Message, Publisher, Subscription, Topology};

use crate::attributes;
use crate::batching::{BatchingConfig, BatchingPublisher};
use crate::builder::AwsBackendBuilder;
use crate::counter::RequestCounter;
use crate::provision::{self, Plan};
use crate::publisher::{validate_fifo_id, SnsPublisher};
use crate::resolve::Clients;
use crate::subscription::SqsSubscription;

/// The AWS backend: SNS topics, SQS queues, and their provisioning.
///
/// Cheap to clone; clones share the clients and the name → ARN/URL cache. Build it with
/// [`AwsBackend::builder`] or [`AwsBackendBuilder::from_env`].
#[derive(Debug, Clone)]
pub struct AwsBackend {
    clients: Arc<Clients>,
    publisher: Arc<SnsPublisher>,
    counter: Option<RequestCounter>,
}

impl AwsBackend {
    /// A builder; see [`AwsBackendBuilder`].
    pub fn builder() -> AwsBackendBuilder {
        AwsBackendBuilder::new()
    }

    pub(crate) fn from_clients(clients: Arc<Clients>, counter: Option<RequestCounter>) -> Self {
        AwsBackend { publisher: Arc::new(SnsPublisher::new(clients.clone())), clients, counter }
    }

    /// The SNS client.
    pub fn sns_client(&self) -> &aws_sdk_sns::Client {
        &self.clients.sns
    }

    /// The SQS client.
    pub fn sqs_client(&self) -> &aws_sdk_sqs::Client {
        &self.clients.sqs
    }

    /// The request counter given to the builder, if any.
    pub fn request_counter(&self) -> Option<&RequestCounter> {
        self.counter.as_ref()
    }

    /// The SNS publisher as its concrete type.
    pub fn sns_publisher(&self) -> SnsPublisher {
        (*self.publisher).clone()
    }

    /// An auto-batching publisher over this backend's SNS publisher: see [`BatchingPublisher`].
    /// Must be called inside a tokio runtime (it spawns its batching task).
    pub fn batching_publisher(&self, config: BatchingConfig) -> BatchingPublisher {
        BatchingPublisher::new(self.publisher.clone(), config)
    }

    /// A consumer of `queue` as its concrete type.
    pub async fn sqs_subscription(&self, queue: &str) -> Result<SqsSubscription, BusError> {
        let url = self.clients.queue_url(queue).await?;
        Ok(SqsSubscription::new(self.clients.clone(), queue.to_owned(), url))
    }

    /// The ARN of a topic, by name.
    pub async fn topic_arn(&self, topic: &str) -> Result<String, BusError> {
        self.clients.topic_arn(topic).await
    }

    /// The URL of a queue, by name.
    pub async fn queue_url(&self, queue: &str) -> Result<String, BusError> {
        self.clients.queue_url(queue).await
    }

    /// The ARN of a queue, by name.
    pub async fn queue_arn(&self, queue: &str) -> Result<String, BusError> {
        self.clients.queue_arn(queue).await
    }

    /// What [`Backend::apply_topology`] would do, without changing anything: every resource is
    /// listed as to be created, to be updated (with the attributes that drifted), in sync, or in
    /// conflict (a difference that cannot be updated in place, such as FIFO-ness).
    ///
    /// The topology is validated first (filter policies by bus-core's engine, with AWS's reason texts).
    pub async fn plan(&self, topology: &Topology) -> Result<Plan, BusError> {
        topology.validate()?;
        Ok(provision::survey(&self.clients, topology).await?.plan)
    }

    /// [`Backend::apply_topology`], returning the plan it carried out (as [`plan`](Self::plan) reported it
    /// before the first change).
    pub async fn apply(&self, topology: &Topology) -> Result<Plan, BusError> {
        provision::apply(&self.clients, topology).await
    }
}

#[async_trait]
impl Backend for AwsBackend {
    fn name(&self) -> &'static str {
        "aws"
    }

    async fn apply_topology(&self, topology: &Topology) -> Result<(), BusError> {
        provision::apply(&self.clients, topology).await.map(|_| ())
    }

    fn publisher(&self) -> Arc<dyn Publisher> {
        self.publisher.clone()
    }

    async fn subscription(&self, queue: &str) -> Result<Arc<dyn Subscription>, BusError> {
        Ok(Arc::new(self.sqs_subscription(queue).await?))
    }

    async fn send(&self, queue: &str, message: Message, delay: Option<Duration>) -> Result<String, BusError> {
        // SQS has no Subject: a message carrying one is refused (`BusError::InvalidSubject`), not stripped.
        message.validate_for_queue()?;
        if message.body.is_empty() {
            return Err(BusError::invalid_parameter(
                "MessageBody",
                "The request must contain the parameter MessageBody.",
            ));
        }
        if let Some(d) = delay {
            validate_delay(d)?;
        }
        if let Some(g) = &message.group_id {
            validate_fifo_id("MessageGroupId", g)?;
        }
        if let Some(d) = &message.deduplication_id {
            validate_fifo_id("MessageDeduplicationId", d)?;
        }
        if queue.ends_with(".fifo") && message.group_id.is_none() {
            return Err(BusError::invalid_parameter(
                "MessageGroupId",
                "The request must contain the parameter MessageGroupId.",
            ));
        }
        let url = self.clients.queue_url(queue).await?;
        let attrs = attributes::to_sqs(&message.attributes)?;
        let out = self
            .clients
            .sqs
            .send_message()
            .queue_url(url)
            .message_body(message.body)
            .set_message_attributes(Some(attrs).filter(|a| !a.is_empty()))
            .set_delay_seconds(delay.map(|d| d.as_secs() as i32))
            .set_message_group_id(message.group_id)
            .set_message_deduplication_id(message.deduplication_id)
            .send()
            .await
            .map_err(|e| self.clients.queue_error(queue, e))?;
        Ok(out.message_id().unwrap_or_default().to_owned())
    }

    async fn queue_stats(&self, queue: &str) -> Result<QueueStats, BusError> {
        let url = self.clients.queue_url(queue).await?;
        let out = self
            .clients
            .sqs
            .get_queue_attributes()
            .queue_url(url)
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesNotVisible)
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesDelayed)
            .send()
            .await
            .map_err(|e| self.clients.queue_error(queue, e))?;
        let get = |n: QueueAttributeName| {
            out.attributes().and_then(|a| a.get(&n)).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0)
        };
        Ok(QueueStats {
            visible: get(QueueAttributeName::ApproximateNumberOfMessages),
            in_flight: get(QueueAttributeName::ApproximateNumberOfMessagesNotVisible),
            delayed: get(QueueAttributeName::ApproximateNumberOfMessagesDelayed),
        })
    }

    async fn purge(&self, queue: &str) -> Result<(), BusError> {
        let url = self.clients.queue_url(queue).await?;
        self.clients.sqs.purge_queue().queue_url(url).send().await.map_err(|e| self.clients.queue_error(queue, e))?;
        Ok(())
    }
}
