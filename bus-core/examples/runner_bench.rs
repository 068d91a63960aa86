//! Benchmark of the worker runtime on the in-memory backend.
//!
//! Run with: `cargo run --release -p bus-core --example runner_bench [-- EVENTS [ROUNDS]]`
//!
//! 1. Throughput: tasks/s through a `WorkerPool` with a no-op handler, against the backend's raw
//!    receive/delete loop (receive 10, delete them in one batch, repeat) over the same number of
//!    messages in the same run; once on a current-thread runtime (the runner's CPU cost per message)
//!    and once on a 2-worker runtime; for the default configuration (handlers run in the runner's
//!    task, adaptively) and with every handler spawned. Raw and runner rounds are interleaved (their
//!    order rotates every round) so that a noisy, shared machine affects all alike; each round's
//!    ratio compares the runner to the raw loop of the same round, and the median ratio is reported,
//!    both for wall time and for CPU time (all threads, from `/proc`: on a shared machine, CPU time is
//!    what the runner costs, wall time also counts the waits for a core). Goal: the runner costs
//!    under 20% (ratio >= 0.80).
//! 2. Latency: publish-to-handler p50/p99 at a moderate load (2,000 events/s through a topic and an
//!    enveloped subscription). Goal: p99 under 1 ms.
//!
//! Profiling: `runner_bench EVENTS profile raw|runner` runs one measured phase only, inside the
//! function `measured`, after filling the queue outside it; with valgrind:
//! `valgrind --tool=callgrind --toggle-collect='runner_bench::measured*' runner_bench 20000 profile runner`
//! (`profile spawned`: with spawned handlers; `profile inrunner`: in the runner, not adaptive, since
//! under valgrind every batch looks slow and an adaptive runner switches to spawning)
//! counts the instructions of that phase alone (divide by EVENTS for a per-message cost).
#![allow(clippy::print_stdout)]

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bus_core::backend::{QueueSpec, Topology};
use bus_core::worker::{Execution, Outcome, QueueConfig, Router, Task, WorkerPool};
use bus_core::{Backend, Event, PublisherExt, ReceiveOptions};
use bus_memory::MemoryBackend;
use tokio::runtime::Runtime;

const QUEUE: &str = "bench";

async fn filled_backend(events: u64) -> Arc<dyn Backend> {
    let backend: Arc<dyn Backend> = Arc::new(MemoryBackend::new());
    backend.apply_topology(&Topology::new().queue(QueueSpec::new(QUEUE))).await.unwrap();
    for id in 0..events {
        let message = Event::new("NOOP", serde_json::json!({ "id": id })).to_message().unwrap();
        backend.send(QUEUE, message, None).await.unwrap();
    }
    backend
}

/// Runs one measured phase; a named, never-inlined frame for `callgrind --toggle-collect`.
///
/// With `RUNNER_BENCH_PHASE=1` it prints the phase's bounds on the monotonic clock, for
/// `perf record -k mono` and `perf report --time START,END`.
#[inline(never)]
fn measured<R>(phase: impl FnOnce() -> R) -> R {
    let show = std::env::var_os("RUNNER_BENCH_PHASE").is_some();
    let start = Instant::now();
    let r = phase();
    if show {
        println!("phase: {start:?} .. {:?}", Instant::now());
    }
    r
}

/// The baseline: receive up to 10, delete them in one batch, until the queue is empty. Returns msg/s.
async fn raw_loop(backend: &Arc<dyn Backend>, events: u64) -> f64 {
    let sub = backend.subscription(QUEUE).await.unwrap();
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

/// A pool with one queue and a no-op handler, not started.
async fn pool(backend: &Arc<dyn Backend>, concurrency: usize, execution: Execution) -> WorkerPool {
    let router = Router::new().on("NOOP", |_t: Task| async { Ok(Outcome::Complete) });
    WorkerPool::builder()
        .backend(backend.clone())
        .max_concurrency(concurrency)
        .queue(QueueConfig::new(QUEUE).with_concurrency(concurrency).with_execution(execution), router)
        .build()
        .await
        .unwrap()
}

/// Starts `pool` and waits until every message is deleted. Returns tasks/s.
async fn run_pool(pool: &WorkerPool, events: u64) -> f64 {
    let start = Instant::now();
    pool.start();
    while pool.metrics().total.acked < events {
        tokio::time::sleep(Duration::from_micros(250)).await;
    }
    events as f64 / start.elapsed().as_secs_f64()
}

/// CPU time of this process so far (every thread), from `/proc/self/task/*/schedstat` (Linux).
fn cpu_time() -> Option<Duration> {
    let mut total = 0u64;
    for task in std::fs::read_dir("/proc/self/task").ok()? {
        let stat = std::fs::read_to_string(task.ok()?.path().join("schedstat")).ok()?;
        total += stat.split_whitespace().next()?.parse::<u64>().ok()?;
    }
    Some(Duration::from_nanos(total))
}

/// One measured phase's figures: messages per second of wall time and per second of CPU time.
#[derive(Debug, Clone, Copy)]
struct Rate {
    wall: f64,
    cpu: Option<f64>,
}

/// Runs a phase that returns its wall-clock rate, and measures the CPU time it took.
fn timed(events: u64, phase: impl FnOnce() -> f64) -> Rate {
    let before = cpu_time();
    let wall = measured(phase);
    let cpu = cpu_time().zip(before).map(|(after, before)| events as f64 / (after - before).as_secs_f64());
    Rate { wall, cpu }
}

fn raw_round(rt: &Runtime, events: u64) -> Rate {
    let backend = rt.block_on(filled_backend(events));
    // The backend is dropped after the measured phase (as the runner's is).
    timed(events, || rt.block_on(raw_loop(&backend, events)))
}

fn runner_round(rt: &Runtime, events: u64, execution: Execution) -> Rate {
    let backend = rt.block_on(filled_backend(events));
    let pool = rt.block_on(pool(&backend, 64, execution));
    let rate = timed(events, || rt.block_on(run_pool(&pool, events)));
    rt.block_on(async {
        pool.shutdown().await;
        assert_eq!(backend.queue_stats(QUEUE).await.unwrap().total(), 0);
    });
    rate
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

/// The runner configurations measured against the raw loop.
const VARIANTS: [(&str, Option<Execution>); 2] =
    [("runner (default: adaptive)", None), ("runner, spawned handlers", Some(Execution::Spawned))];

fn throughput(label: &str, rt: &Runtime, events: u64, rounds: usize) {
    let sides = VARIANTS.len() + 1;
    let mut rates: Vec<Vec<Rate>> = vec![Vec::new(); sides];
    for round in 0..rounds {
        // Rotate the order, so that no side always runs on a warmer (or busier) machine.
        for i in 0..sides {
            let side = (round + i) % sides;
            let rate = match side {
                0 => raw_round(rt, events),
                v => runner_round(rt, events, VARIANTS[v - 1].1.unwrap_or_default()),
            };
            rates[side].push(rate);
        }
    }
    let raw = &rates[0];
    let cpu = |r: &[Rate]| r.iter().map(|r| r.cpu).collect::<Option<Vec<f64>>>();
    println!(
        "[{label}] raw receive/delete loop: {:>9.0} msg/s wall, {} msg/s of CPU (medians of {rounds} rounds)",
        median(raw.iter().map(|r| r.wall).collect()),
        cpu(raw).map_or("n/a".into(), |c| format!("{:.0}", median(c))),
    );
    for (v, (name, _)) in VARIANTS.iter().enumerate() {
        let run = &rates[v + 1];
        let wall_ratios: Vec<f64> = run.iter().zip(raw).map(|(n, r)| n.wall / r.wall).collect();
        let spread = |v: &[f64]| {
            format!("{:.2}-{:.2}", v.iter().copied().fold(f64::MAX, f64::min), v.iter().copied().fold(0.0, f64::max))
        };
        let cpu_part = match (cpu(run), cpu(raw)) {
            (Some(n), Some(r)) => {
                let ratios: Vec<f64> = n.iter().zip(&r).map(|(n, r)| n / r).collect();
                let ratio = median(ratios.clone());
                format!(
                    "{:>9.0} tasks/s of CPU, ratio {ratio:.2} ({}; runner CPU cost {:+.1}%)",
                    median(n),
                    spread(&ratios),
                    (1.0 / ratio - 1.0) * 100.0
                )
            }
            _ => "CPU time n/a".into(),
        };
        println!(
            "[{label}] {name}: {:>9.0} tasks/s wall, ratio {:.2} ({}); {cpu_part}",
            median(run.iter().map(|r| r.wall).collect()),
            median(wall_ratios.clone()),
            spread(&wall_ratios),
        );
    }
    println!("[{label}] goal: ratio >= 0.80 (the runner costs under 20%); ratios are per round, medians shown with their range");
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
    let mut args = std::env::args().skip(1);
    let events: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(100_000);
    let current = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let second = args.next();
    if second.as_deref() == Some("profile") {
        // One measured phase only, on the current-thread runtime, for a profiler.
        let rate = match args.next().as_deref() {
            Some("raw") => raw_round(&current, events),
            Some("spawned") => runner_round(&current, events, Execution::Spawned),
            Some("inrunner") => runner_round(&current, events, Execution::InRunner),
            _ => runner_round(&current, events, Execution::default()),
        };
        println!("{rate:?} per second [current_thread]");
        return;
    }
    let rounds: usize = second.and_then(|a| a.parse().ok()).unwrap_or(5);
    throughput("current_thread", &current, events, rounds);
    let multi = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    throughput("multi_thread x2", &multi, events, rounds);
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
