//! Compilation, step two: the matching engine for one or many compiled policies of one scope.
//!
//! All key paths of all policies form one trie keyed by path segment (`a.b` is `a` → `b`, so dotted and
//! nested keys meet). Each condition's rules are registered in the value index of its trie node; each
//! branch lists its conditions and has one *anchor*: its most selective required condition (exact
//! values first, `anything-but` and `exists` last). Matching walks the message once, visiting only the
//! trie's keys, feeds every leaf value to its node's index, which stamps the conditions it satisfies; a
//! stamped anchor makes its branches candidates, and only candidates (plus branches made only of
//! `exists: false`) are decided, by checking the stamps of their other conditions. A satisfied condition
//! that anchors nothing costs one stamp. Cost therefore depends on the message and on the conditions it
//! satisfies, not on the number of policies.
//!
//! Policies repeating a condition (same path, same rules) share it. In a *lazy* engine (the attribute
//! scope of a `FilterSet`, see [`Engine::lazy`]) only anchoring conditions are indexed and stamped; the
//! others are checked against the message's attribute values when a candidate branch needs them, so a
//! satisfied condition that anchors nothing costs nothing unless a candidate asks.

use super::ast::Rule;
use super::compile::CompiledPolicy;
use super::hash::LookupMap;
use super::index::ValueIndex;
use super::validate::MAX_KEYS;

/// The trie's root (the top-level object or the attribute set).
pub(crate) const ROOT: u32 = 0;

/// A key path (trie node).
#[derive(Debug, Clone, Default)]
pub(crate) struct Node {
    pub(crate) parent: u32,
    pub(crate) children: LookupMap<Box<str>, u32>,
    /// Number of children.
    pub(crate) children_count: u32,
    /// Whether some condition is on exactly this path.
    pub(crate) target: bool,
    /// The rules registered here (in a lazy engine, only those of conditions that anchor a branch).
    pub(crate) index: ValueIndex,
    /// In a lazy engine, every condition's rules: what [`Engine::rarity`] counts.
    census: ValueIndex,
    /// Whether some condition's rules are registered in `index`.
    pub(crate) indexed: bool,
    /// Consistency branches with at least two conditions at or below this path: arrays here scope them.
    pub(crate) consistency: Vec<u32>,
}

/// A condition: the values at `node` must satisfy one of its rules (registered in the node's index).
#[derive(Debug, Clone)]
pub(crate) struct Cond {
    pub(crate) node: u32,
    /// Has an `exists: false` rule: also satisfied when the path has no leaf value.
    pub(crate) absent_ok: bool,
    /// Branches anchored on this condition: candidates once it is satisfied.
    pub(crate) anchors: Vec<u32>,
    /// Its value rules (all but `exists: false`), for checking it directly against a value.
    pub(crate) rules: Box<[Rule]>,
    /// What its rules are, for estimating how often it is satisfied (see [`Engine::rarity`]).
    profile: Profile,
    /// (consistency branch, slot of this condition in it).
    pub(crate) slots: Vec<(u32, u8)>,
}

/// A condition's rules, counted for [`Engine::rarity`]: exact values, `equals-ignore-case` operands,
/// and the summed rough satisfaction rates of the other rules.
#[derive(Debug, Clone, Copy, Default)]
struct Profile {
    exact: u16,
    ignore_case: u16,
    other: f32,
}

impl Profile {
    fn of(rules: &[Rule]) -> Profile {
        use super::ast::Literal;
        let mut p = Profile::default();
        for rule in rules {
            match rule {
                Rule::Literal(Literal::String(_) | Literal::Number(_)) => p.exact += 1,
                Rule::EqualsIgnoreCase(_) => p.ignore_case += 1,
                Rule::Prefix(_) | Rule::Suffix(_) => p.other += 0.25,
                Rule::Literal(_) | Rule::Wildcard(_) | Rule::Cidr(_) => p.other += 0.3,
                Rule::Numeric(_) => p.other += 0.5,
                Rule::AnythingBut(_) | Rule::Exists(_) => p.other += 1.0,
            }
        }
        p
    }
}

/// An AND-group of conditions (at most 5: one per key path).
#[derive(Debug, Clone)]
pub(crate) struct Branch {
    pub(crate) policy: u32,
    /// Its conditions, inline (decided per candidate, so one load fewer): see [`Branch::conds`].
    cond_ids: [u32; MAX_KEYS],
    len: u8,
    pub(crate) consistency: Option<u32>,
}

impl Branch {
    /// Its conditions, at most one per key path (so at most [`MAX_KEYS`]).
    #[inline]
    pub(crate) fn conds(&self) -> &[u32] {
        &self.cond_ids[..usize::from(self.len)]
    }
}

/// A policy in the engine.
#[derive(Debug, Clone)]
pub(crate) struct PolicyEntry {
    /// The caller's id (the subscription).
    pub(crate) id: usize,
    /// False once removed (its conditions stay registered until the engine is rebuilt).
    pub(crate) alive: bool,
}

/// The matcher for a set of policies.
#[derive(Debug, Clone)]
pub(crate) struct Engine {
    pub(crate) nodes: Vec<Node>,
    pub(crate) conds: Vec<Cond>,
    pub(crate) branches: Vec<Branch>,
    pub(crate) policies: Vec<PolicyEntry>,
    /// Branches whose conditions all accept absence: candidates for every message.
    pub(crate) absence_branches: Vec<u32>,
    pub(crate) consistency_count: u32,
    /// The branch of each consistency branch.
    pub(crate) consistency_branches: Vec<u32>,
    live: usize,
    /// Re-choose every branch's anchor once there are this many branches (the estimates of
    /// [`Engine::rarity`] improve as policies are added).
    reanchor_at: usize,
    /// Each distinct condition (its node and its canonical rule set, see [`condition_key`]) once: policies
    /// repeating a condition share it, so one index hit satisfies it for all of them.
    cond_ids: LookupMap<Box<str>, u32>,
    /// Lazy: only anchoring conditions are in the value indexes (and stamped when satisfied); the others
    /// are checked directly against the message's values when a candidate branch needs them (see
    /// [`Engine::lazy`]).
    pub(crate) lazy: bool,
}

/// The identity of a condition: its node and its rules (an OR, so their order and repeats do not matter).
fn condition_key(node: u32, rules: &[Rule]) -> Box<str> {
    let mut parts: Vec<String> = rules.iter().map(|r| format!("{r:?}")).collect();
    parts.sort_unstable();
    parts.dedup();
    let mut key = node.to_string();
    for part in parts {
        key.push('\u{1}');
        key.push_str(&part);
    }
    key.into()
}

impl Default for Engine {
    fn default() -> Self {
        Engine {
            nodes: vec![Node::default()],
            conds: Vec::new(),
            branches: Vec::new(),
            policies: Vec::new(),
            absence_branches: Vec::new(),
            consistency_count: 0,
            consistency_branches: Vec::new(),
            live: 0,
            reanchor_at: 16,
            cond_ids: LookupMap::default(),
            lazy: false,
        }
    }
}

impl Engine {
    /// An engine holding one policy, reported under id 0.
    pub(crate) fn single(policy: &CompiledPolicy) -> Engine {
        let mut e = Engine::default();
        e.add(0, policy);
        e
    }

    /// An empty lazy engine, for the attribute scope of a [`super::FilterSet`]: a message has few
    /// attributes, each with a value at hand, so a condition that anchors nothing is checked only when a
    /// candidate branch needs it instead of being looked up and stamped for every message satisfying it.
    /// (Array consistency is not tracked: attribute values never scope conditions.)
    pub(crate) fn lazy() -> Engine {
        Engine { lazy: true, ..Engine::default() }
    }

    /// Number of live policies.
    pub(crate) fn live(&self) -> usize {
        self.live
    }

    /// Number of removed policies still registered.
    pub(crate) fn dead(&self) -> usize {
        self.policies.len() - self.live
    }

    /// Adds a policy (which must not be the match-everything policy); returns its index.
    pub(crate) fn add(&mut self, id: usize, policy: &CompiledPolicy) -> u32 {
        let p = self.policies.len() as u32;
        self.policies.push(PolicyEntry { id, alive: true });
        self.live += 1;

        let mut ids = Vec::with_capacity(policy.conditions.len());
        for condition in &policy.conditions {
            let node = self.insert_path(&condition.path);
            let next = self.conds.len() as u32;
            let cond = *self.cond_ids.entry_or_insert_with(condition_key(node, &condition.rules), || next);
            ids.push(cond);
            if cond != next {
                continue;
            }
            let n = &mut self.nodes[node as usize];
            n.target = true;
            let absent_ok = condition.rules.contains(&Rule::Exists(false));
            let rules: Box<[Rule]> = condition.rules.iter().filter(|r| **r != Rule::Exists(false)).cloned().collect();
            for rule in rules.iter() {
                if self.lazy {
                    n.census.add(cond, rule);
                } else {
                    n.index.add(cond, rule);
                    n.indexed = true;
                }
            }
            let profile = Profile::of(&condition.rules);
            self.conds.push(Cond { node, absent_ok, anchors: Vec::new(), rules, profile, slots: Vec::new() });
        }

        for branch in &policy.branches {
            let b = self.branches.len() as u32;
            let conds: Vec<u32> = branch.iter().map(|&i| ids[i]).collect();
            let anchor = self.anchor(&conds);
            if let Some(c) = anchor {
                self.attach(c, b);
            }
            let required = anchor.is_some();
            let shared = self.shared_paths(&conds);
            let consistency = if shared.is_empty() {
                None
            } else {
                let cb = self.consistency_count;
                self.consistency_count += 1;
                self.consistency_branches.push(b);
                for n in shared {
                    self.nodes[n as usize].consistency.push(cb);
                }
                for (slot, &c) in conds.iter().enumerate() {
                    self.conds[c as usize].slots.push((cb, slot as u8));
                }
                Some(cb)
            };
            if !required {
                self.absence_branches.push(b);
            }
            let mut cond_ids = [0; MAX_KEYS];
            cond_ids[..conds.len()].copy_from_slice(&conds);
            self.branches.push(Branch { policy: p, cond_ids, len: conds.len() as u8, consistency });
        }
        if self.branches.len() >= self.reanchor_at {
            self.reanchor();
            self.reanchor_at = 2 * self.branches.len();
        }
        p
    }

    /// The anchor for a branch of `conds`: its required condition least often satisfied, if any.
    fn anchor(&self, conds: &[u32]) -> Option<u32> {
        let required = conds.iter().copied().filter(|&c| !self.conds[c as usize].absent_ok);
        required.min_by(|&a, &b| self.rarity(a).total_cmp(&self.rarity(b)))
    }

    /// A rough estimate of how often condition `c` is satisfied: an exact value is one of the distinct
    /// values policies expect at its path, other operators count as fixed rates.
    fn rarity(&self, c: u32) -> f32 {
        let cond = &self.conds[c as usize];
        let node = &self.nodes[cond.node as usize];
        let (exact, ignore_case) = if self.lazy { &node.census } else { &node.index }.distinct_values();
        let share = |n: u16, of: usize| f32::from(n) / of.max(1) as f32;
        share(cond.profile.exact, exact) + share(cond.profile.ignore_case, ignore_case) + cond.profile.other
    }

    /// Re-chooses every branch's anchor with the current estimates.
    fn reanchor(&mut self) {
        for cond in &mut self.conds {
            cond.anchors.clear();
        }
        if self.lazy {
            for node in &mut self.nodes {
                node.index = ValueIndex::default();
                node.indexed = false;
            }
        }
        for b in 0..self.branches.len() {
            if let Some(c) = self.anchor(self.branches[b].conds()) {
                self.attach(c, b as u32);
            }
        }
    }

    /// Anchors branch `b` on condition `c` (in a lazy engine, registering `c`'s rules in its node's index
    /// when it first anchors something).
    fn attach(&mut self, c: u32, b: u32) {
        let cond = &mut self.conds[c as usize];
        if self.lazy && cond.anchors.is_empty() {
            let node = &mut self.nodes[cond.node as usize];
            for rule in cond.rules.iter() {
                node.index.add(c, rule);
            }
            node.indexed = true;
        }
        cond.anchors.push(b);
    }

    /// Marks policy `p` removed.
    pub(crate) fn remove(&mut self, p: u32) {
        if let Some(entry) = self.policies.get_mut(p as usize) {
            if entry.alive {
                entry.alive = false;
                self.live -= 1;
            }
        }
    }

    /// Trie nodes (other than the root) that are the path, or an ancestor of the path, of at least two of
    /// `conds`: an array there must not combine conditions from different elements.
    fn shared_paths(&self, conds: &[u32]) -> Vec<u32> {
        let mut seen: Vec<(u32, usize)> = Vec::new();
        for &c in conds {
            let mut n = self.conds[c as usize].node;
            while n != ROOT {
                match seen.iter_mut().find(|(m, _)| *m == n) {
                    Some(entry) => entry.1 += 1,
                    None => seen.push((n, 1)),
                }
                n = self.nodes[n as usize].parent;
            }
        }
        seen.into_iter().filter(|&(_, count)| count >= 2).map(|(n, _)| n).collect()
    }

    fn insert_path(&mut self, path: &str) -> u32 {
        let mut node = ROOT;
        for segment in path.split('.') {
            node = match self.nodes[node as usize].children.get(segment) {
                Some(&child) => child,
                None => {
                    let child = self.nodes.len() as u32;
                    self.nodes[node as usize].children_count += 1;
                    self.nodes.push(Node { parent: node, ..Node::default() });
                    self.nodes[node as usize].children.entry_or_insert_with(segment.into(), || child);
                    child
                }
            };
        }
        node
    }

    /// The node reached from `from` by the key `key` (split at dots), if the trie has it.
    #[inline]
    pub(crate) fn step(&self, from: u32, key: &str) -> Option<u32> {
        let children = &self.nodes[from as usize].children;
        if children.is_empty() {
            return None;
        }
        // Trie segments never contain a dot, so a whole-key hit is a key without dots.
        if let Some(&node) = children.get(key) {
            return Some(node);
        }
        if !key.bytes().any(|b| b == b'.') {
            return None;
        }
        let mut node = from;
        for segment in key.split('.') {
            node = *self.nodes[node as usize].children.get(segment)?;
        }
        Some(node)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filter::{FilterScope, SnsFilterPolicy};

    fn compiled(json: &str) -> CompiledPolicy {
        SnsFilterPolicy::parse(json, FilterScope::MessageAttributes).unwrap().compiled().clone()
    }

    #[test]
    fn branches_are_anchored_on_their_rarest_required_condition() {
        let mut e = Engine::default();
        // 40 distinct event types against 2 tiers: once re-anchored, the type conditions anchor.
        for i in 0..40 {
            let tier = if i % 2 == 0 { "gold" } else { "free" };
            e.add(
                i,
                &compiled(&format!(
                    r#"{{"tier": ["{tier}"], "type": ["T{i}", "U{i}"], "n": [{{"numeric": [">", 1]}}]}}"#
                )),
            );
        }
        for b in &e.branches {
            let anchors: Vec<u32> =
                b.conds().iter().copied().filter(|&c| !e.conds[c as usize].anchors.is_empty()).collect();
            assert_eq!(anchors.len(), 1);
            let node = e.conds[anchors[0] as usize].node;
            assert_eq!(Some(node), e.step(ROOT, "type"));
        }
        // A branch whose only required condition is `anything-but` still gets it as its anchor; one made only
        // of `exists: false` has none and is decided for every message.
        let p = e.add(40, &compiled(r#"{"tier": [{"exists": false}], "x": [{"anything-but": "y"}]}"#));
        let q = e.add(41, &compiled(r#"{"tier": [{"exists": false}]}"#));
        let anchored = |p: u32| {
            e.branches
                .iter()
                .filter(|b| b.policy == p)
                .flat_map(|b| b.conds().iter())
                .any(|&c| !e.conds[c as usize].anchors.is_empty())
        };
        assert!(anchored(p));
        assert!(!anchored(q));
        assert_eq!(e.absence_branches.len(), 1);
    }

    #[test]
    fn identical_conditions_are_registered_once() {
        let mut e = Engine::default();
        e.add(0, &compiled(r#"{"k": ["a", "b"], "n": [{"numeric": [">", 1]}]}"#));
        e.add(1, &compiled(r#"{"k": ["b", "a", "a"]}"#));
        e.add(2, &compiled(r#"{"$or": [{"k": ["a", "b"]}, {"n": [{"numeric": [">", 1]}]}]}"#));
        e.add(3, &compiled(r#"{"k": ["a"], "n": [{"numeric": [">=", 1]}]}"#));
        // k:[a,b], n:>1, k:[a], n:>=1.
        assert_eq!(e.conds.len(), 4);
        let conds = |p: u32| -> Vec<Vec<u32>> {
            e.branches.iter().filter(|b| b.policy == p).map(|b| b.conds().to_vec()).collect()
        };
        assert_eq!(conds(0), [vec![0, 1]]);
        assert_eq!(conds(1), [vec![0]]);
        assert_eq!(conds(2), [vec![0], vec![1]]);
        assert_eq!(conds(3), [vec![2, 3]]);
    }
}
