//! Messages between the SQS JSON shapes and the engine's model: message attributes in
//! (`{"DataType", "StringValue" | "BinaryValue"}`), with the digest SQS computes over them as sent, and
//! received messages out, with their system attributes and the attribute selection of the receive.

use std::time::Duration;

use base64::Engine as _;
use bus_core::envelope::epoch_millis;
use bus_core::{AttributeType, AttributeValue, Delivery, Message, MessageAttributes};
use serde_json::{json, Map, Value};

use super::errors::SqsError;
use super::json::Input;
use super::md5::{self, DigestAttribute};

/// Message attributes of a request, and their `MD5OfMessageAttributes` as sent (custom type labels
/// such as `Number.float` included).
pub(crate) fn message_attributes(input: &Input) -> Result<(MessageAttributes, Option<String>), SqsError> {
    let raw = input.obj_map("MessageAttributes")?;
    let mut attrs = MessageAttributes::new();
    let mut digest: Vec<(String, String, Vec<u8>, bool)> = Vec::with_capacity(raw.len());
    for (name, v) in raw {
        let data_type = v.str("DataType")?.unwrap_or("");
        if data_type.is_empty() {
            return Err(SqsError::invalid_value(format!(
                "The message attribute '{name}' must contain non-empty message attribute type."
            )));
        }
        let ty = AttributeType::parse(data_type).ok_or_else(|| {
            SqsError::invalid_value(format!(
                "The message attribute '{name}' has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String."
            ))
        })?;
        let (value, bytes, binary) = match ty {
            AttributeType::Binary => {
                let b64 = v.str("BinaryValue")?.ok_or_else(|| {
                    SqsError::invalid_value(format!(
                        "The message attribute '{name}' with type 'Binary' must use field 'Binary'."
                    ))
                })?;
                let bytes = base64::engine::general_purpose::STANDARD.decode(b64).map_err(|_| {
                    SqsError::serialization(format!("BinaryValue of message attribute '{name}' is not base64."))
                })?;
                (AttributeValue::Binary(bytes.clone()), bytes, true)
            }
            other => {
                let s = v.str("StringValue")?.ok_or_else(|| {
                    SqsError::invalid_value(format!(
                        "The message attribute '{name}' with type '{}' must use field 'String'.",
                        if other == AttributeType::Number { "Number" } else { "String" }
                    ))
                })?;
                let value = match other {
                    AttributeType::Number => AttributeValue::Number(s.to_owned()),
                    AttributeType::StringArray => AttributeValue::StringArray(s.to_owned()),
                    _ => AttributeValue::String(s.to_owned()),
                };
                (value, s.as_bytes().to_vec(), false)
            }
        };
        digest.push((name.clone(), data_type.to_owned(), bytes, binary));
        attrs.insert(name, value);
    }
    let mut d: Vec<DigestAttribute<'_>> = digest
        .iter()
        .map(|(name, data_type, value, binary)| DigestAttribute { name, data_type, value, binary: *binary })
        .collect();
    Ok((attrs, md5::of_attributes(&mut d)))
}

/// `MD5OfMessageSystemAttributes` of a request's `MessageSystemAttributes` (only `AWSTraceHeader`
/// exists), after checking them.
pub(crate) fn system_attributes_digest(input: &Input) -> Result<Option<String>, SqsError> {
    let raw = input.obj_map("MessageSystemAttributes")?;
    let mut values = Vec::new();
    for (name, v) in &raw {
        if name != "AWSTraceHeader" {
            return Err(SqsError::invalid_value(format!(
                "Message system attribute name '{name}' is invalid: only AWSTraceHeader is supported."
            )));
        }
        let data_type = v.str("DataType")?.unwrap_or("");
        let value = v.str("StringValue")?.unwrap_or("");
        if data_type != "String" || value.is_empty() {
            return Err(SqsError::invalid_value(
                "The message system attribute AWSTraceHeader must be a non-empty String.",
            ));
        }
        values.push((name.as_str(), data_type, value));
    }
    let mut d: Vec<DigestAttribute<'_>> = values
        .iter()
        .map(|(name, data_type, value)| DigestAttribute { name, data_type, value: value.as_bytes(), binary: false })
        .collect();
    Ok(md5::of_attributes(&mut d))
}

/// A message of a `SendMessage` request (or batch entry), with its attribute digests.
pub(crate) struct Outgoing {
    pub message: Message,
    pub delay: Option<Duration>,
    pub md5_body: String,
    pub md5_attributes: Option<String>,
    pub md5_system: Option<String>,
}

/// Reads a message from a `SendMessage` request or a `SendMessageBatch` entry; checks the size
/// against the queue's `MaximumMessageSize`.
pub(crate) fn outgoing(input: &Input, max_size: u64) -> Result<Outgoing, SqsError> {
    let body = input.req_str("MessageBody")?;
    if body.is_empty() {
        return Err(SqsError::missing("MessageBody"));
    }
    let delay = match input.int("DelaySeconds")? {
        None => None,
        Some(d) if (0..=900).contains(&d) => Some(Duration::from_secs(d as u64)),
        Some(d) => return Err(SqsError::invalid_param("DelaySeconds", d, "DelaySeconds must be >= 0 and <= 900.")),
    };
    let (attributes, md5_attributes) = message_attributes(input)?;
    let md5_system = system_attributes_digest(input)?;
    let message = Message {
        body: body.to_owned(),
        attributes,
        group_id: input.str("MessageGroupId")?.map(str::to_owned),
        deduplication_id: input.str("MessageDeduplicationId")?.map(str::to_owned),
        subject: None,
    };
    if message.wire_size() as u64 > max_size {
        return Err(SqsError::invalid_value(format!(
            "One or more parameters are invalid. Reason: Message must be shorter than {max_size} bytes."
        )));
    }
    Ok(Outgoing { message, delay, md5_body: md5::of_body(body), md5_attributes, md5_system })
}

/// Which attributes of received messages to return.
#[derive(Debug, Default)]
pub(crate) struct Selection {
    system_all: bool,
    system: Vec<String>,
    attrs_all: bool,
    attr_names: Vec<String>,
    attr_prefixes: Vec<String>,
}

impl Selection {
    /// From `AttributeNames`, `MessageSystemAttributeNames` and `MessageAttributeNames`.
    pub(crate) fn from_request(input: &Input) -> Result<Selection, SqsError> {
        let mut s = Selection::default();
        for name in input.str_list("AttributeNames")?.into_iter().chain(input.str_list("MessageSystemAttributeNames")?)
        {
            if name == "All" {
                s.system_all = true;
            } else {
                s.system.push(name);
            }
        }
        for name in input.str_list("MessageAttributeNames")? {
            if name == "All" || name == ".*" {
                s.attrs_all = true;
            } else if let Some(prefix) = name.strip_suffix(".*") {
                s.attr_prefixes.push(format!("{prefix}."));
            } else {
                s.attr_names.push(name);
            }
        }
        Ok(s)
    }

    fn system(&self, name: &str) -> bool {
        self.system_all || self.system.iter().any(|n| n == name)
    }

    fn attribute(&self, name: &str) -> bool {
        self.attrs_all
            || self.attr_names.iter().any(|n| n == name)
            || self.attr_prefixes.iter().any(|p| name.starts_with(p.as_str()))
    }
}

/// A received message as SQS returns it.
pub(crate) fn received(d: &Delivery, sel: &Selection, sender_id: &str) -> Value {
    let mut m = Map::new();
    m.insert("MessageId".into(), json!(d.message_id));
    m.insert("ReceiptHandle".into(), json!(d.receipt_handle.as_str()));
    m.insert("MD5OfBody".into(), json!(md5::of_body(&d.raw_body)));
    m.insert("Body".into(), json!(d.raw_body));
    let mut sys = Map::new();
    let mut put = |name: &str, value: Option<String>| {
        if let Some(v) = value.filter(|_| sel.system(name)) {
            sys.insert(name.to_owned(), Value::String(v));
        }
    };
    put("SenderId", Some(sender_id.to_owned()));
    put("SentTimestamp", Some(epoch_millis(d.sent_at).to_string()));
    put("ApproximateReceiveCount", Some(d.receive_count.to_string()));
    put("ApproximateFirstReceiveTimestamp", Some(epoch_millis(d.first_received_at).to_string()));
    put("SequenceNumber", d.sequence_number.clone());
    put("MessageGroupId", d.group_id.clone());
    if !sys.is_empty() {
        m.insert("Attributes".into(), Value::Object(sys));
    }
    // An enveloped SNS delivery carries its attributes inside the body, not as SQS attributes.
    if d.notification.is_none() {
        let mut out = Map::new();
        let mut digest = Vec::new();
        for (name, value) in d.message.attributes.iter().filter(|(n, _)| sel.attribute(n)) {
            let data_type = value.data_type().as_str();
            let v = match value {
                AttributeValue::Binary(b) => {
                    digest.push(DigestAttribute { name, data_type, value: b, binary: true });
                    json!({"DataType": data_type, "BinaryValue": base64::engine::general_purpose::STANDARD.encode(b)})
                }
                AttributeValue::String(s) | AttributeValue::Number(s) | AttributeValue::StringArray(s) => {
                    digest.push(DigestAttribute { name, data_type, value: s.as_bytes(), binary: false });
                    json!({"DataType": data_type, "StringValue": s})
                }
            };
            out.insert(name.clone(), v);
        }
        if let Some(md5) = md5::of_attributes(&mut digest) {
            m.insert("MD5OfMessageAttributes".into(), json!(md5));
            m.insert("MessageAttributes".into(), Value::Object(out));
        }
    }
    Value::Object(m)
}
