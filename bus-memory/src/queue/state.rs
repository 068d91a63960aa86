//! The state of one queue, behind its lock: stored messages, the ready order, timers, counts.
//!
//! - Messages live in a slab of slots; a slot's `gen` changes when a new message is stored in it, its
//!   `version` on every change of phase. Timers, ready entries and retention entries carry the version (or
//!   generation) they were made for and are skipped when it no longer matches.
//! - A message is `Delayed` (in the timers until it becomes visible), `Visible` (in the ready deque, or
//!   in its FIFO group), or `InFlight` (in the timers until its visibility timeout ends).
//! - Redrive happens at receive: a visible message whose receive count already is `maxReceiveCount` moves
//!   to the dead-letter queue instead of being returned (SQS moves it at the receive that would exceed it).

use std::collections::VecDeque;
use std::sync::{Arc, Weak};
use std::time::Duration;

use bus_core::backend::QueueStats;

use super::fifo::Groups;
use super::timers::{Timer, Timers};
use super::Queue;
use crate::clock::{Nanos, NEVER};
use crate::dedup::Dedup;
use crate::ids::uuid_bits;
use crate::payload::{Payload, Taken};
use crate::receipt::Receipt;

/// SQS's limit of in-flight messages per queue; receives return nothing more while it is reached.
pub(crate) const MAX_IN_FLIGHT: u64 = 120_000;
/// SQS allows one purge per 60 seconds.
const PURGE_INTERVAL: Nanos = 60_000_000_000;
/// Total visibility timeout allowed from a receive.
const MAX_VISIBILITY: Nanos = 43_200_000_000_000;
const NO_GROUP: u32 = u32::MAX;

/// Where a message is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    Delayed,
    Visible,
    InFlight,
}

/// One stored message (one queue's copy).
#[derive(Debug)]
pub(crate) struct Entry {
    pub payload: Arc<Payload>,
    pub message_id: [u64; 2],
    pub seq: u64,
    pub sent: Nanos,
    pub first_received: Nanos,
    pub last_received: Nanos,
    pub count: u32,
    pub group: u32,
    pub sub: u32,
    pub phase: Phase,
    pub enveloped: bool,
}

#[derive(Debug, Default)]
struct Slot {
    version: u32,
    gen: u32,
    entry: Option<Entry>,
}

/// The redrive policy, resolved to the dead-letter queue.
#[derive(Debug, Clone)]
pub(crate) struct Redrive {
    pub dlq: Weak<Queue>,
    pub max_receive_count: u32,
}

/// A queue's attributes.
#[derive(Debug, Clone)]
pub(crate) struct QueueConfig {
    pub visibility: Nanos,
    pub retention: Nanos,
    pub delay: Nanos,
    pub receive_wait: Duration,
    pub redrive: Option<Redrive>,
    pub fifo: bool,
    pub content_dedup: bool,
}

/// A message arriving in a queue.
#[derive(Debug)]
pub(crate) struct Incoming {
    pub payload: Arc<Payload>,
    /// Kept by dead-letter moves; otherwise the queue assigns one.
    pub message_id: Option<[u64; 2]>,
    /// Kept by dead-letter moves into standard queues; otherwise now.
    pub sent: Option<Nanos>,
    pub count: u32,
    pub first_received: Nanos,
    pub sub: u32,
    pub enveloped: bool,
    /// The per-message delay; `None` uses the queue's.
    pub delay: Option<Nanos>,
    /// FIFO: the deduplication id.
    pub dedup_id: Option<String>,
}

/// The outcome of storing a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Enqueued {
    /// Stored, with its id and sequence number.
    Stored { message_id: [u64; 2], seq: u64 },
    /// A duplicate within the deduplication window: accepted, not stored; the first send's id.
    Duplicate { message_id: [u64; 2], seq: u64 },
}

/// What a receive took: deliveries to build, and messages to move to the dead-letter queue.
#[derive(Debug, Default)]
pub(crate) struct Take {
    pub taken: Vec<Taken>,
    pub moved: Vec<Entry>,
}

/// How a receipt handle relates to the message it names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lookup {
    /// The handle of the latest receive.
    Current,
    /// The message was received again since.
    Stale,
    /// The message is not in the queue any more.
    Gone,
}

/// Why a visibility change was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ChangeError {
    Lookup(Lookup),
    NotInFlight,
    TooLong,
}

/// Which waiters to wake after an operation.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Wake {
    /// A message became receivable: wake one waiting receive.
    pub one: bool,
    /// The earliest timer moved earlier: every waiting receive must re-plan its sleep.
    pub all: bool,
}

/// The state of one queue; see the module docs.
#[derive(Debug)]
pub(crate) struct QueueState {
    pub cfg: QueueConfig,
    seed: u64,
    slots: Vec<Slot>,
    free: Vec<u32>,
    ready: VecDeque<(u32, u32)>,
    groups: Groups,
    timers: Timers,
    expiry: Timers,
    visible: u64,
    in_flight: u64,
    delayed: u64,
    next_seq: u64,
    last_purge: Option<Nanos>,
    dedup: Dedup<([u64; 2], u64)>,
    pub wake: Wake,
}

fn live(slots: &[Slot], slot: u32, version: u32) -> bool {
    slots.get(slot as usize).is_some_and(|s| s.version == version && s.entry.is_some())
}

fn alive(slots: &[Slot], slot: u32, gen: u32) -> bool {
    slots.get(slot as usize).is_some_and(|s| s.gen == gen && s.entry.is_some())
}

impl QueueState {
    /// An empty queue.
    pub(crate) fn new(cfg: QueueConfig, seed: u64) -> Self {
        QueueState {
            cfg,
            seed,
            slots: Vec::new(),
            free: Vec::new(),
            ready: VecDeque::new(),
            groups: Groups::default(),
            timers: Timers::default(),
            expiry: Timers::default(),
            visible: 0,
            in_flight: 0,
            delayed: 0,
            next_seq: 1,
            last_purge: None,
            dedup: Dedup::default(),
            wake: Wake::default(),
        }
    }

    /// Replaces the attributes; a changed retention period applies to the messages already stored.
    pub(crate) fn set_config(&mut self, cfg: QueueConfig) {
        let retention_changed = cfg.retention != self.cfg.retention;
        self.cfg = cfg;
        if retention_changed {
            self.expiry.clear();
            for (i, s) in self.slots.iter().enumerate() {
                if let Some(e) = &s.entry {
                    self.expiry.push(Timer {
                        at: e.sent.saturating_add(self.cfg.retention),
                        slot: i as u32,
                        tag: s.gen,
                    });
                }
            }
        }
    }

    /// Stores a message.
    pub(crate) fn enqueue(&mut self, now: Nanos, inc: Incoming) -> Enqueued {
        if self.cfg.fifo {
            if let Some(id) = &inc.dedup_id {
                if let Some((message_id, seq)) = self.dedup.check(now, id) {
                    return Enqueued::Duplicate { message_id, seq };
                }
            }
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        let message_id = inc.message_id.unwrap_or_else(|| uuid_bits(self.seed, seq));
        let sent = inc.sent.unwrap_or(now);
        let delay = inc.delay.unwrap_or(self.cfg.delay);
        let phase = if delay > 0 { Phase::Delayed } else { Phase::Visible };
        let group_key =
            if self.cfg.fifo { Some(inc.payload.message.group_id.clone().unwrap_or_default()) } else { None };
        let entry = Entry {
            payload: inc.payload,
            message_id,
            seq,
            sent,
            first_received: inc.first_received,
            last_received: NEVER,
            count: inc.count,
            group: NO_GROUP,
            sub: inc.sub,
            phase,
            enveloped: inc.enveloped,
        };
        let slot = match self.free.pop() {
            Some(s) => s,
            None => {
                self.slots.push(Slot::default());
                (self.slots.len() - 1) as u32
            }
        };
        let s = &mut self.slots[slot as usize];
        s.gen = s.gen.wrapping_add(1);
        s.version = s.version.wrapping_add(1);
        let (gen, version) = (s.gen, s.version);
        s.entry = Some(entry);
        self.expiry.push(Timer { at: sent.saturating_add(self.cfg.retention), slot, tag: gen });
        if let Some(key) = group_key {
            let g = self.groups.join(&key, slot);
            if let Some(e) = self.slots[slot as usize].entry.as_mut() {
                e.group = g;
            }
        }
        match phase {
            Phase::Delayed => {
                self.delayed += 1;
                if self.timers.push(Timer { at: now.saturating_add(delay), slot, tag: version }) {
                    self.wake.all = true;
                }
            }
            _ => {
                self.visible += 1;
                self.on_visible(slot, version);
            }
        }
        if self.cfg.fifo {
            if let Some(id) = &inc.dedup_id {
                self.dedup.record(now, id, (message_id, seq));
            }
        }
        Enqueued::Stored { message_id, seq }
    }

    /// A message just became visible: queue it (standard) or maybe its group (FIFO).
    fn on_visible(&mut self, slot: u32, version: u32) {
        if self.cfg.fifo {
            if let Some(g) = self.slots[slot as usize].entry.as_ref().map(|e| e.group) {
                self.poke_group(g);
            }
        } else {
            self.ready.push_back((slot, version));
            if self.visible == 1 {
                self.wake.one = true;
            }
        }
    }

    /// Queues FIFO group `g` if it is idle and its first message is visible.
    fn poke_group(&mut self, g: u32) {
        if !self.groups.idle(g) {
            return;
        }
        let front_visible = self
            .groups
            .nth(g, 0)
            .and_then(|s| self.slots[s as usize].entry.as_ref())
            .is_some_and(|e| e.phase == Phase::Visible);
        if front_visible && self.groups.queue(g) {
            self.wake.one = true;
        }
    }

    /// Turns a delayed or in-flight message visible.
    fn make_visible(&mut self, slot: u32) {
        let s = &mut self.slots[slot as usize];
        let Some(e) = s.entry.as_mut() else { return };
        match e.phase {
            Phase::Visible => return,
            Phase::Delayed => self.delayed -= 1,
            Phase::InFlight => {
                self.in_flight -= 1;
                if e.group != NO_GROUP {
                    self.groups.set_in_flight(e.group, false);
                }
            }
        }
        e.phase = Phase::Visible;
        s.version = s.version.wrapping_add(1);
        let version = s.version;
        self.visible += 1;
        self.on_visible(slot, version);
    }

    /// Removes a message in any phase.
    fn remove(&mut self, slot: u32) -> Option<Entry> {
        let s = self.slots.get_mut(slot as usize)?;
        let e = s.entry.take()?;
        s.version = s.version.wrapping_add(1);
        self.free.push(slot);
        match e.phase {
            Phase::Delayed => self.delayed -= 1,
            Phase::Visible => self.visible -= 1,
            Phase::InFlight => self.in_flight -= 1,
        }
        if e.group != NO_GROUP && self.groups.leave(e.group, slot, e.phase == Phase::InFlight) {
            self.poke_group(e.group);
        }
        Some(e)
    }

    /// Applies the timers and retention deadlines due at `now`.
    pub(crate) fn advance(&mut self, now: Nanos) {
        while let Some(t) = self.timers.pop_due(now) {
            if live(&self.slots, t.slot, t.tag) {
                self.make_visible(t.slot);
            }
        }
        while let Some(t) = self.expiry.pop_due(now) {
            if alive(&self.slots, t.slot, t.tag) {
                self.remove(t.slot);
                tracing::debug!(target: "bus_memory", "a message reached the end of its retention period and was deleted");
            }
        }
        let Self { slots, timers, expiry, ready, .. } = self;
        timers.compact_if_needed((self.in_flight + self.delayed) as usize, |t| live(slots, t.slot, t.tag));
        let total = (self.visible + self.in_flight + self.delayed) as usize;
        expiry.compact_if_needed(total, |t| alive(slots, t.slot, t.tag));
        if ready.len() > 2 * self.visible as usize + 1024 {
            ready.retain(|&(s, v)| live(slots, s, v));
        }
    }

    /// The next moment something may become visible (stale timers dropped first).
    pub(crate) fn next_deadline(&mut self) -> Option<Nanos> {
        let Self { slots, timers, .. } = self;
        timers.drop_stale_front(|t| live(slots, t.slot, t.tag));
        timers.next_at()
    }

    /// Whether a receive may find something now.
    pub(crate) fn has_ready(&self) -> bool {
        self.in_flight < MAX_IN_FLIGHT && if self.cfg.fifo { self.groups.has_ready() } else { self.visible > 0 }
    }

    /// Receives up to `max` messages with visibility timeout `vis`.
    pub(crate) fn take(&mut self, now: Nanos, max: usize, vis: Nanos, uid: u32) -> Take {
        self.advance(now);
        let max = max.min(MAX_IN_FLIGHT.saturating_sub(self.in_flight) as usize);
        // Sized up front: growing past ten entries would also cross glibc's large-chunk threshold.
        let mut out = Take { taken: Vec::with_capacity(max), moved: Vec::new() };
        let max_receives = self.cfg.redrive.as_ref().map(|r| r.max_receive_count);
        let over = |e: &Entry| max_receives.is_some_and(|m| e.count >= m);
        if self.cfg.fifo {
            while out.taken.len() < max {
                let Some(g) = self.groups.pop_ready() else { break };
                let mut took = false;
                let mut i = 0;
                while out.taken.len() < max {
                    let Some(slot) = self.groups.nth(g, i) else { break };
                    let Some(e) = self.slots[slot as usize].entry.as_ref() else { break };
                    if e.phase != Phase::Visible {
                        break;
                    }
                    if over(e) {
                        if took {
                            break;
                        }
                        out.moved.extend(self.remove(slot));
                        continue;
                    }
                    self.receive_one(slot, now, vis, uid, &mut out.taken);
                    took = true;
                    i += 1;
                }
                if !took {
                    self.poke_group(g);
                }
            }
        } else {
            while out.taken.len() < max {
                let Some((slot, version)) = self.ready.pop_front() else { break };
                let Some(e) =
                    self.slots.get(slot as usize).filter(|s| s.version == version).and_then(|s| s.entry.as_ref())
                else {
                    continue;
                };
                if over(e) {
                    out.moved.extend(self.remove(slot));
                    continue;
                }
                self.receive_one(slot, now, vis, uid, &mut out.taken);
            }
        }
        out
    }

    fn receive_one(&mut self, slot: u32, now: Nanos, vis: Nanos, uid: u32, taken: &mut Vec<Taken>) {
        let s = &mut self.slots[slot as usize];
        let Some(e) = s.entry.as_mut() else { return };
        e.count += 1;
        if e.first_received == NEVER {
            e.first_received = now;
        }
        e.last_received = now;
        e.phase = Phase::InFlight;
        s.version = s.version.wrapping_add(1);
        let (gen, version) = (s.gen, s.version);
        taken.push(Taken {
            payload: e.payload.clone(),
            message_id: e.message_id,
            receipt: Receipt { uid, slot, gen, count: e.count },
            first_received: e.first_received,
            sent: e.sent,
            sequence: self.cfg.fifo.then_some(e.seq),
            sub: e.sub,
            enveloped: e.enveloped,
        });
        if e.group != NO_GROUP {
            self.groups.set_in_flight(e.group, true);
        }
        self.visible -= 1;
        self.in_flight += 1;
        if self.timers.push(Timer { at: now.saturating_add(vis), slot, tag: version }) {
            self.wake.all = true;
        }
    }

    /// How a receipt relates to the stored message.
    pub(crate) fn lookup(&self, r: &Receipt) -> Lookup {
        match self.slots.get(r.slot as usize) {
            Some(Slot { gen, entry: Some(e), .. }) if *gen == r.gen => {
                if e.count == r.count {
                    Lookup::Current
                } else {
                    Lookup::Stale
                }
            }
            _ => Lookup::Gone,
        }
    }

    /// Deletes the message of a current receipt; outdated and gone receipts delete nothing.
    pub(crate) fn delete(&mut self, r: &Receipt) -> Lookup {
        let found = self.lookup(r);
        if found == Lookup::Current {
            let was_full = self.in_flight >= MAX_IN_FLIGHT;
            self.remove(r.slot);
            if was_full && self.visible > 0 {
                self.wake.one = true;
            }
        }
        found
    }

    /// Changes the visibility timeout of the in-flight message of a current receipt.
    pub(crate) fn change_visibility(&mut self, now: Nanos, r: &Receipt, timeout: Nanos) -> Result<(), ChangeError> {
        self.advance(now);
        match self.lookup(r) {
            Lookup::Current => {}
            other => return Err(ChangeError::Lookup(other)),
        }
        let s = &mut self.slots[r.slot as usize];
        let Some(e) = s.entry.as_mut() else { return Err(ChangeError::Lookup(Lookup::Gone)) };
        if e.phase != Phase::InFlight {
            return Err(ChangeError::NotInFlight);
        }
        if now.saturating_sub(e.last_received).saturating_add(timeout) > MAX_VISIBILITY {
            return Err(ChangeError::TooLong);
        }
        if timeout == 0 {
            self.make_visible(r.slot);
        } else {
            s.version = s.version.wrapping_add(1);
            let version = s.version;
            if self.timers.push(Timer { at: now.saturating_add(timeout), slot: r.slot, tag: version }) {
                self.wake.all = true;
            }
        }
        Ok(())
    }

    /// Deletes every message, at most once per 60 seconds.
    pub(crate) fn purge(&mut self, now: Nanos) -> Result<usize, ()> {
        if self.last_purge.is_some_and(|t| now < t.saturating_add(PURGE_INTERVAL)) {
            return Err(());
        }
        self.last_purge = Some(now);
        let mut n = 0;
        for (i, s) in self.slots.iter_mut().enumerate() {
            if s.entry.take().is_some() {
                s.version = s.version.wrapping_add(1);
                self.free.push(i as u32);
                n += 1;
            }
        }
        self.ready.clear();
        self.groups.clear();
        self.timers.clear();
        self.expiry.clear();
        (self.visible, self.in_flight, self.delayed) = (0, 0, 0);
        Ok(n)
    }

    /// Approximate counts at `now`.
    pub(crate) fn stats(&mut self, now: Nanos) -> QueueStats {
        self.advance(now);
        QueueStats { visible: self.visible, in_flight: self.in_flight, delayed: self.delayed }
    }

    /// Bytes held by the queue's own structures, and by the payloads it references (each payload counted
    /// in proportion to the queues sharing it).
    pub(crate) fn memory(&self) -> (usize, usize) {
        let structures = self.slots.capacity() * std::mem::size_of::<Slot>()
            + self.free.capacity() * 4
            + self.ready.capacity() * 8
            + self.groups.heap_bytes()
            + self.timers.capacity_bytes()
            + self.expiry.capacity_bytes();
        let payloads = self
            .slots
            .iter()
            .filter_map(|s| s.entry.as_ref())
            .map(|e| e.payload.heap_bytes() / Arc::strong_count(&e.payload).max(1))
            .sum();
        (structures, payloads)
    }
}
