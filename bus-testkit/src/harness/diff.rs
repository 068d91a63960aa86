//! JSON subset comparison with the paths where it fails, and one-line renderings of messages for
//! failure reports.

use std::fmt;

use bus_core::{Event, Message};
use serde_json::Value;

/// Where a value falls short of the expected subset.
#[derive(Debug, Clone, PartialEq)]
pub struct Mismatch {
    /// A JSON pointer (`/user/id`, `/items/0`); empty for the root.
    pub path: String,
    /// The expected value at the path.
    pub expected: Value,
    /// What is there, `None` when the member is missing.
    pub found: Option<Value>,
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = if self.path.is_empty() { "/" } else { &self.path };
        match &self.found {
            Some(found) => write!(f, "at {path}: expected {}, found {}", short(&self.expected), short(found)),
            None => write!(f, "at {path}: expected {}, missing", short(&self.expected)),
        }
    }
}

/// Every place where `actual` does not contain `expected` (empty: it does).
///
/// Objects: each member of `expected` must be in `actual` with a value that contains it. Arrays: same
/// length, element by element. Numbers: equal values (`1` = `1.0`). Anything else: equal.
///
/// ```
/// use bus_testkit::harness::subset_mismatches;
/// use serde_json::json;
/// let found = json!({"user": {"id": 8, "email": "a@b"}, "tags": ["x"]});
/// assert!(subset_mismatches(&json!({"user": {"email": "a@b"}}), &found).is_empty());
/// let misses = subset_mismatches(&json!({"user": {"id": 7}, "plan": "pro"}), &found);
/// let text: Vec<String> = misses.iter().map(ToString::to_string).collect();
/// assert_eq!(text, ["at /plan: expected \"pro\", missing", "at /user/id: expected 7, found 8"]);
/// ```
pub fn subset_mismatches(expected: &Value, actual: &Value) -> Vec<Mismatch> {
    let mut out = Vec::new();
    walk(expected, actual, &mut String::new(), &mut out);
    out
}

fn walk(expected: &Value, actual: &Value, path: &mut String, out: &mut Vec<Mismatch>) {
    let len = path.len();
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => {
            for (key, ev) in e {
                path.push('/');
                path.push_str(&key.replace('~', "~0").replace('/', "~1"));
                match a.get(key) {
                    Some(av) => walk(ev, av, path, out),
                    None => out.push(Mismatch { path: path.clone(), expected: ev.clone(), found: None }),
                }
                path.truncate(len);
            }
        }
        (Value::Array(e), Value::Array(a)) if e.len() == a.len() => {
            for (i, (ev, av)) in e.iter().zip(a).enumerate() {
                path.push('/');
                path.push_str(&i.to_string());
                walk(ev, av, path, out);
                path.truncate(len);
            }
        }
        (Value::Number(e), Value::Number(a)) if e == a || e.as_f64() == a.as_f64() => {}
        (e, a) if e == a => {}
        (e, a) => out.push(Mismatch { path: path.clone(), expected: e.clone(), found: Some(a.clone()) }),
    }
}

/// A JSON value as compact text, cut at about 120 characters.
pub(crate) fn short(v: &Value) -> String {
    cut(&v.to_string(), 120)
}

pub(crate) fn cut(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_owned();
    }
    let mut t: String = s.chars().take(max).collect();
    t.push('…');
    t
}

/// `USER_CREATED {"id":7}`, or `(not an event) "raw body"`.
pub(crate) fn describe(message: &Message, event: Option<&Event>) -> String {
    match event {
        Some(e) => format!("{} {}", e.event_type, short(&e.data)),
        None => format!("(not an event) {:?}", cut(&message.body, 100)),
    }
}
