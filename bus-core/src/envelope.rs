//! The SNS notification envelope that SNS writes to an SQS queue when raw message delivery is off.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::error::BusError;
use crate::message::{AttributeValue, Message, MessageAttributes};

/// One attribute in the envelope's `MessageAttributes` map: `{"Type": ..., "Value": ...}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnvelopeAttribute {
    /// The data type (`String`, `Number`, `String.Array`, `Binary`).
    #[serde(rename = "Type")]
    pub data_type: String,
    /// The value as text (base64 for `Binary`).
    #[serde(rename = "Value")]
    pub value: String,
}

/// The SNS notification JSON, with SNS's field names and order.
///
/// ```
/// use bus_core::envelope::Notification;
/// let body = r#"{"Type":"Notification","MessageId":"m1","TopicArn":"arn:aws:sns:us-east-1:000000000000:events",
///   "Message":"hello","Timestamp":"2026-01-01T00:00:00.000Z","SignatureVersion":"1","Signature":"x",
///   "SigningCertURL":"https://sns.us-east-1.amazonaws.com/c.pem","UnsubscribeURL":"https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe"}"#;
/// let n = Notification::parse(body).unwrap();
/// assert_eq!(n.message, "hello");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notification {
    /// Always `Notification`.
    #[serde(rename = "Type")]
    pub kind: String,
    /// The SNS message id.
    #[serde(rename = "MessageId")]
    pub message_id: String,
    /// FIFO topics: the sequence number.
    #[serde(rename = "SequenceNumber", default, skip_serializing_if = "Option::is_none")]
    pub sequence_number: Option<String>,
    /// The topic's ARN.
    #[serde(rename = "TopicArn")]
    pub topic_arn: String,
    /// The subject, when one was published.
    #[serde(rename = "Subject", default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// The published body.
    #[serde(rename = "Message")]
    pub message: String,
    /// Publish time, ISO 8601 with milliseconds (`2026-01-01T00:00:00.000Z`).
    #[serde(rename = "Timestamp")]
    pub timestamp: String,
    /// Signature version (`1` = SHA1, `2` = SHA256).
    #[serde(rename = "SignatureVersion", default)]
    pub signature_version: String,
    /// Base64 signature.
    #[serde(rename = "Signature", default)]
    pub signature: String,
    /// URL of the signing certificate.
    #[serde(rename = "SigningCertURL", default)]
    pub signing_cert_url: String,
    /// URL to unsubscribe.
    #[serde(rename = "UnsubscribeURL", default)]
    pub unsubscribe_url: String,
    /// The message attributes, omitted when there are none.
    #[serde(rename = "MessageAttributes", default, skip_serializing_if = "BTreeMap::is_empty")]
    pub message_attributes: BTreeMap<String, EnvelopeAttribute>,
}

impl Notification {
    /// Parses a body as an SNS notification; `None` if it is not one (raw delivery, or not JSON).
    pub fn parse(body: &str) -> Option<Notification> {
        let trimmed = body.trim_start();
        if !trimmed.starts_with('{') || !body.contains("\"Notification\"") {
            return None;
        }
        let n: Notification = serde_json::from_str(body).ok()?;
        (n.kind == "Notification").then_some(n)
    }

    /// Serialises the envelope as JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a notification always serialises")
    }

    /// Envelope attributes from message attributes.
    pub fn attributes_from(attrs: &MessageAttributes) -> BTreeMap<String, EnvelopeAttribute> {
        attrs
            .iter()
            .map(|(k, v)| {
                (k.clone(), EnvelopeAttribute { data_type: v.data_type().as_str().to_owned(), value: v.wire_value() })
            })
            .collect()
    }

    /// The original message: body, attributes and subject as published.
    pub fn to_message(&self) -> Result<Message, BusError> {
        let mut attributes = MessageAttributes::new();
        for (name, a) in &self.message_attributes {
            let v = AttributeValue::from_wire(&a.data_type, &a.value).map_err(|e| match e {
                BusError::InvalidAttribute { reason, .. } => BusError::InvalidAttribute { name: name.clone(), reason },
                other => other,
            })?;
            attributes.insert(name.clone(), v);
        }
        Ok(Message { body: self.message.clone(), attributes, subject: self.subject.clone(), ..Message::default() })
    }
}

/// Formats a time as SNS does in `Timestamp`: ISO 8601, UTC, milliseconds (`2026-01-01T00:00:00.000Z`).
pub fn format_timestamp(t: SystemTime) -> String {
    humantime::format_rfc3339_millis(t).to_string()
}

/// Milliseconds since the Unix epoch, as SQS reports `SentTimestamp`.
pub fn epoch_millis(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH).unwrap_or(Duration::ZERO).as_millis() as u64
}

/// The inverse of [`epoch_millis`].
pub fn from_epoch_millis(ms: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_millis(ms)
}
