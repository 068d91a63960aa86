//! Shared pieces of the W4/W5 workload harnesses: arguments, percentiles, memory readings, output.
#![allow(dead_code, clippy::print_stdout)]

use std::time::Duration;

/// `--name value` from the command line, parsed, or `default`.
pub fn arg<T: std::str::FromStr>(name: &str, default: T) -> T {
    let args: Vec<String> = std::env::args().collect();
    args.windows(2).find(|w| w[0] == format!("--{name}")).and_then(|w| w[1].parse().ok()).unwrap_or(default)
}

/// `--name a,b,c` from the command line, or `default`.
pub fn list<T: std::str::FromStr + Clone>(name: &str, default: &[T]) -> Vec<T> {
    let args: Vec<String> = std::env::args().collect();
    args.windows(2)
        .find(|w| w[0] == format!("--{name}"))
        .map(|w| w[1].split(',').filter_map(|s| s.parse().ok()).collect())
        .unwrap_or_else(|| default.to_vec())
}

/// The `p`-th percentile (0-100) of `samples` (sorted in place), in microseconds.
pub fn percentile_us(samples: &mut [u64], p: f64) -> f64 {
    if samples.is_empty() {
        return f64::NAN;
    }
    let idx = ((samples.len() - 1) as f64 * p / 100.0).round() as usize;
    let (_, v, _) = samples.select_nth_unstable(idx);
    *v as f64 / 1000.0
}

/// The resident set size of this process, in bytes (Linux `/proc/self/statm`).
pub fn rss_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

/// CPU time used by this process so far (user + system, all threads; Linux `/proc/self/stat`, in clock
/// ticks of 10 ms), for figures that the other load of a shared machine distorts less than wall time.
pub fn cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    let rest = stat.rsplit_once(')')?.1;
    let mut fields = rest.split_whitespace().skip(11);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some(Duration::from_millis((utime + stime) * 10))
}

/// Events per second.
pub fn rate(n: u64, d: Duration) -> f64 {
    n as f64 / d.as_secs_f64().max(1e-9)
}

/// Prints one figure with its same-run baseline and their ratio.
pub fn figure(workload: &str, case: &str, metric: &str, value: f64, baseline: f64, unit: &str) {
    let ratio = value / baseline;
    println!(
        "{workload} {case:<38} {metric:<22} {:>14} {unit:<10} baseline {:>14} {unit:<10} ratio {:>7.3}",
        human(value),
        human(baseline),
        ratio
    );
}

/// Prints one figure without a baseline.
pub fn fact(workload: &str, case: &str, metric: &str, value: f64, unit: &str) {
    println!("{workload} {case:<38} {metric:<22} {:>14} {unit}", human(value));
}

fn human(v: f64) -> String {
    if v.is_nan() {
        "n/a".into()
    } else if v >= 100.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.2}")
    }
}
