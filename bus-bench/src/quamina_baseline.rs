//! The quamina baseline: SNS filter policies translated to quamina patterns, loaded into one `Quamina`.
//!
//! quamina's pattern language is close to SNS's: the same literals, `prefix`, `suffix`,
//! `equals-ignore-case`, `wildcard`, `anything-but` (value or list), `numeric`, `exists` and `cidr`.
//! The translation turns dotted keys into nesting (SNS treats `"a.b"` and `{"a": {"b": ...}}` alike;
//! quamina reads a dotted key as one field name) and refuses what quamina cannot express: `$or` and
//! `anything-but` with a `prefix`/`suffix`/`wildcard` operand.

use quamina::Quamina;
use serde_json::{Map, Value};

/// Translates one SNS filter policy into quamina pattern JSON, or says why quamina cannot express it.
pub fn translate(policy: &Value) -> Result<String, String> {
    let Value::Object(obj) = policy else { return Err("the policy is not a JSON object".into()) };
    Ok(Value::Object(translate_object(obj)?).to_string())
}

fn translate_object(obj: &Map<String, Value>) -> Result<Map<String, Value>, String> {
    let mut out = Map::new();
    for (key, spec) in obj {
        if key == "$or" && spec.as_array().is_some_and(|a| a.len() >= 2 && a.iter().all(Value::is_object)) {
            return Err("quamina has no $or".into());
        }
        let value = match spec {
            Value::Array(rules) => {
                for rule in rules {
                    if let Some(Value::Object(_)) = rule.get("anything-but") {
                        return Err("quamina has no anything-but prefix/suffix/wildcard".into());
                    }
                }
                spec.clone()
            }
            Value::Object(nested) => Value::Object(translate_object(nested)?),
            other => return Err(format!("{key:?} must be an object or an array, got {other}")),
        };
        insert_path(&mut out, key, value)?;
    }
    Ok(out)
}

/// Inserts `value` at the dotted path `key`, merging with objects already there.
fn insert_path(out: &mut Map<String, Value>, key: &str, value: Value) -> Result<(), String> {
    let mut segments: Vec<&str> = key.split('.').collect();
    let last = segments.pop().unwrap_or(key);
    let mut target = out;
    for seg in segments {
        let slot = target.entry(seg.to_owned()).or_insert_with(|| Value::Object(Map::new()));
        target = slot.as_object_mut().ok_or_else(|| format!("{key:?} collides with a rule list"))?;
    }
    match (target.get_mut(last), value) {
        (Some(Value::Object(existing)), Value::Object(new)) => {
            for (k, v) in new {
                insert_path(existing, &k, v)?;
            }
            Ok(())
        }
        (Some(_), _) => Err(format!("{key:?} is given twice (dotted and nested)")),
        (None, value) => {
            target.insert(last.to_owned(), value);
            Ok(())
        }
    }
}

/// Builds one `Quamina` holding every policy (pattern id = index), or says which policy it cannot take.
pub fn build(policies: &[Value]) -> Result<Quamina<usize>, String> {
    let mut q = Quamina::<usize>::new();
    for (i, p) in policies.iter().enumerate() {
        let pattern = translate(p).map_err(|e| format!("policy {i}: {e}"))?;
        q.add_pattern(i, &pattern).map_err(|e| format!("policy {i}: quamina rejected {pattern}: {e}"))?;
    }
    Ok(q)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn dotted_keys_become_nesting() {
        let t = translate(&json!({"a.b": ["x"], "a": {"c": [1]}})).unwrap();
        let v: Value = serde_json::from_str(&t).unwrap();
        assert_eq!(v, json!({"a": {"b": ["x"], "c": [1]}}));
    }

    #[test]
    fn unsupported_forms_are_refused() {
        assert!(translate(&json!({"$or": [{"a": ["1"]}, {"b": ["2"]}]})).unwrap_err().contains("$or"));
        assert!(translate(&json!({"a": [{"anything-but": {"prefix": "x"}}]})).unwrap_err().contains("anything-but"));
        assert!(translate(&json!({"a": "x"})).is_err());
    }

    #[test]
    fn translated_patterns_match_in_quamina() {
        let q = build(&[
            json!({"properties": {"STREET": [{"wildcard": "2*0*1*7"}]}}),
            json!({"geometry.firstCoordinates": {"x": [{"numeric": ["<", -122.5]}]}}),
        ])
        .unwrap();
        let hits = q.matches_for_event(br#"{"properties": {"STREET": "2607117"}}"#).unwrap();
        assert_eq!(hits, vec![0]);
        let hits = q.matches_for_event(br#"{"geometry": {"firstCoordinates": {"x": -122.6, "y": 1}}}"#).unwrap();
        assert_eq!(hits, vec![1]);
    }
}
