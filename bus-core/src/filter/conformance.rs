//! The conformance-vector runner shared by the `bus filter conformance` command and the test suite.
//!
//! # Format
//!
//! A vector file is JSON Lines: one JSON object per line (blank lines are skipped by callers). Fields:
//!
//! | field | meaning |
//! |---|---|
//! | `id` | unique name (required) |
//! | `scope` | `MessageAttributes` (default) or `MessageBody`; any other value is evaluated, giving AWS's scope error |
//! | `policy` | the policy as a JSON value; its text is used as written, member order included |
//! | `policy_raw` | the policy as literal text (for invalid JSON); used when `policy` is absent or `null` |
//! | `attributes` | message attributes: `{"name": {"Type": "String", "Value": "..."}}` (`Binary` values in base64) |
//! | `body` | the message body as a JSON value (its text, as written, is the published message) |
//! | `body_raw` | the message body as literal text (not JSON, or number syntax such as `3.015e2`) |
//! | `expect` | valid vectors: whether the message matches |
//! | `error_contains` | invalid vectors: a substring of the error (its reason, or AWS's full message) |
//! | `source`, `confidence`, `note`, `api`, `aws_message` | provenance; kept, not evaluated |
//!
//! Exactly one of `expect` / `error_contains` must be present. A valid vector whose policy turns out to be
//! invalid fails, and so does an invalid vector whose policy is accepted.
//!
//! ```
//! use bus_core::filter::conformance::{run_vector, Evaluation, Vector};
//!
//! let v = Vector::parse(r#"{"id": "x", "scope": "MessageBody", "policy": {"a": [{"prefix": "b"}]},
//!                          "body": {"a": "bc"}, "expect": true}"#).unwrap();
//! let outcome = run_vector(&v);
//! assert!(outcome.passed);
//! assert_eq!(outcome.evaluation, Evaluation::Matched(true));
//! assert_eq!(outcome.to_json_line(), r#"{"id":"x","matched":true}"#);
//! ```

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::value::RawValue;

use super::{FilterError, FilterPolicy, FilterScope, SnsFilterPolicy};
use crate::message::{AttributeValue, Message};

/// A vector line that could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VectorError {
    /// The line is not a JSON object of the expected shape.
    #[error("vector is not valid JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// The line is JSON but misses or mixes fields.
    #[error("vector {id:?}: {reason}")]
    Shape {
        /// The vector's id (empty if unknown).
        id: String,
        /// What is wrong.
        reason: String,
    },
}

/// What a vector expects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expectation {
    /// A valid policy; whether the message matches.
    Match(bool),
    /// An invalid policy; a substring of the error.
    Error(String),
}

/// One conformance vector.
#[derive(Debug, Clone)]
pub struct Vector {
    /// The vector's id.
    pub id: String,
    /// The scope as written (parsed when the vector runs, so a bad scope is an evaluated error).
    pub scope: String,
    /// The policy's JSON text.
    pub policy: String,
    /// The published message (attributes and body).
    pub message: Message,
    /// What should happen.
    pub expect: Expectation,
    /// Where the vector comes from.
    pub source: Option<String>,
    /// How sure the vector's author is (`aws-recorded`, `aws-doc`, ...).
    pub confidence: Option<String>,
    /// A free-form note.
    pub note: Option<String>,
}

#[derive(Deserialize)]
struct RawVector<'a> {
    id: String,
    #[serde(default)]
    scope: Option<String>,
    #[serde(default, borrow)]
    policy: Option<&'a RawValue>,
    #[serde(default)]
    policy_raw: Option<String>,
    #[serde(default)]
    attributes: Option<BTreeMap<String, RawAttribute>>,
    #[serde(default, borrow)]
    body: Option<&'a RawValue>,
    #[serde(default)]
    body_raw: Option<String>,
    #[serde(default)]
    expect: Option<bool>,
    #[serde(default)]
    error_contains: Option<String>,
    #[serde(default)]
    source: Option<String>,
    #[serde(default)]
    confidence: Option<String>,
    #[serde(default)]
    note: Option<String>,
}

#[derive(Deserialize)]
struct RawAttribute {
    #[serde(rename = "Type")]
    data_type: String,
    #[serde(rename = "Value")]
    value: String,
}

impl Vector {
    /// Reads one JSONL line.
    pub fn parse(line: &str) -> Result<Vector, VectorError> {
        let raw: RawVector<'_> = serde_json::from_str(line)?;
        let shape = |reason: String| VectorError::Shape { id: raw.id.clone(), reason };
        let policy = match (raw.policy, &raw.policy_raw) {
            (Some(p), _) => p.get().to_owned(),
            (None, Some(text)) => text.clone(),
            (None, None) => return Err(shape("neither `policy` nor `policy_raw`".into())),
        };
        let mut message = Message::new(match (raw.body, &raw.body_raw) {
            (Some(_), Some(_)) => return Err(shape("both `body` and `body_raw`".into())),
            (Some(b), None) => b.get().to_owned(),
            (None, Some(text)) => text.clone(),
            (None, None) => String::new(),
        });
        for (name, attr) in raw.attributes.unwrap_or_default() {
            let value = AttributeValue::from_wire(&attr.data_type, &attr.value)
                .map_err(|e| shape(format!("attribute {name:?}: {e}")))?;
            message.attributes.insert(name, value);
        }
        let expect = match (raw.expect, &raw.error_contains) {
            (Some(b), None) => Expectation::Match(b),
            (None, Some(s)) => Expectation::Error(s.clone()),
            _ => return Err(shape("exactly one of `expect` and `error_contains` is required".into())),
        };
        Ok(Vector {
            scope: raw.scope.clone().unwrap_or_else(|| FilterScope::MessageAttributes.as_str().to_owned()),
            id: raw.id,
            policy,
            message,
            expect,
            source: raw.source,
            confidence: raw.confidence,
            note: raw.note,
        })
    }
}

/// What the engine made of a vector.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Evaluation {
    /// The policy is valid; whether the message matched.
    Matched(bool),
    /// The policy (or scope) is invalid.
    Invalid(FilterError),
}

/// The result of running one vector.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VectorOutcome {
    /// The vector's id.
    pub id: String,
    /// What happened.
    pub evaluation: Evaluation,
    /// What the vector expected.
    pub expected: Expectation,
    /// Whether that is what the vector expects.
    pub passed: bool,
}

impl VectorOutcome {
    /// The outcome as one JSON line: `{"id":...,"matched":true|false}` or `{"id":...,"error":"<reason>"}`.
    pub fn to_json_line(&self) -> String {
        let id = serde_json::Value::from(self.id.as_str());
        match &self.evaluation {
            Evaluation::Matched(m) => format!(r#"{{"id":{id},"matched":{m}}}"#),
            Evaluation::Invalid(e) => {
                format!(r#"{{"id":{id},"error":{}}}"#, serde_json::Value::from(e.reason.as_str()))
            }
        }
    }

    /// A one-line explanation of a failure (expected vs got); `None` if the vector passed.
    pub fn mismatch(&self) -> Option<String> {
        if self.passed {
            return None;
        }
        let expected = match &self.expected {
            Expectation::Match(b) => format!("matched={b}"),
            Expectation::Error(s) => format!("error containing {s:?}"),
        };
        let got = match &self.evaluation {
            Evaluation::Matched(b) => format!("matched={b}"),
            Evaluation::Invalid(e) => format!("error {:?}", e.aws_message()),
        };
        Some(format!("{}: expected {expected}, got {got}", self.id))
    }
}

/// Evaluates one vector: parses the scope and the policy, and matches the message if both are valid.
pub fn run_vector(v: &Vector) -> VectorOutcome {
    let evaluation = match FilterScope::parse(&v.scope).and_then(|scope| SnsFilterPolicy::parse(&v.policy, scope)) {
        Ok(policy) => Evaluation::Matched(policy.matches(&v.message)),
        Err(e) => Evaluation::Invalid(e),
    };
    let passed = match (&v.expect, &evaluation) {
        (Expectation::Match(want), Evaluation::Matched(got)) => want == got,
        (Expectation::Error(want), Evaluation::Invalid(e)) => {
            e.reason.contains(want.as_str()) || e.aws_message().contains(want.as_str())
        }
        _ => false,
    };
    VectorOutcome { id: v.id.clone(), evaluation, expected: v.expect.clone(), passed }
}

/// Reads and runs one JSONL line.
pub fn run_line(line: &str) -> Result<VectorOutcome, VectorError> {
    Ok(run_vector(&Vector::parse(line)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_vectors_compare_the_reason_or_the_full_message() {
        let o =
            run_line(r#"{"id": "n", "scope": "MessageAttributes", "policy": ["a"], "error_contains": "FilterPolicy"}"#)
                .unwrap();
        assert!(o.passed, "{:?}", o.mismatch());
        assert_eq!(o.to_json_line(), r#"{"id":"n","error":"Filter is not an object"}"#);
        let raw = run_line(
            r#"{"id": "r", "policy": null, "policy_raw": "{invalidjson}", "error_contains": "failed to parse JSON."}"#,
        )
        .unwrap();
        assert!(raw.passed);
        let scope =
            run_line(r#"{"id": "s", "scope": "Bogus", "policy": {}, "error_contains": "FilterPolicyScope"}"#).unwrap();
        assert!(scope.passed);
    }

    #[test]
    fn wrong_expectations_fail_with_an_explanation() {
        let o = run_line(r#"{"id": "w", "policy": {"a": ["x"]}, "attributes": {}, "expect": true}"#).unwrap();
        assert!(!o.passed);
        assert_eq!(o.mismatch().unwrap(), "w: expected matched=true, got matched=false");
        let o = run_line(r#"{"id": "v", "policy": {"a": ["x"]}, "error_contains": "x"}"#).unwrap();
        assert!(!o.passed);
    }

    #[test]
    fn malformed_lines_are_errors() {
        assert!(matches!(Vector::parse("{"), Err(VectorError::Json(_))));
        assert!(matches!(Vector::parse(r#"{"id": "x", "expect": true}"#), Err(VectorError::Shape { .. })));
        assert!(matches!(
            Vector::parse(r#"{"id": "x", "policy": {}, "expect": true, "error_contains": "a"}"#),
            Err(VectorError::Shape { .. })
        ));
        assert!(matches!(
            Vector::parse(
                r#"{"id": "x", "policy": {}, "attributes": {"a": {"Type": "Blob", "Value": "x"}}, "expect": true}"#
            ),
            Err(VectorError::Shape { .. })
        ));
    }

    #[test]
    fn attributes_and_raw_bodies() {
        let v = Vector::parse(
            r#"{"id": "b", "scope": "MessageBody", "policy": {"a": [5]}, "body_raw": "{\"a\": 5}", "expect": true}"#,
        )
        .unwrap();
        assert_eq!(v.message.body, r#"{"a": 5}"#);
        assert!(run_vector(&v).passed);
        let v = Vector::parse(
            r#"{"id": "a", "policy": {"k": ["AAEC"]}, "attributes": {"k": {"Type": "Binary", "Value": "AAEC"}}, "expect": false}"#,
        )
        .unwrap();
        assert!(matches!(v.message.attributes["k"], AttributeValue::Binary(_)));
        assert!(run_vector(&v).passed);
    }
}
