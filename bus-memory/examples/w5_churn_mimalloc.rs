//! W5 churn (see `w5_churn.rs`) with mimalloc as the global allocator.
//!
//! Run with: `cargo run --release -p bus-memory --example w5_churn_mimalloc -- [--messages 1000000]`
#![allow(clippy::print_stdout)]

#[path = "support/mod.rs"]
mod support;
#[path = "support/w5.rs"]
mod w5;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    w5::main("mimalloc");
}
