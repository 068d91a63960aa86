//! Storing: ids, times, idempotence, persistence, lookups by id.

use crate::common;

use bus_archive::{Archive, ArchiveError, ArchiveHandler, FeedQuery};
use bus_core::{AttributeValue, Message};
use common::*;
use serde_json::json;

#[tokio::test]
async fn enveloped_deliveries_are_stored_once_by_sns_message_id() {
    let archive = Archive::open_in_memory().unwrap();
    let message = event("USER_CREATED", json!({"id": 1}));
    // The same SNS message reaches two archived queues (different SQS ids) and one of them redelivers it.
    let first = enveloped("sqs-a", "sns-1", at(10), &message);
    let other_queue = enveloped("sqs-b", "sns-1", at(10), &message);
    assert!(archive.store(&first).await.unwrap());
    assert!(!archive.store(&first).await.unwrap());
    assert!(!archive.store(&other_queue).await.unwrap());
    assert_eq!(archive.len().await.unwrap(), 1);

    let stored = archive.get("sns-1").await.unwrap().expect("stored under the SNS id");
    assert_eq!(stored.event_type.as_deref(), Some("USER_CREATED"));
    assert_eq!(stored.time, at(10), "the envelope's Timestamp is the event time");
    assert_eq!(stored.message, message, "the unwrapped message is stored, not the envelope");
    assert_eq!(stored.event().unwrap().data, json!({"id": 1}));
    assert!(archive.get("sqs-a").await.unwrap().is_none());
}

#[tokio::test]
async fn raw_deliveries_use_the_sqs_id_and_sent_timestamp() {
    let archive = Archive::open_in_memory().unwrap();
    let message = event("USER_COMMENT", json!({"text": "hi"})).with_attribute("tenant", "acme");
    let delivery = raw("sqs-9", at(42), &message);
    assert!(archive.store(&delivery).await.unwrap());
    let stored = archive.get("sqs-9").await.unwrap().unwrap();
    assert_eq!(stored.time, at(42));
    assert_eq!(stored.message.attributes["tenant"], AttributeValue::String("acme".into()));
    assert_eq!(stored.message.attributes["event-type"], AttributeValue::String("USER_COMMENT".into()));
}

#[tokio::test]
async fn store_message_keeps_every_attribute_type_and_fifo_fields() {
    let archive = Archive::open_in_memory().unwrap();
    let message = Message::new("not an event")
        .with_attribute("event-type", "PING")
        .with_attribute("n", AttributeValue::number(1.5))
        .with_attribute("arr", AttributeValue::string_array(["a", "b"]))
        .with_attribute("bin", AttributeValue::Binary(vec![0, 159, 255]))
        .with_group_id("g-1")
        .with_deduplication_id("d-1");
    assert!(archive.store_message("explicit-1", at(1), &message).await.unwrap());
    let stored = archive.get("explicit-1").await.unwrap().unwrap();
    assert_eq!(stored.message, message);
    assert_eq!(stored.event_type.as_deref(), Some("PING"), "type from the event-type attribute");
    assert!(stored.event().is_none());

    // The first write wins: a different message under the same id is ignored.
    assert!(!archive.store_message("explicit-1", at(2), &Message::new("other")).await.unwrap());
    assert_eq!(archive.get("explicit-1").await.unwrap().unwrap().message, message);
}

#[tokio::test]
async fn empty_ids_are_rejected_and_nothing_is_stored() {
    let archive = Archive::open_in_memory().unwrap();
    let err = archive.store_message("", at(0), &Message::new("x")).await.unwrap_err();
    assert!(matches!(err, ArchiveError::InvalidParameter { name: "id", .. }), "{err}");
    assert!(archive.is_empty().await.unwrap());
}

#[tokio::test]
async fn store_batch_is_one_transaction_and_reports_duplicates() {
    let archive = Archive::open_in_memory().unwrap();
    let m = event("USER_CREATED", json!({}));
    let batch =
        vec![enveloped("q1", "s1", at(1), &m), enveloped("q2", "s2", at(2), &m), enveloped("q3", "s1", at(1), &m)];
    assert_eq!(archive.store_batch(&batch).await.unwrap(), vec![true, true, false]);
    assert_eq!(archive.store_batch(&batch[..1]).await.unwrap(), vec![false]);
    assert_eq!(archive.len().await.unwrap(), 2);
}

#[tokio::test]
async fn a_file_archive_persists_uses_wal_and_keeps_idempotence_across_opens() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("events.db");
    {
        let archive = Archive::open(&path).unwrap();
        assert_eq!(archive.path(), Some(path.as_path()));
        for i in 0..5 {
            let m = event("USER_CREATED", json!({"i": i}));
            assert!(archive.store(&enveloped(&format!("q{i}"), &format!("s{i}"), at(i), &m)).await.unwrap());
        }
    }
    assert_eq!(journal_mode_in_header(&path), "wal");

    let reopened = Archive::open(&path).unwrap();
    assert_eq!(reopened.len().await.unwrap(), 5);
    let again = enveloped("q-redelivered", "s3", at(3), &event("USER_CREATED", json!({"i": 3})));
    assert!(!reopened.store(&again).await.unwrap());
    let page = reopened.feed(&FeedQuery::new()).await.unwrap();
    let ids: Vec<_> = page.events.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(ids, ["s0", "s1", "s2", "s3", "s4"]);
}

#[tokio::test]
async fn opening_a_file_that_is_not_a_database_fails_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("junk.db");
    std::fs::write(&path, vec![b'x'; 4096]).unwrap();
    let err = Archive::open(&path).unwrap_err();
    assert!(matches!(err, ArchiveError::Open { .. }), "{err}");
}

#[tokio::test]
async fn the_handler_stores_each_delivery_once() {
    let handler = ArchiveHandler::new(Archive::open_in_memory().unwrap());
    let d = enveloped("q", "s", at(0), &event("USER_CREATED", json!({})));
    assert!(handler.store(&d).await.unwrap());
    assert!(!handler.store(&d).await.unwrap());
    assert_eq!(handler.archive().len().await.unwrap(), 1);
}

#[tokio::test]
async fn concurrent_stores_of_the_same_event_write_once() {
    let archive = Archive::open_in_memory().unwrap();
    let d = enveloped("q", "same", at(0), &event("USER_CREATED", json!({})));
    let tasks: Vec<_> = (0..16)
        .map(|_| {
            let (archive, d) = (archive.clone(), d.clone());
            tokio::spawn(async move { archive.store(&d).await.unwrap() })
        })
        .collect();
    let mut new = 0;
    for t in tasks {
        new += usize::from(t.await.unwrap());
    }
    assert_eq!(new, 1);
    assert_eq!(archive.len().await.unwrap(), 1);
}

/// The journal mode recorded in the file header: SQLite writes file format versions 2/2 at offsets 18 and 19
/// for a database in WAL mode (read from the bytes, since opening it again would switch to WAL anyway).
fn journal_mode_in_header(path: &std::path::Path) -> String {
    let header = std::fs::read(path).unwrap();
    if header.len() > 19 && header[18] == 2 && header[19] == 2 {
        "wal".into()
    } else {
        "other".into()
    }
}

#[tokio::test]
async fn the_sns_subject_is_kept() {
    let archive = Archive::open_in_memory().unwrap();
    let with = event("USER_CREATED", json!({"id": 2})).with_subject("Welcome");
    let without = event("USER_CREATED", json!({"id": 3}));
    assert!(archive.store_message("s-1", at(1), &with).await.unwrap());
    assert!(archive.store_message("s-2", at(2), &without).await.unwrap());
    assert_eq!(archive.get("s-1").await.unwrap().unwrap().message.subject.as_deref(), Some("Welcome"));
    assert_eq!(archive.get("s-2").await.unwrap().unwrap().message.subject, None);
    let page = archive.feed(&FeedQuery::new().event_type("USER_CREATED")).await.unwrap();
    let subjects: Vec<_> = page.events.iter().map(|e| e.message.subject.clone()).collect();
    assert_eq!(subjects, [Some("Welcome".to_owned()), None]);
}
