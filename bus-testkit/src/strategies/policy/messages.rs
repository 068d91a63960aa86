//! For a [`PolicyModel`]: messages that match it and messages that do not, built constructively (a
//! value that satisfies a rule, a value that every rule of a key refuses), not by filtering.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use bus_core::filter::FilterScope;
use bus_core::limits::MAX_ATTRIBUTES;
use bus_core::{AttributeValue, Message, MessageAttributes};
use proptest::prelude::*;
use proptest::sample::select;
use serde_json::{Map, Value};

use super::generate::{operand, other_string};
use super::model::{number, AnythingBut, KeyRules, Leaf, Numeric, PolicyModel, Rule};
use crate::strategies::events::event;

/// Attribute names that no generated policy uses.
const NOISE_ATTRIBUTES: &[&str] = &["trace-id", "n.one", "x_2", "Source", "retry-of", "tenant"];

/// What a message holds at one key.
#[derive(Debug, Clone, PartialEq)]
enum Slot {
    Absent,
    One(Leaf),
    Many(Vec<Leaf>),
}

/// Messages that `model` matches: one branch is chosen and each of its keys gets a value satisfying
/// one of its rules (sometimes inside an array, beside values that satisfy nothing); unrelated
/// attributes or members are added around them.
///
/// ```
/// use bus_core::filter::{FilterPolicy, FilterScope, SnsFilterPolicy};
/// use bus_testkit::strategies::{matching_messages, non_matching_messages, policy};
/// use proptest::strategy::{Strategy, ValueTree};
/// use proptest::test_runner::TestRunner;
///
/// let mut runner = TestRunner::deterministic();
/// let model = policy(FilterScope::MessageAttributes).new_tree(&mut runner).unwrap().current();
/// let engine = SnsFilterPolicy::from_value(&model.to_json(), model.scope).unwrap();
/// let yes = matching_messages(&model).new_tree(&mut runner).unwrap().current();
/// assert!(engine.matches(&yes), "{model} should match {yes:?}");
/// let no = non_matching_messages(&model).unwrap().new_tree(&mut runner).unwrap().current();
/// assert!(!engine.matches(&no), "{model} should not match {no:?}");
/// ```
pub fn matching_messages(model: &PolicyModel) -> BoxedStrategy<Message> {
    let scope = model.scope;
    let branches: Vec<Vec<KeyRules>> = model.branches().into_iter().map(|b| b.into_iter().cloned().collect()).collect();
    (0..branches.len())
        .prop_flat_map(move |i| {
            let slots: Vec<BoxedStrategy<(Vec<String>, Slot)>> = branches[i]
                .iter()
                .map(|(path, rules)| {
                    let path = path.clone();
                    (select(rules.clone()).prop_flat_map(|r| witness(&r)), any::<u8>())
                        .prop_flat_map(move |(leaf, wrap)| (Just(path.clone()), slot_around(leaf, wrap)))
                        .boxed()
                })
                .collect();
            (slots, noise(scope, branches[i].len()))
        })
        .prop_map(move |(slots, noise)| assemble(scope, slots, noise))
        .boxed()
}

/// Messages that `model` does not match: every branch gets a key whose value (or absence) every rule
/// of that key refuses. `None` when there is no such message (a policy that matches everything with
/// at least one attribute, such as `{"a": [{"exists": true}, {"exists": false}]}`).
pub fn non_matching_messages(model: &PolicyModel) -> Option<BoxedStrategy<Message>> {
    let scope = model.scope;
    let table = KillTable::new(model);
    table.solve(&vec![0; table.paths.len()])?;
    let n = table.paths.len();
    Some(
        (proptest::collection::vec(any::<u64>(), n), noise(scope, n))
            .prop_filter_map("no refusing assignment", move |(order, noise)| {
                let choice = table.solve(&order)?;
                let slots = table.paths.iter().zip(choice).map(|(p, c)| (p.path.clone(), c.clone())).collect();
                Some(assemble(scope, slots, noise))
            })
            .boxed(),
    )
}

/// Per key path, the candidate values and the branches each one defeats.
#[derive(Debug, Clone)]
struct KillTable {
    branches: usize,
    paths: Vec<PathCandidates>,
}

#[derive(Debug, Clone)]
struct PathCandidates {
    path: Vec<String>,
    /// (value, bitmask of the branches in which every rule of this key refuses it)
    candidates: Vec<(Slot, u64)>,
}

impl KillTable {
    fn new(model: &PolicyModel) -> Self {
        let branches = model.branches();
        let paths = model
            .paths()
            .into_iter()
            .map(|path| {
                let lists: Vec<(usize, &Vec<Rule>)> = branches
                    .iter()
                    .enumerate()
                    .filter_map(|(b, keys)| keys.iter().find(|(p, _)| p.as_slice() == path).map(|(_, r)| (b, r)))
                    .collect();
                let mut candidates: Vec<(Slot, u64)> = Vec::new();
                for value in refusal_candidates(lists.iter().flat_map(|(_, rules)| rules.iter())) {
                    let mut kills = 0u64;
                    let mut clear = true;
                    for (b, rules) in &lists {
                        let answers: Vec<Option<bool>> = rules.iter().map(|r| r.accepts(value.as_ref())).collect();
                        clear &= answers.iter().all(Option::is_some);
                        if answers.iter().all(|a| *a == Some(false)) {
                            kills |= 1 << b;
                        }
                    }
                    let slot = value.map_or(Slot::Absent, Slot::One);
                    if clear && !candidates.iter().any(|(s, _)| *s == slot) {
                        candidates.push((slot, kills));
                    }
                }
                PathCandidates { path: path.to_vec(), candidates }
            })
            .collect();
        KillTable { branches: branches.len(), paths }
    }

    /// A value per path such that every branch is defeated, trying candidates in an order given by
    /// `order` (one number per path).
    fn solve(&self, order: &[u64]) -> Option<Vec<&Slot>> {
        let all = if self.branches >= 64 { u64::MAX } else { (1u64 << self.branches) - 1 };
        let orders: Vec<Vec<usize>> = self
            .paths
            .iter()
            .zip(order)
            .map(|(p, seed)| {
                let mut idx: Vec<usize> = (0..p.candidates.len()).collect();
                idx.sort_by_key(|i| crate::faults::mix(seed ^ *i as u64));
                idx
            })
            .collect();
        let mut chosen = Vec::with_capacity(self.paths.len());
        self.search(0, 0, all, &orders, &mut chosen)
            .then(|| chosen.iter().enumerate().map(|(p, c)| &self.paths[p].candidates[*c].0).collect())
    }

    fn search(&self, at: usize, killed: u64, all: u64, orders: &[Vec<usize>], chosen: &mut Vec<usize>) -> bool {
        if at == self.paths.len() {
            return killed == all;
        }
        for &c in &orders[at] {
            chosen.push(c);
            if self.search(at + 1, killed | self.paths[at].candidates[c].1, all, orders, chosen) {
                return true;
            }
            chosen.pop();
        }
        false
    }
}

/// Values likely to be refused by some of `rules`: absence, strings and numbers no operand mentions,
/// and for each rule the values it excludes or just misses.
fn refusal_candidates<'a>(rules: impl Iterator<Item = &'a Rule>) -> Vec<Option<Leaf>> {
    let mut out =
        vec![None, Some(Leaf::Str("vxw".into())), Some(Leaf::Num(7.25)), Some(Leaf::Bool(true)), Some(Leaf::Null)];
    for rule in rules {
        let s = |s: String| Some(Leaf::Str(s));
        let n = |n: f64| Some(Leaf::Num(n));
        match rule {
            Rule::Exact(Leaf::Str(x)) => out.push(s(x.to_uppercase())),
            Rule::Exact(Leaf::Num(x)) => out.extend([n(x + 0.5), s(number(*x).to_string())]),
            Rule::Exact(Leaf::Bool(b)) => out.push(Some(Leaf::Bool(!b))),
            Rule::Exact(Leaf::Null) => {}
            Rule::Prefix(p) => out.push(s(format!("v{p}"))),
            Rule::Suffix(p) => out.push(s(format!("{p}v"))),
            Rule::EqualsIgnoreCase(p) => out.push(s(format!("{p}a"))),
            Rule::Wildcard(p) => out.push(s(p.replace('*', "").chars().skip(1).collect())),
            Rule::AnythingBut(AnythingBut::Strings(v)) => out.extend(v.iter().map(|x| s(x.clone()))),
            Rule::AnythingBut(AnythingBut::Numbers(v)) => out.extend(v.iter().map(|x| n(*x))),
            Rule::AnythingBut(AnythingBut::Prefix(p)) => out.push(s(format!("{p}a"))),
            Rule::AnythingBut(AnythingBut::Suffix(p)) => out.push(s(format!("a{p}"))),
            Rule::AnythingBut(AnythingBut::Wildcard(p)) => out.push(s(p.replace('*', "b"))),
            Rule::Numeric(num) => out.extend(numeric_outside(*num).into_iter().map(n)),
            Rule::Exists(_) => {}
            Rule::Cidr(addr, bits) => {
                out.push(s(outside_block(*addr, *bits).to_string()));
                out.push(s(match addr {
                    IpAddr::V4(_) => "2001:db8::1".to_owned(),
                    IpAddr::V6(_) => "10.0.0.1".to_owned(),
                }));
            }
        }
    }
    out.retain(|v| !matches!(v, Some(Leaf::Str(x)) if x.is_empty()));
    out
}

fn numeric_outside(n: Numeric) -> Vec<f64> {
    match n {
        Numeric::Eq(a) => vec![a + 1.0, a - 0.5],
        Numeric::Lt(a) => vec![a, a + 1.0],
        Numeric::Le(a) => vec![a + 0.5],
        Numeric::Gt(a) => vec![a, a - 1.0],
        Numeric::Ge(a) => vec![a - 0.5],
        Numeric::Range { lower, lower_inclusive, upper, upper_inclusive } => {
            let mut v = vec![lower - 1.0, upper + 1.0];
            if !lower_inclusive {
                v.push(lower);
            }
            if !upper_inclusive {
                v.push(upper);
            }
            v
        }
    }
}

/// A value satisfying `rule` (`None`: the key is absent, for `exists: false`).
fn witness(rule: &Rule) -> BoxedStrategy<Option<Leaf>> {
    let some_str = |s: BoxedStrategy<String>| s.prop_map(|s| Some(Leaf::Str(s))).boxed();
    let any_text = || "[a-z]{0,3}".boxed();
    match rule.clone() {
        Rule::Exact(leaf) => Just(Some(leaf)).boxed(),
        Rule::Prefix(p) => some_str(any_text().prop_map(move |t| format!("{p}{t}")).boxed()),
        Rule::Suffix(p) => some_str(any_text().prop_map(move |t| format!("{t}{p}")).boxed()),
        Rule::EqualsIgnoreCase(p) => some_str(
            proptest::collection::vec(any::<bool>(), p.len())
                .prop_map(move |flips| {
                    p.chars().zip(flips).map(|(c, f)| if f { c.to_ascii_lowercase() } else { c }).collect()
                })
                .boxed(),
        ),
        Rule::Wildcard(p) => {
            let stars = p.matches('*').count();
            some_str(
                proptest::collection::vec(any_text(), stars)
                    .prop_map(move |fills| {
                        let mut fills = fills.into_iter();
                        p.split('*').enumerate().fold(String::new(), |mut acc, (i, part)| {
                            if i > 0 {
                                acc.push_str(&fills.next().unwrap_or_default());
                            }
                            acc.push_str(part);
                            acc
                        })
                    })
                    .boxed(),
            )
        }
        Rule::AnythingBut(AnythingBut::Numbers(_)) => prop_oneof![
            (-50i64..50).prop_map(|n| Some(Leaf::Num(n as f64 + 0.25))),
            operand().prop_map(|s| Some(Leaf::Str(s))),
        ]
        .boxed(),
        Rule::AnythingBut(AnythingBut::Strings(_)) => prop_oneof![
            other_string().prop_map(|s| Some(Leaf::Str(s))),
            (-50i64..50).prop_map(|n| Some(Leaf::Num(n as f64))),
        ]
        .boxed(),
        Rule::AnythingBut(_) => some_str(other_string()),
        Rule::Numeric(n) => select(numeric_inside(n)).prop_map(|x| Some(Leaf::Num(x))).boxed(),
        Rule::Exists(true) => some_str("[a-z]{1,5}".boxed()),
        Rule::Exists(false) => Just(None).boxed(),
        Rule::Cidr(addr, bits) => {
            any::<u128>().prop_map(move |r| Some(Leaf::Str(inside_block(addr, bits, r).to_string()))).boxed()
        }
    }
}

fn numeric_inside(n: Numeric) -> Vec<f64> {
    match n {
        Numeric::Eq(a) => vec![a],
        Numeric::Lt(a) => vec![a - 0.5, a - 3.0],
        Numeric::Le(a) => vec![a, a - 2.0],
        Numeric::Gt(a) => vec![a + 0.5, a + 7.0],
        Numeric::Ge(a) => vec![a, a + 1.0],
        Numeric::Range { lower, lower_inclusive, upper, upper_inclusive } => {
            let mut v = vec![lower + (upper - lower) / 2.0, lower + 0.25];
            if lower_inclusive {
                v.push(lower);
            }
            if upper_inclusive {
                v.push(upper);
            }
            v
        }
    }
}

fn inside_block(addr: IpAddr, bits: u8, random: u128) -> IpAddr {
    match addr {
        IpAddr::V4(a) => {
            let mask = u32::MAX.checked_shl(32 - u32::from(bits)).unwrap_or(0);
            IpAddr::V4(Ipv4Addr::from((u32::from(a) & mask) | (random as u32 & !mask)))
        }
        IpAddr::V6(a) => {
            let mask = u128::MAX.checked_shl(128 - u32::from(bits)).unwrap_or(0);
            IpAddr::V6(Ipv6Addr::from((u128::from(a) & mask) | (random & !mask)))
        }
    }
}

fn outside_block(addr: IpAddr, bits: u8) -> IpAddr {
    match addr {
        IpAddr::V4(a) => IpAddr::V4(Ipv4Addr::from(u32::from(a) ^ (1u32 << (32 - u32::from(bits))))),
        IpAddr::V6(a) => IpAddr::V6(Ipv6Addr::from(u128::from(a) ^ (1u128 << (128 - u32::from(bits))))),
    }
}

/// The slot of a witness: absent, the value, or (one time in four) the value in an array among values
/// no rule mentions.
fn slot_around(leaf: Option<Leaf>, wrap: u8) -> BoxedStrategy<Slot> {
    match leaf {
        None => Just(Slot::Absent).boxed(),
        Some(leaf) if wrap % 4 == 0 => (other_string(), any::<bool>())
            .prop_map(move |(noise, first)| {
                let noise = Leaf::Str(noise);
                Slot::Many(if first { vec![noise, leaf.clone()] } else { vec![leaf.clone(), noise] })
            })
            .boxed(),
        Some(leaf) => Just(Slot::One(leaf)).boxed(),
    }
}

/// What surrounds the keys: attributes (and, in the attribute scope, an event body) or body members.
#[derive(Debug, Clone)]
struct Noise {
    attributes: Vec<(String, String)>,
    body: Value,
}

fn noise(scope: FilterScope, keys: usize) -> BoxedStrategy<Noise> {
    let room = MAX_ATTRIBUTES.saturating_sub(keys).clamp(1, NOISE_ATTRIBUTES.len());
    let min = usize::from(scope == FilterScope::MessageAttributes);
    (
        proptest::sample::subsequence(NOISE_ATTRIBUTES, min..=room),
        proptest::collection::vec(other_string(), room),
        event(),
    )
        .prop_map(move |(names, values, event)| {
            let attributes = names.into_iter().zip(values).map(|(n, v)| (n.to_owned(), v)).collect();
            let body = match scope {
                FilterScope::MessageAttributes => serde_json::to_value(&event).unwrap_or_default(),
                FilterScope::MessageBody => serde_json::json!({"id": 7, "data": {"note": event.event_type}}),
            };
            Noise { attributes, body }
        })
        .boxed()
}

fn assemble(scope: FilterScope, slots: Vec<(Vec<String>, Slot)>, noise: Noise) -> Message {
    let mut attributes: MessageAttributes =
        noise.attributes.into_iter().map(|(n, v)| (n, AttributeValue::String(v))).collect();
    let mut body = noise.body;
    for (path, slot) in slots {
        match scope {
            FilterScope::MessageAttributes => {
                if let Some(v) = attribute(&slot) {
                    attributes.insert(path.join("."), v);
                }
            }
            FilterScope::MessageBody => {
                if let (Some(v), Value::Object(obj)) = (json(&slot), &mut body) {
                    put(obj, &path, v);
                }
            }
        }
    }
    Message { body: body.to_string(), attributes, ..Message::default() }
}

fn put(obj: &mut Map<String, Value>, path: &[String], value: Value) {
    match path {
        [] => {}
        [last] => {
            obj.insert(last.clone(), value);
        }
        [first, rest @ ..] => {
            let child = obj.entry(first.clone()).or_insert_with(|| Value::Object(Map::new()));
            if !child.is_object() {
                *child = Value::Object(Map::new());
            }
            if let Value::Object(child) = child {
                put(child, rest, value);
            }
        }
    }
}

/// A number as message text, in varied spellings of the same value (`5`, `5.0`, `5e0`).
fn number_text(n: f64) -> String {
    if n.fract() != 0.0 {
        return n.to_string();
    }
    let i = n as i64;
    match i.rem_euclid(3) {
        0 => i.to_string(),
        1 => format!("{i}.0"),
        _ if i % 10 == 0 && i != 0 => format!("{}e1", i / 10),
        _ => format!("{i}e0"),
    }
}

fn leaf_json(leaf: &Leaf) -> Value {
    match leaf {
        Leaf::Num(n) if n.fract() == 0.0 && (*n as i64).rem_euclid(2) == 1 => serde_json::json!(n),
        other => other.to_json(),
    }
}

fn json(slot: &Slot) -> Option<Value> {
    match slot {
        Slot::Absent => None,
        Slot::One(leaf) => Some(leaf_json(leaf)),
        Slot::Many(leaves) => Some(Value::Array(leaves.iter().map(leaf_json).collect())),
    }
}

fn attribute(slot: &Slot) -> Option<AttributeValue> {
    match slot {
        Slot::Absent => None,
        Slot::One(Leaf::Str(s)) => Some(AttributeValue::String(s.clone())),
        Slot::One(Leaf::Num(n)) => Some(AttributeValue::Number(number_text(*n))),
        Slot::One(leaf) => Some(AttributeValue::StringArray(Value::Array(vec![leaf.to_json()]).to_string())),
        Slot::Many(leaves) => {
            Some(AttributeValue::StringArray(Value::Array(leaves.iter().map(leaf_json).collect()).to_string()))
        }
    }
}
