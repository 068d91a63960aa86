//! The SQS JSON protocol's request fields and responses: typed accessors over the request object
//! that answer `MissingParameter` / `InvalidParameterValue` / `SerializationException` as SQS does.

use std::collections::BTreeMap;

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};

use super::errors::SqsError;

/// The content type of JSON protocol requests and responses.
pub(crate) const JSON_CONTENT_TYPE: &str = "application/x-amz-json-1.0";

/// A request object.
#[derive(Debug, Clone, Default)]
pub(crate) struct Input(Map<String, Value>);

fn wrong_type(key: &str, expected: &str) -> SqsError {
    SqsError::serialization(format!("The field {key} must be {expected}."))
}

impl Input {
    /// Parses a request body: a JSON object (an empty body is an empty object).
    pub(crate) fn parse(body: &[u8]) -> Result<Input, SqsError> {
        if body.iter().all(u8::is_ascii_whitespace) {
            return Ok(Input::default());
        }
        match serde_json::from_slice::<Value>(body) {
            Ok(Value::Object(m)) => Ok(Input(m)),
            Ok(_) => Err(SqsError::serialization("The request body must be a JSON object.")),
            Err(e) => Err(SqsError::serialization(format!("The request body is not valid JSON: {e}"))),
        }
    }

    /// An entry object of a list.
    pub(crate) fn from_object(v: &Value, key: &str) -> Result<Input, SqsError> {
        match v {
            Value::Object(m) => Ok(Input(m.clone())),
            _ => Err(wrong_type(key, "a list of objects")),
        }
    }

    fn get(&self, key: &str) -> Option<&Value> {
        self.0.get(key).filter(|v| !v.is_null())
    }

    /// An optional string.
    pub(crate) fn str(&self, key: &str) -> Result<Option<&str>, SqsError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(wrong_type(key, "a string")),
        }
    }

    /// A required string.
    pub(crate) fn req_str(&self, key: &str) -> Result<&str, SqsError> {
        self.str(key)?.ok_or_else(|| SqsError::missing(key))
    }

    /// An optional integer (a JSON number; SDKs send integers).
    pub(crate) fn int(&self, key: &str) -> Result<Option<i64>, SqsError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Number(n)) => n.as_i64().map(Some).ok_or_else(|| wrong_type(key, "an integer")),
            Some(_) => Err(wrong_type(key, "an integer")),
        }
    }

    /// An optional list of strings (absent: empty).
    pub(crate) fn str_list(&self, key: &str) -> Result<Vec<String>, SqsError> {
        match self.get(key) {
            None => Ok(Vec::new()),
            Some(Value::Array(a)) => a
                .iter()
                .map(|v| v.as_str().map(str::to_owned).ok_or_else(|| wrong_type(key, "a list of strings")))
                .collect(),
            Some(_) => Err(wrong_type(key, "a list of strings")),
        }
    }

    /// An optional map of strings (absent: empty).
    pub(crate) fn str_map(&self, key: &str) -> Result<BTreeMap<String, String>, SqsError> {
        match self.get(key) {
            None => Ok(BTreeMap::new()),
            Some(Value::Object(m)) => m
                .iter()
                .map(|(k, v)| {
                    v.as_str().map(|s| (k.clone(), s.to_owned())).ok_or_else(|| wrong_type(key, "a map of strings"))
                })
                .collect(),
            Some(_) => Err(wrong_type(key, "a map of strings")),
        }
    }

    /// An optional map of objects (absent: empty), in name order.
    pub(crate) fn obj_map(&self, key: &str) -> Result<Vec<(String, Input)>, SqsError> {
        match self.get(key) {
            None => Ok(Vec::new()),
            Some(Value::Object(m)) => m
                .iter()
                .map(|(k, v)| match v {
                    Value::Object(o) => Ok((k.clone(), Input(o.clone()))),
                    _ => Err(wrong_type(key, "a map of objects")),
                })
                .collect(),
            Some(_) => Err(wrong_type(key, "a map of objects")),
        }
    }

    /// An optional list of objects (absent: empty).
    pub(crate) fn obj_list(&self, key: &str) -> Result<Vec<Input>, SqsError> {
        match self.get(key) {
            None => Ok(Vec::new()),
            Some(Value::Array(a)) => a.iter().map(|v| Input::from_object(v, key)).collect(),
            Some(_) => Err(wrong_type(key, "a list of objects")),
        }
    }

    /// Whether the request has this key.
    pub(crate) fn has(&self, key: &str) -> bool {
        self.get(key).is_some()
    }
}

/// A successful JSON response.
pub(crate) fn ok(request_id: &str, body: Value) -> Response {
    let mut r = (StatusCode::OK, body.to_string()).into_response();
    let h = r.headers_mut();
    h.insert("content-type", HeaderValue::from_static(JSON_CONTENT_TYPE));
    if let Ok(v) = HeaderValue::from_str(request_id) {
        h.insert("x-amzn-requestid", v);
    }
    r
}

/// A JSON object with these entries (`None` values left out).
pub(crate) fn object<const N: usize>(entries: [(&str, Option<Value>); N]) -> Value {
    Value::Object(entries.into_iter().filter_map(|(k, v)| v.map(|v| (k.to_owned(), v))).collect())
}
