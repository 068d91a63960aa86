//! One task from receive to outcome: decode, route, run the handler under a heartbeat and
//! `catch_unwind`, then delete, delay, fail or release the message.

use std::any::Any;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;

use futures::FutureExt as _;
use tokio::sync::OwnedSemaphorePermit;
use tokio::time::Instant;

use super::ack::AckSender;
use super::cancel::CancellationToken;
use super::failure::{fail, FailureKind, Release};
use super::handler::{Handler, HandlerResult, Outcome};
use super::heartbeat::{cap_delay, keep_invisible};
use super::metrics::inc;
use super::observer::TaskEvent;
use super::runner::Runner;
use super::task::{Task, TaskInfo};
use crate::backend::{Delivery, ReceiptHandle};
use crate::event::Event;

/// The two permits a running task holds: one of its queue's, one of the pool's.
#[derive(Debug)]
pub(crate) struct Permit {
    pub(crate) _queue: OwnedSemaphorePermit,
    pub(crate) _global: OwnedSemaphorePermit,
}

/// Counts a task in the in-flight gauges for as long as it lives.
struct InFlight<'a>(&'a Runner);

impl<'a> InFlight<'a> {
    fn enter(runner: &'a Runner) -> Self {
        runner.metrics.in_flight.inc();
        runner.global_in_flight.inc();
        InFlight(runner)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.metrics.in_flight.dec();
        self.0.global_in_flight.dec();
    }
}

/// How the handler phase ended.
enum End {
    Returned(HandlerResult),
    Panicked(String),
    Abandoned(String),
    Released,
}

/// Runs one task to its end. `permit` is held until the message's fate is settled.
pub(crate) async fn run_task(
    runner: Arc<Runner>,
    delivery: Arc<Delivery>,
    received_at: Instant,
    acks: AckSender,
    hard_stop: CancellationToken,
    permit: Permit,
) {
    let _permit = permit;
    let _in_flight = InFlight::enter(&runner);
    // The observer's summary, built only when there is an observer.
    let info = runner.observer.is_some().then(|| Arc::new(TaskInfo::of(&runner.queue, &delivery)));
    inc(&runner.metrics.counters.received);
    runner.emit_task(&info, TaskEvent::Received);

    let Some(event_type) = delivery.event_type() else {
        let error = match Event::from_body(&delivery.message.body) {
            Err(e) => format!("the message body is not an event {{\"type\": ..., \"data\": ...}}: {e}"),
            Ok(_) => "the message body is not an event {\"type\": ..., \"data\": ...}".to_owned(),
        };
        let failed = fail(&runner, &info, &delivery, received_at, FailureKind::Undecodable, error, Release::Backoff);
        Box::pin(failed).await;
        return;
    };
    let Some(handler) = runner.router.route(event_type).cloned() else {
        tracing::debug!("no handler for this event type: acknowledged and ignored");
        inc(&runner.metrics.counters.ignored);
        runner.emit_task(&info, TaskEvent::Ignored);
        acks.push(delivery, info);
        return;
    };

    let cancel = CancellationToken::new();
    let task = Task::shared(runner.queue.clone(), delivery.clone(), cancel.clone());
    let receipt = &delivery.receipt_handle;
    let (kind, error, release) =
        match supervise(&runner, handler, task, receipt, received_at, &cancel, &hard_stop).await {
            End::Returned(Ok(Outcome::Complete)) => {
                tracing::debug!("task completed");
                inc(&runner.metrics.counters.completed);
                runner.emit_task(&info, TaskEvent::Completed);
                acks.push(delivery, info);
                return;
            }
            End::Returned(Ok(Outcome::RetryAfter(delay))) => {
                let delay = cap_delay(delay, received_at);
                tracing::debug!(delay_s = delay.as_secs_f64(), "task asked to be retried");
                inc(&runner.metrics.counters.retried);
                if runner.is_last_receive(delivery.receive_count) {
                    inc(&runner.metrics.counters.dead_lettered);
                    tracing::warn!(
                        "retry asked on the last receive: the redrive will move the message to the dead-letter queue"
                    );
                }
                runner.change_visibility(receipt, delay).await;
                runner.emit_task(&info, |task| TaskEvent::Retried { task, delay });
                return;
            }
            End::Released => {
                tracing::info!("shutdown deadline passed before the handler finished: message released");
                inc(&runner.metrics.counters.released);
                runner.change_visibility(receipt, std::time::Duration::ZERO).await;
                runner.emit_task(&info, TaskEvent::Released);
                return;
            }
            End::Returned(Err(e)) => (FailureKind::Error, e.chain_text(), Release::Backoff),
            End::Panicked(message) => (FailureKind::Panic, message, Release::Backoff),
            End::Abandoned(error) => (FailureKind::Abandoned, error, Release::Leave),
        };
    // Cold path, boxed so that every task's future stays small.
    Box::pin(fail(&runner, &info, &delivery, received_at, kind, error, release)).await;
}

/// Runs the handler, catching panics, while the heartbeat keeps the message invisible and the
/// shutdown deadline is watched.
async fn supervise(
    runner: &Runner,
    handler: Arc<dyn Handler>,
    task: Task,
    receipt: &ReceiptHandle,
    received_at: Instant,
    cancel: &CancellationToken,
    hard_stop: &CancellationToken,
) -> End {
    let handled = AssertUnwindSafe(async move { handler.handle(task).await }).catch_unwind();
    tokio::pin!(handled);
    let heartbeat = keep_invisible(runner, receipt, received_at);
    tokio::pin!(heartbeat);
    tokio::select! {
        biased;
        result = &mut handled => match result {
            Ok(result) => End::Returned(result),
            Err(payload) => End::Panicked(panic_message(payload.as_ref())),
        },
        error = &mut heartbeat => {
            cancel.cancel();
            let error = format!("cannot extend the visibility timeout: {error}");
            tracing::warn!("{error}; handler cancelled, the message will be redelivered");
            // Cold path, boxed so that every task's future stays small.
            Box::pin(grace(runner, handled.as_mut(), hard_stop)).await;
            End::Abandoned(error)
        }
        _ = hard_stop.cancelled() => {
            cancel.cancel();
            End::Released
        }
    }
}

/// Gives a cancelled handler the grace period to return (or until the shutdown deadline).
async fn grace<F: Future>(runner: &Runner, handled: Pin<&mut F>, hard_stop: &CancellationToken) {
    tokio::select! {
        _ = handled => tracing::debug!("cancelled handler returned"),
        _ = tokio::time::sleep(runner.config.cancel_grace) => {
            tracing::warn!("cancelled handler did not return within the grace period; dropped");
        }
        _ = hard_stop.cancelled() => {}
    }
}

/// The text of a panic payload (`&str` or `String`, as `panic!` makes them).
pub(crate) fn panic_message(payload: &(dyn Any + Send)) -> String {
    let text = payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("a panic with a non-string payload");
    format!("handler panicked: {text}")
}
