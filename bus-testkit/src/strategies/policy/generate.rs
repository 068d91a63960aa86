//! Strategies for valid filter policies: every operator family, both scopes, `$or`, nesting, within the
//! 5-key and 150-combination limits.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use bus_core::filter::{FilterScope, MAX_COMBINATIONS, MAX_KEYS};
use proptest::prelude::*;
use proptest::sample::{select, subsequence};

use super::model::{AnythingBut, KeyRules, Leaf, Numeric, PolicyModel, Rule};

/// The attribute names policies use in the attribute scope.
pub const ATTRIBUTE_KEYS: &[&str] = &["event-type", "store", "price", "region", "customer.tier", "flag", "ip"];

/// The key paths policies use in the body scope (dots separate object levels).
pub const BODY_KEYS: &[&str] = &[
    "type",
    "source",
    "data.store",
    "data.price",
    "data.region",
    "data.flag",
    "data.ip",
    "data.detail.kind",
    "data.detail.amount",
];

/// Letters of policy operands. Values that must escape every string operand use [`OTHER_LETTERS`].
pub(crate) const OPERAND_LETTERS: &str = "abcde";
/// Letters that no string operand contains.
pub(crate) const OTHER_LETTERS: &str = "vwxyz";

fn letters(alphabet: &'static str, len: std::ops::RangeInclusive<usize>) -> BoxedStrategy<String> {
    let chars: Vec<char> = alphabet.chars().collect();
    proptest::collection::vec(select(chars), len).prop_map(|v| v.into_iter().collect()).boxed()
}

/// A string operand: 1-4 letters of `abcde`.
pub(crate) fn operand() -> BoxedStrategy<String> {
    letters(OPERAND_LETTERS, 1..=4)
}

/// A string no operand matches (by equality, prefix, suffix, case or pattern): letters of `vwxyz`.
pub(crate) fn other_string() -> BoxedStrategy<String> {
    letters(OTHER_LETTERS, 1..=5)
}

/// An integral operand within AWS's ±10⁹ range with room for values around it (mostly small, so values
/// meet).
pub(crate) fn operand_number() -> BoxedStrategy<f64> {
    prop_oneof![4 => -50i64..=50, 1 => -999_999_000i64..=999_999_000].prop_map(|n| n as f64).boxed()
}

/// A wildcard pattern: literal segments of `abcde` around at least one `*`, never `**`.
fn wildcard() -> BoxedStrategy<String> {
    (proptest::collection::vec(letters(OPERAND_LETTERS, 1..=3), 1..=3), any::<bool>(), any::<bool>())
        .prop_map(|(segments, lead, trail)| {
            let mut p = segments.join("*");
            if lead || !p.contains('*') {
                p.insert(0, '*');
            }
            if trail {
                p.push('*');
            }
            p
        })
        .boxed()
}

fn numeric() -> BoxedStrategy<Numeric> {
    let bound = operand_number();
    prop_oneof![
        bound.clone().prop_map(Numeric::Eq),
        bound.clone().prop_map(Numeric::Lt),
        bound.clone().prop_map(Numeric::Le),
        bound.clone().prop_map(Numeric::Gt),
        bound.clone().prop_map(Numeric::Ge),
        (bound, 1u32..=100, any::<bool>(), any::<bool>()).prop_map(|(lower, width, li, ui)| Numeric::Range {
            lower,
            lower_inclusive: li,
            upper: (lower + f64::from(width)).min(1e9),
            upper_inclusive: ui,
        }),
    ]
    .prop_filter("bottom below top", |n| !matches!(n, Numeric::Range { lower, upper, .. } if lower >= upper))
    .boxed()
}

fn anything_but() -> BoxedStrategy<AnythingBut> {
    prop_oneof![
        proptest::collection::vec(operand(), 1..=3).prop_map(AnythingBut::Strings),
        proptest::collection::vec(operand_number(), 1..=3).prop_map(AnythingBut::Numbers),
        operand().prop_map(AnythingBut::Prefix),
        operand().prop_map(AnythingBut::Suffix),
        wildcard().prop_map(AnythingBut::Wildcard),
    ]
    .boxed()
}

/// A CIDR block: IPv4 /8-/30 or IPv6 /16-/120, host bits left in (SNS masks them off).
pub(crate) fn cidr() -> BoxedStrategy<(IpAddr, u8)> {
    prop_oneof![
        (any::<u32>(), 8u8..=30).prop_map(|(a, bits)| (IpAddr::V4(Ipv4Addr::from(a)), bits)),
        (any::<u128>(), 16u8..=120).prop_map(|(a, bits)| (IpAddr::V6(Ipv6Addr::from(a)), bits)),
    ]
    .boxed()
}

/// One rule of any family except `exists` (which [`rule_list`] places on its own).
pub fn rule() -> BoxedStrategy<Rule> {
    prop_oneof![
        3 => operand().prop_map(|s| Rule::Exact(Leaf::Str(s))),
        2 => operand_number().prop_map(|n| Rule::Exact(Leaf::Num(n))),
        1 => any::<bool>().prop_map(|b| Rule::Exact(Leaf::Bool(b))),
        1 => Just(Rule::Exact(Leaf::Null)),
        2 => operand().prop_map(Rule::Prefix),
        2 => operand().prop_map(Rule::Suffix),
        2 => operand().prop_map(|s| Rule::EqualsIgnoreCase(s.to_uppercase())),
        2 => wildcard().prop_map(Rule::Wildcard),
        3 => anything_but().prop_map(Rule::AnythingBut),
        3 => numeric().prop_map(Rule::Numeric),
        2 => cidr().prop_map(|(a, b)| Rule::Cidr(a, b)),
    ]
    .boxed()
}

/// A key's rule list: 1-3 rules, or `exists` alone, or `anything-but` with `exists: false` (the
/// combination AWS documents). Never a list that every value satisfies.
pub fn rule_list() -> BoxedStrategy<Vec<Rule>> {
    prop_oneof![
        6 => proptest::collection::vec(rule(), 1..=3),
        1 => any::<bool>().prop_map(|b| vec![Rule::Exists(b)]),
        1 => anything_but().prop_map(|ab| vec![Rule::AnythingBut(ab), Rule::Exists(false)]),
    ]
    .boxed()
}

fn split(path: &str) -> Vec<String> {
    path.split('.').map(str::to_owned).collect()
}

/// A valid filter policy of `scope`: 1-5 keys, every operator family, optional `$or` (at the root, or in
/// the body scope also inside `data`), nesting up to three levels in the body scope, at most 150
/// combinations.
///
/// ```
/// use bus_core::filter::{FilterScope, SnsFilterPolicy};
/// use bus_testkit::strategies::policy;
/// use proptest::strategy::{Strategy, ValueTree};
/// use proptest::test_runner::TestRunner;
///
/// let mut runner = TestRunner::deterministic();
/// let model = policy(FilterScope::MessageBody).new_tree(&mut runner).unwrap().current();
/// let compiled = SnsFilterPolicy::from_value(&model.to_json(), model.scope).unwrap();
/// assert_eq!(compiled.key_count(), model.key_count());
/// assert!(compiled.complexity() <= 150);
/// ```
pub fn policy(scope: FilterScope) -> BoxedStrategy<PolicyModel> {
    let keys: Vec<Vec<String>> = match scope {
        FilterScope::MessageAttributes => ATTRIBUTE_KEYS.iter().map(|k| vec![(*k).to_owned()]).collect(),
        FilterScope::MessageBody => BODY_KEYS.iter().map(|k| split(k)).collect(),
    };
    let or_at = match scope {
        FilterScope::MessageAttributes => Just(Vec::new()).boxed(),
        FilterScope::MessageBody => prop_oneof![Just(Vec::new()), Just(vec!["data".to_owned()])].boxed(),
    };
    (Just(keys).prop_shuffle(), 0usize..=3, prop_oneof![2 => Just(0usize), 1 => Just(2usize), 1 => Just(3usize)], or_at)
        .prop_flat_map(move |(keys, common_n, alternatives_n, or_at)| {
            // Alternatives take keys the common part does not use, below `or_at`; at most 5 keys in all.
            let pool: Vec<Vec<String>> = keys[common_n..]
                .iter()
                .filter(|k| k.len() > or_at.len() && k.starts_with(&or_at))
                .take(MAX_KEYS - common_n)
                .cloned()
                .collect();
            let alternatives_n = if pool.is_empty() { 0 } else { alternatives_n };
            let common_n = if alternatives_n == 0 { common_n.max(1) } else { common_n };
            let common: Vec<Vec<String>> = keys[..common_n].to_vec();
            let rules = proptest::collection::vec(rule_list(), common.len());
            let alternatives = proptest::collection::vec(
                subsequence(pool.clone(), 1..=pool.len().clamp(1, 2)).prop_flat_map(|paths| {
                    let n = paths.len();
                    (Just(paths), proptest::collection::vec(rule_list(), n))
                }),
                alternatives_n,
            );
            (Just(common), rules, alternatives, Just(or_at.clone()))
        })
        .prop_map(move |(common, rules, alternatives, or_at)| {
            let common: Vec<KeyRules> = common.into_iter().zip(rules).collect();
            let alternatives: Vec<Vec<KeyRules>> =
                alternatives.into_iter().map(|(paths, rules)| paths.into_iter().zip(rules).collect()).collect();
            let or_at = if alternatives.is_empty() { Vec::new() } else { or_at };
            fit(PolicyModel { scope, common, alternatives: without_shared_absence(alternatives), or_at })
        })
        .boxed()
}

/// A key shared by several alternatives does not accept its absence (no `exists: false`): otherwise
/// the alternatives together could accept every value of it, and the policy every message.
fn without_shared_absence(mut alternatives: Vec<Vec<KeyRules>>) -> Vec<Vec<KeyRules>> {
    let shared: Vec<Vec<String>> = alternatives
        .iter()
        .flatten()
        .map(|(p, _)| p.clone())
        .filter(|p| alternatives.iter().filter(|alt| alt.iter().any(|(q, _)| q == p)).count() > 1)
        .collect();
    for (path, rules) in alternatives.iter_mut().flatten() {
        if shared.contains(path) {
            rules.retain(|r| *r != Rule::Exists(false));
            if rules.is_empty() {
                rules.push(Rule::Exists(true));
            }
        }
    }
    alternatives
}

/// Drops rules, then alternatives, then keys until the policy is within 150 combinations.
fn fit(mut model: PolicyModel) -> PolicyModel {
    while model.complexity() > MAX_COMBINATIONS {
        let longest = model
            .common
            .iter_mut()
            .chain(model.alternatives.iter_mut().flatten())
            .filter(|(_, rules)| rules.len() > 1 && !rules.iter().any(|r| matches!(r, Rule::Exists(_))))
            .max_by_key(|(_, rules)| rules.len());
        if let Some((_, rules)) = longest {
            rules.pop();
        } else if model.alternatives.len() > 2 {
            model.alternatives.pop();
        } else if model.common.len() > 1 || (!model.common.is_empty() && !model.alternatives.is_empty()) {
            model.common.pop();
        } else {
            model.alternatives.iter_mut().for_each(|alt| alt.truncate(1));
        }
    }
    model
}
