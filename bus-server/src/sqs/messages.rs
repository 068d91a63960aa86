//! Message calls: `SendMessage(Batch)`, `ReceiveMessage` (long polling, attribute selection),
//! `DeleteMessage(Batch)`, `ChangeMessageVisibility(Batch)`.

use std::time::Duration;

use bus_core::backend::{validate_batch_ids, BatchEntryError, BatchOutcome};
use bus_core::{limits, ReceiptHandle, ReceiveOptions, Subscription};
use serde_json::{json, Value};

use super::convert::{self, Selection};
use super::errors::SqsError;
use super::json::{object, Input};
use super::Ctx;

fn max_size(ctx: &Ctx<'_>, queue: &str) -> u64 {
    ctx.svc.registry().queues.get(queue).map_or(crate::registry::DEFAULT_MAX_MESSAGE_SIZE, |m| m.max_message_size)
}

/// `SendMessage`.
pub(crate) fn send_message(ctx: &Ctx<'_>, input: &Input) -> Result<Value, SqsError> {
    let queue = ctx.queue_name(input)?;
    let limit = max_size(ctx, &queue);
    let out = convert::outgoing(input, limit)?;
    let receipt = ctx.svc.backend.send_message(&queue, out.message, out.delay)?;
    Ok(object([
        ("MD5OfMessageBody", Some(json!(out.md5_body))),
        ("MD5OfMessageAttributes", out.md5_attributes.map(Value::String)),
        ("MD5OfMessageSystemAttributes", out.md5_system.map(Value::String)),
        ("MessageId", Some(json!(receipt.message_id))),
        ("SequenceNumber", receipt.sequence_number.map(Value::String)),
    ]))
}

fn failure(id: &str, e: &SqsError) -> Value {
    json!({"Id": id, "SenderFault": e.sender, "Code": e.code, "Message": e.message})
}

fn entry_failure(f: &BatchEntryError) -> Value {
    json!({"Id": f.id, "SenderFault": f.sender_fault, "Code": f.code, "Message": f.message})
}

fn entry_ids(entries: &[Input]) -> Result<Vec<String>, SqsError> {
    let ids = entries.iter().map(|e| e.req_str("Id").map(str::to_owned)).collect::<Result<Vec<_>, _>>()?;
    validate_batch_ids(ids.iter().map(String::as_str))?;
    Ok(ids)
}

fn batch_result(successful: Vec<Value>, failed: Vec<Value>) -> Value {
    json!({"Successful": successful, "Failed": failed})
}

/// `SendMessageBatch`: request-level problems fail the call; entry-level ones are reported per entry.
pub(crate) fn send_message_batch(ctx: &Ctx<'_>, input: &Input) -> Result<Value, SqsError> {
    let queue = ctx.queue_name(input)?;
    let entries = input.obj_list("Entries")?;
    let ids = entry_ids(&entries)?;
    ctx.svc.backend.queue_spec(&queue)?;
    let parsed: Vec<_> = entries.iter().map(|e| convert::outgoing(e, u64::MAX)).collect();
    let exact: usize = parsed
        .iter()
        .zip(&entries)
        .map(|(p, e)| match p {
            Ok(p) => p.message.wire_size(),
            Err(_) => e.str("MessageBody").ok().flatten().map_or(0, str::len),
        })
        .sum();
    if exact > limits::SQS_MAX_MESSAGE_BYTES {
        return Err(
            bus_core::BusError::BatchRequestTooLong { actual: exact, limit: limits::SQS_MAX_MESSAGE_BYTES }.into()
        );
    }
    let limit = max_size(ctx, &queue);
    let (mut successful, mut failed) = (Vec::new(), Vec::new());
    for (id, parsed) in ids.iter().zip(parsed) {
        let sent = parsed.and_then(|out| {
            if out.message.wire_size() as u64 > limit {
                return Err(SqsError::invalid_value(format!(
                    "One or more parameters are invalid. Reason: Message must be shorter than {limit} bytes."
                )));
            }
            let receipt = ctx.svc.backend.send_message(&queue, out.message, out.delay)?;
            Ok((out.md5_body, out.md5_attributes, out.md5_system, receipt))
        });
        match sent {
            Ok((md5_body, md5_attributes, md5_system, receipt)) => successful.push(object([
                ("Id", Some(json!(id))),
                ("MessageId", Some(json!(receipt.message_id))),
                ("MD5OfMessageBody", Some(json!(md5_body))),
                ("MD5OfMessageAttributes", md5_attributes.map(Value::String)),
                ("MD5OfMessageSystemAttributes", md5_system.map(Value::String)),
                ("SequenceNumber", receipt.sequence_number.map(Value::String)),
            ])),
            Err(e) => failed.push(failure(id, &e)),
        }
    }
    Ok(batch_result(successful, failed))
}

fn seconds(input: &Input, param: &str, max: i64) -> Result<Option<Duration>, SqsError> {
    match input.int(param)? {
        None => Ok(None),
        Some(v) if (0..=max).contains(&v) => Ok(Some(Duration::from_secs(v as u64))),
        Some(v) => Err(SqsError::invalid_param(param, v, &format!("Must be between 0 and {max}, if provided."))),
    }
}

/// `ReceiveMessage`: long-polls up to `WaitTimeSeconds` (the queue's default otherwise); a server
/// shutdown ends the wait with no messages.
pub(crate) async fn receive_message(ctx: &Ctx<'_>, input: &Input) -> Result<Value, SqsError> {
    let queue = ctx.queue_name(input)?;
    let max = match input.int("MaxNumberOfMessages")? {
        None => 1,
        Some(n) if (1..=10).contains(&n) => n as usize,
        Some(n) => {
            return Err(SqsError::invalid_param("MaxNumberOfMessages", n, "Must be between 1 and 10, if provided."))
        }
    };
    let options = ReceiveOptions {
        max_messages: max,
        wait_time: seconds(input, "WaitTimeSeconds", 20)?,
        visibility_timeout: seconds(input, "VisibilityTimeout", 43_200)?,
    };
    let selection = Selection::from_request(input)?;
    let sub = ctx.svc.backend.memory_subscription(&queue)?;
    let got = tokio::select! {
        r = sub.receive(options) => r?,
        () = ctx.svc.shutting_down() => Vec::new(),
    };
    let sender = &ctx.svc.config.account_id;
    let messages: Vec<Value> = got.iter().map(|d| convert::received(d, &selection, sender)).collect();
    Ok(object([("Messages", (!messages.is_empty()).then_some(Value::Array(messages)))]))
}

fn handle(input: &Input) -> Result<ReceiptHandle, SqsError> {
    Ok(ReceiptHandle(input.req_str("ReceiptHandle")?.to_owned()))
}

/// `DeleteMessage`.
pub(crate) async fn delete_message(ctx: &Ctx<'_>, input: &Input) -> Result<Value, SqsError> {
    let queue = ctx.queue_name(input)?;
    let receipt = handle(input)?;
    ctx.svc.backend.memory_subscription(&queue)?.ack(&receipt).await?;
    Ok(json!({}))
}

fn outcome(o: BatchOutcome, mut failed: Vec<Value>) -> Value {
    let successful: Vec<Value> = o.successful.iter().map(|id| json!({"Id": id})).collect();
    failed.extend(o.failed.iter().map(entry_failure));
    batch_result(successful, failed)
}

/// `DeleteMessageBatch`.
pub(crate) async fn delete_message_batch(ctx: &Ctx<'_>, input: &Input) -> Result<Value, SqsError> {
    let queue = ctx.queue_name(input)?;
    let entries = input.obj_list("Entries")?;
    let ids = entry_ids(&entries)?;
    let sub = ctx.svc.backend.memory_subscription(&queue)?;
    let (mut valid, mut failed) = (Vec::new(), Vec::new());
    for (id, e) in ids.into_iter().zip(&entries) {
        match handle(e) {
            Ok(h) => valid.push((id, h)),
            Err(err) => failed.push(failure(&id, &err)),
        }
    }
    if valid.is_empty() {
        return Ok(batch_result(Vec::new(), failed));
    }
    Ok(outcome(sub.ack_batch(valid).await?, failed))
}

/// `ChangeMessageVisibility`.
pub(crate) async fn change_message_visibility(ctx: &Ctx<'_>, input: &Input) -> Result<Value, SqsError> {
    let queue = ctx.queue_name(input)?;
    let receipt = handle(input)?;
    let timeout = seconds(input, "VisibilityTimeout", 43_200)?.ok_or_else(|| SqsError::missing("VisibilityTimeout"))?;
    ctx.svc.backend.memory_subscription(&queue)?.change_visibility(&receipt, timeout).await?;
    Ok(json!({}))
}

/// `ChangeMessageVisibilityBatch`.
pub(crate) async fn change_message_visibility_batch(ctx: &Ctx<'_>, input: &Input) -> Result<Value, SqsError> {
    let queue = ctx.queue_name(input)?;
    let entries = input.obj_list("Entries")?;
    let ids = entry_ids(&entries)?;
    let sub = ctx.svc.backend.memory_subscription(&queue)?;
    let (mut valid, mut failed) = (Vec::new(), Vec::new());
    for (id, e) in ids.into_iter().zip(&entries) {
        let parsed = handle(e).and_then(|h| {
            let t = seconds(e, "VisibilityTimeout", 43_200)?.ok_or_else(|| SqsError::missing("VisibilityTimeout"))?;
            Ok((h, t))
        });
        match parsed {
            Ok((h, t)) => valid.push((id, h, t)),
            Err(err) => failed.push(failure(&id, &err)),
        }
    }
    if valid.is_empty() {
        return Ok(batch_result(Vec::new(), failed));
    }
    Ok(outcome(sub.change_visibility_batch(valid).await?, failed))
}
