//! Runnable examples of the event bus, first of all the **seed demo**: the whole fan-out of the seed
//! design, end to end.
//!
//! ```text
//! cargo run -p bus-examples --bin seed-demo                      # in memory
//! scripts/moto.sh cargo run -p bus-examples --features aws --bin seed-demo   # SNS/SQS (moto, or AWS)
//! ```
//!
//! The demo provisions topic `events` and queues `email` (filter: `event-type` USER_CREATED,
//! USER_COMMENT), `billing` (USER_CREATED, STRIPE_INCOMING_WEBHOOK) and `archive` (everything), each with a
//! dead-letter queue ([`seed_topology`]); runs workers on them ([`email_router`], [`billing_router`], and
//! `bus-archive`'s [`ArchiveHandler`](bus_archive::ArchiveHandler) on `archive`); serves `bus-webhook`'s
//! ingress on 127.0.0.1 and posts a signed Stripe `invoice.paid` to it over HTTP; publishes a short
//! [`story`]; and reports ([`DemoReport`]) what went where, the `TASK_WORKER_FAILED` events of the
//! deliberately failing billing case (redelivered, then dead-lettered), and the activity feed read back
//! from the archive. [`run_demo`] only sees `Arc<dyn Backend>`, so the same code runs on every backend.
//!
//! The routing rule is the topology's own filter policies, evaluated by `bus-core`'s engine:
//!
//! ```
//! use bus_core::Event;
//! use bus_examples::{routes, seed_topology, Names};
//!
//! let names = Names::default();
//! let topology = seed_topology(&names);
//! let route = |event_type: &str| {
//!     let message = Event::new(event_type, serde_json::json!({})).to_message().unwrap();
//!     routes(&topology, &names.topic, &message).unwrap().into_iter().collect::<Vec<_>>()
//! };
//! assert_eq!(route("USER_CREATED"), ["archive", "billing", "email"]);
//! assert_eq!(route("STRIPE_INCOMING_WEBHOOK"), ["archive", "billing"]);
//! assert_eq!(route("USER_LOGGED_IN"), ["archive"]);
//! ```
//!
//! # Feature flags
//! - `aws`: the `seed-demo` binary runs on `bus-aws`'s backend, configured from the environment
//!   (`AWS_REGION`, credentials, `AWS_ENDPOINT_URL` for a local server) instead of in memory.

mod demo;
mod error;
mod handlers;
mod ledger;
mod report;
mod topology;
mod webhook;

pub use demo::{run_demo, story, DemoOptions};
pub use error::DemoError;
pub use handlers::{billing_router, email_router, Effect, Effects, UserComment, UserCreated, BLOCKED_EMAIL};
pub use ledger::{event_id, FailureRecord, Ledger, QueueVisit, Tracked};
pub use report::{DeadLetter, DemoReport, FeedItem, Origin, QueueSummary, RoutedEvent};
pub use topology::{routes, seed_topology, Names, BILLING_EVENT_TYPES, EMAIL_EVENT_TYPES, MAX_RECEIVE_COUNT};
pub use webhook::{invoice_paid, send_stripe_webhooks, ServedIngress, WebhookCall, DEMO_STRIPE_SECRET};
