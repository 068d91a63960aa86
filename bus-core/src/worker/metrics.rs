//! Counters of the runtime, per queue and in total, readable through a [`MetricsSnapshot`].

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::Relaxed};
use std::sync::Arc;

macro_rules! counters {
    ($( $(#[$doc:meta])* $name:ident ),* $(,)?) => {
        /// Counter values of one queue, or of all queues added up.
        ///
        /// Every received message ends in exactly one of `completed`, `retried`, `failed`, `ignored`
        /// and `released` (once its task has finished).
        #[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
        #[non_exhaustive]
        pub struct Counters {
            $( $(#[$doc])* pub $name: u64, )*
        }

        #[derive(Debug, Default)]
        pub(crate) struct AtomicCounters {
            $( pub(crate) $name: AtomicU64, )*
        }

        impl AtomicCounters {
            fn snapshot(&self) -> Counters {
                Counters { $( $name: self.$name.load(Relaxed), )* }
            }
        }

        impl std::ops::AddAssign for Counters {
            fn add_assign(&mut self, other: Counters) {
                $( self.$name += other.$name; )*
            }
        }
    };
}

counters! {
    /// Messages received.
    received,
    /// Tasks whose handler returned `Complete` (the message is then deleted).
    completed,
    /// Tasks whose handler returned `RetryAfter`.
    retried,
    /// Tasks that failed: handler errors, panics, undecodable bodies and abandoned tasks.
    failed,
    /// Failed tasks whose handler panicked (a subset of `failed`).
    panicked,
    /// Failed tasks whose body is not an event (a subset of `failed`).
    undecodable,
    /// Failed tasks given up because their visibility could not be extended (a subset of `failed`).
    abandoned,
    /// Failed tasks on their last receive (`receive_count >= maxReceiveCount`): the redrive moves
    /// their message to the dead-letter queue.
    dead_lettered,
    /// Events of a type no handler takes: acknowledged and ignored.
    ignored,
    /// Messages deleted.
    acked,
    /// Deletes that failed (the message will be redelivered).
    ack_failed,
    /// Messages released (visibility 0) because their handler had not finished by a shutdown deadline.
    released,
    /// `TASK_WORKER_FAILED` events published.
    failure_events,
    /// `TASK_WORKER_FAILED` events that could not be published.
    failure_event_errors,
    /// Visibility extensions of running handlers (heartbeats).
    visibility_extended,
    /// Visibility changes (retry delays, backoffs, releases) that failed.
    visibility_errors,
    /// Receive calls that failed.
    receive_errors,
    /// Handlers run in a Tokio task of their own (with [`Execution::Spawned`](super::Execution::Spawned),
    /// or once an adaptive runner has switched); the others ran inside their runner's task.
    spawned,
}

/// A gauge's value: how many now, and the most ever at once.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GaugeValue {
    /// Now.
    pub current: usize,
    /// The highest value seen.
    pub peak: usize,
}

#[derive(Debug, Default)]
pub(crate) struct Gauge {
    current: AtomicUsize,
    peak: AtomicUsize,
}

impl Gauge {
    pub(crate) fn add(&self, n: usize) {
        if n > 0 {
            let now = self.current.fetch_add(n, Relaxed) + n;
            self.peak.fetch_max(now, Relaxed);
        }
    }

    pub(crate) fn sub(&self, n: usize) {
        if n > 0 {
            self.current.fetch_sub(n, Relaxed);
        }
    }

    fn value(&self) -> GaugeValue {
        GaugeValue { current: self.current.load(Relaxed), peak: self.peak.load(Relaxed) }
    }
}

/// The live metrics of one queue runner.
#[derive(Debug, Default)]
pub(crate) struct QueueMetrics {
    pub(crate) counters: AtomicCounters,
    pub(crate) in_flight: Gauge,
}

/// The live metrics of a pool: one set per queue and a global in-flight gauge.
#[derive(Debug, Default)]
pub(crate) struct Metrics {
    queues: BTreeMap<String, Arc<QueueMetrics>>,
    pub(crate) in_flight: Arc<Gauge>,
}

impl Metrics {
    pub(crate) fn new<'a>(queues: impl IntoIterator<Item = &'a str>) -> Self {
        Metrics {
            queues: queues.into_iter().map(|q| (q.to_owned(), Arc::default())).collect(),
            in_flight: Arc::default(),
        }
    }

    pub(crate) fn queue(&self, name: &str) -> Option<Arc<QueueMetrics>> {
        self.queues.get(name).cloned()
    }

    pub(crate) fn snapshot(&self) -> MetricsSnapshot {
        let mut snap = MetricsSnapshot { in_flight: self.in_flight.value(), ..MetricsSnapshot::default() };
        for (name, q) in &self.queues {
            let counters = q.counters.snapshot();
            snap.total += counters;
            snap.queues.insert(name.clone(), counters);
            snap.queue_in_flight.insert(name.clone(), q.in_flight.value());
        }
        snap
    }
}

/// Adds one to a counter.
pub(crate) fn inc(counter: &AtomicU64) {
    counter.fetch_add(1, Relaxed);
}

/// Adds `n` to a counter.
pub(crate) fn add(counter: &AtomicU64, n: usize) {
    if n > 0 {
        counter.fetch_add(n as u64, Relaxed);
    }
}

/// A point-in-time copy of a pool's metrics.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MetricsSnapshot {
    /// All queues added up.
    pub total: Counters,
    /// Per queue.
    pub queues: BTreeMap<String, Counters>,
    /// Handlers running over all queues (`peak`: the most at once, never above the global cap).
    pub in_flight: GaugeValue,
    /// Handlers running per queue (`peak` never above the queue's cap).
    pub queue_in_flight: BTreeMap<String, GaugeValue>,
}

impl MetricsSnapshot {
    /// The counters of `queue` (all zero for a queue the pool does not run).
    pub fn queue(&self, queue: &str) -> Counters {
        self.queues.get(queue).copied().unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snapshot_adds_up_queues_and_tracks_peaks() {
        let m = Metrics::new(["a", "b"]);
        let a = m.queue("a").unwrap();
        let b = m.queue("b").unwrap();
        inc(&a.counters.received);
        inc(&a.counters.completed);
        inc(&b.counters.received);
        inc(&b.counters.failed);
        a.in_flight.add(1);
        a.in_flight.add(2);
        a.in_flight.sub(1);
        a.in_flight.add(0);
        let snap = m.snapshot();
        assert_eq!(snap.total.received, 2);
        assert_eq!(snap.queue("a").completed, 1);
        assert_eq!(snap.queue("b").failed, 1);
        assert_eq!(snap.queue("zzz"), Counters::default());
        assert_eq!(snap.queue_in_flight["a"], GaugeValue { current: 2, peak: 3 });
        assert!(m.queue("c").is_none());
    }
}
