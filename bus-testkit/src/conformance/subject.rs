//! The SNS `Subject` of a publish: written into the envelope (and the [`Delivery`]) only when one was
//! published, never with raw delivery; refused with AWS's error when it breaks AWS's rules.
//!
//! AWS: the SNS API reference (`Publish`, `PublishBatchRequestEntry`) limits a subject to UTF-8 text
//! "with no line breaks or control characters, and less than 100 characters long" (100 is accepted, 101
//! is not); SNS refuses anything else, the empty string included, with `InvalidParameter` and the text
//! `Invalid parameter: Subject`, per entry in a `PublishBatch`. The notification JSON carries
//! `"Subject"` only "if present". SQS has no subject, so a message sent straight to a queue must not
//! have one.

use bus_core::backend::{BatchEntry, QueueSpec, TopicSpec, Topology};
use bus_core::{Backend, BusError, Delivery};
use serde_json::Value;

use super::error::{ensure, ensure_eq, expect_err, ConformanceError, StepExt};
use super::names::Names;
use super::support::{apply, consumer, expect_exactly, label, labelled, raw_subscription};

/// AWS's text for every refused subject.
const AWS_TEXT: &str = "Invalid parameter: Subject";

fn delivery<'a>(got: &'a [Delivery], l: &str, step: &str) -> Result<&'a Delivery, ConformanceError> {
    got.iter().find(|d| label(d) == l).ok_or_else(|| ConformanceError::mismatch(step, format!("message {l:?}"), "none"))
}

/// Checks one enveloped delivery: `"Subject"` in the queue body, the parsed envelope and the unwrapped
/// message exactly when `expected` is `Some`.
fn check_enveloped(d: &Delivery, expected: Option<&str>, step: &str) -> Result<(), ConformanceError> {
    let envelope: Value = serde_json::from_str(&d.raw_body).map_err(|e| {
        ConformanceError::mismatch(format!("{step}: queue body"), "the SNS notification JSON", format!("{e}"))
    })?;
    let in_body = envelope.get("Subject").map(|s| s.as_str().map(str::to_owned));
    ensure_eq(format!("{step}: envelope \"Subject\""), &expected.map(|s| Some(s.to_owned())), &in_body)?;
    let parsed = d.notification.as_ref().map(|n| n.subject.as_deref());
    ensure_eq(format!("{step}: Delivery::notification subject"), &Some(expected), &parsed)?;
    ensure_eq(format!("{step}: Delivery::message.subject"), &expected, &d.message.subject.as_deref())
}

/// Checks one raw delivery: the body as published, no envelope, no subject anywhere.
fn check_raw(d: &Delivery, step: &str) -> Result<(), ConformanceError> {
    ensure(d.notification.is_none(), format!("{step}: envelope"), "none with raw delivery", "an envelope")?;
    ensure(!d.raw_body.contains("\"Subject\""), format!("{step}: queue body"), "the body as published", &d.raw_body)?;
    ensure_eq(format!("{step}: Delivery::message.subject"), &None, &d.message.subject.as_deref())
}

/// A topic fanning out to an enveloped queue and a raw one. `publish` (with a subject, without one)
/// and `publish_batch` (an entry with a subject, one without): the enveloped queue gets `"Subject"` in
/// the envelope and in the delivery's message exactly for the messages published with one (non-ASCII
/// text and exactly 100 characters included); the raw queue gets the bodies and no subject at all.
pub async fn subject_in_envelope(backend: &dyn Backend, names: &Names) -> Result<(), ConformanceError> {
    let topic = names.topic("subject");
    let enveloped = names.queue("subject-env");
    let raw = names.queue("subject-raw");
    let topology = Topology::new()
        .topic(&topic)
        .queue(QueueSpec::new(&enveloped))
        .queue(QueueSpec::new(&raw))
        .subscribe(&topic, &enveloped)
        .subscription(raw_subscription(&topic, &raw));
    apply(backend, &topology, "setup").await?;
    let hundred = format!("{}!", "s".repeat(99));
    let cases: [(&str, Option<&str>); 5] = [
        ("single-with", Some("Order 42 shipped: \"fragile\" ✓ ünïcödé")),
        ("single-without", None),
        ("single-100", Some(hundred.as_str())),
        ("batch-with", Some("From a batch")),
        ("batch-without", None),
    ];
    let message = |(l, subject): (&str, Option<&str>)| match subject {
        Some(s) => labelled(l).with_subject(s),
        None => labelled(l),
    };
    let publisher = backend.publisher();
    for case in &cases[..3] {
        publisher.publish(&topic, message(*case)).await.step(format!("publish {}", case.0))?;
    }
    let entries: Vec<BatchEntry> = cases[3..].iter().map(|c| BatchEntry::new(c.0, message(*c))).collect();
    let out = publisher.publish_batch(&topic, entries).await.step("publish_batch")?;
    ensure(out.failed.is_empty(), "publish_batch: failed entries", "none", format!("{:?}", out.failed))?;
    let labels: Vec<&str> = cases.iter().map(|c| c.0).collect();
    let env_sub = consumer(backend, &enveloped).await?;
    let got = expect_exactly(&*env_sub, &labels, "enveloped queue").await?;
    for (l, subject) in cases {
        check_enveloped(delivery(&got, l, "enveloped queue")?, subject, &format!("enveloped {l}"))?;
    }
    let raw_sub = consumer(backend, &raw).await?;
    let got = expect_exactly(&*raw_sub, &labels, "raw queue").await?;
    for (l, _) in cases {
        let d = delivery(&got, l, "raw queue")?;
        ensure_eq(format!("raw {l}: queue body"), l, d.raw_body.as_str())?;
        check_raw(d, &format!("raw {l}"))?;
    }
    Ok(())
}

/// A FIFO topic carries the subject into its FIFO queue's envelope too.
pub async fn subject_fifo(backend: &dyn Backend, names: &Names) -> Result<(), ConformanceError> {
    let topic = names.fifo_topic("subject");
    let queue = names.fifo_queue("subject");
    let topology =
        Topology::new().with_topic(TopicSpec::new(&topic)).queue(QueueSpec::new(&queue)).subscribe(&topic, &queue);
    apply(backend, &topology, "setup").await?;
    let publisher = backend.publisher();
    let fifo = |l: &str| labelled(l).with_group_id("g").with_deduplication_id(l);
    publisher.publish(&topic, fifo("fifo-with").with_subject("FIFO subject")).await.step("publish fifo-with")?;
    let entries = vec![
        BatchEntry::new("b1", fifo("fifo-batch-with").with_subject("FIFO batch subject")),
        BatchEntry::new("b2", fifo("fifo-batch-without")),
    ];
    let out = publisher.publish_batch(&topic, entries).await.step("publish_batch")?;
    ensure(out.failed.is_empty(), "publish_batch: failed entries", "none", format!("{:?}", out.failed))?;
    let sub = consumer(backend, &queue).await?;
    let got = expect_exactly(&*sub, &["fifo-with", "fifo-batch-with", "fifo-batch-without"], "FIFO queue").await?;
    check_enveloped(delivery(&got, "fifo-with", "FIFO queue")?, Some("FIFO subject"), "fifo-with")?;
    check_enveloped(delivery(&got, "fifo-batch-with", "FIFO queue")?, Some("FIFO batch subject"), "fifo-batch-with")?;
    check_enveloped(delivery(&got, "fifo-batch-without", "FIFO queue")?, None, "fifo-batch-without")
}

fn is_aws_subject_error(e: &BusError) -> bool {
    matches!(e, BusError::InvalidSubject { .. })
        && e.aws_code() == "InvalidParameter"
        && e.to_string().starts_with(AWS_TEXT)
}

/// Subjects AWS refuses (empty, 101 characters, a line break, a tab, another control character) fail
/// `publish` with `InvalidParameter` (`Invalid parameter: Subject`), and fail only their own entry of a
/// `publish_batch` (code `InvalidParameter`, sender fault) while the others are published; a message
/// with a subject sent straight to a queue is refused too (SQS has no subject). Only the accepted
/// messages arrive.
pub async fn subject_invalid_refused(backend: &dyn Backend, names: &Names) -> Result<(), ConformanceError> {
    let topic = names.topic("subject-bad");
    let queue = names.queue("subject-bad");
    let topology = Topology::new().topic(&topic).queue(QueueSpec::new(&queue)).subscribe(&topic, &queue);
    apply(backend, &topology, "setup").await?;
    let expected = format!("BusError::InvalidSubject, AWS code InvalidParameter, text starting {AWS_TEXT:?}");
    let bad = [String::new(), "x".repeat(101), "two\nlines".to_owned(), "tab\there".to_owned(), "bell\u{7}".to_owned()];
    let publisher = backend.publisher();
    for (i, subject) in bad.iter().enumerate() {
        let r = publisher.publish(&topic, labelled(&format!("refused-{i}")).with_subject(subject.clone())).await;
        expect_err(format!("publish with subject {subject:?}"), r, &expected, is_aws_subject_error)?;
    }
    let entries = vec![
        BatchEntry::new("ok", labelled("batch-ok").with_subject("Fine")),
        BatchEntry::new("empty", labelled("batch-empty").with_subject("")),
        BatchEntry::new("long", labelled("batch-long").with_subject("y".repeat(101))),
        BatchEntry::new("plain", labelled("batch-plain")),
    ];
    let out = publisher.publish_batch(&topic, entries).await.step("publish_batch")?;
    let mut ok: Vec<&str> = out.successful.iter().map(|(id, _)| id.as_str()).collect();
    ok.sort_unstable();
    ensure_eq("publish_batch: successful ids", &["ok", "plain"][..], &ok[..])?;
    let mut failed: Vec<&str> = out.failed.iter().map(|f| f.id.as_str()).collect();
    failed.sort_unstable();
    ensure_eq("publish_batch: failed ids", &["empty", "long"][..], &failed[..])?;
    for f in &out.failed {
        let step = format!("publish_batch: failed entry {}", f.id);
        ensure_eq(format!("{step}: code"), "InvalidParameter", f.code.as_str())?;
        ensure(f.message.starts_with(AWS_TEXT), format!("{step}: message"), format!("{AWS_TEXT}..."), &f.message)?;
        ensure(f.sender_fault, format!("{step}: SenderFault"), "true", "false")?;
    }
    let sent = backend.send(&queue, labelled("sent-with-subject").with_subject("SQS has none"), None).await;
    expect_err("send with a subject", sent, &expected, is_aws_subject_error)?;
    let sub = consumer(backend, &queue).await?;
    let got = expect_exactly(&*sub, &["batch-ok", "batch-plain"], "queue").await?;
    check_enveloped(delivery(&got, "batch-ok", "queue")?, Some("Fine"), "batch-ok")?;
    check_enveloped(delivery(&got, "batch-plain", "queue")?, None, "batch-plain")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_error_check_accepts_only_the_subject_error() {
        assert!(is_aws_subject_error(&bus_core::message::validate_subject("").unwrap_err()));
        assert!(!is_aws_subject_error(&BusError::invalid_parameter("Subject", "x")));
        assert!(!is_aws_subject_error(&BusError::EmptyBatch));
    }
}
