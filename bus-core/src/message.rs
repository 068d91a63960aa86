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

/// A message: a text body and up to 10 typed attributes, plus the SNS subject and the FIFO fields.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Message {
    /// The body, usually JSON text.
    pub body: String,
    /// Message attributes (at most [`limits::MAX_ATTRIBUTES`]).
    pub attributes: MessageAttributes,
    /// SNS `Subject`: published with the message and written into the notification envelope as
    /// `"Subject"` (the field is absent when there is none). Raw message delivery carries no subject,
    /// and SQS has none: a message sent straight to a queue must not have one (see
    /// [`Message::validate_for_queue`]). Rules in [`validate_subject`].
    pub subject: Option<String>,
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

    /// Sets the SNS `Subject` (see [`Message::subject`]; checked against AWS's rules when published).
    ///
    /// ```
    /// use bus_core::Message;
    /// let m = Message::new("body").with_subject("Order shipped");
    /// assert_eq!(m.subject.as_deref(), Some("Order shipped"));
    /// assert!(m.validate(bus_core::limits::SNS_MAX_MESSAGE_BYTES).is_ok());
    /// ```
    pub fn with_subject(mut self, subject: impl Into<String>) -> Self {
        self.subject = Some(subject.into());
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

    /// Checks the subject (when there is one, see [`validate_subject`]), the attribute count, names and
    /// values against AWS's rules, and the size against `max_bytes`. The subject does not count towards
    /// the size.
    ///
    /// Returns the first violation as a typed error; the message is left untouched.
    pub fn validate(&self, max_bytes: usize) -> Result<(), BusError> {
        if let Some(subject) = &self.subject {
            validate_subject(subject)?;
        }
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

impl Message {
    /// Checks a message sent straight to a queue (SQS `SendMessage`): no subject, then
    /// [`validate`](Self::validate) against the 1 MiB SQS limit.
    ///
    /// SQS has no `Subject` parameter; a subject only exists between an SNS publish and the envelope
    /// SNS writes. Sending a message that has one is refused with [`BusError::InvalidSubject`] rather
    /// than dropping the subject silently: the caller would otherwise believe the consumer sees it.
    /// Nothing in the worker runtime sends a received message again (failure events are new messages,
    /// and a dead-letter redrive resends the queue body, in which an envelope keeps its subject); to
    /// forward a received message to a queue, clear its subject first (`message.subject = None`).
    pub fn validate_for_queue(&self) -> Result<(), BusError> {
        if self.subject.is_some() {
            return Err(BusError::InvalidSubject {
                reason: "SQS SendMessage has no Subject: publish to a topic to carry one, or clear it".to_owned(),
            });
        }
        self.validate(limits::SQS_MAX_MESSAGE_BYTES)
    }
}

/// Checks an SNS `Subject` (of `Publish` and of each `PublishBatch` entry) against AWS's rules.
///
/// The SNS API reference: "Subjects must be UTF-8 text with no line breaks or control characters, and
/// less than 100 characters long". What SNS enforces: not empty, no control character (`\n`, `\r`,
/// `\t`, U+0000-U+001F, U+007F-U+009F), and at most [`limits::MAX_SUBJECT_LEN`] characters (100 is
/// accepted, 101 is not). Characters are counted as UTF-16 code units (a character outside the Basic
/// Multilingual Plane, such as an emoji, counts as two), as SNS is reported to count them; the stricter
/// reading, never more lenient than counting code points, so what passes here passes on AWS. SNS answers every violation with `InvalidParameter` and the text
/// `Invalid parameter: Subject`; here it is [`BusError::InvalidSubject`], whose
/// [`aws_code`](BusError::aws_code) is `InvalidParameter` and whose text starts with AWS's.
///
/// ```
/// use bus_core::message::validate_subject;
/// assert!(validate_subject("Order 42 shipped ✓").is_ok());
/// assert!(validate_subject(&"x".repeat(100)).is_ok());
/// let e = validate_subject(&"x".repeat(101)).unwrap_err();
/// assert_eq!(e.aws_code(), "InvalidParameter");
/// assert!(e.to_string().starts_with("Invalid parameter: Subject"));
/// assert!(validate_subject("").is_err());
/// assert!(validate_subject("two\nlines").is_err());
/// ```
pub fn validate_subject(subject: &str) -> Result<(), BusError> {
    let err = |reason: String| Err(BusError::InvalidSubject { reason });
    if subject.is_empty() {
        return err("the subject must not be empty".to_owned());
    }
    if let Some(c) = subject.chars().find(|c| c.is_control()) {
        return err(format!(
            "the subject must not contain line breaks or control characters, found U+{:04X}",
            u32::from(c)
        ));
    }
    let len = subject.encode_utf16().count();
    if len > limits::MAX_SUBJECT_LEN {
        return err(format!(
            "the subject must be at most {} characters (UTF-16 code units), got {len}",
            limits::MAX_SUBJECT_LEN
        ));
    }
    Ok(())
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

#[cfg(test)]
mod tests {
    use super::*;

    fn reason(r: Result<(), BusError>) -> String {
        match r {
            Err(BusError::InvalidSubject { reason }) => reason,
            other => panic!("expected InvalidSubject, got {other:?}"),
        }
    }

    #[test]
    fn subject_length_is_at_most_100_utf16_units() {
        assert!(validate_subject("a").is_ok());
        assert!(validate_subject(&"a".repeat(100)).is_ok());
        assert!(reason(validate_subject(&"a".repeat(101))).contains("got 101"));
        // Two-byte and three-byte UTF-8 characters are one unit each.
        assert!(validate_subject(&"é".repeat(100)).is_ok());
        assert!(validate_subject(&"€".repeat(100)).is_ok());
        assert!(validate_subject(&"€".repeat(101)).is_err());
        // Outside the BMP: two units each.
        assert!(validate_subject(&"😀".repeat(50)).is_ok());
        assert!(reason(validate_subject(&"😀".repeat(51))).contains("got 102"));
    }

    #[test]
    fn subject_must_not_be_empty_or_hold_control_characters() {
        assert!(reason(validate_subject("")).contains("empty"));
        for bad in ["a\nb", "a\rb", "tab\there", "nul\u{0}", "del\u{7f}", "c1\u{85}", "\u{1b}[0m"] {
            let r = reason(validate_subject(bad));
            assert!(r.contains("control characters"), "{bad:?}: {r}");
        }
        for good in [" leading space", "trailing space ", "Ünïcödé ✓ subject", "punct: !#$%&'()*+,-./:;<=>?@[]^_`{|}~"]
        {
            assert!(validate_subject(good).is_ok(), "{good:?}");
        }
    }

    #[test]
    fn subject_error_is_aws_invalid_parameter() {
        let e = validate_subject("").unwrap_err();
        assert_eq!(e.aws_code(), "InvalidParameter");
        assert!(e.to_string().starts_with("Invalid parameter: Subject"), "{e}");
        assert!(!e.is_transient());
    }

    #[test]
    fn validate_checks_the_subject_only_when_there_is_one() {
        let m = Message::new("body");
        assert!(m.validate(limits::SNS_MAX_MESSAGE_BYTES).is_ok());
        assert!(m.clone().with_subject("ok").validate(limits::SNS_MAX_MESSAGE_BYTES).is_ok());
        let bad = m.clone().with_subject("x".repeat(101));
        assert!(matches!(bad.validate(limits::SNS_MAX_MESSAGE_BYTES), Err(BusError::InvalidSubject { .. })));
        // The subject does not count towards the message size.
        let full = Message::new("x".repeat(limits::SNS_MAX_MESSAGE_BYTES)).with_subject("s".repeat(100));
        assert!(full.validate(limits::SNS_MAX_MESSAGE_BYTES).is_ok());
    }

    #[test]
    fn a_queue_send_refuses_any_subject() {
        assert!(Message::new("b").validate_for_queue().is_ok());
        let e = Message::new("b").with_subject("fine for SNS").validate_for_queue().unwrap_err();
        assert!(reason(Err(e)).contains("SendMessage"));
        let big = Message::new("x".repeat(limits::SQS_MAX_MESSAGE_BYTES + 1));
        assert!(matches!(big.validate_for_queue(), Err(BusError::PayloadTooLarge { .. })));
    }
}
