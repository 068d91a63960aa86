//! Stopping: drain in-flight tasks within a deadline, release the rest; the reports of a stop.

use std::sync::atomic::Ordering::Relaxed;

use tokio::time::Instant;

use super::cancel::CancellationToken;
use super::runner::Runner;
use super::tracker::Tracker;

/// What stopping one queue's runner did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunnerReport {
    /// The queue.
    pub queue: String,
    /// Whether the runner was running when the stop was asked.
    pub was_running: bool,
    /// Tasks in flight when the runner stopped receiving.
    pub in_flight: usize,
    /// Tasks whose handler had not finished by the deadline: their messages were released (visibility 0).
    pub released: u64,
}

/// What a pool's shutdown did, per queue.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ShutdownReport {
    /// One report per queue, in queue-name order.
    pub queues: Vec<RunnerReport>,
}

impl ShutdownReport {
    /// Tasks in flight when the runners stopped receiving, over all queues.
    pub fn in_flight(&self) -> usize {
        self.queues.iter().map(|q| q.in_flight).sum()
    }

    /// Messages released because their handlers missed the deadline, over all queues.
    pub fn released(&self) -> u64 {
        self.queues.iter().map(|q| q.released).sum()
    }
}

/// Waits for `tasks` until `deadline`; then cancels what is left (those tasks drop their handler and
/// release their message) and waits for them to finish releasing.
pub(crate) async fn drain(
    runner: &Runner,
    tasks: &Tracker,
    deadline: Instant,
    hard_stop: &CancellationToken,
) -> RunnerReport {
    let in_flight = tasks.len();
    let released_before = runner.metrics.counters.released.load(Relaxed);
    if in_flight > 0 {
        tracing::info!(queue = %runner.queue, in_flight, "stopping: waiting for in-flight tasks");
    }
    let all_done = tokio::time::timeout_at(deadline, tasks.idle()).await.is_ok();
    if !all_done {
        tracing::warn!(queue = %runner.queue, left = tasks.len(), "stop deadline passed: releasing unfinished tasks");
        hard_stop.cancel();
        tasks.idle().await;
    }
    RunnerReport {
        queue: runner.queue.to_string(),
        was_running: true,
        in_flight,
        released: runner.metrics.counters.released.load(Relaxed) - released_before,
    }
}
