//! The queue runner: acquires permits, long-polls for as many messages as it holds permits, and
//! spawns a task per message.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{watch, Semaphore};
use tokio::time::Instant;
use tracing::Instrument as _;

use super::ack;
use super::cancel::CancellationToken;
use super::config::QueueConfig;
use super::execute::{run_task, Permit};
use super::metrics::{inc, Gauge, QueueMetrics};
use super::observer::{TaskEvent, TaskObserver};
use super::router::Router;
use super::shutdown::{drain, RunnerReport};
use super::task::TaskInfo;
use super::tracker::Tracker;
use crate::backend::{Delivery, Publisher, ReceiptHandle, ReceiveOptions, Subscription};
use crate::limits::MAX_RECEIVE_MESSAGES;

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

    /// Waits for one queue permit and one pool permit, then takes up to `want` pairs in all without
    /// waiting. `None` if a semaphore was closed (never, in practice).
    async fn acquire(&self, want: usize) -> Option<Vec<Permit>> {
        let queue = self.queue_permits.clone().acquire_owned().await.ok()?;
        let global = self.global_permits.clone().acquire_owned().await.ok()?;
        let mut permits = Vec::with_capacity(want);
        permits.push(Permit { _queue: queue, _global: global });
        while permits.len() < want {
            let Ok(queue) = self.queue_permits.clone().try_acquire_owned() else { break };
            let Ok(global) = self.global_permits.clone().try_acquire_owned() else { break };
            permits.push(Permit { _queue: queue, _global: global });
        }
        Some(permits)
    }

    /// The receive loop, then the drain. Returns when stopped.
    pub(crate) async fn run(self: Arc<Self>, mut stop: StopSignal) -> RunnerReport {
        let (acks, batcher) = ack::spawn(self.clone());
        let hard_stop = CancellationToken::new();
        let tasks = Arc::new(Tracker::default());
        // Ask for a full batch while messages flow; after an empty receive, hold a single permit
        // while long-polling so an idle queue does not sit on the pool's capacity.
        let mut want = MAX_RECEIVE_MESSAGES;
        let mut receive_failures = 0u32;
        tracing::debug!(queue = %self.queue, "runner started");
        let deadline = loop {
            let permits = tokio::select! {
                biased;
                deadline = stopped(&mut stop) => break deadline,
                permits = self.acquire(want) => match permits {
                    Some(p) => p,
                    None => break Instant::now(),
                },
            };
            let options = ReceiveOptions {
                max_messages: permits.len(),
                wait_time: Some(self.config.wait_time),
                visibility_timeout: Some(self.config.visibility_timeout),
            };
            let received = tokio::select! {
                biased;
                deadline = stopped(&mut stop) => break deadline,
                received = self.subscription.receive(options) => received,
            };
            match received {
                Ok(deliveries) => {
                    receive_failures = 0;
                    want = if deliveries.is_empty() { 1 } else { MAX_RECEIVE_MESSAGES };
                    self.spawn_tasks(&tasks, deliveries, permits, &acks, &hard_stop).await;
                }
                Err(e) => {
                    drop(permits);
                    receive_failures = receive_failures.saturating_add(1);
                    inc(&self.metrics.counters.receive_errors);
                    let delay = self.config.receive_error_backoff.delay(receive_failures);
                    tracing::warn!(queue = %self.queue, failures = receive_failures, retry_in_s = delay.as_secs_f64(), "receive failed: {e}");
                    self.emit(|| TaskEvent::ReceiveFailed { queue: self.queue.clone(), error: e.to_string() });
                    tokio::select! {
                        biased;
                        deadline = stopped(&mut stop) => break deadline,
                        _ = tokio::time::sleep(delay) => {}
                    }
                }
            }
        };
        let report = drain(&self, &tasks, deadline, &hard_stop).await;
        drop(acks);
        if let Err(e) = batcher.await {
            tracing::error!(queue = %self.queue, "ack batcher failed: {e}");
        }
        tracing::debug!(queue = %self.queue, ?report, "runner stopped");
        report
    }

    async fn spawn_tasks(
        self: &Arc<Self>,
        tasks: &Arc<Tracker>,
        deliveries: Vec<Delivery>,
        permits: Vec<Permit>,
        acks: &ack::AckSender,
        hard_stop: &CancellationToken,
    ) {
        let received_at = Instant::now();
        let mut permits = permits.into_iter();
        for delivery in deliveries {
            let Some(permit) = permits.next() else {
                // The backend returned more than asked for: never run beyond the cap, never drop.
                tracing::warn!(queue = %self.queue, message_id = %delivery.message_id, "receive returned more messages than requested; released");
                self.change_visibility(&delivery.receipt_handle, Duration::ZERO).await;
                continue;
            };
            let span = tracing::info_span!(
                "task",
                queue = %self.queue,
                event_type = delivery.event_type().unwrap_or("<undecodable>"),
                message_id = %delivery.message_id,
                receive_count = delivery.receive_count,
            );
            let task = run_task(self.clone(), Arc::new(delivery), received_at, acks.clone(), hard_stop.clone(), permit);
            let tracked = tasks.track();
            // Detached: the tracker counts it, and a panic outside the handler (which `catch_unwind`
            // covers) still untracks it when its future is dropped.
            tokio::spawn(
                async move {
                    task.await;
                    drop(tracked);
                }
                .instrument(span),
            );
        }
    }
}

/// Completes with the stop deadline once a stop is requested (now, if the pool is gone).
async fn stopped(stop: &mut StopSignal) -> Instant {
    match stop.wait_for(Option::is_some).await {
        Ok(deadline) => (*deadline).unwrap_or_else(Instant::now),
        Err(_) => Instant::now(),
    }
}
