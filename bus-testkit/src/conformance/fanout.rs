//! Fan-out: one topic, several queues; and isolation between topics.

use std::collections::BTreeMap;

use bus_core::backend::{QueueSpec, Topology};
use bus_core::Backend;

use super::error::{ensure, ensure_eq, ConformanceError, StepExt};
use super::names::Names;
use super::support::{apply, consumer, expect_exactly, label, labelled, raw_subscription};

/// A topic with three subscribed queues (two enveloped, one raw) delivers each of three messages to
/// every queue exactly once. The envelopes of one publish carry the same SNS `MessageId` (the
/// publish receipt's) in every queue, while each queue gives the message its own SQS message id.
pub async fn fanout_to_every_queue(backend: &dyn Backend, names: &Names) -> Result<(), ConformanceError> {
    let topic = names.topic("fanout");
    let queues = [names.queue("fanout-a"), names.queue("fanout-b"), names.queue("fanout-raw")];
    let topology = Topology::new()
        .topic(&topic)
        .queue(QueueSpec::new(&queues[0]))
        .queue(QueueSpec::new(&queues[1]))
        .queue(QueueSpec::new(&queues[2]))
        .subscribe(&topic, &queues[0])
        .subscribe(&topic, &queues[1])
        .subscription(raw_subscription(&topic, &queues[2]));
    apply(backend, &topology, "setup").await?;
    let publisher = backend.publisher();
    let mut receipts = BTreeMap::new();
    for l in ["m1", "m2", "m3"] {
        let r = publisher.publish(&topic, labelled(l)).await.step(format!("publish {l}"))?;
        receipts.insert(l.to_owned(), r.message_id);
    }
    let mut sqs_ids: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (i, q) in queues.iter().enumerate() {
        let sub = consumer(backend, q).await?;
        let got = expect_exactly(&*sub, &["m1", "m2", "m3"], &format!("queue {q}")).await?;
        for d in &got {
            let l = label(d);
            sqs_ids.entry(l.clone()).or_default().push(d.message_id.clone());
            if i < 2 {
                let n = d
                    .notification
                    .as_ref()
                    .ok_or_else(|| ConformanceError::mismatch(format!("queue {q}, {l}"), "an SNS envelope", "none"))?;
                ensure_eq(
                    format!("queue {q}, {l}: envelope MessageId = publish receipt id"),
                    &receipts[&l],
                    &n.message_id,
                )?;
            } else {
                ensure(d.notification.is_none(), format!("raw queue {q}, {l}"), "no envelope", "an envelope")?;
            }
        }
    }
    for (l, ids) in sqs_ids {
        let mut unique = ids.clone();
        unique.sort();
        unique.dedup();
        ensure(
            unique.len() == ids.len(),
            format!("SQS message ids of {l} across the queues"),
            "a different SQS message id in each queue",
            format!("{ids:?}"),
        )?;
    }
    Ok(())
}

/// Two topics, each with its own queue: a queue only receives what is published to its topic.
pub async fn fanout_topics_are_isolated(backend: &dyn Backend, names: &Names) -> Result<(), ConformanceError> {
    let (t1, t2) = (names.topic("iso-1"), names.topic("iso-2"));
    let (q1, q2) = (names.queue("iso-1"), names.queue("iso-2"));
    let topology = Topology::new()
        .topic(&t1)
        .topic(&t2)
        .queue(QueueSpec::new(&q1))
        .queue(QueueSpec::new(&q2))
        .subscribe(&t1, &q1)
        .subscribe(&t2, &q2);
    apply(backend, &topology, "setup").await?;
    let publisher = backend.publisher();
    publisher.publish(&t2, labelled("to-topic-2")).await.step("publish to topic 2")?;
    publisher.publish(&t1, labelled("to-topic-1")).await.step("publish to topic 1")?;
    publisher.publish(&t2, labelled("to-topic-2-again")).await.step("publish to topic 2 again")?;
    let s1 = consumer(backend, &q1).await?;
    let s2 = consumer(backend, &q2).await?;
    expect_exactly(&*s1, &["to-topic-1"], &format!("queue {q1} (topic 1 only)")).await?;
    expect_exactly(&*s2, &["to-topic-2", "to-topic-2-again"], &format!("queue {q2} (topic 2 only)")).await?;
    Ok(())
}
