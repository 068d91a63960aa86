//! Redrive to the dead-letter queue after `maxReceiveCount` receives.

use crate::common;

use bus_core::backend::{QueueSpec, Topology};
use bus_core::Backend;
use common::*;
use std::time::Duration;

fn topology(max: u32, dlq_retention: u64) -> Topology {
    Topology::new()
        .queue(QueueSpec::new("dlq").with_retention(secs(dlq_retention)))
        .queue(QueueSpec::new("q").with_visibility_timeout(secs(30)).with_dead_letter_queue("dlq", max))
}

#[tokio::test(start_paused = true)]
async fn moved_after_exactly_max_receive_count_receives() {
    let b = backend(topology(3, 3600)).await;
    let s = b.subscription("q").await.unwrap();
    let id = send(&b, "q", "poison").await;
    for count in 1..=3 {
        let d = take(&s, 1).await.pop().unwrap_or_else(|| panic!("receive {count}"));
        assert_eq!(d.receive_count, count);
        assert_eq!(b.queue_stats("dlq").await.unwrap().total(), 0);
        tokio::time::sleep(secs(30)).await;
    }
    // The message is visible again with count 3; it moves at the receive that would exceed it.
    assert_eq!(b.queue_stats("q").await.unwrap().visible, 1);
    assert!(take(&s, 10).await.is_empty());
    assert_eq!(b.queue_stats("q").await.unwrap().total(), 0);
    assert_eq!(b.queue_stats("dlq").await.unwrap().visible, 1);
    let dlq = b.subscription("dlq").await.unwrap();
    let d = take(&dlq, 1).await.pop().unwrap();
    assert_eq!(d.message_id, id, "the message keeps its id");
    assert_eq!(d.receive_count, 4, "and its receive count");
    assert_eq!(d.message.body, "poison");
}

#[tokio::test(start_paused = true)]
async fn nacked_with_visibility_zero_moves_too() {
    let b = backend(topology(1, 3600)).await;
    let s = b.subscription("q").await.unwrap();
    send(&b, "q", "a").await;
    let d = take(&s, 1).await.pop().unwrap();
    s.change_visibility(&d.receipt_handle, Duration::ZERO).await.unwrap();
    assert!(take(&s, 1).await.is_empty());
    assert_eq!(b.queue_stats("dlq").await.unwrap().visible, 1);
}

#[tokio::test(start_paused = true)]
async fn a_standard_dead_letter_queue_keeps_the_original_enqueue_time() {
    let b = backend(topology(1, 60)).await;
    let s = b.subscription("q").await.unwrap();
    send(&b, "q", "a").await;
    let first = take(&s, 1).await.pop().unwrap();
    tokio::time::sleep(secs(45)).await;
    assert!(take(&s, 1).await.is_empty(), "moved at t = 45 s");
    let dlq = b.subscription("dlq").await.unwrap();
    tokio::time::sleep(secs(14)).await;
    assert_eq!(b.queue_stats("dlq").await.unwrap().visible, 1);
    let d = take(&dlq, 1).await.pop().unwrap();
    assert_eq!(d.sent_at, first.sent_at);
    tokio::time::sleep(secs(1)).await;
    assert_eq!(b.queue_stats("dlq").await.unwrap().total(), 0, "the DLQ's 60 s retention counts from the first send");
}
