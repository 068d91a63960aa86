//! AWS's limits, each a typed error, and nothing half-applied.

use crate::common;

use bus_core::backend::{QueueSpec, Topology};
use bus_core::{limits, AttributeValue, Backend, BusError, Message, ReceiveOptions};
use common::*;
use serde_json::json;
use std::time::Duration;

async fn setup() -> bus_memory::MemoryBackend {
    backend(Topology::new().topic("t").queue(QueueSpec::new("q")).subscribe("t", "q")).await
}

#[tokio::test(start_paused = true)]
async fn message_sizes_sns_256_kib_and_sqs_1_mib() {
    let b = setup().await;
    let p = b.publisher();
    let at = |n: usize| Message::new("x".repeat(n));
    p.publish("t", at(limits::SNS_MAX_MESSAGE_BYTES)).await.expect("exactly 256 KiB is allowed");
    let e = p.publish("t", at(limits::SNS_MAX_MESSAGE_BYTES + 1)).await.unwrap_err();
    assert!(matches!(e, BusError::PayloadTooLarge { actual: 262_145, limit: 262_144 }), "{e:?}");
    // Attribute names, types and values count too.
    let e = p.publish("t", at(limits::SNS_MAX_MESSAGE_BYTES - 5).with_attribute("k", "v")).await.unwrap_err();
    assert!(matches!(e, BusError::PayloadTooLarge { actual: 262_147, .. }), "{e:?}");
    b.send("q", at(limits::SQS_MAX_MESSAGE_BYTES), None).await.expect("exactly 1 MiB is allowed");
    let e = b.send("q", at(limits::SQS_MAX_MESSAGE_BYTES + 1), None).await.unwrap_err();
    assert!(matches!(e, BusError::PayloadTooLarge { limit: 1_048_576, .. }), "{e:?}");
    assert_eq!(b.queue_stats("q").await.unwrap().total(), 2);
}

#[tokio::test(start_paused = true)]
async fn at_most_ten_attributes_with_valid_names() {
    let b = setup().await;
    let p = b.publisher();
    let mut m = Message::new("m");
    for i in 0..10 {
        m.attributes.insert(format!("a{i}"), AttributeValue::String("v".into()));
    }
    p.publish("t", m.clone()).await.expect("10 attributes are allowed");
    m.attributes.insert("a10".into(), AttributeValue::String("v".into()));
    assert!(matches!(
        p.publish("t", m.clone()).await.unwrap_err(),
        BusError::TooManyAttributes { actual: 11, limit: 10 }
    ));
    assert!(matches!(b.send("q", m, None).await.unwrap_err(), BusError::TooManyAttributes { .. }));
    for bad in ["AWS.trace", "amazon.x", ".lead", "trail.", "a..b", "sp ace", "ü", ""] {
        let e = p.publish("t", Message::new("m").with_attribute(bad, "v")).await.unwrap_err();
        assert!(matches!(e, BusError::InvalidAttribute { ref name, .. } if name == bad), "{bad:?}: {e:?}");
    }
    let e = p.publish("t", Message::new("m").with_attribute("n", AttributeValue::Number("ten".into()))).await;
    assert!(matches!(e.unwrap_err(), BusError::InvalidAttribute { .. }));
    let arr = Message::new("m").with_attribute("tags", AttributeValue::string_array(["a", "b"]));
    p.publish("t", arr.clone()).await.expect("String.Array is an SNS type");
    b.send("q", arr, None).await.expect("and on SQS a String with the custom label Array");
    assert_eq!(param(p.publish("t", Message::new("")).await.unwrap_err()), "Message");
    assert_eq!(param(b.send("q", Message::new(""), None).await.unwrap_err()), "MessageBody");
    assert_eq!(param(b.send("q", Message::new("\u{0}"), None).await.unwrap_err()), "MessageBody");
}

#[tokio::test(start_paused = true)]
async fn receive_ranges() {
    let b = setup().await;
    let s = b.subscription("q").await.unwrap();
    let e = |o: ReceiveOptions| {
        let s = s.clone();
        async move { param(s.receive(o).await.unwrap_err()) }
    };
    assert_eq!(e(ReceiveOptions::new(0, Duration::ZERO)).await, "MaxNumberOfMessages");
    assert_eq!(e(ReceiveOptions::new(11, Duration::ZERO)).await, "MaxNumberOfMessages");
    assert_eq!(e(ReceiveOptions::new(1, secs(21))).await, "WaitTimeSeconds");
    let too_long = ReceiveOptions::new(1, Duration::ZERO).with_visibility_timeout(secs(43_201));
    assert_eq!(e(too_long).await, "VisibilityTimeout");
    assert!(s.receive(ReceiveOptions::new(1, Duration::ZERO).with_visibility_timeout(secs(43_200))).await.is_ok());
    assert_eq!(param(b.send("q", Message::new("m"), Some(secs(901))).await.unwrap_err()), "DelaySeconds");
    b.send("q", Message::new("m"), Some(secs(900))).await.expect("900 s is allowed");
}

#[tokio::test(start_paused = true)]
async fn queue_attribute_ranges() {
    let b = bus_memory::MemoryBackend::new();
    let bad = [
        (QueueSpec::new("q").with_visibility_timeout(secs(43_201)), "VisibilityTimeout"),
        (QueueSpec::new("q").with_delay(secs(901)), "DelaySeconds"),
        (QueueSpec::new("q").with_retention(secs(59)), "MessageRetentionPeriod"),
        (QueueSpec::new("q").with_retention(secs(1_209_601)), "MessageRetentionPeriod"),
        (QueueSpec::new("q").with_receive_wait(secs(21)), "ReceiveMessageWaitTimeSeconds"),
        (QueueSpec::new("q").with_dead_letter_queue("dlq", 0), "RedrivePolicy"),
        (QueueSpec::new("q").with_dead_letter_queue("dlq", 1001), "RedrivePolicy"),
    ];
    for (spec, name) in bad {
        let t = Topology::new().queue(QueueSpec::new("dlq")).queue(spec);
        assert_eq!(param(b.apply_topology(&t).await.unwrap_err()), name);
    }
    assert!(b.queue_names().is_empty(), "a rejected topology creates nothing, not even its valid queues");
    let ok =
        Topology::new().queue(QueueSpec::new("dlq")).queue(QueueSpec::new("q").with_dead_letter_queue("dlq", 1000));
    b.apply_topology(&ok).await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn at_most_200_filter_policies_per_topic() {
    let b = bus_memory::MemoryBackend::new();
    let mut t = Topology::new().topic("t");
    for i in 0..201 {
        t = t.queue(QueueSpec::new(format!("q{i}"))).subscribe_with_policy("t", format!("q{i}"), json!({"k": [i]}));
    }
    assert_eq!(param(b.apply_topology(&t).await.unwrap_err()), "FilterPolicy");
    assert!(b.topic_names().is_empty());
    t.subscriptions.pop();
    t.queues.pop();
    b.apply_topology(&t).await.unwrap();
    let more = Topology::new().topic("t").queue(QueueSpec::new("extra")).subscribe_with_policy(
        "t",
        "extra",
        json!({"k": ["x"]}),
    );
    assert_eq!(param(b.apply_topology(&more).await.unwrap_err()), "FilterPolicy", "existing policies count");
}
