//! `bus-aws`: the AWS backend of the event bus, on SNS topics and SQS queues.
//!
//! The same application code, topology and handlers that run on the in-memory backend run here:
//! - [`AwsBackend`] implements [`bus_core::Backend`]: it provisions a [`Topology`](bus_core::Topology)
//!   (topics, queues and dead-letter queues with their attributes, a queue policy that lets only the
//!   subscribed topics send, subscriptions with filter policies and raw delivery), idempotently, with a
//!   [`Plan`] of what would change first ([`AwsBackend::plan`]); it hands out publishers and subscriptions.
//! - [`SnsPublisher`] publishes with `Publish`/`PublishBatch`, attributes mapped one to one, FIFO fields,
//!   everything validated locally before any request. [`BatchingPublisher`] turns single publishes into
//!   batches of up to 10 (with a linger time, the 256 KiB limit and back-pressure).
//! - [`SqsSubscription`] receives up to 10 messages per long poll with every attribute, unwraps the SNS
//!   envelope (or passes raw delivery through), and deletes and changes visibility in batches, with
//!   per-entry failures surfaced.
//! - Errors map to [`bus_core::BusError`]: typed variants for the well-known cases (`QueueNotFound`,
//!   `TopicNotFound`, `InvalidParameter`, ...), [`BusError::Backend`](bus_core::BusError::Backend) with the
//!   service code, request id and source otherwise. Throttling and transient failures are retried by the
//!   SDK's standard retry mode ([`default_retry_config`]).
//! - [`RequestCounter`] counts requests per operation (an SDK interceptor), to measure request cost.
//!
//! ```no_run
//! use bus_aws::{AwsBackend, BatchingConfig};
//! use bus_core::{Backend, Event, PublisherExt, ReceiveOptions, Topology, backend::QueueSpec};
//!
//! # async fn run() -> Result<(), bus_core::BusError> {
//! // Region, credentials and endpoint come from the environment (AWS_REGION, AWS_ENDPOINT_URL, ...).
//! let backend = AwsBackend::builder().build().await?;
//! let topology = Topology::new()
//!     .topic("events")
//!     .queue(QueueSpec::new("email-dlq"))
//!     .queue(QueueSpec::new("email").with_dead_letter_queue("email-dlq", 5))
//!     .subscribe_with_policy("events", "email", serde_json::json!({"event-type": ["USER_CREATED"]}));
//! println!("{}", backend.plan(&topology).await?);
//! backend.apply_topology(&topology).await?;
//!
//! let publisher = backend.batching_publisher(BatchingConfig::default());
//! publisher.publish_event("events", &Event::new("USER_CREATED", serde_json::json!({"id": 1}))).await?;
//!
//! let email = backend.subscription("email").await?;
//! for delivery in email.receive(ReceiveOptions::default()).await? {
//!     println!("{:?}", delivery.event_type());
//!     email.ack(&delivery.receipt_handle).await?;
//! }
//! # Ok(()) }
//! ```
//!
//! No feature flags. The HTTPS client is hyper with rustls and the `ring` crypto provider
//! ([`https_client`]); the SDK crates are built without their default features.
//!
//! Testing: the crate's tests run against a local SNS/SQS server, `scripts/moto.sh cargo test -p bus-aws`
//! (moto 5.2.1 on 127.0.0.1; without a server the tests fail, they never skip). What moto does
//! differently from AWS is listed in [`ServerCapabilities::MOTO`]. The request-cost benchmark (W6) is
//! `scripts/moto.sh cargo run -p bus-aws --example w6_cost`.

mod attributes;
mod backend;
mod batching;
mod builder;
pub mod capabilities;
mod counter;
mod error;
pub mod provision;
mod publisher;
mod resolve;
mod subscription;

pub use backend::AwsBackend;
pub use batching::{BatchingConfig, BatchingPublisher};
pub use builder::{default_retry_config, default_timeout_config, https_client, AwsBackendBuilder};
pub use capabilities::ServerCapabilities;
pub use counter::{OperationStats, RequestCounter, RequestCounts, BILLING_CHUNK_BYTES};
pub use provision::{Action, Change, Drift, Plan, ResourceKind, POLICY_SID};
pub use publisher::SnsPublisher;
pub use subscription::SqsSubscription;
