//! What the archive stores for one event, and the rules that derive its id, type, time and correlation id.

use std::collections::BTreeMap;
use std::time::SystemTime;

use bus_core::envelope::{epoch_millis, from_epoch_millis, EnvelopeAttribute, Notification};
use bus_core::{AttributeValue, Delivery, Event, Message, MessageAttributes, EVENT_TYPE_ATTRIBUTE};

use crate::error::ArchiveError;

/// The message attribute that carries a correlation id (first rule of [`correlation_id_of`]).
pub const CORRELATION_ID_ATTRIBUTE: &str = "correlation-id";

/// One stored event, as queries return it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchivedEvent {
    /// Insertion sequence: increases with every new event stored; breaks ties between equal times.
    pub seq: i64,
    /// The event id (SNS message id, SQS message id, or the id given to [`crate::Archive::store_message`]).
    pub id: String,
    /// The event type (see [`event_type_of`]), when the message is an event.
    pub event_type: Option<String>,
    /// The publish time, to the millisecond.
    pub time: SystemTime,
    /// The correlation id (see [`correlation_id_of`]), when there is one.
    pub correlation_id: Option<String>,
    /// The message as published: body, attributes and FIFO fields.
    pub message: Message,
    /// When the archive stored it (wall clock), to the millisecond.
    pub stored_at: SystemTime,
}

impl ArchivedEvent {
    /// The event decoded from the body, when the body is `{"type": ..., "data": ...}`.
    pub fn event(&self) -> Option<Event> {
        Event::from_body(&self.message.body).ok()
    }
}

/// The event type of a message: the body's `type` when the body is an event (`{"type": ..., "data": ...}`),
/// else the `event-type` String attribute, else `None`.
pub fn event_type_of(message: &Message) -> Option<String> {
    if let Ok(event) = Event::from_body(&message.body) {
        return Some(event.event_type);
    }
    match message.attributes.get(EVENT_TYPE_ATTRIBUTE) {
        Some(AttributeValue::String(s)) if !s.is_empty() => Some(s.clone()),
        _ => None,
    }
}

/// The correlation id of a message, by the first rule that gives a non-empty string or a number:
///
/// 1. the `correlation-id` message attribute ([`CORRELATION_ID_ATTRIBUTE`], `String` or `Number`);
/// 2. in a JSON object body, `data.correlation_id`, then `data.correlationId`;
/// 3. in a JSON object body, the top-level `correlation_id`, then `correlationId`.
///
/// Numbers are kept as their JSON text (`42`). Anything else (objects, arrays, booleans, empty strings) is
/// ignored and the next rule is tried.
pub fn correlation_id_of(message: &Message) -> Option<String> {
    if let Some(AttributeValue::String(s) | AttributeValue::Number(s)) =
        message.attributes.get(CORRELATION_ID_ATTRIBUTE)
    {
        if !s.is_empty() {
            return Some(s.clone());
        }
    }
    if !message.body.trim_start().starts_with('{') {
        return None;
    }
    let body: serde_json::Value = serde_json::from_str(&message.body).ok()?;
    let scalar = |v: Option<&serde_json::Value>| match v {
        Some(serde_json::Value::String(s)) if !s.is_empty() => Some(s.clone()),
        Some(serde_json::Value::Number(n)) => Some(n.to_string()),
        _ => None,
    };
    let data = body.get("data");
    scalar(data.and_then(|d| d.get("correlation_id")))
        .or_else(|| scalar(data.and_then(|d| d.get("correlationId"))))
        .or_else(|| scalar(body.get("correlation_id")))
        .or_else(|| scalar(body.get("correlationId")))
}

/// The id the archive uses for a delivery: the SNS `MessageId` of the envelope when the message came
/// through SNS enveloped, else the SQS message id.
///
/// The SNS id is the same in every queue subscribed to the topic and on every redelivery, so an event
/// fanned out to several archived queues, or delivered twice, is stored once.
pub fn delivery_id(delivery: &Delivery) -> &str {
    match &delivery.notification {
        Some(n) if !n.message_id.is_empty() => &n.message_id,
        _ => &delivery.message_id,
    }
}

/// The time the archive uses for a delivery: the envelope's `Timestamp` (publish time) when there is one
/// and it parses, else the SQS `SentTimestamp`.
pub fn delivery_time(delivery: &Delivery) -> SystemTime {
    if let Some(n) = &delivery.notification {
        match humantime::parse_rfc3339(&n.timestamp) {
            Ok(t) => return t,
            Err(e) => tracing::warn!(
                id = %n.message_id, timestamp = %n.timestamp, error = %e,
                "envelope Timestamp does not parse; archiving with the SQS SentTimestamp"
            ),
        }
    }
    delivery.sent_at
}

/// A row about to be inserted.
#[derive(Debug, Clone)]
pub(crate) struct NewEvent {
    pub id: String,
    pub event_type: Option<String>,
    pub time_ms: i64,
    pub correlation_id: Option<String>,
    pub attributes_json: String,
    pub body: String,
    pub group_id: Option<String>,
    pub deduplication_id: Option<String>,
    pub subject: Option<String>,
}

impl NewEvent {
    pub(crate) fn from_message(id: &str, time: SystemTime, message: &Message) -> Result<Self, ArchiveError> {
        if id.is_empty() {
            return Err(ArchiveError::invalid("id", "the event id must not be empty"));
        }
        Ok(NewEvent {
            id: id.to_owned(),
            event_type: event_type_of(message),
            time_ms: to_millis(time),
            correlation_id: correlation_id_of(message),
            attributes_json: encode_attributes(&message.attributes),
            body: message.body.clone(),
            group_id: message.group_id.clone(),
            deduplication_id: message.deduplication_id.clone(),
            subject: message.subject.clone(),
        })
    }

    pub(crate) fn from_delivery(delivery: &Delivery) -> Result<Self, ArchiveError> {
        let mut message = delivery.message.clone();
        if message.group_id.is_none() {
            message.group_id.clone_from(&delivery.group_id);
        }
        Self::from_message(delivery_id(delivery), delivery_time(delivery), &message)
    }
}

/// Milliseconds since the Unix epoch as SQLite stores them (times before 1970 clamp to 0).
pub(crate) fn to_millis(t: SystemTime) -> i64 {
    i64::try_from(epoch_millis(t)).unwrap_or(i64::MAX)
}

/// The inverse of [`to_millis`].
pub(crate) fn from_millis(ms: i64) -> SystemTime {
    from_epoch_millis(u64::try_from(ms).unwrap_or(0))
}

/// Attributes as SNS writes them in an envelope: `{"name": {"Type": ..., "Value": ...}}` (base64 for Binary).
pub(crate) fn encode_attributes(attributes: &MessageAttributes) -> String {
    serde_json::to_string(&Notification::attributes_from(attributes)).unwrap_or_else(|_| "{}".to_owned())
}

/// The inverse of [`encode_attributes`].
pub(crate) fn decode_attributes(id: &str, json: &str) -> Result<MessageAttributes, ArchiveError> {
    let corrupt = |reason: String| ArchiveError::Corrupt { id: id.to_owned(), reason };
    let map: BTreeMap<String, EnvelopeAttribute> =
        serde_json::from_str(json).map_err(|e| corrupt(format!("attributes are not valid JSON: {e}")))?;
    map.into_iter()
        .map(|(name, a)| {
            AttributeValue::from_wire(&a.data_type, &a.value)
                .map(|v| (name.clone(), v))
                .map_err(|e| corrupt(format!("attribute {name:?}: {e}")))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_type_prefers_the_body_then_the_attribute() {
        let m = Event::new("USER_CREATED", serde_json::json!({})).to_message().unwrap();
        assert_eq!(event_type_of(&m).as_deref(), Some("USER_CREATED"));
        let m = Message::new("plain text").with_attribute(EVENT_TYPE_ATTRIBUTE, "PING");
        assert_eq!(event_type_of(&m).as_deref(), Some("PING"));
        assert_eq!(event_type_of(&Message::new("plain text")), None);
    }

    #[test]
    fn correlation_rules_in_order() {
        let body =
            r#"{"type":"T","data":{"correlation_id":"from-data","correlationId":"camel"},"correlation_id":"top"}"#;
        let with_attr = Message::new(body).with_attribute(CORRELATION_ID_ATTRIBUTE, "from-attr");
        assert_eq!(correlation_id_of(&with_attr).as_deref(), Some("from-attr"));
        assert_eq!(correlation_id_of(&Message::new(body)).as_deref(), Some("from-data"));
        let camel = r#"{"type":"T","data":{"correlationId":7}}"#;
        assert_eq!(correlation_id_of(&Message::new(camel)).as_deref(), Some("7"));
        let top = r#"{"type":"T","data":{"correlation_id":""},"correlation_id":"top"}"#;
        assert_eq!(correlation_id_of(&Message::new(top)).as_deref(), Some("top"));
        let none = r#"{"type":"T","data":{"correlation_id":{"nested":1}}}"#;
        assert_eq!(correlation_id_of(&Message::new(none)), None);
        assert_eq!(correlation_id_of(&Message::new("not json")), None);
    }

    #[test]
    fn attributes_round_trip_every_type() {
        let mut attrs = MessageAttributes::new();
        attrs.insert("s".into(), AttributeValue::String("text".into()));
        attrs.insert("n".into(), AttributeValue::number(3.5));
        attrs.insert("a".into(), AttributeValue::string_array(["x", "y"]));
        attrs.insert("b".into(), AttributeValue::Binary(vec![0, 1, 255]));
        let json = encode_attributes(&attrs);
        assert_eq!(decode_attributes("id", &json).unwrap(), attrs);
        assert!(matches!(decode_attributes("id", "{not json"), Err(ArchiveError::Corrupt { .. })));
    }

    #[test]
    fn millis_round_trip() {
        let t = from_millis(1_767_225_600_123);
        assert_eq!(to_millis(t), 1_767_225_600_123);
        assert_eq!(to_millis(SystemTime::UNIX_EPOCH - std::time::Duration::from_secs(5)), 0);
    }
}
