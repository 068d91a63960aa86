//! FIFO topics and queues: group order, group blocking, deduplication, sequence numbers.

use crate::common;

use bus_core::backend::{QueueSpec, SubscriptionSpec, TopicSpec, Topology};
use bus_core::filter::FilterScope;
use bus_core::{Backend, Message};
use common::*;
use std::time::Duration;

fn grouped(body: &str, group: &str) -> Message {
    Message::new(body).with_group_id(group).with_deduplication_id(body)
}

async fn fifo_queue() -> (bus_memory::MemoryBackend, std::sync::Arc<dyn bus_core::Subscription>) {
    one_queue(QueueSpec::new("q.fifo").with_visibility_timeout(secs(30))).await
}

#[tokio::test(start_paused = true)]
async fn messages_of_a_group_come_in_order() {
    let (b, s) = fifo_queue().await;
    for i in 0..5 {
        b.send("q.fifo", grouped(&format!("a{i}"), "A"), None).await.unwrap();
        b.send("q.fifo", grouped(&format!("b{i}"), "B"), None).await.unwrap();
    }
    let mut seen = Vec::new();
    while seen.len() < 10 {
        let got = take(&s, 3).await;
        assert!(!got.is_empty());
        for d in &got {
            s.ack(&d.receipt_handle).await.unwrap();
        }
        seen.extend(bodies(&got));
    }
    let a: Vec<_> = seen.iter().filter(|b| b.starts_with('a')).cloned().collect();
    let b_: Vec<_> = seen.iter().filter(|b| b.starts_with('b')).cloned().collect();
    assert_eq!(a, ["a0", "a1", "a2", "a3", "a4"]);
    assert_eq!(b_, ["b0", "b1", "b2", "b3", "b4"]);
}

#[tokio::test(start_paused = true)]
async fn a_group_is_held_while_one_of_its_messages_is_in_flight() {
    let (b, s) = fifo_queue().await;
    b.send("q.fifo", grouped("m1", "g"), None).await.unwrap();
    b.send("q.fifo", grouped("m2", "g"), None).await.unwrap();
    b.send("q.fifo", grouped("x1", "other"), None).await.unwrap();
    let first = take(&s, 1).await.pop().unwrap();
    assert_eq!(first.message.body, "m1");
    assert_eq!(first.group_id.as_deref(), Some("g"));
    assert_eq!(bodies(&take(&s, 10).await), ["x1"], "other groups are not held");
    assert!(take(&s, 10).await.is_empty(), "g is held while m1 is in flight");
    s.ack(&first.receipt_handle).await.unwrap();
    assert_eq!(bodies(&take(&s, 10).await), ["m2"]);
}

#[tokio::test(start_paused = true)]
async fn a_returned_message_comes_again_before_the_rest_of_its_group() {
    let (b, s) = fifo_queue().await;
    for m in ["m1", "m2", "m3"] {
        b.send("q.fifo", grouped(m, "g"), None).await.unwrap();
    }
    let got = take(&s, 2).await;
    assert_eq!(bodies(&got), ["m1", "m2"], "one receive may take several messages of a group, in order");
    s.ack(&got[1].receipt_handle).await.unwrap();
    assert!(take(&s, 10).await.is_empty(), "m1 is still in flight");
    tokio::time::sleep(secs(30)).await;
    let again = take(&s, 10).await;
    assert_eq!(bodies(&again), ["m1", "m3"]);
    assert_eq!(again[0].receive_count, 2);
    let seqs: Vec<u128> = again.iter().map(|d| d.sequence_number.as_ref().unwrap().parse().unwrap()).collect();
    assert!(seqs[0] < seqs[1]);
    assert_eq!(again[0].sequence_number.as_ref().unwrap().len(), 20);
}

#[tokio::test(start_paused = true)]
async fn duplicates_within_five_minutes_are_accepted_but_not_delivered() {
    let (b, s) = fifo_queue().await;
    let m = || Message::new("body").with_group_id("g").with_deduplication_id("d-1");
    let id1 = b.send("q.fifo", m(), None).await.unwrap();
    tokio::time::sleep(secs(299)).await;
    let id2 = b.send("q.fifo", m(), None).await.unwrap();
    assert_eq!(id1, id2, "the duplicate returns the first send's message id");
    assert_eq!(b.queue_stats("q.fifo").await.unwrap().total(), 1);
    tokio::time::sleep(secs(1)).await;
    let id3 = b.send("q.fifo", m(), None).await.unwrap();
    assert_ne!(id3, id1, "after 5 minutes the id is new again");
    assert_eq!(b.queue_stats("q.fifo").await.unwrap().total(), 2);
    let _ = s;
}

#[tokio::test(start_paused = true)]
async fn content_based_deduplication_hashes_the_body_only() {
    let (b, _s) = one_queue(QueueSpec::new("q.fifo").with_content_based_deduplication()).await;
    b.send("q.fifo", Message::new("same").with_group_id("g").with_attribute("a", "1"), None).await.unwrap();
    b.send("q.fifo", Message::new("same").with_group_id("g").with_attribute("a", "2"), None).await.unwrap();
    b.send("q.fifo", Message::new("other").with_group_id("g"), None).await.unwrap();
    b.send("q.fifo", Message::new("same").with_group_id("g").with_deduplication_id("explicit"), None).await.unwrap();
    assert_eq!(b.queue_stats("q.fifo").await.unwrap().total(), 3);
}

#[tokio::test(start_paused = true)]
async fn fifo_topics_sequence_and_deduplicate() {
    let b = backend(
        Topology::new()
            .with_topic(TopicSpec::new("orders.fifo"))
            .queue(QueueSpec::new("orders.fifo"))
            .queue(QueueSpec::new("audit"))
            .subscribe("orders.fifo", "orders.fifo")
            .subscription(SubscriptionSpec {
                topic: "orders.fifo".into(),
                queue: "audit".into(),
                filter_policy: None,
                filter_policy_scope: FilterScope::MessageAttributes,
                raw_message_delivery: true,
            }),
    )
    .await;
    let p = b.publisher();
    let r1 = p.publish("orders.fifo", grouped("o1", "cust-1")).await.unwrap();
    let r2 = p.publish("orders.fifo", grouped("o2", "cust-1")).await.unwrap();
    let dup = p.publish("orders.fifo", grouped("o1", "cust-1")).await.unwrap();
    assert_eq!(dup, r1, "a duplicate returns the first publish's id and sequence number");
    let (s1, s2) = (r1.sequence_number.unwrap(), r2.sequence_number.unwrap());
    assert_eq!(s1.len(), 20);
    assert!(s1 < s2);
    let q = b.subscription("orders.fifo").await.unwrap();
    let got = take(&q, 10).await;
    assert_eq!(bodies(&got), ["o1", "o2"]);
    assert_eq!(got[0].notification.as_ref().unwrap().sequence_number.as_deref(), Some(s1.as_str()));
    assert_eq!(got[0].group_id.as_deref(), Some("cust-1"));
    let audit = b.subscription("audit").await.unwrap();
    assert_eq!(take(&audit, 10).await.len(), 2, "a standard queue may subscribe to a FIFO topic");
}

#[tokio::test(start_paused = true)]
async fn fifo_fields_are_required_and_forbidden_where_aws_says() {
    let b = backend(
        Topology::new()
            .topic("std")
            .with_topic(TopicSpec::new("t.fifo"))
            .queue(QueueSpec::new("q.fifo"))
            .queue(QueueSpec::new("plain")),
    )
    .await;
    let p = b.publisher();
    assert_eq!(param(p.publish("t.fifo", Message::new("m")).await.unwrap_err()), "MessageGroupId");
    assert_eq!(
        param(p.publish("t.fifo", Message::new("m").with_group_id("g")).await.unwrap_err()),
        "MessageDeduplicationId"
    );
    assert_eq!(
        param(p.publish("std", Message::new("m").with_deduplication_id("d")).await.unwrap_err()),
        "MessageDeduplicationId"
    );
    assert!(p.publish("std", Message::new("m").with_group_id("tenant")).await.is_ok(), "fair queues");
    assert_eq!(param(b.send("q.fifo", Message::new("m"), None).await.unwrap_err()), "MessageGroupId");
    let e = b.send("q.fifo", grouped("m", "g"), Some(secs(5))).await.unwrap_err();
    assert_eq!(param(e), "DelaySeconds", "FIFO queues have no per-message delay");
    assert_eq!(param(b.send("plain", grouped("m", "g"), None).await.unwrap_err()), "MessageDeduplicationId");
    let e = b.send("q.fifo", Message::new("m").with_group_id("has space").with_deduplication_id("d"), None).await;
    assert_eq!(param(e.unwrap_err()), "MessageGroupId");
    assert_eq!(b.queue_stats("q.fifo").await.unwrap().total(), 0, "nothing was stored");
}

#[tokio::test(start_paused = true)]
async fn fifo_redrive_moves_the_head_and_unblocks_the_group() {
    let b = backend(
        Topology::new()
            .queue(QueueSpec::new("dlq.fifo"))
            .queue(QueueSpec::new("q.fifo").with_visibility_timeout(secs(10)).with_dead_letter_queue("dlq.fifo", 2)),
    )
    .await;
    let s = b.subscription("q.fifo").await.unwrap();
    b.send("q.fifo", grouped("poison", "g"), None).await.unwrap();
    b.send("q.fifo", grouped("next", "g"), None).await.unwrap();
    for _ in 0..2 {
        let d = take(&s, 1).await.pop().unwrap();
        assert_eq!(d.message.body, "poison");
        s.change_visibility(&d.receipt_handle, Duration::ZERO).await.unwrap();
    }
    assert_eq!(bodies(&take(&s, 10).await), ["next"]);
    let dlq = b.subscription("dlq.fifo").await.unwrap();
    let dead = take(&dlq, 10).await;
    assert_eq!(bodies(&dead), ["poison"]);
    assert_eq!(dead[0].group_id.as_deref(), Some("g"));
}
