//! Per-message matching state, kept in reusable per-thread buffers so that matching allocates nothing
//! once the buffers have grown to the size of the largest engine used on the thread.
//!
//! Flags are epoch-stamped: a condition is "matched in this message" if its stamp equals the current
//! epoch, so nothing has to be cleared between messages.
//!
//! Array consistency (SPEC §3.2) is tracked per *consistency branch* (a branch with at least two
//! conditions below a common key path) as a family of condition subsets that leaves seen so far can
//! satisfy together, as a `u32` bitmask over the ≤ 32 subsets of the branch's ≤ 5 conditions (bit `m` set
//! = subset `m` achievable). A matching leaf joins its condition into every subset; at an array on a shared
//! path each element starts again from the family before the array and the families of the elements are
//! united at its end, so conditions inside one array only combine within one element.

use std::cell::RefCell;

use super::engine::{Engine, ROOT};
use super::scan::TextBuffers;

/// `ZERO_BIT[s]`: the subset masks `m` (as bit positions) whose bit `s` is clear.
const ZERO_BIT: [u32; 5] = [0x5555_5555, 0x3333_3333, 0x0F0F_0F0F, 0x00FF_00FF, 0x0000_FFFF];
/// The family holding only the empty subset.
const EMPTY_FAMILY: u32 = 1;

/// `SUBSETS[s]`: the family of all subsets of the slot set `s` (bit `m` set where `m & !s == 0`).
const SUBSETS: [u32; 32] = {
    let mut t = [0u32; 32];
    let mut s = 0;
    while s < 32 {
        let mut m = 0;
        while m < 32 {
            if m & !s == 0 {
                t[s] |= 1 << m;
            }
            m += 1;
        }
        s += 1;
    }
    t
};

/// Reusable buffers for matching: flags and counters, and text buffers for the JSON scanner.
#[derive(Debug, Default)]
pub(crate) struct Scratch {
    pub(crate) state: StateBuffers,
    pub(crate) text: TextBuffers,
    /// Per engine (direct-mapped by address): how often its recent bodies matched. Where most do, the
    /// values skipped unvalidated would have to be validated anyway, so the body is walked strictly.
    pub(crate) match_rate: [(usize, u8); 8],
}

/// Per-message flags and counters.
#[derive(Debug, Default)]
pub(crate) struct StateBuffers {
    epoch: u32,
    cond: Vec<u32>,
    node: Vec<u32>,
    /// Per trie node (valid where `node` is current): where a lazy engine's caller recorded its value.
    value_slot: Vec<u8>,
    policy: Vec<u32>,
    /// (epoch, family) per consistency branch.
    family: Vec<(u32, u32)>,
    /// Saved families while inside arrays: (outer, accumulated) pairs.
    frames: Vec<u32>,
    /// Branches whose anchor condition is satisfied in this message.
    candidates: Vec<u32>,
    /// Per trie node: the region (top-level object or array element) in which a member last reached it.
    claim: Vec<u64>,
    /// The last region number handed out (never reused, so stale claims never look current).
    regions: u64,
    /// Per trie node: (region, number of its children claimed in that region).
    children: Vec<(u64, u32)>,
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

/// Runs `f` with this thread's scratch buffers (or fresh ones if they are unavailable: during thread
/// teardown, or if a caller is already using them).
pub(crate) fn with_scratch<R>(mut f: impl FnMut(&mut Scratch) -> R) -> R {
    match SCRATCH.try_with(|cell| cell.try_borrow_mut().ok().map(|mut s| f(&mut s))) {
        Ok(Some(r)) => r,
        _ => f(&mut Scratch::default()),
    }
}

fn grow(v: &mut Vec<u32>, n: usize) {
    if v.len() < n {
        v.resize(n, 0);
    }
}

/// The state of matching one message against one engine.
pub(crate) struct MatchState<'e, 's> {
    pub(crate) engine: &'e Engine,
    s: &'s mut StateBuffers,
    epoch: u32,
    /// The current region (see [`Self::claim`]) and the top-level object's.
    region: u64,
    root_region: u64,
    /// Children of the trie's root claimed in the top-level object.
    top_claimed: u32,
    /// See [`Self::match_likely`]: the answer so far, and the candidates looked at.
    likely: bool,
    checked: usize,
}

impl<'e, 's> MatchState<'e, 's> {
    /// Starts matching a new message.
    pub(crate) fn new(engine: &'e Engine, s: &'s mut StateBuffers) -> Self {
        grow(&mut s.cond, engine.conds.len());
        grow(&mut s.node, engine.nodes.len());
        if s.value_slot.len() < engine.nodes.len() {
            s.value_slot.resize(engine.nodes.len(), 0);
        }
        grow(&mut s.policy, engine.policies.len());
        if s.family.len() < engine.consistency_count as usize {
            s.family.resize(engine.consistency_count as usize, (0, EMPTY_FAMILY));
        }
        if s.epoch == u32::MAX {
            for v in [&mut s.cond, &mut s.node, &mut s.policy] {
                v.iter_mut().for_each(|x| *x = 0);
            }
            s.family.iter_mut().for_each(|x| x.0 = 0);
            s.epoch = 0;
        }
        s.epoch += 1;
        s.frames.clear();
        s.candidates.clear();
        if s.claim.len() < engine.nodes.len() {
            s.claim.resize(engine.nodes.len(), 0);
            s.children.resize(engine.nodes.len(), (0, 0));
        }
        s.regions += 1;
        let (epoch, region) = (s.epoch, s.regions);
        MatchState { engine, s, epoch, region, root_region: region, top_claimed: 0, likely: false, checked: 0 }
    }

    /// Whether a member reaching trie node `child` from an object at node `from` is hidden: an earlier
    /// member of the current region reached `child` or a path between `from` and `child` (repeated keys:
    /// the first member to reach a path decides it and everything below it).
    #[inline]
    pub(crate) fn hidden(&self, from: u32, child: u32) -> bool {
        let mut n = child;
        while n != from {
            if self.s.claim[n as usize] == self.region {
                return true;
            }
            n = self.engine.nodes[n as usize].parent;
        }
        false
    }

    /// Records that a member of the current region reached trie node `node` (after reading its value).
    #[inline]
    pub(crate) fn claim(&mut self, node: u32) {
        let old = std::mem::replace(&mut self.s.claim[node as usize], self.region);
        if old == self.region {
            return;
        }
        let parent = self.engine.nodes[node as usize].parent;
        if parent == ROOT && self.region == self.root_region {
            self.top_claimed += 1;
        } else {
            let entry = &mut self.s.children[parent as usize];
            if entry.0 == self.region {
                entry.1 += 1;
            } else {
                *entry = (self.region, 1);
            }
        }
    }

    /// Number of children of `node` claimed in the current region.
    #[inline]
    fn claimed_children(&self, node: u32) -> u32 {
        if node == ROOT && self.region == self.root_region {
            return self.top_claimed;
        }
        match self.s.children[node as usize] {
            (region, n) if region == self.region => n,
            _ => 0,
        }
    }

    /// Whether every child of `node` has been claimed in the current region: every later member reaching
    /// `node`'s paths below it is hidden. (For the root in the top-level object: nothing later in the
    /// body can change an answer.)
    #[inline]
    pub(crate) fn decided(&self, node: u32) -> bool {
        self.claimed_children(node) == self.engine.nodes[node as usize].children_count
    }

    /// Whether all children of `node` but one have been claimed in the current region.
    #[inline]
    pub(crate) fn decided_but_one(&self, node: u32) -> bool {
        self.claimed_children(node) + 1 == self.engine.nodes[node as usize].children_count
    }

    /// Enters an array element, a region of its own; returns the region to go back to.
    ///
    /// Claims made inside the element are on paths below the array's and may overwrite claims of the
    /// enclosing region there; they need no restoring, because the member holding the array claims its
    /// path in the enclosing region as soon as the array ends, which hides every path below it.
    #[inline]
    pub(crate) fn enter_region(&mut self) -> u64 {
        self.s.regions += 1;
        std::mem::replace(&mut self.region, self.s.regions)
    }

    /// Leaves an array element.
    #[inline]
    pub(crate) fn leave_region(&mut self, region: u64) {
        self.region = region;
    }

    /// Notes where the caller recorded the value(s) of key path `node` (see [`Self::finish_with`]);
    /// `u8::MAX` if it did not.
    #[inline]
    pub(crate) fn set_value_slot(&mut self, node: u32, slot: u8) {
        self.s.value_slot[node as usize] = slot;
    }

    /// Records that the key path `node` has a leaf value.
    #[inline]
    pub(crate) fn present(&mut self, node: u32) {
        self.s.node[node as usize] = self.epoch;
    }

    #[inline]
    fn matched(&self, cond: u32) -> bool {
        self.s.cond[cond as usize] == self.epoch
    }

    /// Whether a scanned operator of `cond` is still worth checking.
    #[inline]
    pub(crate) fn wants(&self, cond: u32) -> bool {
        !self.matched(cond) || !self.engine.conds[cond as usize].slots.is_empty()
    }

    /// Records that a leaf value satisfies each of `conds`.
    #[inline]
    pub(crate) fn hit_all(&mut self, conds: &[u32]) {
        for &c in conds {
            self.hit(c);
        }
    }

    /// Records that a leaf value satisfies `cond`.
    #[inline]
    pub(crate) fn hit(&mut self, cond: u32) {
        let info = &self.engine.conds[cond as usize];
        let epoch = self.epoch;
        let stamp = &mut self.s.cond[cond as usize];
        if *stamp != epoch {
            *stamp = epoch;
            // The branches anchored here become candidates (decided at the end).
            self.s.candidates.extend_from_slice(&info.anchors);
        }
        if !info.slots.is_empty() {
            self.join_slots(cond);
        }
    }

    /// Joins `cond` into the families of its consistency branches. Only families set since an array
    /// scoped them need it: until then a family is every subset of the satisfied slots (see
    /// [`Self::family`]).
    #[cold]
    fn join_slots(&mut self, cond: u32) {
        for &(cb, slot) in &self.engine.conds[cond as usize].slots {
            let (epoch, f) = self.s.family[cb as usize];
            if epoch == self.epoch {
                let slot = usize::from(slot);
                self.set_family(cb, f | ((f & ZERO_BIT[slot]) << (1u32 << slot)));
            }
        }
    }

    /// The family of consistency branch `cb`: as set since an array on one of its paths scoped it, or,
    /// before that, every subset of its satisfied conditions (what joining each as it was satisfied gives).
    #[inline]
    fn family(&self, cb: u32) -> u32 {
        let (epoch, f) = self.s.family[cb as usize];
        if epoch == self.epoch {
            return f;
        }
        let branch = &self.engine.branches[self.engine.consistency_branches[cb as usize] as usize];
        let satisfied =
            branch.conds().iter().enumerate().filter(|&(_, &c)| self.matched(c)).fold(0, |s, (i, _)| s | 1 << i);
        SUBSETS[satisfied]
    }

    #[inline]
    fn set_family(&mut self, cb: u32, f: u32) {
        self.s.family[cb as usize] = (self.epoch, f);
    }

    /// Enters an array whose elements sit at `node`; returns the frame to pass to the element calls.
    pub(crate) fn array_begin(&mut self, node: u32) -> usize {
        let base = self.s.frames.len();
        for &cb in &self.engine.nodes[node as usize].consistency {
            let f = self.family(cb);
            self.s.frames.push(f);
            self.s.frames.push(f);
        }
        base
    }

    /// Before an element: restart from the family before the array.
    pub(crate) fn element_begin(&mut self, node: u32, base: usize) {
        for (i, &cb) in self.engine.nodes[node as usize].consistency.iter().enumerate() {
            let outer = self.s.frames[base + 2 * i];
            self.set_family(cb, outer);
        }
    }

    /// After an element: add what it achieved to the array's family.
    pub(crate) fn element_end(&mut self, node: u32, base: usize) {
        for (i, &cb) in self.engine.nodes[node as usize].consistency.iter().enumerate() {
            let f = self.family(cb);
            self.s.frames[base + 2 * i + 1] |= f;
        }
    }

    /// Leaves the array: the family is the union over its elements.
    pub(crate) fn array_end(&mut self, node: u32, base: usize) {
        for (i, &cb) in self.engine.nodes[node as usize].consistency.iter().enumerate() {
            let acc = self.s.frames[base + 2 * i + 1];
            self.set_family(cb, acc);
        }
        self.s.frames.truncate(base);
    }

    /// Decides every candidate branch and reports the subscription id of each matching live policy once.
    /// `absence_allowed` is false for an attribute-scope message without (non-Binary) attributes, where
    /// `exists: false` never matches.
    pub(crate) fn finish(self, absence_allowed: bool, on_match: impl FnMut(usize)) {
        self.finish_with(absence_allowed, |_, _| Some(false), on_match);
    }

    /// As [`Self::finish`], for a lazy engine (see [`Engine::lazy`]): `check(c, slot)` says whether a
    /// condition that anchors nothing (so is neither indexed nor stamped) is satisfied by the message's
    /// values, which the caller noted at `slot` for the condition's path (see [`Self::set_value_slot`]);
    /// `None` if the path turned out to have no value (a path is marked present before its value is
    /// parsed).
    pub(crate) fn finish_with(
        self,
        absence_allowed: bool,
        mut check: impl FnMut(u32, u8) -> Option<bool>,
        mut on_match: impl FnMut(usize),
    ) {
        let engine = self.engine;
        let candidates = std::mem::take(&mut self.s.candidates);
        for &b in candidates.iter().chain(engine.absence_branches.iter()) {
            let branch = &engine.branches[b as usize];
            let p = branch.policy as usize;
            if !engine.policies[p].alive || self.s.policy[p] == self.epoch {
                continue;
            }
            if self.branch_matches(b, absence_allowed, &mut check) {
                self.s.policy[p] = self.epoch;
                on_match(engine.policies[p].id);
            }
        }
        self.s.candidates = candidates;
    }

    /// Whether a match looks likely: some candidate branch had all its required conditions satisfied
    /// when first looked at here. A heuristic (each candidate is looked at once), never an answer.
    #[inline]
    pub(crate) fn match_likely(&mut self) -> bool {
        while !self.likely && self.checked < self.s.candidates.len() {
            let b = self.s.candidates[self.checked];
            self.checked += 1;
            let engine = self.engine;
            self.likely = engine.branches[b as usize]
                .conds()
                .iter()
                .all(|&c| engine.conds[c as usize].absent_ok || self.matched(c));
        }
        self.likely
    }

    /// Whether [`Self::finish`] would report at least one policy (without reporting it).
    pub(crate) fn any_match(&self, absence_allowed: bool) -> bool {
        let engine = self.engine;
        self.s.candidates.iter().chain(engine.absence_branches.iter()).any(|&b| {
            engine.policies[engine.branches[b as usize].policy as usize].alive
                && self.branch_matches(b, absence_allowed, &mut |_, _| Some(false))
        })
    }

    fn branch_matches(&self, b: u32, absence_allowed: bool, check: &mut impl FnMut(u32, u8) -> Option<bool>) -> bool {
        let engine = self.engine;
        let branch = &engine.branches[b as usize];
        let mut required = 0u32;
        for (slot, &c) in branch.conds().iter().enumerate() {
            if self.matched(c) {
                required |= 1 << slot;
                continue;
            }
            let info = &engine.conds[c as usize];
            let mut absent = self.s.node[info.node as usize] != self.epoch;
            if engine.lazy && info.anchors.is_empty() && !absent {
                match check(c, self.s.value_slot[info.node as usize]) {
                    Some(true) => continue,
                    Some(false) => {}
                    None => absent = true,
                }
            }
            if !(info.absent_ok && absence_allowed && absent) {
                return false;
            }
        }
        match branch.consistency {
            // A lazy engine's conditions are never scoped by arrays (see [`Engine::lazy`]).
            Some(cb) if !engine.lazy => (self.family(cb) >> required) & 1 == 1,
            _ => true,
        }
    }
}
