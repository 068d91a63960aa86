//! [`ArchiveHandler`]: the archive as a consumer of a queue (the integration point for the worker runtime).

use bus_core::Delivery;

use crate::archive::Archive;
use crate::error::ArchiveError;

/// Stores every delivery it is given: put it behind the queue subscribed to the topic with no filter
/// (the `archive` queue of the seed design).
///
/// Storing is idempotent, so acknowledging after [`ArchiveHandler::handle`] returns `Ok` gives
/// "every event once" on top of SQS's at-least-once delivery; on `Err` the message should be left to be
/// redelivered.
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
/// assert!(handler.handle(&delivery).await?);   // stored
/// assert!(!handler.handle(&delivery).await?);  // redelivery: already there
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
    pub async fn handle(&self, delivery: &Delivery) -> Result<bool, ArchiveError> {
        self.archive.store(delivery).await
    }
}
