//! [`MemoryPublisher`]: the [`Publisher`] of the memory backend.

use std::sync::Arc;

use async_trait::async_trait;
use bus_core::backend::{BatchEntry, BatchEntryError, PublishBatchOutput, PublishReceipt};
use bus_core::{limits, BusError, Message, Publisher};

use crate::backend::Inner;

/// Publishes to the topics of a [`MemoryBackend`](crate::MemoryBackend).
///
/// Delivery is immediate: when `publish` returns, every matching queue holds the message.
#[derive(Debug, Clone)]
pub struct MemoryPublisher {
    pub(crate) inner: Arc<Inner>,
}

#[async_trait]
impl Publisher for MemoryPublisher {
    async fn publish(&self, topic: &str, message: Message) -> Result<PublishReceipt, BusError> {
        let t = self.inner.topic(topic)?;
        t.publish(message, &self.inner.sns)
    }

    async fn publish_batch(&self, topic: &str, entries: Vec<BatchEntry>) -> Result<PublishBatchOutput, BusError> {
        crate::validate::batch_ids(entries.iter().map(|e| e.id.as_str()))?;
        let total: usize = entries.iter().map(|e| e.message.wire_size()).sum();
        if total > limits::SNS_MAX_BATCH_BYTES {
            return Err(BusError::BatchRequestTooLong { actual: total, limit: limits::SNS_MAX_BATCH_BYTES });
        }
        let t = self.inner.topic(topic)?;
        let mut out = PublishBatchOutput::default();
        for e in entries {
            match t.publish(e.message, &self.inner.sns) {
                Ok(r) => out.successful.push((e.id, r)),
                Err(err) => out.failed.push(BatchEntryError::from_error(e.id, &err)),
            }
        }
        Ok(out)
    }
}
