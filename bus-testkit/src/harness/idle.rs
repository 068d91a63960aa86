//! Waiting until nothing is left to do, on virtual time; [`NotIdle`] says what was still going on.

use std::fmt;
use std::time::Duration;

use bus_core::backend::QueueStats;
use bus_core::Backend;

use super::assert::line;
use super::error::TestBusError;
use super::TestBus;

/// What was still going on when [`TestBus::wait_until_idle`] gave up.
#[derive(Clone, PartialEq, Eq)]
pub struct NotIdle {
    /// The virtual time waited.
    pub waited: Duration,
    /// The consumed queues that still held messages, with their counts.
    pub busy_queues: Vec<(String, QueueStats)>,
    /// Handlers running.
    pub handlers_in_flight: usize,
    /// Deliveries held back by injected faults.
    pub held_by_faults: usize,
    /// The messages of the busy queues that were never acknowledged, one line each.
    pub unsettled: Vec<String>,
}

impl fmt::Display for NotIdle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "the test bus did not get idle within {:?} of virtual time:", self.waited)?;
        for (queue, s) in &self.busy_queues {
            writeln!(
                f,
                "  queue {queue:?} still holds {} message(s): {} visible, {} in flight, {} delayed",
                s.total(),
                s.visible,
                s.in_flight,
                s.delayed
            )?;
        }
        if self.handlers_in_flight > 0 {
            writeln!(f, "  {} handler(s) still running", self.handlers_in_flight)?;
        }
        if self.held_by_faults > 0 {
            writeln!(f, "  {} delivery(ies) held back by injected faults", self.held_by_faults)?;
        }
        if !self.unsettled.is_empty() {
            writeln!(f, "  messages not acknowledged yet:")?;
            for u in &self.unsettled {
                writeln!(f, "    - {u}")?;
            }
        }
        write!(
            f,
            "  (a handler that never succeeds on a queue without a dead-letter queue, or a handler that never \
             returns, keeps the bus busy; raise the limit with TestBusBuilder::idle_timeout)"
        )
    }
}

impl fmt::Debug for NotIdle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl TestBus {
    /// Waits, on virtual time, until the bus is idle: every consumed queue (with a handler or read by
    /// the bus itself) is empty — nothing visible, in flight or delayed — no handler is running and no
    /// injected fault holds a delivery back. Retries, backoffs and redrives run their course meanwhile.
    ///
    /// Returns the virtual time it took; fails with [`TestBusError::NotIdle`] (which lists what was
    /// still going on) after the builder's `idle_timeout` (default 1 hour of virtual time).
    pub async fn wait_until_idle(&self) -> Result<Duration, TestBusError> {
        let start = tokio::time::Instant::now();
        loop {
            let busy = self.busy_queues().await?;
            let in_flight = self.handlers_in_flight();
            let held = self.held_by_faults();
            if busy.is_empty() && in_flight == 0 && held == 0 {
                // Let anything that was just woken run, then look once more.
                tokio::task::yield_now().await;
                if self.busy_queues().await?.is_empty() && self.handlers_in_flight() == 0 && self.held_by_faults() == 0
                {
                    return Ok(start.elapsed());
                }
            }
            if start.elapsed() >= self.idle_timeout {
                return Err(self.not_idle(start.elapsed(), busy, in_flight, held));
            }
            tokio::time::sleep(self.idle_poll).await;
        }
    }

    async fn busy_queues(&self) -> Result<Vec<(String, QueueStats)>, TestBusError> {
        let mut busy = Vec::new();
        for queue in &self.consumed {
            let stats = self.memory.queue_stats(queue).await?;
            if stats.total() > 0 {
                busy.push((queue.clone(), stats));
            }
        }
        Ok(busy)
    }

    fn handlers_in_flight(&self) -> usize {
        self.pool.as_ref().map_or(0, |p| p.in_flight())
    }

    fn held_by_faults(&self) -> usize {
        self.faulty.as_ref().map_or(0, |f| f.pending())
    }

    fn not_idle(
        &self,
        waited: Duration,
        busy_queues: Vec<(String, QueueStats)>,
        handlers_in_flight: usize,
        held_by_faults: usize,
    ) -> TestBusError {
        let records = self.records();
        let unsettled = busy_queues
            .iter()
            .flat_map(|(q, _)| records.queue(q).iter().filter(|m| !m.acked))
            .map(|m| format!("queue {:?}: {}", m.queue, line(m)))
            .collect();
        TestBusError::NotIdle(Box::new(NotIdle { waited, busy_queues, handlers_in_flight, held_by_faults, unsettled }))
    }
}
