//! Message attributes between bus-core's model and the SNS/SQS SDK types, one to one.
//!
//! SNS knows `String`, `Number`, `String.Array` and `Binary`. SQS knows `String`, `Number` and `Binary`
//! with optional custom suffixes; SNS raw delivery hands a `String.Array` attribute to SQS as the
//! string type `String.Array`, which maps back to [`AttributeValue::StringArray`].

use std::collections::HashMap;

use aws_sdk_sns::primitives::Blob as SnsBlob;
use aws_sdk_sns::types::MessageAttributeValue as SnsValue;
use aws_sdk_sqs::primitives::Blob as SqsBlob;
use aws_sdk_sqs::types::MessageAttributeValue as SqsValue;
use bus_core::{AttributeType, AttributeValue, BusError, MessageAttributes};

/// SNS attributes for a publish.
pub(crate) fn to_sns(attrs: &MessageAttributes) -> Result<HashMap<String, SnsValue>, BusError> {
    attrs
        .iter()
        .map(|(name, value)| {
            let b = SnsValue::builder().data_type(value.data_type().as_str());
            let b = match value {
                AttributeValue::String(s) | AttributeValue::Number(s) | AttributeValue::StringArray(s) => {
                    b.string_value(s)
                }
                AttributeValue::Binary(bytes) => b.binary_value(SnsBlob::new(bytes.clone())),
            };
            let v = b.build().map_err(|e| BusError::InvalidAttribute { name: name.clone(), reason: e.to_string() })?;
            Ok((name.clone(), v))
        })
        .collect()
}

/// SQS attributes for a `SendMessage`.
pub(crate) fn to_sqs(attrs: &MessageAttributes) -> Result<HashMap<String, SqsValue>, BusError> {
    attrs
        .iter()
        .map(|(name, value)| {
            let b = SqsValue::builder().data_type(value.data_type().as_str());
            let b = match value {
                AttributeValue::String(s) | AttributeValue::Number(s) | AttributeValue::StringArray(s) => {
                    b.string_value(s)
                }
                AttributeValue::Binary(bytes) => b.binary_value(SqsBlob::new(bytes.clone())),
            };
            let v = b.build().map_err(|e| BusError::InvalidAttribute { name: name.clone(), reason: e.to_string() })?;
            Ok((name.clone(), v))
        })
        .collect()
}

/// Attributes of a received SQS message. An attribute of an unknown type, or a value missing for its type,
/// is skipped with a warning rather than failing the whole receive.
pub(crate) fn from_sqs(attrs: Option<&HashMap<String, SqsValue>>) -> MessageAttributes {
    let mut out = MessageAttributes::new();
    for (name, v) in attrs.into_iter().flatten() {
        match from_sqs_value(v) {
            Some(value) => {
                out.insert(name.clone(), value);
            }
            None => tracing::warn!(attribute = %name, data_type = v.data_type(), "skipping unreadable SQS attribute"),
        }
    }
    out
}

fn from_sqs_value(v: &SqsValue) -> Option<AttributeValue> {
    Some(match AttributeType::parse(v.data_type())? {
        AttributeType::Binary => AttributeValue::Binary(v.binary_value()?.as_ref().to_vec()),
        AttributeType::String => AttributeValue::String(v.string_value()?.to_owned()),
        AttributeType::Number => AttributeValue::Number(v.string_value()?.to_owned()),
        AttributeType::StringArray => AttributeValue::StringArray(v.string_value()?.to_owned()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> MessageAttributes {
        let mut a = MessageAttributes::new();
        a.insert("s".into(), AttributeValue::String("text".into()));
        a.insert("n".into(), AttributeValue::Number("3.015e2".into()));
        a.insert("arr".into(), AttributeValue::string_array(["a", "b"]));
        a.insert("bin".into(), AttributeValue::Binary(vec![0, 159, 255]));
        a
    }

    #[test]
    fn sns_types_are_one_to_one() {
        let sns = to_sns(&sample()).unwrap();
        assert_eq!(sns["s"].data_type(), "String");
        assert_eq!(sns["n"].data_type(), "Number");
        assert_eq!(sns["n"].string_value(), Some("3.015e2"));
        assert_eq!(sns["arr"].data_type(), "String.Array");
        assert_eq!(sns["arr"].string_value(), Some(r#"["a","b"]"#));
        assert_eq!(sns["bin"].data_type(), "Binary");
        assert_eq!(sns["bin"].binary_value().unwrap().as_ref(), &[0, 159, 255]);
    }

    #[test]
    fn sqs_round_trip_keeps_every_type() {
        let a = sample();
        let sqs = to_sqs(&a).unwrap();
        assert_eq!(from_sqs(Some(&sqs)), a);
    }

    #[test]
    fn custom_sqs_types_map_to_their_base_and_unreadable_ones_are_skipped() {
        let mut m = HashMap::new();
        m.insert("f".to_owned(), SqsValue::builder().data_type("Number.float").string_value("1.5").build().unwrap());
        m.insert("x".to_owned(), SqsValue::builder().data_type("Weird").string_value("?").build().unwrap());
        m.insert("b".to_owned(), SqsValue::builder().data_type("Binary").build().unwrap());
        let out = from_sqs(Some(&m));
        assert_eq!(out.len(), 1);
        assert_eq!(out["f"], AttributeValue::Number("1.5".into()));
    }
}
