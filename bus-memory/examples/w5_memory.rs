//! W5 bytes per in-flight message: 120,000 messages (the SQS in-flight limit) sent, then received and
//! held in flight, measured with a counting global allocator (heap bytes allocated minus freed), against
//! the same messages held in a raw tokio mpsc channel. Also prints the backend's own estimate
//! ([`MemoryBackend::queue_memory`]).
//!
//! Run with: `cargo run --release -p bus-memory --example w5_memory -- [--size 70]`
#![allow(clippy::print_stdout)]

#[path = "support/mod.rs"]
mod support;

use std::alloc::System;
use std::time::Duration;

use bus_core::backend::{QueueSpec, Topology};
use bus_core::{Backend, Message, ReceiveOptions};
use bus_memory::MemoryBackend;
use stats_alloc::{Region, StatsAlloc, INSTRUMENTED_SYSTEM};
use support::{fact, figure};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

const IN_FLIGHT: usize = 120_000;

fn body(i: u64, size: usize) -> String {
    let head = format!("{{\"type\":\"W5\",\"data\":{{\"i\":{i:07},\"pad\":\"");
    let mut b = String::with_capacity(size.max(head.len() + 3));
    b.push_str(&head);
    let pad = size.saturating_sub(b.len() + 3);
    b.extend(std::iter::repeat_n('x', pad));
    b.push_str("\"}}");
    b
}

fn net(region: &Region<'_, System>) -> f64 {
    let s = region.change();
    // Growth by `realloc` is already in `bytes_allocated` (and shrinking in `bytes_deallocated`).
    (s.bytes_allocated as f64 - s.bytes_deallocated as f64) / IN_FLIGHT as f64
}

fn main() {
    let size: usize = support::arg("size", 70);
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    println!(
        "W5 memory: {IN_FLIGHT} messages of {size} B bodies held in flight; heap bytes from a counting allocator; \
         baseline = the same messages in a raw tokio mpsc channel"
    );
    rt.block_on(async {
        let baseline = {
            let region = Region::new(GLOBAL);
            let (tx, rx) = tokio::sync::mpsc::unbounded_channel::<Message>();
            for i in 0..IN_FLIGHT as u64 {
                tx.send(Message::new(body(i, size))).expect("send");
            }
            let b = net(&region);
            drop(rx);
            b
        };
        let bus = MemoryBackend::new();
        bus.apply_topology(
            &Topology::new().queue(QueueSpec::new("mem").with_visibility_timeout(Duration::from_secs(3600))),
        )
        .await
        .expect("topology");
        let sub = bus.subscription("mem").await.expect("queue");
        let region = Region::new(GLOBAL);
        for i in 0..IN_FLIGHT as u64 {
            bus.send("mem", Message::new(body(i, size)), None).await.expect("send");
        }
        let stored = net(&region);
        let mut n = 0;
        while n < IN_FLIGHT {
            n += sub.receive(ReceiveOptions::new(10, Duration::ZERO)).await.expect("receive").len();
        }
        let in_flight = net(&region);
        assert_eq!(bus.queue_stats("mem").await.expect("stats").in_flight, IN_FLIGHT as u64);
        let est = bus.queue_memory("mem").expect("queue");
        let case = format!("messages={IN_FLIGHT} body={size}B");
        figure("W5", &case, "heap bytes/in-flight", in_flight, baseline, "B");
        fact("W5", &case, "heap bytes/stored", stored, "B");
        fact("W5", &case, "estimate: structures", est.structures as f64 / IN_FLIGHT as f64, "B");
        fact("W5", &case, "estimate: payloads", est.payloads as f64 / IN_FLIGHT as f64, "B");
    });
}
