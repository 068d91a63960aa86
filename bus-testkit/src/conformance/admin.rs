//! Queue administration: approximate counts, purge, retention.

use std::time::Duration;

use bus_core::backend::{QueueSpec, QueueStats, Topology};
use bus_core::{Backend, BusError, Message, ReceiveOptions};

use super::error::{expect_err, ConformanceError, StepExt};
use super::names::Names;
use super::support::{apply, consumer, expect_exactly, expect_none, labelled, receive_until, wait_for_stats, POLL};

fn stats(visible: u64, in_flight: u64, delayed: u64) -> QueueStats {
    QueueStats { visible, in_flight, delayed }
}

/// Counts follow the messages: 0/0/0 when empty; two visible and one delayed after two sends and a
/// delayed send; one in flight after a receive; the in-flight one gone after `ack`.
pub async fn queue_stats_counts(backend: &dyn Backend, names: &Names) -> Result<(), ConformanceError> {
    let queue = names.queue("stats");
    apply(backend, &Topology::new().queue(QueueSpec::new(&queue)), "setup").await?;
    wait_for_stats(backend, &queue, stats(0, 0, 0), "empty queue").await?;
    backend.send(&queue, Message::new("a"), None).await.step("send a")?;
    backend.send(&queue, Message::new("b"), None).await.step("send b")?;
    backend.send(&queue, Message::new("c"), Some(Duration::from_secs(60))).await.step("send c, delayed 60 s")?;
    wait_for_stats(backend, &queue, stats(2, 0, 1), "after two sends and a delayed one").await?;
    let sub = consumer(backend, &queue).await?;
    let got = receive_until(&*sub, 1, Duration::from_secs(10), ReceiveOptions::new(1, POLL), "receive one").await?;
    let d = got.first().ok_or_else(|| ConformanceError::mismatch("receive one", "a message", "nothing"))?;
    wait_for_stats(backend, &queue, stats(1, 1, 1), "with one in flight").await?;
    sub.ack(&d.receipt_handle).await.step("ack")?;
    wait_for_stats(backend, &queue, stats(1, 0, 1), "after the ack").await
}

/// `purge` deletes visible and in-flight messages: nothing comes back, not even after the in-flight
/// message's visibility timeout, and the counts drop to zero. The queue itself stays.
pub async fn purge_empties_queue(backend: &dyn Backend, names: &Names) -> Result<(), ConformanceError> {
    let queue = names.queue("purge");
    apply(backend, &Topology::new().queue(QueueSpec::new(&queue)), "setup").await?;
    for l in ["p1", "p2", "p3"] {
        backend.send(&queue, labelled(l), None).await.step(format!("send {l}"))?;
    }
    let sub = consumer(backend, &queue).await?;
    let options = ReceiveOptions::new(1, POLL).with_visibility_timeout(Duration::from_secs(1));
    let got = receive_until(&*sub, 1, Duration::from_secs(10), options, "receive one (visibility 1 s)").await?;
    if got.is_empty() {
        return Err(ConformanceError::mismatch("receive one", "a message", "nothing"));
    }
    backend.purge(&queue).await.step("purge")?;
    expect_none(&*sub, Duration::from_secs(3), "after purge, past the in-flight message's visibility").await?;
    wait_for_stats(backend, &queue, stats(0, 0, 0), "after purge").await
}

/// A second purge of the same queue within 60 s fails with `PurgeInProgress`.
pub async fn purge_rate_limited(backend: &dyn Backend, names: &Names) -> Result<(), ConformanceError> {
    let queue = names.queue("purge-twice");
    apply(backend, &Topology::new().queue(QueueSpec::new(&queue)), "setup").await?;
    backend.purge(&queue).await.step("first purge")?;
    let r = backend.purge(&queue).await;
    expect_err("second purge right after the first", r, "PurgeInProgress", |e| {
        matches!(e, BusError::PurgeInProgress(_))
    })?;
    Ok(())
}

/// With a 60 s retention period, a message sent 61 s ago is gone while one sent 31 s ago is not.
pub async fn retention_expires_messages(backend: &dyn Backend, names: &Names) -> Result<(), ConformanceError> {
    let queue = names.queue("retention");
    apply(backend, &Topology::new().queue(QueueSpec::new(&queue).with_retention(Duration::from_secs(60))), "setup")
        .await?;
    backend.send(&queue, labelled("old"), None).await.step("send old")?;
    tokio::time::sleep(Duration::from_secs(30)).await;
    backend.send(&queue, labelled("young"), None).await.step("send young, 30 s later")?;
    tokio::time::sleep(Duration::from_secs(31)).await;
    let sub = consumer(backend, &queue).await?;
    expect_exactly(&*sub, &["young"], "61 s after the first send").await?;
    Ok(())
}
