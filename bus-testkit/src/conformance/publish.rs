//! Publish and receive: round-trips, ids, receipt handles, timestamps, receive counts, long polling.

use std::collections::BTreeSet;
use std::time::Duration;

use bus_core::backend::{QueueSpec, Topology};
use bus_core::{AttributeValue, Backend, BusError, Message, PublisherExt, ReceiveOptions};
use tokio::time::Instant;

use super::error::{ensure, ensure_eq, expect_err, ConformanceError, StepExt};
use super::names::Names;
use super::support::{
    apply, consumer, expect_none, expect_one, millis, receive_once, receive_until, sane_time, POLL, QUIET,
};

/// A message with a tricky body and one attribute of every type.
pub(crate) fn every_type_message() -> Message {
    Message::new("line 1\nline 2 \"quoted\" \\ backslash, ünïcödé ✓ {\"json\": [1, 2]}")
        .with_attribute("s", AttributeValue::String("héllo wörld ✓".into()))
        .with_attribute("n", AttributeValue::Number("42.5".into()))
        .with_attribute("arr", AttributeValue::StringArray(r#"["a",1,true,null]"#.into()))
        .with_attribute("bin", AttributeValue::Binary(vec![0, 1, 2, 254, 255]))
}

/// Publishes a message with a body and one attribute of every type (String, Number, String.Array,
/// Binary) to an enveloped subscription, and checks: body and attributes round-trip exactly; the
/// publish receipt's id is the envelope's `MessageId`; SQS message id and receipt handle are set;
/// `SentTimestamp` and `ApproximateFirstReceiveTimestamp` are plausible and ordered; the first
/// receive counts 1; after `change_visibility(0)` the second receive counts 2 with a new receipt
/// handle, the same message id and the same first-receive time; after `ack` nothing is left.
pub async fn publish_receive_roundtrip(backend: &dyn Backend, names: &Names) -> Result<(), ConformanceError> {
    let topic = names.topic("roundtrip");
    let queue = names.queue("roundtrip");
    apply(backend, &Topology::new().topic(&topic).queue(QueueSpec::new(&queue)).subscribe(&topic, &queue), "setup")
        .await?;
    let sub = consumer(backend, &queue).await?;
    let message = every_type_message();
    let receipt = backend.publisher().publish(&topic, message.clone()).await.step("publish")?;
    ensure(!receipt.message_id.is_empty(), "publish receipt", "a message id", "an empty id")?;

    let d = expect_one(&*sub, "first receive").await?;
    ensure_eq("first receive: body", &message.body, &d.message.body)?;
    ensure_eq("first receive: attributes", &message.attributes, &d.message.attributes)?;
    ensure_eq("first receive: receive count", &1, &d.receive_count)?;
    ensure(!d.message_id.is_empty(), "first receive: SQS message id", "non-empty", "empty")?;
    ensure(!d.receipt_handle.as_str().is_empty(), "first receive: receipt handle", "non-empty", "empty")?;
    let n = d.notification.as_ref().ok_or_else(|| {
        ConformanceError::mismatch("first receive: envelope", "an SNS envelope (raw delivery is off)", "none")
    })?;
    ensure_eq("first receive: envelope MessageId = publish receipt id", &receipt.message_id, &n.message_id)?;
    sane_time("first receive", "SentTimestamp", d.sent_at)?;
    sane_time("first receive", "ApproximateFirstReceiveTimestamp", d.first_received_at)?;
    ensure(
        millis(d.first_received_at) + 1_000 >= millis(d.sent_at),
        "first receive: timestamps",
        "first receive at or after the send",
        format!("sent {} ms, first received {} ms", millis(d.sent_at), millis(d.first_received_at)),
    )?;

    sub.change_visibility(&d.receipt_handle, Duration::ZERO).await.step("change_visibility(0)")?;
    let d2 = expect_one(&*sub, "second receive").await?;
    ensure_eq("second receive: receive count", &2, &d2.receive_count)?;
    ensure_eq("second receive: message id", &d.message_id, &d2.message_id)?;
    ensure(
        d2.receipt_handle != d.receipt_handle,
        "second receive: receipt handle",
        "a new receipt handle on every receive",
        format!("the same handle {:?}", d2.receipt_handle.as_str()),
    )?;
    ensure_eq(
        "second receive: ApproximateFirstReceiveTimestamp (ms)",
        &millis(d.first_received_at),
        &millis(d2.first_received_at),
    )?;
    ensure_eq("second receive: SentTimestamp (ms)", &millis(d.sent_at), &millis(d2.sent_at))?;
    ensure_eq("second receive: body", &message.body, &d2.message.body)?;

    sub.ack(&d2.receipt_handle).await.step("ack")?;
    expect_none(&*sub, QUIET, "after ack").await
}

/// `publish_data` publishes `{"type": ..., "data": ...}` with the `event-type` attribute; the
/// delivery decodes the event.
pub async fn publish_event_roundtrip(backend: &dyn Backend, names: &Names) -> Result<(), ConformanceError> {
    let topic = names.topic("event");
    let queue = names.queue("event");
    apply(backend, &Topology::new().topic(&topic).queue(QueueSpec::new(&queue)).subscribe(&topic, &queue), "setup")
        .await?;
    let sub = consumer(backend, &queue).await?;
    let data = serde_json::json!({"id": 7, "name": "Ada", "tags": ["a", "b"]});
    backend.publisher().publish_data(&topic, "USER_CREATED", data.clone()).await.step("publish_data")?;
    let d = expect_one(&*sub, "receive").await?;
    ensure_eq("event type", &Some("USER_CREATED"), &d.event_type())?;
    ensure_eq("event data", &Some(&data), &d.event.as_ref().map(|e| &e.data))?;
    ensure_eq(
        "event-type attribute",
        &Some(&AttributeValue::String("USER_CREATED".into())),
        &d.message.attributes.get(bus_core::EVENT_TYPE_ATTRIBUTE),
    )?;
    sub.ack(&d.receipt_handle).await.step("ack")
}

/// `Backend::send` puts a message straight on a queue: no envelope, body and attributes as sent,
/// and the returned id is the delivery's message id.
pub async fn send_receive_direct(backend: &dyn Backend, names: &Names) -> Result<(), ConformanceError> {
    let queue = names.queue("direct");
    apply(backend, &Topology::new().queue(QueueSpec::new(&queue)), "setup").await?;
    let sub = consumer(backend, &queue).await?;
    let message = every_type_message();
    let id = backend.send(&queue, message.clone(), None).await.step("send")?;
    let d = expect_one(&*sub, "receive").await?;
    ensure_eq("message id = id returned by send", &id, &d.message_id)?;
    ensure_eq("body", &message.body, &d.message.body)?;
    ensure_eq("raw body", &message.body, &d.raw_body)?;
    ensure_eq("attributes", &message.attributes, &d.message.attributes)?;
    ensure(d.notification.is_none(), "envelope", "none for a direct send", format!("{:?}", d.notification))?;
    ensure_eq("receive count", &1, &d.receive_count)?;
    sub.ack(&d.receipt_handle).await.step("ack")
}

/// Twelve messages: a receive never returns more than `max_messages`, and every message arrives
/// exactly once when each is acknowledged.
pub async fn receive_respects_max_messages(backend: &dyn Backend, names: &Names) -> Result<(), ConformanceError> {
    let queue = names.queue("max-messages");
    apply(backend, &Topology::new().queue(QueueSpec::new(&queue)), "setup").await?;
    let sub = consumer(backend, &queue).await?;
    let mut sent = BTreeSet::new();
    for i in 0..12 {
        sent.insert(backend.send(&queue, Message::new(format!("m{i}")), None).await.step(format!("send m{i}"))?);
    }
    let deadline = Instant::now() + super::support::DELIVERY_TIMEOUT;
    let mut seen = Vec::new();
    let mut first = true;
    while seen.len() < sent.len() && Instant::now() < deadline {
        let max = if first { 10 } else { 3 };
        first = false;
        let got = receive_once(&*sub, ReceiveOptions::new(max, POLL), "receive").await?;
        ensure(
            got.len() <= max,
            format!("receive with max_messages = {max}"),
            format!("at most {max} messages"),
            got.len(),
        )?;
        for d in got {
            sub.ack(&d.receipt_handle).await.step("ack")?;
            seen.push(d.message_id);
        }
    }
    let unique: BTreeSet<String> = seen.iter().cloned().collect();
    ensure(unique.len() == seen.len(), "receives", "no message twice", format!("{seen:?}"))?;
    ensure_eq("message ids received", &sent, &unique)?;
    expect_none(&*sub, QUIET, "after all were acknowledged").await
}

/// A receive waiting 10 s returns as soon as a message is sent 1 s into its wait.
pub async fn long_poll_wakes_on_arrival(backend: &dyn Backend, names: &Names) -> Result<(), ConformanceError> {
    let queue = names.queue("long-poll");
    apply(backend, &Topology::new().queue(QueueSpec::new(&queue)), "setup").await?;
    let sub = consumer(backend, &queue).await?;
    let wait = Duration::from_secs(10);
    let start = Instant::now();
    let (got, sent) = tokio::join!(sub.receive(ReceiveOptions::new(10, wait)), async {
        tokio::time::sleep(Duration::from_secs(1)).await;
        backend.send(&queue, Message::new("wake up"), None).await
    });
    let elapsed = start.elapsed();
    sent.step("send during the long poll")?;
    let got = got.step("long-poll receive")?;
    let got = if got.is_empty() {
        // The message may land just after the poll ended on a slow server; the timing check below
        // still fails, but with the right message.
        receive_until(&*sub, 1, Duration::from_secs(5), ReceiveOptions::new(10, POLL), "receive").await?
    } else {
        got
    };
    ensure_eq("messages returned by the long poll", &1, &got.len())?;
    ensure(
        elapsed < Duration::from_secs(6),
        "long poll of 10 s, message sent after 1 s",
        "the receive returns soon after the send (under 6 s)",
        format!("it returned after {elapsed:?}"),
    )?;
    sub.ack(&got[0].receipt_handle).await.step("ack")
}

/// An unknown topic is `TopicNotFound`; an unknown queue is `QueueNotFound` for send, stats and
/// consuming.
pub async fn unknown_resources_fail(backend: &dyn Backend, names: &Names) -> Result<(), ConformanceError> {
    let topic = names.topic("never-created");
    let queue = names.queue("never-created");
    let mut errors = Vec::new();
    let r = backend.publisher().publish(&topic, Message::new("x")).await;
    errors.extend(
        expect_err("publish to an unknown topic", r, "TopicNotFound", |e| matches!(e, BusError::TopicNotFound(_)))
            .err(),
    );
    let r = backend.send(&queue, Message::new("x"), None).await;
    errors.extend(
        expect_err("send to an unknown queue", r, "QueueNotFound", |e| matches!(e, BusError::QueueNotFound(_))).err(),
    );
    let r = backend.queue_stats(&queue).await;
    errors.extend(
        expect_err("queue_stats of an unknown queue", r, "QueueNotFound", |e| matches!(e, BusError::QueueNotFound(_)))
            .err(),
    );
    match backend.subscription(&queue).await {
        Err(BusError::QueueNotFound(_)) => {}
        Err(e) => errors.push(ConformanceError::mismatch(
            "subscription to an unknown queue",
            "QueueNotFound",
            format!("{e:?} ({e})"),
        )),
        Ok(sub) => {
            let r = sub.receive(ReceiveOptions::new(1, Duration::ZERO)).await;
            errors.extend(
                expect_err(
                    "receive from an unknown queue",
                    r,
                    "QueueNotFound (from subscription() or its first receive)",
                    |e| matches!(e, BusError::QueueNotFound(_)),
                )
                .err(),
            );
        }
    }
    ConformanceError::from_all(errors)
}
