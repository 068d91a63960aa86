//! Conformance vectors (one JSON object per line), in the format of the shared filter conformance suite:
//! valid vectors `{id, scope, policy, attributes | body | body_raw, expect}` and invalid ones
//! `{id, scope, policy | policy_raw, error_contains}`.

use bus_core::filter::{FilterScope, SnsFilterPolicy};
use bus_core::{AttributeValue, Message, MessageAttributes};
use serde_json::{Map, Value};

/// A vector line that cannot be understood.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct VectorError(String);

/// What a vector expects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expectation {
    /// The policy is valid and the message matches (`true`) or not (`false`).
    Match(bool),
    /// The policy is invalid with a reason containing this text.
    ErrorContains(String),
}

/// What the engine did with a vector.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The policy is valid; whether the message matched.
    Matched(bool),
    /// The policy (or its scope) is invalid: AWS's reason text.
    Error(String),
}

impl Outcome {
    /// Whether this outcome is what `expected` asks for.
    pub fn satisfies(&self, expected: &Expectation) -> bool {
        match (self, expected) {
            (Outcome::Matched(got), Expectation::Match(want)) => got == want,
            (Outcome::Error(reason), Expectation::ErrorContains(want)) => reason.contains(want.as_str()),
            _ => false,
        }
    }

    /// The output line: `{"id": ..., "matched": bool}` or `{"id": ..., "error": "<reason>"}`.
    pub fn to_json_line(&self, id: &str) -> String {
        // Written by hand so that "id" comes first whatever serde_json's map order is.
        let id = Value::from(id);
        match self {
            Outcome::Matched(m) => format!("{{\"id\":{id},\"matched\":{m}}}"),
            Outcome::Error(e) => format!("{{\"id\":{id},\"error\":{}}}", Value::from(e.as_str())),
        }
    }
}

/// One parsed vector.
#[derive(Debug, Clone)]
pub struct Vector {
    /// The vector's id.
    pub id: String,
    scope: String,
    policy: PolicyInput,
    message: Message,
    /// What the vector expects.
    pub expect: Expectation,
}

#[derive(Debug, Clone)]
enum PolicyInput {
    Raw(String),
    Value(Value),
}

impl Vector {
    /// Parses one line of a vector file.
    pub fn parse(line: &str) -> Result<Self, VectorError> {
        let v: Value = serde_json::from_str(line).map_err(|e| VectorError(format!("not JSON: {e}")))?;
        let Value::Object(obj) = v else { return Err(VectorError("a vector must be a JSON object".into())) };
        let id = match obj.get("id") {
            Some(Value::String(s)) => s.clone(),
            Some(other) => other.to_string(),
            None => return Err(VectorError("missing \"id\"".into())),
        };
        let err = |reason: String| VectorError(format!("vector {id}: {reason}"));
        let scope = match obj.get("scope") {
            None => FilterScope::MessageAttributes.as_str().to_owned(),
            Some(Value::String(s)) => s.clone(),
            Some(other) => return Err(err(format!("\"scope\" must be a string, got {other}"))),
        };
        let policy = match (obj.get("policy_raw"), obj.get("policy")) {
            (Some(Value::String(raw)), _) => PolicyInput::Raw(raw.clone()),
            (Some(other), _) => return Err(err(format!("\"policy_raw\" must be a string, got {other}"))),
            (None, Some(p)) => PolicyInput::Value(p.clone()),
            (None, None) => return Err(err("missing \"policy\" or \"policy_raw\"".into())),
        };
        let expect = match (obj.get("expect"), obj.get("error_contains")) {
            (Some(Value::Bool(b)), None) => Expectation::Match(*b),
            (None, Some(Value::String(s))) => Expectation::ErrorContains(s.clone()),
            (Some(_), Some(_)) => return Err(err("has both \"expect\" and \"error_contains\"".into())),
            _ => return Err(err("needs \"expect\": bool or \"error_contains\": string".into())),
        };
        let message = message(&obj).map_err(err)?;
        Ok(Vector { id, scope, policy, message, expect })
    }

    /// Compiles the policy and, if it is valid, matches the message.
    pub fn evaluate(&self) -> Outcome {
        let scope = match FilterScope::parse(&self.scope) {
            Ok(s) => s,
            Err(e) => return Outcome::Error(e.reason),
        };
        let compiled = match &self.policy {
            PolicyInput::Raw(text) => SnsFilterPolicy::parse(text, scope),
            PolicyInput::Value(v) => SnsFilterPolicy::from_value(v, scope),
        };
        match compiled {
            Err(e) => Outcome::Error(e.reason),
            Ok(p) => Outcome::Matched(match scope {
                FilterScope::MessageAttributes => p.matches_attributes(&self.message.attributes),
                FilterScope::MessageBody => p.matches_body(&self.message.body),
            }),
        }
    }
}

fn message(obj: &Map<String, Value>) -> Result<Message, String> {
    let mut message = Message::default();
    match (obj.get("body_raw"), obj.get("body")) {
        (Some(Value::String(raw)), _) => message.body = raw.clone(),
        (Some(other), _) => return Err(format!("\"body_raw\" must be a string, got {other}")),
        (None, Some(body)) => message.body = body.to_string(),
        (None, None) => {}
    }
    if let Some(attrs) = obj.get("attributes") {
        message.attributes = attributes(attrs)?;
    }
    Ok(message)
}

fn attributes(v: &Value) -> Result<MessageAttributes, String> {
    let Value::Object(map) = v else { return Err(format!("\"attributes\" must be an object, got {v}")) };
    let mut out = MessageAttributes::new();
    for (name, a) in map {
        let (Some(Value::String(ty)), Some(Value::String(value))) = (a.get("Type"), a.get("Value")) else {
            return Err(format!("attribute {name:?} must be {{\"Type\": string, \"Value\": string}}, got {a}"));
        };
        let value = AttributeValue::from_wire(ty, value).map_err(|e| format!("attribute {name:?}: {e}"))?;
        out.insert(name.clone(), value);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_valid_and_invalid_vectors() {
        let v = Vector::parse(
            r#"{"id": "a", "scope": "MessageAttributes", "policy": {"k": ["v"]},
                "attributes": {"k": {"Type": "String", "Value": "v"}}, "expect": true}"#,
        )
        .unwrap();
        assert_eq!(v.id, "a");
        assert_eq!(v.expect, Expectation::Match(true));
        assert_eq!(v.message.attributes["k"], AttributeValue::String("v".into()));

        let v = Vector::parse(
            r#"{"id": "b", "scope": "MessageBody", "policy": {"k": ["v"]}, "body": {"k": "v"}, "expect": false}"#,
        )
        .unwrap();
        assert_eq!(v.message.body, r#"{"k":"v"}"#);

        let v = Vector::parse(
            r#"{"id": "c", "policy": null, "policy_raw": "{x}", "error_contains": "failed to parse JSON."}"#,
        )
        .unwrap();
        assert!(matches!(v.policy, PolicyInput::Raw(ref r) if r == "{x}"));
        assert_eq!(v.expect, Expectation::ErrorContains("failed to parse JSON.".into()));
    }

    #[test]
    fn malformed_vectors_are_errors() {
        for (line, want) in [
            ("nope", "not JSON"),
            ("[]", "must be a JSON object"),
            (r#"{"policy": {}}"#, "missing \"id\""),
            (r#"{"id": "x", "expect": true}"#, "missing \"policy\""),
            (r#"{"id": "x", "policy": {}}"#, "needs \"expect\""),
            (r#"{"id": "x", "policy": {}, "expect": true, "attributes": {"k": "v"}}"#, "attribute \"k\" must be"),
            (
                r#"{"id": "x", "policy": {}, "expect": true, "attributes": {"k": {"Type": "Nope", "Value": "v"}}}"#,
                "unknown",
            ),
        ] {
            let e = Vector::parse(line).unwrap_err().to_string();
            assert!(e.contains(want), "{line}: {e}");
        }
    }

    #[test]
    fn outcomes_check_expectations() {
        assert!(Outcome::Matched(true).satisfies(&Expectation::Match(true)));
        assert!(!Outcome::Matched(false).satisfies(&Expectation::Match(true)));
        assert!(!Outcome::Matched(true).satisfies(&Expectation::ErrorContains("x".into())));
        assert!(Outcome::Error("Bad thing x".into()).satisfies(&Expectation::ErrorContains("thing".into())));
        assert!(!Outcome::Error("Bad".into()).satisfies(&Expectation::Match(false)));
        assert_eq!(Outcome::Matched(true).to_json_line("i"), r#"{"id":"i","matched":true}"#);
        assert_eq!(Outcome::Error("r \"q\"".into()).to_json_line("i"), r#"{"id":"i","error":"r \"q\""}"#);
    }

    #[test]
    fn invalid_scope_is_an_error_outcome() {
        let v = Vector::parse(r#"{"id": "s", "scope": "Body", "policy": {}, "error_contains": "FilterPolicyScope"}"#)
            .unwrap();
        let out = v.evaluate();
        assert!(out.satisfies(&v.expect), "{out:?}");
    }
}
