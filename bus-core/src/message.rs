//! The message model: a body and up to 10 typed attributes, exactly as SNS and SQS carry them.

use std::collections::BTreeMap;
use std::fmt;

use base64::Engine as _;
use serde::{Deserialize, Serialize};

use crate::error::BusError;
use crate::limits;

/// The data type of a message attribute, as SNS and SQS name it (`DataType` / `Type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum AttributeType {
    /// `String`: UTF-8 text.
    #[serde(rename = "String")]
    String,
    /// `Number`: a decimal number carried as text (`210.75`, `3.015e2`).
    #[serde(rename = "Number")]
    Number,
    /// `String.Array`: a JSON array carried as text (`["a", 1, true, null]`). SNS only.
    #[serde(rename = "String.Array")]
    StringArray,
    /// `Binary`: raw bytes (base64 on the wire).
    #[serde(rename = "Binary")]
    Binary,
}

impl AttributeType {
    /// The wire name of this type (`"String"`, `"Number"`, `"String.Array"`, `"Binary"`).
    pub fn as_str(self) -> &'static str {
        match self {
            AttributeType::String => "String",
            AttributeType::Number => "Number",
            AttributeType::StringArray => "String.Array",
            AttributeType::Binary => "Binary",
        }
    }

    /// Parses a wire type name. Custom suffixes (`Number.float`) are accepted and mapped to their base type.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "String.Array" => Some(AttributeType::StringArray),
            _ => match s.split('.').next() {
                Some("String") => Some(AttributeType::String),
                Some("Number") => Some(AttributeType::Number),
                Some("Binary") => Some(AttributeType::Binary),
                _ => None,
            },
        }
    }
}

impl fmt::Display for AttributeType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One message attribute value, mirroring SNS `MessageAttributeValue`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum AttributeValue {
    /// A `String` attribute.
    String(String),
    /// A `Number` attribute, kept as the text that was sent (SNS and SQS carry numbers as strings).
    Number(String),
    /// A `String.Array` attribute: the JSON array text (`["a","b"]`).
    StringArray(String),
    /// A `Binary` attribute.
    Binary(Vec<u8>),
}

impl AttributeValue {
    /// The attribute's data type.
    pub fn data_type(&self) -> AttributeType {
        match self {
            AttributeValue::String(_) => AttributeType::String,
            AttributeValue::Number(_) => AttributeType::Number,
            AttributeValue::StringArray(_) => AttributeType::StringArray,
            AttributeValue::Binary(_) => AttributeType::Binary,
        }
    }

    /// A `Number` attribute from any number.
    pub fn number(n: impl fmt::Display) -> Self {
        AttributeValue::Number(n.to_string())
    }

    /// A `String.Array` attribute from a list of strings.
    pub fn string_array<I, S>(items: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let v: Vec<serde_json::Value> = items.into_iter().map(|s| serde_json::Value::String(s.into())).collect();
        AttributeValue::StringArray(serde_json::Value::Array(v).to_string())
    }

    /// The value as SNS writes it in `{"Type","Value"}` form: text, or base64 for `Binary`.
    pub fn wire_value(&self) -> String {
        match self {
            AttributeValue::String(s) | AttributeValue::Number(s) | AttributeValue::StringArray(s) => s.clone(),
            AttributeValue::Binary(b) => base64::engine::general_purpose::STANDARD.encode(b),
        }
    }

    /// Builds a value from its wire type name and wire value (base64 for `Binary`).
    pub fn from_wire(data_type: &str, value: &str) -> Result<Self, BusError> {
        let ty = AttributeType::parse(data_type).ok_or_else(|| BusError::InvalidAttribute {
            name: String::new(),
            reason: format!("unknown attribute data type {data_type:?}"),
        })?;
        Ok(match ty {
            AttributeType::String => AttributeValue::String(value.to_owned()),
            AttributeType::Number => AttributeValue::Number(value.to_owned()),
            AttributeType::StringArray => AttributeValue::StringArray(value.to_owned()),
            AttributeType::Binary => {
                AttributeValue::Binary(base64::engine::general_purpose::STANDARD.decode(value).map_err(|e| {
                    BusError::InvalidAttribute { name: String::new(), reason: format!("invalid base64: {e}") }
                })?)
            }
        })
    }

    /// Size in bytes as AWS counts it towards the message size (type name + value).
    pub fn wire_size(&self) -> usize {
        let value = match self {
            AttributeValue::String(s) | AttributeValue::Number(s) | AttributeValue::StringArray(s) => s.len(),
            AttributeValue::Binary(b) => b.len(),
        };
        self.data_type().as_str().len() + value
    }

    /// The text of a `String` or `Number` attribute.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            AttributeValue::String(s) | AttributeValue::Number(s) => Some(s),
            _ => None,
        }
    }
}

impl From<&str> for AttributeValue {
    fn from(s: &str) -> Self {
        AttributeValue::String(s.to_owned())
    }
}

impl From<String> for AttributeValue {
    fn from(s: String) -> Self {
        AttributeValue::String(s)
    }
}

/// Message attributes by name, ordered for deterministic output.
pub type MessageAttributes = BTreeMap<String, AttributeValue>;

/// A message: a text body and up to 10 typed attributes, plus the FIFO fields.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Message {
    /// The body, usually JSON text.
    pub body: String,
    /// Message attributes (at most [`limits::MAX_ATTRIBUTES`]).
    pub attributes: MessageAttributes,
    /// FIFO: the message group (required on FIFO topics and queues).
    pub group_id: Option<String>,
    /// FIFO: the deduplication id (optional when content-based deduplication is on).
    pub deduplication_id: Option<String>,
}

impl Message {
    /// A message with this body and no attributes.
    pub fn new(body: impl Into<String>) -> Self {
        Message { body: body.into(), ..Default::default() }
    }

    /// Adds (or replaces) an attribute.
    pub fn with_attribute(mut self, name: impl Into<String>, value: impl Into<AttributeValue>) -> Self {
        self.attributes.insert(name.into(), value.into());
        self
    }

    /// Sets the FIFO message group id.
    pub fn with_group_id(mut self, group: impl Into<String>) -> Self {
        self.group_id = Some(group.into());
        self
    }

    /// Sets the FIFO deduplication id.
    pub fn with_deduplication_id(mut self, id: impl Into<String>) -> Self {
        self.deduplication_id = Some(id.into());
        self
    }

    /// Size in bytes as SNS/SQS count it: body plus every attribute's name, type and value.
    pub fn wire_size(&self) -> usize {
        self.body.len() + self.attributes.iter().map(|(k, v)| k.len() + v.wire_size()).sum::<usize>()
    }

    /// Checks the attribute count, names and values against AWS's rules and the size against `max_bytes`.
    ///
    /// Returns the first violation as a typed error; the message is left untouched.
    pub fn validate(&self, max_bytes: usize) -> Result<(), BusError> {
        if self.attributes.len() > limits::MAX_ATTRIBUTES {
            return Err(BusError::TooManyAttributes { actual: self.attributes.len(), limit: limits::MAX_ATTRIBUTES });
        }
        for (name, value) in &self.attributes {
            validate_attribute_name(name)?;
            validate_attribute_value(name, value)?;
        }
        let size = self.wire_size();
        if size > max_bytes {
            return Err(BusError::PayloadTooLarge { actual: size, limit: max_bytes });
        }
        Ok(())
    }
}

/// Checks an attribute name against the SNS/SQS naming rules.
///
/// Names are 1-256 characters of `A-Za-z0-9_-.`, must not start with `AWS.` or `Amazon.` (any case),
/// must not start or end with `.` and must not contain `..`.
pub fn validate_attribute_name(name: &str) -> Result<(), BusError> {
    let err = |reason: &str| BusError::InvalidAttribute { name: name.to_owned(), reason: reason.to_owned() };
    if name.is_empty() {
        return Err(err("attribute name must not be empty"));
    }
    if name.len() > limits::MAX_ATTRIBUTE_NAME_LEN {
        return Err(err("attribute name must be at most 256 characters"));
    }
    if let Some(c) = name.chars().find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))) {
        return Err(BusError::InvalidAttribute {
            name: name.to_owned(),
            reason: format!("attribute name contains the invalid character {c:?} (allowed: A-Z a-z 0-9 _ - .)"),
        });
    }
    let lower = name.to_ascii_lowercase();
    if lower.starts_with("aws.") || lower.starts_with("amazon.") {
        return Err(err("attribute names starting with AWS. or Amazon. are reserved"));
    }
    if name.starts_with('.') || name.ends_with('.') {
        return Err(err("attribute name must not start or end with a period"));
    }
    if name.contains("..") {
        return Err(err("attribute name must not contain consecutive periods"));
    }
    Ok(())
}

fn validate_attribute_value(name: &str, value: &AttributeValue) -> Result<(), BusError> {
    let err = |reason: String| BusError::InvalidAttribute { name: name.to_owned(), reason };
    match value {
        AttributeValue::String(s) if s.is_empty() => Err(err("String attribute value must not be empty".into())),
        AttributeValue::Number(s) => {
            let t = s.trim();
            if t.is_empty() || t.parse::<f64>().map(|f| !f.is_finite()).unwrap_or(true) {
                Err(err(format!("Number attribute value {s:?} is not a valid number")))
            } else {
                Ok(())
            }
        }
        AttributeValue::StringArray(s) => match serde_json::from_str::<serde_json::Value>(s) {
            Ok(serde_json::Value::Array(items)) if items.iter().all(|v| !v.is_object() && !v.is_array()) => Ok(()),
            _ => Err(err(format!("String.Array attribute value {s:?} is not a JSON array of scalars"))),
        },
        AttributeValue::Binary(b) if b.is_empty() => Err(err("Binary attribute value must not be empty".into())),
        _ => Ok(()),
    }
}
