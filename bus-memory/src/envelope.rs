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
    /// The queue body without its `UnsubscribeURL` value, which goes at `split`.
    text: String,
    split: usize,
    fields: Fields,
    unsubscribe_urls: Arc<[String]>,
}

/// Where the text of a notification field is: a range of the rendered text when the JSON string
/// there is the value itself (nothing was escaped: ids, digits, timestamps, base64, ARNs and URLs),
/// or a copy.
#[derive(Debug)]
enum Span {
    In(u32, u32),
    Own(Box<str>),
}

impl Span {
    fn get<'a>(&'a self, text: &'a str) -> &'a str {
        match self {
            Span::In(start, end) => text.get(*start as usize..*end as usize).unwrap_or(""),
            Span::Own(s) => s,
        }
    }

    fn heap_bytes(&self) -> usize {
        match self {
            Span::In(..) => 0,
            Span::Own(s) => s.len(),
        }
    }
}

/// What a [`Notification`] is built from at each receive.
#[derive(Debug)]
enum Fields {
    /// Rendered here: where the fields that are not in the published message are in the text (body,
    /// attributes and subject come from the message), so a publish allocates nothing for them.
    Rendered {
        message_id: Span,
        sequence_number: Option<Span>,
        topic_arn: Span,
        timestamp: Span,
        signature: Span,
        signing_cert_url: Span,
    },
    /// Written by someone else (a body sent straight to a queue), as parsed.
    Verbatim(Notification),
}

impl Envelope {
    /// Renders the envelope of one publish.
    pub(crate) fn render(f: EnvelopeFields<'_>) -> Envelope {
        let mut signature = [0u8; 44];
        let signature = sign(&f, &mut signature);
        let body = &f.message.body;
        let attributes_len: usize =
            f.message.attributes.iter().map(|(name, value)| name.len() + value.wire_size() + 40).sum();
        let subject_len = f.message.subject.as_ref().map_or(0, |s| s.len() + 20);
        let mut text = String::with_capacity(body.len() + subject_len + attributes_len + 600);
        text.push_str("{\n");
        field(&mut text, "Type", "Notification");
        let message_id = field(&mut text, "MessageId", f.message_id);
        let sequence_number = f.sequence_number.map(|seq| field(&mut text, "SequenceNumber", seq));
        let topic_arn = field(&mut text, "TopicArn", f.topic_arn);
        if let Some(subject) = &f.message.subject {
            field(&mut text, "Subject", subject);
        }
        field(&mut text, "Message", body);
        let timestamp = field(&mut text, "Timestamp", f.timestamp);
        field(&mut text, "SignatureVersion", "1");
        let signature = field(&mut text, "Signature", signature);
        let signing_cert_url = field(&mut text, "SigningCertURL", f.signing_cert_url);
        text.push_str("  \"UnsubscribeURL\" : \"");
        let split = text.len();
        text.push('"');
        if !f.message.attributes.is_empty() {
            text.push_str(",\n  \"MessageAttributes\" : {\n");
            for (i, (name, value)) in f.message.attributes.iter().enumerate() {
                if i > 0 {
                    text.push_str(",\n");
                }
                text.push_str("    ");
                push_json_str(&mut text, name);
                text.push_str(" : {\"Type\":");
                push_json_str(&mut text, value.data_type().as_str());
                text.push_str(",\"Value\":");
                match value {
                    AttributeValue::String(v) | AttributeValue::Number(v) | AttributeValue::StringArray(v) => {
                        push_json_str(&mut text, v)
                    }
                    AttributeValue::Binary(_) => push_json_str(&mut text, &value.wire_value()),
                }
                text.push('}');
            }
            text.push_str("\n  }");
        }
        text.push_str("\n}");
        let fields =
            Fields::Rendered { message_id, sequence_number, topic_arn, timestamp, signature, signing_cert_url };
        Envelope { text, split, fields, unsubscribe_urls: f.unsubscribe_urls }
    }

    /// A queue body that is an envelope written by someone else (a message sent straight to a queue):
    /// kept verbatim.
    pub(crate) fn verbatim(body: String, notification: Notification) -> Envelope {
        Envelope {
            split: body.len(),
            text: body,
            fields: Fields::Verbatim(notification),
            unsubscribe_urls: Arc::from(Vec::new()),
        }
    }

    /// The queue body and the parsed envelope as subscription `sub` receives them; `message` is the
    /// message the envelope was rendered from (its body, attributes and subject are the envelope's).
    pub(crate) fn for_subscription(&self, sub: u32, message: &Message) -> (String, Notification) {
        let url = self.unsubscribe_urls.get(sub as usize).map(String::as_str).unwrap_or("");
        let (head, tail) = self.text.split_at(self.split);
        let mut body = String::with_capacity(self.text.len() + url.len());
        body.push_str(head);
        body.push_str(url);
        body.push_str(tail);
        let notification = match &self.fields {
            Fields::Rendered { message_id, sequence_number, topic_arn, timestamp, signature, signing_cert_url } => {
                let text = self.text.as_str();
                Notification {
                    kind: "Notification".to_owned(),
                    message_id: message_id.get(text).to_owned(),
                    sequence_number: sequence_number.as_ref().map(|s| s.get(text).to_owned()),
                    topic_arn: topic_arn.get(text).to_owned(),
                    subject: message.subject.clone(),
                    message: message.body.clone(),
                    timestamp: timestamp.get(text).to_owned(),
                    signature_version: "1".to_owned(),
                    signature: signature.get(text).to_owned(),
                    signing_cert_url: signing_cert_url.get(text).to_owned(),
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
                [message_id, topic_arn, timestamp, signature, signing_cert_url]
                    .into_iter()
                    .chain(sequence_number)
                    .map(Span::heap_bytes)
                    .sum::<usize>()
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
        self.text.capacity() + fields
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

/// Appends `"name" : "value",` on its own line; returns where the value's text is.
fn field(out: &mut String, name: &str, value: &str) -> Span {
    out.push_str("  \"");
    out.push_str(name);
    out.push_str("\" : ");
    let start = out.len() + 1;
    push_json_str(out, value);
    let end = out.len() - 1;
    out.push_str(",\n");
    match (u32::try_from(start), u32::try_from(end)) {
        (Ok(s), Ok(e)) if out.get(start..end) == Some(value) => Span::In(s, e),
        _ => Span::Own(value.into()),
    }
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

/// The (unverifiable) `Signature`: base64 SHA-256 of the key and the string SNS signs, written into `out`.
fn sign<'a>(f: &EnvelopeFields<'_>, out: &'a mut [u8; 44]) -> &'a str {
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
    // 32 bytes are 44 base64 characters (with one `=` of padding): written into `out`, no allocation.
    let n = base64::engine::general_purpose::STANDARD.encode_slice(h.finalize(), &mut out[..]).unwrap_or(0);
    std::str::from_utf8(&out[..n]).unwrap_or("")
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
    fn fields_that_needed_escaping_are_kept_as_copies() {
        let m = Message::new("hi").with_attribute("a", "b");
        let mut f = fields(&m);
        f.topic_arn = "arn:with\"quote\\and\nbreak";
        f.sequence_number = Some("00000000000000000007");
        let env = Envelope::render(f);
        let (body, n) = env.for_subscription(0, &m);
        assert_eq!(n.topic_arn, "arn:with\"quote\\and\nbreak");
        assert_eq!(n.sequence_number.as_deref(), Some("00000000000000000007"));
        assert_eq!(Notification::parse(&body).expect("parses"), n);
        assert!(matches!(&env.fields, Fields::Rendered { topic_arn: Span::Own(_), message_id: Span::In(..), .. }));
        // Another subscription index without a URL: the same text around an empty UnsubscribeURL.
        let (other, n2) = env.for_subscription(5, &m);
        assert_eq!(n2.unsubscribe_url, "");
        assert_eq!(Notification::parse(&other).expect("parses"), n2);
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
