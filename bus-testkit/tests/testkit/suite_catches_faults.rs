//! The conformance suite is not vacuous: on a backend that drops acknowledgements (the memory backend
//! behind a wrapper whose `ack` deletes nothing) the scenarios that depend on deletion fail, with a
//! message saying what was expected and what came back, while the rest still pass.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use bus_core::backend::{BatchOutcome, QueueStats};
use bus_core::{
    Backend, BusError, Delivery, Message, Publisher, ReceiptHandle, ReceiveOptions, Subscription, Topology,
};
use bus_memory::MemoryBackend;
use bus_testkit::conformance::{run_all, Capabilities, Outcome};

/// The memory backend, except that acknowledging never deletes.
#[derive(Debug)]
struct LostAcks(MemoryBackend);

#[derive(Debug)]
struct LostAckSubscription(Arc<dyn Subscription>);

#[async_trait]
impl Subscription for LostAckSubscription {
    fn queue(&self) -> &str {
        self.0.queue()
    }
    async fn receive(&self, options: ReceiveOptions) -> Result<Vec<Delivery>, BusError> {
        self.0.receive(options).await
    }
    async fn ack(&self, _receipt: &ReceiptHandle) -> Result<(), BusError> {
        Ok(())
    }
    async fn ack_batch(&self, entries: Vec<(String, ReceiptHandle)>) -> Result<BatchOutcome, BusError> {
        Ok(BatchOutcome { successful: entries.into_iter().map(|(id, _)| id).collect(), failed: Vec::new() })
    }
    async fn change_visibility(&self, receipt: &ReceiptHandle, timeout: Duration) -> Result<(), BusError> {
        self.0.change_visibility(receipt, timeout).await
    }
    async fn change_visibility_batch(
        &self,
        entries: Vec<(String, ReceiptHandle, Duration)>,
    ) -> Result<BatchOutcome, BusError> {
        self.0.change_visibility_batch(entries).await
    }
}

#[async_trait]
impl Backend for LostAcks {
    fn name(&self) -> &'static str {
        "memory-with-lost-acks"
    }
    async fn apply_topology(&self, topology: &Topology) -> Result<(), BusError> {
        self.0.apply_topology(topology).await
    }
    fn publisher(&self) -> Arc<dyn Publisher> {
        self.0.publisher()
    }
    async fn subscription(&self, queue: &str) -> Result<Arc<dyn Subscription>, BusError> {
        Ok(Arc::new(LostAckSubscription(self.0.subscription(queue).await?)))
    }
    async fn send(&self, queue: &str, message: Message, delay: Option<Duration>) -> Result<String, BusError> {
        self.0.send(queue, message, delay).await
    }
    async fn queue_stats(&self, queue: &str) -> Result<QueueStats, BusError> {
        self.0.queue_stats(queue).await
    }
    async fn purge(&self, queue: &str) -> Result<(), BusError> {
        self.0.purge(queue).await
    }
}

#[tokio::test(start_paused = true)]
async fn lost_acknowledgements_fail_the_deletion_scenarios() {
    let backend = LostAcks(MemoryBackend::new());
    let report = run_all(&backend, &Capabilities::full()).await;
    let outcome = |name: &str| &report.results.iter().find(|r| r.name == name).expect("scenario in the report").outcome;

    let Outcome::Failed(e) = outcome("ack_deletes_for_good") else {
        panic!("ack_deletes_for_good must fail when acks are lost:\n{report}");
    };
    let text = e.to_string();
    assert!(text.contains("after ack, past the visibility timeout: expected no message"), "{text}");
    for name in ["batch_ack_partial_failure", "batch_ack_request_errors", "queue_stats_counts"] {
        assert!(outcome(name).is_failed(), "{name} must fail when acks are lost:\n{report}");
    }
    for name in ["filter_exact", "limit_attributes", "visibility_change_to_zero", "unknown_resources_fail"] {
        assert!(outcome(name).is_passed(), "{name} does not depend on deletion:\n{report}");
    }
    assert!(!report.is_success());
    let summary = report.failure_summary();
    assert!(summary.contains("FAILED visibility::ack_deletes_for_good"), "{summary}");
}

#[tokio::test(start_paused = true)]
async fn the_memory_backend_itself_passes() {
    let report = run_all(&MemoryBackend::new(), &Capabilities::full()).await;
    report.assert_all_passed();
    assert_eq!(report.not_applicable().count(), 0, "full capabilities rule nothing out");
}
