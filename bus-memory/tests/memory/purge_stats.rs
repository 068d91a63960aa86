//! Purge, approximate counts, and the in-flight limit.

use crate::common;

use bus_core::backend::QueueSpec;
use bus_core::{Backend, BusError, Message};
use common::*;

#[tokio::test(start_paused = true)]
async fn purge_deletes_everything_once_per_minute() {
    let (b, s) = one_queue(QueueSpec::new("q")).await;
    send(&b, "q", "a").await;
    send(&b, "q", "b").await;
    b.send("q", Message::new("c"), Some(secs(100))).await.unwrap();
    let h = take(&s, 1).await.pop().unwrap().receipt_handle;
    b.purge("q").await.unwrap();
    assert_eq!(b.queue_stats("q").await.unwrap().total(), 0);
    assert!(matches!(s.change_visibility(&h, secs(1)).await.unwrap_err(), BusError::MessageNotInflight(_)));
    s.ack(&h).await.expect("deleting a purged message succeeds");
    tokio::time::sleep(secs(59)).await;
    let e = b.purge("q").await.unwrap_err();
    assert!(matches!(&e, BusError::PurgeInProgress(q) if q == "q"));
    assert_eq!(e.aws_code(), "AWS.SimpleQueueService.PurgeQueueInProgress");
    tokio::time::sleep(secs(1)).await;
    send(&b, "q", "d").await;
    b.purge("q").await.unwrap();
    assert!(take(&s, 10).await.is_empty());
}

#[tokio::test(start_paused = true)]
async fn counts_track_visible_in_flight_and_delayed() {
    let (b, s) = one_queue(QueueSpec::new("q").with_visibility_timeout(secs(30))).await;
    for i in 0..5 {
        send(&b, "q", &format!("m{i}")).await;
    }
    b.send("q", Message::new("later"), Some(secs(10))).await.unwrap();
    let st = b.queue_stats("q").await.unwrap();
    assert_eq!((st.visible, st.in_flight, st.delayed), (5, 0, 1));
    let got = take(&s, 2).await;
    let st = b.queue_stats("q").await.unwrap();
    assert_eq!((st.visible, st.in_flight, st.delayed), (3, 2, 1));
    s.ack(&got[0].receipt_handle).await.unwrap();
    tokio::time::sleep(secs(10)).await;
    let st = b.queue_stats("q").await.unwrap();
    assert_eq!((st.visible, st.in_flight, st.delayed), (4, 1, 0));
    tokio::time::sleep(secs(20)).await;
    let st = b.queue_stats("q").await.unwrap();
    assert_eq!((st.visible, st.in_flight, st.delayed), (5, 0, 0));
}

#[tokio::test(start_paused = true)]
async fn at_most_120000_messages_in_flight() {
    let (b, s) = one_queue(QueueSpec::new("q")).await;
    for _ in 0..120_005 {
        b.send("q", Message::new("m"), None).await.unwrap();
    }
    let mut held = Vec::new();
    loop {
        let got = take(&s, 10).await;
        if got.is_empty() {
            break;
        }
        held.extend(got.into_iter().map(|d| d.receipt_handle));
    }
    assert_eq!(held.len(), 120_000);
    let st = b.queue_stats("q").await.unwrap();
    assert_eq!((st.visible, st.in_flight), (5, 120_000));
    s.ack(&held[0]).await.unwrap();
    assert_eq!(take(&s, 10).await.len(), 1, "one slot freed");
}
