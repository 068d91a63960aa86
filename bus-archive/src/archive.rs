//! [`Archive`]: the handle to one SQLite archive, its writes and its queries.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use bus_core::{Delivery, Message};
use rusqlite::Connection;

use crate::error::ArchiveError;
use crate::query::{self, FeedQuery, Page};
use crate::record::{to_millis, ArchivedEvent, NewEvent};
use crate::schema;

/// An event archive on one SQLite database: cheap to clone, safe to share between tasks.
///
/// # Concurrency
/// SQLite calls block, so every async method runs its work on tokio's blocking pool
/// (`spawn_blocking`), never on a runtime worker thread. The pool's task takes the one connection behind
/// a `std::sync::Mutex` for the duration of a single statement or transaction (one store, one page), so
/// critical sections stay short and writers never interleave. The methods therefore need a tokio runtime.
///
/// # Contract
/// - Storing is idempotent on the event id (`INSERT OR IGNORE`): a redelivered message, or the same SNS
///   message fanned out to two archived queues, is stored once; the first write wins.
/// - Feeds are ordered by publish time, then insertion sequence (see [`FeedQuery`]).
#[derive(Clone)]
pub struct Archive {
    inner: Arc<Inner>,
}

struct Inner {
    conn: Mutex<Connection>,
    path: Option<PathBuf>,
}

impl std::fmt::Debug for Archive {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Archive").field("path", &self.inner.path).finish_non_exhaustive()
    }
}

const INSERT: &str = "INSERT OR IGNORE INTO events \
    (id, event_type, time_ms, correlation_id, attributes, body, group_id, deduplication_id, stored_at_ms, subject) \
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)";

fn insert(conn: &Connection, e: &NewEvent, stored_at_ms: i64) -> Result<bool, ArchiveError> {
    let n = conn.prepare_cached(INSERT)?.execute(rusqlite::params![
        e.id,
        e.event_type,
        e.time_ms,
        e.correlation_id,
        e.attributes_json,
        e.body,
        e.group_id,
        e.deduplication_id,
        stored_at_ms,
        e.subject,
    ])?;
    if n == 1 {
        tracing::debug!(id = %e.id, event_type = ?e.event_type, "archived event");
    } else {
        tracing::debug!(id = %e.id, "event already archived; duplicate ignored");
    }
    Ok(n == 1)
}

impl Archive {
    /// Opens (or creates) the archive at `path`, in WAL mode, creating the schema if needed.
    ///
    /// This does blocking file I/O once; call it at start-up (or inside `spawn_blocking`).
    pub fn open(path: impl AsRef<Path>) -> Result<Archive, ArchiveError> {
        let path = path.as_ref().to_path_buf();
        let open_err = |source| ArchiveError::Open { path: path.clone(), source };
        let conn = Connection::open(&path).map_err(open_err)?;
        schema::prepare(&conn, true).map_err(|e| match e {
            ArchiveError::Database(source) => open_err(source),
            other => other,
        })?;
        tracing::info!(path = %path.display(), "opened event archive");
        Ok(Archive { inner: Arc::new(Inner { conn: Mutex::new(conn), path: Some(path) }) })
    }

    /// A fresh archive in memory (tests, dry runs); it disappears with the last clone.
    pub fn open_in_memory() -> Result<Archive, ArchiveError> {
        let conn = Connection::open_in_memory()?;
        schema::prepare(&conn, false)?;
        Ok(Archive { inner: Arc::new(Inner { conn: Mutex::new(conn), path: None }) })
    }

    /// The database file, `None` in memory.
    pub fn path(&self) -> Option<&Path> {
        self.inner.path.as_deref()
    }

    /// Runs `f` with the connection on the blocking pool.
    async fn run<T, F>(&self, f: F) -> Result<T, ArchiveError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, ArchiveError> + Send + 'static,
    {
        let inner = Arc::clone(&self.inner);
        tokio::task::spawn_blocking(move || {
            // A panic while holding the lock cannot leave a half-done write: rusqlite rolls back an
            // unfinished transaction when it is dropped. So a poisoned lock is safe to take over.
            let mut conn = inner.conn.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            f(&mut conn)
        })
        .await?
    }

    /// Stores one delivery; returns `true` if it was new, `false` if an event with its id was already stored.
    ///
    /// The id is the SNS `MessageId` when the delivery carries the SNS envelope, else the SQS message id;
    /// the time is the envelope's `Timestamp`, else the SQS `SentTimestamp` (see [`crate::delivery_id`],
    /// [`crate::delivery_time`]). The stored message is the unwrapped one (published body and attributes).
    pub async fn store(&self, delivery: &Delivery) -> Result<bool, ArchiveError> {
        let event = NewEvent::from_delivery(delivery)?;
        self.run(move |conn| insert(conn, &event, to_millis(SystemTime::now()))).await
    }

    /// Stores a message under an explicit id and publish time; returns whether it was new.
    pub async fn store_message(&self, id: &str, time: SystemTime, message: &Message) -> Result<bool, ArchiveError> {
        let event = NewEvent::from_message(id, time, message)?;
        self.run(move |conn| insert(conn, &event, to_millis(SystemTime::now()))).await
    }

    /// Stores a batch of deliveries in one transaction (on a WAL file, about 3x the throughput of storing
    /// one by one: see the `archive` bench); returns,
    /// per delivery, whether it was new. All or nothing: on error nothing of the batch is stored.
    pub async fn store_batch(&self, deliveries: &[Delivery]) -> Result<Vec<bool>, ArchiveError> {
        let events = deliveries.iter().map(NewEvent::from_delivery).collect::<Result<Vec<_>, _>>()?;
        self.run(move |conn| {
            let tx = conn.transaction()?;
            let now = to_millis(SystemTime::now());
            let stored = events.iter().map(|e| insert(&tx, e, now)).collect::<Result<Vec<_>, _>>()?;
            tx.commit()?;
            Ok(stored)
        })
        .await
    }

    /// The event with this id.
    pub async fn get(&self, id: &str) -> Result<Option<ArchivedEvent>, ArchiveError> {
        let id = id.to_owned();
        self.run(move |conn| query::get(conn, &id)).await
    }

    /// One page of a feed (the activity feed: by type and time range, in order).
    pub async fn feed(&self, query: &FeedQuery) -> Result<Page, ArchiveError> {
        let query = query.clone();
        self.run(move |conn| query::feed(conn, &query)).await
    }

    /// Every event with this correlation id, oldest first.
    ///
    /// Reads page by page of [`crate::MAX_PAGE_SIZE`]; for very long chains use [`Archive::feed`] with
    /// [`FeedQuery::correlation_id`] instead.
    pub async fn by_correlation(&self, correlation_id: &str) -> Result<Vec<ArchivedEvent>, ArchiveError> {
        let mut query = FeedQuery::new().correlation_id(correlation_id).limit(crate::MAX_PAGE_SIZE);
        let mut out = Vec::new();
        loop {
            let page = self.feed(&query).await?;
            out.extend(page.events);
            match page.next_cursor {
                Some(c) => query.after = Some(c),
                None => return Ok(out),
            }
        }
    }

    /// How many events a query selects (its filters only: cursor and limit are ignored).
    pub async fn count(&self, query: &FeedQuery) -> Result<u64, ArchiveError> {
        let query = query.clone();
        self.run(move |conn| query::count(conn, &query)).await
    }

    /// The number of stored events.
    pub async fn len(&self) -> Result<u64, ArchiveError> {
        self.count(&FeedQuery::new()).await
    }

    /// Whether the archive holds no event.
    pub async fn is_empty(&self) -> Result<bool, ArchiveError> {
        Ok(self.len().await? == 0)
    }

    /// The highest insertion sequence so far (0 when empty): a snapshot bound for replay.
    pub(crate) async fn max_seq(&self) -> Result<i64, ArchiveError> {
        self.run(|conn| query::max_seq(conn)).await
    }
}
