//! `apply_topology`: validated first, idempotent, updates in place.

use crate::common;

use bus_core::backend::{QueueSpec, SubscriptionSpec, Topology};
use bus_core::filter::FilterScope;
use bus_core::{Backend, BusError, Message};
use common::*;
use serde_json::json;

fn topology(policy: serde_json::Value, visibility: u64) -> Topology {
    Topology::new()
        .topic("events")
        .queue(QueueSpec::new("dlq"))
        .queue(QueueSpec::new("email").with_visibility_timeout(secs(visibility)).with_dead_letter_queue("dlq", 3))
        .subscribe_with_policy("events", "email", policy)
}

#[tokio::test(start_paused = true)]
async fn applying_twice_changes_nothing() {
    let t = topology(json!({"event-type": ["A"]}), 30);
    let b = backend(t.clone()).await;
    publish(&b, "events", "A", json!({})).await;
    let s = b.subscription("email").await.unwrap();
    let d = take(&s, 1).await.pop().unwrap();
    let arn = b.subscription_arn("events", "email").unwrap();
    b.apply_topology(&t).await.unwrap();
    assert_eq!(b.subscription_arn("events", "email").unwrap(), arn);
    assert_eq!(b.queue_stats("email").await.unwrap().in_flight, 1, "messages and receipts survive");
    s.ack(&d.receipt_handle).await.unwrap();
    assert_eq!(b.queue_stats("email").await.unwrap().total(), 0);
    assert_eq!(b.queue_names(), ["dlq", "email"]);
    assert_eq!(b.topic_names(), ["events"]);
}

#[tokio::test(start_paused = true)]
async fn changed_attributes_and_policies_apply_in_place() {
    let b = backend(topology(json!({"event-type": ["A"]}), 30)).await;
    publish(&b, "events", "A", json!({})).await;
    b.apply_topology(&topology(json!({"event-type": ["B"]}), 5)).await.unwrap();
    assert_eq!(b.queue_stats("email").await.unwrap().visible, 1, "the stored message stays");
    publish(&b, "events", "A", json!({})).await;
    publish(&b, "events", "B", json!({})).await;
    let s = b.subscription("email").await.unwrap();
    let got = take(&s, 10).await;
    let mut types: Vec<_> = got.iter().map(|d| d.event_type().unwrap()).collect();
    types.sort();
    assert_eq!(types, ["A", "B"], "A from before the change, B under the new policy");
    tokio::time::sleep(secs(5)).await;
    assert_eq!(take(&s, 10).await.len(), 2, "the new 5 s visibility timeout");
}

#[tokio::test(start_paused = true)]
async fn raw_delivery_and_scope_update_in_place() {
    let b = backend(Topology::new().topic("t").queue(QueueSpec::new("q")).subscribe("t", "q")).await;
    let raw = Topology::new().topic("t").queue(QueueSpec::new("q")).subscription(SubscriptionSpec {
        topic: "t".into(),
        queue: "q".into(),
        filter_policy: Some(json!({"data": {"n": [1]}})),
        filter_policy_scope: FilterScope::MessageBody,
        raw_message_delivery: true,
    });
    b.apply_topology(&raw).await.unwrap();
    publish(&b, "t", "E", json!({"n": 1})).await;
    publish(&b, "t", "E", json!({"n": 2})).await;
    let s = b.subscription("q").await.unwrap();
    let got = take(&s, 10).await;
    assert_eq!(got.len(), 1);
    assert!(got[0].notification.is_none());
}

#[tokio::test(start_paused = true)]
async fn an_invalid_topology_changes_nothing() {
    let b = backend(topology(json!({"event-type": ["A"]}), 30)).await;
    let mut bad = topology(json!({"event-type": ["B"]}), 60).queue(QueueSpec::new("new-queue"));
    bad = bad.subscribe_with_policy("events", "new-queue", json!({"event-type": "not an array"}));
    let e = b.apply_topology(&bad).await.unwrap_err();
    assert!(matches!(e, BusError::InvalidFilterPolicy(_)), "{e:?}");
    assert_eq!(b.queue_names(), ["dlq", "email"], "no queue created");
    publish(&b, "events", "A", json!({})).await;
    assert_eq!(b.queue_stats("email").await.unwrap().visible, 1, "the old policy still applies");
    let missing = Topology::new().topic("events").subscribe("events", "ghost");
    assert!(matches!(b.apply_topology(&missing).await.unwrap_err(), BusError::QueueNotFound(_)));
    let fifo_on_std = Topology::new().topic("std").queue(QueueSpec::new("q.fifo")).subscribe("std", "q.fifo");
    assert_eq!(param(b.apply_topology(&fifo_on_std).await.unwrap_err()), "Endpoint");
    let twice = Topology::new()
        .topic("events")
        .queue(QueueSpec::new("email"))
        .subscribe("events", "email")
        .subscribe("events", "email");
    assert_eq!(param(b.apply_topology(&twice).await.unwrap_err()), "Subscription");
    assert_eq!(b.queue_names(), ["dlq", "email"]);
}

#[tokio::test(start_paused = true)]
async fn region_and_account_show_in_arns() {
    let b = bus_memory::MemoryBackend::builder().region("eu-west-1").account_id("123456789012").build().unwrap();
    b.apply_topology(&Topology::new().topic("t").queue(QueueSpec::new("q")).subscribe("t", "q")).await.unwrap();
    assert_eq!(b.topic_arn("t").unwrap(), "arn:aws:sns:eu-west-1:123456789012:t");
    assert_eq!(b.queue_arn("q").unwrap(), "arn:aws:sqs:eu-west-1:123456789012:q");
    assert_eq!(b.queue_url("q").unwrap(), "https://sqs.eu-west-1.amazonaws.com/123456789012/q");
    b.publisher().publish("t", Message::new("m")).await.unwrap();
    let s = b.subscription("q").await.unwrap();
    let n = take(&s, 1).await.pop().unwrap().notification.unwrap();
    assert!(n.unsubscribe_url.starts_with("https://sns.eu-west-1.amazonaws.com/"));
    assert!(bus_memory::MemoryBackend::builder().account_id("12").build().is_err());
    assert!(bus_memory::MemoryBackend::builder().region("EU WEST").build().is_err());
}
