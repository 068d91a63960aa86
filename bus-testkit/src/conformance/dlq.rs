//! Dead-letter redrive after `maxReceiveCount` receives.

use std::time::Duration;

use bus_core::backend::{QueueSpec, Topology};
use bus_core::{AttributeValue, Backend, Message, ReceiveOptions};

use super::error::{ensure, ensure_eq, ConformanceError, StepExt};
use super::names::Names;
use super::support::{apply, consumer, describe_deliveries, expect_none, expect_one, millis, receive_until, POLL};

/// A queue with a redrive policy (`maxReceiveCount` 2, visibility 1 s) subscribed to a topic: the
/// message is received exactly twice (counts 1 and 2); the next receive does not return it and it
/// appears in the dead-letter queue with the same message id, the same enqueue time (standard
/// queues keep it), and the published body and attributes (still in its envelope).
pub async fn dlq_redrive_after_max_receives(backend: &dyn Backend, names: &Names) -> Result<(), ConformanceError> {
    let topic = names.topic("dlq");
    let dlq = names.queue("dlq-dead");
    let queue = names.queue("dlq-main");
    let topology = Topology::new()
        .topic(&topic)
        .queue(QueueSpec::new(&dlq))
        .queue(QueueSpec::new(&queue).with_visibility_timeout(Duration::from_secs(1)).with_dead_letter_queue(&dlq, 2))
        .subscribe(&topic, &queue);
    apply(backend, &topology, "setup").await?;
    let message = Message::new("poison").with_attribute("kind", AttributeValue::String("poison".into()));
    backend.publisher().publish(&topic, message.clone()).await.step("publish")?;
    let sub = consumer(backend, &queue).await?;

    let first = expect_one(&*sub, "receive 1").await?;
    ensure_eq("receive 1: receive count", &1, &first.receive_count)?;
    let got = receive_until(&*sub, 1, Duration::from_secs(10), ReceiveOptions::new(10, POLL), "receive 2").await?;
    ensure_eq("receive 2: messages (after the 1 s visibility timeout)", &1, &got.len())?;
    let second = &got[0];
    ensure_eq("receive 2: message id", &first.message_id, &second.message_id)?;
    ensure_eq("receive 2: receive count", &2, &second.receive_count)?;

    // The third receive must not return it: maxReceiveCount was reached, so it moves instead.
    let third = receive_until(&*sub, 1, Duration::from_secs(3), ReceiveOptions::new(10, POLL), "receive 3").await?;
    ensure(
        third.is_empty(),
        "receive 3 (after maxReceiveCount = 2 receives)",
        "nothing: the message moves to the dead-letter queue",
        format!(
            "{} message(s) {} with receive counts {:?}",
            third.len(),
            describe_deliveries(&third),
            third.iter().map(|d| d.receive_count).collect::<Vec<_>>()
        ),
    )?;

    let dead_sub = consumer(backend, &dlq).await?;
    let dead = expect_one(&*dead_sub, "receive from the dead-letter queue").await?;
    ensure_eq("dead letter: message id", &first.message_id, &dead.message_id)?;
    ensure_eq("dead letter: SentTimestamp (ms)", &millis(first.sent_at), &millis(dead.sent_at))?;
    ensure_eq("dead letter: body", &message.body, &dead.message.body)?;
    ensure_eq("dead letter: attributes", &message.attributes, &dead.message.attributes)?;
    ensure(dead.notification.is_some(), "dead letter: envelope", "the SNS envelope, as queued", "none")?;
    dead_sub.ack(&dead.receipt_handle).await.step("ack the dead letter")?;
    expect_none(&*sub, Duration::from_secs(2), "the main queue afterwards").await
}
