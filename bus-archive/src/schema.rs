//! The SQLite schema: one `events` table, its indexes, and connection settings.

use rusqlite::Connection;

use crate::error::ArchiveError;

/// The schema version this build writes (`PRAGMA user_version`). Version 2 added `subject`; a version 1
/// file is migrated in place when opened (see [`prepare`]).
pub(crate) const SCHEMA_VERSION: i64 = 2;

/// The table and its indexes.
///
/// - `seq` is the insertion sequence (an `AUTOINCREMENT` rowid: never reused, so it only grows).
/// - `id` is unique: `INSERT OR IGNORE` on it makes storing idempotent.
/// - `time_ms` is the publish time in milliseconds since the Unix epoch.
/// - `events_type_time` serves the activity feed (type + time range, in `(time_ms, seq)` order),
///   `events_time` the feed over every type and replay by time range, `events_correlation` correlation
///   queries (partial: only rows that have a correlation id).
/// - `subject` is the SNS Subject the message was published with (last: `ALTER TABLE ... ADD COLUMN` puts
///   it there in migrated files too).
const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS events (
    seq              INTEGER PRIMARY KEY AUTOINCREMENT,
    id               TEXT    NOT NULL UNIQUE,
    event_type       TEXT,
    time_ms          INTEGER NOT NULL,
    correlation_id   TEXT,
    attributes       TEXT    NOT NULL,
    body             TEXT    NOT NULL,
    group_id         TEXT,
    deduplication_id TEXT,
    stored_at_ms     INTEGER NOT NULL,
    subject          TEXT
);
CREATE INDEX IF NOT EXISTS events_type_time ON events (event_type, time_ms, seq);
CREATE INDEX IF NOT EXISTS events_time ON events (time_ms, seq);
CREATE INDEX IF NOT EXISTS events_correlation ON events (correlation_id, time_ms, seq)
    WHERE correlation_id IS NOT NULL;
";

/// Version 1 to 2: the `subject` column (existing rows get NULL: no subject).
const MIGRATE_1_TO_2: &str = "ALTER TABLE events ADD COLUMN subject TEXT;";

/// Prepares a freshly opened connection: WAL for files, the schema, the version check, and the migration
/// of older files, in one transaction with the version bump.
///
/// WAL lets readers (a CLI query) run while a worker writes; `synchronous = NORMAL` is the usual
/// companion of WAL (durable at checkpoints, never corrupt). In-memory databases keep their default
/// journal (WAL does not apply to them).
pub(crate) fn prepare(conn: &Connection, file: bool) -> Result<(), ArchiveError> {
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    if file {
        let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            tracing::warn!(journal_mode = %mode, "SQLite did not switch the archive to WAL mode");
        }
        conn.pragma_update(None, "synchronous", "NORMAL")?;
    }
    let found: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if found > SCHEMA_VERSION {
        return Err(ArchiveError::UnsupportedSchema { found, supported: SCHEMA_VERSION });
    }
    if found == SCHEMA_VERSION {
        return Ok(());
    }
    // A fresh file (version 0) gets the whole schema; a version 1 file has the table without `subject`.
    let migration = if found == 1 { MIGRATE_1_TO_2 } else { "" };
    conn.execute_batch(&format!(
        "BEGIN IMMEDIATE; {SCHEMA} {migration} PRAGMA user_version = {SCHEMA_VERSION}; COMMIT;"
    ))?;
    if found == 1 {
        tracing::info!(from = found, to = SCHEMA_VERSION, "archive schema migrated");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prepare_is_repeatable_and_versioned() {
        let conn = Connection::open_in_memory().unwrap();
        prepare(&conn, false).unwrap();
        prepare(&conn, false).unwrap();
        let v: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
        assert_eq!(v, SCHEMA_VERSION);
    }

    #[test]
    fn a_version_1_file_gains_the_subject_column_and_keeps_its_rows() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE TABLE events (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, event_type TEXT,
                 time_ms INTEGER NOT NULL, correlation_id TEXT, attributes TEXT NOT NULL, body TEXT NOT NULL,
                 group_id TEXT, deduplication_id TEXT, stored_at_ms INTEGER NOT NULL);
             INSERT INTO events (id, time_ms, attributes, body, stored_at_ms) VALUES ('old', 1, '{}', 'b', 2);
             PRAGMA user_version = 1;",
        )
        .unwrap();
        prepare(&conn, false).unwrap();
        let v: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
        assert_eq!(v, SCHEMA_VERSION);
        let (body, subject): (String, Option<String>) = conn
            .query_row("SELECT body, subject FROM events WHERE id = 'old'", [], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap();
        assert_eq!((body.as_str(), subject), ("b", None));
        prepare(&conn, false).unwrap();
    }

    #[test]
    fn a_newer_schema_is_refused() {
        let conn = Connection::open_in_memory().unwrap();
        conn.pragma_update(None, "user_version", SCHEMA_VERSION + 1).unwrap();
        assert!(matches!(prepare(&conn, false), Err(ArchiveError::UnsupportedSchema { .. })));
    }

    #[test]
    fn feed_query_uses_the_type_time_index() {
        let conn = Connection::open_in_memory().unwrap();
        prepare(&conn, false).unwrap();
        let plan: Vec<String> = conn
            .prepare(
                "EXPLAIN QUERY PLAN SELECT seq FROM events WHERE event_type = ?1 AND time_ms >= ?2 \
                 AND (time_ms, seq) > (?3, ?4) ORDER BY time_ms, seq LIMIT 10",
            )
            .unwrap()
            .query_map(rusqlite::params!["T", 0, 0, 0], |r| r.get::<_, String>(3))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let plan = plan.join("\n");
        assert!(plan.contains("events_type_time"), "plan: {plan}");
        assert!(!plan.contains("TEMP B-TREE"), "the index must give the order without a sort: {plan}");
    }
}
