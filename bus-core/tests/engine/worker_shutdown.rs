//! Stopping: drain within a deadline, delete what completed, release what did not; restart; build errors.

use crate::worker_common;

use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use std::time::Duration;

use bus_core::worker::{CancellationToken, Outcome, QueueConfig, Router, Task, TaskEvent, WorkerPool};
use bus_core::{Backend, BusError};
use tokio::time::Instant;
use worker_common::*;

const S: fn(u64) -> Duration = Duration::from_secs;

/// A handler that works `work` and counts cancellations it observes.
fn router(work: Duration, cancelled: Arc<AtomicUsize>) -> Router {
    Router::new().on("JOB", move |task: Task| {
        let cancelled = cancelled.clone();
        async move {
            let token: CancellationToken = task.cancellation().clone();
            // Counts the cancellation even when the runtime drops this future.
            let guard = Guard(token, cancelled);
            tokio::time::sleep(work).await;
            drop(guard);
            Ok(Outcome::Complete)
        }
    })
}

/// Counts a cancelled token when dropped.
struct Guard(CancellationToken, Arc<AtomicUsize>);

impl Drop for Guard {
    fn drop(&mut self) {
        if self.0.is_cancelled() {
            self.1.fetch_add(1, SeqCst);
        }
    }
}

async fn started_pool(backend: &Arc<dyn Backend>, work: Duration, messages: usize) -> (WorkerPool, Arc<AtomicUsize>) {
    for n in 0..messages {
        backend.send(QUEUE, event("JOB", serde_json::json!({ "n": n })), None).await.unwrap();
    }
    let cancelled = Arc::new(AtomicUsize::new(0));
    let pool = WorkerPool::builder()
        .backend(backend.clone())
        .queue(QueueConfig::new(QUEUE).with_concurrency(10), router(work, cancelled.clone()))
        .build()
        .await
        .unwrap();
    pool.start();
    assert!(wait_for(S(5), || pool.in_flight() == 10).await);
    (pool, cancelled)
}

#[tokio::test(start_paused = true)]
async fn shutdown_drains_in_flight_handlers_and_deletes_what_completed() {
    let backend = backend(5).await;
    let (pool, cancelled) = started_pool(&backend, S(5), 25).await;
    let start = Instant::now();
    let report = pool.shutdown_within(S(30)).await;
    assert!(start.elapsed() <= S(5), "returns when the handlers are done, not at the deadline");
    assert_eq!((report.in_flight(), report.released()), (10, 0));
    assert!(!pool.is_running(QUEUE));
    let m = pool.metrics().total;
    assert_eq!((m.received, m.completed, m.acked, m.released), (10, 10, 10, 0));
    assert_eq!(cancelled.load(SeqCst), 0);
    // The 15 messages never received are still there, visible.
    let stats = backend.queue_stats(QUEUE).await.unwrap();
    assert_eq!((stats.visible, stats.in_flight), (15, 0));
    // Nothing more is received after the shutdown.
    tokio::time::sleep(S(60)).await;
    assert_eq!(pool.metrics().total.received, 10);
}

#[tokio::test(start_paused = true)]
async fn shutdown_releases_what_did_not_finish_by_the_deadline() {
    let backend = backend(5).await;
    let (pool, cancelled) = started_pool(&backend, S(600), 25).await;
    let start = Instant::now();
    let report = pool.shutdown_within(S(2)).await;
    let took = start.elapsed();
    assert!(took >= S(2) && took <= S(2) + Duration::from_millis(5), "{took:?}");
    assert_eq!((report.in_flight(), report.released()), (10, 10));
    assert_eq!(report.queues[0].queue, QUEUE);
    let m = pool.metrics().total;
    assert_eq!((m.released, m.completed, m.acked, m.failed), (10, 0, 0, 0));
    assert_eq!(cancelled.load(SeqCst), 10, "each dropped handler's token was cancelled");
    // Released with visibility 0: every message is visible again at once, none deleted.
    let stats = backend.queue_stats(QUEUE).await.unwrap();
    assert_eq!((stats.visible, stats.in_flight), (25, 0));
}

#[tokio::test(start_paused = true)]
async fn a_stopped_queue_receives_nothing_until_restarted() {
    let backend = backend(5).await;
    let (pool, _) = started_pool(&backend, S(1), 10).await;
    let report = pool.stop_queue(QUEUE, S(10)).await.unwrap();
    assert!(report.was_running);
    assert_eq!(report.in_flight, 10);
    for n in 0..5 {
        backend.send(QUEUE, event("JOB", serde_json::json!({ "n": n })), None).await.unwrap();
    }
    tokio::time::sleep(S(60)).await;
    assert_eq!(pool.metrics().total.received, 10);
    assert!(!pool.is_running(QUEUE));
    let again = pool.stop_queue(QUEUE, S(1)).await.unwrap();
    assert!(!again.was_running, "stopping a stopped queue is a no-op");
    pool.start_queue(QUEUE).unwrap();
    pool.start_queue(QUEUE).unwrap(); // idempotent
    assert!(pool.is_running(QUEUE));
    assert!(wait_for(S(60), || pool.metrics().total.acked == 15).await);
    pool.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn dropping_the_pool_releases_in_flight_messages() {
    let backend = backend(5).await;
    let recorder = Recorder::new();
    for n in 0..3 {
        backend.send(QUEUE, event("JOB", serde_json::json!({ "n": n })), None).await.unwrap();
    }
    let pool = WorkerPool::builder()
        .backend(backend.clone())
        .observer(observe(&recorder))
        .queue(QueueConfig::new(QUEUE), router(S(600), Arc::new(AtomicUsize::new(0))))
        .build()
        .await
        .unwrap();
    pool.start();
    assert!(wait_for(S(5), || pool.in_flight() == 3).await);
    drop(pool);
    let released = || recorder.events().iter().filter(|(_, e)| matches!(e, TaskEvent::Released(_))).count();
    assert!(wait_for(S(5), || released() == 3).await);
    assert_eq!(backend.queue_stats(QUEUE).await.unwrap().visible, 3);
}

#[tokio::test(start_paused = true)]
async fn build_rejects_bad_configurations() {
    let backend = backend(5).await;
    let ok = || Router::new().on("JOB", |_t: Task| async { Ok(Outcome::Complete) });
    let field = |r: Result<WorkerPool, BusError>| match r {
        Err(BusError::InvalidParameter { name, .. }) => name,
        other => panic!("expected InvalidParameter, got {other:?}"),
    };
    let b = || WorkerPool::builder().backend(backend.clone());
    assert_eq!(field(b().build().await), "WorkerPool.queues");
    let twice = b().queue(QueueConfig::new(QUEUE), ok()).queue(QueueConfig::new(QUEUE), ok());
    assert_eq!(field(twice.build().await), "WorkerPool.queues");
    let dup_route = ok().on("JOB", |_t: Task| async { Ok(Outcome::Complete) });
    assert_eq!(field(b().queue(QueueConfig::new(QUEUE), dup_route).build().await), "Router");
    assert_eq!(
        field(b().max_concurrency(0).queue(QueueConfig::new(QUEUE), ok()).build().await),
        "PoolConfig.max_concurrency"
    );
    let no_publisher = WorkerPool::builder().failure_topic(TOPIC).queue_with_subscription(
        QueueConfig::new(QUEUE),
        ok(),
        backend.subscription(QUEUE).await.unwrap(),
    );
    assert_eq!(field(no_publisher.build().await), "WorkerPool.failure_topic");
    let no_backend = WorkerPool::builder().queue(QueueConfig::new(QUEUE), ok());
    assert_eq!(field(no_backend.build().await), "WorkerPool.backend");
    let mismatch = WorkerPool::builder().queue_with_subscription(
        QueueConfig::new("other"),
        ok(),
        backend.subscription(QUEUE).await.unwrap(),
    );
    assert_eq!(field(mismatch.build().await), "WorkerPool.queues");
    assert!(field(b().queue(QueueConfig::new(QUEUE).with_concurrency(0), ok()).build().await)
        .starts_with("QueueConfig.concurrency"));
    let missing = b().queue(QueueConfig::new("no-such-queue"), ok()).build().await;
    assert!(matches!(missing, Err(BusError::QueueNotFound(q)) if q == "no-such-queue"));

    let pool = b().queue(QueueConfig::new(QUEUE), ok()).build().await.unwrap();
    assert!(matches!(pool.start_queue("nope"), Err(BusError::QueueNotFound(_))));
    assert!(matches!(pool.stop_queue("nope", S(1)).await, Err(BusError::QueueNotFound(_))));
    assert_eq!(pool.queues(), [QUEUE]);
}
