//! [`MemorySubscription`]: the [`Subscription`] (consumer) of one memory queue.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use bus_core::backend::BatchOutcome;
use bus_core::{BusError, Delivery, ReceiptHandle, ReceiveOptions, Subscription};

use crate::queue::Queue;

/// A consumer of one queue of a [`MemoryBackend`](crate::MemoryBackend). Cheap to clone; many may
/// consume the same queue concurrently.
#[derive(Debug, Clone)]
pub struct MemorySubscription {
    pub(crate) queue: Arc<Queue>,
}

#[async_trait]
impl Subscription for MemorySubscription {
    fn queue(&self) -> &str {
        &self.queue.name
    }

    async fn receive(&self, options: ReceiveOptions) -> Result<Vec<Delivery>, BusError> {
        self.queue.receive(options).await
    }

    async fn ack(&self, receipt: &ReceiptHandle) -> Result<(), BusError> {
        self.queue.ack(receipt)
    }

    async fn ack_batch(&self, entries: Vec<(String, ReceiptHandle)>) -> Result<BatchOutcome, BusError> {
        self.queue.ack_batch(entries)
    }

    async fn change_visibility(&self, receipt: &ReceiptHandle, timeout: Duration) -> Result<(), BusError> {
        self.queue.change_visibility(receipt, timeout)
    }

    async fn change_visibility_batch(
        &self,
        entries: Vec<(String, ReceiptHandle, Duration)>,
    ) -> Result<BatchOutcome, BusError> {
        self.queue.change_visibility_batch(entries)
    }
}
