//! [`faulty_router`]: wraps a router's handlers so that completed tasks may "crash" before their ack.

use std::sync::Arc;

use async_trait::async_trait;
use bus_core::worker::{Handler, HandlerError, HandlerResult, Outcome, Router, Task};

use super::log::FaultKind;
use super::plan::Fault;
use super::schedule::FaultSchedule;

/// An event type no application uses, to find out whether a router has a fallback.
const PROBE: &str = "\u{1}bus-testkit-no-such-type";

/// The same routes as `router`, with every handler (the fallback included) wrapped so that a task
/// that returns `Complete` fails instead when a [`Fault::CrashBeforeAck`] fires: its work is done,
/// but the message is not acknowledged and comes back, as after a crash.
///
/// The crash is reported to the runtime as a handler error (not a panic, to keep test output quiet);
/// the runtime treats both the same way. Event types the router ignores stay ignored.
pub fn faulty_router(router: &Router, schedule: Arc<FaultSchedule>) -> Router {
    let wrap = |handler: &Arc<dyn Handler>| -> Arc<dyn Handler> {
        Arc::new(Crashing { inner: handler.clone(), schedule: schedule.clone() })
    };
    let mut wrapped = Router::new();
    for event_type in router.event_types() {
        if let Some(handler) = router.route(event_type) {
            wrapped = wrapped.on_arc(event_type, wrap(handler));
        }
    }
    if let Some(fallback) = router.route(PROBE) {
        wrapped = wrapped.fallback(Fallback(wrap(fallback)));
    }
    wrapped
}

struct Crashing {
    inner: Arc<dyn Handler>,
    schedule: Arc<FaultSchedule>,
}

#[async_trait]
impl Handler for Crashing {
    async fn handle(&self, task: Task) -> HandlerResult {
        let queue = task.queue().to_owned();
        let message_id = task.message_id().to_owned();
        let outcome = self.inner.handle(task).await?;
        if outcome == Outcome::Complete {
            if let Some(fired) = self.schedule.fires(&queue, |f| matches!(f, Fault::CrashBeforeAck { .. })) {
                self.schedule.record(FaultKind::CrashBeforeAck, &queue, fired.occurrence, Some(&message_id));
                return Err(HandlerError::msg(
                    "injected fault: the task crashed after its handler completed, before the acknowledgement",
                ));
            }
        }
        Ok(outcome)
    }
}

struct Fallback(Arc<dyn Handler>);

#[async_trait]
impl Handler for Fallback {
    async fn handle(&self, task: Task) -> HandlerResult {
        self.0.handle(task).await
    }
}
