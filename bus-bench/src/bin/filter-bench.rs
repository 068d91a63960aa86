//! `filter-bench`: runs the filter workloads W1 (citylots matching throughput) and W3 (subscription
//! scaling) with their baselines in the same run, and prints one line per figure with the ratios.
//!
//! ```text
//! cargo run --release -p bus-bench --bin filter-bench -- [w1|w3|all] [--n N]
//! ```
// A benchmark binary reports on the terminal.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use bus_bench::data::{self, CITYLOTS_FULL, CITYLOTS_SEED};
use bus_bench::measure::{thousands, Pass};
use bus_bench::{w1, w3, BenchError};
use bus_core::filter::FilterScope;
use clap::{Parser, ValueEnum};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Workload {
    W1,
    W3,
    All,
}

/// Filter-engine workloads W1 and W3, each with its baselines measured in the same run.
#[derive(Debug, Parser)]
#[command(name = "filter-bench")]
struct Args {
    /// Which workload to run.
    #[arg(value_enum, default_value = "all")]
    workload: Workload,
    /// W1: number of citylots lines (default: the full 213,068). Generated into --data-dir if missing.
    #[arg(long)]
    n: Option<usize>,
    /// W1: use this cl2 JSON-lines file instead of the generated one.
    #[arg(long)]
    data: Option<PathBuf>,
    /// W1: where generated data lives (default: target/bench-data in the workspace).
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// W1: the policy families file (default: bus-bench/data/cl2-policies.json).
    #[arg(long)]
    policies: Option<PathBuf>,
    /// W1: only these families (comma-separated).
    #[arg(long, value_delimiter = ',')]
    families: Vec<String>,
    /// W3: policy counts on the topic.
    #[arg(long, value_delimiter = ',', default_values_t = [1usize, 10, 200, 10_000])]
    counts: Vec<usize>,
    /// W3: number of distinct messages published round-robin.
    #[arg(long, default_value_t = 1000)]
    messages: usize,
    /// W3: time spent measuring each figure, in milliseconds (spread over 10 interleaved rounds).
    #[arg(long, default_value_t = 1000)]
    budget_ms: u64,
    /// W3: seed of the generated policies and messages.
    #[arg(long, default_value_t = CITYLOTS_SEED)]
    seed: u64,
}

fn manifest_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn main() -> ExitCode {
    let args = Args::parse();
    let started = Instant::now();
    let mut result = Ok(());
    if matches!(args.workload, Workload::W1 | Workload::All) {
        result = run_w1(&args);
    }
    if result.is_ok() && matches!(args.workload, Workload::W3 | Workload::All) {
        result = run_w3(&args);
    }
    match result {
        Ok(()) => {
            eprintln!("done in {:.1} s", started.elapsed().as_secs_f64());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

/// The cl2 lines to use: `--data`, else the generated file for N, else the first N lines of the full file,
/// else generate N.
fn w1_lines(args: &Args) -> Result<Vec<String>, BenchError> {
    if let Some(path) = &args.data {
        return data::load_lines(path, args.n);
    }
    let n = args.n.unwrap_or(CITYLOTS_FULL);
    let dir = args.data_dir.clone().unwrap_or_else(|| manifest_dir().join("../target/bench-data"));
    let full = data::citylots_path(&dir, CITYLOTS_FULL, CITYLOTS_SEED);
    let exact = data::citylots_path(&dir, n, CITYLOTS_SEED);
    if !exact.is_file() && n < CITYLOTS_FULL && full.is_file() {
        return data::load_lines(&full, Some(n));
    }
    if !exact.is_file() {
        eprintln!(
            "generating {n} citylots lines into {} (seed {CITYLOTS_SEED}; about 60 s at full size)...",
            dir.display()
        );
    }
    let script = manifest_dir().join("data/gen_citylots.py");
    let (path, _) = data::ensure_citylots(&script, &dir, n, CITYLOTS_SEED)?;
    data::load_lines(&path, Some(n))
}

fn run_w1(args: &Args) -> Result<(), BenchError> {
    let policies_path = args.policies.clone().unwrap_or_else(|| manifest_dir().join("data/cl2-policies.json"));
    let mut families = data::load_families(&policies_path)?;
    if !args.families.is_empty() {
        families.retain(|f| args.families.iter().any(|a| a.eq_ignore_ascii_case(&f.name)));
    }
    let lines = w1_lines(args)?;
    let avg = lines.iter().map(String::len).sum::<usize>() / lines.len();
    let events = w1::messages(lines);
    println!("W1 matching throughput: {} cl2 events (avg {avg} B), body scope, one full pass per engine, interleaved in blocks of {}", events.len(), w1::BLOCK);
    let (mut q_met, mut q_total, mut n_met) = (0, 0, 0);
    for family in &families {
        let r = w1::run_family(family, &events)?;
        let tag = format!("W1 {:<18}", r.name);
        let line = |engine: &str, p: &Pass, extra: &str| {
            println!(
                "{tag} {engine:<16} {:>12} events/s {:>9.0} ns/event {:>10.5} matches/event{extra}",
                thousands(p.events_per_sec()),
                p.ns_per_event(),
                p.matches_per_event()
            );
        };
        line("ours FilterSet", &r.ours_set, &format!("  ({} policies)", r.policies));
        line("ours one-by-one", &r.ours_each, "");
        match &r.quamina {
            Ok(q) => {
                let ratio = r.ours_set.events_per_sec() / q.events_per_sec();
                q_total += 1;
                q_met += usize::from(ratio >= 2.0);
                line(
                    "quamina 0.7",
                    q,
                    &format!("  ours/quamina {ratio:>6.2}x (goal >= 2x: {})", verdict(ratio >= 2.0)),
                );
            }
            Err(why) => println!("{tag} quamina 0.7      skipped: {why}"),
        }
        let ratio = r.ratio_naive();
        n_met += usize::from(ratio >= 10.0);
        line("naive", &r.naive, &format!("  ours/naive   {ratio:>6.2}x (goal >= 10x: {})", verdict(ratio >= 10.0)));
        for (engine, count) in r.disagreements() {
            println!("{tag} note: {engine} found {count} matches, ours FilterSet {}", r.ours_set.matches);
        }
    }
    println!(
        "W1 summary: ours/quamina >= 2x on {q_met} of {q_total} families quamina supports; ours/naive >= 10x on {n_met} of {}",
        families.len()
    );
    Ok(())
}

fn verdict(met: bool) -> &'static str {
    if met {
        "met"
    } else {
        "MISSED"
    }
}

fn run_w3(args: &Args) -> Result<(), BenchError> {
    let budget = Duration::from_millis(args.budget_ms);
    let max = args.counts.iter().copied().max().unwrap_or(0);
    let policies = w3::generate_policies(max, args.seed);
    let messages = w3::generate_messages(args.messages.max(1), args.seed);
    let avg = messages.iter().map(|m| m.body.len()).sum::<usize>() / messages.len();
    println!(
        "W3 subscription scaling: {} messages (10 attributes; body avg {avg} B), policies nested 1 of 10 of ..., {} ms per figure",
        messages.len(),
        args.budget_ms
    );
    for scope in [FilterScope::MessageAttributes, FilterScope::MessageBody] {
        let results = w3::run_scope(&policies, &args.counts, scope, &messages, budget, 10)?;
        let base_ns = results.first().map_or(1.0, |r| r.set.ns_per_event());
        let first = args.counts.first().copied().unwrap_or(1);
        for r in &results {
            let ns = r.set.ns_per_event();
            let ratio = ns / base_ns;
            let goal = if r.policies == 200 && first == 1 {
                format!("  (goal <= 3x at 200: {})", verdict(ratio <= 3.0))
            } else {
                String::new()
            };
            println!(
                "W3 {:<17} {:>6} policies  FilterSet {:>10} ns/publish {:>7.2}x vs {first}  one-by-one {:>12} ns/publish  {:>8.3} matches/publish{goal}",
                scope.as_str(),
                r.policies,
                thousands(ns),
                ratio,
                thousands(r.each.ns_per_event()),
                r.set.matches_per_event(),
            );
            if r.disagreements > 0 {
                println!(
                    "W3 note: FilterSet and one-by-one matching disagree on {} of {} messages",
                    r.disagreements,
                    messages.len()
                );
            }
        }
    }
    Ok(())
}
