//! Failures never lose a message: errors, panics, undecodable bodies, retries with backoff,
//! failure events, dead-lettering, and ignored event types.

use crate::worker_common;

use std::sync::atomic::{AtomicU32, Ordering::SeqCst};
use std::sync::Arc;
use std::time::Duration;

use bus_core::worker::{
    Backoff, FailureKind, FailurePublish, Jitter, Outcome, QueueConfig, Router, Task, TaskEvent, WorkerPool,
};
use bus_core::{Backend, Message, TASK_WORKER_FAILED};
use worker_common::*;

const S: fn(u64) -> Duration = Duration::from_secs;

struct Setup {
    backend: Arc<dyn Backend>,
    publisher: Arc<RecordingPublisher>,
    recorder: Arc<Recorder>,
    pool: WorkerPool,
}

async fn setup(max_receive_count: u32, backoff: Option<Backoff>, router: Router) -> Setup {
    let backend = backend(max_receive_count).await;
    let publisher = RecordingPublisher::new(backend.publisher());
    let recorder = Recorder::new();
    let pool = WorkerPool::builder()
        .backend(backend.clone())
        .publisher(publisher.clone())
        .failure_topic(TOPIC)
        .observer(observe(&recorder))
        .queue(QueueConfig::new(QUEUE).with_max_receive_count(max_receive_count).with_failure_backoff(backoff), router)
        .build()
        .await
        .unwrap();
    pool.start();
    Setup { backend, publisher, recorder, pool }
}

fn always_failing() -> Router {
    Router::new().on("JOB", |_t: Task| async { Err("database unavailable".into()) })
}

/// Gaps between successive receives.
fn gaps(recorder: &Recorder) -> Vec<Duration> {
    recorder.receive_times().windows(2).map(|w| w[1].0 - w[0].0).collect()
}

fn assert_close(actual: Duration, expected: Duration) {
    assert!(
        actual >= expected && actual <= expected + Duration::from_millis(5),
        "expected {expected:?} (+5 ms), got {actual:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn failures_back_off_exponentially_then_dead_letter() {
    let backoff = Backoff::exponential(S(10), S(3600)).with_jitter(Jitter::None);
    let s = setup(4, Some(backoff), always_failing()).await;
    s.backend.send(QUEUE, event("JOB", serde_json::json!({"id": 1})), None).await.unwrap();
    assert!(wait_queue_total(&s.backend, DLQ, 1, S(600)).await);

    let counts: Vec<u32> = s.recorder.receive_times().iter().map(|r| r.1).collect();
    assert_eq!(counts, [1, 2, 3, 4], "exactly maxReceiveCount receives");
    let g = gaps(&s.recorder);
    for (gap, expected) in g.iter().zip([S(10), S(20), S(40)]) {
        assert_close(*gap, expected);
    }
    // One TASK_WORKER_FAILED event per failure, with the task summary.
    let failures = s.publisher.failures();
    assert_eq!(failures.len(), 4);
    for (i, f) in failures.iter().enumerate() {
        assert_eq!(f.queue, QUEUE);
        assert_eq!(f.event_type.as_deref(), Some("JOB"));
        assert_eq!(f.receive_count, i as u32 + 1);
        assert_eq!(f.kind, FailureKind::Error);
        assert_eq!(f.error, "database unavailable");
        assert_eq!(f.dead_lettered, i == 3);
    }
    assert!(s.publisher.published.lock().unwrap().iter().all(|(topic, _)| topic == TOPIC));
    assert_eq!(s.recorder.failures(), failures, "the observer saw the same failures");
    let m = s.pool.metrics().total;
    assert_eq!((m.received, m.failed, m.dead_lettered, m.failure_events, m.completed), (4, 4, 1, 4, 0));
    let dead = peek_all(&s.backend, DLQ).await;
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].event_type(), Some("JOB"));
    assert_eq!(s.backend.queue_stats(QUEUE).await.unwrap().total(), 0);
    s.pool.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn jittered_backoff_stays_within_its_bounds() {
    let backoff = Backoff::exponential(S(8), S(3600)).with_jitter(Jitter::Equal);
    let s = setup(5, Some(backoff), always_failing()).await;
    s.backend.send(QUEUE, event("JOB", serde_json::json!({})), None).await.unwrap();
    assert!(wait_for(S(3600), || s.pool.metrics().total.dead_lettered == 1).await);
    let g = gaps(&s.recorder);
    assert_eq!(g.len(), 4);
    for (attempt, gap) in (1..).zip(g) {
        let ceiling = backoff.ceiling(attempt);
        assert!(gap >= ceiling / 2 && gap <= ceiling + Duration::from_millis(5), "attempt {attempt}: {gap:?}");
    }
    s.pool.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn without_a_backoff_the_visibility_timeout_decides() {
    let s = setup(2, None, always_failing()).await;
    s.backend.send(QUEUE, event("JOB", serde_json::json!({})), None).await.unwrap();
    assert!(wait_for(S(600), || s.pool.metrics().total.failed == 2).await);
    assert_close(gaps(&s.recorder)[0], VISIBILITY);
    s.pool.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn retry_after_delays_redelivery_without_a_failure_event() {
    let router = Router::new().on("JOB", |t: Task| async move {
        Ok(if t.receive_count() < 3 { Outcome::RetryAfter(S(7)) } else { Outcome::Complete })
    });
    let s = setup(5, Some(Backoff::default()), router).await;
    s.backend.send(QUEUE, event("JOB", serde_json::json!({})), None).await.unwrap();
    assert!(wait_for(S(600), || s.pool.metrics().total.acked == 1).await);
    for gap in gaps(&s.recorder) {
        assert_close(gap, S(7));
    }
    let m = s.pool.metrics().total;
    assert_eq!((m.received, m.retried, m.completed, m.failed, m.failure_events), (3, 2, 1, 0, 0));
    assert!(s.publisher.published.lock().unwrap().is_empty());
    assert!(s.recorder.events().iter().any(|(_, e)| matches!(e, TaskEvent::Retried { delay, .. } if *delay == S(7))));
    s.pool.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn a_panic_is_caught_and_the_message_redelivered() {
    let calls = Arc::new(AtomicU32::new(0));
    let c = calls.clone();
    let router = Router::new().on("JOB", move |t: Task| {
        c.fetch_add(1, SeqCst);
        async move {
            if t.receive_count() == 1 {
                panic!("boom on first delivery");
            }
            Ok(Outcome::Complete)
        }
    });
    let s = setup(5, Some(Backoff::constant(S(1))), router).await;
    s.backend.send(QUEUE, event("JOB", serde_json::json!({})), None).await.unwrap();
    assert!(wait_for(S(60), || s.pool.metrics().total.acked == 1).await);
    assert_eq!(calls.load(SeqCst), 2);
    let m = s.pool.metrics().total;
    assert_eq!((m.panicked, m.failed, m.completed), (1, 1, 1));
    let failures = s.publisher.failures();
    assert_eq!(failures.len(), 1);
    assert_eq!(failures[0].kind, FailureKind::Panic);
    assert_eq!(failures[0].error, "handler panicked: boom on first delivery");
    assert!(s.pool.is_running(QUEUE), "the runner survives the panic");
    s.pool.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn an_undecodable_body_is_reported_and_dead_lettered_never_dropped() {
    let s = setup(3, Some(Backoff::constant(S(2))), always_failing()).await;
    s.backend.send(QUEUE, Message::new("this is not an event"), None).await.unwrap();
    assert!(wait_for(S(600), || s.pool.metrics().total.undecodable == 3).await);
    assert!(wait_queue_total(&s.backend, DLQ, 1, S(60)).await);
    let failures = s.publisher.failures();
    assert_eq!(failures.len(), 3);
    assert!(failures.iter().all(|f| f.kind == FailureKind::Undecodable && f.event_type.is_none()));
    assert!(failures[0].error.starts_with("the message body is not an event"), "{}", failures[0].error);
    let dead = peek_all(&s.backend, DLQ).await;
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].message.body, "this is not an event");
    s.pool.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn unknown_event_types_are_acknowledged_and_ignored() {
    let s = setup(3, None, always_failing()).await;
    s.backend.send(QUEUE, event("SOMETHING_ELSE", serde_json::json!({})), None).await.unwrap();
    assert!(wait_for(S(60), || s.pool.metrics().total.acked == 1).await);
    let m = s.pool.metrics().total;
    assert_eq!((m.ignored, m.failed, m.completed), (1, 0, 0));
    assert!(s
        .recorder
        .events()
        .iter()
        .any(|(_, e)| matches!(e, TaskEvent::Ignored(t) if t.event_type.as_deref() == Some("SOMETHING_ELSE"))));
    assert_eq!(s.backend.queue_stats(QUEUE).await.unwrap().total(), 0);
    s.pool.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn a_failed_failure_event_still_releases_the_message() {
    let router = Router::new().on("JOB", |t: Task| async move {
        if t.receive_count() == 1 {
            return Err("first try fails".into());
        }
        Ok(Outcome::Complete)
    });
    let s = setup(5, Some(Backoff::constant(S(3))), router).await;
    s.publisher.fail.store(true, SeqCst);
    s.backend.send(QUEUE, event("JOB", serde_json::json!({})), None).await.unwrap();
    assert!(wait_for(S(60), || s.pool.metrics().total.acked == 1).await);
    assert_close(gaps(&s.recorder)[0], S(3));
    let m = s.pool.metrics().total;
    assert_eq!((m.failed, m.failure_event_errors, m.failure_events, m.completed), (1, 1, 0, 1));
    let outcome = s.recorder.events().into_iter().find_map(|(_, e)| match e {
        TaskEvent::Failed { failure_event, .. } => Some(failure_event),
        _ => None,
    });
    assert!(
        matches!(outcome, Some(FailurePublish::PublishFailed { error }) if error.contains("injected publish failure"))
    );
    s.pool.shutdown().await;
}

#[derive(Debug, serde::Deserialize)]
#[allow(dead_code)]
struct Job {
    id: u64,
}

#[tokio::test(start_paused = true)]
async fn typed_handlers_fail_on_data_of_the_wrong_shape() {
    let router = Router::new().on_typed("JOB", |_t: Task, _job: Job| async { Ok(Outcome::Complete) });
    let s = setup(1, Some(Backoff::constant(S(1))), router).await;
    s.backend.send(QUEUE, event("JOB", serde_json::json!({"id": 1})), None).await.unwrap();
    s.backend.send(QUEUE, event("JOB", serde_json::json!({"id": "one"})), None).await.unwrap();
    assert!(wait_for(S(60), || s.pool.metrics().total.dead_lettered == 1).await);
    assert_eq!(s.pool.metrics().total.completed, 1);
    let failures = s.publisher.failures();
    assert_eq!(failures.len(), 1);
    assert!(failures[0].error.starts_with("cannot decode the data of a JOB event"), "{}", failures[0].error);
    assert!(failures[0].dead_lettered, "maxReceiveCount 1: the first failure is the last");
    s.pool.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn failures_of_failure_events_publish_nothing() {
    let router = Router::new().on(TASK_WORKER_FAILED, |_t: Task| async { Err("cannot process failures".into()) });
    let s = setup(2, Some(Backoff::constant(S(1))), router).await;
    s.backend.send(QUEUE, event(TASK_WORKER_FAILED, serde_json::json!({})), None).await.unwrap();
    assert!(wait_for(S(60), || s.pool.metrics().total.failed == 2).await);
    assert!(s.publisher.published.lock().unwrap().is_empty());
    assert!(s.recorder.events().iter().all(
        |(_, e)| !matches!(e, TaskEvent::Failed { failure_event, .. } if *failure_event != FailurePublish::Skipped)
    ));
    s.pool.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn receive_errors_back_off_and_recover() {
    let backend = backend(5).await;
    let sub = Faulty::new(backend.subscription(QUEUE).await.unwrap());
    sub.fail_receives.store(5, SeqCst);
    let recorder = Recorder::new();
    let pool = WorkerPool::builder()
        .observer(observe(&recorder))
        .queue_with_subscription(
            QueueConfig::new(QUEUE)
                .with_receive_error_backoff(Backoff::exponential(S(1), S(4)).with_jitter(Jitter::None)),
            Router::new().on("JOB", |_t: Task| async { Ok(Outcome::Complete) }),
            sub.clone(),
        )
        .build()
        .await
        .unwrap();
    let start = tokio::time::Instant::now();
    pool.start();
    backend.send(QUEUE, event("JOB", serde_json::json!({})), None).await.unwrap();
    assert!(wait_for(S(60), || pool.metrics().total.acked == 1).await);
    assert_eq!(pool.metrics().total.receive_errors, 5);
    let first_receive = recorder.receive_times()[0].0;
    // Backoffs 1 + 2 + 4 + 4 + 4 s before the sixth receive succeeds.
    assert_close(first_receive - start, S(15));
    let failed = recorder.events().iter().filter(|(_, e)| matches!(e, TaskEvent::ReceiveFailed { .. })).count();
    assert_eq!(failed, 5);
    pool.shutdown().await;
}
