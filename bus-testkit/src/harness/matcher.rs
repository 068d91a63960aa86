//! [`EventMatch`]: which messages an assertion is about (event type, data subset, predicates,
//! attributes).

use std::fmt;
use std::sync::Arc;

use bus_core::{AttributeValue, Event, Message};
use serde_json::Value;

use super::diff::{subset_mismatches, Mismatch};

type Predicate = Arc<dyn Fn(&Value) -> bool + Send + Sync>;

/// Matches a message by its event type, a subset of its data, predicates on its data, and attributes.
/// Every condition given must hold; [`EventMatch::any`] matches every message.
///
/// ```
/// use bus_core::Event;
/// use bus_testkit::EventMatch;
/// use serde_json::json;
///
/// let m = EventMatch::of_type("USER_CREATED").with_data(json!({"user": {"id": 7}}));
/// let event = Event::new("USER_CREATED", json!({"user": {"id": 7, "email": "a@example.com"}}));
/// assert!(m.matches_event(&event));
/// assert!(!m.matches_event(&Event::new("USER_CREATED", json!({"user": {"id": 8}}))));
/// assert_eq!(m.to_string(), r#"USER_CREATED with data ⊇ {"user":{"id":7}}"#);
///
/// // A plain `&str` is a match on the type.
/// let by_type: EventMatch = "USER_COMMENT".into();
/// assert!(by_type.matches_event(&Event::new("USER_COMMENT", json!(null))));
///
/// let big = EventMatch::of_type("ORDER").where_data("total over 100", |d| d["total"].as_f64() > Some(100.0));
/// assert!(big.matches_event(&Event::new("ORDER", json!({"total": 250}))));
/// ```
#[derive(Clone, Default)]
pub struct EventMatch {
    event_type: Option<String>,
    data: Option<Value>,
    predicates: Vec<(String, Predicate)>,
    attributes: Vec<(String, AttributeValue)>,
}

impl EventMatch {
    /// Matches every message.
    pub fn any() -> Self {
        Self::default()
    }

    /// Matches events of this type.
    pub fn of_type(event_type: impl Into<String>) -> Self {
        EventMatch { event_type: Some(event_type.into()), ..Self::default() }
    }

    /// Also requires the event's data to contain `subset`: every member of each object in `subset` is
    /// present with a matching value; arrays match element by element (same length); numbers compare
    /// by value (`1` = `1.0`); other values are equal.
    pub fn with_data(mut self, subset: Value) -> Self {
        self.data = Some(subset);
        self
    }

    /// Also requires `predicate` to hold on the event's data; `description` names it in failure messages.
    pub fn where_data(
        mut self,
        description: impl Into<String>,
        predicate: impl Fn(&Value) -> bool + Send + Sync + 'static,
    ) -> Self {
        self.predicates.push((description.into(), Arc::new(predicate)));
        self
    }

    /// Also requires the message to carry this attribute.
    pub fn with_attribute(mut self, name: impl Into<String>, value: impl Into<AttributeValue>) -> Self {
        self.attributes.push((name.into(), value.into()));
        self
    }

    /// The event type required, if any.
    pub fn event_type(&self) -> Option<&str> {
        self.event_type.as_deref()
    }

    /// Whether an event (without attributes) matches; attribute conditions fail.
    pub fn matches_event(&self, event: &Event) -> bool {
        self.attributes.is_empty() && self.event_conditions(Some(event))
    }

    /// Whether a message matches (its event decoded from the body when `event` is `None`).
    pub fn matches(&self, message: &Message, event: Option<&Event>) -> bool {
        let decoded;
        let event = match event {
            Some(e) => Some(e),
            None => {
                decoded = Event::from_body(&message.body).ok();
                decoded.as_ref()
            }
        };
        self.event_conditions(event)
            && self.attributes.iter().all(|(name, value)| message.attributes.get(name) == Some(value))
    }

    fn event_conditions(&self, event: Option<&Event>) -> bool {
        if self.event_type.is_none() && self.data.is_none() && self.predicates.is_empty() {
            return true;
        }
        let Some(event) = event else { return false };
        self.event_type.as_ref().is_none_or(|t| *t == event.event_type)
            && self.data.as_ref().is_none_or(|d| subset_mismatches(d, &event.data).is_empty())
            && self.predicates.iter().all(|(_, p)| p(&event.data))
    }

    /// Why a message of the right type does not match: the data mismatches and failing predicates.
    /// Empty when the type differs (that is not a near miss) or when it matches.
    pub(crate) fn near_miss(&self, message: &Message, event: Option<&Event>) -> Vec<String> {
        let Some(event) = event else { return Vec::new() };
        if self.event_type.as_ref().is_some_and(|t| *t != event.event_type) {
            return Vec::new();
        }
        let mut why: Vec<String> = match &self.data {
            Some(d) => subset_mismatches(d, &event.data).iter().map(Mismatch::to_string).collect(),
            None => Vec::new(),
        };
        why.extend(self.predicates.iter().filter(|(_, p)| !p(&event.data)).map(|(d, _)| format!("not {d}")));
        for (name, value) in &self.attributes {
            match message.attributes.get(name) {
                Some(v) if v == value => {}
                Some(v) => why.push(format!("attribute {name}: expected {}, found {}", show(value), show(v))),
                None => why.push(format!("attribute {name}: missing")),
            }
        }
        why
    }
}

fn show(v: &AttributeValue) -> String {
    format!("{} {:?}", v.data_type(), v.wire_value())
}

impl From<&str> for EventMatch {
    fn from(event_type: &str) -> Self {
        EventMatch::of_type(event_type)
    }
}

impl From<String> for EventMatch {
    fn from(event_type: String) -> Self {
        EventMatch::of_type(event_type)
    }
}

impl fmt::Display for EventMatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        parts.push(self.event_type.clone().unwrap_or_else(|| "any message".to_owned()));
        if let Some(d) = &self.data {
            parts.push(format!("with data ⊇ {d}"));
        }
        for (description, _) in &self.predicates {
            parts.push(format!("where {description}"));
        }
        for (name, value) in &self.attributes {
            parts.push(format!("with attribute {name} = {}", show(value)));
        }
        f.write_str(&parts.join(" "))
    }
}

impl fmt::Debug for EventMatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EventMatch({self})")
    }
}
