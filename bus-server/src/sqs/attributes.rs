//! Queue attributes (`CreateQueue`, `Get/SetQueueAttributes`): parsed and checked against SQS's ranges
//! into the engine's [`QueueSpec`] and the server's [`QueueMeta`], and rendered back as SQS names them.

use std::collections::BTreeMap;
use std::time::Duration;

use bus_core::backend::{QueueSpec, QueueStats, RedrivePolicy};
use serde_json::Value;

use super::errors::SqsError;
use crate::registry::QueueMeta;
use crate::service::Service;

/// Every attribute `GetQueueAttributes` knows (the FIFO ones only on FIFO queues).
const READABLE: [&str; 21] = [
    "ApproximateNumberOfMessages",
    "ApproximateNumberOfMessagesNotVisible",
    "ApproximateNumberOfMessagesDelayed",
    "CreatedTimestamp",
    "DelaySeconds",
    "LastModifiedTimestamp",
    "MaximumMessageSize",
    "MessageRetentionPeriod",
    "Policy",
    "QueueArn",
    "ReceiveMessageWaitTimeSeconds",
    "RedrivePolicy",
    "RedriveAllowPolicy",
    "VisibilityTimeout",
    "KmsMasterKeyId",
    "KmsDataKeyReusePeriodSeconds",
    "SqsManagedSseEnabled",
    "FifoQueue",
    "ContentBasedDeduplication",
    "DeduplicationScope",
    "FifoThroughputLimit",
];

/// Attributes stored as given (the engine has no use for them).
const STORED: [&str; 5] =
    ["Policy", "RedriveAllowPolicy", "KmsMasterKeyId", "KmsDataKeyReusePeriodSeconds", "SqsManagedSseEnabled"];

const FIFO_ONLY: [&str; 4] = ["FifoQueue", "ContentBasedDeduplication", "DeduplicationScope", "FifoThroughputLimit"];

fn int_in(name: &str, value: &str, range: std::ops::RangeInclusive<u64>) -> Result<u64, SqsError> {
    value
        .trim()
        .parse::<u64>()
        .ok()
        .filter(|v| range.contains(v))
        .ok_or_else(|| SqsError::invalid_attribute_value(name, None))
}

fn boolean(name: &str, value: &str) -> Result<bool, SqsError> {
    match value.to_ascii_lowercase().as_str() {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(SqsError::invalid_attribute_value(name, None)),
    }
}

fn redrive(svc: &Service, value: &str) -> Result<Option<RedrivePolicy>, SqsError> {
    if value.trim().is_empty() {
        return Ok(None);
    }
    let bad = |reason: &str| SqsError::invalid_param("RedrivePolicy", value, reason);
    let v: Value = serde_json::from_str(value).map_err(|_| bad("Redrive policy is not a valid JSON map."))?;
    let arn = v
        .get("deadLetterTargetArn")
        .and_then(Value::as_str)
        .ok_or_else(|| bad("Redrive policy does not contain mandatory attribute: deadLetterTargetArn."))?;
    let count = match v.get("maxReceiveCount") {
        Some(Value::Number(n)) => n.as_u64(),
        Some(Value::String(s)) => s.trim().parse().ok(),
        None => return Err(bad("Redrive policy does not contain mandatory attribute: maxReceiveCount.")),
        _ => None,
    };
    let count = count
        .and_then(|c| u32::try_from(c).ok())
        .filter(|c| bus_core::limits::MAX_RECEIVE_COUNT_RANGE.contains(c))
        .ok_or_else(|| bad("Invalid value for maxReceiveCount, valid values are from 1 to 1000 both inclusive."))?;
    let dlq = svc
        .name_from_arn("sqs", arn)
        .filter(|n| svc.backend.queue_spec(n).is_ok())
        .ok_or_else(|| bad("Dead letter target does not exist."))?;
    Ok(Some(RedrivePolicy { dead_letter_queue: dlq.to_owned(), max_receive_count: count }))
}

/// Applies `attrs` to `spec` and `meta`, checking every value first; nothing is applied on error.
/// `FifoQueue` is accepted only when `creating`.
pub(crate) fn apply(
    svc: &Service,
    spec: &mut QueueSpec,
    meta: &mut QueueMeta,
    attrs: &BTreeMap<String, String>,
    creating: bool,
) -> Result<(), SqsError> {
    let mut s = spec.clone();
    let mut m = meta.clone();
    for (name, value) in attrs {
        let name = name.as_str();
        if FIFO_ONLY.contains(&name) && !spec.fifo && !(name == "FifoQueue" && value.eq_ignore_ascii_case("false")) {
            return Err(SqsError::invalid_attribute_name(name));
        }
        match name {
            "DelaySeconds" => s.delay = Duration::from_secs(int_in(name, value, 0..=900)?),
            "MaximumMessageSize" => m.max_message_size = int_in(name, value, 1024..=1_048_576)?,
            "MessageRetentionPeriod" => s.retention = Duration::from_secs(int_in(name, value, 60..=1_209_600)?),
            "ReceiveMessageWaitTimeSeconds" => s.receive_wait = Duration::from_secs(int_in(name, value, 0..=20)?),
            "VisibilityTimeout" => s.visibility_timeout = Duration::from_secs(int_in(name, value, 0..=43_200)?),
            "RedrivePolicy" => s.redrive = redrive(svc, value)?,
            "FifoQueue" => {
                if !creating {
                    return Err(SqsError::invalid_attribute_name(name));
                }
                if boolean(name, value)? != spec.fifo {
                    return Err(SqsError::invalid_attribute_value(
                        name,
                        Some("Modifying queue type is not supported."),
                    ));
                }
            }
            "ContentBasedDeduplication" => s.content_based_deduplication = boolean(name, value)?,
            "DeduplicationScope" => {
                if !matches!(value.as_str(), "messageGroup" | "queue") {
                    return Err(SqsError::invalid_attribute_value(name, None));
                }
                m.attributes.insert(name.to_owned(), value.clone());
            }
            "FifoThroughputLimit" => {
                if !matches!(value.as_str(), "perQueue" | "perMessageGroupId") {
                    return Err(SqsError::invalid_attribute_value(name, None));
                }
                m.attributes.insert(name.to_owned(), value.clone());
            }
            "KmsDataKeyReusePeriodSeconds" => {
                int_in(name, value, 60..=86_400)?;
                m.attributes.insert(name.to_owned(), value.clone());
            }
            "SqsManagedSseEnabled" => {
                m.attributes.insert(name.to_owned(), boolean(name, value)?.to_string());
            }
            "Policy" | "RedriveAllowPolicy" => {
                if !value.is_empty() && serde_json::from_str::<Value>(value).map(|v| !v.is_object()).unwrap_or(true) {
                    return Err(SqsError::invalid_attribute_value(name, Some("the value is not a JSON object")));
                }
                if value.is_empty() {
                    m.attributes.remove(name);
                } else {
                    m.attributes.insert(name.to_owned(), value.clone());
                }
            }
            n if STORED.contains(&n) => {
                m.attributes.insert(n.to_owned(), value.clone());
            }
            other => return Err(SqsError::invalid_attribute_name(other)),
        }
    }
    if let Some(r) = &s.redrive {
        let dlq_fifo = svc.backend.queue_spec(&r.dead_letter_queue).map(|d| d.fifo).unwrap_or(s.fifo);
        if dlq_fifo != s.fifo {
            return Err(SqsError::invalid_param(
                "RedrivePolicy",
                attrs.get("RedrivePolicy").map(String::as_str).unwrap_or(""),
                "Dead-letter target must be of the same type (standard or FIFO) as the source queue.",
            ));
        }
    }
    *spec = s;
    *meta = m;
    Ok(())
}

/// The attributes to return for `requested` names (`All` for every one).
pub(crate) fn render(
    svc: &Service,
    spec: &QueueSpec,
    meta: &QueueMeta,
    stats: QueueStats,
    requested: &[String],
) -> Result<BTreeMap<String, String>, SqsError> {
    let all = requested.iter().any(|r| r == "All");
    for r in requested {
        if r != "All" && !READABLE.contains(&r.as_str()) {
            return Err(SqsError::invalid_attribute_name(r));
        }
    }
    let mut out = BTreeMap::new();
    for name in READABLE {
        if !(all || requested.iter().any(|r| r == name)) {
            continue;
        }
        let value = match name {
            "ApproximateNumberOfMessages" => Some(stats.visible.to_string()),
            "ApproximateNumberOfMessagesNotVisible" => Some(stats.in_flight.to_string()),
            "ApproximateNumberOfMessagesDelayed" => Some(stats.delayed.to_string()),
            "CreatedTimestamp" => Some(meta.created.to_string()),
            "LastModifiedTimestamp" => Some(meta.modified.to_string()),
            "DelaySeconds" => Some(spec.delay.as_secs().to_string()),
            "MaximumMessageSize" => Some(meta.max_message_size.to_string()),
            "MessageRetentionPeriod" => Some(spec.retention.as_secs().to_string()),
            "QueueArn" => Some(svc.queue_arn(&spec.name)),
            "ReceiveMessageWaitTimeSeconds" => Some(spec.receive_wait.as_secs().to_string()),
            "VisibilityTimeout" => Some(spec.visibility_timeout.as_secs().to_string()),
            "RedrivePolicy" => spec.redrive.as_ref().map(|r| {
                serde_json::json!({
                    "deadLetterTargetArn": svc.queue_arn(&r.dead_letter_queue),
                    "maxReceiveCount": r.max_receive_count,
                })
                .to_string()
            }),
            "SqsManagedSseEnabled" => Some(meta.attributes.get(name).cloned().unwrap_or_else(|| "true".to_owned())),
            "FifoQueue" => spec.fifo.then(|| "true".to_owned()),
            "ContentBasedDeduplication" => spec.fifo.then(|| spec.content_based_deduplication.to_string()),
            "DeduplicationScope" => {
                spec.fifo.then(|| meta.attributes.get(name).cloned().unwrap_or_else(|| "queue".to_owned()))
            }
            "FifoThroughputLimit" => {
                spec.fifo.then(|| meta.attributes.get(name).cloned().unwrap_or_else(|| "perQueue".to_owned()))
            }
            other => meta.attributes.get(other).cloned(),
        };
        if let Some(v) = value {
            out.insert(name.to_owned(), v);
        }
    }
    Ok(out)
}
