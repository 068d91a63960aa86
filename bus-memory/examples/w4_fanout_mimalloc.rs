//! W4 (see `w4_fanout.rs`) with mimalloc as the global allocator: the same workload, where allocation is
//! cheaper; most of the memory backend's cost per delivery is allocating the owned parts of a
//! `Delivery`.
//!
//! Run with: `cargo run --release -p bus-memory --example w4_fanout_mimalloc -- [same options as w4_fanout]`
#![allow(clippy::print_stdout)]

#[path = "support/mod.rs"]
mod support;
#[path = "support/w4.rs"]
mod w4;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    w4::main("mimalloc");
}
