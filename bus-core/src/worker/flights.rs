//! [`Flights`]: the handlers of one runner loop that did not finish at once, with their visibility
//! heartbeats and cancellation graces, in O(1) per task and without a timer per task.
//!
//! A handler that completes on its first poll never gets here. One that waits is given a slot (a
//! reused entry of a slab) and is linked into one of two lists ordered by deadline:
//!
//! - the *heartbeat* list: running handlers, by the instant their message's visibility is next to be
//!   extended. Tasks are received in time order and all share the queue's heartbeat interval, so a new
//!   task goes to the tail; a task whose visibility was extended goes back in from the tail too;
//! - the *grace* list: cancelled handlers (their visibility could not be extended), by the end of their
//!   grace period.
//!
//! The runner loop keeps a single timer armed at [`next_deadline`](Flights::next_deadline), and on
//! each tick takes the due entries from the fronts.

use std::sync::Arc;

use tokio::time::Instant;
use tracing::Span;

use super::task::{Received, TaskInfo};

const NIL: u32 = u32::MAX;

/// Identifies a slot and the task that holds it (slots are reused; the generation tells tasks apart).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Key {
    index: u32,
    generation: u32,
}

/// Where a waiting handler stands.
#[derive(Debug)]
pub(crate) enum Phase {
    /// Running, its message kept invisible by the heartbeat.
    Running,
    /// Cancelled because its visibility could not be extended (the error); in its grace period.
    Cancelled(String),
    /// Cancelled by a stop's deadline: its message is released unless it has finished after all.
    Stopped,
}

/// A task whose handler is waiting.
#[derive(Debug)]
pub(crate) struct Flight {
    pub(crate) received: Arc<Received>,
    pub(crate) info: Option<Arc<TaskInfo>>,
    pub(crate) span: Span,
    pub(crate) received_at: Instant,
    pub(crate) phase: Phase,
    /// The next heartbeat (running) or the end of the grace period (cancelled).
    due: Instant,
}

impl Flight {
    /// A running task.
    pub(crate) fn new(received: Arc<Received>, info: Option<Arc<TaskInfo>>, span: Span, received_at: Instant) -> Self {
        Flight { received, info, span, received_at, phase: Phase::Running, due: received_at }
    }

    /// Its next heartbeat (running) or the end of its grace period (cancelled).
    pub(crate) fn due(&self) -> Instant {
        self.due
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum List {
    None,
    Heartbeat,
    Grace,
}

#[derive(Debug)]
struct Entry {
    generation: u32,
    prev: u32,
    next: u32,
    list: List,
    flight: Option<Flight>,
}

#[derive(Debug, Clone, Copy)]
struct Ends {
    head: u32,
    tail: u32,
}

impl Default for Ends {
    fn default() -> Self {
        Ends { head: NIL, tail: NIL }
    }
}

/// The waiting handlers of a runner loop.
#[derive(Debug, Default)]
pub(crate) struct Flights {
    entries: Vec<Entry>,
    free: Vec<u32>,
    len: usize,
    heartbeat: Ends,
    grace: Ends,
}

impl Flights {
    /// Waiting handlers.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Adds a running task; with `heartbeat_at`, it is due for a visibility extension then.
    pub(crate) fn insert(&mut self, mut flight: Flight, heartbeat_at: Option<Instant>) -> Key {
        let list = match heartbeat_at {
            Some(at) => {
                flight.due = at;
                List::Heartbeat
            }
            None => List::None,
        };
        let index = match self.free.pop() {
            Some(i) => {
                let e = &mut self.entries[i as usize];
                e.flight = Some(flight);
                i
            }
            None => {
                let i = u32::try_from(self.entries.len()).expect("fewer than 2^32 handlers in flight");
                self.entries.push(Entry {
                    generation: 0,
                    prev: NIL,
                    next: NIL,
                    list: List::None,
                    flight: Some(flight),
                });
                i
            }
        };
        self.len += 1;
        if list != List::None {
            self.link_sorted(index, list);
        }
        Key { index, generation: self.entries[index as usize].generation }
    }

    fn live(&self, key: Key) -> Option<&Entry> {
        self.entries.get(key.index as usize).filter(|e| e.generation == key.generation && e.flight.is_some())
    }

    /// The task of `key`, if it is still waiting.
    pub(crate) fn get(&self, key: Key) -> Option<&Flight> {
        self.live(key).and_then(|e| e.flight.as_ref())
    }

    /// Removes the task of `key` (its handler has ended).
    pub(crate) fn remove(&mut self, key: Key) -> Option<Flight> {
        self.live(key)?;
        self.unlink(key.index);
        let e = &mut self.entries[key.index as usize];
        e.generation = e.generation.wrapping_add(1);
        self.free.push(key.index);
        self.len -= 1;
        e.flight.take()
    }

    /// The earliest heartbeat or grace end.
    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        let due = |ends: Ends| self.entries.get(ends.head as usize).and_then(|e| e.flight.as_ref()).map(|f| f.due);
        match (due(self.heartbeat), due(self.grace)) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Takes the front of the heartbeat list if it is due at `now`: the caller extends its visibility
    /// and then calls [`reschedule`](Self::reschedule) or [`cancel`](Self::cancel).
    pub(crate) fn pop_due_heartbeat(&mut self, now: Instant) -> Option<(Key, &Flight)> {
        self.pop_due(List::Heartbeat, now)
    }

    /// Takes the front of the grace list if its grace period has ended at `now`.
    pub(crate) fn pop_due_grace(&mut self, now: Instant) -> Option<(Key, &Flight)> {
        self.pop_due(List::Grace, now)
    }

    fn pop_due(&mut self, list: List, now: Instant) -> Option<(Key, &Flight)> {
        let head = self.ends(list).head;
        let due = self.entries.get(head as usize)?.flight.as_ref()?.due;
        if due > now {
            return None;
        }
        self.unlink(head);
        let e = &self.entries[head as usize];
        Some((Key { index: head, generation: e.generation }, e.flight.as_ref()?))
    }

    /// Puts a running task back into the heartbeat list, due at `at`.
    pub(crate) fn reschedule(&mut self, key: Key, at: Instant) {
        if self.live(key).is_none() {
            return;
        }
        self.unlink(key.index);
        if let Some(f) = self.entries[key.index as usize].flight.as_mut() {
            f.due = at;
        }
        self.link_sorted(key.index, List::Heartbeat);
    }

    /// Marks a task cancelled (its heartbeat failed with `error`): no more heartbeats, and its handler
    /// is dropped at `grace_until` unless it ends first. Fires its cancellation token.
    pub(crate) fn cancel(&mut self, key: Key, error: String, grace_until: Instant) -> bool {
        if !self.get(key).is_some_and(|f| matches!(f.phase, Phase::Running)) {
            return false;
        }
        self.unlink(key.index);
        let Some(f) = self.entries[key.index as usize].flight.as_mut() else { return false };
        f.received.cancel.cancel();
        f.phase = Phase::Cancelled(error);
        f.due = grace_until;
        self.link_sorted(key.index, List::Grace);
        true
    }

    /// A stop's deadline passed: fires the token of every running task and marks it stopped (its
    /// message is to be released). Cancelled tasks keep their phase. No more heartbeats or graces.
    pub(crate) fn stop_all(&mut self) {
        for i in 0..self.entries.len() {
            self.unlink(i as u32);
            if let Some(f) = self.entries[i].flight.as_mut() {
                if matches!(f.phase, Phase::Running) {
                    f.received.cancel.cancel();
                    f.phase = Phase::Stopped;
                }
            }
        }
    }

    fn ends(&mut self, list: List) -> &mut Ends {
        match list {
            List::Grace => &mut self.grace,
            List::Heartbeat | List::None => &mut self.heartbeat,
        }
    }

    fn unlink(&mut self, index: u32) {
        let e = &mut self.entries[index as usize];
        let (list, prev, next) = (e.list, e.prev, e.next);
        if list == List::None {
            return;
        }
        e.list = List::None;
        e.prev = NIL;
        e.next = NIL;
        match prev {
            NIL => self.ends(list).head = next,
            p => self.entries[p as usize].next = next,
        }
        match next {
            NIL => self.ends(list).tail = prev,
            n => self.entries[n as usize].prev = prev,
        }
    }

    /// Links `index` into `list` after the last entry due no later than it (from the tail: O(1) when
    /// deadlines arrive in order, as they nearly always do).
    fn link_sorted(&mut self, index: u32, list: List) {
        let due = self.entries[index as usize].flight.as_ref().map(|f| f.due);
        let mut after = self.ends(list).tail;
        while after != NIL {
            let e = &self.entries[after as usize];
            if e.flight.as_ref().map(|f| f.due) <= due {
                break;
            }
            after = e.prev;
        }
        let next = match after {
            NIL => std::mem::replace(&mut self.ends(list).head, index),
            a => std::mem::replace(&mut self.entries[a as usize].next, index),
        };
        match next {
            NIL => self.ends(list).tail = index,
            n => self.entries[n as usize].prev = index,
        }
        let e = &mut self.entries[index as usize];
        e.list = list;
        e.prev = after;
        e.next = next;
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, SystemTime};

    use super::*;
    use crate::backend::{Delivery, ReceiptHandle};
    use crate::worker::CancellationToken;

    fn flight(at: Instant) -> Flight {
        let now = SystemTime::now();
        let d = Delivery::from_queue_body(
            "m".into(),
            ReceiptHandle("r".into()),
            1,
            now,
            now,
            "{}".into(),
            Default::default(),
        );
        let received = Received { queue: "q".into(), delivery: d, cancel: CancellationToken::new() };
        Flight::new(Arc::new(received), None, Span::none(), at)
    }

    fn drain_due(f: &mut Flights, now: Instant) -> Vec<Key> {
        std::iter::from_fn(|| f.pop_due_heartbeat(now).map(|(k, _)| k)).collect()
    }

    #[tokio::test(start_paused = true)]
    async fn heartbeats_come_due_in_order_and_slots_are_reused() {
        let t0 = Instant::now();
        let s = Duration::from_secs;
        let mut f = Flights::default();
        let a = f.insert(flight(t0), Some(t0 + s(15)));
        let b = f.insert(flight(t0), Some(t0 + s(16)));
        let c = f.insert(flight(t0), Some(t0 + s(14))); // out of order: sorted in from the tail
        let d = f.insert(flight(t0), None); // no heartbeat
        assert_eq!(f.len(), 4);
        assert_eq!(f.next_deadline(), Some(t0 + s(14)));
        assert!(drain_due(&mut f, t0 + s(13)).is_empty());
        assert_eq!(drain_due(&mut f, t0 + s(15)), [c, a]);
        f.reschedule(a, t0 + s(30));
        f.reschedule(c, t0 + s(29));
        assert_eq!(f.next_deadline(), Some(t0 + s(16)));
        assert!(f.remove(b).is_some());
        assert!(f.remove(b).is_none(), "removed once");
        assert_eq!(f.next_deadline(), Some(t0 + s(29)));
        // b's slot is reused with a new generation: the old key no longer reaches it.
        let e = f.insert(flight(t0), Some(t0 + s(31)));
        assert_eq!(e.index, b.index);
        assert_ne!(e, b);
        assert!(f.get(b).is_none() && f.get(e).is_some());
        assert_eq!(drain_due(&mut f, t0 + s(100)), [c, a, e]);
        assert!(f.get(d).is_some());
        assert_eq!(f.len(), 4);
    }

    #[tokio::test(start_paused = true)]
    async fn cancelled_tasks_leave_the_heartbeats_for_their_grace() {
        let t0 = Instant::now();
        let s = Duration::from_secs;
        let mut f = Flights::default();
        let a = f.insert(flight(t0), Some(t0 + s(15)));
        let b = f.insert(flight(t0), Some(t0 + s(15)));
        let (key, first) = f.pop_due_heartbeat(t0 + s(15)).unwrap();
        assert_eq!(key, a);
        let token = first.received.cancel.clone();
        assert!(f.cancel(a, "gone".into(), t0 + s(20)));
        assert!(token.is_cancelled());
        assert!(!f.cancel(a, "twice".into(), t0 + s(21)), "cancelled once");
        assert!(matches!(&f.get(a).unwrap().phase, Phase::Cancelled(e) if e == "gone"));
        assert_eq!(f.next_deadline(), Some(t0 + s(15)), "b's heartbeat");
        f.reschedule(b, t0 + s(30));
        assert_eq!(f.next_deadline(), Some(t0 + s(20)), "a's grace");
        assert!(f.pop_due_grace(t0 + s(19)).is_none());
        assert_eq!(f.pop_due_grace(t0 + s(20)).map(|(k, _)| k), Some(a));
        f.stop_all();
        assert!(matches!(f.get(b).unwrap().phase, Phase::Stopped));
        assert!(f.get(b).unwrap().received.cancel.is_cancelled());
        assert!(matches!(f.get(a).unwrap().phase, Phase::Cancelled(_)), "a cancelled task stays cancelled");
        assert_eq!(f.next_deadline(), None, "no more timers after a stop");
    }
}
