//! `Publish` and `PublishBatch`: message attributes from the form, `MessageStructure=json`, FIFO
//! fields; the engine validates, filters and fans out.

use base64::Engine as _;
use bus_core::backend::validate_batch_ids;
use bus_core::{limits, AttributeType, AttributeValue, Message, MessageAttributes, Publisher};
use serde_json::Value;

use super::errors::SnsError;
use super::form::Form;
use super::topics::topic_name;
use super::xml::Xml;
use super::Ctx;

/// The message attributes of a publish (`MessageAttributes.entry.N.Name` / `.Value.*`).
fn attributes(form: &Form) -> Result<MessageAttributes, SnsError> {
    let mut out = MessageAttributes::new();
    for entry in form.indexed("MessageAttributes.entry")? {
        let name = entry.get("Name").unwrap_or("");
        if name.is_empty() {
            return Err(SnsError::invalid_parameter(
                "Invalid parameter: MessageAttributes Reason: an attribute has no Name",
            ));
        }
        let data_type = entry.get("Value.DataType").unwrap_or("");
        let ty = AttributeType::parse(data_type).ok_or_else(|| {
            SnsError::invalid_value(format!(
                "The message attribute '{name}' has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String."
            ))
        })?;
        let missing = || {
            SnsError::invalid_value(format!(
                "The message attribute '{name}' must contain non-empty message attribute value for message attribute type '{data_type}'."
            ))
        };
        let value = match ty {
            AttributeType::Binary => {
                let b64 = entry.get("Value.BinaryValue").ok_or_else(missing)?;
                AttributeValue::Binary(base64::engine::general_purpose::STANDARD.decode(b64).map_err(|_| {
                    SnsError::invalid_value(format!(
                        "The message attribute '{name}' has a BinaryValue that is not base64."
                    ))
                })?)
            }
            AttributeType::String => {
                AttributeValue::String(entry.get("Value.StringValue").ok_or_else(missing)?.to_owned())
            }
            AttributeType::Number => {
                AttributeValue::Number(entry.get("Value.StringValue").ok_or_else(missing)?.to_owned())
            }
            AttributeType::StringArray => {
                AttributeValue::StringArray(entry.get("Value.StringValue").ok_or_else(missing)?.to_owned())
            }
        };
        out.insert(name.to_owned(), value);
    }
    Ok(out)
}

/// The message of a `Publish` request or a `PublishBatch` entry.
fn message(form: &Form) -> Result<Message, SnsError> {
    let mut body = form.get("Message").unwrap_or("").to_owned();
    if body.is_empty() {
        return Err(SnsError::invalid_parameter("Invalid parameter: Empty message"));
    }
    if let Some(subject) = form.get("Subject") {
        if subject.is_empty() || subject.len() > 100 || subject.chars().any(|c| c.is_control() || !c.is_ascii()) {
            return Err(SnsError::invalid_parameter("Invalid parameter: Subject"));
        }
    }
    match form.get("MessageStructure") {
        None | Some("") => {}
        Some("json") => {
            let v: Value = serde_json::from_str(&body).map_err(|_| {
                SnsError::invalid_parameter("Invalid parameter: Message Structure - JSON message body failed to parse")
            })?;
            let pick = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_owned);
            let default = pick("default").ok_or_else(|| {
                SnsError::invalid_parameter(
                    "Invalid parameter: Message Structure - No default entry in JSON message body",
                )
            })?;
            body = pick("sqs").unwrap_or(default);
        }
        Some(other) => {
            return Err(SnsError::invalid_parameter(format!(
                "Invalid parameter: MessageStructure Reason: {other} is not json"
            )))
        }
    }
    Ok(Message {
        body,
        attributes: attributes(form)?,
        group_id: form.get("MessageGroupId").map(str::to_owned),
        deduplication_id: form.get("MessageDeduplicationId").map(str::to_owned),
    })
}

/// `Publish` to a topic (`TopicArn` or `TargetArn`; phone numbers are not supported).
pub(crate) async fn publish(ctx: &Ctx<'_>, form: &Form) -> Result<Xml, SnsError> {
    if form.get("PhoneNumber").is_some() {
        return Err(SnsError::invalid_parameter(
            "Invalid parameter: PhoneNumber Reason: bus serve publishes to topics only",
        ));
    }
    let param = if form.get("TopicArn").is_some() { "TopicArn" } else { "TargetArn" };
    let topic = topic_name(ctx, form, param)?;
    let m = message(form)?;
    let receipt = ctx.svc.backend.memory_publisher().publish(topic, m).await?;
    let mut x = Xml::default();
    x.leaf("MessageId", &receipt.message_id);
    if let Some(seq) = &receipt.sequence_number {
        x.leaf("SequenceNumber", seq);
    }
    Ok(x)
}

/// `PublishBatch`: request-level problems fail the call; bad entries are reported one by one.
pub(crate) async fn publish_batch(ctx: &Ctx<'_>, form: &Form) -> Result<Xml, SnsError> {
    let topic = topic_name(ctx, form, "TopicArn")?;
    let entries = form.indexed("PublishBatchRequestEntries.member")?;
    let ids: Vec<&str> = entries.iter().map(|e| e.get("Id").unwrap_or("")).collect();
    validate_batch_ids(ids.iter().copied())?;
    ctx.svc.backend.topic_spec(topic)?;
    let parsed: Vec<Result<Message, SnsError>> = entries.iter().map(message).collect();
    let total: usize = parsed
        .iter()
        .zip(&entries)
        .map(|(p, e)| match p {
            Ok(m) => m.wire_size(),
            Err(_) => e.get("Message").map_or(0, str::len),
        })
        .sum();
    if total > limits::SNS_MAX_BATCH_BYTES {
        return Err(
            bus_core::BusError::BatchRequestTooLong { actual: total, limit: limits::SNS_MAX_BATCH_BYTES }.into()
        );
    }
    let publisher = ctx.svc.backend.memory_publisher();
    let mut ok = Xml::default();
    let mut failed = Xml::default();
    for (id, m) in ids.iter().zip(parsed) {
        let r = match m {
            Ok(m) => publisher.publish(topic, m).await.map_err(SnsError::from),
            Err(e) => Err(e),
        };
        match r {
            Ok(receipt) => {
                ok.open("member").leaf("Id", id).leaf("MessageId", &receipt.message_id);
                if let Some(seq) = &receipt.sequence_number {
                    ok.leaf("SequenceNumber", seq);
                }
                ok.close("member");
            }
            Err(e) => {
                failed
                    .open("member")
                    .leaf("Id", id)
                    .leaf("Code", e.code)
                    .leaf("Message", &e.message)
                    .leaf("SenderFault", if e.sender { "true" } else { "false" })
                    .close("member");
            }
        }
    }
    let mut x = Xml::default();
    x.open("Successful").raw(&ok).close("Successful");
    x.open("Failed").raw(&failed).close("Failed");
    Ok(x)
}
