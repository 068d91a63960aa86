//! The reports of a stop (the runner loop drains in-flight tasks within the deadline and releases the
//! rest).

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
