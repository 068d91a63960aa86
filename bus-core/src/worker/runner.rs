//! The queue runner: what a queue's runner loop and its tasks share (see [`Drive`] for the loop).

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{watch, Semaphore};
use tokio::time::Instant;

use super::config::QueueConfig;
use super::drive::Drive;
use super::metrics::{inc, Gauge, QueueMetrics};
use super::observer::{TaskEvent, TaskObserver};
use super::router::Router;
use super::shutdown::RunnerReport;
use super::task::TaskInfo;
use crate::backend::{Publisher, ReceiptHandle, Subscription};

/// Everything a queue's runner and its tasks share.
pub(crate) struct Runner {
    pub(crate) queue: Arc<str>,
    pub(crate) config: QueueConfig,
    pub(crate) router: Router,
    pub(crate) subscription: Arc<dyn Subscription>,
    pub(crate) publisher: Option<Arc<dyn Publisher>>,
    pub(crate) failure_topic: Option<String>,
    pub(crate) observer: Option<Arc<dyn TaskObserver>>,
    pub(crate) metrics: Arc<QueueMetrics>,
    pub(crate) global_in_flight: Arc<Gauge>,
    pub(crate) queue_permits: Arc<Semaphore>,
    pub(crate) global_permits: Arc<Semaphore>,
}

/// The stop signal of a runner: `None` while it runs, then the deadline of in-flight handlers.
pub(crate) type StopSignal = watch::Receiver<Option<Instant>>;

impl Runner {
    /// Tells the observer, if there is one.
    pub(crate) fn emit(&self, event: impl FnOnce() -> TaskEvent) {
        if let Some(observer) = &self.observer {
            observer.on_event(&event());
        }
    }

    /// Tells the observer, if there is one, about a task (`info` is `Some` exactly when there is one).
    pub(crate) fn emit_task(&self, info: &Option<Arc<TaskInfo>>, event: impl FnOnce(Arc<TaskInfo>) -> TaskEvent) {
        if let (Some(observer), Some(info)) = (&self.observer, info) {
            observer.on_event(&event(info.clone()));
        }
    }

    /// Whether a failure on this receive is the message's last before the redrive.
    pub(crate) fn is_last_receive(&self, receive_count: u32) -> bool {
        self.config.max_receive_count.is_some_and(|max| receive_count >= max)
    }

    /// Changes a message's visibility; a failure is logged and counted (the message then returns when
    /// its current visibility timeout runs out, so nothing is lost).
    pub(crate) async fn change_visibility(&self, receipt: &ReceiptHandle, delay: Duration) {
        if let Err(e) = self.subscription.change_visibility(receipt, delay).await {
            inc(&self.metrics.counters.visibility_errors);
            tracing::warn!(
                delay_s = delay.as_secs_f64(),
                "cannot change the visibility: {e}; the message returns when its visibility timeout runs out"
            );
        }
    }

    /// The observer's summary of a task (`Some` exactly when there is an observer).
    pub(crate) fn info(&self, delivery: &crate::backend::Delivery) -> Option<Arc<TaskInfo>> {
        self.observer.is_some().then(|| Arc::new(TaskInfo::of(&self.queue, delivery)))
    }

    /// The receive loop, then the drain. Returns when stopped.
    pub(crate) async fn run(self: Arc<Self>, stop: StopSignal) -> RunnerReport {
        tracing::debug!(queue = %self.queue, execution = ?self.config.execution, "runner started");
        let mut drive = Drive::new(&self, stop);
        let report = std::future::poll_fn(|cx| drive.poll(cx)).await;
        drop(drive);
        tracing::debug!(queue = %self.queue, ?report, "runner stopped");
        report
    }
}
