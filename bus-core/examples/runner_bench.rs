//! Benchmark of the worker runtime on the in-memory backend.
//!
//! Run with: `cargo run --release -p bus-core --example runner_bench [-- EVENTS]`
//!
//! 1. Throughput: tasks/s through a `WorkerPool` with a no-op handler, against the backend's raw
//!    receive/delete loop (receive 10, delete them in one batch, repeat) over the same number of
//!    messages in the same run; once on a current-thread runtime (the runner's CPU cost per message)
//!    and once on a 2-worker runtime. Goal: the runner costs under 20%.
//! 2. Latency: publish-to-handler p50/p99 at a moderate load (2,000 events/s through a topic and an
//!    enveloped subscription). Goal: p99 under 1 ms.
#![allow(clippy::print_stdout)]

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bus_core::backend::{QueueSpec, Topology};
use bus_core::worker::{Outcome, QueueConfig, Router, Task, WorkerPool};
use bus_core::{Backend, Event, PublisherExt, ReceiveOptions};
use bus_memory::MemoryBackend;

const ROUNDS: usize = 3;

async fn filled_backend(queue: &str, events: u64) -> Arc<dyn Backend> {
    let backend: Arc<dyn Backend> = Arc::new(MemoryBackend::new());
    backend.apply_topology(&Topology::new().queue(QueueSpec::new(queue))).await.unwrap();
    for id in 0..events {
        let message = Event::new("NOOP", serde_json::json!({ "id": id })).to_message().unwrap();
        backend.send(queue, message, None).await.unwrap();
    }
    backend
}

/// The baseline: receive up to 10, delete them in one batch, until the queue is empty.
async fn raw_loop(events: u64) -> f64 {
    let backend = filled_backend("raw", events).await;
    let sub = backend.subscription("raw").await.unwrap();
    let start = Instant::now();
    let mut done = 0u64;
    while done < events {
        let got = sub.receive(ReceiveOptions::new(10, Duration::from_secs(1))).await.unwrap();
        let entries = got.iter().enumerate().map(|(i, d)| (i.to_string(), d.receipt_handle.clone())).collect();
        let out = sub.ack_batch(entries).await.unwrap();
        done += out.successful.len() as u64;
    }
    events as f64 / start.elapsed().as_secs_f64()
}

/// The runner: a pool with one queue and a no-op handler, until every message is deleted.
async fn runner(events: u64, concurrency: usize) -> f64 {
    let backend = filled_backend("run", events).await;
    if let Ok(pause) = std::env::var("RUNNER_BENCH_PAUSE_MS") {
        // Lets a profiler attach after the queue is filled.
        std::thread::sleep(Duration::from_millis(pause.parse().unwrap_or(0)));
    }
    let router = Router::new().on("NOOP", |_t: Task| async { Ok(Outcome::Complete) });
    let pool = WorkerPool::builder()
        .backend(backend.clone())
        .max_concurrency(concurrency)
        .queue(QueueConfig::new("run").with_concurrency(concurrency), router)
        .build()
        .await
        .unwrap();
    let start = Instant::now();
    pool.start();
    while pool.metrics().total.acked < events {
        tokio::time::sleep(Duration::from_micros(500)).await;
    }
    let rate = events as f64 / start.elapsed().as_secs_f64();
    pool.shutdown().await;
    assert_eq!(backend.queue_stats("run").await.unwrap().total(), 0);
    rate
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn throughput(label: &str, rt: &tokio::runtime::Runtime, events: u64) {
    let (mut raw, mut run) = (Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        raw.push(rt.block_on(raw_loop(events)));
        run.push(rt.block_on(runner(events, 64)));
    }
    let (raw, run) = (median(raw), median(run));
    println!("raw receive/delete loop  [{label}]: {raw:>10.0} msg/s");
    println!(
        "runner, no-op handler    [{label}]: {run:>10.0} tasks/s  ratio={:.2} (runner cost {:+.1}% vs raw; goal < 20%)",
        run / raw,
        (raw / run - 1.0) * 100.0
    );
}

async fn latency(rate_per_ms: u64, seconds: u64) -> (Duration, Duration, Duration, usize) {
    let backend = Arc::new(MemoryBackend::new());
    backend
        .apply_topology(&Topology::new().topic("events").queue(QueueSpec::new("lat")).subscribe("events", "lat"))
        .await
        .unwrap();
    let base = Instant::now();
    let samples = Arc::new(Mutex::new(Vec::with_capacity((rate_per_ms * seconds * 1000) as usize)));
    let handled = Arc::new(AtomicU64::new(0));
    let (s, h) = (samples.clone(), handled.clone());
    let router = Router::new().on("PING", move |task: Task| {
        let sent = Duration::from_nanos(task.data()["t"].as_u64().unwrap_or(0));
        s.lock().unwrap().push(base.elapsed().saturating_sub(sent));
        h.fetch_add(1, Relaxed);
        async { Ok(Outcome::Complete) }
    });
    let pool = WorkerPool::builder()
        .backend(backend.clone())
        .queue(QueueConfig::new("lat").with_concurrency(64), router)
        .build()
        .await
        .unwrap();
    pool.start();
    let publisher = backend.publisher();
    let total = rate_per_ms * seconds * 1000;
    let mut tick = tokio::time::interval(Duration::from_millis(1));
    let mut sent = 0;
    while sent < total {
        tick.tick().await;
        for _ in 0..rate_per_ms {
            let t = base.elapsed().as_nanos() as u64;
            publisher.publish_event("events", &Event::new("PING", serde_json::json!({ "t": t }))).await.unwrap();
            sent += 1;
        }
    }
    while handled.load(Relaxed) < total {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    pool.shutdown().await;
    let mut v = samples.lock().unwrap().clone();
    v.sort();
    let at = |q: f64| v[((v.len() as f64 * q) as usize).min(v.len() - 1)];
    (at(0.50), at(0.99), *v.last().unwrap(), v.len())
}

fn main() {
    let events: u64 = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(100_000);
    let current = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    if std::env::args().nth(2).as_deref() == Some("profile") {
        // Only the runner, for a profiler.
        let rate = current.block_on(runner(events, 64));
        println!("runner, no-op handler [current_thread]: {rate:.0} tasks/s");
        return;
    }
    throughput("current_thread", &current, events);
    let multi = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    throughput("multi_thread x2", &multi, events);
    for (label, rt) in [("current_thread", &current), ("multi_thread x2", &multi)] {
        let (p50, p99, max, n) = rt.block_on(latency(2, 5));
        println!(
            "publish-to-handler latency at 2000 events/s [{label}]: p50={:.1} us  p99={:.1} us  max={:.1} us  (n={n}; goal p99 < 1000 us, ratio p99/goal={:.3})",
            p50.as_secs_f64() * 1e6,
            p99.as_secs_f64() * 1e6,
            max.as_secs_f64() * 1e6,
            p99.as_secs_f64() * 1e3
        );
    }
}
