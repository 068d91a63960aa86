//! Deadline-ordered timers for delayed and in-flight messages and for retention.
//!
//! Most deadlines arrive in non-decreasing order (same visibility timeout, same retention, queue delay),
//! so they are appended to a deque in O(1); the few that arrive out of order go to a binary heap. The
//! earliest deadline is the smaller of the two fronts. Entries are never removed eagerly: each carries a
//! tag (a version) that the owner checks when it pops, and [`Timers::retain`] compacts when stale entries
//! pile up.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

use crate::clock::Nanos;

/// One timer: at `at`, look at `slot` if its tag still is `tag`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Timer {
    /// The deadline.
    pub at: Nanos,
    /// The storage slot.
    pub slot: u32,
    /// The slot's version (or generation) when the timer was set.
    pub tag: u32,
}

/// A set of timers; see the module docs.
#[derive(Debug, Default)]
pub(crate) struct Timers {
    sorted: VecDeque<Timer>,
    heap: BinaryHeap<Reverse<Timer>>,
}

impl Timers {
    /// Adds a timer. Returns whether it is now the earliest one.
    pub(crate) fn push(&mut self, t: Timer) -> bool {
        let earliest = self.next_at().is_none_or(|at| t.at < at);
        if self.sorted.back().is_none_or(|b| b.at <= t.at) {
            self.sorted.push_back(t);
        } else {
            self.heap.push(Reverse(t));
        }
        earliest
    }

    /// The earliest deadline, stale or not.
    pub(crate) fn next_at(&self) -> Option<Nanos> {
        match (self.sorted.front(), self.heap.peek()) {
            (Some(a), Some(Reverse(b))) => Some(a.at.min(b.at)),
            (Some(a), None) => Some(a.at),
            (None, Some(Reverse(b))) => Some(b.at),
            (None, None) => None,
        }
    }

    /// Removes and returns the earliest timer if it is due at `now`.
    pub(crate) fn pop_due(&mut self, now: Nanos) -> Option<Timer> {
        let from_heap = match (self.sorted.front(), self.heap.peek()) {
            (Some(a), Some(Reverse(b))) => b.at < a.at,
            (None, Some(_)) => true,
            _ => false,
        };
        if from_heap {
            let Reverse(t) = self.heap.peek()?;
            if t.at <= now {
                return self.heap.pop().map(|Reverse(t)| t);
            }
            None
        } else {
            let t = self.sorted.front()?;
            if t.at <= now {
                return self.sorted.pop_front();
            }
            None
        }
    }

    /// Drops stale timers at the front, so that [`Timers::next_at`] is a live deadline.
    pub(crate) fn drop_stale_front(&mut self, mut live: impl FnMut(&Timer) -> bool) {
        while self.sorted.front().is_some_and(|t| !live(t)) {
            self.sorted.pop_front();
        }
        while self.heap.peek().is_some_and(|Reverse(t)| !live(t)) {
            self.heap.pop();
        }
    }

    /// Number of timers held, stale ones included.
    pub(crate) fn len(&self) -> usize {
        self.sorted.len() + self.heap.len()
    }

    /// Keeps only the timers for which `live` holds.
    pub(crate) fn retain(&mut self, mut live: impl FnMut(&Timer) -> bool) {
        self.sorted.retain(&mut live);
        self.heap.retain(|Reverse(t)| live(t));
    }

    /// Compacts when stale timers outnumber `live_count` (amortised O(1) per timer).
    pub(crate) fn compact_if_needed(&mut self, live_count: usize, live: impl FnMut(&Timer) -> bool) {
        if self.len() > 2 * live_count + 1024 {
            self.retain(live);
        }
    }

    /// Removes every timer.
    pub(crate) fn clear(&mut self) {
        self.sorted.clear();
        self.heap.clear();
    }

    /// Bytes of timer storage allocated.
    pub(crate) fn capacity_bytes(&self) -> usize {
        (self.sorted.capacity() + self.heap.capacity()) * std::mem::size_of::<Timer>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(at: Nanos, slot: u32) -> Timer {
        Timer { at, slot, tag: 0 }
    }

    #[test]
    fn pops_in_deadline_order_across_deque_and_heap() {
        let mut ts = Timers::default();
        assert!(ts.push(t(10, 1)));
        assert!(!ts.push(t(20, 2)));
        assert!(ts.push(t(5, 3)), "out of order goes to the heap and is earliest");
        assert!(!ts.push(t(15, 4)));
        assert_eq!(ts.next_at(), Some(5));
        assert_eq!(ts.pop_due(4), None);
        let order: Vec<u32> = std::iter::from_fn(|| ts.pop_due(100)).map(|t| t.slot).collect();
        assert_eq!(order, vec![3, 1, 4, 2]);
        assert_eq!(ts.len(), 0);
    }

    #[test]
    fn stale_fronts_and_compaction() {
        let mut ts = Timers::default();
        for i in 0..3000 {
            ts.push(t(i, i as u32));
        }
        ts.drop_stale_front(|t| t.slot >= 10);
        assert_eq!(ts.next_at(), Some(10));
        ts.compact_if_needed(5, |t| t.slot % 1000 == 0);
        assert_eq!(ts.len(), 2, "slots 1000 and 2000 are left");
        ts.clear();
        assert_eq!(ts.next_at(), None);
    }
}
