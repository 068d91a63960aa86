//! Strategies for events: types, JSON data, and the messages that carry them.

use bus_core::{Event, Message, EVENT_TYPE_ATTRIBUTE};
use proptest::prelude::*;
use serde_json::{Map, Value};

use super::attributes::{attributes_up_to, json_scalar};

/// An event type in the seed design's style: `USER_CREATED`, `STRIPE_INCOMING_WEBHOOK`.
pub fn event_type() -> BoxedStrategy<String> {
    "[A-Z][A-Z0-9]{0,9}(_[A-Z0-9]{1,10}){0,3}".boxed()
}

/// JSON event data: an object of scalars, arrays and nested objects (at most three levels).
pub fn json_data() -> BoxedStrategy<Value> {
    let value = json_scalar().prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            proptest::collection::btree_map("[a-z_]{1,8}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect::<Map<String, Value>>())),
        ]
    });
    proptest::collection::btree_map("[a-z_]{1,8}", value, 0..6)
        .prop_map(|m| Value::Object(m.into_iter().collect()))
        .boxed()
}

/// An event with a type from [`event_type`] and data from [`json_data`].
pub fn event() -> BoxedStrategy<Event> {
    (event_type(), json_data()).prop_map(|(t, d)| Event::new(t, d)).boxed()
}

/// An event of one of the given types.
pub fn event_of(types: &[&str]) -> BoxedStrategy<Event> {
    let types: Vec<String> = types.iter().map(|t| (*t).to_owned()).collect();
    (proptest::sample::select(types), json_data()).prop_map(|(t, d)| Event::new(t, d)).boxed()
}

/// The message of an event (JSON body, `event-type` attribute) with up to 9 more attributes; valid
/// for SNS.
///
/// ```
/// use bus_core::{limits, Event};
/// use bus_testkit::strategies::event_message;
/// use proptest::strategy::{Strategy, ValueTree};
/// use proptest::test_runner::TestRunner;
///
/// let mut runner = TestRunner::deterministic();
/// let message = event_message().new_tree(&mut runner).unwrap().current();
/// message.validate(limits::SNS_MAX_MESSAGE_BYTES).unwrap();
/// let event = Event::from_body(&message.body).unwrap();
/// assert_eq!(message.attributes["event-type"].as_str(), Some(event.event_type.as_str()));
/// ```
pub fn event_message() -> BoxedStrategy<Message> {
    (event(), attributes_up_to(9))
        .prop_map(|(event, mut extra)| {
            extra.remove(EVENT_TYPE_ATTRIBUTE);
            let mut message = event.to_message().expect("JSON data serialises");
            message.attributes.extend(extra);
            message
        })
        .boxed()
}
