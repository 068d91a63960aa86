//! Feed queries: selection (type, correlation id, time range), order, and opaque cursor pagination.

use std::time::SystemTime;

use base64::Engine as _;
use rusqlite::types::Value;
use rusqlite::Connection;

use crate::error::ArchiveError;
use crate::record::{decode_attributes, from_millis, to_millis, ArchivedEvent};

/// The default page size of a [`FeedQuery`].
pub const DEFAULT_PAGE_SIZE: usize = 100;
/// The largest page a [`FeedQuery`] may ask for.
pub const MAX_PAGE_SIZE: usize = 10_000;

/// The order of a feed: by publish time, ties broken by insertion sequence.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum Order {
    /// Oldest first: `(time, seq)` ascending (the default).
    #[default]
    OldestFirst,
    /// Newest first: `(time, seq)` descending.
    NewestFirst,
}

impl Order {
    fn tag(self) -> char {
        match self {
            Order::OldestFirst => 'a',
            Order::NewestFirst => 'd',
        }
    }
}

/// A selection of archived events and one page of it: the activity feed.
///
/// Every filter is optional and they combine with AND. The time range is `since <= time < until`, to the
/// millisecond. Pages come in [`Order`]; pass the previous page's [`Page::next_cursor`] as `after` to
/// continue. A cursor stays valid while events are added: new events sort where their time puts them, so
/// a page never repeats or skips an event that existed when the previous page was read.
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use bus_archive::FeedQuery;
/// let q = FeedQuery::new()
///     .event_type("USER_COMMENT")
///     .since(UNIX_EPOCH + Duration::from_secs(1_767_225_600))
///     .limit(50);
/// assert_eq!(q.limit, 50);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedQuery {
    /// Only events of this type.
    pub event_type: Option<String>,
    /// Only events with this correlation id.
    pub correlation_id: Option<String>,
    /// Only events published at or after this time.
    pub since: Option<SystemTime>,
    /// Only events published before this time.
    pub until: Option<SystemTime>,
    /// Page size, 1 to [`MAX_PAGE_SIZE`].
    pub limit: usize,
    /// The order of the feed.
    pub order: Order,
    /// The cursor of the previous page ([`Page::next_cursor`]); `None` for the first page.
    pub after: Option<String>,
    /// Only events with `seq <= max_seq` (a snapshot bound: replay uses it so that events stored while it
    /// runs, such as its own re-published events, are not selected).
    pub(crate) max_seq: Option<i64>,
}

impl Default for FeedQuery {
    fn default() -> Self {
        FeedQuery {
            event_type: None,
            correlation_id: None,
            since: None,
            until: None,
            limit: DEFAULT_PAGE_SIZE,
            order: Order::OldestFirst,
            after: None,
            max_seq: None,
        }
    }
}

impl FeedQuery {
    /// Every event, oldest first, [`DEFAULT_PAGE_SIZE`] per page.
    pub fn new() -> Self {
        Self::default()
    }

    /// Only events of this type.
    pub fn event_type(mut self, event_type: impl Into<String>) -> Self {
        self.event_type = Some(event_type.into());
        self
    }

    /// Only events with this correlation id.
    pub fn correlation_id(mut self, correlation_id: impl Into<String>) -> Self {
        self.correlation_id = Some(correlation_id.into());
        self
    }

    /// Only events published at or after `t`.
    pub fn since(mut self, t: SystemTime) -> Self {
        self.since = Some(t);
        self
    }

    /// Only events published before `t`.
    pub fn until(mut self, t: SystemTime) -> Self {
        self.until = Some(t);
        self
    }

    /// The page size.
    pub fn limit(mut self, limit: usize) -> Self {
        self.limit = limit;
        self
    }

    /// Newest first.
    pub fn newest_first(mut self) -> Self {
        self.order = Order::NewestFirst;
        self
    }

    /// Continue after the page that returned this cursor.
    pub fn after(mut self, cursor: impl Into<String>) -> Self {
        self.after = Some(cursor.into());
        self
    }

    fn validate(&self) -> Result<(), ArchiveError> {
        if !(1..=MAX_PAGE_SIZE).contains(&self.limit) {
            return Err(ArchiveError::invalid("limit", format!("must be 1 to {MAX_PAGE_SIZE}, got {}", self.limit)));
        }
        if let (Some(since), Some(until)) = (self.since, self.until) {
            if until < since {
                return Err(ArchiveError::invalid("until", "the end of the time range is before its start"));
            }
        }
        Ok(())
    }

    /// The `WHERE` clause (without the cursor) and its parameters.
    fn filter(&self) -> (String, Vec<Value>) {
        let mut sql = String::from(" WHERE 1 = 1");
        let mut params = Vec::new();
        if let Some(t) = &self.event_type {
            sql.push_str(" AND event_type = ?");
            params.push(Value::Text(t.clone()));
        }
        if let Some(c) = &self.correlation_id {
            sql.push_str(" AND correlation_id = ?");
            params.push(Value::Text(c.clone()));
        }
        if let Some(t) = self.since {
            sql.push_str(" AND time_ms >= ?");
            params.push(Value::Integer(to_millis(t)));
        }
        if let Some(t) = self.until {
            sql.push_str(" AND time_ms < ?");
            params.push(Value::Integer(to_millis(t)));
        }
        if let Some(max) = self.max_seq {
            sql.push_str(" AND seq <= ?");
            params.push(Value::Integer(max));
        }
        (sql, params)
    }
}

/// One page of a feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    /// The events of this page, in the query's order.
    pub events: Vec<ArchivedEvent>,
    /// The cursor of the next page; `None` when this page is the last.
    pub next_cursor: Option<String>,
}

/// A position in a feed: the `(time, seq)` of the last event of a page, and the order it was read in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Cursor {
    order: Order,
    time_ms: i64,
    seq: i64,
}

impl Cursor {
    /// Opaque text: URL-safe base64 of `{a|d}{time_ms}.{seq}`.
    fn encode(&self) -> String {
        let text = format!("{}{}.{}", self.order.tag(), self.time_ms, self.seq);
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(text)
    }

    fn decode(cursor: &str, order: Order) -> Result<Cursor, ArchiveError> {
        let invalid = |reason| ArchiveError::InvalidCursor { cursor: cursor.to_owned(), reason };
        let bytes =
            base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(cursor).map_err(|_| invalid("not base64"))?;
        let text = std::str::from_utf8(&bytes).map_err(|_| invalid("not a cursor"))?;
        let mut chars = text.chars();
        let tag = chars.next().ok_or_else(|| invalid("empty"))?;
        if tag != 'a' && tag != 'd' {
            return Err(invalid("not a cursor"));
        }
        if tag != order.tag() {
            return Err(invalid("the cursor was made for the other order"));
        }
        let (time, seq) = chars.as_str().split_once('.').ok_or_else(|| invalid("not a cursor"))?;
        let time_ms = time.parse().map_err(|_| invalid("not a cursor"))?;
        let seq = seq.parse().map_err(|_| invalid("not a cursor"))?;
        Ok(Cursor { order, time_ms, seq })
    }
}

const COLUMNS: &str =
    "seq, id, event_type, time_ms, correlation_id, attributes, body, group_id, deduplication_id, stored_at_ms, subject";

/// One row, in [`COLUMNS`] order.
struct Row {
    seq: i64,
    id: String,
    event_type: Option<String>,
    time_ms: i64,
    correlation_id: Option<String>,
    attributes: String,
    body: String,
    group_id: Option<String>,
    deduplication_id: Option<String>,
    stored_at_ms: i64,
    subject: Option<String>,
}

fn read_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Row> {
    Ok(Row {
        seq: r.get(0)?,
        id: r.get(1)?,
        event_type: r.get(2)?,
        time_ms: r.get(3)?,
        correlation_id: r.get(4)?,
        attributes: r.get(5)?,
        body: r.get(6)?,
        group_id: r.get(7)?,
        deduplication_id: r.get(8)?,
        stored_at_ms: r.get(9)?,
        subject: r.get(10)?,
    })
}

fn to_event(row: Row) -> Result<ArchivedEvent, ArchiveError> {
    let attributes = decode_attributes(&row.id, &row.attributes)?;
    Ok(ArchivedEvent {
        seq: row.seq,
        id: row.id,
        event_type: row.event_type,
        time: from_millis(row.time_ms),
        correlation_id: row.correlation_id,
        message: bus_core::Message {
            body: row.body,
            attributes,
            group_id: row.group_id,
            deduplication_id: row.deduplication_id,
            subject: row.subject,
        },
        stored_at: from_millis(row.stored_at_ms),
    })
}

/// Runs a feed query on `conn`.
pub(crate) fn feed(conn: &Connection, query: &FeedQuery) -> Result<Page, ArchiveError> {
    query.validate()?;
    let (mut sql, mut params) = query.filter();
    sql.insert_str(0, &format!("SELECT {COLUMNS} FROM events"));
    if let Some(c) = &query.after {
        let cursor = Cursor::decode(c, query.order)?;
        sql.push_str(match query.order {
            Order::OldestFirst => " AND (time_ms, seq) > (?, ?)",
            Order::NewestFirst => " AND (time_ms, seq) < (?, ?)",
        });
        params.push(Value::Integer(cursor.time_ms));
        params.push(Value::Integer(cursor.seq));
    }
    sql.push_str(match query.order {
        Order::OldestFirst => " ORDER BY time_ms ASC, seq ASC LIMIT ?",
        Order::NewestFirst => " ORDER BY time_ms DESC, seq DESC LIMIT ?",
    });
    // One row more than the page: its presence says whether there is a next page.
    params.push(Value::Integer(query.limit as i64 + 1));
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(rusqlite::params_from_iter(params), read_row)?.collect::<Result<Vec<_>, _>>()?;
    let more = rows.len() > query.limit;
    let events = rows.into_iter().take(query.limit).map(to_event).collect::<Result<Vec<_>, _>>()?;
    let next_cursor = match (more, events.last()) {
        (true, Some(last)) => {
            Some(Cursor { order: query.order, time_ms: to_millis(last.time), seq: last.seq }.encode())
        }
        _ => None,
    };
    Ok(Page { events, next_cursor })
}

/// Counts the events a query selects (its filters only: cursor and limit are ignored).
pub(crate) fn count(conn: &Connection, query: &FeedQuery) -> Result<u64, ArchiveError> {
    query.validate()?;
    let (filter, params) = query.filter();
    let sql = format!("SELECT COUNT(*) FROM events{filter}");
    let n: i64 = conn.prepare_cached(&sql)?.query_row(rusqlite::params_from_iter(params), |r| r.get(0))?;
    Ok(u64::try_from(n).unwrap_or(0))
}

/// The event with this id.
pub(crate) fn get(conn: &Connection, id: &str) -> Result<Option<ArchivedEvent>, ArchiveError> {
    let sql = format!("SELECT {COLUMNS} FROM events WHERE id = ?1");
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut rows = stmt.query_map([id], read_row)?;
    rows.next().transpose()?.map(to_event).transpose()
}

/// The highest insertion sequence so far (0 when empty).
pub(crate) fn max_seq(conn: &Connection) -> Result<i64, ArchiveError> {
    Ok(conn.query_row("SELECT COALESCE(MAX(seq), 0) FROM events", [], |r| r.get(0))?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_round_trips_and_rejects_garbage() {
        let c = Cursor { order: Order::NewestFirst, time_ms: 1_767_225_600_000, seq: 42 };
        let text = c.encode();
        assert_eq!(Cursor::decode(&text, Order::NewestFirst).unwrap(), c);
        assert!(matches!(Cursor::decode(&text, Order::OldestFirst), Err(ArchiveError::InvalidCursor { .. })));
        for bad in ["", "!!!", "eHl6", "YTEyMw"] {
            assert!(Cursor::decode(bad, Order::OldestFirst).is_err(), "{bad:?} must be rejected");
        }
    }

    #[test]
    fn limits_and_ranges_are_validated() {
        assert!(FeedQuery::new().limit(0).validate().is_err());
        assert!(FeedQuery::new().limit(MAX_PAGE_SIZE + 1).validate().is_err());
        let t = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(10);
        assert!(FeedQuery::new().since(t).until(SystemTime::UNIX_EPOCH).validate().is_err());
        assert!(FeedQuery::new().since(t).until(t).validate().is_ok());
    }
}
