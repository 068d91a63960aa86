//! The rules registered at one key path, indexed by value.
//!
//! Exact strings and numbers, `equals-ignore-case` operands and `true`/`false`/`null` are looked up by
//! value (a hash map once there are more than a few), `prefix`/`suffix` by slicing the value at each
//! operand length, `numeric` ranges through sorted bounds ([`super::ranges`]); so a value costs about the
//! same however many policies name that key. The rest (`wildcard`, `anything-but`, `exists`, `cidr`) is
//! checked rule by rule.

use super::ast::{AnythingBut, Literal, Rule};
use super::cidr::Cidr;
use super::hash::{eq_ignore_case, folded_hash, FastEq, LookupMap};
use super::number::{NumericRange, Quantum};
use super::ranges::{AffixIndex, RangeIndex};
use super::scratch::MatchState;
use super::wildcard::Wildcard;

/// A leaf value of a message, borrowed from it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Val<'a> {
    /// A string.
    Str(&'a str),
    /// A number, quantised.
    Num(Quantum),
    /// `true` / `false`.
    Bool(bool),
    /// `null`.
    Null,
}

/// An operator that is checked against each value (not indexed).
#[derive(Debug, Clone)]
pub(crate) enum Matcher {
    Wildcard(Wildcard),
    AnythingBut(AnythingBut),
    /// `exists: true`: any non-null value.
    ExistsTrue,
    Cidr(Cidr),
}

impl Matcher {
    /// Whether `v` satisfies the operator. Operators are type-strict: `wildcard` and `cidr` only match
    /// strings.
    #[inline]
    pub(crate) fn matches(&self, v: Val<'_>) -> bool {
        match (self, v) {
            (Matcher::Wildcard(w), Val::Str(s)) => w.matches(s),
            (Matcher::Cidr(c), Val::Str(s)) => c.contains(s),
            (Matcher::ExistsTrue, v) => v != Val::Null,
            (Matcher::AnythingBut(a), v) => anything_but_allows(a, v),
            _ => false,
        }
    }
}

/// Whether value `v` satisfies `rule` on its own: what registering `rule` in a [`ValueIndex`] and feeding
/// `v` reports (`exists: false` is not a value rule and never does).
#[inline]
pub(crate) fn rule_allows(rule: &Rule, v: Val<'_>) -> bool {
    match (rule, v) {
        (Rule::Literal(Literal::String(x)), Val::Str(s)) => x.as_str().fast_eq(s),
        (Rule::Literal(Literal::Number(x)), Val::Num(q)) => *x == q,
        (Rule::Literal(Literal::Bool(x)), Val::Bool(b)) => *x == b,
        (Rule::Literal(Literal::Null), Val::Null) => true,
        (Rule::Prefix(p), Val::Str(s)) => s.starts_with(p.as_str()),
        (Rule::Suffix(p), Val::Str(s)) => s.ends_with(p.as_str()),
        (Rule::EqualsIgnoreCase(x), Val::Str(s)) => eq_ignore_case(x, s),
        (Rule::Numeric(r), Val::Num(q)) => in_range(r, q),
        (Rule::Wildcard(w), Val::Str(s)) => w.matches(s),
        (Rule::Cidr(c), Val::Str(s)) => c.contains(s),
        (Rule::AnythingBut(a), v) => anything_but_allows(a, v),
        (Rule::Exists(true), v) => v != Val::Null,
        _ => false,
    }
}

/// Whether `q` is inside `range` (what the range index reports).
fn in_range(range: &NumericRange, q: Quantum) -> bool {
    let above = range.lower.is_none_or(|b| if b.inclusive { q >= b.value } else { q > b.value });
    let below = range.upper.is_none_or(|b| if b.inclusive { q <= b.value } else { q < b.value });
    above && below
}

/// `anything-but`: a present value that is not excluded. A value of another type than the operand is not
/// excluded (string `"100"` passes `anything-but [100]`).
fn anything_but_allows(a: &AnythingBut, v: Val<'_>) -> bool {
    match (a, v) {
        (AnythingBut::Strings(list), Val::Str(s)) => !list.iter().any(|x| x == s),
        (AnythingBut::Numbers(list), Val::Num(q)) => !list.contains(&q),
        (AnythingBut::Prefix(p), Val::Str(s)) => !s.starts_with(p.as_str()),
        (AnythingBut::Suffix(p), Val::Str(s)) => !s.ends_with(p.as_str()),
        (AnythingBut::Wildcard(w), Val::Str(s)) => !w.matches(s),
        _ => true,
    }
}

/// Everything registered at one key path.
#[derive(Debug, Clone, Default)]
pub(crate) struct ValueIndex {
    exact: LookupMap<Box<str>, Vec<u32>>,
    numbers: LookupMap<Quantum, Vec<u32>>,
    /// Conditions with a `true`, `false`, `null` literal.
    literals: [Vec<u32>; 3],
    /// Case-folded hash → (operand, condition).
    ignore_case: LookupMap<u64, Vec<(Box<str>, u32)>>,
    prefixes: AffixIndex,
    suffixes: AffixIndex,
    ranges: RangeIndex,
    scans: Vec<(u32, Matcher)>,
}

fn push_unique(list: &mut Vec<u32>, cond: u32) {
    if list.last() != Some(&cond) {
        list.push(cond);
    }
}

impl ValueIndex {
    /// Registers `rule` of condition `cond`. `exists: false` is not a value rule; the caller handles it.
    pub(crate) fn add(&mut self, cond: u32, rule: &Rule) {
        match rule {
            Rule::Literal(Literal::String(s)) => {
                push_unique(self.exact.entry_or_insert_with(s.as_str().into(), Vec::new), cond)
            }
            Rule::Literal(Literal::Number(q)) => push_unique(self.numbers.entry_or_insert_with(*q, Vec::new), cond),
            Rule::Literal(Literal::Bool(true)) => push_unique(&mut self.literals[0], cond),
            Rule::Literal(Literal::Bool(false)) => push_unique(&mut self.literals[1], cond),
            Rule::Literal(Literal::Null) => push_unique(&mut self.literals[2], cond),
            Rule::EqualsIgnoreCase(s) => {
                self.ignore_case.entry_or_insert_with(folded_hash(s), Vec::new).push((s.as_str().into(), cond))
            }
            Rule::Prefix(p) => self.prefixes.add(p, cond),
            Rule::Suffix(p) => self.suffixes.add(p, cond),
            Rule::Wildcard(w) => self.scans.push((cond, Matcher::Wildcard(w.clone()))),
            Rule::AnythingBut(a) => self.scans.push((cond, Matcher::AnythingBut(a.clone()))),
            Rule::Numeric(r) => self.ranges.add(r, cond),
            Rule::Cidr(c) => self.scans.push((cond, Matcher::Cidr(*c))),
            Rule::Exists(true) => self.scans.push((cond, Matcher::ExistsTrue)),
            Rule::Exists(false) => {}
        }
    }

    /// Number of distinct exact values (strings and numbers) and of distinct case-folded
    /// `equals-ignore-case` operands registered here: how spread the values policies expect at this path are.
    pub(crate) fn distinct_values(&self) -> (usize, usize) {
        (self.exact.len() + self.numbers.len(), self.ignore_case.len())
    }

    /// Reports to `st` every condition that value `v` satisfies.
    #[inline]
    pub(crate) fn feed(&self, v: Val<'_>, st: &mut MatchState<'_, '_>) {
        match v {
            Val::Str(s) => {
                if let Some(conds) = self.exact.get(s) {
                    st.hit_all(conds);
                }
                if !self.prefixes.is_empty() {
                    self.prefixes.for_each(s, false, |conds| st.hit_all(conds));
                }
                if !self.suffixes.is_empty() {
                    self.suffixes.for_each(s, true, |conds| st.hit_all(conds));
                }
                if !self.ignore_case.is_empty() {
                    if let Some(entries) = self.ignore_case.get(&folded_hash(s)) {
                        for (operand, cond) in entries {
                            if eq_ignore_case(operand, s) {
                                st.hit(*cond);
                            }
                        }
                    }
                }
            }
            Val::Num(q) => {
                if let Some(conds) = self.numbers.get(&q) {
                    st.hit_all(conds);
                }
                if !self.ranges.is_empty() {
                    self.ranges.for_each(q, |cond| st.hit(cond));
                }
            }
            Val::Bool(true) => st.hit_all(&self.literals[0]),
            Val::Bool(false) => st.hit_all(&self.literals[1]),
            Val::Null => st.hit_all(&self.literals[2]),
        }
        for (cond, matcher) in &self.scans {
            if st.wants(*cond) && matcher.matches(v) {
                st.hit(*cond);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filter::number::quantize;

    #[test]
    fn operators_are_type_strict() {
        let w = Matcher::Wildcard(Wildcard::parse("1*").unwrap());
        assert!(w.matches(Val::Str("12")));
        assert!(!w.matches(Val::Num(quantize(12.0))));
        let c = Matcher::Cidr(Cidr::parse("10.0.0.0/8").unwrap());
        assert!(c.matches(Val::Str("10.1.2.3")));
        assert!(!c.matches(Val::Num(10)));
        assert!(Matcher::ExistsTrue.matches(Val::Str("")));
        assert!(!Matcher::ExistsTrue.matches(Val::Null));
    }

    #[test]
    fn anything_but_other_types_are_not_excluded() {
        let nums = AnythingBut::Numbers(vec![quantize(100.0)]);
        assert!(!anything_but_allows(&nums, Val::Num(quantize(100.0))));
        assert!(anything_but_allows(&nums, Val::Str("100")));
        let strs = AnythingBut::Strings(vec!["100".into()]);
        assert!(anything_but_allows(&strs, Val::Num(quantize(100.0))));
        assert!(!anything_but_allows(&strs, Val::Str("100")));
        assert!(anything_but_allows(&strs, Val::Null));
        let pre = AnythingBut::Prefix("order-".into());
        assert!(!anything_but_allows(&pre, Val::Str("order-")));
        assert!(anything_but_allows(&pre, Val::Str("order_number")));
    }
}
