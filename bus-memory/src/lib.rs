//! `bus-memory`: an in-process SNS/SQS backend that follows AWS's documented behaviour, on tokio time.
//!
//! [`MemoryBackend`] implements [`bus_core::Backend`]: topics fan messages out to the queues whose
//! subscription filter policy matches (the `bus-core` engine, many policies matched at once per topic),
//! as the SNS notification envelope or raw; queues have SQS semantics (visibility timeouts, receipt
//! handles, receive counts, dead-letter redrive, delays, retention, long polling, batches, purge, FIFO
//! groups and deduplication) and enforce AWS's limits with typed [`BusError`](bus_core::BusError)s.
//! Every time comes from tokio's clock, so a test on a paused runtime runs a 30-second visibility timeout
//! in microseconds.
//!
//! ```
//! use bus_core::backend::{QueueSpec, Topology};
//! use bus_core::{Backend, Event, PublisherExt, ReceiveOptions};
//! use bus_memory::MemoryBackend;
//! use std::time::Duration;
//!
//! # #[tokio::main(flavor = "current_thread", start_paused = true)]
//! # async fn main() -> Result<(), bus_core::BusError> {
//! let bus = MemoryBackend::new();
//! bus.apply_topology(
//!     &Topology::new()
//!         .topic("events")
//!         .queue(QueueSpec::new("email-dlq"))
//!         .queue(QueueSpec::new("email").with_dead_letter_queue("email-dlq", 5))
//!         .subscribe_with_policy("events", "email", serde_json::json!({"event-type": ["USER_CREATED"]})),
//! )
//! .await?;
//!
//! bus.publisher().publish_event("events", &Event::new("USER_CREATED", serde_json::json!({"id": 7}))).await?;
//!
//! let email = bus.subscription("email").await?;
//! let got = email.receive(ReceiveOptions::new(10, Duration::from_secs(20))).await?;
//! assert_eq!(got.len(), 1);
//! assert_eq!(got[0].event_type(), Some("USER_CREATED"));
//! assert_eq!(got[0].receive_count, 1);
//! assert!(got[0].notification.is_some(), "enveloped delivery, as SNS writes it to SQS");
//! email.ack(&got[0].receipt_handle).await?;
//! assert_eq!(bus.queue_stats("email").await?.total(), 0);
//! # Ok(())
//! # }
//! ```
//!
//! # Semantics, and where they differ from AWS
//! - **Delivery is immediate and exact**: `publish` returns after every matching queue holds the message;
//!   a message is delivered once per receive (no duplicate deliveries of standard queues, no sampling of
//!   short polls: a receive with `wait_time` 0 returns whatever is visible). Ordering of standard queues is
//!   first-visible first-out. AWS gives fewer guarantees; code that is correct here under at-least-once
//!   assumptions is correct there.
//! - **Receipt handles**: a new one on every receive. Deleting with an outdated handle (the message was
//!   received again since) succeeds and deletes nothing (SQS: "the request succeeds, but the message might
//!   not be deleted"; here it never is); deleting a message already gone succeeds. Changing visibility with
//!   an outdated handle fails with `ReceiptHandleInvalid`; of a message no longer in flight, with
//!   `MessageNotInflight`. Handles of another queue or malformed text fail with `ReceiptHandleInvalid`.
//! - **Redrive** happens at the receive that would exceed `maxReceiveCount`: a message is delivered exactly
//!   `maxReceiveCount` times, then moved. It keeps its message id and receive count; standard dead-letter
//!   queues keep its original sent time (retention counts from it), FIFO ones reset it.
//! - **Visibility**: 0 s-12 h per queue, per receive and per change; the total from a receive may not exceed
//!   12 hours. At most 120,000 messages are in flight per queue: receives return nothing more (as long polls
//!   do on SQS) until some are deleted or return.
//! - **Purge** deletes every message at once (SQS takes up to 60 s) and allows one purge per 60 s.
//! - **Retention** applies to every message, in flight or not; a changed retention period applies to the
//!   messages already stored.
//! - **FIFO**: groups are delivered in order and held while any of their messages is in flight (a receive
//!   may take several consecutive messages of one group); deduplication ids (explicit, or the SHA-256 of the
//!   body with content-based deduplication) are remembered 5 minutes per topic and per queue; a duplicate is
//!   accepted, returns the first send's ids, and is not delivered. Per-message delays are refused on FIFO
//!   queues. A `MessageGroupId` on a standard topic or queue is accepted and passed on (SQS fair queues).
//! - **Envelope**: the notification JSON as SNS writes it to SQS (`"Key" : value`, SNS's field order,
//!   attributes as `{"Type","Value"}`), with `UnsubscribeURL` naming the subscription's ARN. `Signature` is
//!   **not verifiable**: it is the base64 SHA-256 digest of a per-backend secret and the fields SNS signs.
//! - **Topology**: `apply_topology` validates the whole topology first and is idempotent; changed queue
//!   attributes, filter policies, scopes and raw delivery are updated in place. Resources missing from a
//!   later topology are kept (nothing is deleted).
//!
//! No feature flags.

mod backend;
mod clock;
mod dedup;
mod envelope;
mod ids;
mod payload;
mod publisher;
mod queue;
mod receipt;
mod subscription;
mod topic;
mod validate;

pub use backend::admin::{SendReceipt, SubscriptionInfo};
pub use backend::{MemoryBackend, MemoryBackendBuilder, QueueMemory};

/// The README's example, compiled and run as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
pub use publisher::MemoryPublisher;
pub use subscription::MemorySubscription;
