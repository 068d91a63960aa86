//! The one error type of `bus-archive`.

use std::path::PathBuf;

use bus_core::BusError;

/// Errors of the archive: the database, bad input, corrupt rows, and replay failures.
///
/// Every variant carries what a test needs to match on; database errors keep their source.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ArchiveError {
    /// The database file could not be opened or prepared (schema, WAL mode).
    #[error("cannot open the archive at {}: {source}", path.display())]
    Open {
        /// The path that was opened.
        path: PathBuf,
        /// The SQLite error.
        #[source]
        source: rusqlite::Error,
    },
    /// A query or write failed in SQLite.
    #[error("archive database error: {0}")]
    Database(#[from] rusqlite::Error),
    /// The database was written by a newer version of this crate (its `user_version` is unknown).
    #[error("archive schema version {found} is newer than this build supports ({supported})")]
    UnsupportedSchema {
        /// The `user_version` found in the file.
        found: i64,
        /// The newest version this build knows.
        supported: i64,
    },
    /// An argument is out of range or malformed (empty id, zero limit, bad rate, ...).
    #[error("invalid parameter {name}: {reason}")]
    InvalidParameter {
        /// The parameter's name.
        name: &'static str,
        /// Why it is invalid.
        reason: String,
    },
    /// A pagination cursor is not one this archive handed out (or was made for the other order).
    #[error("invalid cursor {cursor:?}: {reason}")]
    InvalidCursor {
        /// The cursor as given.
        cursor: String,
        /// Why it was rejected.
        reason: &'static str,
    },
    /// A stored row cannot be turned back into a message (its attributes JSON is damaged).
    #[error("stored event {id:?} is corrupt: {reason}")]
    Corrupt {
        /// The event id.
        id: String,
        /// What is wrong.
        reason: String,
    },
    /// Publishing an event during a replay failed; the replay stopped there.
    ///
    /// Events before this one (`published` of them) were sent; this one and the rest were not.
    #[error("replay stopped at event {id:?} after {published} published: {source}")]
    Replay {
        /// The id of the event whose publish failed.
        id: String,
        /// How many events were published before the failure.
        published: u64,
        /// The publisher's error (boxed: it is large and rare).
        #[source]
        source: Box<BusError>,
    },
    /// A blocking database task panicked or was cancelled.
    #[error("archive task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
}

impl ArchiveError {
    pub(crate) fn invalid(name: &'static str, reason: impl Into<String>) -> Self {
        ArchiveError::InvalidParameter { name, reason: reason.into() }
    }
}
