//! Limits that AWS documents for SNS and SQS, in one place.
//!
//! Every backend enforces the same numbers so that what passes in memory also passes on AWS.

use std::time::Duration;

/// Maximum number of message attributes on one SNS or SQS message.
pub const MAX_ATTRIBUTES: usize = 10;
/// Maximum SNS message size (body plus attribute names, types and values), in bytes: 256 KiB.
pub const SNS_MAX_MESSAGE_BYTES: usize = 262_144;
/// Maximum SQS message size, in bytes: 1 MiB (raised from 256 KiB in 2025).
pub const SQS_MAX_MESSAGE_BYTES: usize = 1_048_576;
/// Maximum total size of one `PublishBatch`/`SendMessageBatch` request payload: 256 KiB.
pub const SNS_MAX_BATCH_BYTES: usize = 262_144;
/// Maximum number of entries in a batch request (publish, send, delete, change visibility).
pub const MAX_BATCH_ENTRIES: usize = 10;
/// Maximum number of messages one `ReceiveMessage` returns.
pub const MAX_RECEIVE_MESSAGES: usize = 10;
/// Maximum long-poll wait of one `ReceiveMessage`.
pub const MAX_WAIT_TIME: Duration = Duration::from_secs(20);
/// Maximum visibility timeout: 12 hours.
pub const MAX_VISIBILITY_TIMEOUT: Duration = Duration::from_secs(43_200);
/// Default queue visibility timeout: 30 seconds.
pub const DEFAULT_VISIBILITY_TIMEOUT: Duration = Duration::from_secs(30);
/// Maximum queue or message delay: 15 minutes.
pub const MAX_DELAY: Duration = Duration::from_secs(900);
/// Minimum message retention period: 60 seconds.
pub const MIN_RETENTION: Duration = Duration::from_secs(60);
/// Maximum message retention period: 14 days.
pub const MAX_RETENTION: Duration = Duration::from_secs(1_209_600);
/// Default message retention period: 4 days.
pub const DEFAULT_RETENTION: Duration = Duration::from_secs(345_600);
/// Bounds of a redrive policy's `maxReceiveCount`.
pub const MAX_RECEIVE_COUNT_RANGE: std::ops::RangeInclusive<u32> = 1..=1000;
/// FIFO deduplication interval: 5 minutes.
pub const FIFO_DEDUP_WINDOW: Duration = Duration::from_secs(300);
/// Maximum length of an attribute name.
pub const MAX_ATTRIBUTE_NAME_LEN: usize = 256;
/// Maximum length of a FIFO `MessageGroupId` / `MessageDeduplicationId`.
pub const MAX_FIFO_ID_LEN: usize = 128;
/// Maximum length of an SNS `Subject`: 100 characters (counted as UTF-16 code units, see
/// [`crate::message::validate_subject`]). AWS documents "less than 100 characters" but accepts exactly 100.
pub const MAX_SUBJECT_LEN: usize = 100;
/// Maximum length of a batch entry id.
pub const MAX_BATCH_ID_LEN: usize = 80;
/// Maximum number of filter policies (subscriptions with a policy) per topic.
pub const MAX_FILTER_POLICIES_PER_TOPIC: usize = 200;
/// Maximum length of a queue name (80 characters, including `.fifo`).
pub const MAX_QUEUE_NAME_LEN: usize = 80;
/// Maximum length of a topic name (256 characters, including `.fifo`).
pub const MAX_TOPIC_NAME_LEN: usize = 256;
