//! [`FilterSet`]: the policies of all subscriptions of a topic, matched together.

use std::collections::{BTreeMap, BTreeSet};

use super::engine::Engine;
use super::scratch::with_scratch;
use super::{FilterScope, SnsFilterPolicy};
use crate::message::Message;

/// Rebuild an engine once it holds more than this many removed policies and more removed than live ones.
const REBUILD_MIN_DEAD: usize = 32;

/// Many policies (one per subscription of a topic) matched together: the cost of a publish stays close to
/// flat as the number of policies grows.
///
/// All attribute-scope policies share one engine and all body-scope policies another: one pass over the
/// message visits the keys any policy mentions, exact and `equals-ignore-case` values are found by hash
/// lookup, and only the policies whose rarest condition (their anchor) is satisfied, or made only of
/// `exists: false`, are decided.
/// The answer is the same as evaluating each policy alone.
///
/// ```
/// use bus_core::filter::{FilterScope, FilterSet, SnsFilterPolicy};
/// use bus_core::Message;
///
/// let mut set = FilterSet::new();
/// let email = SnsFilterPolicy::parse(r#"{"event-type": ["USER_CREATED"]}"#, FilterScope::MessageAttributes).unwrap();
/// set.insert(1, Some(email));
/// set.insert(2, None); // no filter: gets everything
/// let mut out = Vec::new();
/// set.matching(&Message::new("{}").with_attribute("event-type", "USER_CREATED"), &mut out);
/// assert_eq!(out, [1, 2]);
/// ```
#[derive(Debug, Clone)]
pub struct FilterSet {
    entries: BTreeMap<usize, Entry>,
    /// Subscriptions without a policy or with the empty policy.
    always: BTreeSet<usize>,
    attributes: Engine,
    body: Engine,
}

impl Default for FilterSet {
    fn default() -> Self {
        FilterSet {
            entries: BTreeMap::new(),
            always: BTreeSet::new(),
            attributes: Engine::lazy(),
            body: Engine::default(),
        }
    }
}

#[derive(Debug, Clone)]
struct Entry {
    policy: Option<SnsFilterPolicy>,
    /// Where the policy sits: its scope's engine and its index there.
    slot: Option<(FilterScope, u32)>,
}

impl FilterSet {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds (or replaces) the policy of subscription `id`; `None` = no filter (matches every message).
    pub fn insert(&mut self, id: usize, policy: Option<SnsFilterPolicy>) {
        self.remove(id);
        let slot = match &policy {
            Some(p) if !p.is_match_all() => {
                let scope = p.scope();
                Some((scope, self.engine_mut(scope).add(id, p.compiled())))
            }
            _ => {
                self.always.insert(id);
                None
            }
        };
        self.entries.insert(id, Entry { policy, slot });
    }

    /// Removes subscription `id`.
    pub fn remove(&mut self, id: usize) {
        let Some(entry) = self.entries.remove(&id) else { return };
        self.always.remove(&id);
        if let Some((scope, p)) = entry.slot {
            let engine = self.engine_mut(scope);
            engine.remove(p);
            if engine.dead() > REBUILD_MIN_DEAD && engine.dead() > engine.live() {
                self.rebuild(scope);
            }
        }
    }

    /// Number of subscriptions in the set.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Appends to `out` the ids of every subscription whose policy matches `message` (in ascending id order).
    pub fn matching(&self, message: &Message, out: &mut Vec<usize>) {
        let start = out.len();
        out.extend(self.always.iter().copied());
        let (attributes, body) = (&self.attributes, &self.body);
        if attributes.live() > 0 || body.live() > 0 {
            with_scratch(|s| {
                if attributes.live() > 0 {
                    attributes.match_attributes(&message.attributes, s, |id| out.push(id));
                }
                if body.live() > 0 {
                    body.match_body(&message.body, s, |id| out.push(id));
                }
            });
        }
        out[start..].sort_unstable();
    }

    fn engine_mut(&mut self, scope: FilterScope) -> &mut Engine {
        match scope {
            FilterScope::MessageAttributes => &mut self.attributes,
            FilterScope::MessageBody => &mut self.body,
        }
    }

    /// Rebuilds one scope's engine from the live policies, dropping removed ones.
    fn rebuild(&mut self, scope: FilterScope) {
        let mut engine = match scope {
            FilterScope::MessageAttributes => Engine::lazy(),
            FilterScope::MessageBody => Engine::default(),
        };
        for (&id, entry) in self.entries.iter_mut() {
            if let (Some((s, p)), Some(policy)) = (&mut entry.slot, &entry.policy) {
                if *s == scope {
                    *p = engine.add(id, policy.compiled());
                }
            }
        }
        tracing::debug!(scope = scope.as_str(), policies = engine.live(), "filter set engine rebuilt");
        *self.engine_mut(scope) = engine;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attr_policy(json: &str) -> Option<SnsFilterPolicy> {
        Some(SnsFilterPolicy::parse(json, FilterScope::MessageAttributes).unwrap())
    }

    #[test]
    fn replace_remove_and_rebuild_keep_answers() {
        let mut set = FilterSet::new();
        for id in 0..200 {
            set.insert(id, attr_policy(&format!(r#"{{"k": ["v{}"]}}"#, id % 10)));
        }
        let msg = Message::new("").with_attribute("k", "v3");
        let mut out = Vec::new();
        set.matching(&msg, &mut out);
        assert_eq!(out, (0..200).filter(|i| i % 10 == 3).collect::<Vec<_>>());

        for id in 0..150 {
            set.remove(id);
        }
        assert_eq!(set.len(), 50);
        out.clear();
        set.matching(&msg, &mut out);
        assert_eq!(out, (150..200).filter(|i| i % 10 == 3).collect::<Vec<_>>());

        set.insert(153, attr_policy(r#"{"k": ["other"]}"#));
        set.insert(7, None);
        out.clear();
        set.matching(&msg, &mut out);
        let mut expected: Vec<usize> = (150..200).filter(|i| i % 10 == 3 && *i != 153).collect();
        expected.insert(0, 7);
        assert_eq!(out, expected);
        assert!(!set.is_empty());
    }

    #[test]
    fn policies_repeating_a_condition_share_it_and_keep_their_answers() {
        let mut set = FilterSet::new();
        set.insert(1, attr_policy(r#"{"k": ["v"], "n": [{"numeric": [">", 1]}]}"#));
        set.insert(2, attr_policy(r#"{"k": ["v"]}"#));
        set.insert(3, attr_policy(r#"{"$or": [{"k": ["v"], "n": [5]}, {"k": ["v"], "m": ["x"]}]}"#));
        set.insert(4, attr_policy(r#"{"k": ["v"], "m": [{"exists": false}]}"#));
        set.insert(5, attr_policy(r#"{"k": ["w"], "n": [{"numeric": [">", 1]}]}"#));
        let ids = |msg: &Message, set: &FilterSet| {
            let mut out = Vec::new();
            set.matching(msg, &mut out);
            out
        };
        let msg = Message::new("").with_attribute("k", "v").with_attribute("n", crate::AttributeValue::number(5));
        assert_eq!(ids(&msg, &set), [1, 2, 3, 4]);
        let msg = Message::new("").with_attribute("k", "v").with_attribute("m", "x");
        assert_eq!(ids(&msg, &set), [2, 3]);
        set.remove(2);
        set.remove(1);
        let msg = Message::new("").with_attribute("k", "v").with_attribute("n", crate::AttributeValue::number(2));
        assert_eq!(ids(&msg, &set), [4]);
        let msg = Message::new("").with_attribute("k", "w").with_attribute("n", crate::AttributeValue::number(2));
        assert_eq!(ids(&msg, &set), [5]);
    }

    #[test]
    fn mixed_scopes_and_appending() {
        let mut set = FilterSet::new();
        set.insert(5, Some(SnsFilterPolicy::parse(r#"{"a": {"b": [1]}}"#, FilterScope::MessageBody).unwrap()));
        set.insert(3, attr_policy(r#"{"t": [{"exists": true}]}"#));
        set.insert(4, attr_policy("{}"));
        let mut out = vec![99];
        set.matching(&Message::new(r#"{"a": {"b": 1}}"#).with_attribute("t", "x"), &mut out);
        assert_eq!(out, [99, 3, 4, 5]);
        out.clear();
        set.matching(&Message::new("nope"), &mut out);
        assert_eq!(out, [4]);
    }

    #[test]
    fn insert_remove_and_replace_of_policies_sharing_conditions() {
        let mut set = FilterSet::new();
        let shared = r#"{"t": ["A", "B"], "tier": ["gold"]}"#;
        for id in 0..40 {
            set.insert(id, attr_policy(if id % 2 == 0 { shared } else { r#"{"tier": ["gold"], "t": ["B", "A"]}"# }));
        }
        let gold_a = Message::new("").with_attribute("t", "A").with_attribute("tier", "gold");
        let ids = |set: &FilterSet, msg: &Message| {
            let mut out = Vec::new();
            set.matching(msg, &mut out);
            out
        };
        assert_eq!(ids(&set, &gold_a), (0..40).collect::<Vec<_>>());
        // Replacing some with a policy that shares one condition and not the other.
        for id in (0..40).step_by(3) {
            set.insert(id, attr_policy(r#"{"t": ["A", "B"], "tier": ["free"]}"#));
        }
        assert_eq!(ids(&set, &gold_a), (0..40).filter(|i| i % 3 != 0).collect::<Vec<_>>());
        let free_b = Message::new("").with_attribute("t", "B").with_attribute("tier", "free");
        assert_eq!(ids(&set, &free_b), (0..40).step_by(3).collect::<Vec<_>>());
        // Removing enough to rebuild the engine keeps the survivors' shared conditions.
        for id in 0..36 {
            set.remove(id);
        }
        assert_eq!(ids(&set, &gold_a), [37, 38]);
        assert_eq!(ids(&set, &free_b), [36, 39]);
        set.insert(5, attr_policy(shared));
        assert_eq!(ids(&set, &gold_a), [5, 37, 38]);
    }

    #[test]
    fn conditions_anchoring_nothing_are_checked_against_the_attribute_values() {
        // Rare exact `t` values anchor every branch; the other conditions are checked only for candidates,
        // against String, Number, String.Array (nested, with objects) and absent values.
        let others = [
            r#""n": [{"numeric": [">", 5]}]"#,
            r#""tags": ["vip"]"#,
            r#""tags": [{"prefix": "gi"}], "n": [7]"#,
            r#""c": [{"anything-but": ["web"]}]"#,
            r#""c": [{"exists": false}]"#,
            r#""c": ["ios", {"exists": false}]"#,
            r#""n": [{"exists": true}], "c": [{"equals-ignore-case": "WEB"}]"#,
            r#""z.y": [{"suffix": "end"}]"#,
            r#""n": [{"exists": false}]"#,
            r#""n": [9, {"exists": false}], "c": [{"exists": true}]"#,
        ];
        let mut set = FilterSet::new();
        let mut alone = Vec::new();
        for id in 0..84 {
            let json = if id < 80 {
                format!(r#"{{"t": ["T{}"], {}}}"#, id % 10, others[id % others.len()])
            } else {
                // Enough attribute names with conditions that a message can have more than are recorded.
                let k = 4 * (id - 80);
                format!(
                    r#"{{"t": ["T{id}"], "pad{k}": ["p"], "pad{}": ["p"], "pad{}": ["p"], "pad{}": ["p"]}}"#,
                    k + 1,
                    k + 2,
                    k + 3
                )
            };
            let policy = attr_policy(&json).unwrap();
            set.insert(id, Some(policy.clone()));
            alone.push(policy);
        }
        let number = crate::AttributeValue::number;
        let array = |v: &[&str]| crate::AttributeValue::StringArray(format!("[{}]", v.join(",")));
        let mut messages = Vec::new();
        for t in (0..10).chain(80..84) {
            let base = Message::new("").with_attribute("t", format!("T{t}").as_str());
            messages.push(base.clone().with_attribute("n", number(7)).with_attribute("c", "web"));
            messages.push(base.clone().with_attribute("n", "7").with_attribute("c", "Web"));
            messages.push(
                base.clone()
                    .with_attribute("tags", crate::AttributeValue::StringArray(r#"["x", ["vip"], {"a": 1}]"#.into()))
                    .with_attribute("z.y", "the end")
                    .with_attribute("n", crate::AttributeValue::Number("nope".into())),
            );
            messages.push(base.clone().with_attribute("tags", array(&[r#""gift""#, "7"])).with_attribute("c", "ios"));
            messages.push(base.clone().with_attribute("tags", crate::AttributeValue::StringArray("[bad".into())));
            // More attributes than are recorded: values are found again.
            let mut many = base.clone().with_attribute("n", number(9)).with_attribute("tags", array(&[r#""vip""#]));
            for k in 0..20 {
                many = many.with_attribute(format!("pad{k}").as_str(), "p");
            }
            let many = many.with_attribute("z.y", "no end!").with_attribute("c", "pos");
            messages.push(many.clone().with_attribute("n", crate::AttributeValue::Number("9x".into())));
            messages.push(many);
        }
        let mut matched = 0;
        for msg in &messages {
            let mut out = Vec::new();
            set.matching(msg, &mut out);
            let want: Vec<usize> = (0..84).filter(|&i| alone[i].matches_attributes(&msg.attributes)).collect();
            assert_eq!(out, want, "{msg:?}");
            matched += out.len();
        }
        assert!(matched > 50, "{matched}");
    }
}
