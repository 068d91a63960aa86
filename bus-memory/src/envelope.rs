//! The SNS notification envelope, rendered as SNS writes it into an SQS queue.
//!
//! SNS pretty-prints the envelope with `"Key" : value` pairs, two-space indentation, and each message
//! attribute as a compact `{"Type":...,"Value":...}` object. `Subject` comes between `TopicArn` and
//! `Message`, only when the message was published with one. The envelope is rendered once per publish;
//! only `UnsubscribeURL` differs between subscriptions, so the text is kept as a head and a tail around it.
//!
//! `Signature` is **not verifiable**: SNS signs with an RSA key whose certificate sits at `SigningCertURL`;
//! this backend has no such key and writes the base64 SHA-256 digest of a per-backend secret followed by the
//! string SNS signs (`Message`, `MessageId`, `Subject` when present, `Timestamp`, `TopicArn`, `Type`).
//! Consumers that verify signatures must skip verification for the memory backend.

use std::collections::BTreeMap;
use std::sync::Arc;

use base64::Engine as _;
use bus_core::envelope::{EnvelopeAttribute, Notification};
use bus_core::{AttributeValue, Message, MessageAttributes};
use sha2::{Digest, Sha256};

/// What goes into one envelope.
pub(crate) struct EnvelopeFields<'a> {
    /// The SNS message id.
    pub message_id: &'a str,
    /// FIFO topics: the sequence number.
    pub sequence_number: Option<&'a str>,
    /// The topic's ARN.
    pub topic_arn: &'a str,
    /// The published message.
    pub message: &'a Message,
    /// The publish time, ISO 8601 with milliseconds.
    pub timestamp: &'a str,
    /// The `SigningCertURL`.
    pub signing_cert_url: &'a str,
    /// The secret of the digest in `Signature`.
    pub signing_key: u64,
    /// The `UnsubscribeURL` of each subscription of the topic, by subscription index.
    pub unsubscribe_urls: Arc<[String]>,
}

/// A rendered envelope, shared by every enveloped subscription of one publish.
#[derive(Debug)]
pub(crate) struct Envelope {
    head: String,
    tail: String,
    fields: Fields,
    unsubscribe_urls: Arc<[String]>,
}

/// What a [`Notification`] is built from at each receive.
#[derive(Debug)]
enum Fields {
    /// Rendered here: the fields that are not in the published message (body, attributes and subject
    /// come from it), so a publish allocates no notification of its own.
    Rendered {
        message_id: String,
        sequence_number: Option<String>,
        topic_arn: String,
        timestamp: String,
        signature: String,
        signing_cert_url: String,
    },
    /// Written by someone else (a body sent straight to a queue), as parsed.
    Verbatim(Notification),
}

impl Envelope {
    /// Renders the envelope of one publish.
    pub(crate) fn render(f: EnvelopeFields<'_>) -> Envelope {
        let signature = sign(&f);
        let body = &f.message.body;
        let mut head = String::with_capacity(body.len() + 560);
        head.push_str("{\n");
        field(&mut head, "Type", "Notification");
        field(&mut head, "MessageId", f.message_id);
        if let Some(seq) = f.sequence_number {
            field(&mut head, "SequenceNumber", seq);
        }
        field(&mut head, "TopicArn", f.topic_arn);
        if let Some(subject) = &f.message.subject {
            field(&mut head, "Subject", subject);
        }
        field(&mut head, "Message", body);
        field(&mut head, "Timestamp", f.timestamp);
        field(&mut head, "SignatureVersion", "1");
        field(&mut head, "Signature", &signature);
        field(&mut head, "SigningCertURL", f.signing_cert_url);
        head.push_str("  \"UnsubscribeURL\" : \"");
        let attributes_len: usize =
            f.message.attributes.iter().map(|(name, value)| name.len() + value.wire_size() + 40).sum();
        let mut tail = String::with_capacity(attributes_len + 40);
        tail.push('"');
        if !f.message.attributes.is_empty() {
            tail.push_str(",\n  \"MessageAttributes\" : {\n");
            for (i, (name, value)) in f.message.attributes.iter().enumerate() {
                if i > 0 {
                    tail.push_str(",\n");
                }
                tail.push_str("    ");
                push_json_str(&mut tail, name);
                tail.push_str(" : {\"Type\":");
                push_json_str(&mut tail, value.data_type().as_str());
                tail.push_str(",\"Value\":");
                match value {
                    AttributeValue::String(v) | AttributeValue::Number(v) | AttributeValue::StringArray(v) => {
                        push_json_str(&mut tail, v)
                    }
                    AttributeValue::Binary(_) => push_json_str(&mut tail, &value.wire_value()),
                }
                tail.push('}');
            }
            tail.push_str("\n  }");
        }
        tail.push_str("\n}");
        let fields = Fields::Rendered {
            message_id: f.message_id.to_owned(),
            sequence_number: f.sequence_number.map(str::to_owned),
            topic_arn: f.topic_arn.to_owned(),
            timestamp: f.timestamp.to_owned(),
            signature,
            signing_cert_url: f.signing_cert_url.to_owned(),
        };
        Envelope { head, tail, fields, unsubscribe_urls: f.unsubscribe_urls }
    }

    /// A queue body that is an envelope written by someone else (a message sent straight to a queue):
    /// kept verbatim.
    pub(crate) fn verbatim(body: String, notification: Notification) -> Envelope {
        Envelope {
            head: body,
            tail: String::new(),
            fields: Fields::Verbatim(notification),
            unsubscribe_urls: Arc::from(Vec::new()),
        }
    }

    /// The queue body and the parsed envelope as subscription `sub` receives them; `message` is the
    /// message the envelope was rendered from (its body, attributes and subject are the envelope's).
    pub(crate) fn for_subscription(&self, sub: u32, message: &Message) -> (String, Notification) {
        let url = self.unsubscribe_urls.get(sub as usize).map(String::as_str).unwrap_or("");
        let mut body = String::with_capacity(self.head.len() + url.len() + self.tail.len());
        body.push_str(&self.head);
        body.push_str(url);
        body.push_str(&self.tail);
        let notification = match &self.fields {
            Fields::Rendered { message_id, sequence_number, topic_arn, timestamp, signature, signing_cert_url } => {
                Notification {
                    kind: "Notification".to_owned(),
                    message_id: message_id.clone(),
                    sequence_number: sequence_number.clone(),
                    topic_arn: topic_arn.clone(),
                    subject: message.subject.clone(),
                    message: message.body.clone(),
                    timestamp: timestamp.clone(),
                    signature_version: "1".to_owned(),
                    signature: signature.clone(),
                    signing_cert_url: signing_cert_url.clone(),
                    unsubscribe_url: url.to_owned(),
                    message_attributes: envelope_attributes(&message.attributes),
                }
            }
            Fields::Verbatim(n) => n.clone(),
        };
        (body, notification)
    }

    /// Approximate heap bytes held by this envelope.
    pub(crate) fn heap_bytes(&self) -> usize {
        let fields = match &self.fields {
            Fields::Rendered { message_id, sequence_number, topic_arn, timestamp, signature, signing_cert_url } => {
                message_id.capacity()
                    + sequence_number.as_ref().map_or(0, String::capacity)
                    + topic_arn.capacity()
                    + timestamp.capacity()
                    + signature.capacity()
                    + signing_cert_url.capacity()
            }
            Fields::Verbatim(n) => {
                n.message.capacity()
                    + n.message_id.capacity()
                    + n.topic_arn.capacity()
                    + n.timestamp.capacity()
                    + n.signature.capacity()
                    + n.signing_cert_url.capacity()
                    + n.unsubscribe_url.capacity()
                    + n.subject.as_ref().map_or(0, String::capacity)
                    + n.message_attributes
                        .iter()
                        .map(|(k, v)| k.len() + v.data_type.len() + v.value.len() + 64)
                        .sum::<usize>()
            }
        };
        self.head.capacity() + self.tail.capacity() + fields
    }
}

/// The envelope's `MessageAttributes`, as [`Notification::attributes_from`] builds them, by inserting
/// in order (collecting into a map would first gather and sort the entries in a vector).
fn envelope_attributes(attrs: &MessageAttributes) -> BTreeMap<String, EnvelopeAttribute> {
    let mut out = BTreeMap::new();
    for (name, value) in attrs {
        let value_text = match value {
            AttributeValue::String(v) | AttributeValue::Number(v) | AttributeValue::StringArray(v) => v.clone(),
            AttributeValue::Binary(_) => value.wire_value(),
        };
        out.insert(
            name.clone(),
            EnvelopeAttribute { data_type: value.data_type().as_str().to_owned(), value: value_text },
        );
    }
    out
}

fn field(out: &mut String, name: &str, value: &str) {
    out.push_str("  \"");
    out.push_str(name);
    out.push_str("\" : ");
    push_json_str(out, value);
    out.push_str(",\n");
}

/// Appends `s` as a JSON string literal (quotes, backslashes and control characters escaped, as
/// `serde_json` writes them).
pub(crate) fn push_json_str(out: &mut String, s: &str) {
    out.reserve(s.len() + 2);
    out.push('"');
    let bytes = s.as_bytes();
    // Control characters are rare: look for one in a branch-free pass; without them, only `"` and `\`
    // need escaping, and memchr finds those fast.
    let has_control = bytes.iter().fold(false, |acc, &b| acc | (b < 0x20));
    let mut start = 0;
    loop {
        let next = if has_control {
            bytes[start..].iter().position(|&b| b < 0x20 || b == b'"' || b == b'\\')
        } else {
            memchr::memchr2(b'"', b'\\', &bytes[start..])
        };
        let Some(offset) = next else { break };
        let i = start + offset;
        out.push_str(&s[start..i]);
        match bytes[i] {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            0x08 => out.push_str("\\b"),
            0x0c => out.push_str("\\f"),
            b => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.push_str("\\u00");
                out.push(char::from(HEX[usize::from(b >> 4)]));
                out.push(char::from(HEX[usize::from(b & 0xf)]));
            }
        }
        start = i + 1;
    }
    out.push_str(&s[start..]);
    out.push('"');
}

/// The (unverifiable) `Signature`: base64 SHA-256 of the key and the string SNS signs.
fn sign(f: &EnvelopeFields<'_>) -> String {
    let mut h = Sha256::new();
    h.update(f.signing_key.to_be_bytes());
    let subject = f.message.subject.as_deref().map(|s| ("Subject", s));
    let signed = [("Message", f.message.body.as_str()), ("MessageId", f.message_id)]
        .into_iter()
        .chain(subject)
        .chain([("Timestamp", f.timestamp), ("TopicArn", f.topic_arn), ("Type", "Notification")]);
    for (k, v) in signed {
        h.update(k.as_bytes());
        h.update(b"\n");
        h.update(v.as_bytes());
        h.update(b"\n");
    }
    base64::engine::general_purpose::STANDARD.encode(h.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(message: &Message) -> EnvelopeFields<'_> {
        EnvelopeFields {
            message_id: "0b4e1d1c-9a7e-4c5b-8f3a-1234567890ab",
            sequence_number: None,
            topic_arn: "arn:aws:sns:us-east-1:000000000000:events",
            message,
            timestamp: "2026-01-01T00:00:00.000Z",
            signing_cert_url: "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-x.pem",
            signing_key: 7,
            unsubscribe_urls: Arc::from(vec!["https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=arn:aws:sns:us-east-1:000000000000:events:abc".to_owned()]),
        }
    }

    #[test]
    fn renders_as_sns_writes_it() {
        let m = Message::new("{\"a\":\"x\\ny\"}\u{1}")
            .with_attribute("event-type", "USER_CREATED")
            .with_attribute("n", AttributeValue::number(3))
            .with_attribute("bin", AttributeValue::Binary(vec![1, 2, 3]));
        let env = Envelope::render(fields(&m));
        let (body, n) = env.for_subscription(0, &m);
        let expected_start = "{\n  \"Type\" : \"Notification\",\n  \"MessageId\" : \"0b4e1d1c-9a7e-4c5b-8f3a-1234567890ab\",\n  \"TopicArn\" : \"arn:aws:sns:us-east-1:000000000000:events\",\n  \"Message\" : \"{\\\"a\\\":\\\"x\\\\ny\\\"}\\u0001\",\n  \"Timestamp\" : \"2026-01-01T00:00:00.000Z\",\n  \"SignatureVersion\" : \"1\",\n";
        assert!(body.starts_with(expected_start), "{body}");
        assert!(body.ends_with(
            "SubscriptionArn=arn:aws:sns:us-east-1:000000000000:events:abc\",\n  \"MessageAttributes\" : {\n    \"bin\" : {\"Type\":\"Binary\",\"Value\":\"AQID\"},\n    \"event-type\" : {\"Type\":\"String\",\"Value\":\"USER_CREATED\"},\n    \"n\" : {\"Type\":\"Number\",\"Value\":\"3\"}\n  }\n}"
        ), "{body}");
        let parsed = Notification::parse(&body).expect("parses as a notification");
        assert_eq!(parsed, n);
        assert_eq!(parsed.message, m.body);
        assert_eq!(parsed.to_message().unwrap().attributes, m.attributes);
        assert_eq!(base64::engine::general_purpose::STANDARD.decode(&parsed.signature).unwrap().len(), 32);
    }

    #[test]
    fn subject_between_topic_arn_and_message_and_signed() {
        let m = Message::new("hi").with_subject("Order \"42\" shipped");
        let env = Envelope::render(fields(&m));
        let (body, n) = env.for_subscription(0, &m);
        assert!(
            body.contains(
                "\"TopicArn\" : \"arn:aws:sns:us-east-1:000000000000:events\",\n  \"Subject\" : \"Order \\\"42\\\" shipped\",\n  \"Message\" : \"hi\",\n"
            ),
            "{body}"
        );
        assert_eq!(n.subject.as_deref(), Some("Order \"42\" shipped"));
        let parsed = Notification::parse(&body).expect("parses");
        assert_eq!(parsed, n);
        assert_eq!(parsed.to_message().unwrap().subject, m.subject);
        let plain_m = Message::new("hi");
        let plain = Envelope::render(fields(&plain_m));
        let (plain_body, plain_n) = plain.for_subscription(0, &plain_m);
        assert!(!plain_body.contains("Subject"), "{plain_body}");
        assert_eq!(plain_n.subject, None);
        assert_ne!(plain_n.signature, n.signature, "the subject is part of the signed string");
    }

    #[test]
    fn no_attributes_no_attribute_block() {
        let m = Message::new("hi");
        let env = Envelope::render(fields(&m));
        let (body, _) = env.for_subscription(0, &m);
        assert!(!body.contains("MessageAttributes"));
        assert!(body.ends_with("events:abc\"\n}"));
        serde_json::from_str::<serde_json::Value>(&body).unwrap();
    }

    proptest::proptest! {
        #[test]
        fn json_escaping_matches_serde_on_any_text(s in "(?s).{0,64}") {
            let mut out = String::new();
            push_json_str(&mut out, &s);
            proptest::prop_assert_eq!(out, serde_json::to_string(&s).unwrap());
        }
    }

    #[test]
    fn json_escaping_matches_serde() {
        for s in ["plain", "q\"uote", "back\\slash", "ctl\u{0}\u{1f}\u{8}\u{c}\t\r\n", "ünï/cødé €"] {
            let mut out = String::new();
            push_json_str(&mut out, s);
            assert_eq!(serde_json::from_str::<String>(&out).unwrap(), s);
            assert_eq!(out, serde_json::to_string(s).unwrap());
        }
    }
}
