//! Settling a task once its handler has ended: delete (batched), delay, report a failure, or release
//! the message. The quick outcome (complete, ignored) settles at once; the others are I/O futures of
//! the runner loop that settle the task when done (its permits are held until then).

use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;
use tracing::{Instrument as _, Span};

use super::ack::AckEntry;
use super::drive::Drive;
use super::execute::End;
use super::failure::{fail, FailureKind, Release};
use super::flights::Key;
use super::handler::Outcome;
use super::heartbeat::cap_delay;
use super::metrics::inc;
use super::observer::TaskEvent;
use super::runner::Runner;
use super::task::{Received, TaskInfo};
use crate::backend::ReceiptHandle;
use crate::event::Event;

/// A task whose handler was dropped at a stop's deadline: its message is to be released.
#[derive(Debug)]
pub(crate) struct Unfinished {
    received: Arc<Received>,
    info: Option<Arc<TaskInfo>>,
    span: Span,
}

/// What an I/O future of the runner loop did.
#[derive(Debug)]
pub(crate) enum Io {
    /// Settled this many tasks.
    Settled(usize),
    /// Extended visibilities; these tasks' extensions failed (with the error).
    Extended(Vec<(Key, String)>),
    /// Deleted a batch (the tasks, for reuse).
    Flushed(Vec<AckEntry>),
    /// Anything else (the release of an extra message).
    Done,
}

impl Drive<'_> {
    /// Settles a task whose handler ended with `end`.
    pub(crate) fn finish(
        &mut self,
        received: Arc<Received>,
        info: Option<Arc<TaskInfo>>,
        span: Span,
        received_at: Instant,
        end: End,
    ) {
        let runner = self.runner;
        match end {
            End::Returned(Ok(Outcome::Complete)) => {
                span.in_scope(|| tracing::debug!("task completed"));
                self.completed += 1;
                runner.emit_task(&info, TaskEvent::Completed);
                self.ack(received, info);
            }
            End::Returned(Ok(Outcome::RetryAfter(delay))) => self.retry(received, info, span, received_at, delay),
            End::Returned(Err(e)) => {
                self.fail(received, info, span, received_at, FailureKind::Error, e.chain_text(), Release::Backoff);
            }
            End::Panicked(message) => {
                self.fail(received, info, span, received_at, FailureKind::Panic, message, Release::Backoff);
            }
            End::Dropped => self.releases.push(Unfinished { received, info, span }),
        }
    }

    /// Queues the delete of a settled task.
    pub(crate) fn ack(&mut self, received: Arc<Received>, info: Option<Arc<TaskInfo>>) {
        self.settle(1);
        if let Some(batch) = self.acks.push(AckEntry { received, info }) {
            self.push_flush(batch);
        }
    }

    /// A body that is not an event: reported and redelivered like a failure.
    pub(crate) fn undecodable(
        &mut self,
        received: Arc<Received>,
        info: Option<Arc<TaskInfo>>,
        span: Span,
        received_at: Instant,
    ) {
        let error = match Event::from_body(&received.delivery.message.body) {
            Err(e) => format!("the message body is not an event {{\"type\": ..., \"data\": ...}}: {e}"),
            Ok(_) => "the message body is not an event {\"type\": ..., \"data\": ...}".to_owned(),
        };
        self.fail(received, info, span, received_at, FailureKind::Undecodable, error, Release::Backoff);
    }

    /// A cancelled handler (its visibility could not be extended) ended or was dropped.
    pub(crate) fn abandoned(
        &mut self,
        received: Arc<Received>,
        info: Option<Arc<TaskInfo>>,
        span: Span,
        received_at: Instant,
        error: String,
    ) {
        self.fail(received, info, span, received_at, FailureKind::Abandoned, error, Release::Leave);
    }

    fn retry(
        &mut self,
        received: Arc<Received>,
        info: Option<Arc<TaskInfo>>,
        span: Span,
        received_at: Instant,
        delay: Duration,
    ) {
        let runner = self.runner;
        let retried = async move {
            let delay = cap_delay(delay, received_at);
            tracing::debug!(delay_s = delay.as_secs_f64(), "task asked to be retried");
            inc(&runner.metrics.counters.retried);
            if runner.is_last_receive(received.delivery.receive_count) {
                inc(&runner.metrics.counters.dead_lettered);
                tracing::warn!(
                    "retry asked on the last receive: the redrive will move the message to the dead-letter queue"
                );
            }
            runner.change_visibility(&received.delivery.receipt_handle, delay).await;
            runner.emit_task(&info, |task| TaskEvent::Retried { task, delay });
            Io::Settled(1)
        };
        self.push_io(Box::pin(retried.instrument(span)));
    }

    #[allow(clippy::too_many_arguments)]
    fn fail(
        &mut self,
        received: Arc<Received>,
        info: Option<Arc<TaskInfo>>,
        span: Span,
        received_at: Instant,
        kind: FailureKind,
        error: String,
        release: Release,
    ) {
        let runner = self.runner;
        let failed = async move {
            fail(runner, &info, &received.delivery, received_at, kind, error, release).await;
            Io::Settled(1)
        };
        self.push_io(Box::pin(failed.instrument(span)));
    }
}

/// Releases (visibility 0) the messages of handlers dropped at a stop's deadline, in one request.
pub(crate) async fn release(runner: &Runner, batch: Vec<Unfinished>) -> Io {
    let counters = &runner.metrics.counters;
    let entries: Vec<(String, ReceiptHandle, Duration)> = batch
        .iter()
        .enumerate()
        .map(|(i, f)| {
            f.span.in_scope(|| {
                tracing::info!("shutdown deadline passed before the handler finished: message released");
            });
            inc(&counters.released);
            (i.to_string(), f.received.delivery.receipt_handle.clone(), Duration::ZERO)
        })
        .collect();
    let failed: Vec<(usize, String)> = match runner.subscription.change_visibility_batch(entries).await {
        Ok(outcome) => outcome
            .failed
            .into_iter()
            .filter_map(|f| Some((f.id.parse::<usize>().ok()?, format!("{}: {}", f.code, f.message))))
            .collect(),
        Err(e) => (0..batch.len()).map(|i| (i, e.to_string())).collect(),
    };
    for (i, error) in failed {
        if let Some(f) = batch.get(i) {
            inc(&counters.visibility_errors);
            f.span.in_scope(|| {
                tracing::warn!("cannot release the message: {error}; it returns when its visibility timeout runs out");
            });
        }
    }
    for f in &batch {
        runner.emit_task(&f.info, TaskEvent::Released);
    }
    Io::Settled(batch.len())
}
