//! The auto-batching publisher against the local server: fewer requests, every message delivered, and
//! each caller gets its own result.

use crate::common;

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use bus_aws::BatchingConfig;
use bus_core::backend::{QueueSpec, TopicSpec};
use bus_core::{Backend, BusError, Message, Publisher, Topology};
use common::{counted_backend, receive_n, unique};

#[tokio::test]
async fn twenty_five_publishes_cost_three_requests_and_all_arrive() {
    let (b, counter) = counted_backend().await;
    let (topic, q) = (unique("ab-t"), unique("ab-q"));
    b.apply_topology(&Topology::new().topic(&topic).queue(QueueSpec::new(&q)).subscribe(&topic, &q)).await.unwrap();
    let before = counter.snapshot();

    let p = Arc::new(b.batching_publisher(BatchingConfig::default().with_linger(Duration::from_millis(200))));
    let handles: Vec<_> = (0..25)
        .map(|i| {
            let p = p.clone();
            let topic = topic.clone();
            tokio::spawn(async move { p.publish(&topic, Message::new(format!("m{i}"))).await })
        })
        .collect();
    let mut ids = HashSet::new();
    for h in handles {
        ids.insert(h.await.unwrap().unwrap().message_id);
    }
    assert_eq!(ids.len(), 25, "every caller gets its own message id");
    p.close().await;

    let used = counter.snapshot().since(&before);
    assert_eq!(used.operation("Publish"), 0, "{used}");
    assert_eq!(used.operation("PublishBatch"), 3, "10 + 10 + 5: {used}");

    let s = b.subscription(&q).await.unwrap();
    let mut bodies: Vec<String> =
        receive_n(&*s, 25, Duration::from_secs(20)).await.into_iter().map(|d| d.message.body).collect();
    bodies.sort();
    bodies.dedup();
    assert_eq!(bodies.len(), 25);
}

#[tokio::test]
async fn a_failing_entry_fails_only_its_caller() {
    let (b, _counter) = counted_backend().await;
    let topic = format!("{}.fifo", unique("abf-t"));
    b.apply_topology(&Topology::new().with_topic(TopicSpec::new(&topic))).await.unwrap();
    let p = Arc::new(b.batching_publisher(BatchingConfig::default().with_linger(Duration::from_millis(100))));
    let good = {
        let (p, topic) = (p.clone(), topic.clone());
        tokio::spawn(async move {
            p.publish(&topic, Message::new("good").with_group_id("g").with_deduplication_id("d-good")).await
        })
    };
    let bad = {
        let (p, topic) = (p.clone(), topic.clone());
        // No deduplication id and no content-based deduplication on the topic: SNS rejects this entry.
        tokio::spawn(async move { p.publish(&topic, Message::new("bad").with_group_id("g")).await })
    };
    assert!(good.await.unwrap().is_ok());
    let e = bad.await.unwrap().unwrap_err();
    assert!(matches!(e, BusError::InvalidParameter { .. }), "{e:?}");

    // A topic that does not exist fails every caller of the batch with a typed error.
    let missing = unique("abm-t");
    let e = p.publish(&missing, Message::new("x")).await.unwrap_err();
    assert!(matches!(e, BusError::TopicNotFound(ref t) if *t == missing), "{e:?}");
    p.close().await;
    assert!(matches!(p.publish(&topic, Message::new("late").with_group_id("g")).await, Err(BusError::Closed)));
}
