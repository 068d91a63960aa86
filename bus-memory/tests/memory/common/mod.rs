//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use bus_core::backend::{QueueSpec, Topology};
use bus_core::{Backend, BusError, Delivery, Event, Message, Subscription};
use bus_core::{PublisherExt, ReceiveOptions};
use bus_memory::MemoryBackend;

/// `n` seconds.
pub fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

/// A short poll for up to `n` messages.
pub fn now(n: usize) -> ReceiveOptions {
    ReceiveOptions::new(n, Duration::ZERO)
}

/// A backend with `topology` applied.
pub async fn backend(topology: Topology) -> MemoryBackend {
    let b = MemoryBackend::new();
    b.apply_topology(&topology).await.expect("valid topology");
    b
}

/// A backend with one queue, and its consumer.
pub async fn one_queue(spec: QueueSpec) -> (MemoryBackend, Arc<dyn Subscription>) {
    let name = spec.name.clone();
    let b = backend(Topology::new().queue(spec)).await;
    let s = b.subscription(&name).await.unwrap();
    (b, s)
}

/// Sends a plain message to a queue.
pub async fn send(b: &MemoryBackend, queue: &str, body: &str) -> String {
    b.send(queue, Message::new(body), None).await.unwrap()
}

/// Publishes an event.
pub async fn publish(b: &MemoryBackend, topic: &str, event_type: &str, data: serde_json::Value) -> String {
    b.publisher().publish_event(topic, &Event::new(event_type, data)).await.unwrap().message_id
}

/// Receives whatever is visible now.
pub async fn take(s: &Arc<dyn Subscription>, n: usize) -> Vec<Delivery> {
    s.receive(now(n)).await.unwrap()
}

/// The bodies of some deliveries.
pub fn bodies(d: &[Delivery]) -> Vec<String> {
    d.iter().map(|d| d.message.body.clone()).collect()
}

/// The name of an `InvalidParameter` error, or a panic.
pub fn param(e: BusError) -> String {
    match e {
        BusError::InvalidParameter { name, .. } => name,
        other => panic!("expected InvalidParameter, got {other:?}"),
    }
}
