//! The concurrency caps are never exceeded, and runners fill them.

use crate::worker_common;

use std::sync::atomic::Ordering::SeqCst;
use std::sync::Arc;
use std::time::Duration;

use bus_core::worker::{Outcome, QueueConfig, Router, Task, WorkerPool};
use worker_common::*;

fn router(queue_gauge: Arc<Gauge>, global: Arc<Gauge>) -> Router {
    Router::new().on("JOB", move |task: Task| {
        let (q, g) = (queue_gauge.clone(), global.clone());
        async move {
            q.enter();
            g.enter();
            // 1-64 ms of (virtual) work, varied per message.
            let ms = 1 + task.data()["n"].as_u64().unwrap() % 64;
            tokio::time::sleep(Duration::from_millis(ms)).await;
            q.leave();
            g.leave();
            Ok(Outcome::Complete)
        }
    })
}

#[tokio::test(start_paused = true)]
async fn caps_are_never_exceeded_under_10000_tasks() {
    const TASKS: u64 = 10_000;
    const GLOBAL_CAP: usize = 24;
    const WORK_CAP: usize = 7;
    const OTHER_CAP: usize = 100; // above the global cap: the global cap binds
    let backend = backend(5).await;
    for n in 0..TASKS {
        let queue = if n % 2 == 0 { QUEUE } else { "other" };
        backend.send(queue, event("JOB", serde_json::json!({ "n": n })), None).await.unwrap();
    }
    let work_sub = Faulty::new(backend.subscription(QUEUE).await.unwrap());
    let other_sub = Faulty::new(backend.subscription("other").await.unwrap());
    let (global, work, other) = (Arc::new(Gauge::default()), Arc::new(Gauge::default()), Arc::new(Gauge::default()));
    let pool = WorkerPool::builder()
        .max_concurrency(GLOBAL_CAP)
        .queue_with_subscription(
            QueueConfig::new(QUEUE).with_concurrency(WORK_CAP),
            router(work.clone(), global.clone()),
            work_sub.clone(),
        )
        .queue_with_subscription(
            QueueConfig::new("other").with_concurrency(OTHER_CAP),
            router(other.clone(), global.clone()),
            other_sub.clone(),
        )
        .build()
        .await
        .unwrap();
    pool.start();
    assert!(wait_for(Duration::from_secs(3600), || pool.metrics().total.acked == TASKS).await);
    let report = pool.shutdown().await;
    assert_eq!(report.released(), 0);

    let m = pool.metrics();
    assert_eq!(m.total.received, TASKS);
    assert_eq!(m.total.completed, TASKS);
    assert_eq!(m.total.failed + m.total.retried + m.total.ignored + m.total.ack_failed, 0);
    assert_eq!(m.queue(QUEUE).completed, TASKS / 2);
    // Never above the caps, as the handlers saw it and as the runtime's gauges saw it ...
    assert!(global.max.load(SeqCst) <= GLOBAL_CAP, "global peak {}", global.max.load(SeqCst));
    assert!(work.max.load(SeqCst) <= WORK_CAP, "work peak {}", work.max.load(SeqCst));
    assert!(m.in_flight.peak <= GLOBAL_CAP);
    assert!(m.queue_in_flight[QUEUE].peak <= WORK_CAP);
    // ... and the caps were actually reached: many handlers in flight per runner.
    assert_eq!(global.max.load(SeqCst), GLOBAL_CAP);
    assert_eq!(work.max.load(SeqCst), WORK_CAP);
    assert_eq!(m.queue_in_flight[QUEUE].peak, WORK_CAP);
    assert!(other.max.load(SeqCst) >= GLOBAL_CAP - WORK_CAP);
    // Receives ask for at most 10 and never get more than they asked for.
    assert!(work_sub.max_requested.load(SeqCst) <= WORK_CAP);
    assert_eq!(other_sub.max_requested.load(SeqCst), 10);
    assert_eq!(work_sub.over_delivered.load(SeqCst) + other_sub.over_delivered.load(SeqCst), 0);
    for q in [QUEUE, "other"] {
        assert_eq!(backend.queue_stats(q).await.unwrap().total(), 0, "{q} is empty");
    }
    assert_eq!(pool.available_permits(), GLOBAL_CAP, "every permit is returned");
}

#[tokio::test(start_paused = true)]
async fn a_single_permit_runs_one_task_at_a_time() {
    let backend = backend(5).await;
    for n in 0..50 {
        backend.send(QUEUE, event("JOB", serde_json::json!({ "n": n })), None).await.unwrap();
    }
    let (global, work) = (Arc::new(Gauge::default()), Arc::new(Gauge::default()));
    let sub = Faulty::new(backend.subscription(QUEUE).await.unwrap());
    let pool = WorkerPool::builder()
        .max_concurrency(1)
        .queue_with_subscription(
            QueueConfig::new(QUEUE).with_concurrency(10),
            router(work, global.clone()),
            sub.clone(),
        )
        .build()
        .await
        .unwrap();
    pool.start();
    assert!(wait_for(Duration::from_secs(600), || pool.metrics().total.acked == 50).await);
    pool.shutdown().await;
    assert_eq!(global.max.load(SeqCst), 1);
    assert_eq!(sub.max_requested.load(SeqCst), 1, "one permit, one message per receive");
}
