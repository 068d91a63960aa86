//! Taps: [`Backend`], [`Publisher`] and [`Subscription`] decorators that write every call's effect to
//! the [`Recorder`] and otherwise pass it through unchanged.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use bus_core::backend::{BatchEntry, BatchOutcome, PublishBatchOutput, PublishReceipt, QueueStats};
use bus_core::{
    Backend, BusError, Delivery, Message, Publisher, ReceiptHandle, ReceiveOptions, Subscription, Topology,
};

use super::record::{Destination, Recorder};

/// Records publishes, sends, receives and acknowledgements of the backend it wraps.
#[derive(Debug)]
pub(crate) struct RecordingBackend {
    pub(crate) inner: Arc<dyn Backend>,
    pub(crate) recorder: Arc<Recorder>,
}

#[async_trait]
impl Backend for RecordingBackend {
    fn name(&self) -> &'static str {
        self.inner.name()
    }

    async fn apply_topology(&self, topology: &Topology) -> Result<(), BusError> {
        self.inner.apply_topology(topology).await
    }

    fn publisher(&self) -> Arc<dyn Publisher> {
        Arc::new(RecordingPublisher { inner: self.inner.publisher(), recorder: self.recorder.clone() })
    }

    async fn subscription(&self, queue: &str) -> Result<Arc<dyn Subscription>, BusError> {
        let inner = self.inner.subscription(queue).await?;
        Ok(Arc::new(RecordingSubscription { inner, recorder: self.recorder.clone() }))
    }

    async fn send(&self, queue: &str, message: Message, delay: Option<Duration>) -> Result<String, BusError> {
        let result = self.inner.send(queue, message.clone(), delay).await;
        let text = result.as_ref().map(Clone::clone).map_err(ToString::to_string);
        self.recorder.published(Destination::Queue(queue.to_owned()), &message, text);
        result
    }

    async fn queue_stats(&self, queue: &str) -> Result<QueueStats, BusError> {
        self.inner.queue_stats(queue).await
    }

    async fn purge(&self, queue: &str) -> Result<(), BusError> {
        self.inner.purge(queue).await
    }
}

/// Records each published message with its result.
#[derive(Debug)]
pub(crate) struct RecordingPublisher {
    pub(crate) inner: Arc<dyn Publisher>,
    pub(crate) recorder: Arc<Recorder>,
}

#[async_trait]
impl Publisher for RecordingPublisher {
    async fn publish(&self, topic: &str, message: Message) -> Result<PublishReceipt, BusError> {
        let result = self.inner.publish(topic, message.clone()).await;
        let text = result.as_ref().map(|r| r.message_id.clone()).map_err(ToString::to_string);
        self.recorder.published(Destination::Topic(topic.to_owned()), &message, text);
        result
    }

    async fn publish_batch(&self, topic: &str, entries: Vec<BatchEntry>) -> Result<PublishBatchOutput, BusError> {
        let result = self.inner.publish_batch(topic, entries.clone()).await;
        let destination = || Destination::Topic(topic.to_owned());
        match &result {
            Ok(output) => {
                for entry in &entries {
                    let ok = output.successful.iter().find(|(id, _)| *id == entry.id);
                    let text = match ok {
                        Some((_, receipt)) => Ok(receipt.message_id.clone()),
                        None => Err(output
                            .failed
                            .iter()
                            .find(|f| f.id == entry.id)
                            .map(|f| format!("{}: {}", f.code, f.message))
                            .unwrap_or_else(|| "no result for this entry".to_owned())),
                    };
                    self.recorder.published(destination(), &entry.message, text);
                }
            }
            Err(e) => {
                for entry in &entries {
                    self.recorder.published(destination(), &entry.message, Err(e.to_string()));
                }
            }
        }
        result
    }
}

/// Records receives (with their receipt handles) and successful acknowledgements.
#[derive(Debug)]
pub(crate) struct RecordingSubscription {
    pub(crate) inner: Arc<dyn Subscription>,
    pub(crate) recorder: Arc<Recorder>,
}

#[async_trait]
impl Subscription for RecordingSubscription {
    fn queue(&self) -> &str {
        self.inner.queue()
    }

    async fn receive(&self, options: ReceiveOptions) -> Result<Vec<Delivery>, BusError> {
        match self.inner.receive(options).await {
            Ok(deliveries) => {
                self.recorder.received(self.inner.queue(), &deliveries);
                Ok(deliveries)
            }
            Err(e) => {
                self.recorder.receive_failed(self.inner.queue(), e.to_string());
                Err(e)
            }
        }
    }

    async fn ack(&self, receipt: &ReceiptHandle) -> Result<(), BusError> {
        self.inner.ack(receipt).await?;
        self.recorder.acked(self.inner.queue(), &[receipt]);
        Ok(())
    }

    async fn ack_batch(&self, entries: Vec<(String, ReceiptHandle)>) -> Result<BatchOutcome, BusError> {
        let outcome = self.inner.ack_batch(entries.clone()).await?;
        let acked: Vec<&ReceiptHandle> =
            entries.iter().filter(|(id, _)| outcome.successful.contains(id)).map(|(_, r)| r).collect();
        self.recorder.acked(self.inner.queue(), &acked);
        Ok(outcome)
    }

    async fn change_visibility(&self, receipt: &ReceiptHandle, timeout: Duration) -> Result<(), BusError> {
        self.inner.change_visibility(receipt, timeout).await
    }

    async fn change_visibility_batch(
        &self,
        entries: Vec<(String, ReceiptHandle, Duration)>,
    ) -> Result<BatchOutcome, BusError> {
        self.inner.change_visibility_batch(entries).await
    }
}
