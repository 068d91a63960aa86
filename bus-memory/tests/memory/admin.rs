//! The one-call-at-a-time administration a server needs (`backend/admin.rs`): queues, topics and
//! subscriptions created, read, changed and deleted, each checked first and never half-applied.

use std::time::Duration;

use bus_core::backend::{QueueSpec, SubscriptionSpec, TopicSpec};
use bus_core::filter::FilterScope;
use bus_core::{Backend, BusError, Message, Publisher, ReceiveOptions, Subscription};
use bus_memory::MemoryBackend;

fn sub(topic: &str, queue: &str, policy: Option<serde_json::Value>) -> SubscriptionSpec {
    SubscriptionSpec {
        topic: topic.into(),
        queue: queue.into(),
        filter_policy: policy,
        filter_policy_scope: FilterScope::MessageAttributes,
        raw_message_delivery: true,
    }
}

async fn bodies(b: &MemoryBackend, queue: &str) -> Vec<String> {
    let s = b.memory_subscription(queue).unwrap();
    let got = s.receive(ReceiveOptions::new(10, Duration::ZERO)).await.unwrap();
    for d in &got {
        s.ack(&d.receipt_handle).await.unwrap();
    }
    got.into_iter().map(|d| d.raw_body).collect()
}

#[tokio::test(start_paused = true)]
async fn queues_are_created_read_changed_and_deleted() {
    let b = MemoryBackend::new();
    let spec = QueueSpec::new("q").with_visibility_timeout(Duration::from_secs(45));
    assert!(b.create_queue(&spec).unwrap());
    assert!(!b.create_queue(&spec).unwrap(), "same attributes: nothing to do");
    let other = spec.clone().with_delay(Duration::from_secs(3));
    assert!(matches!(b.create_queue(&other), Err(BusError::AlreadyExists { kind: "queue", .. })));
    assert_eq!(b.queue_spec("q").unwrap(), spec);

    b.send("q", Message::new("kept"), None).await.unwrap();
    b.set_queue_spec(&other).unwrap();
    assert_eq!(b.queue_spec("q").unwrap().delay, Duration::from_secs(3));
    assert_eq!(bodies(&b, "q").await, ["kept"], "messages stay when attributes change");
    let fifo = QueueSpec { fifo: true, ..other.clone() };
    assert!(b.set_queue_spec(&fifo).is_err(), "the queue type cannot change");
    let bad = other.clone().with_retention(Duration::from_secs(1));
    assert!(b.set_queue_spec(&bad).is_err());
    assert_eq!(b.queue_spec("q").unwrap(), other, "nothing half-applied");

    b.delete_queue("q").unwrap();
    assert!(matches!(b.queue_spec("q"), Err(BusError::QueueNotFound(_))));
    assert!(matches!(b.delete_queue("q"), Err(BusError::QueueNotFound(_))));
}

#[tokio::test(start_paused = true)]
async fn redrive_targets_must_exist_and_sources_are_listed() {
    let b = MemoryBackend::new();
    let dangling = QueueSpec::new("src").with_dead_letter_queue("dlq", 3);
    assert!(matches!(b.create_queue(&dangling), Err(BusError::QueueNotFound(_))));
    assert!(b.queue_spec("src").is_err(), "nothing created");
    b.create_queue(&QueueSpec::new("dlq")).unwrap();
    b.create_queue(&dangling).unwrap();
    b.create_queue(&QueueSpec::new("other").with_dead_letter_queue("dlq", 1)).unwrap();
    assert_eq!(b.dead_letter_source_queues("dlq").unwrap(), ["other", "src"]);
    assert_eq!(b.queue_spec("src").unwrap().redrive.unwrap().max_receive_count, 3);
    let fifo_dlq = QueueSpec::new("f.fifo");
    b.create_queue(&fifo_dlq).unwrap();
    assert!(b.create_queue(&QueueSpec::new("mixed").with_dead_letter_queue("f.fifo", 2)).is_err());
    b.delete_queue("dlq").unwrap();
    assert_eq!(b.queue_spec("src").unwrap().redrive, None, "the redrive target is gone");
}

#[tokio::test(start_paused = true)]
async fn subscriptions_are_added_changed_removed_and_restored() {
    let b = MemoryBackend::new();
    b.create_topic(&TopicSpec::new("t")).unwrap();
    assert!(!b.create_topic(&TopicSpec::new("t")).unwrap());
    b.create_queue(&QueueSpec::new("a")).unwrap();
    b.create_queue(&QueueSpec::new("b")).unwrap();
    let a = b.subscribe(&sub("t", "a", None), None).unwrap();
    assert!(a.arn.starts_with("arn:aws:sns:us-east-1:000000000000:t:"));
    assert_eq!(a.queue_arn, "arn:aws:sqs:us-east-1:000000000000:a");
    assert_eq!(b.subscribe(&sub("t", "a", None), None).unwrap(), a, "idempotent");
    let with_policy = sub("t", "a", Some(serde_json::json!({"k": ["v"]})));
    assert!(matches!(b.subscribe(&with_policy, None), Err(BusError::AlreadyExists { .. })));
    let bad = sub("t", "b", Some(serde_json::json!({"k": []})));
    assert!(matches!(b.subscribe(&bad, None), Err(BusError::InvalidFilterPolicy(_))));
    let bsub = b.subscribe(&sub("t", "b", Some(serde_json::json!({"k": ["v"]}))), None).unwrap();
    assert_eq!(b.subscriptions().len(), 2);

    let p = b.memory_publisher();
    p.publish("t", Message::new("plain")).await.unwrap();
    p.publish("t", Message::new("tagged").with_attribute("k", "v")).await.unwrap();
    assert_eq!(bodies(&b, "a").await, ["plain", "tagged"]);
    assert_eq!(bodies(&b, "b").await, ["tagged"]);

    assert!(b.update_subscription(&bsub.arn, &sub("t", "b", None)).unwrap());
    assert!(b.update_subscription(&bsub.arn, &sub("t", "a", None)).is_err(), "the queue cannot change");
    assert!(!b.update_subscription("arn:aws:sns:us-east-1:000000000000:t:none", &sub("t", "b", None)).unwrap());
    assert!(b.unsubscribe(&a.arn));
    assert!(!b.unsubscribe(&a.arn));
    assert!(b.subscription_info(&a.arn).is_none());
    p.publish("t", Message::new("after")).await.unwrap();
    assert!(bodies(&b, "a").await.is_empty());
    assert_eq!(bodies(&b, "b").await, ["after"]);

    let restored = b.subscribe(&sub("t", "a", None), Some(&a.arn)).unwrap();
    assert_eq!(restored.arn, a.arn, "restored under its ARN");
    assert!(
        b.subscribe(&sub("t", "a", None), Some("arn:aws:sns:us-east-1:000000000000:other:x")).is_ok(),
        "already subscribed: the existing one"
    );

    b.delete_queue("b").unwrap();
    assert_eq!(
        b.subscriptions().iter().map(|s| s.spec.queue.as_str()).collect::<Vec<_>>(),
        ["a"],
        "the queue's subscriptions go with it"
    );
    b.delete_topic("t").unwrap();
    assert!(b.subscriptions().is_empty());
    assert!(matches!(p.publish("t", Message::new("x")).await, Err(BusError::TopicNotFound(_))));
}

#[tokio::test(start_paused = true)]
async fn fifo_sends_report_sequence_numbers_and_topics_toggle_dedup() {
    let b = MemoryBackend::new();
    b.create_queue(&QueueSpec::new("q.fifo").with_content_based_deduplication()).unwrap();
    let m = |body: &str| Message::new(body).with_group_id("g");
    let first = b.send_message("q.fifo", m("one"), None).unwrap();
    let second = b.send_message("q.fifo", m("two"), None).unwrap();
    assert!(first.sequence_number.as_deref().unwrap() < second.sequence_number.as_deref().unwrap());
    assert_eq!(b.send_message("q.fifo", m("one"), None).unwrap(), first, "a duplicate returns the first send");
    assert!(b
        .send_message("q.fifo", m("d"), Some(Duration::from_secs(1)))
        .unwrap_err()
        .to_string()
        .contains("DelaySeconds"));
    b.create_queue(&QueueSpec::new("std")).unwrap();
    assert_eq!(b.send_message("std", Message::new("x"), None).unwrap().sequence_number, None);

    b.create_topic(&TopicSpec::new("t.fifo")).unwrap();
    assert!(b.set_topic_content_based_deduplication("t.fifo", true).is_ok());
    assert!(b.topic_spec("t.fifo").unwrap().content_based_deduplication);
    b.create_topic(&TopicSpec::new("plain")).unwrap();
    assert!(b.set_topic_content_based_deduplication("plain", true).is_err());
    assert!(b.subscribe(&sub("plain", "q.fifo", None), None).is_err(), "FIFO queues subscribe to FIFO topics only");
}
