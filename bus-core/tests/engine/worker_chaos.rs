//! Chaos: many events (one queue's handlers run in the runner, the other's spawned), 20% handler errors, 1% panics, 0.5% failed deletes, runners stopped and
//! restarted at random and one whole-pool shutdown mid-flight. Afterwards every event was handled successfully or sits in its
//! dead-letter queue after exactly maxReceiveCount receives: nothing is lost.
//!
//! `CHAOS_EVENTS` sets the number of events (default 100,000); `CHAOS_SEED` the seed.

use crate::worker_common;

use std::collections::HashSet;
use std::sync::atomic::{AtomicU32, Ordering::Relaxed};
use std::sync::Arc;
use std::time::Duration;

use bus_core::backend::{QueueSpec, Topology};
use bus_core::worker::{Backoff, Execution, Outcome, QueueConfig, Router, Task, WorkerPool};
use bus_core::{Backend, Event};
use rand::{rngs::StdRng, Rng, SeedableRng};
use tokio::time::Instant;
use worker_common::*;

const MAX_RECEIVES: u32 = 3;
const QUEUES: [&str; 2] = ["chaos-a", "chaos-b"];
const PANIC_TEXT: &str = "chaos panic";

/// Per event: how often a handler completed it, and the highest receive count it was seen with.
struct Ledger {
    successes: Vec<AtomicU32>,
    max_receive: Vec<AtomicU32>,
}

/// The fate of attempt `receive_count` of event `id`: 1% panic, 20% error, the rest success.
fn fate(seed: u64, id: u64, receive_count: u32) -> u64 {
    let mut x =
        seed ^ id.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ u64::from(receive_count).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x ^= x >> 31;
    x = x.wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^= x >> 29;
    x % 100
}

fn router(seed: u64, ledger: Arc<Ledger>) -> Router {
    Router::new().on("CHAOS", move |task: Task| {
        let ledger = ledger.clone();
        async move {
            let id = task.data()["id"].as_u64().ok_or("no id")?;
            let rc = task.receive_count();
            ledger.max_receive[id as usize].fetch_max(rc, Relaxed);
            // Some (virtual) work, so that stops and the shutdown catch handlers mid-flight.
            tokio::time::sleep(Duration::from_millis(1 + id % 50)).await;
            match fate(seed, id, rc) {
                0 => panic!("{PANIC_TEXT} (event {id}, receive {rc})"),
                1..=20 => Err(format!("chaos error (event {id}, receive {rc})").into()),
                _ => {
                    ledger.successes[id as usize].fetch_add(1, Relaxed);
                    Ok(Outcome::Complete)
                }
            }
        }
    })
}

fn quiet_chaos_panics() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let text = info.payload().downcast_ref::<String>().map(String::as_str).unwrap_or("");
        if !text.starts_with(PANIC_TEXT) {
            default(info);
        }
    }));
}

#[tokio::test(start_paused = true)]
#[allow(clippy::print_stdout)] // the figures are the point of this test
async fn chaos_loses_nothing() {
    quiet_chaos_panics();
    let events: u64 = std::env::var("CHAOS_EVENTS").ok().and_then(|v| v.parse().ok()).unwrap_or(100_000);
    let seed: u64 = std::env::var("CHAOS_SEED").ok().and_then(|v| v.parse().ok()).unwrap_or(0x5EED);
    let wall = std::time::Instant::now();

    let backend: Arc<dyn Backend> = Arc::new(bus_memory::MemoryBackend::new());
    let mut topology = Topology::new();
    for q in QUEUES {
        topology = topology.queue(QueueSpec::new(format!("{q}-dlq"))).queue(
            QueueSpec::new(q)
                .with_visibility_timeout(Duration::from_secs(30))
                .with_dead_letter_queue(format!("{q}-dlq"), MAX_RECEIVES),
        );
    }
    backend.apply_topology(&topology).await.unwrap();
    for id in 0..events {
        let queue = QUEUES[(id % 2) as usize];
        backend.send(queue, event("CHAOS", serde_json::json!({ "id": id })), None).await.unwrap();
    }

    let ledger = Arc::new(Ledger {
        successes: (0..events).map(|_| AtomicU32::new(0)).collect(),
        max_receive: (0..events).map(|_| AtomicU32::new(0)).collect(),
    });
    let mut builder = WorkerPool::builder().backend(backend.clone()).max_concurrency(96);
    for q in QUEUES {
        // One queue's handlers run in the runner's task, the other's are spawned.
        let execution = if q == QUEUES[1] { Execution::Spawned } else { Execution::InRunner };
        let config = QueueConfig::new(q)
            .with_execution(execution)
            .with_concurrency(64)
            .with_max_receive_count(MAX_RECEIVES)
            .with_failure_backoff(Some(Backoff::exponential(Duration::from_millis(500), Duration::from_secs(5))));
        let sub = Faulty::new(backend.subscription(q).await.unwrap());
        sub.fail_every_nth_ack.store(200, std::sync::atomic::Ordering::Relaxed);
        builder = builder.queue_with_subscription(config, router(seed, ledger.clone()), sub);
    }
    let pool = builder.build().await.unwrap();
    pool.start();

    // The chaos driver: random stops and restarts of single runners, and one full shutdown mid-flight.
    let mut rng = StdRng::seed_from_u64(seed);
    // The shutdown comes once this share of the events has completed: mid-flight.
    let shutdown_at = rng.gen_range(0.2..0.6);
    let start = Instant::now();
    let (mut stops, mut shutdowns, mut released) = (0u32, 0u32, 0u64);
    let mut round = 0;
    loop {
        // Done when every event completed or was moved to a dead-letter queue.
        let completed = ledger.successes.iter().filter(|s| s.load(Relaxed) > 0).count() as u64;
        let mut dead_letters = 0;
        for q in QUEUES {
            dead_letters += backend.queue_stats(&format!("{q}-dlq")).await.unwrap().total();
        }
        if completed + dead_letters >= events && pool.in_flight() == 0 {
            break;
        }
        round += 1;
        tokio::time::sleep(Duration::from_millis(rng.gen_range(20..300))).await;
        if shutdowns == 0 && completed as f64 >= shutdown_at * events as f64 {
            let report = pool.shutdown_within(Duration::from_millis(rng.gen_range(0..40))).await;
            released += report.released();
            shutdowns += 1;
            tokio::time::sleep(Duration::from_millis(rng.gen_range(0..500))).await;
            pool.start();
        } else if rng.gen_bool(0.5) {
            let q = QUEUES[rng.gen_range(0..QUEUES.len())];
            let report = pool.stop_queue(q, Duration::from_millis(rng.gen_range(0..60))).await.unwrap();
            released += report.released;
            stops += 1;
            tokio::time::sleep(Duration::from_millis(rng.gen_range(0..300))).await;
            pool.start_queue(q).unwrap();
        }
        assert!(round < 100_000, "chaos did not converge");
    }
    // Let the redrive move the last dead letters (a receive past maxReceiveCount moves them).
    for q in QUEUES {
        assert!(wait_queue_total(&backend, q, 0, Duration::from_secs(600)).await, "{q} drained");
    }
    let report = pool.shutdown().await;

    // Account for every event.
    let mut dead: HashSet<u64> = HashSet::new();
    for q in QUEUES {
        for d in peek_all(&backend, &format!("{q}-dlq")).await {
            let e = Event::from_body(&d.message.body).unwrap();
            assert!(dead.insert(e.data["id"].as_u64().unwrap()), "a dead letter appears twice");
        }
    }
    let mut lost = 0u64;
    let mut duplicates = 0u64;
    let mut both = 0u64;
    for id in 0..events {
        let successes = u64::from(ledger.successes[id as usize].load(Relaxed));
        let in_dlq = dead.contains(&id);
        if successes == 0 && !in_dlq {
            lost += 1;
        }
        if successes > 0 && in_dlq {
            both += 1;
        }
        duplicates += successes.saturating_sub(1);
        if in_dlq {
            assert_eq!(
                ledger.max_receive[id as usize].load(Relaxed),
                MAX_RECEIVES,
                "event {id} dead-lettered after exactly maxReceiveCount receives"
            );
        }
    }
    let m = pool.metrics().total;
    println!(
        "lost={lost} events={events} duplicates={duplicates} retries={} dead_letters={} panics={} errors={} released={released} ack_failed={} completed_then_dead_lettered={both} stops={stops} shutdowns={shutdowns} completed={} acked={} virtual={:?} wall={:?}",
        m.failed + m.released,
        dead.len(),
        m.panicked,
        m.failed - m.panicked,
        m.ack_failed,
        m.completed,
        m.acked,
        start.elapsed(),
        wall.elapsed(),
    );
    assert_eq!(lost, 0);
    // Only a completed event whose delete failed can come back and end in the dead-letter queue.
    assert!(both <= m.ack_failed, "an event both completed and dead-lettered without a failed delete");
    assert!(duplicates <= m.ack_failed, "a duplicate completion without a failed delete");
    assert!(m.ack_failed > 0, "the delete failures happened");
    assert_eq!(shutdowns, 1);
    assert!(stops > 0);
    assert_eq!(report.released(), 0, "the final shutdown finds nothing in flight");
    // A dead letter failed on its last receive, or was released by a stop on its last receive.
    assert!(dead.len() as u64 >= m.dead_lettered && dead.len() as u64 <= m.dead_lettered + released);
    assert_eq!(m.completed, m.acked + m.ack_failed, "every completion was deleted or its delete failed");
    assert!(m.panicked > 0 && m.failed > m.panicked, "the chaos happened");
    for q in QUEUES {
        assert_eq!(backend.queue_stats(q).await.unwrap().total(), 0);
    }
}
