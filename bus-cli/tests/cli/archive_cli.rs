//! `bus archive query|replay`, run as a binary on a temporary SQLite archive filled through bus-archive.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bus_archive::Archive;
use bus_core::Event;

use crate::common::{bus, stderr, stdout};

/// 2026-01-01T00:00:00Z.
const T0: u64 = 1_767_225_600;

/// An archive with six events, one a minute from T0: USER_CREATED, then USER_COMMENT c-1..c-4 with a
/// USER_LOGGED_IN in between.
fn archive(dir: &Path) -> PathBuf {
    let db = dir.join("archive.sqlite3");
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let archive = Archive::open(&db).unwrap();
        let events = [
            ("USER_CREATED", serde_json::json!({"user_id": "u-1"})),
            ("USER_COMMENT", serde_json::json!({"comment_id": "c-1"})),
            ("USER_COMMENT", serde_json::json!({"comment_id": "c-2"})),
            ("USER_LOGGED_IN", serde_json::json!({"user_id": "u-1"})),
            ("USER_COMMENT", serde_json::json!({"comment_id": "c-3"})),
            ("USER_COMMENT", serde_json::json!({"comment_id": "c-4"})),
        ];
        for (i, (kind, data)) in events.into_iter().enumerate() {
            let message = Event::new(kind, data).to_message().unwrap();
            let time = UNIX_EPOCH + Duration::from_secs(T0 + 60 * i as u64);
            assert!(archive.store_message(&format!("evt-{i}"), time, &message).await.unwrap());
        }
    });
    db
}

fn ids(text: &str) -> Vec<String> {
    text.lines().filter_map(|l| l.split("  ").nth(2)).map(str::to_owned).collect()
}

#[test]
fn query_pages_through_a_type_in_order_with_cursors() {
    let dir = tempfile::tempdir().unwrap();
    let db = archive(dir.path());
    let db = db.to_str().unwrap();
    let first = bus(&["archive", "query", "--db", db, "--type", "USER_COMMENT", "--limit", "3"]);
    assert_eq!(first.status.code(), Some(0), "{}", stderr(&first));
    assert_eq!(ids(&stdout(&first)), ["evt-1", "evt-2", "evt-4"]);
    assert!(stdout(&first).starts_with("2026-01-01T00:01:00.000Z  USER_COMMENT  evt-1  {\"type\":\"USER_COMMENT\""));
    let note = stderr(&first);
    let cursor = note.split("--cursor ").nth(1).expect("a next cursor").trim();

    let second = bus(&["archive", "query", "--db", db, "--type", "USER_COMMENT", "--limit", "3", "--cursor", cursor]);
    assert_eq!(second.status.code(), Some(0), "{}", stderr(&second));
    assert_eq!(ids(&stdout(&second)), ["evt-5"]);
    assert!(stderr(&second).contains("end of the feed"));

    let newest = bus(&["archive", "query", "--db", db, "--type", "USER_COMMENT", "--newest-first", "--limit", "2"]);
    assert_eq!(ids(&stdout(&newest)), ["evt-5", "evt-4"]);
}

#[test]
fn query_time_range_and_json() {
    let dir = tempfile::tempdir().unwrap();
    let db = archive(dir.path());
    let db = db.to_str().unwrap();
    let out = bus(&[
        "archive",
        "query",
        "--db",
        db,
        "--since",
        "2026-01-01T00:02:00Z",
        "--until",
        "2026-01-01 00:04:00",
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let doc: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let events = doc["events"].as_array().unwrap();
    let got: Vec<(&str, &str)> =
        events.iter().map(|e| (e["id"].as_str().unwrap(), e["type"].as_str().unwrap())).collect();
    assert_eq!(got, [("evt-2", "USER_COMMENT"), ("evt-3", "USER_LOGGED_IN")]);
    assert_eq!(doc["next_cursor"], serde_json::Value::Null);
    assert_eq!(events[0]["attributes"]["event-type"], serde_json::json!({"Type": "String", "Value": "USER_COMMENT"}));
    assert_eq!(events[0]["time"], "2026-01-01T00:02:00.000Z");

    // A relative --since: everything was published long before an hour ago.
    let recent = bus(&["archive", "query", "--db", db, "--since", "1h"]);
    assert_eq!(recent.status.code(), Some(0), "{}", stderr(&recent));
    assert_eq!(stdout(&recent), "");
    assert!(stderr(&recent).starts_with("0 events"));
}

#[test]
fn query_bad_input_is_refused_with_status_2() {
    let dir = tempfile::tempdir().unwrap();
    let db = archive(dir.path());
    let db = db.to_str().unwrap();
    let cases: [(&[&str], &str); 4] = [
        (&["--since", "last tuesday"], "--since: \"last tuesday\" is not a time"),
        (&["--cursor", "not-a-cursor"], "invalid cursor"),
        (&["--limit", "0"], "invalid parameter limit"),
        (&["--since", "2026-01-02", "--until", "2026-01-01"], "before its start"),
    ];
    for (extra, expected) in cases {
        let mut args = vec!["archive", "query", "--db", db];
        args.extend_from_slice(extra);
        let out = bus(&args);
        assert_eq!(out.status.code(), Some(2), "{extra:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(expected), "{extra:?}: {}", stderr(&out));
    }
    let missing = dir.path().join("missing.sqlite3");
    let out = bus(&["archive", "query", "--db", missing.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--db: no such file"), "{}", stderr(&out));
    assert!(!missing.exists(), "a query never creates an archive");
}

#[test]
fn replay_dry_run_lists_the_selection_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let db = archive(dir.path());
    let db = db.to_str().unwrap();
    let out = bus(&[
        "archive",
        "replay",
        "--db",
        db,
        "--since",
        "2026-01-01T00:02:00Z",
        "--policy",
        r#"{"event-type": [{"prefix": "USER_C"}]}"#,
        "--topic",
        "events",
        "--dry-run",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert_eq!(ids(&text), ["evt-2", "evt-4", "evt-5"]);
    assert!(text.ends_with("dry run: 3 of 4 candidate events would be published to events\n"), "{text}");
}

#[test]
fn replay_publishes_on_the_memory_backend_at_a_rate() {
    let dir = tempfile::tempdir().unwrap();
    let db = archive(dir.path());
    let db = db.to_str().unwrap();
    let started = SystemTime::now();
    let out = bus(&[
        "archive",
        "replay",
        "--db",
        db,
        "--type",
        "USER_COMMENT",
        "--topic",
        "events",
        "--rate",
        "20",
        "--backend",
        "memory",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out), "replayed 4 of 4 candidate events to events (memory backend)\n");
    assert!(stderr(&out).contains("nothing is subscribed"), "{}", stderr(&out));
    // 4 messages at 20/s: the last one no earlier than 3/20 s after the first.
    assert!(started.elapsed().unwrap() >= Duration::from_millis(150));
}

#[test]
fn replay_refuses_an_invalid_policy_with_aws_reason_and_bad_rates() {
    let dir = tempfile::tempdir().unwrap();
    let db = archive(dir.path());
    let db = db.to_str().unwrap();
    let out = bus(&["archive", "replay", "--db", db, "--topic", "events", "--policy", r#"{"a": []}"#, "--dry-run"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("SNS would answer: Invalid parameter: FilterPolicy: Empty arrays are not allowed"),
        "{}",
        stderr(&out)
    );
    let out = bus(&["archive", "replay", "--db", db, "--topic", "events", "--rate", "0", "--dry-run"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--rate: must be a positive number"), "{}", stderr(&out));
}
