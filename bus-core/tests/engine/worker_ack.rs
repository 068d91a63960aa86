//! Deletes: batched (at most 10, or after the linger), per-entry failures counted, and a message
//! whose delete failed is redelivered, never lost.

use crate::worker_common;

use std::sync::atomic::{AtomicU32, Ordering::SeqCst};
use std::sync::Arc;
use std::time::Duration;

use bus_core::worker::{Outcome, QueueConfig, Router, Task, TaskEvent, WorkerPool};
use worker_common::*;

const S: fn(u64) -> Duration = Duration::from_secs;

fn completing(calls: Arc<AtomicU32>) -> Router {
    Router::new().on("JOB", move |_t: Task| {
        calls.fetch_add(1, SeqCst);
        async { Ok(Outcome::Complete) }
    })
}

#[tokio::test(start_paused = true)]
async fn deletes_are_batched_by_ten_or_after_the_linger() {
    let backend = backend(5).await;
    let sub = Faulty::new(backend.subscription(QUEUE).await.unwrap());
    let recorder = Recorder::new();
    let pool = WorkerPool::builder()
        .observer(observe(&recorder))
        .queue_with_subscription(
            QueueConfig::new(QUEUE).with_concurrency(25).with_ack_batching(10, Duration::from_millis(50)),
            completing(Arc::default()),
            sub.clone(),
        )
        .build()
        .await
        .unwrap();
    for n in 0..25 {
        backend.send(QUEUE, event("JOB", serde_json::json!({ "n": n })), None).await.unwrap();
    }
    pool.start();
    assert!(wait_for(S(5), || pool.metrics().total.acked == 25).await);
    let batches = sub.ack_batches.lock().unwrap().clone();
    assert!(batches.iter().all(|&n| (1..=10).contains(&n)), "{batches:?}");
    assert_eq!(batches.iter().sum::<usize>(), 25);
    assert!(batches.len() <= 4, "25 deletes in few batches: {batches:?}");

    // A lone completion waits for the linger, then goes alone.
    backend.send(QUEUE, event("JOB", serde_json::json!({ "n": 99 })), None).await.unwrap();
    assert!(wait_for(S(5), || pool.metrics().total.acked == 26).await);
    assert_eq!(sub.ack_batches.lock().unwrap().last(), Some(&1));
    let events = recorder.events();
    let completed = events.iter().rev().find(|(_, e)| matches!(e, TaskEvent::Completed(_))).unwrap().0;
    let acked = events.iter().rev().find(|(_, e)| matches!(e, TaskEvent::Acked(_))).unwrap().0;
    assert_eq!(acked - completed, Duration::from_millis(50), "flushed at the linger");
    pool.shutdown().await;
    assert_eq!(backend.queue_stats(QUEUE).await.unwrap().total(), 0);
}

#[tokio::test(start_paused = true)]
async fn a_failed_delete_is_counted_and_the_message_redelivered() {
    let backend = backend(5).await;
    let sub = Faulty::new(backend.subscription(QUEUE).await.unwrap());
    let recorder = Recorder::new();
    let calls = Arc::new(AtomicU32::new(0));
    let pool = WorkerPool::builder()
        .observer(observe(&recorder))
        .queue_with_subscription(QueueConfig::new(QUEUE), completing(calls.clone()), sub.clone())
        .build()
        .await
        .unwrap();
    sub.fail_acks.store(true, SeqCst);
    backend.send(QUEUE, event("JOB", serde_json::json!({})), None).await.unwrap();
    pool.start();
    assert!(wait_for(S(5), || pool.metrics().total.ack_failed == 1).await);
    sub.fail_acks.store(false, SeqCst);
    assert!(wait_for(S(60), || pool.metrics().total.acked == 1).await);
    assert_eq!(calls.load(SeqCst), 2, "handled again after the visibility timeout: at-least-once");
    let receives = recorder.receive_times();
    assert_eq!(receives.len(), 2);
    assert!(receives[1].0 - receives[0].0 >= VISIBILITY);
    let failure = recorder.events().into_iter().find_map(|(_, e)| match e {
        TaskEvent::AckFailed { error, .. } => Some(error),
        _ => None,
    });
    assert!(failure.unwrap().contains("injected delete failure"));
    pool.shutdown().await;
    assert_eq!(backend.queue_stats(QUEUE).await.unwrap().total(), 0);
}
