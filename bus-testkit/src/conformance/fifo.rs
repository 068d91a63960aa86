//! FIFO topics and queues: order within a message group, group blocking, deduplication.

use std::time::Duration;

use bus_core::backend::{QueueSpec, TopicSpec, Topology};
use bus_core::{Backend, BusError, Delivery, Message, ReceiveOptions, Subscription};
use tokio::time::Instant;

use super::error::{ensure, ensure_eq, expect_err, ConformanceError, StepExt};
use super::names::Names;
use super::support::{
    ack_all, apply, consumer, expect_exactly, label, receive_once, receive_until, DELIVERY_TIMEOUT, POLL,
};

fn grouped(label: &str, group: &str) -> Message {
    Message::new(label).with_group_id(group).with_deduplication_id(label)
}

/// A FIFO topic and a FIFO queue subscribed to it.
async fn fifo_pair(
    backend: &dyn Backend,
    names: &Names,
    role: &str,
    topic_spec: impl FnOnce(String) -> TopicSpec,
    visibility: Duration,
) -> Result<(String, std::sync::Arc<dyn Subscription>), ConformanceError> {
    let topic = names.fifo_topic(role);
    let queue = names.fifo_queue(role);
    let topology = Topology::new()
        .with_topic(topic_spec(topic.clone()))
        .queue(QueueSpec::new(&queue).with_visibility_timeout(visibility))
        .subscribe(&topic, &queue);
    apply(backend, &topology, "setup").await?;
    Ok((topic, consumer(backend, &queue).await?))
}

/// Receives and acknowledges until `n` messages came (or the timeout); returns their labels in order.
async fn receive_in_order(sub: &dyn Subscription, n: usize, step: &str) -> Result<Vec<Delivery>, ConformanceError> {
    let deadline = Instant::now() + DELIVERY_TIMEOUT;
    let mut all = Vec::new();
    while all.len() < n && Instant::now() < deadline {
        let got = receive_once(sub, ReceiveOptions::new(10, POLL), step).await?;
        ack_all(sub, &got, step).await?;
        all.extend(got);
    }
    Ok(all)
}

/// Two groups published interleaved: each group's messages arrive in publish order.
pub async fn fifo_order_within_group(backend: &dyn Backend, names: &Names) -> Result<(), ConformanceError> {
    let (topic, sub) = fifo_pair(backend, names, "fifo-order", TopicSpec::new, Duration::from_secs(30)).await?;
    let order = [("a1", "A"), ("b1", "B"), ("a2", "A"), ("a3", "A"), ("b2", "B"), ("a4", "A"), ("b3", "B")];
    let publisher = backend.publisher();
    for (l, g) in order {
        publisher.publish(&topic, grouped(l, g)).await.step(format!("publish {l}"))?;
    }
    let got = receive_in_order(&*sub, order.len(), "receive").await?;
    let labels: Vec<String> = got.iter().map(label).collect();
    for group in ["a", "b"] {
        let expected: Vec<&str> = order.iter().map(|(l, _)| *l).filter(|l| l.starts_with(group)).collect();
        let actual: Vec<&str> = labels.iter().map(String::as_str).filter(|l| l.starts_with(group)).collect();
        ensure_eq(format!("order of group {}", group.to_uppercase()), &expected, &actual)?;
    }
    Ok(())
}

/// Group A (a1, a2) and group B (b1): while a1 is in flight, receives return b1 but never a2; when
/// a1's visibility (2 s) expires, a1 comes back (count 2) before a2; a2 follows once a1 is acknowledged.
pub async fn fifo_group_blocked_while_in_flight(backend: &dyn Backend, names: &Names) -> Result<(), ConformanceError> {
    let (topic, sub) = fifo_pair(backend, names, "fifo-block", TopicSpec::new, Duration::from_secs(2)).await?;
    let publisher = backend.publisher();
    for (l, g) in [("a1", "A"), ("a2", "A"), ("b1", "B")] {
        publisher.publish(&topic, grouped(l, g)).await.step(format!("publish {l}"))?;
    }
    let first = receive_until(&*sub, 1, DELIVERY_TIMEOUT, ReceiveOptions::new(1, POLL), "first receive").await?;
    let first_labels: Vec<String> = first.iter().map(label).collect();
    ensure_eq("first receive (max 1)", &vec!["a1".to_owned()], &first_labels)?;
    let a1 = &first[0];

    // a1 is in flight: group A is blocked, group B is not.
    let got =
        receive_until(&*sub, 1, Duration::from_secs(1), ReceiveOptions::new(10, POLL), "while a1 is in flight").await?;
    let labels: Vec<String> = got.iter().map(label).collect();
    ack_all(&*sub, &got, "while a1 is in flight").await?;
    ensure(labels == ["b1"], "receive while a1 is in flight", "b1 only (group A is blocked)", format!("{labels:?}"))?;

    // a1's visibility expires: it is redelivered before a2.
    let got = receive_until(&*sub, 1, Duration::from_secs(10), ReceiveOptions::new(10, POLL), "after a1's visibility")
        .await?;
    let labels: Vec<String> = got.iter().map(label).collect();
    ensure(
        labels.first().map(String::as_str) == Some("a1"),
        "receive after a1's visibility timeout",
        "a1 again, before a2",
        format!("{labels:?}"),
    )?;
    ensure_eq("a1 redelivered: receive count", &2, &got[0].receive_count)?;
    ensure_eq("a1 redelivered: message id", &a1.message_id, &got[0].message_id)?;
    ack_all(&*sub, &got, "ack").await?;
    if labels.iter().any(|l| l == "a2") {
        return Ok(());
    }
    let rest = receive_in_order(&*sub, 1, "after a1 is acknowledged").await?;
    let labels: Vec<String> = rest.iter().map(label).collect();
    ensure_eq("receive after a1 is acknowledged", &vec!["a2".to_owned()], &labels)
}

/// A second publish with the same deduplication id (different body) is accepted but dropped.
pub async fn fifo_dedup_explicit_id(backend: &dyn Backend, names: &Names) -> Result<(), ConformanceError> {
    let (topic, sub) = fifo_pair(backend, names, "fifo-dedup", TopicSpec::new, Duration::from_secs(30)).await?;
    let publisher = backend.publisher();
    let m = |body: &str, dedup: &str| Message::new(body).with_group_id("g").with_deduplication_id(dedup);
    publisher.publish(&topic, m("first", "d1")).await.step("publish first (d1)")?;
    publisher.publish(&topic, m("duplicate", "d1")).await.step("publish duplicate (d1 again): accepted")?;
    publisher.publish(&topic, m("second", "d2")).await.step("publish second (d2)")?;
    let got = expect_exactly(&*sub, &["first", "second"], "queue (duplicate dropped)").await?;
    let labels: Vec<String> = got.iter().map(label).collect();
    ensure_eq("order", &vec!["first".to_owned(), "second".to_owned()], &labels)
}

/// A FIFO topic with content-based deduplication: the same body twice (no deduplication id) arrives once.
pub async fn fifo_dedup_content_based_topic(backend: &dyn Backend, names: &Names) -> Result<(), ConformanceError> {
    let (topic, sub) = fifo_pair(
        backend,
        names,
        "fifo-cbd",
        |t| TopicSpec::new(t).with_content_based_deduplication(),
        Duration::from_secs(30),
    )
    .await?;
    let publisher = backend.publisher();
    for (i, body) in ["same", "same", "other"].into_iter().enumerate() {
        publisher
            .publish(&topic, Message::new(body).with_group_id("g"))
            .await
            .step(format!("publish #{i} {body:?}"))?;
    }
    expect_exactly(&*sub, &["same", "other"], "queue (repeated body dropped)").await?;
    Ok(())
}

/// A FIFO queue deduplicates direct sends: by content (queue with content-based deduplication) and
/// by explicit id (queue without).
pub async fn fifo_queue_dedup_direct(backend: &dyn Backend, names: &Names) -> Result<(), ConformanceError> {
    let by_content = names.fifo_queue("fifo-q-cbd");
    let by_id = names.fifo_queue("fifo-q-id");
    let topology = Topology::new()
        .queue(QueueSpec::new(&by_content).with_content_based_deduplication())
        .queue(QueueSpec::new(&by_id));
    apply(backend, &topology, "setup").await?;
    for body in ["same", "same", "other"] {
        backend.send(&by_content, Message::new(body).with_group_id("g"), None).await.step(format!("send {body:?}"))?;
    }
    for (body, dedup) in [("x1", "k"), ("x2", "k"), ("x3", "k2")] {
        let m = Message::new(body).with_group_id("g").with_deduplication_id(dedup);
        backend.send(&by_id, m, None).await.step(format!("send {body:?} (id {dedup})"))?;
    }
    let sub = consumer(backend, &by_content).await?;
    expect_exactly(&*sub, &["same", "other"], "content-deduplicated queue").await?;
    let sub = consumer(backend, &by_id).await?;
    expect_exactly(&*sub, &["x1", "x3"], "id-deduplicated queue").await?;
    Ok(())
}

/// A deduplication id repeated within 5 minutes is dropped; repeated after 5 minutes it is accepted.
pub async fn fifo_dedup_window_expires(backend: &dyn Backend, names: &Names) -> Result<(), ConformanceError> {
    let queue = names.fifo_queue("fifo-window");
    apply(backend, &Topology::new().queue(QueueSpec::new(&queue)), "setup").await?;
    let m = |body: &str| Message::new(body).with_group_id("g").with_deduplication_id("k");
    let start = Instant::now();
    backend.send(&queue, m("first"), None).await.step("send first")?;
    tokio::time::sleep(Duration::from_secs(60)).await;
    backend.send(&queue, m("within-window"), None).await.step("send after 1 min")?;
    tokio::time::sleep_until(start + bus_core::limits::FIFO_DEDUP_WINDOW + Duration::from_secs(5)).await;
    backend.send(&queue, m("after-window"), None).await.step("send after 5 min")?;
    let sub = consumer(backend, &queue).await?;
    expect_exactly(&*sub, &["first", "after-window"], "queue").await?;
    Ok(())
}

/// FIFO publishes and sends need a message group id; a FIFO topic without content-based
/// deduplication needs a deduplication id. Each is `InvalidParameter`, and nothing is delivered.
pub async fn fifo_requires_group_id(backend: &dyn Backend, names: &Names) -> Result<(), ConformanceError> {
    let (topic, sub) = fifo_pair(backend, names, "fifo-required", TopicSpec::new, Duration::from_secs(30)).await?;
    let publisher = backend.publisher();
    let invalid = |e: &BusError| matches!(e, BusError::InvalidParameter { .. });
    let mut errors = Vec::new();
    let r = publisher.publish(&topic, Message::new("no-group").with_deduplication_id("d1")).await;
    errors.extend(expect_err("publish to a FIFO topic without a group id", r, "InvalidParameter", invalid).err());
    let r = publisher.publish(&topic, Message::new("no-dedup").with_group_id("g")).await;
    errors.extend(
        expect_err(
            "publish to a FIFO topic without content-based deduplication and without a deduplication id",
            r,
            "InvalidParameter",
            invalid,
        )
        .err(),
    );
    let r = backend.send(sub.queue(), Message::new("send-no-group").with_deduplication_id("d2"), None).await;
    errors.extend(expect_err("send to a FIFO queue without a group id", r, "InvalidParameter", invalid).err());
    publisher.publish(&topic, grouped("sentinel", "g")).await.step("publish the sentinel")?;
    if let Err(e) = expect_exactly(&*sub, &["sentinel"], "queue (nothing of the rejected messages)").await {
        errors.push(e);
    }
    ConformanceError::from_all(errors)
}
