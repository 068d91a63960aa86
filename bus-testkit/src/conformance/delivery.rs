//! Raw versus enveloped delivery: the SNS notification JSON, and raw pass-through.

use bus_core::backend::{QueueSpec, Topology};
use bus_core::{AttributeValue, Backend, Message};
use serde_json::Value;

use super::error::{ensure, ensure_eq, ConformanceError, StepExt};
use super::names::Names;
use super::publish::every_type_message;
use super::support::{apply, consumer, expect_one, raw_subscription, sane_time};

fn field<'a>(envelope: &'a Value, name: &str) -> Result<&'a Value, ConformanceError> {
    envelope.get(name).ok_or_else(|| {
        ConformanceError::mismatch("envelope", format!("a {name:?} field"), format!("none in {envelope}"))
    })
}

fn string_field<'a>(envelope: &'a Value, name: &str) -> Result<&'a str, ConformanceError> {
    field(envelope, name)?
        .as_str()
        .ok_or_else(|| ConformanceError::mismatch(format!("envelope {name}"), "a string", envelope[name].to_string()))
}

/// `2026-01-01T00:00:00.000Z`: ISO 8601, UTC, milliseconds.
fn is_sns_timestamp(t: &str) -> bool {
    let b = t.as_bytes();
    let digits = |r: std::ops::Range<usize>| r.into_iter().all(|i| b.get(i).is_some_and(u8::is_ascii_digit));
    b.len() == 24
        && digits(0..4)
        && b[4] == b'-'
        && digits(5..7)
        && b[7] == b'-'
        && digits(8..10)
        && b[10] == b'T'
        && digits(11..13)
        && b[13] == b':'
        && digits(14..16)
        && b[16] == b':'
        && digits(17..19)
        && b[19] == b'.'
        && digits(20..23)
        && b[23] == b'Z'
}

async fn one_enveloped(
    backend: &dyn Backend,
    names: &Names,
    role: &str,
    message: Message,
) -> Result<(String, String, Value), ConformanceError> {
    let topic = names.topic(role);
    let queue = names.queue(role);
    apply(backend, &Topology::new().topic(&topic).queue(QueueSpec::new(&queue)).subscribe(&topic, &queue), "setup")
        .await?;
    let sub = consumer(backend, &queue).await?;
    let receipt = backend.publisher().publish(&topic, message).await.step("publish")?;
    let d = expect_one(&*sub, "receive").await?;
    sub.ack(&d.receipt_handle).await.step("ack")?;
    let envelope: Value = serde_json::from_str(&d.raw_body).map_err(|e| {
        ConformanceError::mismatch("queue body", "the SNS notification JSON", format!("{e}: {}", d.raw_body))
    })?;
    ensure(envelope.is_object(), "queue body", "a JSON object", &d.raw_body)?;
    ensure(d.notification.is_some(), "delivery", "the parsed envelope in Delivery::notification", "none")?;
    Ok((topic, receipt.message_id, envelope))
}

/// With raw delivery off the queue body is SNS's notification JSON: `Type` `Notification`,
/// `MessageId` (the publish receipt's), `TopicArn` (an ARN ending in the topic's name), `Message`
/// (the body), `Timestamp` (ISO 8601 UTC with milliseconds), `SignatureVersion` (`1` or `2`),
/// `Signature`, `SigningCertURL`, `UnsubscribeURL` and `MessageAttributes` as `{"Type","Value"}`
/// (base64 for Binary).
pub async fn delivery_envelope_fields(backend: &dyn Backend, names: &Names) -> Result<(), ConformanceError> {
    let message = every_type_message();
    let (topic, message_id, env) = one_enveloped(backend, names, "envelope", message.clone()).await?;
    ensure_eq("envelope Type", "Notification", string_field(&env, "Type")?)?;
    ensure_eq("envelope MessageId", message_id.as_str(), string_field(&env, "MessageId")?)?;
    let arn = string_field(&env, "TopicArn")?;
    ensure(
        arn.starts_with("arn:") && arn.ends_with(&format!(":{topic}")) && arn.split(':').count() == 6,
        "envelope TopicArn",
        format!("arn:<partition>:sns:<region>:<account>:{topic}"),
        arn,
    )?;
    ensure_eq("envelope Message", message.body.as_str(), string_field(&env, "Message")?)?;
    let ts = string_field(&env, "Timestamp")?;
    ensure(is_sns_timestamp(ts), "envelope Timestamp", "YYYY-MM-DDTHH:MM:SS.mmmZ", ts)?;
    let parsed = humantime::parse_rfc3339(ts)
        .map_err(|e| ConformanceError::mismatch("envelope Timestamp", "an RFC 3339 time", format!("{ts}: {e}")))?;
    sane_time("envelope", "Timestamp", parsed)?;
    let version = string_field(&env, "SignatureVersion")?;
    ensure(version == "1" || version == "2", "envelope SignatureVersion", "\"1\" or \"2\"", version)?;
    string_field(&env, "Signature")?;
    string_field(&env, "SigningCertURL")?;
    let unsubscribe = string_field(&env, "UnsubscribeURL")?;
    ensure(
        unsubscribe.starts_with("https://") && unsubscribe.contains("Action=Unsubscribe"),
        "envelope UnsubscribeURL",
        "an https URL with Action=Unsubscribe",
        unsubscribe,
    )?;
    let attrs = field(&env, "MessageAttributes")?;
    for (name, value) in &message.attributes {
        let expected = serde_json::json!({"Type": value.data_type().as_str(), "Value": value.wire_value()});
        ensure_eq(format!("envelope MessageAttributes.{name}"), &expected, attrs.get(name).unwrap_or(&Value::Null))?;
    }
    let count = attrs.as_object().map_or(0, |o| o.len());
    ensure_eq("envelope MessageAttributes count", &message.attributes.len(), &count)
}

/// The envelope's `Signature` is non-empty base64 and `SigningCertURL` an https URL of a `.pem`.
pub async fn delivery_envelope_signature(backend: &dyn Backend, names: &Names) -> Result<(), ConformanceError> {
    use base64::Engine as _;
    let (_, _, env) = one_enveloped(backend, names, "signature", Message::new("signed")).await?;
    let signature = string_field(&env, "Signature")?;
    let decoded = base64::engine::general_purpose::STANDARD.decode(signature);
    ensure(matches!(&decoded, Ok(bytes) if !bytes.is_empty()), "envelope Signature", "non-empty base64", signature)?;
    let cert = string_field(&env, "SigningCertURL")?;
    ensure(
        cert.starts_with("https://") && cert.ends_with(".pem"),
        "envelope SigningCertURL",
        "an https URL ending in .pem",
        cert,
    )
}

async fn one_raw(
    backend: &dyn Backend,
    names: &Names,
    role: &str,
    messages: &[Message],
) -> Result<(), ConformanceError> {
    let topic = names.topic(role);
    let queue = names.queue(role);
    let topology =
        Topology::new().topic(&topic).queue(QueueSpec::new(&queue)).subscription(raw_subscription(&topic, &queue));
    apply(backend, &topology, "setup").await?;
    let sub = consumer(backend, &queue).await?;
    for (i, message) in messages.iter().enumerate() {
        let step = format!("raw message {i}");
        backend.publisher().publish(&topic, message.clone()).await.step(format!("{step}: publish"))?;
        let d = expect_one(&*sub, &step).await?;
        sub.ack(&d.receipt_handle).await.step(format!("{step}: ack"))?;
        ensure_eq(format!("{step}: queue body"), &message.body, &d.raw_body)?;
        ensure_eq(format!("{step}: body"), &message.body, &d.message.body)?;
        ensure_eq(format!("{step}: attributes"), &message.attributes, &d.message.attributes)?;
        ensure(d.notification.is_none(), format!("{step}: envelope"), "none with raw delivery", "an envelope")?;
        if let Ok(event) = bus_core::Event::from_body(&message.body) {
            ensure_eq(format!("{step}: decoded event"), &Some(event), &d.event)?;
        }
    }
    Ok(())
}

/// With raw delivery the queue body is the published body, byte for byte, and the attributes are
/// the published ones (String, Number, String.Array); an event body is still decoded.
pub async fn delivery_raw(backend: &dyn Backend, names: &Names) -> Result<(), ConformanceError> {
    let event = bus_core::Event::new("USER_CREATED", serde_json::json!({"id": 1})).to_message().step("event")?;
    let messages = [
        Message::new("plain text, \"quotes\" and ünïcödé ✓")
            .with_attribute("s", AttributeValue::String("v".into()))
            .with_attribute("n", AttributeValue::Number("-3.25".into()))
            .with_attribute("arr", AttributeValue::StringArray(r#"["x","y"]"#.into())),
        event,
        Message::new(r#"{"Type":"NotAnEnvelope","Message":"still raw"}"#),
    ];
    one_raw(backend, names, "raw", &messages).await
}

/// With raw delivery a Binary attribute arrives as the same bytes.
pub async fn delivery_raw_binary_attribute(backend: &dyn Backend, names: &Names) -> Result<(), ConformanceError> {
    let message = Message::new("binary").with_attribute("bin", AttributeValue::Binary(vec![0, 1, 2, 254, 255]));
    one_raw(backend, names, "raw-binary", &[message]).await
}
