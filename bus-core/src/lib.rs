//! `bus-core`: the heart of an event bus in the AWS SNS → SQS style.
//!
//! It holds the message and event model, the SNS notification envelope, AWS's limits, the
//! SNS filter-policy engine ([`filter`]), the backend traits ([`backend`]) that `bus-memory` and
//! `bus-aws` implement, and the worker runtime ([`worker`]).
//!
//! ```
//! use bus_core::{Event, filter::{FilterPolicy, FilterScope, SnsFilterPolicy}};
//!
//! let policy = SnsFilterPolicy::from_value(
//!     &serde_json::json!({"event-type": ["USER_CREATED", "USER_COMMENT"]}),
//!     FilterScope::MessageAttributes,
//! ).unwrap();
//! let message = Event::new("USER_CREATED", serde_json::json!({"id": 1})).to_message().unwrap();
//! assert!(policy.matches(&message));
//! ```
//!
//! No feature flags.

pub mod backend;
pub mod envelope;
pub mod error;
pub mod event;
pub mod filter;
pub mod limits;
pub mod message;
pub mod worker;

pub use backend::{Backend, Delivery, Publisher, PublisherExt, ReceiptHandle, ReceiveOptions, Subscription, Topology};
pub use error::BusError;
pub use event::{Event, EVENT_TYPE_ATTRIBUTE, TASK_WORKER_FAILED};
pub use message::{AttributeType, AttributeValue, Message, MessageAttributes};
pub use worker::{Handler, HandlerError, HandlerResult, Outcome, QueueConfig, Router, Task, WorkerPool};
