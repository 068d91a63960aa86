//! End to end on bus-memory: a worker pool archives the `archive` queue, and replay re-publishes to a topic.

use crate::common;

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use bus_archive::{Archive, ArchiveHandler, FeedQuery, ReplayOptions, ReplaySelection};
use bus_core::backend::{QueueSpec, Topology};
use bus_core::filter::FilterScope;
use bus_core::worker::{QueueConfig, WorkerPool};
use bus_core::{Backend, Event, PublisherExt, ReceiveOptions};
use bus_memory::MemoryBackend;
use serde_json::json;

#[tokio::test(start_paused = true)]
async fn a_worker_pool_archives_every_event_of_the_topic_once() {
    let dir = tempfile::tempdir().unwrap();
    let archive = Archive::open(dir.path().join("archive.db")).unwrap();
    let bus = Arc::new(MemoryBackend::new());
    bus.apply_topology(
        &Topology::new()
            .topic("events")
            .queue(QueueSpec::new("archive"))
            .queue(QueueSpec::new("email"))
            .subscribe("events", "archive")
            .subscribe_with_policy("events", "email", json!({"event-type": ["USER_CREATED"]})),
    )
    .await
    .unwrap();
    let pool = WorkerPool::builder()
        .backend(bus.clone())
        .queue(QueueConfig::new("archive").with_concurrency(4), ArchiveHandler::new(archive.clone()).router())
        .build()
        .await
        .unwrap();
    pool.start();

    let publisher = bus.publisher();
    let mut published = Vec::new();
    for i in 0..20 {
        let kind = if i % 3 == 0 { "USER_CREATED" } else { "USER_COMMENT" };
        let data = json!({"i": i, "correlation_id": format!("flow-{}", i % 4)});
        let receipt = publisher.publish_event("events", &Event::new(kind, data)).await.unwrap();
        published.push((receipt.message_id, kind));
    }
    for _ in 0..200 {
        if archive.len().await.unwrap() == 20 && bus.queue_stats("archive").await.unwrap().total() == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    pool.shutdown().await;

    assert_eq!(archive.len().await.unwrap(), 20, "every event archived once");
    assert_eq!(bus.queue_stats("archive").await.unwrap().total(), 0, "and acknowledged");
    for (id, kind) in &published {
        let stored = archive.get(id).await.unwrap().expect("archived under the SNS message id");
        assert_eq!(stored.event_type.as_deref(), Some(*kind));
    }
    let comments = archive.feed(&FeedQuery::new().event_type("USER_COMMENT").limit(100)).await.unwrap();
    assert_eq!(comments.events.len(), 13);
    assert!(comments.events.windows(2).all(|w| (w[0].time, w[0].seq) <= (w[1].time, w[1].seq)));
    let flow: BTreeSet<i64> = archive
        .by_correlation("flow-1")
        .await
        .unwrap()
        .iter()
        .map(|e| e.event().unwrap().data["i"].as_i64().unwrap())
        .collect();
    assert_eq!(flow, BTreeSet::from([1, 5, 9, 13, 17]));

    // A redelivery of an archived event (sent straight to the queue again) is stored once.
    let again = archive.get(&published[0].0).await.unwrap().unwrap();
    let delivery = common::enveloped("sqs-again", &again.id, again.time, &again.message);
    assert!(!archive.store(&delivery).await.unwrap());
}

#[tokio::test(start_paused = true)]
async fn replay_through_the_memory_backend_reaches_the_subscribed_queue() {
    let bus = MemoryBackend::new();
    bus.apply_topology(&Topology::new().topic("replay").queue(QueueSpec::new("sink")).subscribe("replay", "sink"))
        .await
        .unwrap();
    let archive = Archive::open_in_memory().unwrap();
    for i in 0..6u64 {
        let kind = if i % 2 == 0 { "ORDER_PLACED" } else { "ORDER_SHIPPED" };
        let m = common::event(kind, json!({"i": i, "amount": i * 100})).with_attribute("tenant", "acme");
        archive.store_message(&format!("e{i}"), common::at(i), &m).await.unwrap();
    }
    let selection = ReplaySelection::all()
        .event_type("ORDER_PLACED")
        .sns_policy(r#"{"data": {"amount": [{"numeric": [">=", 200]}]}}"#, FilterScope::MessageBody)
        .unwrap();
    let options = ReplayOptions::to_topic("replay").rate_limit(100.0);
    let report = archive.replay(&selection, &options, bus.publisher().as_ref(), |_| {}).await.unwrap();
    assert_eq!((report.candidates, report.matched, report.published), (3, 2, 2));

    let sink = bus.subscription("sink").await.unwrap();
    let got = sink.receive(ReceiveOptions::new(10, Duration::ZERO)).await.unwrap();
    let mut got: Vec<_> =
        got.iter().map(|d| (d.event.as_ref().unwrap().data["i"].clone(), d.message.clone())).collect();
    got.sort_by_key(|(i, _)| i.as_u64());
    assert_eq!(got.len(), 2);
    for (i, message) in got {
        let id = format!("e{}", i.as_u64().unwrap());
        assert_eq!(message, archive.get(&id).await.unwrap().unwrap().message, "{id} arrives as it was stored");
    }
}
