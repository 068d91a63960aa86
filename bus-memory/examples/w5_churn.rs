//! W5 visibility and DLQ churn: 10% of the messages are never acknowledged (each receive of them is
//! answered with a visibility change to 0, the worker's retry path), `maxReceiveCount` 3, up to 120,000
//! in flight. Reports receive, visibility-change and delete operations per second and the exact
//! dead-letter count, each against a same-run baseline: a raw tokio mpsc queue doing the same redelivery
//! bookkeeping by hand (the ceiling). Bytes per in-flight message: the `w5_memory` example.
//!
//! Run with: `cargo run --release -p bus-memory --example w5_churn -- [--messages 1000000]`
#![allow(clippy::print_stdout)]

#[path = "support/mod.rs"]
mod support;
#[path = "support/w5.rs"]
mod w5;

fn main() {
    w5::main("system (glibc malloc)");
}
