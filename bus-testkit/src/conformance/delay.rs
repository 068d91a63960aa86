//! Delays: per queue, and per message (overriding the queue's).

use std::time::Duration;

use bus_core::backend::{QueueSpec, Topology};
use bus_core::{Backend, Message, ReceiveOptions};
use tokio::time::Instant;

use super::error::{ensure, ConformanceError, StepExt};
use super::names::Names;
use super::support::{apply, consumer, expect_none, label, labelled, receive_until, POLL};

/// Slack for a real server's clock and request latency.
const EARLY_SLACK: Duration = Duration::from_millis(300);

/// A queue with a 2 s delay, fed by a topic: the message is not visible at once, and is after
/// about 2 s.
pub async fn delay_queue(backend: &dyn Backend, names: &Names) -> Result<(), ConformanceError> {
    let topic = names.topic("delay");
    let queue = names.queue("delay");
    let topology = Topology::new()
        .topic(&topic)
        .queue(QueueSpec::new(&queue).with_delay(Duration::from_secs(2)))
        .subscribe(&topic, &queue);
    apply(backend, &topology, "setup").await?;
    let sub = consumer(backend, &queue).await?;
    let start = Instant::now();
    backend.publisher().publish(&topic, labelled("delayed")).await.step("publish")?;
    expect_none(&*sub, Duration::ZERO, "right after publishing to a queue with a 2 s delay").await?;
    let got =
        receive_until(&*sub, 1, Duration::from_secs(10), ReceiveOptions::new(10, POLL), "after the delay").await?;
    let elapsed = start.elapsed();
    let d = got.first().ok_or_else(|| ConformanceError::Timeout {
        step: "after the delay".into(),
        waited: Duration::from_secs(10),
        expected: "the delayed message".into(),
        actual: "nothing".into(),
    })?;
    ensure(
        elapsed + EARLY_SLACK >= Duration::from_secs(2),
        "queue delay 2 s",
        "visible after 2 s",
        format!("visible after {elapsed:?}"),
    )?;
    sub.ack(&d.receipt_handle).await.step("ack")
}

/// `send` with a 2 s delay hides that message while an undelayed one arrives first; on a queue
/// with a 3 s delay, a per-message delay of 0 makes the message visible at once.
pub async fn delay_per_message(backend: &dyn Backend, names: &Names) -> Result<(), ConformanceError> {
    let plain = names.queue("msg-delay");
    let slow = names.queue("msg-delay-queue-3s");
    let topology =
        Topology::new().queue(QueueSpec::new(&plain)).queue(QueueSpec::new(&slow).with_delay(Duration::from_secs(3)));
    apply(backend, &topology, "setup").await?;

    let sub = consumer(backend, &plain).await?;
    let start = Instant::now();
    backend.send(&plain, Message::new("delayed-2s"), Some(Duration::from_secs(2))).await.step("send with delay 2 s")?;
    backend.send(&plain, Message::new("undelayed"), None).await.step("send without delay")?;
    let got = receive_until(&*sub, 1, Duration::from_secs(5), ReceiveOptions::new(10, POLL), "first receive").await?;
    let labels: Vec<String> = got.iter().map(label).collect();
    ensure(
        labels == ["undelayed"],
        "first receive",
        "only the undelayed message",
        format!("{labels:?} after {:?}", start.elapsed()),
    )?;
    sub.ack(&got[0].receipt_handle).await.step("ack")?;
    let got = receive_until(&*sub, 1, Duration::from_secs(10), ReceiveOptions::new(10, POLL), "second receive").await?;
    let elapsed = start.elapsed();
    let labels: Vec<String> = got.iter().map(label).collect();
    ensure(labels == ["delayed-2s"], "second receive", "the delayed message", format!("{labels:?}"))?;
    ensure(
        elapsed + EARLY_SLACK >= Duration::from_secs(2),
        "delay 2 s",
        "visible after 2 s",
        format!("visible after {elapsed:?}"),
    )?;
    sub.ack(&got[0].receipt_handle).await.step("ack")?;

    let sub = consumer(backend, &slow).await?;
    backend.send(&slow, Message::new("queue-delay"), None).await.step("send with the queue's delay")?;
    backend.send(&slow, Message::new("override-0"), Some(Duration::ZERO)).await.step("send with delay 0")?;
    let got =
        receive_until(&*sub, 1, Duration::from_secs(2), ReceiveOptions::new(10, POLL), "receive on the 3 s queue")
            .await?;
    let labels: Vec<String> = got.iter().map(label).collect();
    ensure(
        labels == ["override-0"],
        "queue delay 3 s, per-message delay 0",
        "the delay-0 message at once, the other still delayed",
        format!("{labels:?}"),
    )?;
    for d in &got {
        sub.ack(&d.receipt_handle).await.step("ack")?;
    }
    Ok(())
}
