//! A plain reference evaluator for SNS filter policies: `serde_json::Value` trees, no indexes, no tricks.
//!
//! It is the oracle the compiled matcher is checked against, written straight from SPEC.md and kept
//! independent of the engine's code. It assumes the policy is valid (the engine validates).
//!
//! Body scope: the body is flattened into leaves (path, value, array trail). A branch matches if every key
//! is satisfied, either by absence (`exists: false` and no leaf at all at the path) or by one leaf whose
//! value satisfies a rule, and the chosen leaves agree on the element of every array they share
//! (event-ruler's array consistency), found by exhaustive search.
//!
//! Repeated keys (SPEC decision, see `bus_core::filter`): within the top-level object and within each array
//! element, the first member to reach a key path decides that path and every path below it; a later member
//! reaching the same path or one below it (a duplicate name, or a dotted name such as `"a.b"` after `"a"`) is
//! ignored. The body is therefore read in document order with duplicates kept, not as a `serde_json` map.

use std::fmt;
use std::net::IpAddr;

use bus_core::filter::FilterScope;
use bus_core::{AttributeValue, Message};
use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

const RESERVED_IN_OR: &[&str] = &[
    "exactly",
    "equals-ignore-case",
    "prefix",
    "suffix",
    "anything-but",
    "exists",
    "wildcard",
    "numeric",
    "cidr",
    "=",
    "<",
    "<=",
    ">",
    ">=",
    "regex",
    "not-wildcard",
    "not-equals-ignore-case",
    "date-after",
    "date-on-or-after",
    "date-before",
    "date-on-or-before",
    "in-date-range",
    "ip-address-in-range",
    "ip-address-not-in-range",
];

/// One leaf value of a message with the arrays it sits in: (array number, element index).
#[derive(Debug, Clone)]
struct Leaf {
    path: String,
    value: Value,
    trail: Vec<(usize, usize)>,
}

/// One AND-branch: key path → rule list.
type Branch = Vec<(String, Vec<Value>)>;

/// Whether `message` matches `policy` (a valid policy) in `scope`.
pub fn reference_matches(policy: &Value, scope: FilterScope, message: &Message) -> bool {
    let Value::Object(members) = policy else { return false };
    if members.is_empty() {
        return true;
    }
    let (leaves, absence_allowed) = match scope {
        FilterScope::MessageBody => match serde_json::from_str::<Doc>(&message.body) {
            Ok(Doc::Object(body)) => {
                let mut leaves = Vec::new();
                flatten_members(&body, "", &mut Vec::new(), &mut 0, &mut leaves, &mut Vec::new());
                (leaves, true)
            }
            _ => return false,
        },
        FilterScope::MessageAttributes => attribute_leaves(message),
    };
    let mut branches: Vec<Branch> = vec![Vec::new()];
    expand(members, "", &mut branches);
    branches.iter().any(|b| branch_matches(b, &leaves, absence_allowed))
}

fn join(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_string()
    } else {
        format!("{prefix}.{key}")
    }
}

/// A message body as written: members in document order, repeated names kept.
enum Doc {
    Scalar(Value),
    Array(Vec<Doc>),
    Object(Vec<(String, Doc)>),
}

impl<'de> Deserialize<'de> for Doc {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(DocVisitor)
    }
}

struct DocVisitor;

impl<'de> Visitor<'de> for DocVisitor {
    type Value = Doc;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_unit<E>(self) -> Result<Doc, E> {
        Ok(Doc::Scalar(Value::Null))
    }
    fn visit_bool<E>(self, v: bool) -> Result<Doc, E> {
        Ok(Doc::Scalar(Value::Bool(v)))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Doc, E> {
        Ok(Doc::Scalar(Value::from(v)))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Doc, E> {
        Ok(Doc::Scalar(Value::from(v)))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Doc, E> {
        Ok(Doc::Scalar(Value::from(v)))
    }
    fn visit_str<E>(self, v: &str) -> Result<Doc, E> {
        Ok(Doc::Scalar(Value::String(v.to_string())))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Doc, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Doc::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Doc, A::Error> {
        let mut members = Vec::new();
        while let Some((k, v)) = map.next_entry()? {
            members.push((k, v));
        }
        Ok(Doc::Object(members))
    }
}

/// Whether a member at `path` is hidden by an earlier member that reached `claimed` (the same path or an
/// ancestor of it).
fn covers(claimed: &str, path: &str) -> bool {
    path.strip_prefix(claimed).is_some_and(|rest| rest.is_empty() || rest.starts_with('.'))
}

/// The members of one object, whose paths extend `prefix`; `claimed` holds the paths already reached in
/// the current region (the top-level object, or one array element).
fn flatten_members(
    members: &[(String, Doc)],
    prefix: &str,
    trail: &mut Vec<(usize, usize)>,
    arrays: &mut usize,
    out: &mut Vec<Leaf>,
    claimed: &mut Vec<String>,
) {
    for (k, v) in members {
        let path = join(prefix, k);
        if claimed.iter().any(|c| covers(c, &path)) {
            continue;
        }
        flatten(&path, v, trail, arrays, out, claimed);
        claimed.push(path);
    }
}

fn flatten(
    path: &str,
    v: &Doc,
    trail: &mut Vec<(usize, usize)>,
    arrays: &mut usize,
    out: &mut Vec<Leaf>,
    claimed: &mut Vec<String>,
) {
    match v {
        Doc::Object(m) => flatten_members(m, path, trail, arrays, out, claimed),
        Doc::Array(items) => {
            let id = *arrays;
            *arrays += 1;
            for (i, item) in items.iter().enumerate() {
                trail.push((id, i));
                // Each element is a region of its own.
                flatten(path, item, trail, arrays, out, &mut Vec::new());
                trail.pop();
            }
        }
        Doc::Scalar(scalar) => out.push(Leaf { path: path.to_string(), value: scalar.clone(), trail: trail.clone() }),
    }
}

fn attribute_leaves(message: &Message) -> (Vec<Leaf>, bool) {
    let mut leaves = Vec::new();
    let mut any = false;
    for (name, value) in &message.attributes {
        let leaf = |value: Value| Leaf { path: name.clone(), value, trail: Vec::new() };
        match value {
            AttributeValue::Binary(_) => continue,
            AttributeValue::String(s) => leaves.push(leaf(Value::String(s.clone()))),
            AttributeValue::Number(text) => {
                if let Some(n) = sns_number(text) {
                    leaves.push(leaf(n));
                }
            }
            AttributeValue::StringArray(json) => {
                if let Ok(v) = serde_json::from_str::<Value>(json) {
                    let mut values = Vec::new();
                    array_elements(&v, &mut values);
                    leaves.extend(values.into_iter().map(leaf));
                }
            }
        }
        any = true;
    }
    (leaves, any)
}

fn array_elements(v: &Value, out: &mut Vec<Value>) {
    match v {
        Value::Array(items) => items.iter().for_each(|i| array_elements(i, out)),
        Value::Object(_) => {}
        scalar => out.push(scalar.clone()),
    }
}

fn sns_number(text: &str) -> Option<Value> {
    let t = text.trim();
    let plausible = !t.is_empty()
        && t.chars().all(|c| c.is_ascii_digit() || "+-.eE".contains(c))
        && t.chars().any(|c| c.is_ascii_digit());
    let n: f64 = t.parse().ok()?;
    if plausible && n.is_finite() {
        serde_json::Number::from_f64(n).map(Value::Number)
    } else {
        None
    }
}

fn is_or(value: &Value) -> bool {
    fn reserved(m: &Map<String, Value>) -> bool {
        m.iter().any(|(k, v)| {
            RESERVED_IN_OR.contains(&k.as_str())
                || match v {
                    Value::Object(inner) => reserved(inner),
                    Value::Array(items) if k == "$or" => items.iter().any(|i| i.as_object().is_some_and(reserved)),
                    _ => false,
                }
        })
    }
    match value {
        Value::Array(items) => items.len() >= 2 && items.iter().all(|i| i.as_object().is_some_and(|m| !reserved(m))),
        _ => false,
    }
}

/// Expands members (in order) into the branches, a repeated path replacing the earlier one.
fn expand(members: &Map<String, Value>, prefix: &str, branches: &mut Vec<Branch>) {
    for (key, value) in members {
        if key == "$or" && is_or(value) {
            let before = branches.clone();
            branches.clear();
            for alt in value.as_array().into_iter().flatten() {
                let mut forked = before.clone();
                if let Value::Object(m) = alt {
                    expand(m, prefix, &mut forked);
                }
                branches.extend(forked);
            }
            continue;
        }
        match value {
            Value::Object(m) => expand(m, &join(prefix, key), branches),
            Value::Array(rules) => {
                let path = join(prefix, key);
                for b in branches.iter_mut() {
                    b.retain(|(p, _)| *p != path);
                    b.push((path.clone(), rules.clone()));
                }
            }
            _ => {}
        }
    }
}

fn branch_matches(branch: &Branch, leaves: &[Leaf], absence_allowed: bool) -> bool {
    // For each key: None = satisfied by absence; Some(candidates) = one of these leaves must be chosen.
    let mut choices: Vec<Vec<&Leaf>> = Vec::new();
    for (path, rules) in branch {
        let at_path: Vec<&Leaf> = leaves.iter().filter(|l| &l.path == path).collect();
        if at_path.is_empty() {
            let absent_ok = rules.iter().any(|r| r.get("exists") == Some(&Value::Bool(false)));
            if absent_ok && absence_allowed {
                continue;
            }
            return false;
        }
        let candidates: Vec<&Leaf> =
            at_path.into_iter().filter(|l| rules.iter().any(|r| rule_matches(r, &l.value))).collect();
        if candidates.is_empty() {
            return false;
        }
        choices.push(candidates);
    }
    consistent_choice(&choices, &mut Vec::new())
}

fn consistent_choice<'a>(choices: &[Vec<&'a Leaf>], chosen: &mut Vec<&'a Leaf>) -> bool {
    let Some((first, rest)) = choices.split_first() else { return true };
    for &leaf in first {
        if chosen.iter().all(|c| trails_agree(&c.trail, &leaf.trail)) {
            chosen.push(leaf);
            if consistent_choice(rest, chosen) {
                return true;
            }
            chosen.pop();
        }
    }
    false
}

fn trails_agree(a: &[(usize, usize)], b: &[(usize, usize)]) -> bool {
    a.iter().all(|(array, i)| b.iter().all(|(array2, j)| array != array2 || i == j))
}

fn micros(v: &Value) -> Option<i64> {
    v.as_f64().map(|f| (f * 1e6).round() as i64)
}

fn rule_matches(rule: &Value, value: &Value) -> bool {
    match rule {
        Value::String(_) | Value::Bool(_) | Value::Null => rule == value,
        Value::Number(_) => value.is_number() && micros(rule) == micros(value),
        Value::Object(m) => {
            let Some((op, operand)) = m.iter().next() else { return false };
            let s = value.as_str();
            match op.as_str() {
                "prefix" => s.is_some_and(|s| s.starts_with(operand.as_str().unwrap_or_default())),
                "suffix" => s.is_some_and(|s| s.ends_with(operand.as_str().unwrap_or_default())),
                "equals-ignore-case" => {
                    s.is_some_and(|s| s.to_lowercase() == operand.as_str().unwrap_or_default().to_lowercase())
                }
                "wildcard" => s.is_some_and(|s| wildcard(operand.as_str().unwrap_or_default(), s)),
                "exists" => operand == &Value::Bool(true) && !value.is_null(),
                "numeric" => value.is_number() && numeric(operand, value),
                "cidr" => s.is_some_and(|s| cidr(operand.as_str().unwrap_or_default(), s)),
                "anything-but" => anything_but(operand, value),
                _ => false,
            }
        }
        Value::Array(_) => false,
    }
}

fn numeric(operand: &Value, value: &Value) -> bool {
    let terms = operand.as_array().cloned().unwrap_or_default();
    let v = micros(value);
    terms.chunks(2).all(|pair| {
        let bound = micros(&pair[1]);
        match pair[0].as_str() {
            Some("=") => v == bound,
            Some("<") => v < bound,
            Some("<=") => v <= bound,
            Some(">") => v > bound,
            Some(">=") => v >= bound,
            _ => false,
        }
    })
}

fn anything_but(operand: &Value, value: &Value) -> bool {
    let excluded = match operand {
        Value::Object(m) => {
            let (op, pattern) =
                m.iter().next().map(|(k, v)| (k.as_str(), v.as_str().unwrap_or_default())).unwrap_or_default();
            match (op, value.as_str()) {
                ("prefix", Some(s)) => s.starts_with(pattern),
                ("suffix", Some(s)) => s.ends_with(pattern),
                ("wildcard", Some(s)) => wildcard(pattern, s),
                _ => false,
            }
        }
        Value::Array(items) => items.iter().any(|i| same_value(i, value)),
        single => same_value(single, value),
    };
    !excluded
}

fn same_value(excluded: &Value, value: &Value) -> bool {
    match (excluded, value) {
        (Value::String(a), Value::String(b)) => a == b,
        (Value::Number(_), Value::Number(_)) => micros(excluded) == micros(value),
        _ => false,
    }
}

/// `*` = any run of characters, `\*` = `*`, `\\` = `\`.
fn wildcard(pattern: &str, s: &str) -> bool {
    #[derive(PartialEq)]
    enum T {
        Star,
        C(char),
    }
    let mut tokens = Vec::new();
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        match c {
            '*' => tokens.push(T::Star),
            '\\' => tokens.push(T::C(chars.next().unwrap_or('\\'))),
            c => tokens.push(T::C(c)),
        }
    }
    let s: Vec<char> = s.chars().collect();
    // can[i][j]: tokens[i..] match s[j..]
    let mut can = vec![vec![false; s.len() + 1]; tokens.len() + 1];
    can[tokens.len()][s.len()] = true;
    for i in (0..tokens.len()).rev() {
        for j in (0..=s.len()).rev() {
            can[i][j] = match tokens[i] {
                T::Star => can[i + 1][j] || (j < s.len() && can[i][j + 1]),
                T::C(c) => j < s.len() && s[j] == c && can[i + 1][j + 1],
            };
        }
    }
    can[0][0]
}

fn cidr(block: &str, s: &str) -> bool {
    let Some((addr, bits)) = block.split_once('/') else { return false };
    let (Ok(net), Ok(bits), Ok(ip)) = (addr.parse::<IpAddr>(), bits.parse::<u32>(), s.parse::<IpAddr>()) else {
        return false;
    };
    match (net, ip) {
        (IpAddr::V4(n), IpAddr::V4(i)) => {
            let shift = 32 - bits;
            u64::from(u32::from(n)) >> shift == u64::from(u32::from(i)) >> shift
        }
        (IpAddr::V6(n), IpAddr::V6(i)) => {
            let shift = 128 - bits;
            u128::from(n).checked_shr(shift).unwrap_or(0) == u128::from(i).checked_shr(shift).unwrap_or(0)
        }
        _ => false,
    }
}
