//! `bus-testkit`: testing tools for the event bus, and the one conformance suite every backend runs.
//!
//! - [`TestBus`] ([`harness`]): a memory backend with your topology and your handlers, on paused tokio
//!   time, recording everything — published, filtered out (with the policy that said no), delivered per
//!   queue, acknowledged, retried, failed (with the `TASK_WORKER_FAILED` event), dead-lettered — and
//!   assertions (`assert_delivered("email", ...)`, `assert_not_delivered`, `assert_dead_lettered`,
//!   `assert_failed`, counts) that print what the queue did receive next to what was expected.
//!   [`TestBus::wait_until_idle`] runs virtual time until every queue is empty.
//! - [`strategies`]: proptest strategies for attributes and events within AWS's limits, valid filter
//!   policies of both scopes, messages that match a policy and messages that do not, and fault plans.
//! - [`faults`]: fault injection — duplicate deliveries, lost acknowledgements, visibility expiring
//!   mid-handler, crashes before the acknowledgement, delayed and reordered receives, backend errors
//!   on a chosen call — as decorators over the backend traits, each reproducible from a `u64` seed.
//! - [`conformance`]: plain async scenarios over the [`bus_core::Backend`] traits (publish and receive,
//!   fan-out, every filter operator family through a real subscription, raw and enveloped delivery,
//!   visibility and redelivery, dead-letter redrive, delays, batches, FIFO, AWS's limits, topology,
//!   stats and purge), run with [`conformance::run_all`] or one test per scenario with
//!   [`conformance_tests!`]. What a backend cannot do is stated in its [`conformance::Capabilities`].
//!
//! # A topology routes each event type where it should
//!
//! The seed design: topic `events`; `email` takes `USER_CREATED` and `USER_COMMENT`, `billing` takes
//! `USER_CREATED` and `STRIPE_INCOMING_WEBHOOK`, `archive` takes everything. Queues without a handler
//! are read by the test bus itself, so this needs no handler at all.
//!
//! ```
//! use bus_core::backend::{QueueSpec, Topology};
//! use bus_testkit::TestBus;
//! use serde_json::json;
//!
//! # #[tokio::main(flavor = "current_thread", start_paused = true)]
//! # async fn main() -> Result<(), bus_testkit::TestBusError> {
//! let topology = Topology::new()
//!     .topic("events")
//!     .queue(QueueSpec::new("email"))
//!     .queue(QueueSpec::new("billing"))
//!     .queue(QueueSpec::new("archive"))
//!     .subscribe_with_policy("events", "email", json!({"event-type": ["USER_CREATED", "USER_COMMENT"]}))
//!     .subscribe_with_policy("events", "billing", json!({"event-type": ["USER_CREATED", "STRIPE_INCOMING_WEBHOOK"]}))
//!     .subscribe("events", "archive");
//! let bus = TestBus::builder().topology(topology).build().await?;
//!
//! let routes = [
//!     ("USER_CREATED", ["email", "billing", "archive"].as_slice()),
//!     ("USER_COMMENT", &["email", "archive"]),
//!     ("STRIPE_INCOMING_WEBHOOK", &["billing", "archive"]),
//!     ("ORDER_SHIPPED", &["archive"]),
//! ];
//! for (event_type, _) in routes {
//!     bus.publish("events", event_type, json!({"id": 1})).await?;
//! }
//! bus.wait_until_idle().await?;
//!
//! for (event_type, expected) in routes {
//!     for queue in ["email", "billing", "archive"] {
//!         if expected.contains(&queue) {
//!             bus.assert_delivered(queue, event_type);
//!         } else {
//!             bus.assert_not_delivered(queue, event_type);
//!             bus.assert_filtered_out(queue, event_type); // and the policy that said no is on record
//!         }
//!     }
//! }
//! # Ok(())
//! # }
//! ```
//!
//! When an assertion fails, its message shows what the queue did receive and what became of the
//! matching messages, e.g. for `bus.assert_delivered("email", "STRIPE_INCOMING_WEBHOOK")` above:
//!
//! ```text
//! assert_delivered("email", STRIPE_INCOMING_WEBHOOK) failed: no message received from queue "email" matches
//!   expected: STRIPE_INCOMING_WEBHOOK
//!   queue "email" received 2 messages:
//!     1. USER_CREATED {"id":1} — received 1× (receive counts 1); acked
//!     2. USER_COMMENT {"id":1} — received 1× (receive counts 1); acked
//!   matching messages published:
//!     - STRIPE_INCOMING_WEBHOOK {"id":1} to topic "events": routed to [billing, archive]
//!         rejected for "email" by the subscription events → email, filter policy (MessageAttributes) {"event-type":["USER_CREATED","USER_COMMENT"]}
//! ```
//!
//! # A handler is idempotent under duplicate delivery
//!
//! At-least-once delivery means a handler sees some messages twice. Here a property test proves that
//! the welcome email goes out once per user whatever the fault plan's seed does: deliveries duplicated,
//! tasks crashing after their work but before the acknowledgement, acknowledgements lost.
//!
//! ```
//! use std::collections::BTreeSet;
//! use std::sync::{Arc, Mutex};
//! use bus_core::backend::{QueueSpec, Topology};
//! use bus_core::worker::{Outcome, Router, Task};
//! use bus_testkit::{faults::FaultPlan, run_paused, TestBus};
//! use proptest::prelude::*;
//!
//! #[derive(Default)]
//! struct Mailer {
//!     seen: BTreeSet<u64>, // users already welcomed: what makes the handler idempotent
//!     outbox: Vec<u64>,    // emails sent
//! }
//!
//! fn welcome(mailer: Arc<Mutex<Mailer>>) -> Router {
//!     Router::new().on("USER_CREATED", move |task: Task| {
//!         let mailer = mailer.clone();
//!         async move {
//!             let user = task.data()["id"].as_u64().ok_or("no user id")?;
//!             let mut m = mailer.lock().unwrap();
//!             if m.seen.insert(user) {
//!                 m.outbox.push(user);
//!             }
//!             Ok(Outcome::Complete)
//!         }
//!     })
//! }
//!
//! proptest! {
//!     #![proptest_config(ProptestConfig::with_cases(8))]
//!     fn one_welcome_email_per_user(seed in any::<u64>(), users in prop::collection::btree_set(0u64..1000, 1..20)) {
//!         let mailer = Arc::new(Mutex::new(Mailer::default()));
//!         let duplicates = run_paused(async {
//!             let topology = Topology::new().topic("events").queue(QueueSpec::new("email")).subscribe("events", "email");
//!             let faults = FaultPlan::new(seed).duplicate_deliveries(0.5).crash_before_ack(0.2).lose_acks(0.2);
//!             let bus = TestBus::builder().topology(topology).handler("email", welcome(mailer.clone()))
//!                 .faults(faults).build().await.unwrap();
//!             for user in &users {
//!                 bus.publish("events", "USER_CREATED", serde_json::json!({"id": user})).await.unwrap();
//!             }
//!             bus.wait_until_idle().await.unwrap();
//!             bus.records().queue("email").iter().filter(|m| m.receive_count() > 1).count()
//!         });
//!         let sent: Vec<u64> = mailer.lock().unwrap().outbox.clone();
//!         prop_assert_eq!(sent.len(), users.len(), "one email per user, {} messages delivered twice or more", duplicates);
//!         prop_assert_eq!(sent.into_iter().collect::<BTreeSet<_>>(), users);
//!     }
//! }
//! # fn main() { one_welcome_email_per_user(); }
//! ```
//!
//! Without the `seen` check the same test fails on the first seed that duplicates a delivery, and
//! proptest shrinks it to one user and prints the seed that replays it.
//!
//! # The conformance suite
//!
//! ```
//! use bus_testkit::conformance::{scenarios, Capabilities, Capability};
//!
//! // The local SNS/SQS server lacks a few filter operators; those scenarios become "not applicable".
//! let moto = Capabilities::moto();
//! let wildcard = scenarios().iter().find(|s| s.name == "filter_wildcard").unwrap();
//! assert_eq!(moto.missing(wildcard.requires), vec![Capability::Wildcard]);
//! assert!(Capabilities::full().missing(wildcard.requires).is_empty());
//! ```
//!
//! No feature flags.

pub mod conformance;
pub mod faults;
pub mod harness;
mod runtime;
pub mod strategies;

pub use harness::{EventMatch, Records, TestBus, TestBusBuilder, TestBusError};
pub use runtime::run_paused;
