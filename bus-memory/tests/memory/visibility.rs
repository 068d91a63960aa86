//! Visibility timeouts, receipt handles, receive counts and timestamps, on virtual time.

use crate::common;

use bus_core::backend::{QueueSpec, Topology};
use bus_core::{Backend, BusError, ReceiptHandle, ReceiveOptions};
use common::*;
use std::time::Duration;

#[tokio::test(start_paused = true)]
async fn visibility_expiry_redelivers_with_receive_count_plus_one() {
    let (b, s) = one_queue(QueueSpec::new("q").with_visibility_timeout(secs(30))).await;
    send(&b, "q", "hello").await;
    tokio::time::sleep(secs(2)).await;
    let first = take(&s, 10).await.pop().unwrap();
    assert_eq!(first.receive_count, 1);
    tokio::time::sleep(Duration::from_millis(29_999)).await;
    assert!(take(&s, 10).await.is_empty(), "still invisible 1 ms before the timeout ends");
    tokio::time::sleep(Duration::from_millis(1)).await;
    let second = take(&s, 10).await.pop().unwrap();
    assert_eq!(second.receive_count, 2);
    assert_eq!(second.message_id, first.message_id);
    assert_ne!(second.receipt_handle, first.receipt_handle, "a new receipt handle on every receive");
    assert_eq!(second.first_received_at, first.first_received_at, "ApproximateFirstReceiveTimestamp stays");
    assert_eq!(second.sent_at, first.sent_at);
    assert_eq!(first.first_received_at.duration_since(first.sent_at).unwrap(), secs(2));
}

#[tokio::test(start_paused = true)]
async fn per_receive_visibility_timeout_overrides_the_queues() {
    let (b, s) = one_queue(QueueSpec::new("q").with_visibility_timeout(secs(300))).await;
    send(&b, "q", "m").await;
    let got = s.receive(ReceiveOptions::new(1, Duration::ZERO).with_visibility_timeout(secs(5))).await.unwrap();
    assert_eq!(got.len(), 1);
    tokio::time::sleep(secs(5)).await;
    assert_eq!(take(&s, 1).await[0].receive_count, 2);
}

#[tokio::test(start_paused = true)]
async fn an_outdated_receipt_handle_deletes_nothing() {
    let (b, s) = one_queue(QueueSpec::new("q").with_visibility_timeout(secs(30))).await;
    send(&b, "q", "m").await;
    let old = take(&s, 1).await.pop().unwrap().receipt_handle;
    tokio::time::sleep(secs(30)).await;
    let current = take(&s, 1).await.pop().unwrap().receipt_handle;
    s.ack(&old).await.expect("SQS: the request succeeds");
    let stats = b.queue_stats("q").await.unwrap();
    assert_eq!(stats.in_flight, 1, "but the message is not deleted");
    s.ack(&current).await.unwrap();
    assert_eq!(b.queue_stats("q").await.unwrap().total(), 0);
    s.ack(&current).await.expect("deleting a message already gone succeeds");
}

#[tokio::test(start_paused = true)]
async fn the_latest_handle_deletes_even_after_the_timeout_ended() {
    let (b, s) = one_queue(QueueSpec::new("q").with_visibility_timeout(secs(10))).await;
    send(&b, "q", "m").await;
    let h = take(&s, 1).await.pop().unwrap().receipt_handle;
    tokio::time::sleep(secs(60)).await;
    assert_eq!(b.queue_stats("q").await.unwrap().visible, 1);
    s.ack(&h).await.unwrap();
    assert_eq!(b.queue_stats("q").await.unwrap().total(), 0);
}

#[tokio::test(start_paused = true)]
async fn change_visibility_extends_or_returns_at_once() {
    let (b, s) = one_queue(QueueSpec::new("q").with_visibility_timeout(secs(10))).await;
    send(&b, "q", "a").await;
    send(&b, "q", "b").await;
    let got = take(&s, 2).await;
    tokio::time::sleep(secs(8)).await;
    s.change_visibility(&got[0].receipt_handle, secs(60)).await.unwrap();
    s.change_visibility(&got[1].receipt_handle, Duration::ZERO).await.unwrap();
    let again = take(&s, 10).await;
    assert_eq!(bodies(&again), [got[1].message.body.clone()], "visibility 0: visible at once");
    s.ack(&again[0].receipt_handle).await.unwrap();
    tokio::time::sleep(secs(59)).await;
    assert!(take(&s, 10).await.is_empty(), "extended: 60 s counted from the change");
    tokio::time::sleep(secs(1)).await;
    assert_eq!(bodies(&take(&s, 10).await), [got[0].message.body.clone()]);
    let _ = b;
}

#[tokio::test(start_paused = true)]
async fn change_visibility_errors() {
    let b = backend(
        Topology::new().queue(QueueSpec::new("q").with_visibility_timeout(secs(10))).queue(QueueSpec::new("other")),
    )
    .await;
    let s = b.subscription("q").await.unwrap();
    let other = b.subscription("other").await.unwrap();
    send(&b, "q", "m").await;
    let old = take(&s, 1).await.pop().unwrap().receipt_handle;

    // 12 hours at most, counted from the receive.
    tokio::time::sleep(secs(5)).await;
    let e = s.change_visibility(&old, secs(43_200 - 4)).await.unwrap_err();
    assert_eq!(param(e), "VisibilityTimeout");
    s.change_visibility(&old, secs(43_200 - 5)).await.expect("exactly 12 h in total is allowed");
    s.change_visibility(&old, secs(5)).await.unwrap();
    let e = s.change_visibility(&old, secs(43_201)).await.unwrap_err();
    assert_eq!(param(e), "VisibilityTimeout", "out of range");

    // Not in flight any more.
    tokio::time::sleep(secs(5)).await;
    let e = s.change_visibility(&old, secs(5)).await.unwrap_err();
    assert!(matches!(e, BusError::MessageNotInflight(_)), "{e:?}");

    // Received again: the old handle has expired.
    let current = take(&s, 1).await.pop().unwrap().receipt_handle;
    let e = s.change_visibility(&old, secs(5)).await.unwrap_err();
    assert!(matches!(e, BusError::ReceiptHandleInvalid(_)), "{e:?}");
    assert_eq!(e.aws_code(), "ReceiptHandleIsInvalid");

    // Handles of another queue, and garbage.
    assert!(matches!(other.ack(&current).await.unwrap_err(), BusError::ReceiptHandleInvalid(_)));
    let junk = ReceiptHandle("AQEBnot-a-handle".into());
    assert!(matches!(s.ack(&junk).await.unwrap_err(), BusError::ReceiptHandleInvalid(_)));
    assert!(matches!(s.change_visibility(&junk, secs(1)).await.unwrap_err(), BusError::ReceiptHandleInvalid(_)));

    // Deleted.
    s.ack(&current).await.unwrap();
    let e = s.change_visibility(&current, secs(5)).await.unwrap_err();
    assert!(matches!(e, BusError::MessageNotInflight(_)), "{e:?}");
}
