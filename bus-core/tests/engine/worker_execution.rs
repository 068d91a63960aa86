//! Where handlers run ([`Execution`]): inside the runner's task or spawned, the guarantees are the
//! same (caps, panics caught, nothing lost, shutdown releases); spawned handlers run in parallel;
//! an adaptive runner switches to spawning when handlers hold it for long.

use crate::worker_common;

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bus_core::worker::{
    Backoff, CancellationToken, Execution, FailureKind, Handler, HandlerResult, Outcome, QueueConfig, Router, Task,
    WorkerPool,
};
use bus_core::Backend;
use worker_common::*;

const S: fn(u64) -> Duration = Duration::from_secs;
const MODES: [Execution; 3] = [Execution::InRunner, Execution::Spawned, Execution::Adaptive(Duration::from_millis(1))];

async fn send_jobs(backend: &Arc<dyn Backend>, n: u64) {
    for i in 0..n {
        backend.send(QUEUE, event("JOB", serde_json::json!({ "n": i })), None).await.unwrap();
    }
}

#[tokio::test(start_paused = true)]
async fn caps_hold_and_nothing_is_lost_in_every_mode() {
    const TASKS: u64 = 10_000;
    const GLOBAL_CAP: usize = 13;
    const QUEUE_CAP: usize = 9;
    for execution in MODES {
        let backend = backend(5).await;
        send_jobs(&backend, TASKS).await;
        let (queue_gauge, handled) = (Arc::new(Gauge::default()), Arc::new(AtomicUsize::new(0)));
        let (g, h) = (queue_gauge.clone(), handled.clone());
        let router = Router::new().on("JOB", move |task: Task| {
            let (g, h) = (g.clone(), h.clone());
            async move {
                g.enter();
                let n = task.data()["n"].as_u64().unwrap();
                // Half finish on their first poll, half wait 1-16 ms of (virtual) time.
                if n % 2 == 1 {
                    tokio::time::sleep(Duration::from_millis(1 + n % 16)).await;
                }
                g.leave();
                h.fetch_add(1, SeqCst);
                Ok(Outcome::Complete)
            }
        });
        let sub = Faulty::new(backend.subscription(QUEUE).await.unwrap());
        let pool = WorkerPool::builder()
            .max_concurrency(GLOBAL_CAP)
            .queue_with_subscription(
                QueueConfig::new(QUEUE).with_concurrency(QUEUE_CAP).with_execution(execution),
                router,
                sub.clone(),
            )
            .build()
            .await
            .unwrap();
        pool.start();
        assert!(wait_for(S(3600), || pool.metrics().total.acked == TASKS).await, "{execution:?}");
        assert_eq!(pool.shutdown().await.released(), 0);
        let m = pool.metrics();
        assert_eq!((m.total.received, m.total.completed, m.total.failed), (TASKS, TASKS, 0), "{execution:?}");
        assert_eq!(handled.load(SeqCst) as u64, TASKS, "each handled once: {execution:?}");
        assert_eq!(queue_gauge.max.load(SeqCst), QUEUE_CAP, "the cap is reached, never exceeded: {execution:?}");
        assert!(m.queue_in_flight[QUEUE].peak <= QUEUE_CAP);
        assert!(sub.max_requested.load(SeqCst) <= QUEUE_CAP);
        assert_eq!(pool.available_permits(), GLOBAL_CAP, "every permit is returned: {execution:?}");
        let spawned = if execution == Execution::Spawned { TASKS } else { 0 };
        assert_eq!(m.total.spawned, spawned, "{execution:?}");
        assert_eq!(backend.queue_stats(QUEUE).await.unwrap().total(), 0);
    }
}

/// Panics before returning its future: the call itself must be under `catch_unwind` too.
struct PanicsWhenCalled;

impl Handler for PanicsWhenCalled {
    fn handle<'life0, 'async_trait>(
        &'life0 self,
        _task: Task,
    ) -> Pin<Box<dyn Future<Output = HandlerResult> + Send + 'async_trait>>
    where
        'life0: 'async_trait,
        Self: 'async_trait,
    {
        panic!("panicked when called")
    }
}

/// Keeps the expected panics of these tests out of the output (others still print).
fn quiet_expected_panics() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let text = info.payload().downcast_ref::<&str>().copied().unwrap_or("");
        if !text.starts_with("panicked ") {
            default(info);
        }
    }));
}

#[tokio::test(start_paused = true)]
async fn panics_are_caught_wherever_they_happen_in_every_mode() {
    quiet_expected_panics();
    for execution in MODES {
        let backend = backend(2).await;
        let recorder = Recorder::new();
        let router = Router::new()
            .on("FIRST_POLL", |_t: Task| async { panic!("panicked on the first poll") })
            .on("LATER", |_t: Task| async {
                tokio::time::sleep(S(1)).await;
                panic!("panicked after waiting")
            })
            .on("CALL", PanicsWhenCalled)
            .on("OK", |_t: Task| async { Ok(Outcome::Complete) });
        let pool = WorkerPool::builder()
            .backend(backend.clone())
            .observer(observe(&recorder))
            .queue(
                QueueConfig::new(QUEUE)
                    .with_execution(execution)
                    .with_max_receive_count(2)
                    .with_failure_backoff(Some(Backoff::constant(S(1)))),
                router,
            )
            .build()
            .await
            .unwrap();
        for ty in ["FIRST_POLL", "LATER", "CALL", "OK"] {
            backend.send(QUEUE, event(ty, serde_json::json!({})), None).await.unwrap();
        }
        pool.start();
        // Each panicking event fails twice (maxReceiveCount 2), then goes to the dead-letter queue.
        assert!(wait_for(S(120), || pool.metrics().total.panicked == 6).await, "{execution:?}");
        assert!(wait_queue_total(&backend, DLQ, 3, S(120)).await, "{execution:?}");
        assert!(pool.is_running(QUEUE), "the runner survives: {execution:?}");
        let m = pool.metrics().total;
        assert_eq!((m.completed, m.acked, m.dead_lettered), (1, 1, 3), "{execution:?}");
        let mut errors: Vec<String> = recorder
            .failures()
            .into_iter()
            .inspect(|f| assert_eq!(f.kind, FailureKind::Panic))
            .map(|f| f.error)
            .collect();
        errors.sort();
        errors.dedup();
        assert_eq!(
            errors,
            [
                "handler panicked: panicked after waiting",
                "handler panicked: panicked on the first poll",
                "handler panicked: panicked when called"
            ],
            "{execution:?}"
        );
        pool.shutdown().await;
        assert_eq!(backend.queue_stats(QUEUE).await.unwrap().total(), 0);
    }
}

#[tokio::test(start_paused = true)]
async fn a_stop_deadline_releases_unfinished_handlers_in_every_mode() {
    for execution in MODES {
        let backend = backend(5).await;
        send_jobs(&backend, 15).await;
        let cancelled = Arc::new(AtomicUsize::new(0));
        let c = cancelled.clone();
        let router = Router::new().on("JOB", move |task: Task| {
            let c = c.clone();
            async move {
                let token: CancellationToken = task.cancellation().clone();
                // Counts the cancellation when the runtime drops this future.
                let _guard = Guard(token, c);
                tokio::time::sleep(S(600)).await;
                Ok(Outcome::Complete)
            }
        });
        let pool = WorkerPool::builder()
            .backend(backend.clone())
            .queue(QueueConfig::new(QUEUE).with_concurrency(10).with_execution(execution), router)
            .build()
            .await
            .unwrap();
        pool.start();
        assert!(wait_for(S(5), || pool.in_flight() == 10).await, "{execution:?}");
        let report = pool.shutdown_within(S(2)).await;
        assert_eq!((report.in_flight(), report.released()), (10, 10), "{execution:?}");
        assert_eq!(cancelled.load(SeqCst), 10, "every dropped handler saw its token cancelled: {execution:?}");
        let stats = backend.queue_stats(QUEUE).await.unwrap();
        assert_eq!((stats.visible, stats.in_flight), (15, 0), "released at once, none lost: {execution:?}");
        assert_eq!(pool.available_permits(), 64);
    }
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

#[tokio::test(start_paused = true)]
async fn heartbeats_go_out_in_batches_and_a_failed_entry_cancels_only_its_handler() {
    for execution in [Execution::InRunner, Execution::Spawned] {
        let backend = backend(5).await;
        send_jobs(&backend, 25).await;
        let sub = Faulty::new(backend.subscription(QUEUE).await.unwrap());
        let recorder = Recorder::new();
        let cancelled = Arc::new(Mutex::new(Vec::new()));
        let (faulty, seen) = (sub.clone(), cancelled.clone());
        let router = Router::new().on("JOB", move |task: Task| {
            let (faulty, seen) = (faulty.clone(), seen.clone());
            async move {
                let n = task.data()["n"].as_u64().unwrap();
                if n == 7 && task.receive_count() == 1 {
                    // This one message's extensions fail, on its first delivery.
                    faulty.fail_receipts.lock().unwrap().insert(task.delivery().receipt_handle.0.clone());
                }
                tokio::select! {
                    _ = tokio::time::sleep(S(100)) => Ok(Outcome::Complete),
                    _ = task.cancellation().cancelled() => {
                        seen.lock().unwrap().push(n);
                        Err("cancelled".into())
                    }
                }
            }
        });
        let pool = WorkerPool::builder()
            .observer(observe(&recorder))
            .queue_with_subscription(
                QueueConfig::new(QUEUE).with_concurrency(25).with_visibility_timeout(S(30)).with_execution(execution),
                router,
                sub.clone(),
            )
            .build()
            .await
            .unwrap();
        pool.start();
        // Message 7 was left alone when its extension failed: it came back when its visibility ran
        // out (30 s), and its second run took 100 s as well.
        assert!(wait_for(S(300), || pool.metrics().total.acked == 25).await, "{execution:?}");
        pool.shutdown().await;
        let m = pool.metrics().total;
        assert_eq!(cancelled.lock().unwrap().clone(), [7], "only the failed one is cancelled: {execution:?}");
        assert_eq!((m.received, m.completed, m.abandoned, m.failed), (26, 25, 1, 1), "{execution:?}");
        assert_eq!(recorder.failures()[0].kind, FailureKind::Abandoned);
        // 25 handlers kept for 100 s (6 extensions each), plus message 7's failed one.
        assert_eq!(m.visibility_extended, 25 * 6, "{execution:?}");
        // The 25 handlers were received at once: every 15 s their extensions went out 10 at a time
        // (10 + 10 + 5), then message 7's second run alone.
        let batches = sub.visibility_batches.lock().unwrap().clone();
        assert!(batches.iter().all(|&n| (1..=10).contains(&n)), "{batches:?}");
        assert_eq!(batches.iter().sum::<usize>(), 25 * 6 + 1, "{batches:?}");
        assert!(batches.len() <= 6 * 3 + 6, "far fewer requests than extensions: {batches:?}");
        assert_eq!(backend.queue_stats(QUEUE).await.unwrap().total(), 0);
    }
}

/// Runs `messages` blocking (CPU-bound) handlers on a 2-thread runtime (real time); returns the most
/// that ran at once and the pool's `spawned` counter.
fn blocking_handlers(execution: Execution, messages: u64, block: Duration) -> (usize, u64) {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    rt.block_on(async {
        let backend = backend(5).await;
        send_jobs(&backend, messages).await;
        let gauge = Arc::new(Gauge::default());
        let g = gauge.clone();
        let router = Router::new().on("JOB", move |_t: Task| {
            g.enter();
            std::thread::sleep(block); // blocks its thread, as a CPU-bound handler would
            g.leave();
            async { Ok(Outcome::Complete) }
        });
        let pool = WorkerPool::builder()
            .backend(backend.clone())
            .queue(QueueConfig::new(QUEUE).with_concurrency(4).with_execution(execution), router)
            .build()
            .await
            .unwrap();
        pool.start();
        assert!(wait_for(S(60), || pool.metrics().total.acked == messages).await, "{execution:?}");
        pool.shutdown().await;
        (gauge.max.load(SeqCst), pool.metrics().total.spawned)
    })
}

#[test]
fn spawned_handlers_run_in_parallel_and_in_runner_ones_take_turns() {
    let (in_runner, none_spawned) = blocking_handlers(Execution::InRunner, 12, Duration::from_millis(20));
    assert_eq!((in_runner, none_spawned), (1, 0), "one thread, one handler at a time");
    let (spawned, all_spawned) = blocking_handlers(Execution::Spawned, 12, Duration::from_millis(20));
    assert_eq!(all_spawned, 12);
    assert!(spawned >= 2, "two worker threads run two blocking handlers at once (max {spawned})");
}

#[test]
fn an_adaptive_runner_spawns_handlers_that_hold_it_for_long() {
    // 5 ms per handler, well over the 1 ms limit: after a few measured batches, spawned.
    let (_, spawned) = blocking_handlers(Execution::Adaptive(Duration::from_millis(1)), 200, Duration::from_millis(5));
    assert!(spawned > 0 && spawned < 200, "switched to spawning after a few batches ({spawned} spawned)");
    // Quick handlers (20 us, far under a 5 ms limit: even a preempted thread does not look slow) stay
    // in the runner.
    let (_, spawned) = blocking_handlers(Execution::Adaptive(Duration::from_millis(5)), 200, Duration::from_micros(20));
    assert_eq!(spawned, 0);
}
