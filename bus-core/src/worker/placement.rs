//! [`Placement`]: where a runner loop runs its handlers ([`Execution`]), and the measurement by which
//! an adaptive loop decides to spawn them.

use std::time::{Duration, Instant};

use super::config::Execution;

/// Slow measurements in a row after which an adaptive loop spawns its handlers.
const SLOW_STREAK: u32 = 3;
/// An adaptive loop measures one receive batch (or round of handler polls) in this many.
const MEASURE_EVERY: u32 = 4;

/// Where a runner loop runs its handlers now.
#[derive(Debug)]
pub(crate) struct Placement {
    spawn: bool,
    /// While adaptive and not yet spawning: how long handler code may hold the loop per task.
    limit: Option<Duration>,
    streak: u32,
    tick: u32,
}

impl Placement {
    pub(crate) fn new(execution: Execution) -> Self {
        let (spawn, limit) = match execution {
            Execution::InRunner => (false, None),
            Execution::Spawned => (true, None),
            Execution::Adaptive(limit) => (false, Some(limit)),
        };
        Placement { spawn, limit, streak: 0, tick: 0 }
    }

    /// Whether handlers are spawned (rather than run in the loop's task).
    pub(crate) fn spawn(&self) -> bool {
        self.spawn
    }

    /// The start of a measurement, when this is one an adaptive loop measures (real time: it is the
    /// thread that handlers hold, whatever the Tokio clock says).
    pub(crate) fn clock(&mut self) -> Option<Instant> {
        self.limit?;
        self.tick = self.tick.wrapping_add(1);
        (self.tick % MEASURE_EVERY == 0).then(Instant::now)
    }

    /// Takes a measurement: `elapsed` for `handled` tasks (a batch started, or a round of handler
    /// polls, the loop's own work included). Handlers that held the loop for longer than the limit
    /// per task, several measurements in a row, are spawned from now on. True when it switches.
    pub(crate) fn measure(&mut self, elapsed: Option<Duration>, handled: usize) -> bool {
        let (Some(elapsed), Some(limit)) = (elapsed, self.limit) else { return false };
        let per_task = elapsed / u32::try_from(handled.max(1)).unwrap_or(u32::MAX);
        if per_task <= limit {
            // A round that ended no handler says little (maybe nothing was polled): no evidence.
            if handled > 0 {
                self.streak = 0;
            }
            return false;
        }
        self.streak += 1;
        if self.streak < SLOW_STREAK {
            return false;
        }
        self.spawn = true;
        self.limit = None;
        true
    }

    /// The adaptive limit, while the loop may still switch.
    pub(crate) fn limit(&self) -> Option<Duration> {
        self.limit
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: fn(u64) -> Duration = Duration::from_millis;

    #[test]
    fn fixed_placements_never_measure() {
        for (execution, spawn) in [(Execution::InRunner, false), (Execution::Spawned, true)] {
            let mut p = Placement::new(execution);
            assert!((0..10).all(|_| p.clock().is_none()));
            assert!(!p.measure(Some(MS(500)), 1));
            assert_eq!(p.spawn(), spawn);
        }
    }

    #[test]
    fn adaptive_switches_after_a_streak_of_slow_tasks() {
        let mut p = Placement::new(Execution::Adaptive(MS(1)));
        let measured = (0..8).filter(|_| p.clock().is_some()).count();
        assert_eq!(measured, 2, "one in four");
        // Per task: 10 tasks in 5 ms are quick; 1 task in 5 ms is slow.
        assert!(!p.measure(Some(MS(5)), 10));
        assert!(!p.measure(Some(MS(5)), 1));
        assert!(!p.measure(Some(MS(5)), 1));
        assert!(!p.measure(Some(MS(3)), 10), "a quick batch breaks the streak");
        assert!(!p.measure(Some(MS(5)), 1));
        assert!(!p.measure(Some(MS(5)), 1));
        assert!(!p.measure(Some(Duration::ZERO), 0), "an empty round is no evidence either way");
        assert!(!p.spawn());
        assert!(p.measure(Some(MS(5)), 1), "third slow one in a row");
        assert!(p.spawn());
        assert_eq!(p.limit(), None);
        assert!(p.clock().is_none(), "no more measuring once spawning");
    }
}
