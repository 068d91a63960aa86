//! Visibility heartbeats: a long handler keeps its message; a failed extension cancels the handler.

use crate::worker_common;

use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bus_core::worker::{Backoff, FailureKind, Heartbeat, Outcome, QueueConfig, Router, Task, TaskEvent, WorkerPool};
use bus_core::Backend;
use tokio::time::Instant;
use worker_common::*;

const S: fn(u64) -> Duration = Duration::from_secs;

fn slow_router(work: Duration) -> Router {
    Router::new().on("SLOW", move |_t: Task| async move {
        tokio::time::sleep(work).await;
        Ok(Outcome::Complete)
    })
}

async fn pool_for(
    backend: &Arc<dyn Backend>,
    config: QueueConfig,
    router: Router,
    recorder: &Arc<Recorder>,
) -> WorkerPool {
    WorkerPool::builder()
        .backend(backend.clone())
        .failure_topic(TOPIC)
        .observer(observe(recorder))
        .queue(config, router)
        .build()
        .await
        .unwrap()
}

#[tokio::test(start_paused = true)]
async fn heartbeats_keep_a_ten_minute_handler_s_message_invisible() {
    let backend = backend(5).await;
    let recorder = Recorder::new();
    let config = QueueConfig::new(QUEUE).with_visibility_timeout(S(30));
    let pool = pool_for(&backend, config, slow_router(S(600)), &recorder).await;
    backend.send(QUEUE, event("SLOW", serde_json::json!({})), None).await.unwrap();
    pool.start();
    tokio::time::sleep(S(300)).await;
    let stats = backend.queue_stats(QUEUE).await.unwrap();
    assert_eq!((stats.visible, stats.in_flight), (0, 1), "still invisible after 5 minutes");
    assert!(wait_for(S(900), || pool.metrics().total.acked == 1).await);
    let m = pool.metrics().total;
    assert_eq!(m.received, 1, "never redelivered while the handler ran");
    assert_eq!(m.completed, 1);
    // One extension every 15 s for 10 minutes.
    assert!((39..=40).contains(&m.visibility_extended), "{} extensions", m.visibility_extended);
    assert_eq!(backend.queue_stats(QUEUE).await.unwrap().total(), 0);
    pool.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn without_heartbeats_a_long_handler_s_message_is_redelivered() {
    let backend = backend(5).await;
    let recorder = Recorder::new();
    let config = QueueConfig::new(QUEUE).with_visibility_timeout(S(30)).with_heartbeat(Heartbeat::Off);
    let pool = pool_for(&backend, config, slow_router(S(120)), &recorder).await;
    backend.send(QUEUE, event("SLOW", serde_json::json!({})), None).await.unwrap();
    pool.start();
    tokio::time::sleep(S(100)).await;
    let counts: Vec<u32> = recorder.receive_times().iter().map(|r| r.1).collect();
    assert_eq!(counts, [1, 2, 3, 4], "redelivered every 30 s while the first handler still runs");
    assert_eq!(pool.metrics().total.visibility_extended, 0);
    pool.shutdown_within(Duration::ZERO).await;
}

#[tokio::test(start_paused = true)]
async fn a_failed_extension_cancels_the_handler_and_the_message_returns() {
    let backend = backend(5).await;
    let sub = Faulty::new(backend.subscription(QUEUE).await.unwrap());
    let recorder = Recorder::new();
    let cancelled_at = Arc::new(Mutex::new(Vec::new()));
    let seen = cancelled_at.clone();
    let router = Router::new().on("SLOW", move |task: Task| {
        let seen = seen.clone();
        async move {
            if task.receive_count() > 1 {
                return Ok(Outcome::Complete);
            }
            tokio::select! {
                _ = tokio::time::sleep(S(600)) => Ok(Outcome::Complete),
                _ = task.cancellation().cancelled() => {
                    seen.lock().unwrap().push(Instant::now());
                    Err("cancelled".into())
                }
            }
        }
    });
    let pool = WorkerPool::builder()
        .backend(backend.clone())
        .failure_topic(TOPIC)
        .observer(observe(&recorder))
        .queue_with_subscription(
            QueueConfig::new(QUEUE).with_visibility_timeout(S(30)).with_failure_backoff(Some(Backoff::constant(S(1)))),
            router,
            sub.clone(),
        )
        .build()
        .await
        .unwrap();
    let start = Instant::now();
    backend.send(QUEUE, event("SLOW", serde_json::json!({})), None).await.unwrap();
    sub.fail_visibility.store(true, SeqCst);
    pool.start();
    tokio::time::sleep(S(20)).await;
    sub.fail_visibility.store(false, SeqCst);
    assert!(wait_for(S(120), || pool.metrics().total.acked == 1).await);

    let cancelled = cancelled_at.lock().unwrap().clone();
    assert_eq!(cancelled.len(), 1, "the handler was told");
    assert!(cancelled[0] - start <= S(15) + Duration::from_millis(5), "at the first heartbeat");
    let m = pool.metrics().total;
    assert_eq!((m.failed, m.abandoned, m.completed, m.received), (1, 1, 1, 2));
    let failure = recorder.failures().pop().unwrap();
    assert_eq!(failure.kind, FailureKind::Abandoned);
    assert!(failure.error.starts_with("cannot extend the visibility timeout"), "{}", failure.error);
    // The abandoned message was left alone: it came back when its 30 s visibility ran out.
    let receives = recorder.receive_times();
    assert!(receives[1].0 - receives[0].0 >= S(30), "{:?}", receives[1].0 - receives[0].0);
    pool.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn a_handler_that_ignores_cancellation_is_dropped_after_the_grace_period() {
    let backend = backend(5).await;
    let sub = Faulty::new(backend.subscription(QUEUE).await.unwrap());
    let recorder = Recorder::new();
    let finished = Arc::new(AtomicBool::new(false));
    let f = finished.clone();
    let router = Router::new().on("SLOW", move |_t: Task| {
        let f = f.clone();
        async move {
            tokio::time::sleep(S(600)).await;
            f.store(true, SeqCst);
            Ok(Outcome::Complete)
        }
    });
    let pool = WorkerPool::builder()
        .observer(observe(&recorder))
        .queue_with_subscription(
            QueueConfig::new(QUEUE).with_visibility_timeout(S(30)).with_cancel_grace(S(2)),
            router,
            sub.clone(),
        )
        .build()
        .await
        .unwrap();
    let start = Instant::now();
    backend.send(QUEUE, event("SLOW", serde_json::json!({})), None).await.unwrap();
    sub.fail_visibility.store(true, SeqCst);
    pool.start();
    assert!(wait_for(S(60), || pool.metrics().total.abandoned == 1).await);
    let failed_at =
        recorder.events().into_iter().find_map(|(at, e)| matches!(e, TaskEvent::Failed { .. }).then_some(at)).unwrap();
    let elapsed = failed_at - start;
    assert!(
        elapsed >= S(17) && elapsed <= S(17) + Duration::from_millis(10),
        "heartbeat at 15 s + 2 s grace: {elapsed:?}"
    );
    assert!(!finished.load(SeqCst), "the handler was dropped, not run to its end");
    pool.shutdown_within(Duration::ZERO).await;
}
