//! The worker runtime: long-poll workers with bounded concurrency, routing by event type, failure
//! events, visibility heartbeats and graceful shutdown. Backend-agnostic: it only uses the
//! [`Subscription`](crate::Subscription) and [`Publisher`](crate::Publisher) traits.
//!
//! - A [`Router`] dispatches each [`Task`] by event type to a [`Handler`] (any async closure, or a type
//!   implementing the trait), which returns an [`Outcome`] or a [`HandlerError`].
//! - A [`WorkerPool`] runs one runner per queue. A runner acquires concurrency permits (its queue's
//!   and the pool's) *before* it receives and asks for exactly as many messages as it holds permits
//!   (at most 10), so neither cap is ever exceeded. It long-polls (no sleeps), spawns a task per
//!   message, and deletes completed messages in batches.
//! - A handler error, a panic, or a body that is not an event never loses the message: the runtime
//!   publishes a `TASK_WORKER_FAILED` event ([`TaskFailure`]) to the failure topic and makes the message
//!   visible again after a [`Backoff`] computed from its receive count; after `maxReceiveCount`
//!   receives the queue's redrive moves it to the dead-letter queue.
//! - While a handler runs, its message's visibility is extended every half visibility timeout
//!   ([`Heartbeat`]); if an extension fails, the task's [`CancellationToken`] fires.
//! - [`WorkerPool::shutdown`] stops receiving, lets in-flight handlers finish within a deadline,
//!   flushes the deletes and releases (visibility 0) what did not finish.
//! - Every task runs in a `tracing` span `task{queue, event_type, message_id, receive_count}`;
//!   [`WorkerPool::metrics`] returns the [`Counters`]; a [`TaskObserver`] sees every [`TaskEvent`].
//!
//! ```
//! use std::time::Duration;
//! use bus_core::worker::{Outcome, QueueConfig, Router, Task, WorkerPool};
//!
//! #[derive(serde::Deserialize)]
//! struct UserCreated { email: String }
//!
//! let router = Router::new()
//!     .on_typed("USER_CREATED", |_task: Task, user: UserCreated| async move {
//!         // send the welcome email to user.email ...
//!         # let _ = user.email;
//!         Ok(Outcome::Complete)
//!     })
//!     .on("USER_COMMENT", |task: Task| async move {
//!         if task.receive_count() < 3 {
//!             return Ok(Outcome::RetryAfter(Duration::from_secs(10)));
//!         }
//!         Ok(Outcome::Complete)
//!     });
//! let config = QueueConfig::new("email").with_concurrency(16).with_max_receive_count(5);
//! // With a backend (`Arc<dyn Backend>`):
//! // let pool = WorkerPool::builder().backend(backend).failure_topic("events")
//! //     .queue(config, router).build().await?;
//! // pool.start();
//! // ...
//! // pool.shutdown().await;
//! # let _ = (config, router, WorkerPool::builder());
//! ```

mod ack;
mod backoff;
mod cancel;
mod config;
mod execute;
mod failure;
mod handler;
mod heartbeat;
mod metrics;
mod observer;
mod pool;
mod router;
mod runner;
mod shutdown;
mod task;

pub use backoff::{Backoff, Jitter};
pub use cancel::CancellationToken;
pub use config::{Heartbeat, PoolConfig, QueueConfig};
pub use failure::{FailureKind, TaskFailure};
pub use handler::{Handler, HandlerError, HandlerResult, Outcome};
pub use metrics::{Counters, GaugeValue, MetricsSnapshot};
pub use observer::{FailurePublish, TaskEvent, TaskObserver};
pub use pool::{WorkerPool, WorkerPoolBuilder};
pub use router::Router;
pub use shutdown::{RunnerReport, ShutdownReport};
pub use task::{Task, TaskInfo};
