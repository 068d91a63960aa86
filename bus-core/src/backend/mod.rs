//! The backend traits: [`Publisher`], [`Subscription`] and [`Backend`] (topology and queue admin).
//!
//! Backends implement these with `async-trait`, so they can be used as `Arc<dyn ...>` and swapped
//! with a feature flag: application code only sees the traits.

mod publisher;
mod subscription;
mod topology;

use std::fmt::Debug;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

pub use publisher::{
    validate_batch_ids, BatchEntry, BatchEntryError, PublishBatchOutput, PublishReceipt, Publisher, PublisherExt,
};
pub use subscription::{validate_visibility, BatchOutcome, Delivery, ReceiptHandle, ReceiveOptions, Subscription};
pub use topology::{validate_delay, QueueSpec, RedrivePolicy, SubscriptionSpec, TopicSpec, Topology};

use crate::error::BusError;
use crate::message::Message;

/// Approximate message counts of a queue, as SQS reports them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct QueueStats {
    /// `ApproximateNumberOfMessages`: visible now.
    pub visible: u64,
    /// `ApproximateNumberOfMessagesNotVisible`: received and not yet deleted or returned.
    pub in_flight: u64,
    /// `ApproximateNumberOfMessagesDelayed`: not yet visible because of a delay.
    pub delayed: u64,
}

impl QueueStats {
    /// All messages the queue holds.
    pub fn total(&self) -> u64 {
        self.visible + self.in_flight + self.delayed
    }
}

/// A whole backend: provisions a topology, hands out publishers and subscriptions, and administers queues.
///
/// # Contract
/// - `apply_topology` is idempotent: applying the same topology twice changes nothing the second time;
///   applying a changed one updates resources in place (queue attributes, filter policies). It
///   validates the whole topology first, so a bad topology changes nothing.
/// - `publisher` and `subscription` are cheap handles; many may be used concurrently.
/// - `send` puts a message straight onto a queue (SQS `SendMessage`), bypassing topics: used for
///   dead-letter redrive and tests.
#[async_trait]
pub trait Backend: Send + Sync + Debug + 'static {
    /// A short name for logs and reports (`memory`, `aws`).
    fn name(&self) -> &'static str;

    /// Creates or updates every topic, queue and subscription of `topology`.
    async fn apply_topology(&self, topology: &Topology) -> Result<(), BusError>;

    /// A publisher to this backend's topics.
    fn publisher(&self) -> Arc<dyn Publisher>;

    /// A consumer of the queue named `queue`.
    async fn subscription(&self, queue: &str) -> Result<Arc<dyn Subscription>, BusError>;

    /// Sends a message straight to a queue, with an optional per-message delay (0-900 s).
    async fn send(&self, queue: &str, message: Message, delay: Option<Duration>) -> Result<String, BusError>;

    /// Approximate counts of a queue.
    async fn queue_stats(&self, queue: &str) -> Result<QueueStats, BusError>;

    /// Deletes every message of a queue.
    async fn purge(&self, queue: &str) -> Result<(), BusError>;
}
