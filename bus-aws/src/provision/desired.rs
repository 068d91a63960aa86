//! The declared attribute values of queues and subscriptions, as AWS spells them, and how they compare
//! with what AWS reports. Pure functions, tested here.

use std::collections::BTreeSet;

use bus_core::backend::{QueueSpec, SubscriptionSpec};
use bus_core::filter::FilterScope;
use serde_json::{json, Value};

/// The `Sid` of the queue policy statement this crate manages; other statements are left alone.
pub const POLICY_SID: &str = "bus-aws-allow-sns-topics";

/// Queue attributes set at creation and compared on every plan (the redrive and access policies aside).
pub(crate) fn queue_base_attributes(spec: &QueueSpec) -> Vec<(&'static str, String)> {
    let mut v = vec![
        ("VisibilityTimeout", spec.visibility_timeout.as_secs().to_string()),
        ("MessageRetentionPeriod", spec.retention.as_secs().to_string()),
        ("DelaySeconds", spec.delay.as_secs().to_string()),
        ("ReceiveMessageWaitTimeSeconds", spec.receive_wait.as_secs().to_string()),
    ];
    if spec.fifo {
        v.push(("FifoQueue", "true".to_owned()));
        v.push(("ContentBasedDeduplication", spec.content_based_deduplication.to_string()));
    }
    v
}

/// Attributes that cannot change after creation.
pub(crate) fn is_immutable(attribute: &str) -> bool {
    matches!(attribute, "FifoQueue" | "FifoTopic")
}

/// Whether two attribute values are the same setting (`"30"` and `"30"`, `"true"` and `"True"`; an
/// absent `FifoQueue`/`ContentBasedDeduplication` is `false`).
pub(crate) fn same_value(actual: Option<&str>, desired: &str) -> bool {
    let actual = actual.map(str::trim).unwrap_or("");
    if actual.eq_ignore_ascii_case(desired) {
        return true;
    }
    if desired == "false" && actual.is_empty() {
        return true;
    }
    matches!((actual.parse::<u64>(), desired.parse::<u64>()), (Ok(a), Ok(d)) if a == d)
}

/// The `RedrivePolicy` JSON.
pub(crate) fn redrive_policy(dlq_arn: &str, max_receive_count: u32) -> String {
    json!({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": max_receive_count}).to_string()
}

fn parse_redrive(s: Option<&str>) -> Option<(String, u64)> {
    let v: Value = serde_json::from_str(s.filter(|s| !s.trim().is_empty())?).ok()?;
    let arn = v.get("deadLetterTargetArn")?.as_str()?.to_owned();
    let count = match v.get("maxReceiveCount")? {
        Value::Number(n) => n.as_u64()?,
        Value::String(s) => s.parse().ok()?,
        _ => return None,
    };
    Some((arn, count))
}

/// Whether two redrive policies are the same (`maxReceiveCount` as number or string; empty = none).
pub(crate) fn same_redrive(actual: Option<&str>, desired: Option<&str>) -> bool {
    parse_redrive(actual) == parse_redrive(desired)
}

/// The queue policy: the statements of `existing` other than ours, plus ours allowing `topic_arns`
/// to send to `queue_arn`.
pub(crate) fn queue_policy(existing: Option<&str>, queue_arn: &str, topic_arns: &BTreeSet<String>) -> String {
    let mut statements: Vec<Value> = existing
        .and_then(|p| serde_json::from_str::<Value>(p).ok())
        .and_then(|p| p.get("Statement").cloned())
        .map(|s| match s {
            Value::Array(a) => a,
            other => vec![other],
        })
        .unwrap_or_default()
        .into_iter()
        .filter(|s| s.get("Sid").and_then(Value::as_str) != Some(POLICY_SID))
        .collect();
    statements.push(json!({
        "Sid": POLICY_SID,
        "Effect": "Allow",
        "Principal": {"Service": "sns.amazonaws.com"},
        "Action": "sqs:SendMessage",
        "Resource": queue_arn,
        "Condition": {"ArnEquals": {"aws:SourceArn": topic_arns.iter().collect::<Vec<_>>()}},
    }));
    json!({"Version": "2012-10-17", "Statement": statements}).to_string()
}

fn strings(v: Option<&Value>) -> BTreeSet<String> {
    match v {
        Some(Value::String(s)) => BTreeSet::from([s.clone()]),
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).map(str::to_owned).collect(),
        _ => BTreeSet::new(),
    }
}

/// Whether `existing` holds our statement exactly: allow `sqs:SendMessage` on `queue_arn` from
/// exactly `topic_arns`.
pub(crate) fn policy_in_sync(existing: Option<&str>, queue_arn: &str, topic_arns: &BTreeSet<String>) -> bool {
    let Some(policy) = existing.and_then(|p| serde_json::from_str::<Value>(p).ok()) else {
        return false;
    };
    let statements = match policy.get("Statement") {
        Some(Value::Array(a)) => a.clone(),
        Some(other) => vec![other.clone()],
        None => return false,
    };
    statements.iter().any(|s| {
        s.get("Sid").and_then(Value::as_str) == Some(POLICY_SID)
            && s.get("Effect").and_then(Value::as_str) == Some("Allow")
            && strings(s.get("Action")) == BTreeSet::from(["sqs:SendMessage".to_owned()])
            && strings(s.get("Resource")) == BTreeSet::from([queue_arn.to_owned()])
            && strings(s.pointer("/Condition/ArnEquals/aws:SourceArn")) == *topic_arns
    })
}

/// The declared filter policy: `None` for no policy or `{}` (both deliver everything).
pub(crate) fn declared_filter(spec: &SubscriptionSpec) -> Option<&Value> {
    spec.filter_policy.as_ref().filter(|v| v.as_object().is_none_or(|o| !o.is_empty()))
}

/// Whether the `FilterPolicy` attribute AWS reports is the declared policy (JSON equality; an empty
/// string or `{}` is no policy).
pub(crate) fn same_filter(actual: Option<&str>, desired: Option<&Value>) -> bool {
    let actual: Option<Value> = actual
        .filter(|s| !s.trim().is_empty())
        .and_then(|s| serde_json::from_str(s).ok())
        .filter(|v: &Value| v.as_object().is_none_or(|o| !o.is_empty()));
    actual.as_ref() == desired
}

/// The subscription attributes to create a subscription with, in the order to set them.
pub(crate) fn subscription_attributes(spec: &SubscriptionSpec) -> Vec<(&'static str, String)> {
    let mut v = Vec::new();
    if let Some(p) = declared_filter(spec) {
        v.push(("FilterPolicyScope", spec.filter_policy_scope.as_str().to_owned()));
        v.push(("FilterPolicy", p.to_string()));
    }
    if spec.raw_message_delivery {
        v.push(("RawMessageDelivery", "true".to_owned()));
    }
    v
}

/// The scope AWS reports, defaulting to `MessageAttributes` when absent.
pub(crate) fn reported_scope(actual: Option<&str>) -> &str {
    actual.filter(|s| !s.is_empty()).unwrap_or(FilterScope::MessageAttributes.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn queue_attributes_follow_the_spec() {
        let spec = QueueSpec::new("q.fifo").with_visibility_timeout(Duration::from_secs(45));
        let attrs = queue_base_attributes(&spec);
        assert!(attrs.contains(&("VisibilityTimeout", "45".to_owned())));
        assert!(attrs.contains(&("MessageRetentionPeriod", "345600".to_owned())));
        assert!(attrs.contains(&("FifoQueue", "true".to_owned())));
        assert!(attrs.contains(&("ContentBasedDeduplication", "false".to_owned())));
        assert!(!queue_base_attributes(&QueueSpec::new("q")).iter().any(|(k, _)| *k == "FifoQueue"));
    }

    #[test]
    fn values_compare_as_settings() {
        assert!(same_value(Some("30"), "30"));
        assert!(same_value(Some(" 030"), "30"));
        assert!(same_value(Some("True"), "true"));
        assert!(same_value(None, "false"));
        assert!(!same_value(Some("31"), "30"));
        assert!(!same_value(None, "30"));
    }

    #[test]
    fn redrive_policies_compare_by_meaning() {
        let d = redrive_policy("arn:aws:sqs:us-east-1:1:dlq", 5);
        assert!(same_redrive(
            Some(r#"{"maxReceiveCount":"5","deadLetterTargetArn":"arn:aws:sqs:us-east-1:1:dlq"}"#),
            Some(&d)
        ));
        assert!(!same_redrive(Some(&redrive_policy("arn:aws:sqs:us-east-1:1:dlq", 6)), Some(&d)));
        assert!(same_redrive(Some(""), None));
        assert!(!same_redrive(None, Some(&d)));
    }

    #[test]
    fn queue_policy_keeps_foreign_statements_and_is_recognised() {
        let topics: BTreeSet<String> =
            ["arn:aws:sns:us-east-1:1:a".to_owned(), "arn:aws:sns:us-east-1:1:b".to_owned()].into();
        let foreign = r#"{"Version":"2012-10-17","Statement":{"Sid":"mine","Effect":"Deny","Principal":"*","Action":"sqs:*","Resource":"x"}}"#;
        let p = queue_policy(Some(foreign), "arn:aws:sqs:us-east-1:1:q", &topics);
        let v: Value = serde_json::from_str(&p).unwrap();
        assert_eq!(v["Statement"].as_array().unwrap().len(), 2);
        assert_eq!(v["Statement"][0]["Sid"], "mine");
        assert!(policy_in_sync(Some(&p), "arn:aws:sqs:us-east-1:1:q", &topics));
        let fewer: BTreeSet<String> = ["arn:aws:sns:us-east-1:1:a".to_owned()].into();
        assert!(!policy_in_sync(Some(&p), "arn:aws:sqs:us-east-1:1:q", &fewer));
        assert!(!policy_in_sync(Some(foreign), "arn:aws:sqs:us-east-1:1:q", &topics));
        assert!(!policy_in_sync(None, "arn:aws:sqs:us-east-1:1:q", &topics));
        // Re-applying replaces our statement instead of adding a second one.
        let again = queue_policy(Some(&p), "arn:aws:sqs:us-east-1:1:q", &fewer);
        let v: Value = serde_json::from_str(&again).unwrap();
        assert_eq!(v["Statement"].as_array().unwrap().len(), 2);
        assert!(policy_in_sync(Some(&again), "arn:aws:sqs:us-east-1:1:q", &fewer));
    }

    #[test]
    fn filter_policies_compare_as_json_and_empty_means_none() {
        let p = json!({"a": ["x"], "b": [{"prefix": "y"}]});
        assert!(same_filter(Some(r#"{"b":[{"prefix":"y"}],"a":["x"]}"#), Some(&p)));
        assert!(!same_filter(Some(r#"{"a":["z"]}"#), Some(&p)));
        assert!(same_filter(Some("{}"), None));
        assert!(same_filter(Some(""), None));
        assert!(same_filter(None, None));
        assert!(!same_filter(None, Some(&p)));
    }

    #[test]
    fn subscription_attributes_set_the_scope_before_the_policy() {
        let mut spec = SubscriptionSpec {
            topic: "t".into(),
            queue: "q".into(),
            filter_policy: Some(json!({"a": ["x"]})),
            filter_policy_scope: FilterScope::MessageBody,
            raw_message_delivery: true,
        };
        let attrs = subscription_attributes(&spec);
        assert_eq!(attrs[0], ("FilterPolicyScope", "MessageBody".to_owned()));
        assert_eq!(attrs[1].0, "FilterPolicy");
        assert_eq!(attrs[2], ("RawMessageDelivery", "true".to_owned()));
        spec.filter_policy = Some(json!({}));
        spec.raw_message_delivery = false;
        assert!(subscription_attributes(&spec).is_empty());
    }
}
