//! The event: the `{"type": ..., "data": ...}` JSON body of the seed design.

use serde::{de::DeserializeOwned, Deserialize, Serialize};

use crate::error::BusError;
use crate::message::{AttributeValue, Message};

/// The attribute every published event carries with its type, so attribute-scope policies can route on it.
pub const EVENT_TYPE_ATTRIBUTE: &str = "event-type";

/// The event type that the worker runtime publishes when a handler fails.
pub const TASK_WORKER_FAILED: &str = "TASK_WORKER_FAILED";

/// An event: a type name and typed data, serialised as `{"type": ..., "data": ...}`.
///
/// ```
/// use bus_core::Event;
/// let e = Event::new("USER_CREATED", serde_json::json!({"id": 7}));
/// let m = e.to_message().unwrap();
/// assert_eq!(m.body, r#"{"type":"USER_CREATED","data":{"id":7}}"#);
/// assert_eq!(m.attributes["event-type"].as_str(), Some("USER_CREATED"));
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event<T = serde_json::Value> {
    /// The event type (`USER_CREATED`).
    #[serde(rename = "type")]
    pub event_type: String,
    /// The payload.
    pub data: T,
}

impl<T> Event<T> {
    /// An event of this type with this data.
    pub fn new(event_type: impl Into<String>, data: T) -> Self {
        Event { event_type: event_type.into(), data }
    }
}

impl<T: Serialize> Event<T> {
    /// The message to publish: the JSON body and the `event-type` String attribute.
    pub fn to_message(&self) -> Result<Message, BusError> {
        let body = serde_json::to_string(self)?;
        Ok(Message::new(body).with_attribute(EVENT_TYPE_ATTRIBUTE, AttributeValue::String(self.event_type.clone())))
    }
}

impl Event<serde_json::Value> {
    /// Parses an event body. Errors if it is not a JSON object with a string `type`.
    pub fn from_body(body: &str) -> Result<Self, BusError> {
        #[derive(Deserialize)]
        struct Raw {
            #[serde(rename = "type")]
            event_type: String,
            #[serde(default)]
            data: serde_json::Value,
        }
        let raw: Raw = serde_json::from_str(body)?;
        Ok(Event { event_type: raw.event_type, data: raw.data })
    }

    /// Deserialises `data` into a concrete type.
    pub fn decode<T: DeserializeOwned>(&self) -> Result<Event<T>, BusError> {
        Ok(Event { event_type: self.event_type.clone(), data: T::deserialize(&self.data)? })
    }
}
