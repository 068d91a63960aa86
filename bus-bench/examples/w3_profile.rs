//! A profiling loop for W3: `FilterSet::matching` over the generated messages, nothing else timed, so that
//! `valgrind --tool=callgrind` or `perf record` see only the matcher (after the setup).
//!
//! ```text
//! cargo build --release -p bus-bench --example w3_profile
//! target/release/examples/w3_profile [POLICIES=200] [attributes|body] [ROUNDS=20]
//! ```
//!
//! Instructions per publish, without the setup: run under callgrind with 2 and with 12 rounds and divide
//! the difference of the two `Collected` totals by 10,000 (10 rounds of 1,000 messages).
#![allow(clippy::print_stdout)]

use bus_bench::w3::{build_set, generate_messages, generate_policies};
use bus_core::filter::FilterScope;

fn main() -> Result<(), bus_bench::BenchError> {
    let args: Vec<String> = std::env::args().collect();
    let n: usize = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(200);
    let scope = match args.get(2).map(String::as_str) {
        Some("body") => FilterScope::MessageBody,
        _ => FilterScope::MessageAttributes,
    };
    let rounds: u32 = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(20);
    let policies = generate_policies(n, 20240601);
    let messages = generate_messages(1000, 20240601);
    let (set, _) = build_set(&policies, scope)?;
    let mut out = Vec::new();
    let mut matches = 0;
    let start = std::time::Instant::now();
    for _ in 0..rounds {
        for m in &messages {
            out.clear();
            set.matching(m, &mut out);
            matches += out.len();
        }
    }
    let per_publish = start.elapsed() / (rounds * messages.len() as u32);
    println!("{n} policies, {scope}: {per_publish:?} per publish, {matches} matches");
    Ok(())
}
