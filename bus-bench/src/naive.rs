//! The naive baseline: parse the body into a `serde_json::Value`, then walk the tree once per policy,
//! interpreting the policy JSON as it goes. No compilation, no sharing between policies.
//!
//! It follows the SNS semantics that the benchmark policies use (nested and dotted keys, arrays at any
//! depth, every documented operator, `$or`), written plainly. It does not enforce array consistency
//! (several keys satisfied by the same array element) and does not validate policies.

use std::net::IpAddr;

use serde_json::{Map, Value};

/// A policy kept as JSON and interpreted at every match.
#[derive(Debug, Clone)]
pub struct NaivePolicy {
    policy: Map<String, Value>,
}

const RESERVED: [&str; 13] = [
    "prefix",
    "suffix",
    "numeric",
    "anything-but",
    "exists",
    "cidr",
    "equals-ignore-case",
    "wildcard",
    "=",
    "<",
    "<=",
    ">",
    ">=",
];

impl NaivePolicy {
    /// Wraps a policy object; `None` if it is not a JSON object.
    pub fn new(policy: &Value) -> Option<Self> {
        policy.as_object().map(|p| NaivePolicy { policy: p.clone() })
    }

    /// Whether an already parsed body matches (a body that is not an object matches only the empty policy).
    pub fn matches_value(&self, body: &Value) -> bool {
        if self.policy.is_empty() {
            return true;
        }
        body.is_object() && match_object(&self.policy, &[body])
    }

    /// Parses the body and matches it.
    pub fn matches_body(&self, body: &str) -> bool {
        match serde_json::from_str::<Value>(body) {
            Ok(v) => self.matches_value(&v),
            Err(_) => self.policy.is_empty(),
        }
    }
}

/// Every key of `policy` must match among `nodes` (the event objects at this level).
fn match_object(policy: &Map<String, Value>, nodes: &[&Value]) -> bool {
    policy.iter().all(|(key, spec)| {
        if key == "$or" {
            if let Some(branches) = or_branches(spec) {
                return branches.iter().any(|b| match_object(b, nodes));
            }
        }
        let mut current: Vec<&Value> = nodes.to_vec();
        for segment in key.split('.') {
            current = children(&current, segment);
        }
        match spec {
            Value::Array(rules) => {
                let leaves: Vec<&Value> = current.into_iter().filter(|v| !v.is_object()).collect();
                rules.iter().any(|rule| rule_matches(rule, &leaves))
            }
            Value::Object(nested) => match_object(nested, &current),
            _ => false,
        }
    })
}

fn or_branches(spec: &Value) -> Option<Vec<&Map<String, Value>>> {
    let items = spec.as_array()?;
    if items.len() < 2 {
        return None;
    }
    let branches: Option<Vec<&Map<String, Value>>> = items.iter().map(Value::as_object).collect();
    let branches = branches?;
    let reserved = branches.iter().any(|b| b.keys().any(|k| RESERVED.contains(&k.as_str())));
    (!reserved).then_some(branches)
}

/// The values under `key` of every object among `nodes`, with arrays (at any depth) flattened.
fn children<'a>(nodes: &[&'a Value], key: &str) -> Vec<&'a Value> {
    let mut out = Vec::new();
    for node in nodes {
        if let Some(v) = node.get(key) {
            flatten(v, &mut out);
        }
    }
    out
}

fn flatten<'a>(v: &'a Value, out: &mut Vec<&'a Value>) {
    match v {
        Value::Array(items) => items.iter().for_each(|i| flatten(i, out)),
        other => out.push(other),
    }
}

fn rule_matches(rule: &Value, leaves: &[&Value]) -> bool {
    if let Some(exists) = rule.get("exists").and_then(Value::as_bool) {
        let present = leaves.iter().any(|l| !l.is_null());
        return if exists { present } else { leaves.is_empty() };
    }
    leaves.iter().any(|leaf| single(rule, leaf))
}

fn single(rule: &Value, v: &Value) -> bool {
    match rule {
        Value::String(s) => v.as_str() == Some(s.as_str()),
        Value::Number(_) => numbers_equal(rule, v),
        Value::Bool(_) | Value::Null => rule == v,
        Value::Array(_) => false,
        Value::Object(op) => {
            let Some((name, operand)) = op.iter().next() else { return false };
            let text = v.as_str();
            match name.as_str() {
                "prefix" => text.zip(operand.as_str()).is_some_and(|(t, p)| t.starts_with(p)),
                "suffix" => text.zip(operand.as_str()).is_some_and(|(t, s)| t.ends_with(s)),
                "equals-ignore-case" => {
                    text.zip(operand.as_str()).is_some_and(|(t, o)| t.to_lowercase() == o.to_lowercase())
                }
                "wildcard" => text.zip(operand.as_str()).is_some_and(|(t, p)| wildcard(p, t)),
                "anything-but" => !excluded(operand, v),
                "numeric" => v.as_f64().is_some_and(|x| numeric(operand, x)),
                "cidr" => text.zip(operand.as_str()).is_some_and(|(t, c)| cidr(c, t)),
                _ => false,
            }
        }
    }
}

fn quantise(x: f64) -> i64 {
    (x * 1e6).round() as i64
}

fn numbers_equal(a: &Value, b: &Value) -> bool {
    match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) => quantise(x) == quantise(y),
        _ => false,
    }
}

fn excluded(operand: &Value, v: &Value) -> bool {
    match operand {
        Value::String(s) => v.as_str() == Some(s.as_str()),
        Value::Number(_) => numbers_equal(operand, v),
        Value::Array(items) => items.iter().any(|i| excluded(i, v)),
        Value::Object(op) => {
            let text = v.as_str();
            op.iter().next().is_some_and(|(name, o)| match (name.as_str(), text, o.as_str()) {
                ("prefix", Some(t), Some(p)) => t.starts_with(p),
                ("suffix", Some(t), Some(s)) => t.ends_with(s),
                ("wildcard", Some(t), Some(p)) => wildcard(p, t),
                _ => false,
            })
        }
        _ => false,
    }
}

fn numeric(operand: &Value, x: f64) -> bool {
    let Some(terms) = operand.as_array() else { return false };
    let x = quantise(x);
    terms.chunks(2).all(|pair| {
        let (Some(op), Some(bound)) = (pair[0].as_str(), pair.get(1).and_then(Value::as_f64)) else { return false };
        let b = quantise(bound);
        match op {
            "=" => x == b,
            "<" => x < b,
            "<=" => x <= b,
            ">" => x > b,
            ">=" => x >= b,
            _ => false,
        }
    })
}

/// `*` matches any run of characters; `\*` and `\\` are literal.
fn wildcard(pattern: &str, text: &str) -> bool {
    #[derive(Clone, Copy, PartialEq)]
    enum Tok {
        Star,
        Lit(char),
    }
    let mut toks = Vec::new();
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        match c {
            '*' => toks.push(Tok::Star),
            '\\' => toks.push(Tok::Lit(chars.next().unwrap_or('\\'))),
            c => toks.push(Tok::Lit(c)),
        }
    }
    let text: Vec<char> = text.chars().collect();
    // Classic greedy matching with backtracking to the last star.
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match toks.get(p) {
            Some(Tok::Lit(c)) if *c == text[t] => {
                p += 1;
                t += 1;
            }
            Some(Tok::Star) => {
                star = Some((p, t));
                p += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    p = sp + 1;
                    t = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    toks[p..].iter().all(|t| *t == Tok::Star)
}

fn cidr(block: &str, value: &str) -> bool {
    let Some((base, bits)) = block.split_once('/') else { return false };
    let (Ok(base), Ok(bits), Ok(ip)) = (base.parse::<IpAddr>(), bits.parse::<u32>(), value.parse::<IpAddr>()) else {
        return false;
    };
    match (base, ip) {
        (IpAddr::V4(_), _) if bits > 32 => false,
        (IpAddr::V6(_), _) if bits > 128 => false,
        (IpAddr::V4(b), IpAddr::V4(i)) => {
            let mask = u32::MAX.checked_shl(32 - bits).unwrap_or(0);
            u32::from(b) & mask == u32::from(i) & mask
        }
        (IpAddr::V6(b), IpAddr::V6(i)) => {
            let mask = u128::MAX.checked_shl(128 - bits).unwrap_or(0);
            u128::from(b) & mask == u128::from(i) & mask
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn m(policy: Value, body: Value) -> bool {
        NaivePolicy::new(&policy).unwrap().matches_value(&body)
    }

    #[test]
    fn exact_nested_arrays_and_types() {
        assert!(m(json!({"a": {"b": ["x"]}}), json!({"a": {"b": "x"}})));
        assert!(m(json!({"a.b": ["x"]}), json!({"a": [{"b": ["y", "x"]}]})));
        assert!(!m(json!({"a": ["1"]}), json!({"a": 1})));
        assert!(m(json!({"a": [1]}), json!({"a": 1.0})));
        assert!(!m(json!({"a": ["x"]}), json!({"a": {"b": "x"}})));
        assert!(!m(json!({"a": ["x"]}), json!([{"a": "x"}])));
        assert!(m(json!({}), json!("anything")));
    }

    #[test]
    fn operators() {
        assert!(m(json!({"s": [{"prefix": "AC"}]}), json!({"s": "ACTON"})));
        assert!(m(json!({"s": [{"suffix": "ON"}]}), json!({"s": "ACTON"})));
        assert!(!m(json!({"s": [{"suffix": "ON"}]}), json!({"s": 10})));
        assert!(m(json!({"s": [{"equals-ignore-case": "bEaCh"}]}), json!({"s": "BEACH"})));
        assert!(m(json!({"s": [{"wildcard": "2*0*1*7"}]}), json!({"s": "2607117"})));
        assert!(!m(json!({"s": [{"wildcard": "2*0*1*7"}]}), json!({"s": "2607118"})));
        assert!(m(json!({"s": [{"wildcard": "a\\*b"}]}), json!({"s": "a*b"})));
        assert!(!m(json!({"s": [{"wildcard": "a\\*b"}]}), json!({"s": "axb"})));
        assert!(m(json!({"s": [{"anything-but": ["FULTON"]}]}), json!({"s": "MASON"})));
        assert!(!m(json!({"s": [{"anything-but": ["FULTON"]}]}), json!({"s": "FULTON"})));
        assert!(!m(json!({"s": [{"anything-but": ["FULTON"]}]}), json!({"t": "x"})));
        assert!(m(json!({"s": [{"anything-but": {"prefix": "F"}}]}), json!({"s": "MASON"})));
        assert!(m(json!({"x": [{"numeric": [">", -122.45, "<=", -122.44]}]}), json!({"x": -122.445})));
        assert!(!m(json!({"x": [{"numeric": [">", -122.45, "<=", -122.44]}]}), json!({"x": -122.45})));
        assert!(m(json!({"z": [{"numeric": ["=", 0]}]}), json!({"z": [{"q": 1}, 0]})));
        assert!(m(json!({"e": [{"exists": false}]}), json!({"f": 1})));
        assert!(!m(json!({"e": [{"exists": true}]}), json!({"e": null})));
        assert!(m(json!({"ip": [{"cidr": "10.0.0.0/24"}]}), json!({"ip": "10.0.0.7"})));
        assert!(!m(json!({"ip": [{"cidr": "10.0.0.0/24"}]}), json!({"ip": "10.0.1.7"})));
    }

    #[test]
    fn or_branches_and_literal_or_field() {
        let p = json!({"$or": [{"a": ["1"]}, {"b": ["2"]}], "c": ["3"]});
        assert!(m(p.clone(), json!({"b": "2", "c": "3"})));
        assert!(!m(p, json!({"b": "2", "c": "4"})));
        // `$or` whose items use operator names is an ordinary field.
        assert!(m(json!({"$or": [{"prefix": "ab"}, {"suffix": "z"}]}), json!({"$or": "abc"})));
    }

    #[test]
    fn bodies_that_are_not_objects_match_only_the_empty_policy() {
        let p = NaivePolicy::new(&json!({"a": ["b"]})).unwrap();
        assert!(!p.matches_body("not json"));
        assert!(!p.matches_body("[1]"));
        assert!(p.matches_body(r#"{"a": "b"}"#));
        assert!(NaivePolicy::new(&json!({})).unwrap().matches_body("not json"));
    }
}
