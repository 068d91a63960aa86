//! [`ArchiveHandler`]: the archive as a consumer of a queue, and as a worker-runtime [`Handler`].

use async_trait::async_trait;
use bus_core::worker::{Handler, HandlerResult, Outcome, Router, Task};
use bus_core::Delivery;

use crate::archive::Archive;
use crate::error::ArchiveError;

/// Stores every delivery it is given: put it behind the queue subscribed to the topic with no filter
/// (the `archive` queue of the seed design).
///
/// It is a worker-runtime [`Handler`]: [`ArchiveHandler::router`] routes every event type to it, so a
/// `WorkerPool` queue with that router archives everything it receives. Storing is idempotent, so
/// acknowledging after a successful store gives "every event once" on top of SQS's at-least-once delivery;
/// a failed store is a handler error, and the message is redelivered.
///
/// ```
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// use std::time::SystemTime;
/// use bus_archive::{Archive, ArchiveHandler};
/// use bus_core::{Delivery, Event, ReceiptHandle};
///
/// let handler = ArchiveHandler::new(Archive::open_in_memory()?);
/// let body = Event::new("USER_CREATED", serde_json::json!({"id": 1})).to_message()?.body;
/// let delivery = Delivery::from_queue_body(
///     "m-1".into(), ReceiptHandle("r-1".into()), 1, SystemTime::now(), SystemTime::now(), body, Default::default(),
/// );
/// assert!(handler.store(&delivery).await?);   // stored
/// assert!(!handler.store(&delivery).await?);  // redelivery: already there
/// // In a worker pool: .queue(QueueConfig::new("archive"), handler.router())
/// let _router = handler.router();
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// ```
#[derive(Debug, Clone)]
pub struct ArchiveHandler {
    archive: Archive,
}

impl ArchiveHandler {
    /// A handler that stores into `archive`.
    pub fn new(archive: Archive) -> Self {
        ArchiveHandler { archive }
    }

    /// The archive it stores into.
    pub fn archive(&self) -> &Archive {
        &self.archive
    }

    /// Stores the delivery; `Ok(true)` if it was new, `Ok(false)` if it was a duplicate.
    pub async fn store(&self, delivery: &Delivery) -> Result<bool, ArchiveError> {
        self.archive.store(delivery).await
    }

    /// A worker-runtime router that sends every event type to this handler (its fallback).
    pub fn router(&self) -> Router {
        Router::new().fallback(self.clone())
    }
}

#[async_trait]
impl Handler for ArchiveHandler {
    /// Stores the task's delivery; completes on success (new or duplicate), fails on a database error.
    async fn handle(&self, task: Task) -> HandlerResult {
        self.archive.store(task.delivery()).await?;
        Ok(Outcome::Complete)
    }
}
