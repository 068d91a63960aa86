//! `Publish` and `PublishBatch`: message attributes from the form, `Subject`, `MessageStructure=json`,
//! FIFO fields; the engine validates (the subject with `bus-core`'s rules, answered as SNS does:
//! `InvalidParameter`, `Invalid parameter: Subject`), filters and fans out.

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
    // Checked by the engine with every other rule (`Message::validate`).
    let subject = form.get("Subject").map(str::to_owned);
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
        subject,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ServerConfig;
    use crate::registry::Registry;
    use crate::service::Service;
    use bus_core::backend::{QueueSpec, SubscriptionSpec, Topology};
    use bus_core::{Backend, ReceiveOptions};
    use bus_memory::MemoryBackend;

    fn form(pairs: &[(&str, &str)]) -> Form {
        let body = form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish();
        Form::parse(body.as_bytes()).expect("a valid form")
    }

    /// A service whose topic `t` fans out to `enveloped` and, raw, to `raw`.
    async fn service() -> Service {
        let backend = MemoryBackend::new();
        let topology = Topology::new()
            .topic("t")
            .queue(QueueSpec::new("enveloped"))
            .queue(QueueSpec::new("raw"))
            .subscribe("t", "enveloped")
            .subscription(SubscriptionSpec {
                topic: "t".into(),
                queue: "raw".into(),
                filter_policy: None,
                filter_policy_scope: bus_core::filter::FilterScope::MessageAttributes,
                raw_message_delivery: true,
            });
        backend.apply_topology(&topology).await.expect("topology");
        let (_tx, rx) = tokio::sync::watch::channel(false);
        Service::new(backend, ServerConfig::default(), Registry::default(), rx)
    }

    async fn received(svc: &Service, queue: &str, n: usize) -> Vec<bus_core::Delivery> {
        let sub = svc.backend.subscription(queue).await.expect("queue");
        let got = sub.receive(ReceiveOptions::new(10, std::time::Duration::ZERO)).await.expect("receive");
        assert_eq!(got.len(), n, "{queue}: {got:?}");
        got
    }

    #[tokio::test]
    async fn publish_carries_the_subject_into_the_envelope_only() {
        let svc = service().await;
        let ctx = Ctx { svc: &svc };
        let arn = svc.topic_arn("t");
        publish(&ctx, &form(&[("TopicArn", &arn), ("Message", "hi"), ("Subject", "Greeting ✓")])).await.unwrap();
        publish(&ctx, &form(&[("TopicArn", &arn), ("Message", "plain")])).await.unwrap();
        let enveloped = received(&svc, "enveloped", 2).await;
        let with = enveloped.iter().find(|d| d.message.body == "hi").unwrap();
        let envelope: Value = serde_json::from_str(&with.raw_body).unwrap();
        assert_eq!(envelope["Subject"], "Greeting ✓");
        assert_eq!(with.message.subject.as_deref(), Some("Greeting ✓"));
        let without = enveloped.iter().find(|d| d.message.body == "plain").unwrap();
        assert!(!without.raw_body.contains("\"Subject\""), "{}", without.raw_body);
        assert_eq!(without.message.subject, None);
        for d in received(&svc, "raw", 2).await {
            assert_eq!(d.message.subject, None, "raw delivery carries no subject");
            assert!(d.raw_body == "hi" || d.raw_body == "plain");
        }
    }

    #[tokio::test]
    async fn an_invalid_subject_is_invalid_parameter_subject() {
        let svc = service().await;
        let ctx = Ctx { svc: &svc };
        let arn = svc.topic_arn("t");
        let long = "x".repeat(101);
        for subject in ["", "two\nlines", long.as_str()] {
            let e =
                publish(&ctx, &form(&[("TopicArn", &arn), ("Message", "hi"), ("Subject", subject)])).await.unwrap_err();
            assert_eq!(
                (e.code, e.message.as_str(), e.sender),
                ("InvalidParameter", "Invalid parameter: Subject", true)
            );
        }
        publish(&ctx, &form(&[("TopicArn", &arn), ("Message", "hi"), ("Subject", &"x".repeat(100))])).await.unwrap();
        received(&svc, "enveloped", 1).await;
    }

    #[tokio::test]
    async fn publish_batch_passes_subjects_and_fails_bad_ones_per_entry() {
        let svc = service().await;
        let ctx = Ctx { svc: &svc };
        let arn = svc.topic_arn("t");
        let f = form(&[
            ("TopicArn", &arn),
            ("PublishBatchRequestEntries.member.1.Id", "a"),
            ("PublishBatchRequestEntries.member.1.Message", "first"),
            ("PublishBatchRequestEntries.member.1.Subject", "First"),
            ("PublishBatchRequestEntries.member.2.Id", "b"),
            ("PublishBatchRequestEntries.member.2.Message", "second"),
            ("PublishBatchRequestEntries.member.2.Subject", "bad\r\nsubject"),
            ("PublishBatchRequestEntries.member.3.Id", "c"),
            ("PublishBatchRequestEntries.member.3.Message", "third"),
        ]);
        let x = publish_batch(&ctx, &f).await.unwrap();
        let xml = x.as_str();
        let failed = &xml[xml.find("<Failed>").unwrap()..];
        assert!(
            failed.contains(
                "<Id>b</Id><Code>InvalidParameter</Code><Message>Invalid parameter: Subject</Message><SenderFault>true</SenderFault>"
            ),
            "{xml}"
        );
        assert!(!failed.contains("<Id>a</Id>") && !failed.contains("<Id>c</Id>"), "{xml}");
        let got = received(&svc, "enveloped", 2).await;
        let subject_of = |body: &str| got.iter().find(|d| d.message.body == body).unwrap().message.subject.clone();
        assert_eq!(subject_of("first").as_deref(), Some("First"));
        assert_eq!(subject_of("third"), None);
    }
}
