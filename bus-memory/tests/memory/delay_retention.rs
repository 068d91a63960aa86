//! Queue and per-message delays, and retention, on virtual time.

use crate::common;

use bus_core::backend::{QueueSpec, Topology};
use bus_core::{Backend, Message};
use common::*;
use std::time::Duration;

#[tokio::test(start_paused = true)]
async fn the_queue_delay_hides_new_messages_until_due() {
    let (b, s) = one_queue(QueueSpec::new("q").with_delay(secs(10))).await;
    send(&b, "q", "m").await;
    let st = b.queue_stats("q").await.unwrap();
    assert_eq!((st.visible, st.delayed), (0, 1));
    tokio::time::sleep(Duration::from_millis(9_999)).await;
    assert!(take(&s, 1).await.is_empty());
    tokio::time::sleep(Duration::from_millis(1)).await;
    assert_eq!(take(&s, 1).await.len(), 1);
}

#[tokio::test(start_paused = true)]
async fn a_per_message_delay_overrides_the_queues() {
    let (b, s) = one_queue(QueueSpec::new("q").with_delay(secs(10))).await;
    b.send("q", Message::new("soon"), Some(secs(5))).await.unwrap();
    b.send("q", Message::new("now"), Some(Duration::ZERO)).await.unwrap();
    assert_eq!(bodies(&take(&s, 10).await), ["now"]);
    tokio::time::sleep(secs(5)).await;
    assert_eq!(bodies(&take(&s, 10).await), ["soon"]);
}

#[tokio::test(start_paused = true)]
async fn the_queue_delay_applies_to_topic_deliveries() {
    let b =
        backend(Topology::new().topic("t").queue(QueueSpec::new("q").with_delay(secs(3))).subscribe("t", "q")).await;
    publish(&b, "t", "E", serde_json::json!({})).await;
    let s = b.subscription("q").await.unwrap();
    assert!(take(&s, 1).await.is_empty());
    tokio::time::sleep(secs(3)).await;
    assert_eq!(take(&s, 1).await.len(), 1);
}

#[tokio::test(start_paused = true)]
async fn retention_deletes_messages_visible_or_in_flight() {
    let (b, s) = one_queue(QueueSpec::new("q").with_retention(secs(60)).with_visibility_timeout(secs(600))).await;
    send(&b, "q", "visible").await;
    send(&b, "q", "in flight").await;
    tokio::time::sleep(secs(10)).await;
    send(&b, "q", "later").await;
    let mut got = take(&s, 10).await;
    assert_eq!(got.len(), 3);
    for d in got.drain(..).filter(|d| d.message.body != "in flight") {
        s.change_visibility(&d.receipt_handle, Duration::ZERO).await.unwrap();
    }
    tokio::time::sleep(secs(49)).await;
    assert_eq!(b.queue_stats("q").await.unwrap().total(), 3);
    tokio::time::sleep(secs(1)).await;
    let st = b.queue_stats("q").await.unwrap();
    assert_eq!((st.visible, st.in_flight), (1, 0), "the two sent at t = 0 are gone at t = 60 s");
    assert_eq!(bodies(&take(&s, 10).await), ["later"]);
    tokio::time::sleep(secs(10)).await;
    assert_eq!(b.queue_stats("q").await.unwrap().total(), 0);
}

#[tokio::test(start_paused = true)]
async fn a_changed_retention_applies_to_stored_messages() {
    let (b, _s) = one_queue(QueueSpec::new("q").with_retention(secs(3600))).await;
    send(&b, "q", "m").await;
    tokio::time::sleep(secs(100)).await;
    b.apply_topology(&Topology::new().queue(QueueSpec::new("q").with_retention(secs(60)))).await.unwrap();
    assert_eq!(b.queue_stats("q").await.unwrap().total(), 0, "older than the new retention period");
}
