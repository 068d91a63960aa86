//! W4 in-memory fan-out: one topic to 1, 4 and 16 queues; no filter and 50% filtered out; 40 B and 1 KiB
//! messages. Publishers publish in batches of 10; one worker per queue receives in batches of 10 and
//! deletes in batches. Reports deliveries/s (publishers as fast as the workers keep up, at most 2,000
//! messages ahead per queue) and publish-to-handler latency p50/p99 at a paced load that both sides
//! sustain (`--pace` messages/s), each with its ratio to the same-run baseline: a raw tokio mpsc fan-out
//! of the same messages (the ceiling). Each figure is the median of `--repeat` runs, baseline and memory
//! alternating, because the machine is shared and noisy.
//!
//! Run with: `cargo run --release -p bus-memory --example w4_fanout -- [--messages 1000000]
//! [--queues 1,4,16] [--sizes 40,1024] [--filters none,half] [--raw false] [--repeat 3] [--pace 5000]`
#![allow(clippy::print_stdout)]

#[path = "support/mod.rs"]
mod support;
#[path = "support/w4.rs"]
mod w4;

fn main() {
    w4::main("system (glibc malloc)");
}
