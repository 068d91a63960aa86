//! FIFO message groups: messages of one `MessageGroupId` leave the queue in order, and a group is held
//! while any of its messages is in flight.
//!
//! Each group keeps the slots of its messages in send order, in-flight ones included (they stay at the
//! front until deleted). A group is *ready* when nothing of it is in flight and its first message is
//! visible; ready groups wait in a deque, tagged with the group's generation so that an entry of a freed
//! and reused group index is recognised as stale.

use std::collections::{HashMap, VecDeque};

#[derive(Debug, Default)]
struct Group {
    key: Box<str>,
    msgs: VecDeque<u32>,
    in_flight: u32,
    queued: bool,
    live: bool,
    gen: u32,
}

/// The message groups of one FIFO queue.
#[derive(Debug, Default)]
pub(crate) struct Groups {
    index: HashMap<Box<str>, u32>,
    groups: Vec<Group>,
    free: Vec<u32>,
    ready: VecDeque<(u32, u32)>,
}

impl Groups {
    /// Appends `slot` to the group `key` (created if needed); returns the group's index.
    pub(crate) fn join(&mut self, key: &str, slot: u32) -> u32 {
        let g = match self.index.get(key) {
            Some(&g) => g,
            None => {
                let g = match self.free.pop() {
                    Some(g) => g,
                    None => {
                        self.groups.push(Group::default());
                        (self.groups.len() - 1) as u32
                    }
                };
                let group = &mut self.groups[g as usize];
                group.key = key.into();
                group.live = true;
                group.gen = group.gen.wrapping_add(1);
                group.in_flight = 0;
                group.queued = false;
                group.msgs.clear();
                self.index.insert(key.into(), g);
                g
            }
        };
        self.groups[g as usize].msgs.push_back(slot);
        g
    }

    /// Removes `slot` from group `g`; frees the group when it becomes empty. Returns whether the group
    /// still exists.
    pub(crate) fn leave(&mut self, g: u32, slot: u32, was_in_flight: bool) -> bool {
        let Some(group) = self.groups.get_mut(g as usize).filter(|gr| gr.live) else {
            return false;
        };
        if let Some(pos) = group.msgs.iter().position(|&s| s == slot) {
            group.msgs.remove(pos);
        }
        if was_in_flight {
            group.in_flight = group.in_flight.saturating_sub(1);
        }
        if group.msgs.is_empty() {
            group.live = false;
            group.queued = false;
            let key = std::mem::take(&mut group.key);
            self.index.remove(&key);
            self.free.push(g);
            return false;
        }
        true
    }

    /// The `i`-th message (slot) of group `g`, in send order.
    pub(crate) fn nth(&self, g: u32, i: usize) -> Option<u32> {
        self.groups.get(g as usize).filter(|gr| gr.live).and_then(|gr| gr.msgs.get(i).copied())
    }

    /// Whether group `g` exists and has nothing in flight.
    pub(crate) fn idle(&self, g: u32) -> bool {
        self.groups.get(g as usize).is_some_and(|gr| gr.live && gr.in_flight == 0)
    }

    /// Counts one more (`true`) or one fewer (`false`) in-flight message of group `g`.
    pub(crate) fn set_in_flight(&mut self, g: u32, more: bool) {
        if let Some(group) = self.groups.get_mut(g as usize) {
            group.in_flight = if more { group.in_flight + 1 } else { group.in_flight.saturating_sub(1) };
        }
    }

    /// Queues group `g` as ready unless it already is; the caller checked that it is idle with a visible
    /// first message. Returns whether it was queued now.
    pub(crate) fn queue(&mut self, g: u32) -> bool {
        match self.groups.get_mut(g as usize) {
            Some(group) if group.live && !group.queued && group.in_flight == 0 => {
                group.queued = true;
                self.ready.push_back((g, group.gen));
                true
            }
            _ => false,
        }
    }

    /// The next ready group, if any (stale entries are skipped).
    pub(crate) fn pop_ready(&mut self) -> Option<u32> {
        while let Some((g, gen)) = self.ready.pop_front() {
            if let Some(group) = self.groups.get_mut(g as usize) {
                if group.live && group.gen == gen && group.queued {
                    group.queued = false;
                    return Some(g);
                }
            }
        }
        None
    }

    /// Whether some group may be ready.
    pub(crate) fn has_ready(&self) -> bool {
        !self.ready.is_empty()
    }

    /// Number of groups holding messages.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.index.len()
    }

    /// Forgets every group.
    pub(crate) fn clear(&mut self) {
        for group in &mut self.groups {
            if group.live {
                group.live = false;
                group.queued = false;
                group.msgs.clear();
                group.key = Box::from("");
            }
        }
        self.free = (0..self.groups.len() as u32).rev().collect();
        self.index.clear();
        self.ready.clear();
    }

    /// Approximate bytes held by the group structures.
    pub(crate) fn heap_bytes(&self) -> usize {
        self.groups.capacity() * std::mem::size_of::<Group>()
            + self.groups.iter().map(|g| g.msgs.capacity() * 4 + g.key.len() * 2 + 48).sum::<usize>()
            + self.ready.capacity() * 8
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_queue_once_and_free_when_empty() {
        let mut gs = Groups::default();
        let a = gs.join("a", 1);
        assert_eq!(gs.join("a", 2), a);
        let b = gs.join("b", 3);
        assert_ne!(a, b);
        assert!(gs.queue(a));
        assert!(!gs.queue(a), "already queued");
        assert!(gs.queue(b));
        assert_eq!(gs.pop_ready(), Some(a));
        gs.set_in_flight(a, true);
        assert!(!gs.idle(a));
        assert!(!gs.queue(a), "a group with a message in flight is held");
        assert!(gs.leave(a, 1, true));
        assert!(gs.idle(a));
        assert_eq!(gs.nth(a, 0), Some(2));
        assert!(!gs.leave(b, 3, false), "b is empty and freed");
        assert_eq!(gs.pop_ready(), None, "b's ready entry is stale");
        let c = gs.join("c", 4);
        assert_eq!(c, b, "index reused");
        assert_eq!(gs.len(), 2);
    }
}
