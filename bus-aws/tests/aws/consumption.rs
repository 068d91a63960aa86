//! Consuming against the local server: batch calls with per-entry failures, visibility changes,
//! dead-letter redrive, and the mapping of AWS errors to `BusError`.

use crate::common;

use std::time::Duration;

use bus_aws::AwsBackend;
use bus_core::backend::{BatchEntry, QueueSpec};
use bus_core::{limits, Backend, BusError, Message, ReceiptHandle, ReceiveOptions, Topology};
use common::{backend, receive_for, receive_n, sdk_config, unique, DELIVERY_TIMEOUT};

async fn queue_with(b: &AwsBackend, spec: QueueSpec) -> String {
    let name = spec.name.clone();
    b.apply_topology(&Topology::new().queue(spec)).await.unwrap();
    name
}

#[tokio::test]
async fn publish_batch_reports_entry_failures_and_publishes_the_rest() {
    let b = backend().await;
    let (topic, q) = (unique("pb-t"), unique("pb-q"));
    b.apply_topology(&Topology::new().topic(&topic).queue(QueueSpec::new(&q)).subscribe(&topic, &q)).await.unwrap();
    let entries = vec![
        BatchEntry::new("ok-1", Message::new("first").with_attribute("n", bus_core::AttributeValue::number(1))),
        BatchEntry::new("bad", Message::new("x").with_attribute("AWS.reserved", "nope")),
        BatchEntry::new("ok-2", Message::new("second")),
        BatchEntry::new("empty", Message::new("")),
    ];
    let out = b.publisher().publish_batch(&topic, entries).await.unwrap();
    let mut ok: Vec<&str> = out.successful.iter().map(|(id, _)| id.as_str()).collect();
    ok.sort_unstable();
    assert_eq!(ok, vec!["ok-1", "ok-2"]);
    let mut failed: Vec<(&str, &str, bool)> =
        out.failed.iter().map(|f| (f.id.as_str(), f.code.as_str(), f.sender_fault)).collect();
    failed.sort_unstable();
    assert_eq!(failed, vec![("bad", "InvalidParameterValue", true), ("empty", "InvalidParameterValue", true)]);
    assert!(out.successful.iter().all(|(_, r)| !r.message_id.is_empty()));

    let s = b.subscription(&q).await.unwrap();
    let mut bodies: Vec<String> =
        receive_n(&*s, 2, DELIVERY_TIMEOUT).await.into_iter().map(|d| d.message.body).collect();
    bodies.sort();
    assert_eq!(bodies, vec!["first", "second"]);

    // Request-level problems fail the whole call, locally.
    let p = b.publisher();
    assert!(matches!(p.publish_batch(&topic, vec![]).await, Err(BusError::EmptyBatch)));
    let eleven = (0..11).map(|i| BatchEntry::new(format!("e{i}"), Message::new("m"))).collect();
    assert!(matches!(p.publish_batch(&topic, eleven).await, Err(BusError::TooManyEntriesInBatch { actual: 11, .. })));
    let dup = vec![BatchEntry::new("same", Message::new("a")), BatchEntry::new("same", Message::new("b"))];
    assert!(matches!(p.publish_batch(&topic, dup).await, Err(BusError::BatchEntryIdsNotDistinct { .. })));
    let big = "x".repeat(100 * 1024);
    let heavy = (0..3).map(|i| BatchEntry::new(format!("h{i}"), Message::new(big.clone()))).collect();
    assert!(matches!(p.publish_batch(&topic, heavy).await, Err(BusError::BatchRequestTooLong { .. })));
}

#[tokio::test]
async fn server_side_entry_failures_are_reported_per_entry() {
    let b = backend().await;
    let topic = format!("{}.fifo", unique("pbf-t"));
    b.apply_topology(&Topology::new().with_topic(bus_core::backend::TopicSpec::new(&topic))).await.unwrap();
    // Without content-based deduplication, each entry of a FIFO topic needs its own deduplication id:
    // only the server knows the topic's setting, so the entry fails there.
    let entries = vec![
        BatchEntry::new("with-id", Message::new("a").with_group_id("g").with_deduplication_id("d1")),
        BatchEntry::new("without-id", Message::new("b").with_group_id("g")),
    ];
    let out = b.publisher().publish_batch(&topic, entries).await.unwrap();
    assert_eq!(out.successful.iter().map(|(id, _)| id.as_str()).collect::<Vec<_>>(), vec!["with-id"]);
    assert_eq!(out.failed.len(), 1);
    assert_eq!(out.failed[0].id, "without-id");
    assert_eq!(out.failed[0].code, "InvalidParameter");
    assert!(out.failed[0].message.contains("ContentBasedDeduplication"), "{}", out.failed[0].message);
    // The same problem on a single publish is a typed error.
    let e = b.publisher().publish(&topic, Message::new("c").with_group_id("g")).await.unwrap_err();
    assert!(matches!(e, BusError::InvalidParameter { .. }), "{e:?}");
}

#[tokio::test]
async fn ack_batch_and_visibility_batch_surface_per_entry_failures() {
    let b = backend().await;
    let q = queue_with(&b, QueueSpec::new(unique("ackb-q"))).await;
    for i in 0..4 {
        b.send(&q, Message::new(format!("m{i}")), None).await.unwrap();
    }
    let s = b.subscription(&q).await.unwrap();
    let got = receive_n(&*s, 4, DELIVERY_TIMEOUT).await;
    assert_eq!(got.len(), 4);

    let vis = vec![
        ("v0".to_owned(), got[0].receipt_handle.clone(), Duration::ZERO),
        ("v1".to_owned(), got[1].receipt_handle.clone(), Duration::from_secs(300)),
        ("bogus".to_owned(), ReceiptHandle("not-a-handle".into()), Duration::from_secs(10)),
        ("too-long".to_owned(), got[2].receipt_handle.clone(), limits::MAX_VISIBILITY_TIMEOUT + Duration::from_secs(1)),
    ];
    let out = s.change_visibility_batch(vis).await.unwrap();
    let mut ok = out.successful.clone();
    ok.sort();
    assert_eq!(ok, vec!["v0", "v1"]);
    let mut failed: Vec<(&str, &str)> = out.failed.iter().map(|f| (f.id.as_str(), f.code.as_str())).collect();
    failed.sort_unstable();
    assert_eq!(failed, vec![("bogus", "ReceiptHandleIsInvalid"), ("too-long", "InvalidParameterValue")]);

    // m0 is visible again at once (visibility 0), with a second receive count.
    let again = receive_n(&*s, 1, DELIVERY_TIMEOUT).await;
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].message.body, got[0].message.body);
    assert_eq!(again[0].receive_count, 2);
    assert_ne!(again[0].receipt_handle, got[0].receipt_handle, "each receive has its own handle");

    let acks = vec![
        ("a0".to_owned(), again[0].receipt_handle.clone()),
        ("a1".to_owned(), got[1].receipt_handle.clone()),
        ("bad".to_owned(), ReceiptHandle("not-a-handle".into())),
    ];
    let out = s.ack_batch(acks).await.unwrap();
    let mut ok = out.successful.clone();
    ok.sort();
    assert_eq!(ok, vec!["a0", "a1"]);
    assert_eq!(out.failed.len(), 1);
    assert_eq!((out.failed[0].id.as_str(), out.failed[0].code.as_str()), ("bad", "ReceiptHandleIsInvalid"));
    assert!(out.failed[0].sender_fault);

    assert!(matches!(s.ack_batch(vec![]).await, Err(BusError::EmptyBatch)));
    let stats = b.queue_stats(&q).await.unwrap();
    assert_eq!(stats.total(), 2, "m2 and m3 remain");
}

#[tokio::test]
async fn change_visibility_hides_and_returns_a_message() {
    let b = backend().await;
    let q = queue_with(&b, QueueSpec::new(unique("vis-q")).with_visibility_timeout(Duration::from_secs(30))).await;
    b.send(&q, Message::new("hello"), None).await.unwrap();
    let s = b.subscription(&q).await.unwrap();
    let first = receive_n(&*s, 1, DELIVERY_TIMEOUT).await;
    assert_eq!(first.len(), 1);
    assert!(receive_for(&*s, Duration::from_millis(1500)).await.is_empty(), "in flight: invisible");
    s.change_visibility(&first[0].receipt_handle, Duration::from_secs(1)).await.unwrap();
    let second = receive_n(&*s, 1, Duration::from_secs(5)).await;
    assert_eq!(second.len(), 1, "visible again after the new timeout");
    assert_eq!(second[0].receive_count, 2);
    assert!(second[0].first_received_at <= std::time::SystemTime::now());
    s.ack(&second[0].receipt_handle).await.unwrap();
    assert_eq!(b.queue_stats(&q).await.unwrap().total(), 0);
    let too_long = limits::MAX_VISIBILITY_TIMEOUT + Duration::from_secs(1);
    assert!(matches!(
        s.change_visibility(&second[0].receipt_handle, too_long).await,
        Err(BusError::InvalidParameter { ref name, .. }) if name == "VisibilityTimeout"
    ));
}

#[tokio::test]
async fn messages_received_too_often_move_to_the_dead_letter_queue() {
    let b = backend().await;
    let (q, dlq) = (unique("dlq-src"), unique("dlq-dst"));
    let topology =
        Topology::new().queue(QueueSpec::new(&dlq)).queue(QueueSpec::new(&q).with_dead_letter_queue(&dlq, 2));
    b.apply_topology(&topology).await.unwrap();
    b.send(&q, Message::new("poison").with_attribute("k", "v"), None).await.unwrap();
    let s = b.subscription(&q).await.unwrap();
    for expected_count in 1..=2 {
        let got = receive_n(&*s, 1, DELIVERY_TIMEOUT).await;
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].receive_count, expected_count);
        s.change_visibility(&got[0].receipt_handle, Duration::ZERO).await.unwrap();
    }
    // The third receive finds the message over maxReceiveCount: it goes to the DLQ instead.
    assert!(receive_for(&*s, Duration::from_secs(2)).await.is_empty());
    let d = b.subscription(&dlq).await.unwrap();
    let dead = receive_n(&*d, 1, DELIVERY_TIMEOUT).await;
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].message.body, "poison");
    assert_eq!(dead[0].message.attributes["k"], bus_core::AttributeValue::String("v".into()));
}

#[tokio::test]
async fn aws_errors_map_to_typed_bus_errors() {
    let b = backend().await;
    let missing_q = unique("nope-q");
    assert!(matches!(b.subscription(&missing_q).await, Err(BusError::QueueNotFound(ref q)) if *q == missing_q));
    assert!(matches!(b.send(&missing_q, Message::new("x"), None).await, Err(BusError::QueueNotFound(_))));
    assert!(matches!(b.queue_stats(&missing_q).await, Err(BusError::QueueNotFound(_))));
    let missing_t = unique("nope-t");
    assert!(
        matches!(b.publisher().publish(&missing_t, Message::new("x")).await, Err(BusError::TopicNotFound(ref t)) if *t == missing_t)
    );
    let arn = format!("arn:aws:sns:us-east-1:123456789012:{missing_t}");
    assert!(matches!(b.publisher().publish(&arn, Message::new("x")).await, Err(BusError::TopicNotFound(_))));

    let q = queue_with(&b, QueueSpec::new(unique("err-q"))).await;
    let s = b.subscription(&q).await.unwrap();
    assert!(matches!(s.ack(&ReceiptHandle("garbage".into())).await, Err(BusError::ReceiptHandleInvalid(_))));
    assert!(matches!(
        s.change_visibility(&ReceiptHandle("garbage".into()), Duration::from_secs(5)).await,
        Err(BusError::ReceiptHandleInvalid(_))
    ));
    // A queue deleted behind the backend's back: the cached URL is dropped and the error is typed.
    b.sqs_client().delete_queue().queue_url(b.queue_url(&q).await.unwrap()).send().await.unwrap();
    assert!(
        matches!(s.receive(ReceiveOptions::new(1, Duration::ZERO)).await, Err(BusError::QueueNotFound(ref n)) if *n == q)
    );
    assert!(matches!(b.queue_url(&q).await, Err(BusError::QueueNotFound(_))));

    // Out-of-range options fail locally.
    let s2 = b.subscription(&queue_with(&b, QueueSpec::new(unique("opt-q"))).await).await.unwrap();
    assert!(matches!(
        s2.receive(ReceiveOptions::new(11, Duration::ZERO)).await,
        Err(BusError::InvalidParameter { .. })
    ));
    assert!(matches!(
        s2.receive(ReceiveOptions::new(1, Duration::from_secs(21))).await,
        Err(BusError::InvalidParameter { ref name, .. }) if name == "WaitTimeSeconds"
    ));
}

#[tokio::test]
async fn transport_failures_are_backend_errors_with_their_source() {
    // Nothing listens on port 9 of the loopback address: the request cannot be sent.
    let b = AwsBackend::builder()
        .with_sdk_config(sdk_config())
        .with_endpoint_url("http://127.0.0.1:9")
        .with_retry_config(aws_config::retry::RetryConfig::standard().with_max_attempts(1))
        .build()
        .await
        .unwrap();
    let e = b.queue_stats("anything").await.unwrap_err();
    match &e {
        BusError::Backend { service, source, .. } => {
            assert_eq!(*service, "sqs");
            assert!(source.is_some(), "the SDK error is kept as the source");
        }
        other => panic!("expected a backend error, got {other:?}"),
    }
    assert!(e.is_transient());
    assert!(std::error::Error::source(&e).is_some());
}

#[tokio::test]
async fn the_builder_reads_the_environment_and_fails_clearly_without_a_region() {
    common::endpoint();
    // scripts/moto.sh exports AWS_ENDPOINT_URL, AWS_REGION and dummy credentials.
    let b = bus_aws::AwsBackendBuilder::from_env().build().await.expect("from_env builds under scripts/moto.sh");
    let q = queue_with(&b, QueueSpec::new(unique("env-q"))).await;
    assert!(b.queue_url(&q).await.unwrap().starts_with(&common::endpoint()));

    let no_region = aws_config::SdkConfig::builder()
        .behavior_version(aws_config::BehaviorVersion::latest())
        .credentials_provider(sdk_config().credentials_provider().unwrap())
        .build();
    let e = AwsBackend::builder().with_sdk_config(no_region.clone()).build().await.unwrap_err();
    assert!(matches!(e, BusError::InvalidParameter { ref name, .. } if name == "region"), "{e}");
    let ok =
        AwsBackend::builder().with_sdk_config(no_region).with_region("us-east-1").with_endpoint_url(common::endpoint());
    assert!(ok.build().await.is_ok());

    let no_credentials = aws_config::SdkConfig::builder()
        .behavior_version(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("us-east-1"))
        .build();
    let e = AwsBackend::builder().with_sdk_config(no_credentials).build().await.unwrap_err();
    assert!(matches!(e, BusError::InvalidParameter { ref name, .. } if name == "credentials"), "{e}");

    // Injected clients are used as they are, with the builder's overrides on top.
    let sns = aws_sdk_sns::Client::new(&sdk_config());
    let sqs = aws_sdk_sqs::Client::new(&sdk_config());
    let injected = AwsBackend::builder().with_clients(sns, sqs).build().await.unwrap();
    assert_eq!(injected.queue_url(&q).await.unwrap(), b.queue_url(&q).await.unwrap());
}
