//! Long polling: a receive returns as soon as a message becomes visible, and no later than its wait.

use crate::common;

use bus_core::backend::{QueueSpec, Topology};
use bus_core::{Backend, Message, ReceiveOptions};
use common::*;
use std::time::Duration;
use tokio::time::Instant;

fn wait(n: u64) -> ReceiveOptions {
    ReceiveOptions::new(10, secs(n))
}

#[tokio::test(start_paused = true)]
async fn wakes_on_publish() {
    let b = backend(Topology::new().topic("t").queue(QueueSpec::new("q")).subscribe("t", "q")).await;
    let s = b.subscription("q").await.unwrap();
    let start = Instant::now();
    let waiter = tokio::spawn(async move { (s.receive(wait(20)).await.unwrap(), Instant::now()) });
    tokio::time::sleep(Duration::from_millis(3_250)).await;
    publish(&b, "t", "E", serde_json::json!({})).await;
    let (got, at) = waiter.await.unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(at - start, Duration::from_millis(3_250), "returned at the publish, not at the end of the wait");
}

#[tokio::test(start_paused = true)]
async fn wakes_when_a_visibility_timeout_ends() {
    let (b, s) = one_queue(QueueSpec::new("q").with_visibility_timeout(secs(7))).await;
    send(&b, "q", "m").await;
    take(&s, 1).await;
    let start = Instant::now();
    let got = s.receive(wait(20)).await.unwrap();
    assert_eq!(got[0].receive_count, 2);
    assert_eq!(start.elapsed(), secs(7));
}

#[tokio::test(start_paused = true)]
async fn wakes_when_a_message_sent_later_with_a_delay_becomes_visible() {
    let (b, s) = one_queue(QueueSpec::new("q")).await;
    let start = Instant::now();
    let waiter = tokio::spawn(async move { (s.receive(wait(20)).await.unwrap(), Instant::now()) });
    tokio::time::sleep(secs(1)).await;
    b.send("q", Message::new("m"), Some(secs(4))).await.unwrap();
    let (got, at) = waiter.await.unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(at - start, secs(5));
}

#[tokio::test(start_paused = true)]
async fn wakes_when_visibility_is_changed_to_zero() {
    let (b, s) = one_queue(QueueSpec::new("q")).await;
    send(&b, "q", "m").await;
    let h = take(&s, 1).await.pop().unwrap().receipt_handle;
    let s2 = s.clone();
    let start = Instant::now();
    let waiter = tokio::spawn(async move { (s2.receive(wait(20)).await.unwrap(), Instant::now()) });
    tokio::time::sleep(secs(2)).await;
    s.change_visibility(&h, Duration::ZERO).await.unwrap();
    let (got, at) = waiter.await.unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(at - start, secs(2));
    let _ = b;
}

#[tokio::test(start_paused = true)]
async fn returns_empty_when_the_wait_ends() {
    let (_b, s) = one_queue(QueueSpec::new("q")).await;
    let start = Instant::now();
    assert!(s.receive(wait(20)).await.unwrap().is_empty());
    assert_eq!(start.elapsed(), secs(20));
}

#[tokio::test(start_paused = true)]
async fn the_queue_receive_wait_is_the_default() {
    let (_b, s) = one_queue(QueueSpec::new("q").with_receive_wait(secs(5))).await;
    let start = Instant::now();
    let opts = ReceiveOptions { max_messages: 10, wait_time: None, visibility_timeout: None };
    assert!(s.receive(opts).await.unwrap().is_empty());
    assert_eq!(start.elapsed(), secs(5));
}

#[tokio::test(start_paused = true)]
async fn several_waiters_share_a_burst() {
    let (b, s) = one_queue(QueueSpec::new("q")).await;
    let waiters: Vec<_> = (0..3)
        .map(|_| {
            let s = s.clone();
            tokio::spawn(async move { s.receive(ReceiveOptions::new(1, secs(20))).await.unwrap() })
        })
        .collect();
    tokio::time::sleep(secs(1)).await;
    for i in 0..3 {
        send(&b, "q", &format!("m{i}")).await;
    }
    let start = Instant::now();
    let mut all = Vec::new();
    for w in waiters {
        all.extend(bodies(&w.await.unwrap()));
    }
    assert_eq!(start.elapsed(), Duration::ZERO, "every waiter got one at once");
    all.sort();
    assert_eq!(all, ["m0", "m1", "m2"]);
}
