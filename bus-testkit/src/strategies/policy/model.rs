//! [`PolicyModel`]: a filter policy as data — its keys, their rules and its `$or` alternatives — that
//! renders to SNS policy JSON and knows, for a single value, which rules accept it.

use std::fmt;
use std::net::IpAddr;

use bus_core::filter::{FilterScope, MAX_COMBINATIONS, MAX_KEYS};
use serde_json::{json, Map, Value};

/// One value at a key of a message: a string, a number, a boolean or null.
#[derive(Debug, Clone, PartialEq)]
pub enum Leaf {
    /// A string (a `String` attribute, or a JSON string).
    Str(String),
    /// A number (a `Number` attribute, or a JSON number).
    Num(f64),
    /// `true` / `false` (a `String.Array` element, or a JSON boolean).
    Bool(bool),
    /// `null` (a `String.Array` element, or JSON null).
    Null,
}

/// An `anything-but` operand.
#[derive(Debug, Clone, PartialEq)]
pub enum AnythingBut {
    /// Excludes these strings (a single one renders as a plain string).
    Strings(Vec<String>),
    /// Excludes these numbers (a single one renders as a plain number).
    Numbers(Vec<f64>),
    /// Excludes strings with this prefix.
    Prefix(String),
    /// Excludes strings with this suffix.
    Suffix(String),
    /// Excludes strings matching this wildcard pattern.
    Wildcard(String),
}

/// A `numeric` condition.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Numeric {
    /// `["=", n]`
    Eq(f64),
    /// `["<", n]`
    Lt(f64),
    /// `["<=", n]`
    Le(f64),
    /// `[">", n]`
    Gt(f64),
    /// `[">=", n]`
    Ge(f64),
    /// `[">" or ">=", lower, "<" or "<=", upper]` with `lower < upper`.
    Range {
        /// The lower bound.
        lower: f64,
        /// `>=` instead of `>`.
        lower_inclusive: bool,
        /// The upper bound.
        upper: f64,
        /// `<=` instead of `<`.
        upper_inclusive: bool,
    },
}

/// One rule of a key's rule list.
#[derive(Debug, Clone, PartialEq)]
pub enum Rule {
    /// An exact literal (string, number, boolean or null).
    Exact(Leaf),
    /// `{"prefix": ...}`
    Prefix(String),
    /// `{"suffix": ...}`
    Suffix(String),
    /// `{"equals-ignore-case": ...}` (ASCII operands).
    EqualsIgnoreCase(String),
    /// `{"wildcard": ...}` (no escapes, no `**`).
    Wildcard(String),
    /// `{"anything-but": ...}`
    AnythingBut(AnythingBut),
    /// `{"numeric": [...]}`
    Numeric(Numeric),
    /// `{"exists": ...}`
    Exists(bool),
    /// `{"cidr": "address/bits"}`
    Cidr(IpAddr, u8),
}

/// A key (one component in the attribute scope; object levels in the body scope) and its rule list.
pub type KeyRules = (Vec<String>, Vec<Rule>);

/// A filter policy as data: keys that always apply (`common`) and, optionally, `$or` alternatives placed
/// in the object at `or_at`. The policy matches when the common keys and the keys of one alternative
/// all match. Keys never repeat within one branch, and no key path is a prefix of another.
#[derive(Debug, Clone, PartialEq)]
pub struct PolicyModel {
    /// The scope.
    pub scope: FilterScope,
    /// Keys of every branch.
    pub common: Vec<KeyRules>,
    /// `$or` alternatives (none, or at least two), each with its own keys.
    pub alternatives: Vec<Vec<KeyRules>>,
    /// Where the `$or` sits (empty: the root); alternative paths start with it.
    pub or_at: Vec<String>,
}

impl PolicyModel {
    /// The branches: for each alternative, the common keys and its own (just the common keys without
    /// `$or`).
    pub fn branches(&self) -> Vec<Vec<&KeyRules>> {
        if self.alternatives.is_empty() {
            return vec![self.common.iter().collect()];
        }
        self.alternatives.iter().map(|alt| self.common.iter().chain(alt).collect()).collect()
    }

    /// The distinct key paths, in order of first appearance.
    pub fn paths(&self) -> Vec<&[String]> {
        let mut out: Vec<&[String]> = Vec::new();
        for (path, _) in self.common.iter().chain(self.alternatives.iter().flatten()) {
            if !out.contains(&path.as_slice()) {
                out.push(path);
            }
        }
        out
    }

    /// Keys as AWS counts them against the 5-key limit (distinct leaf paths).
    pub fn key_count(&self) -> usize {
        self.paths().len()
    }

    /// Combinations as AWS counts them against the 150 limit: over the branches, the sum of the
    /// products of (rules × depth) of their keys.
    pub fn complexity(&self) -> u64 {
        self.branches()
            .iter()
            .map(|b| b.iter().map(|(path, rules)| (rules.len() * path.len()) as u64).product::<u64>())
            .sum()
    }

    /// Whether the policy is within AWS's key and combination limits.
    pub fn within_limits(&self) -> bool {
        self.key_count() <= MAX_KEYS && self.complexity() <= MAX_COMBINATIONS
    }

    /// The policy JSON.
    pub fn to_json(&self) -> Value {
        let mut root = Map::new();
        for (path, rules) in &self.common {
            insert(&mut root, path, rules_json(rules));
        }
        if !self.alternatives.is_empty() {
            let alternatives: Vec<Value> = self
                .alternatives
                .iter()
                .map(|alt| {
                    let mut obj = Map::new();
                    for (path, rules) in alt {
                        insert(&mut obj, &path[self.or_at.len()..], rules_json(rules));
                    }
                    Value::Object(obj)
                })
                .collect();
            let mut at = &mut root;
            for part in &self.or_at {
                at = at
                    .entry(part.clone())
                    .or_insert_with(|| Value::Object(Map::new()))
                    .as_object_mut()
                    .expect("object");
            }
            at.insert("$or".to_owned(), Value::Array(alternatives));
        }
        Value::Object(root)
    }
}

impl fmt::Display for PolicyModel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.to_json(), self.scope)
    }
}

fn insert(obj: &mut Map<String, Value>, path: &[String], value: Value) {
    match path {
        [] => {}
        [last] => {
            obj.insert(last.clone(), value);
        }
        [first, rest @ ..] => {
            let child = obj.entry(first.clone()).or_insert_with(|| Value::Object(Map::new()));
            if let Value::Object(child) = child {
                insert(child, rest, value);
            }
        }
    }
}

fn rules_json(rules: &[Rule]) -> Value {
    Value::Array(rules.iter().map(Rule::to_json).collect())
}

/// A number as policy JSON: integral values as integers.
pub(crate) fn number(n: f64) -> Value {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        json!(n as i64)
    } else {
        json!(n)
    }
}

impl Leaf {
    /// The value as JSON.
    pub fn to_json(&self) -> Value {
        match self {
            Leaf::Str(s) => json!(s),
            Leaf::Num(n) => number(*n),
            Leaf::Bool(b) => json!(b),
            Leaf::Null => Value::Null,
        }
    }
}

impl Numeric {
    fn to_json(self) -> Value {
        match self {
            Numeric::Eq(n) => json!(["=", number(n)]),
            Numeric::Lt(n) => json!(["<", number(n)]),
            Numeric::Le(n) => json!(["<=", number(n)]),
            Numeric::Gt(n) => json!([">", number(n)]),
            Numeric::Ge(n) => json!([">=", number(n)]),
            Numeric::Range { lower, lower_inclusive, upper, upper_inclusive } => json!([
                if lower_inclusive { ">=" } else { ">" },
                number(lower),
                if upper_inclusive { "<=" } else { "<" },
                number(upper)
            ]),
        }
    }

    /// Whether `n` satisfies the condition (values compared at 10⁻⁶, as the engine does).
    pub fn accepts(self, n: f64) -> bool {
        let q = |x: f64| (x * 1e6).round() as i64;
        let v = q(n);
        match self {
            Numeric::Eq(a) => v == q(a),
            Numeric::Lt(a) => v < q(a),
            Numeric::Le(a) => v <= q(a),
            Numeric::Gt(a) => v > q(a),
            Numeric::Ge(a) => v >= q(a),
            Numeric::Range { lower, lower_inclusive, upper, upper_inclusive } => {
                (if lower_inclusive { v >= q(lower) } else { v > q(lower) })
                    && (if upper_inclusive { v <= q(upper) } else { v < q(upper) })
            }
        }
    }
}

impl Rule {
    /// The rule as policy JSON.
    pub fn to_json(&self) -> Value {
        match self {
            Rule::Exact(leaf) => leaf.to_json(),
            Rule::Prefix(s) => json!({"prefix": s}),
            Rule::Suffix(s) => json!({"suffix": s}),
            Rule::EqualsIgnoreCase(s) => json!({"equals-ignore-case": s}),
            Rule::Wildcard(s) => json!({"wildcard": s}),
            Rule::AnythingBut(ab) => json!({"anything-but": match ab {
                AnythingBut::Strings(v) if v.len() == 1 => json!(v[0]),
                AnythingBut::Strings(v) => json!(v),
                AnythingBut::Numbers(v) if v.len() == 1 => number(v[0]),
                AnythingBut::Numbers(v) => Value::Array(v.iter().map(|n| number(*n)).collect()),
                AnythingBut::Prefix(s) => json!({"prefix": s}),
                AnythingBut::Suffix(s) => json!({"suffix": s}),
                AnythingBut::Wildcard(s) => json!({"wildcard": s}),
            }}),
            Rule::Numeric(n) => json!({"numeric": n.to_json()}),
            Rule::Exists(b) => json!({"exists": b}),
            Rule::Cidr(addr, bits) => json!({"cidr": format!("{addr}/{bits}")}),
        }
    }

    /// Whether the rule accepts a key with this single value (`None`: the key is absent).
    ///
    /// `None` as the answer marks cases the SNS semantics leave open (null with `exists` or
    /// `anything-but`, non-strings with string-pattern `anything-but`); generators avoid them.
    pub fn accepts(&self, value: Option<&Leaf>) -> Option<bool> {
        let Some(value) = value else {
            return Some(*self == Rule::Exists(false));
        };
        Some(match (self, value) {
            (Rule::Exists(_), Leaf::Null) => return None,
            (Rule::Exists(present), _) => *present,
            (Rule::Exact(Leaf::Num(a)), Leaf::Num(b)) => Numeric::Eq(*a).accepts(*b),
            (Rule::Exact(a), b) => a == b,
            (Rule::Prefix(p), Leaf::Str(s)) => s.starts_with(p.as_str()),
            (Rule::Suffix(p), Leaf::Str(s)) => s.ends_with(p.as_str()),
            (Rule::EqualsIgnoreCase(p), Leaf::Str(s)) => p.eq_ignore_ascii_case(s),
            (Rule::Wildcard(p), Leaf::Str(s)) => wildcard_matches(p, s),
            (Rule::AnythingBut(_), Leaf::Null | Leaf::Bool(_)) => return None,
            (Rule::AnythingBut(AnythingBut::Strings(v)), Leaf::Str(s)) => !v.contains(s),
            (Rule::AnythingBut(AnythingBut::Strings(_)), Leaf::Num(_)) => true,
            (Rule::AnythingBut(AnythingBut::Numbers(v)), Leaf::Num(n)) => {
                !v.iter().any(|x| Numeric::Eq(*x).accepts(*n))
            }
            (Rule::AnythingBut(AnythingBut::Numbers(_)), Leaf::Str(_)) => true,
            (Rule::AnythingBut(AnythingBut::Prefix(p)), Leaf::Str(s)) => !s.starts_with(p.as_str()),
            (Rule::AnythingBut(AnythingBut::Suffix(p)), Leaf::Str(s)) => !s.ends_with(p.as_str()),
            (Rule::AnythingBut(AnythingBut::Wildcard(p)), Leaf::Str(s)) => !wildcard_matches(p, s),
            (Rule::AnythingBut(_), Leaf::Num(_)) => return None,
            (Rule::Numeric(n), Leaf::Num(x)) => n.accepts(*x),
            (Rule::Cidr(addr, bits), Leaf::Str(s)) => s.parse::<IpAddr>().is_ok_and(|ip| in_block(*addr, *bits, ip)),
            _ => false,
        })
    }
}

/// `*` matches any run of characters; everything else literally (patterns have no escapes).
pub(crate) fn wildcard_matches(pattern: &str, s: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == s;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if s.len() < first.len() + last.len() || !s.starts_with(first) || !s.ends_with(last) {
        return false;
    }
    let mut rest = &s[first.len()..s.len() - last.len()];
    for part in &parts[1..parts.len() - 1] {
        match rest.find(part) {
            Some(i) => rest = &rest[i + part.len()..],
            None => return false,
        }
    }
    true
}

/// Whether `ip` is inside `addr/bits` (same family).
pub(crate) fn in_block(addr: IpAddr, bits: u8, ip: IpAddr) -> bool {
    match (addr, ip) {
        (IpAddr::V4(a), IpAddr::V4(b)) => {
            let mask = if bits == 0 { 0 } else { u32::MAX << (32 - u32::from(bits)) };
            u32::from(a) & mask == u32::from(b) & mask
        }
        (IpAddr::V6(a), IpAddr::V6(b)) => {
            let mask = if bits == 0 { 0 } else { u128::MAX << (128 - u32::from(bits)) };
            u128::from(a) & mask == u128::from(b) & mask
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_and_blocks() {
        assert!(wildcard_matches("a*c", "abbc"));
        assert!(wildcard_matches("*b*", "abc"));
        assert!(!wildcard_matches("a*c", "ab"));
        assert!(wildcard_matches("ab", "ab"));
        assert!(!wildcard_matches("a*a", "a"));
        assert!(in_block("10.1.0.0".parse().unwrap(), 16, "10.1.200.3".parse().unwrap()));
        assert!(!in_block("10.1.0.0".parse().unwrap(), 16, "10.2.0.3".parse().unwrap()));
        assert!(!in_block("10.1.0.0".parse().unwrap(), 16, "::1".parse().unwrap()));
    }

    #[test]
    fn renders_or_inside_a_nested_object_and_counts_like_aws() {
        let p = |s: &str| s.split('.').map(str::to_owned).collect::<Vec<_>>();
        let model = PolicyModel {
            scope: FilterScope::MessageBody,
            common: vec![(p("type"), vec![Rule::Exact(Leaf::Str("a".into())), Rule::Prefix("b".into())])],
            alternatives: vec![
                vec![(p("data.store"), vec![Rule::Numeric(Numeric::Gt(1.0))])],
                vec![(p("data.detail.kind"), vec![Rule::Exists(true)])],
            ],
            or_at: p("data"),
        };
        assert_eq!(
            model.to_json(),
            json!({"type": ["a", {"prefix": "b"}], "data": {"$or": [
                {"store": [{"numeric": [">", 1]}]}, {"detail": {"kind": [{"exists": true}]}}
            ]}})
        );
        assert_eq!(model.key_count(), 3);
        assert_eq!(model.complexity(), 2 * 2 + 2 * 3);
    }
}
