//! An order-preserving JSON tree for policy text.
//!
//! AWS's parser streams the policy in document order, so which error is reported first depends on the
//! order of members (`{"key": {"suffix": "v", "prefix": "v"}}` reports `"suffix" ...`). `serde_json::Value`
//! sorts object keys, so policies are read into this small tree instead.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

use super::error::{FilterError, FilterErrorKind};

/// Nesting deeper than this is refused as invalid JSON (serde_json's own limit for text is 128).
const MAX_DEPTH: usize = 128;

/// A JSON value with object members in document order.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Json {
    Null,
    Bool(bool),
    /// A number: its value and its text (as serde_json prints it).
    Number(f64, String),
    String(String),
    Array(Vec<Json>),
    Object(Vec<(String, Json)>),
}

impl Json {
    /// Parses policy text; errors carry AWS's `failed to parse JSON. ` prefix.
    pub(crate) fn parse(text: &str) -> Result<Json, FilterError> {
        serde_json::from_str::<Json>(text)
            .map_err(|e| FilterError::new(FilterErrorKind::InvalidJson, format!("failed to parse JSON. {e}")))
    }

    /// The token text AWS's parser would print for this value in an error message
    /// (`]` stands for a missing element, `[`/`{` for a container).
    pub(crate) fn token_text(&self) -> String {
        match self {
            Json::Null => "null".to_owned(),
            Json::Bool(b) => b.to_string(),
            Json::Number(_, text) => text.clone(),
            Json::String(s) => s.clone(),
            Json::Array(_) => "[".to_owned(),
            Json::Object(_) => "{".to_owned(),
        }
    }
}

fn number_text_f64(v: f64) -> String {
    // serde_json prints floats with a fractional part or exponent; keep Rust's shortest form.
    let s = v.to_string();
    if s.contains(['.', 'e', 'E']) || !v.is_finite() {
        s
    } else {
        format!("{s}.0")
    }
}

impl<'de> Deserialize<'de> for Json {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(JsonVisitor { depth: 0 })
    }
}

struct JsonSeed {
    depth: usize,
}

impl<'de> de::DeserializeSeed<'de> for JsonSeed {
    type Value = Json;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Json, D::Error> {
        d.deserialize_any(JsonVisitor { depth: self.depth })
    }
}

struct JsonVisitor {
    depth: usize,
}

impl<'de> Visitor<'de> for JsonVisitor {
    type Value = Json;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_unit<E>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }
    fn visit_none<E>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }
    fn visit_bool<E>(self, v: bool) -> Result<Json, E> {
        Ok(Json::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Json, E> {
        Ok(Json::Number(v as f64, v.to_string()))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Json, E> {
        Ok(Json::Number(v as f64, v.to_string()))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Json, E> {
        Ok(Json::Number(v, number_text_f64(v)))
    }
    fn visit_str<E>(self, v: &str) -> Result<Json, E> {
        Ok(Json::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Json, E> {
        Ok(Json::String(v))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json, A::Error> {
        if self.depth >= MAX_DEPTH {
            return Err(de::Error::custom("recursion limit exceeded"));
        }
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(JsonSeed { depth: self.depth + 1 })? {
            items.push(item);
        }
        Ok(Json::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json, A::Error> {
        if self.depth >= MAX_DEPTH {
            return Err(de::Error::custom("recursion limit exceeded"));
        }
        let mut members = Vec::new();
        while let Some(key) = map.next_key::<String>()? {
            let value = map.next_value_seed(JsonSeed { depth: self.depth + 1 })?;
            members.push((key, value));
        }
        Ok(Json::Object(members))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_member_order_and_number_text() {
        let j = Json::parse(r#"{"z": 1, "a": [2.5, true, null, "s"], "m": {}}"#).unwrap();
        let Json::Object(members) = j else { panic!("not an object") };
        let keys: Vec<&str> = members.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["z", "a", "m"]);
        assert_eq!(members[0].1.token_text(), "1");
        let Json::Array(items) = &members[1].1 else { panic!("not an array") };
        assert_eq!(items[0].token_text(), "2.5");
        assert_eq!(items[1].token_text(), "true");
        assert_eq!(items[2].token_text(), "null");
    }

    #[test]
    fn invalid_json_has_the_aws_prefix() {
        let e = Json::parse("{invalidjson}").unwrap_err();
        assert_eq!(e.kind, FilterErrorKind::InvalidJson);
        assert!(e.reason.starts_with("failed to parse JSON. "), "{}", e.reason);
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let text = "[".repeat(5000) + &"]".repeat(5000);
        assert_eq!(Json::parse(&text).unwrap_err().kind, FilterErrorKind::InvalidJson);
    }
}
