//! Timing: one full pass over a set of events, or a time-boxed loop over a pool, counting matches.

use std::time::{Duration, Instant};

/// The result of running one engine over events.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pass {
    /// Events (or publishes) processed.
    pub events: usize,
    /// Matches found in total (policy-event pairs).
    pub matches: u64,
    /// Wall-clock time spent.
    pub elapsed: Duration,
}

impl Pass {
    /// Events per second.
    pub fn events_per_sec(&self) -> f64 {
        self.events as f64 / self.elapsed.as_secs_f64().max(1e-12)
    }

    /// Nanoseconds per event.
    pub fn ns_per_event(&self) -> f64 {
        self.elapsed.as_nanos() as f64 / self.events.max(1) as f64
    }

    /// Average matches per event.
    pub fn matches_per_event(&self) -> f64 {
        self.matches as f64 / self.events.max(1) as f64
    }
}

/// Runs `f` once on every item, in order; `f` returns the number of matches for that item.
pub fn one_pass<T>(items: &[T], mut f: impl FnMut(&T) -> usize) -> Pass {
    let start = Instant::now();
    let mut matches = 0u64;
    for item in items {
        matches += f(std::hint::black_box(item)) as u64;
    }
    Pass { events: items.len(), matches, elapsed: start.elapsed() }
}

/// Runs `f` over `pool` round-robin until `budget` has passed (checking the clock every few calls),
/// and at least `min_ops` times.
pub fn timed_loop<T>(pool: &[T], budget: Duration, min_ops: usize, mut f: impl FnMut(&T) -> usize) -> Pass {
    assert!(!pool.is_empty(), "timed_loop needs a non-empty pool");
    let start = Instant::now();
    let (mut ops, mut matches) = (0usize, 0u64);
    let mut i = 0;
    loop {
        for _ in 0..16 {
            matches += f(std::hint::black_box(&pool[i])) as u64;
            i = (i + 1) % pool.len();
        }
        ops += 16;
        if ops >= min_ops && start.elapsed() >= budget {
            break;
        }
    }
    Pass { events: ops, matches, elapsed: start.elapsed() }
}

/// `1234567.8` as `1,234,568`.
pub fn thousands(x: f64) -> String {
    let s = format!("{:.0}", x.max(0.0));
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pass_rates() {
        let p = Pass { events: 1000, matches: 250, elapsed: Duration::from_millis(2) };
        assert!((p.events_per_sec() - 500_000.0).abs() < 1e-6);
        assert!((p.ns_per_event() - 2000.0).abs() < 1e-9);
        assert!((p.matches_per_event() - 0.25).abs() < 1e-12);
    }

    #[test]
    fn one_pass_visits_every_item_once() {
        let items = [1usize, 2, 3, 4];
        let p = one_pass(&items, |x| x % 2);
        assert_eq!(p.events, 4);
        assert_eq!(p.matches, 2);
    }

    #[test]
    fn timed_loop_runs_at_least_min_ops() {
        let p = timed_loop(&[1usize], Duration::ZERO, 100, |_| 1);
        assert!(p.events >= 100);
        assert_eq!(p.matches, p.events as u64);
    }

    #[test]
    fn thousands_separators() {
        assert_eq!(thousands(0.0), "0");
        assert_eq!(thousands(999.4), "999");
        assert_eq!(thousands(1000.0), "1,000");
        assert_eq!(thousands(1234567.8), "1,234,568");
    }
}
