//! What the server keeps about resources beyond the engine's model: queue attributes SQS stores but
//! the engine does not use (`Policy`, KMS settings, ...), `MaximumMessageSize`, timestamps, tags, and
//! topic and subscription attributes of the same kind.

use std::collections::{BTreeMap, HashMap};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

/// SQS's default and largest `MaximumMessageSize` (1 MiB since 2025).
pub(crate) const DEFAULT_MAX_MESSAGE_SIZE: u64 = 1_048_576;

/// Seconds since the Unix epoch, now.
pub(crate) fn now_secs() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

/// Server-side metadata of one queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct QueueMeta {
    /// `CreatedTimestamp` (epoch seconds).
    pub created: u64,
    /// `LastModifiedTimestamp` (epoch seconds).
    pub modified: u64,
    /// `MaximumMessageSize` in bytes.
    pub max_message_size: u64,
    /// Stored-only attributes by name (`Policy`, `RedriveAllowPolicy`, `KmsMasterKeyId`, ...).
    pub attributes: BTreeMap<String, String>,
    /// Tags.
    pub tags: BTreeMap<String, String>,
}

impl QueueMeta {
    /// Metadata of a queue created now.
    pub(crate) fn new() -> Self {
        let now = now_secs();
        QueueMeta {
            created: now,
            modified: now,
            max_message_size: DEFAULT_MAX_MESSAGE_SIZE,
            attributes: BTreeMap::new(),
            tags: BTreeMap::new(),
        }
    }
}

/// Server-side metadata of one topic.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct TopicMeta {
    /// Stored-only attributes (`DisplayName`, `Policy`, `DeliveryPolicy`, ...).
    pub attributes: BTreeMap<String, String>,
    /// Tags.
    pub tags: BTreeMap<String, String>,
}

/// Server-side metadata of one subscription.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct SubscriptionMeta {
    /// Stored-only attributes (`RedrivePolicy`, `DeliveryPolicy`, `SubscriptionRoleArn`).
    pub attributes: BTreeMap<String, String>,
}

/// All server-side metadata, by queue name, topic name and subscription ARN.
#[derive(Debug, Default)]
pub(crate) struct Registry {
    pub queues: HashMap<String, QueueMeta>,
    pub topics: HashMap<String, TopicMeta>,
    pub subscriptions: HashMap<String, SubscriptionMeta>,
}

impl Registry {
    /// The metadata of a queue (created on first use for queues made outside the server).
    pub(crate) fn queue(&mut self, name: &str) -> &mut QueueMeta {
        self.queues.entry(name.to_owned()).or_insert_with(QueueMeta::new)
    }

    /// The metadata of a topic.
    pub(crate) fn topic(&mut self, name: &str) -> &mut TopicMeta {
        self.topics.entry(name.to_owned()).or_default()
    }

    /// The metadata of a subscription.
    pub(crate) fn subscription(&mut self, arn: &str) -> &mut SubscriptionMeta {
        self.subscriptions.entry(arn.to_owned()).or_default()
    }
}
