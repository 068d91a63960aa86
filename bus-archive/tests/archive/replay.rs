//! Replay: selection by type, time and policy, dry run, rate limit on virtual time, snapshot, failure.

use crate::common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use bus_archive::{Archive, ArchiveError, ReplayOptions, ReplayProgress, ReplaySelection};
use bus_core::backend::{BatchEntry, PublishBatchOutput, PublishReceipt};
use bus_core::filter::{FilterPolicy, FilterScope};
use bus_core::{BusError, Message, Publisher};
use common::*;
use serde_json::json;

/// c1 (USER_CREATED, t=1), m1 (USER_COMMENT, t=2, tenant acme, amount 50), m2 (USER_COMMENT, t=3, tenant
/// globex, amount 500), c2 (USER_CREATED, t=4), m3 (USER_COMMENT, t=5, tenant acme, amount 900, vip).
async fn seeded() -> Archive {
    let archive = Archive::open_in_memory().unwrap();
    let rows = [
        ("c1", "USER_CREATED", 1, json!({"user": 1}), None),
        ("m1", "USER_COMMENT", 2, json!({"amount": 50}), Some("acme")),
        ("m2", "USER_COMMENT", 3, json!({"amount": 500}), Some("globex")),
        ("c2", "USER_CREATED", 4, json!({"user": 2}), None),
        ("m3", "USER_COMMENT", 5, json!({"amount": 900, "vip": true}), Some("acme")),
    ];
    for (id, kind, secs, data, tenant) in rows {
        let mut m = event(kind, data);
        if let Some(t) = tenant {
            m = m.with_attribute("tenant", t);
        }
        archive.store_message(id, at(secs), &m).await.unwrap();
    }
    archive
}

fn data_of(message: &Message) -> serde_json::Value {
    serde_json::from_str::<serde_json::Value>(&message.body).unwrap()["data"].clone()
}

/// A policy written by hand (any `FilterPolicy` works): the body mentions `vip`.
#[derive(Debug)]
struct Vip;

impl FilterPolicy for Vip {
    fn matches(&self, message: &Message) -> bool {
        message.body.contains("\"vip\":true")
    }
}

#[tokio::test]
async fn replay_by_type_publishes_the_stored_messages_in_order() {
    let archive = seeded().await;
    let publisher = RecordingPublisher::default();
    let report = archive
        .replay(
            &ReplaySelection::all().event_type("USER_COMMENT"),
            &ReplayOptions::to_topic("events"),
            &publisher,
            |_| {},
        )
        .await
        .unwrap();
    assert_eq!((report.candidates, report.matched, report.published), (3, 3, 3));
    assert!(!report.dry_run && report.planned.is_empty());
    let sent = publisher.take();
    assert!(sent.iter().all(|p| p.topic == "events"));
    for (p, id) in sent.iter().zip(["m1", "m2", "m3"]) {
        assert_eq!(p.message, archive.get(id).await.unwrap().unwrap().message, "published exactly as stored");
    }
    assert_eq!(sent.len(), 3);
}

#[tokio::test]
async fn replay_by_time_range_and_policy_combine() {
    let archive = seeded().await;
    let publisher = RecordingPublisher::default();
    let selection = ReplaySelection::all().since(at(2)).until(at(5));
    let report = archive.replay(&selection, &ReplayOptions::to_topic("t"), &publisher, |_| {}).await.unwrap();
    assert_eq!(report.published, 3);
    let users: Vec<_> = publisher.take().iter().map(|p| data_of(&p.message)).collect();
    assert_eq!(users, [json!({"amount": 50}), json!({"amount": 500}), json!({"user": 2})]);

    let selection = ReplaySelection::all().event_type("USER_COMMENT").since(at(3)).policy(Vip);
    let report = archive.replay(&selection, &ReplayOptions::to_topic("t"), &publisher, |_| {}).await.unwrap();
    assert_eq!((report.candidates, report.matched, report.published), (2, 1, 1));
    assert_eq!(data_of(&publisher.take()[0].message), json!({"amount": 900, "vip": true}));
}

#[tokio::test]
async fn replay_by_sns_filter_policy_uses_the_engine() {
    let archive = seeded().await;
    let publisher = RecordingPublisher::default();
    // Attribute scope: tenant acme.
    let selection =
        ReplaySelection::all().sns_policy(r#"{"tenant": ["acme"]}"#, FilterScope::MessageAttributes).unwrap();
    let report = archive.replay(&selection, &ReplayOptions::to_topic("t"), &publisher, |_| {}).await.unwrap();
    assert_eq!((report.candidates, report.matched), (5, 2));
    let amounts: Vec<_> = publisher.take().iter().map(|p| data_of(&p.message)["amount"].clone()).collect();
    assert_eq!(amounts, [json!(50), json!(900)]);

    // Body scope: numeric range on data.amount.
    let policy = r#"{"data": {"amount": [{"numeric": [">", 100]}]}}"#;
    let selection = ReplaySelection::all().sns_policy(policy, FilterScope::MessageBody).unwrap();
    let report = archive.replay(&selection, &ReplayOptions::to_topic("t").dry_run(), &publisher, |_| {}).await.unwrap();
    let planned: Vec<_> = report.planned.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(planned, ["m2", "m3"]);

    // An invalid policy is a typed error, before anything runs.
    let err = ReplaySelection::all().sns_policy(r#"{"tenant": "acme"}"#, FilterScope::MessageAttributes).unwrap_err();
    assert!(matches!(err, BusError::InvalidFilterPolicy(_)), "{err}");
}

#[tokio::test(start_paused = true)]
async fn a_dry_run_publishes_nothing_waits_for_nothing_and_lists_the_plan() {
    let archive = seeded().await;
    let publisher = RecordingPublisher::default();
    let start = tokio::time::Instant::now();
    let options = ReplayOptions::to_topic("events").rate_limit(1.0).dry_run();
    let report =
        archive.replay(&ReplaySelection::all().event_type("USER_CREATED"), &options, &publisher, |_| {}).await.unwrap();
    assert!(report.dry_run);
    assert_eq!((report.matched, report.published), (2, 0));
    let planned: Vec<_> = report.planned.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(planned, ["c1", "c2"]);
    assert!(publisher.take().is_empty());
    assert_eq!(start.elapsed(), Duration::ZERO, "a dry run does not apply the rate limit");
}

#[tokio::test(start_paused = true)]
async fn the_rate_limit_spaces_publishes_on_virtual_time() {
    let archive = Archive::open_in_memory().unwrap();
    for i in 0..10 {
        archive.store_message(&format!("e{i}"), at(i), &event("TICK", json!({"i": i}))).await.unwrap();
    }
    let publisher = RecordingPublisher::default();
    let start = tokio::time::Instant::now();
    let options = ReplayOptions::to_topic("events").rate_limit(5.0);
    let report = archive.replay(&ReplaySelection::all(), &options, &publisher, |_| {}).await.unwrap();
    assert_eq!(report.published, 10);
    let sent = publisher.take();
    let offsets: Vec<Duration> = sent.iter().map(|p| p.at - start).collect();
    let expected: Vec<Duration> = (0..10).map(|i| Duration::from_millis(200 * i)).collect();
    assert_eq!(offsets, expected, "the n-th message goes out at n / rate, no burst, no drift");
    assert_eq!(start.elapsed(), Duration::from_millis(1800));
}

#[tokio::test]
async fn progress_reports_every_scanned_event() {
    let archive = seeded().await;
    let publisher = RecordingPublisher::default();
    let mut seen: Vec<ReplayProgress> = Vec::new();
    let selection = ReplaySelection::all().event_type("USER_COMMENT").policy(Vip);
    archive.replay(&selection, &ReplayOptions::to_topic("t"), &publisher, |p| seen.push(*p)).await.unwrap();
    let scanned: Vec<_> = seen.iter().map(|p| (p.scanned, p.matched, p.published)).collect();
    assert_eq!(scanned, [(1, 0, 0), (2, 0, 0), (3, 1, 1)]);
    assert!(seen.iter().all(|p| p.candidates == 3));
}

/// A publisher that feeds what it publishes back into the archive (as if the archive queue were
/// subscribed to the replay topic), under fresh ids.
#[derive(Debug)]
struct Loopback {
    archive: Archive,
    n: Mutex<u32>,
}

#[async_trait]
impl Publisher for Loopback {
    async fn publish(&self, _topic: &str, message: Message) -> Result<PublishReceipt, BusError> {
        let id = {
            let mut n = self.n.lock().unwrap();
            *n += 1;
            format!("loop-{n}")
        };
        self.archive.store_message(&id, at(100), &message).await.unwrap();
        Ok(PublishReceipt { message_id: id, sequence_number: None })
    }

    async fn publish_batch(&self, _topic: &str, _entries: Vec<BatchEntry>) -> Result<PublishBatchOutput, BusError> {
        Err(BusError::EmptyBatch)
    }
}

#[tokio::test]
async fn replay_selects_a_snapshot_so_its_own_events_are_not_replayed_again() {
    let archive = seeded().await;
    let loopback = Arc::new(Loopback { archive: archive.clone(), n: Mutex::new(0) });
    let report =
        archive.replay(&ReplaySelection::all(), &ReplayOptions::to_topic("events"), &*loopback, |_| {}).await.unwrap();
    assert_eq!(report.published, 5, "the five originals, not the copies stored while replaying");
    assert_eq!(archive.len().await.unwrap(), 10);
}

#[tokio::test]
async fn a_failed_publish_stops_the_replay_and_says_where() {
    let archive = seeded().await;
    let publisher = RecordingPublisher::failing_from(2);
    let err = archive
        .replay(&ReplaySelection::all(), &ReplayOptions::to_topic("events"), &publisher, |_| {})
        .await
        .unwrap_err();
    match err {
        ArchiveError::Replay { id, published, source } => {
            assert_eq!((id.as_str(), published), ("m2", 2));
            assert!(matches!(*source, BusError::TopicNotFound(_)));
        }
        other => panic!("unexpected error {other}"),
    }
    assert_eq!(publisher.take().len(), 2);
}

#[tokio::test]
async fn invalid_options_are_rejected_before_anything_is_sent() {
    let archive = seeded().await;
    let publisher = RecordingPublisher::default();
    for options in [
        ReplayOptions::to_topic(""),
        ReplayOptions::to_topic("t").rate_limit(0.0),
        ReplayOptions::to_topic("t").rate_limit(f64::NAN),
        ReplayOptions::to_topic("t").rate_limit(-3.0),
    ] {
        let err = archive.replay(&ReplaySelection::all(), &options, &publisher, |_| {}).await.unwrap_err();
        assert!(matches!(err, ArchiveError::InvalidParameter { .. }), "{err}");
    }
    assert!(publisher.take().is_empty());
}
