//! Message attributes given on the command line as JSON, in SNS form or the shorthand forms.

use bus_core::{AttributeValue, MessageAttributes};
use serde_json::Value;

use crate::error::CliError;

/// Parses `--attributes` JSON into message attributes.
///
/// Accepted per attribute:
/// - SNS form `{"Type": "String" | "Number" | "String.Array" | "Binary", "Value": "<text>"}` (`Binary` values
///   are base64; a `Number` value may also be a JSON number and a `String.Array` value a JSON array);
/// - shorthand `"text"` for a `String`, a JSON number for a `Number`, a JSON array for a `String.Array`.
pub fn parse_attributes(json: &str) -> Result<MessageAttributes, CliError> {
    let value: Value = serde_json::from_str(json).map_err(CliError::AttributesJson)?;
    let Value::Object(map) = value else {
        return Err(CliError::AttributesShape(format!(
            "expected a JSON object of attributes ({{\"name\": {{\"Type\": \"String\", \"Value\": \"...\"}}}}), got {}",
            kind(&value)
        )));
    };
    let mut attributes = MessageAttributes::new();
    for (name, v) in map {
        let attr = attribute(&name, &v)?;
        attributes.insert(name, attr);
    }
    Ok(attributes)
}

fn attribute(name: &str, v: &Value) -> Result<AttributeValue, CliError> {
    let shape = |reason: String| CliError::AttributesShape(format!("attribute {name:?}: {reason}"));
    match v {
        Value::String(s) => Ok(AttributeValue::String(s.clone())),
        Value::Number(n) => Ok(AttributeValue::Number(n.to_string())),
        Value::Array(_) => Ok(AttributeValue::StringArray(v.to_string())),
        Value::Object(obj) => {
            if let Some(extra) = obj.keys().find(|k| *k != "Type" && *k != "Value") {
                return Err(shape(format!("unexpected key {extra:?}; expected {{\"Type\": ..., \"Value\": ...}}")));
            }
            let ty = match obj.get("Type") {
                Some(Value::String(t)) => t.as_str(),
                Some(other) => return Err(shape(format!("\"Type\" must be a string, got {}", kind(other)))),
                None => return Err(shape("missing \"Type\" (String, Number, String.Array or Binary)".into())),
            };
            let text = match (obj.get("Value"), ty) {
                (Some(Value::String(s)), _) => s.clone(),
                (Some(Value::Number(n)), t) if t.starts_with("Number") => n.to_string(),
                (Some(a @ Value::Array(_)), "String.Array") => a.to_string(),
                (Some(other), _) => return Err(shape(format!("\"Value\" must be a string, got {}", kind(other)))),
                (None, _) => return Err(shape("missing \"Value\"".into())),
            };
            AttributeValue::from_wire(ty, &text).map_err(|e| shape(e.to_string()))
        }
        Value::Bool(_) | Value::Null => Err(shape(format!(
            "{} is not an attribute value; use a string, a number, an array or {{\"Type\", \"Value\"}}",
            kind(v)
        ))),
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sns_form_and_shorthands() {
        let attrs = parse_attributes(
            r#"{"a": {"Type": "String", "Value": "x"}, "b": {"Type": "Number", "Value": "3.5e2"},
                "c": {"Type": "String.Array", "Value": "[\"p\", 1]"}, "d": {"Type": "Binary", "Value": "AAEC"},
                "e": "short", "f": 12, "g": ["q", true]}"#,
        )
        .unwrap();
        assert_eq!(attrs["a"], AttributeValue::String("x".into()));
        assert_eq!(attrs["b"], AttributeValue::Number("3.5e2".into()));
        assert_eq!(attrs["c"], AttributeValue::StringArray("[\"p\", 1]".into()));
        assert_eq!(attrs["d"], AttributeValue::Binary(vec![0, 1, 2]));
        assert_eq!(attrs["e"], AttributeValue::String("short".into()));
        assert_eq!(attrs["f"], AttributeValue::Number("12".into()));
        assert_eq!(attrs["g"], AttributeValue::StringArray("[\"q\",true]".into()));
    }

    #[test]
    fn typed_json_values_are_accepted() {
        let attrs =
            parse_attributes(r#"{"n": {"Type": "Number", "Value": 7}, "s": {"Type": "String.Array", "Value": ["a"]}}"#)
                .unwrap();
        assert_eq!(attrs["n"], AttributeValue::Number("7".into()));
        assert_eq!(attrs["s"], AttributeValue::StringArray("[\"a\"]".into()));
    }

    #[test]
    fn bad_shapes_are_clear_errors() {
        let cases = [
            ("[1]", "expected a JSON object"),
            (r#"{"a": true}"#, "a boolean is not an attribute value"),
            (r#"{"a": {"Value": "x"}}"#, "missing \"Type\""),
            (r#"{"a": {"Type": "String"}}"#, "missing \"Value\""),
            (r#"{"a": {"Type": "String", "Value": "x", "X": 1}}"#, "unexpected key \"X\""),
            (r#"{"a": {"Type": "Text", "Value": "x"}}"#, "unknown attribute data type"),
            (r#"{"a": {"Type": "Binary", "Value": "!!"}}"#, "invalid base64"),
            (r#"{"a": {"Type": "String", "Value": 5}}"#, "\"Value\" must be a string"),
        ];
        for (json, want) in cases {
            let err = parse_attributes(json).unwrap_err().to_string();
            assert!(err.contains(want), "{json}: {err}");
        }
        assert!(matches!(parse_attributes("{nope").unwrap_err(), CliError::AttributesJson(_)));
    }
}
