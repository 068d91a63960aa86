//! Batch operations: per-entry results, and AWS's request-level errors.

use crate::common;

use bus_core::backend::{BatchEntry, QueueSpec, Topology};
use bus_core::{limits, AttributeValue, Backend, BusError, Message, ReceiptHandle};
use common::*;
use std::time::Duration;

#[tokio::test(start_paused = true)]
async fn ack_batch_reports_each_entry() {
    let (b, s) = one_queue(QueueSpec::new("q")).await;
    send(&b, "q", "a").await;
    send(&b, "q", "b").await;
    let got = take(&s, 10).await;
    let out = s
        .ack_batch(vec![
            ("one".into(), got[0].receipt_handle.clone()),
            ("bad".into(), ReceiptHandle("nonsense".into())),
            ("two".into(), got[1].receipt_handle.clone()),
        ])
        .await
        .unwrap();
    assert_eq!(out.successful, ["one", "two"]);
    assert_eq!(out.failed.len(), 1);
    assert_eq!(out.failed[0].id, "bad");
    assert_eq!(out.failed[0].code, "ReceiptHandleIsInvalid");
    assert!(out.failed[0].sender_fault);
    assert_eq!(b.queue_stats("q").await.unwrap().total(), 0);
}

#[tokio::test(start_paused = true)]
async fn change_visibility_batch_reports_each_entry() {
    let (b, s) = one_queue(QueueSpec::new("q")).await;
    send(&b, "q", "a").await;
    send(&b, "q", "b").await;
    let got = take(&s, 10).await;
    let out = s
        .change_visibility_batch(vec![
            ("zero".into(), got[0].receipt_handle.clone(), Duration::ZERO),
            ("too-long".into(), got[1].receipt_handle.clone(), secs(43_201)),
        ])
        .await
        .unwrap();
    assert_eq!(out.successful, ["zero"]);
    assert_eq!(out.failed[0].id, "too-long");
    assert_eq!(out.failed[0].code, "InvalidParameterValue");
    assert_eq!(bodies(&take(&s, 10).await), [got[0].message.body.clone()]);
}

#[tokio::test(start_paused = true)]
async fn batch_shape_errors_fail_the_whole_call() {
    let (b, s) = one_queue(QueueSpec::new("q")).await;
    send(&b, "q", "a").await;
    let h = take(&s, 1).await.pop().unwrap().receipt_handle;
    assert!(matches!(s.ack_batch(vec![]).await.unwrap_err(), BusError::EmptyBatch));
    let eleven = (0..11).map(|i| (format!("e{i}"), h.clone())).collect();
    assert!(matches!(
        s.ack_batch(eleven).await.unwrap_err(),
        BusError::TooManyEntriesInBatch { actual: 11, limit: 10 }
    ));
    let dup = vec![("x".into(), h.clone()), ("x".into(), h.clone())];
    assert!(matches!(s.ack_batch(dup).await.unwrap_err(), BusError::BatchEntryIdsNotDistinct { .. }));
    let bad_id = vec![("no spaces".into(), h.clone(), secs(1))];
    assert_eq!(param(s.change_visibility_batch(bad_id).await.unwrap_err()), "Id");
    assert_eq!(b.queue_stats("q").await.unwrap().in_flight, 1, "nothing was applied");
}

#[tokio::test(start_paused = true)]
async fn publish_batch_publishes_the_valid_entries() {
    let b = backend(Topology::new().topic("t").queue(QueueSpec::new("q")).subscribe("t", "q")).await;
    let mut bad = Message::new("too many attributes");
    for i in 0..11 {
        bad.attributes.insert(format!("a{i}"), AttributeValue::String("v".into()));
    }
    let out = b
        .publisher()
        .publish_batch(
            "t",
            vec![
                BatchEntry::new("1", Message::new("one")),
                BatchEntry::new("2", bad),
                BatchEntry::new("3", Message::new("three")),
            ],
        )
        .await
        .unwrap();
    assert_eq!(out.successful.iter().map(|(id, _)| id.as_str()).collect::<Vec<_>>(), ["1", "3"]);
    assert_eq!(out.failed.len(), 1);
    assert_eq!(out.failed[0].id, "2");
    assert_eq!(out.failed[0].code, "InvalidParameterValue");
    let s = b.subscription("q").await.unwrap();
    let mut got = bodies(&take(&s, 10).await);
    got.sort();
    assert_eq!(got, ["one", "three"]);
}

#[tokio::test(start_paused = true)]
async fn publish_batch_request_errors() {
    let b = backend(Topology::new().topic("t")).await;
    let p = b.publisher();
    let big = || Message::new("x".repeat(100_000));
    let entries = (0..3).map(|i| BatchEntry::new(format!("e{i}"), big())).collect();
    let e = p.publish_batch("t", entries).await.unwrap_err();
    assert!(
        matches!(e, BusError::BatchRequestTooLong { actual: 300_000, limit } if limit == limits::SNS_MAX_BATCH_BYTES)
    );
    assert!(matches!(p.publish_batch("t", vec![]).await.unwrap_err(), BusError::EmptyBatch));
    let many = (0..11).map(|i| BatchEntry::new(format!("e{i}"), Message::new("m"))).collect();
    assert!(matches!(p.publish_batch("t", many).await.unwrap_err(), BusError::TooManyEntriesInBatch { .. }));
    let e = p.publish_batch("nope", vec![BatchEntry::new("a", Message::new("m"))]).await.unwrap_err();
    assert!(matches!(e, BusError::TopicNotFound(_)));
}

#[tokio::test(start_paused = true)]
async fn a_receive_returns_at_most_max_messages() {
    let (b, s) = one_queue(QueueSpec::new("q")).await;
    for i in 0..25 {
        send(&b, "q", &format!("m{i}")).await;
    }
    assert_eq!(take(&s, 10).await.len(), 10);
    assert_eq!(take(&s, 3).await.len(), 3);
    assert_eq!(take(&s, 10).await.len(), 10);
    assert_eq!(take(&s, 10).await.len(), 2);
}
