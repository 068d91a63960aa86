//! The W4 workload (see `w4_fanout.rs`), shared by the harness binaries of each global allocator.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::support::{self, figure, list, percentile_us, rate};
use bus_core::backend::{BatchEntry, QueueSpec, SubscriptionSpec, Topology};
use bus_core::filter::FilterScope;
use bus_core::{Backend, Message, ReceiveOptions};
use bus_memory::MemoryBackend;

const PUBLISHERS: u64 = 2;
const WINDOW: u64 = 2_000;

#[derive(Clone, Copy)]
struct Case {
    queues: usize,
    half: bool,
    size: usize,
    raw: bool,
    messages: u64,
    /// Publish at this many messages/s (all publishers together); `None` = as fast as possible.
    pace: Option<u64>,
}

/// Waits until message `i` is due under the case's pace.
async fn pace(case: &Case, start: Instant, i: u64) {
    if let Some(rate) = case.pace {
        let due = start + Duration::from_nanos(i * 1_000_000_000 / rate);
        tokio::time::sleep_until(due.into()).await;
    }
}

struct Outcome {
    deliveries: u64,
    elapsed: Duration,
    latencies: Vec<u64>,
}

/// The message `i`, published at `t` ns after the start: an event body of exactly `size` bytes.
fn message(i: u64, t: u64, size: usize) -> Message {
    let mut body = String::with_capacity(size);
    body.push_str("{\"type\":\"W\",\"data\":{\"t\":\"");
    body.push_str(&format!("{t:012}"));
    if size > 40 {
        body.push_str("\",\"p\":\"");
        body.extend(std::iter::repeat_n('x', size.saturating_sub(47)));
    }
    body.push_str("\"}}");
    debug_assert_eq!(body.len(), size);
    Message::new(body)
        .with_attribute("event-type", "W")
        .with_attribute("bucket", if i % 2 == 0 { "even" } else { "odd" })
}

fn passes(case: &Case, i: u64) -> bool {
    !case.half || i % 2 == 0
}

fn expected_deliveries(case: &Case) -> u64 {
    (0..case.messages).filter(|&i| passes(case, i)).count() as u64 * case.queues as u64
}

async fn run_memory(case: Case) -> Outcome {
    let bus = MemoryBackend::new();
    let mut t = Topology::new().topic("w4");
    for q in 0..case.queues {
        t = t.queue(QueueSpec::new(format!("q{q}"))).subscription(SubscriptionSpec {
            topic: "w4".into(),
            queue: format!("q{q}"),
            filter_policy: case.half.then(|| serde_json::json!({"bucket": ["even"]})),
            filter_policy_scope: FilterScope::MessageAttributes,
            raw_message_delivery: case.raw,
        });
    }
    bus.apply_topology(&t).await.expect("topology");
    let delivered = Arc::new(AtomicU64::new(0));
    let expected = expected_deliveries(&case);
    let start = Instant::now();
    let mut workers = Vec::new();
    for q in 0..case.queues {
        let sub = bus.subscription(&format!("q{q}")).await.expect("queue");
        let delivered = delivered.clone();
        let per_queue = expected / case.queues as u64;
        workers.push(tokio::spawn(async move {
            let mut lat = Vec::with_capacity(per_queue as usize);
            let mut got = 0u64;
            let mut last = start;
            let ids: Vec<String> = (0..10).map(|i| i.to_string()).collect();
            while got < per_queue {
                let batch = sub.receive(ReceiveOptions::new(10, Duration::from_millis(200))).await.expect("receive");
                if batch.is_empty() {
                    continue;
                }
                let now = Instant::now();
                let now_ns = (now - start).as_nanos() as u64;
                for d in &batch {
                    let t: u64 = d
                        .event
                        .as_ref()
                        .and_then(|e| e.data["t"].as_str())
                        .and_then(|s| s.parse().ok())
                        .expect("the body carries its publish time");
                    lat.push(now_ns.saturating_sub(t));
                }
                got += batch.len() as u64;
                last = now;
                let entries = batch.into_iter().zip(&ids).map(|(d, id)| (id.clone(), d.receipt_handle)).collect();
                let out = sub.ack_batch(entries).await.expect("ack");
                assert!(out.failed.is_empty());
                delivered.fetch_add(out.successful.len() as u64, Ordering::Relaxed);
            }
            (lat, last)
        }));
    }
    let mut publishers = Vec::new();
    for p in 0..PUBLISHERS {
        let publisher = bus.publisher();
        let delivered = delivered.clone();
        publishers.push(tokio::spawn(async move {
            let fanout = expected as f64 / case.messages as f64;
            let mut i = p * 10;
            let ids: Vec<String> = (0..10).map(|i| i.to_string()).collect();
            while i < case.messages {
                // Flow control: stay at most WINDOW messages ahead of the workers.
                while (i as f64 * fanout) as u64 > delivered.load(Ordering::Relaxed) + WINDOW * case.queues as u64 {
                    tokio::task::yield_now().await;
                }
                pace(&case, start, i).await;
                let t = (Instant::now() - start).as_nanos() as u64;
                let end = (i + 10).min(case.messages);
                let entries =
                    (i..end).zip(&ids).map(|(j, id)| BatchEntry::new(id.clone(), message(j, t, case.size))).collect();
                let out = publisher.publish_batch("w4", entries).await.expect("publish");
                assert!(out.failed.is_empty(), "{:?}", out.failed);
                i += 10 * PUBLISHERS;
            }
        }));
    }
    for p in publishers {
        p.await.expect("publisher");
    }
    let mut latencies = Vec::new();
    let mut last = start;
    for w in workers {
        let (lat, l) = w.await.expect("worker");
        latencies.extend(lat);
        last = last.max(l);
    }
    Outcome { deliveries: delivered.load(Ordering::Relaxed), elapsed: last - start, latencies }
}

async fn run_baseline(case: Case) -> Outcome {
    let mut txs = Vec::new();
    let mut workers = Vec::new();
    let expected = expected_deliveries(&case);
    let start = Instant::now();
    for _ in 0..case.queues {
        let (tx, mut rx) = tokio::sync::mpsc::channel::<(u64, Arc<Message>)>(WINDOW as usize);
        txs.push(tx);
        let per_queue = expected / case.queues as u64;
        workers.push(tokio::spawn(async move {
            let mut lat = Vec::with_capacity(per_queue as usize);
            let mut buf = Vec::with_capacity(10);
            let mut last = start;
            while rx.recv_many(&mut buf, 10).await > 0 {
                let now = Instant::now();
                let now_ns = (now - start).as_nanos() as u64;
                for (t, _m) in buf.drain(..) {
                    lat.push(now_ns.saturating_sub(t));
                }
                last = now;
            }
            (lat, last)
        }));
    }
    let txs = Arc::new(txs);
    let mut publishers = Vec::new();
    for p in 0..PUBLISHERS {
        let txs = txs.clone();
        publishers.push(tokio::spawn(async move {
            let mut i = p * 10;
            while i < case.messages {
                pace(&case, start, i).await;
                let t = (Instant::now() - start).as_nanos() as u64;
                for j in i..(i + 10).min(case.messages) {
                    let m = Arc::new(message(j, t, case.size));
                    if !passes(&case, j) {
                        continue;
                    }
                    for tx in txs.iter() {
                        tx.send((t, m.clone())).await.expect("send");
                    }
                }
                i += 10 * PUBLISHERS;
            }
        }));
    }
    for p in publishers {
        p.await.expect("publisher");
    }
    drop(txs);
    let mut latencies = Vec::new();
    let mut last = start;
    for w in workers {
        let (lat, l) = w.await.expect("worker");
        latencies.extend(lat);
        last = last.max(l);
    }
    Outcome { deliveries: latencies.len() as u64, elapsed: last - start, latencies }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Runs every case and prints the figures; `allocator` names the global allocator for the header.
pub fn main(allocator: &str) {
    let messages: u64 = support::arg("messages", 1_000_000);
    let raw: bool = support::arg("raw", false);
    let repeat: usize = support::arg("repeat", 3);
    let paced: u64 = support::arg("pace", 5_000);
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    println!(
        "W4 in-memory fan-out: {messages} messages per case, {PUBLISHERS} publishers (batches of 10), one worker per queue \
         (receive 10, delete in batches), {} delivery; latency at {paced} messages/s; medians of {repeat} runs; \
         allocator: {allocator}; baseline = raw tokio mpsc fan-out of the same messages",
        if raw { "raw" } else { "enveloped (SNS notification JSON)" }
    );
    for queues in list("queues", &[1usize, 4, 16]) {
        for filter in list("filters", &["none".to_string(), "half".to_string()]) {
            for size in list("sizes", &[40usize, 1024]) {
                let case = Case { queues, half: filter == "half", size, raw, messages, pace: None };
                let (mut mem_rate, mut base_rate) = (Vec::new(), Vec::new());
                let (mut mem_cpu, mut base_cpu) = (Vec::new(), Vec::new());
                let (mut lat, mut base_lat) = ([Vec::new(), Vec::new()], [Vec::new(), Vec::new()]);
                for _ in 0..repeat {
                    let cpu0 = support::cpu_time();
                    let base = rt.block_on(run_baseline(case));
                    let cpu1 = support::cpu_time();
                    let mem = rt.block_on(run_memory(case));
                    let cpu2 = support::cpu_time();
                    if let (Some(c0), Some(c1), Some(c2)) = (cpu0, cpu1, cpu2) {
                        base_cpu.push((c1 - c0).as_nanos() as f64 / base.deliveries as f64);
                        mem_cpu.push((c2 - c1).as_nanos() as f64 / mem.deliveries as f64);
                    }
                    assert_eq!(mem.deliveries, expected_deliveries(&case), "every matching delivery arrived");
                    base_rate.push(rate(base.deliveries, base.elapsed));
                    mem_rate.push(rate(mem.deliveries, mem.elapsed));
                    let slow = Case { messages: (paced * 2).min(messages), pace: Some(paced), ..case };
                    let mut b = rt.block_on(run_baseline(slow)).latencies;
                    let mut m = rt.block_on(run_memory(slow)).latencies;
                    for (k, p) in [50.0, 99.0].into_iter().enumerate() {
                        base_lat[k].push(percentile_us(&mut b, p));
                        lat[k].push(percentile_us(&mut m, p));
                    }
                }
                let name = format!("queues={queues} filter={filter} size={size}B");
                figure("W4", &name, "deliveries/s", median(mem_rate), median(base_rate), "/s");
                if !mem_cpu.is_empty() {
                    figure("W4", &name, "CPU per delivery", median(mem_cpu), median(base_cpu), "ns");
                }
                for (k, p) in [50, 99].into_iter().enumerate() {
                    let metric = format!("latency p{p} @{}k/s", paced / 1000);
                    figure("W4", &name, &metric, median(lat[k].clone()), median(base_lat[k].clone()), "us");
                }
            }
        }
    }
}
