//! `bus-archive`: the event archive of the bus, on an embedded SQLite database.
//!
//! A subscriber that stores every event (id, type, publish time, attributes, body, correlation id) once,
//! and answers the questions an application asks of its history:
//!
//! - the **activity feed**: events of a type (or all) in a time range, in publish order, with opaque cursor
//!   pagination ([`Archive::feed`], [`FeedQuery`]);
//! - one event **by id** ([`Archive::get`]) and a chain **by correlation id** ([`Archive::by_correlation`]);
//! - **replay**: re-publish a selection (type, time range, correlation id, and/or a filter policy evaluated
//!   by `bus-core`'s engine) to a topic through any [`bus_core::Publisher`], at a rate limit, with a dry run
//!   and a progress callback ([`Archive::replay`]).
//!
//! Storing is idempotent on the event id, so SQS's at-least-once delivery writes each event once. The id is
//! the SNS message id when the delivery carries the SNS envelope (the same in every subscribed queue),
//! else the SQS message id, or the id given to [`Archive::store_message`]. The correlation-id rule is
//! documented on [`correlation_id_of`]. SQLite runs bundled (nothing to install); files use WAL mode; the
//! blocking calls run on tokio's blocking pool (see [`Archive`]).
//!
//! ```
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! use std::time::{Duration, UNIX_EPOCH};
//! use bus_archive::{Archive, FeedQuery};
//! use bus_core::Event;
//!
//! let archive = Archive::open_in_memory()?;
//! for (i, kind) in ["USER_CREATED", "USER_COMMENT", "USER_COMMENT"].into_iter().enumerate() {
//!     let message = Event::new(kind, serde_json::json!({"n": i})).to_message()?;
//!     let time = UNIX_EPOCH + Duration::from_secs(1_767_225_600 + i as u64);
//!     assert!(archive.store_message(&format!("evt-{i}"), time, &message).await?);
//! }
//! // At-least-once delivery: storing the same id again changes nothing.
//! let again = Event::new("USER_CREATED", serde_json::json!({"n": 0})).to_message()?;
//! assert!(!archive.store_message("evt-0", UNIX_EPOCH, &again).await?);
//!
//! let page = archive.feed(&FeedQuery::new().event_type("USER_COMMENT").limit(1)).await?;
//! assert_eq!(page.events[0].id, "evt-1");
//! let next = archive.feed(&FeedQuery::new().event_type("USER_COMMENT").limit(1).after(page.next_cursor.unwrap())).await?;
//! assert_eq!(next.events[0].id, "evt-2");
//! assert!(next.next_cursor.is_none());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # }).unwrap();
//! ```
//!
//! No feature flags.

mod archive;
mod error;
mod handler;
mod query;
mod record;
mod replay;
mod schema;

pub use archive::Archive;
pub use error::ArchiveError;
pub use handler::ArchiveHandler;
pub use query::{FeedQuery, Order, Page, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE};
pub use record::{
    correlation_id_of, delivery_id, delivery_time, event_type_of, ArchivedEvent, CORRELATION_ID_ATTRIBUTE,
};
pub use replay::{ReplayOptions, ReplayProgress, ReplayReport, ReplaySelection};
