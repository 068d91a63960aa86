//! The W5 churn workload (see `w5_churn.rs`), shared by the harness binaries of each global allocator.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::support::{self, fact, figure, rate};
use bus_core::backend::{QueueSpec, Topology};
use bus_core::{Backend, Message, ReceiptHandle, ReceiveOptions};
use bus_memory::MemoryBackend;

const IN_FLIGHT: usize = 120_000;
const CONSUMERS: usize = 4;
const MAX_RECEIVES: u32 = 3;

fn body(i: u64) -> String {
    format!("{{\"type\":\"W5\",\"data\":{{\"i\":{i},\"pad\":\"{}\"}}}}", "x".repeat(40))
}

fn never_acked(i: u64) -> bool {
    i % 10 == 0
}

#[derive(Default)]
struct Ops {
    receive_calls: AtomicU64,
    received: AtomicU64,
    visibility_changes: AtomicU64,
    deletes: AtomicU64,
}

async fn settle(
    sub: &Arc<dyn bus_core::Subscription>,
    held: &mut VecDeque<(ReceiptHandle, bool)>,
    n: usize,
    ops: &Ops,
) {
    let ids: Vec<String> = (0..10).map(|i| i.to_string()).collect();
    let mut left = n.min(held.len());
    while left > 0 {
        let take = left.min(10);
        left -= take;
        let mut acks = Vec::with_capacity(10);
        let mut nacks = Vec::with_capacity(10);
        for (k, (h, nack)) in held.drain(..take).enumerate() {
            if nack {
                nacks.push((ids[k].clone(), h, Duration::ZERO));
            } else {
                acks.push((ids[k].clone(), h));
            }
        }
        if !acks.is_empty() {
            let out = sub.ack_batch(acks).await.expect("delete");
            assert!(out.failed.is_empty(), "{:?}", out.failed);
            ops.deletes.fetch_add(out.successful.len() as u64, Ordering::Relaxed);
        }
        if !nacks.is_empty() {
            let out = sub.change_visibility_batch(nacks).await.expect("change visibility");
            assert!(out.failed.is_empty(), "{:?}", out.failed);
            ops.visibility_changes.fetch_add(out.successful.len() as u64, Ordering::Relaxed);
        }
    }
}

async fn churn(messages: u64) -> (Duration, Arc<Ops>, u64, u64) {
    let bus = MemoryBackend::new();
    bus.apply_topology(
        &Topology::new()
            .queue(QueueSpec::new("w5-dlq"))
            .queue(QueueSpec::new("w5").with_dead_letter_queue("w5-dlq", MAX_RECEIVES)),
    )
    .await
    .expect("topology");
    for i in 0..messages {
        bus.send("w5", Message::new(body(i)), None).await.expect("send");
    }
    let ops = Arc::new(Ops::default());
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..CONSUMERS {
        let sub = bus.subscription("w5").await.expect("queue");
        let bus = bus.clone();
        let ops = ops.clone();
        tasks.push(tokio::spawn(async move {
            let mut held: VecDeque<(ReceiptHandle, bool)> = VecDeque::new();
            loop {
                let batch = sub.receive(ReceiveOptions::new(10, Duration::from_millis(20))).await.expect("receive");
                ops.receive_calls.fetch_add(1, Ordering::Relaxed);
                ops.received.fetch_add(batch.len() as u64, Ordering::Relaxed);
                let empty = batch.is_empty();
                for d in batch {
                    let i = d.event.as_ref().and_then(|e| e.data["i"].as_u64()).expect("an id");
                    held.push_back((d.receipt_handle, never_acked(i)));
                }
                if held.len() > IN_FLIGHT / CONSUMERS {
                    let n = held.len() - IN_FLIGHT / CONSUMERS;
                    settle(&sub, &mut held, n, &ops).await;
                }
                if empty {
                    if held.is_empty() && bus.queue_stats("w5").await.expect("stats").total() == 0 {
                        break;
                    }
                    let n = held.len();
                    settle(&sub, &mut held, n, &ops).await;
                }
            }
        }));
    }
    for t in tasks {
        t.await.expect("consumer");
    }
    let elapsed = start.elapsed();
    let dlq = bus.queue_stats("w5-dlq").await.expect("stats").total();
    let left = bus.queue_stats("w5").await.expect("stats").total();
    (elapsed, ops, dlq, left)
}

/// The same churn on a raw channel: redelivery, counting and dead-lettering done by hand.
async fn baseline_churn(messages: u64) -> (Duration, Ops, u64) {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(u32, u64, Message)>();
    for i in 0..messages {
        tx.send((0, i, Message::new(body(i)))).expect("send");
    }
    let ops = Ops::default();
    let mut dlq = Vec::new();
    let mut buf = Vec::with_capacity(10);
    let mut outstanding = messages;
    let start = Instant::now();
    while outstanding > 0 {
        rx.recv_many(&mut buf, 10).await;
        ops.receive_calls.fetch_add(1, Ordering::Relaxed);
        for (count, i, m) in buf.drain(..) {
            if never_acked(i) && count >= MAX_RECEIVES {
                dlq.push(m);
                outstanding -= 1;
                continue;
            }
            ops.received.fetch_add(1, Ordering::Relaxed);
            if never_acked(i) {
                ops.visibility_changes.fetch_add(1, Ordering::Relaxed);
                tx.send((count + 1, i, m)).expect("resend");
            } else {
                ops.deletes.fetch_add(1, Ordering::Relaxed);
                outstanding -= 1;
            }
        }
    }
    (start.elapsed(), ops, dlq.len() as u64)
}

/// Runs the churn and prints the figures; `allocator` names the global allocator for the header.
pub fn main(allocator: &str) {
    let messages: u64 = support::arg("messages", 1_000_000);
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    println!(
        "W5 churn: {messages} messages, 10% never acknowledged, maxReceiveCount {MAX_RECEIVES}, up to {IN_FLIGHT} in flight, \
         {CONSUMERS} consumers; allocator: {allocator}; baseline = raw tokio mpsc queue with hand-made redelivery"
    );
    let (b_elapsed, b_ops, b_dlq) = rt.block_on(baseline_churn(messages));
    let (elapsed, ops, dlq, left) = rt.block_on(churn(messages));
    let case = format!("messages={messages}");
    let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
    figure(
        "W5",
        &case,
        "receives/s (messages)",
        rate(get(&ops.received), elapsed),
        rate(get(&b_ops.received), b_elapsed),
        "/s",
    );
    figure(
        "W5",
        &case,
        "receive calls/s",
        rate(get(&ops.receive_calls), elapsed),
        rate(get(&b_ops.receive_calls), b_elapsed),
        "/s",
    );
    figure(
        "W5",
        &case,
        "visibility changes/s",
        rate(get(&ops.visibility_changes), elapsed),
        rate(get(&b_ops.visibility_changes), b_elapsed),
        "/s",
    );
    figure("W5", &case, "deletes/s", rate(get(&ops.deletes), elapsed), rate(get(&b_ops.deletes), b_elapsed), "/s");
    let total = |o: &Ops| get(&o.received) + get(&o.visibility_changes) + get(&o.deletes);
    figure("W5", &case, "all operations/s", rate(total(&ops), elapsed), rate(total(&b_ops), b_elapsed), "/s");
    let expected_dlq = (0..messages).filter(|&i| never_acked(i)).count() as u64;
    figure("W5", &case, "dead-lettered", dlq as f64, b_dlq as f64, "msgs");
    fact("W5", &case, "dead-letter expected", expected_dlq as f64, "msgs");
    fact("W5", &case, "left in source queue", left as f64, "msgs");
    assert_eq!(dlq, expected_dlq, "exact dead-letter count");
    assert_eq!(left, 0);
    assert_eq!(get(&ops.deletes), messages - expected_dlq);
    assert_eq!(get(&ops.visibility_changes), expected_dlq * u64::from(MAX_RECEIVES));
}
