//! Strategies for message attributes within AWS's rules: valid names, the four data types, values SNS
//! and SQS accept, at most 10 per message.

use bus_core::limits::MAX_ATTRIBUTES;
use bus_core::{AttributeValue, MessageAttributes};
use proptest::prelude::*;
use serde_json::Value;

/// A valid attribute name: 1-256 characters of `A-Z a-z 0-9 _ - .`, not starting with `AWS.` or
/// `Amazon.` (any case), no leading, trailing or doubled period. Mostly short; sometimes at the
/// 256-character limit.
pub fn attribute_name() -> BoxedStrategy<String> {
    let segment = "[A-Za-z0-9_-]{1,12}";
    let short = proptest::collection::vec(segment, 1..=3).prop_map(|s| s.join("."));
    let long = "[A-Za-z0-9_-]{200,256}";
    prop_oneof![20 => short, 1 => long]
        .prop_filter("reserved prefix", |n| {
            let lower = n.to_ascii_lowercase();
            !lower.starts_with("aws.") && !lower.starts_with("amazon.")
        })
        .boxed()
}

/// A `Number` value as SNS accepts it: within ±10⁹, at most five decimals, sometimes with an exponent.
pub fn number_text() -> BoxedStrategy<String> {
    prop_oneof![
        4 => (-1_000_000_000i64..=1_000_000_000).prop_map(|n| n.to_string()),
        3 => (-1_000_000_000i64..1_000_000_000, 0u32..100_000).prop_map(|(i, f)| {
            let sign = if i < 0 { "-" } else { "" };
            format!("{sign}{}.{f:05}", i.unsigned_abs())
        }),
        1 => (-99_999i64..=99_999, 0u32..=4).prop_map(|(m, e)| format!("{m}e{e}")),
    ]
    .boxed()
}

/// A JSON scalar for `String.Array` elements and event data.
pub fn json_scalar() -> BoxedStrategy<Value> {
    prop_oneof![
        3 => "\\PC{0,16}".prop_map(Value::String),
        2 => (-1_000_000i64..=1_000_000).prop_map(Value::from),
        1 => any::<bool>().prop_map(Value::Bool),
        1 => Just(Value::Null),
    ]
    .boxed()
}

/// An attribute value of any of the four types: non-empty `String` text, a valid `Number`, a JSON
/// array of scalars as `String.Array`, non-empty `Binary`.
pub fn attribute_value() -> BoxedStrategy<AttributeValue> {
    prop_oneof![
        4 => "\\PC{1,40}".prop_map(AttributeValue::String),
        3 => number_text().prop_map(AttributeValue::Number),
        2 => proptest::collection::vec(json_scalar(), 0..=5)
            .prop_map(|v| AttributeValue::StringArray(Value::Array(v).to_string())),
        1 => proptest::collection::vec(any::<u8>(), 1..=32).prop_map(AttributeValue::Binary),
    ]
    .boxed()
}

/// Up to 10 attributes with valid names and values.
///
/// ```
/// use bus_core::{limits, Message};
/// use bus_testkit::strategies::attributes;
/// use proptest::strategy::{Strategy, ValueTree};
/// use proptest::test_runner::TestRunner;
///
/// let mut runner = TestRunner::deterministic();
/// for _ in 0..50 {
///     let attrs = attributes().new_tree(&mut runner).unwrap().current();
///     let message = Message { attributes: attrs, ..Message::new("{}") };
///     message.validate(limits::SNS_MAX_MESSAGE_BYTES).unwrap();
/// }
/// ```
pub fn attributes() -> BoxedStrategy<MessageAttributes> {
    attributes_up_to(MAX_ATTRIBUTES)
}

/// At most `max` (≤ 10) attributes with valid names and values.
pub fn attributes_up_to(max: usize) -> BoxedStrategy<MessageAttributes> {
    proptest::collection::btree_map(attribute_name(), attribute_value(), 0..=max.min(MAX_ATTRIBUTES)).boxed()
}
