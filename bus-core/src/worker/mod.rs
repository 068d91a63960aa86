//! The worker runtime: long-poll workers with bounded concurrency, routing by event type, failure
//! events, visibility heartbeats and graceful shutdown. Backend-agnostic: it only uses the
//! [`Subscription`](crate::Subscription) and [`Publisher`](crate::Publisher) traits.
//!
//! - A [`Router`] dispatches each [`Task`] by event type to a [`Handler`] (any async closure, or a type
//!   implementing the trait), which returns an [`Outcome`] or a [`HandlerError`].
//! - A [`WorkerPool`] runs one runner per queue. A runner acquires concurrency permits (its queue's
//!   and the pool's) *before* it receives and asks for exactly as many messages as it holds permits
//!   (at most 10), so neither cap is ever exceeded. It long-polls (no sleeps), runs the handlers
//!   inside its own task or spawns them ([`Execution`]), and deletes completed messages in batches.
//! - A handler error, a panic, or a body that is not an event never loses the message: the runtime
//!   publishes a `TASK_WORKER_FAILED` event ([`TaskFailure`]) to the failure topic and makes the message
//!   visible again after a [`Backoff`] computed from its receive count; after `maxReceiveCount`
//!   receives the queue's redrive moves it to the dead-letter queue.
//! - While a handler runs, its message's visibility is extended every half visibility timeout
//!   ([`Heartbeat`]), for all the runner's due handlers in one batch request; if an extension fails,
//!   the task's [`CancellationToken`] fires.
//! - [`WorkerPool::shutdown`] stops receiving, lets in-flight handlers finish within a deadline,
//!   flushes the deletes and releases (visibility 0) what did not finish.
//! - Every task runs in a `tracing` span `task{queue, event_type, message_id, receive_count}`;
//!   [`WorkerPool::metrics`] returns the [`Counters`]; a [`TaskObserver`] sees every [`TaskEvent`].
//!
//! ```
//! use std::sync::Arc;
//! use std::time::Duration;
//! use bus_core::backend::{QueueSpec, Topology};
//! use bus_core::worker::{Outcome, QueueConfig, Router, Task, WorkerPool};
//! use bus_core::{Backend, Event, PublisherExt};
//!
//! #[derive(serde::Deserialize)]
//! struct UserCreated { email: String }
//!
//! # #[tokio::main(flavor = "current_thread", start_paused = true)]
//! # async fn main() -> Result<(), bus_core::BusError> {
//! let backend = Arc::new(bus_memory::MemoryBackend::new());
//! let email = QueueSpec::new("email").with_dead_letter_queue("email-dlq", 5);
//! backend
//!     .apply_topology(&Topology::new().topic("events").queue(QueueSpec::new("email-dlq")).queue(email.clone())
//!         .subscribe("events", "email"))
//!     .await?;
//!
//! let router = Router::new()
//!     .on_typed("USER_CREATED", |_task: Task, user: UserCreated| async move {
//!         assert!(user.email.contains('@')); // send the welcome email ...
//!         Ok(Outcome::Complete)
//!     })
//!     .on("USER_COMMENT", |task: Task| async move {
//!         if task.receive_count() < 2 {
//!             return Ok(Outcome::RetryAfter(Duration::from_secs(10)));
//!         }
//!         Ok(Outcome::Complete)
//!     });
//! let pool = WorkerPool::builder()
//!     .backend(backend.clone())
//!     .failure_topic("events")
//!     .queue(QueueConfig::from_spec(&email).with_concurrency(16), router)
//!     .build()
//!     .await?;
//! pool.start();
//!
//! let publisher = backend.publisher();
//! publisher.publish_data("events", "USER_CREATED", serde_json::json!({"email": "a@example.com"})).await?;
//! publisher.publish_data("events", "USER_COMMENT", serde_json::json!({"text": "hi"})).await?;
//! tokio::time::sleep(Duration::from_secs(15)).await;
//! let report = pool.shutdown().await;
//! let m = pool.metrics().total;
//! assert_eq!((m.completed, m.retried, m.acked), (2, 1, 2));
//! assert_eq!(report.released(), 0);
//! assert_eq!(backend.queue_stats("email").await?.total(), 0);
//! # Ok(())
//! # }
//! ```

mod ack;
mod backoff;
mod cancel;
mod config;
mod drive;
mod execute;
mod failure;
mod flights;
mod handler;
mod heartbeat;
mod metrics;
mod observer;
mod permits;
mod placement;
mod pool;
mod recycle;
mod router;
mod runner;
mod settle;
mod shutdown;
mod task;

pub use backoff::{Backoff, Jitter};
pub use cancel::CancellationToken;
pub use config::{Execution, Heartbeat, PoolConfig, QueueConfig};
pub use failure::{FailureKind, TaskFailure};
pub use handler::{Handler, HandlerError, HandlerResult, Outcome};
pub use metrics::{Counters, GaugeValue, MetricsSnapshot};
pub use observer::{FailurePublish, TaskEvent, TaskObserver};
pub use pool::{WorkerPool, WorkerPoolBuilder};
pub use router::Router;
pub use shutdown::{RunnerReport, ShutdownReport};
pub use task::{Task, TaskInfo};
