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

/// One engine in [`interleaved_passes`]: a function from an item to its number of matches.
pub type Lane<'a, T> = Box<dyn FnMut(&T) -> usize + 'a>;

/// One full pass over `items` for every lane, interleaved: the items are cut into blocks of `block`, and
/// every lane runs each block in turn (the lane that starts rotates from block to block), each timed on its
/// own. Every lane still sees every item exactly once, in order, but all lanes share the same moments of
/// the run, so a machine whose load drifts (a shared one) skews their ratios much less than back-to-back
/// passes would.
pub fn interleaved_passes<T>(items: &[T], block: usize, lanes: &mut [Lane<'_, T>]) -> Vec<Pass> {
    let mut passes = vec![Pass { events: 0, matches: 0, elapsed: Duration::ZERO }; lanes.len()];
    if lanes.is_empty() {
        return passes;
    }
    for (b, chunk) in items.chunks(block.max(1)).enumerate() {
        for k in 0..lanes.len() {
            let i = (b + k) % lanes.len();
            let start = Instant::now();
            let mut matches = 0u64;
            for item in chunk {
                matches += (lanes[i])(std::hint::black_box(item)) as u64;
            }
            passes[i].elapsed += start.elapsed();
            passes[i].matches += matches;
            passes[i].events += chunk.len();
        }
    }
    passes
}

/// Time-boxed loops over `pool` for every lane, interleaved: `rounds` rounds, in each of which every lane
/// (the first one rotating) runs round-robin over the pool for `budget / rounds`. Each lane keeps its own
/// position in the pool. The clock is read after batches that grow until a batch takes about 50 µs, so
/// reading it costs little even for operations of a few nanoseconds, and every round runs at least one
/// operation per lane.
pub fn interleaved_loops<T>(pool: &[T], budget: Duration, rounds: u32, lanes: &mut [Lane<'_, T>]) -> Vec<Pass> {
    assert!(!pool.is_empty(), "interleaved_loops needs a non-empty pool");
    let rounds = rounds.max(1);
    let slice = budget / rounds;
    let mut passes = vec![Pass { events: 0, matches: 0, elapsed: Duration::ZERO }; lanes.len()];
    let mut positions = vec![0usize; lanes.len()];
    let mut batches = vec![1usize; lanes.len()];
    for r in 0..rounds as usize {
        for k in 0..lanes.len() {
            let i = (r + k) % lanes.len();
            let start = Instant::now();
            loop {
                let batch_start = Instant::now();
                for _ in 0..batches[i] {
                    passes[i].matches += (lanes[i])(std::hint::black_box(&pool[positions[i]])) as u64;
                    positions[i] = (positions[i] + 1) % pool.len();
                }
                passes[i].events += batches[i];
                if batch_start.elapsed() < Duration::from_micros(50) && batches[i] < 4096 {
                    batches[i] *= 2;
                }
                if start.elapsed() >= slice {
                    break;
                }
            }
            passes[i].elapsed += start.elapsed();
        }
    }
    passes
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
    fn interleaved_passes_see_every_item_once_per_lane_in_order() {
        let items: Vec<usize> = (0..10).collect();
        let mut seen_a = Vec::new();
        let mut seen_b = Vec::new();
        let passes = {
            let mut lanes: Vec<Lane<'_, usize>> = vec![
                Box::new(|x: &usize| {
                    seen_a.push(*x);
                    1
                }),
                Box::new(|x: &usize| {
                    seen_b.push(*x);
                    usize::from(*x % 2 == 0)
                }),
            ];
            interleaved_passes(&items, 3, &mut lanes)
        };
        assert_eq!(seen_a, items);
        assert_eq!(seen_b, items);
        assert_eq!((passes[0].events, passes[0].matches), (10, 10));
        assert_eq!((passes[1].events, passes[1].matches), (10, 5));
    }

    #[test]
    fn interleaved_loops_run_every_lane_every_round() {
        let pool = [1usize, 2, 3];
        let mut lanes: Vec<Lane<'_, usize>> = vec![Box::new(|_: &usize| 1), Box::new(|x: &usize| usize::from(*x == 2))];
        let passes = interleaved_loops(&pool, Duration::ZERO, 4, &mut lanes);
        for p in &passes {
            assert!(p.events >= 4, "at least one operation per round: {p:?}");
        }
        assert_eq!(passes[0].matches, passes[0].events as u64);
        assert!(passes[1].matches <= passes[1].events as u64);
    }

    #[test]
    fn thousands_separators() {
        assert_eq!(thousands(0.0), "0");
        assert_eq!(thousands(999.4), "999");
        assert_eq!(thousands(1000.0), "1,000");
        assert_eq!(thousands(1234567.8), "1,234,568");
    }
}
