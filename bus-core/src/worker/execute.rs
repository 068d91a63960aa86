//! Running a handler: in the runner loop's own task or spawned, always under `catch_unwind` and in the
//! task's span; and [`Running`], the future through which the loop waits for a handler that did not
//! finish on its first poll.

use std::any::Any;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use futures::future::{BoxFuture, CatchUnwind};
use futures::FutureExt as _;
use tokio::task::JoinHandle;
use tracing::instrument::Instrumented;
use tracing::{Instrument as _, Span};

use super::flights::Key;
use super::handler::{Handler, HandlerResult};
use super::task::Task;

/// How a handler ended.
#[derive(Debug)]
pub(crate) enum End {
    /// It returned.
    Returned(HandlerResult),
    /// It panicked (the panic message).
    Panicked(String),
    /// The runtime dropped it (cancelled and out of grace, or a stop's deadline passed).
    Dropped,
}

/// What a handler's future yields once `catch_unwind` has caught any panic.
type Caught = Result<HandlerResult, Box<dyn Any + Send>>;

/// A handler future run in the runner loop's task, panics caught.
pub(crate) type Unwinding<'r> = CatchUnwind<AssertUnwindSafe<BoxFuture<'r, HandlerResult>>>;

/// A handler future the runner loop waits for, in its task's span.
pub(crate) type Local<'r> = Instrumented<Unwinding<'r>>;

/// Calls `handler` on `task` for the runner loop to poll (in the task's span). A panic in the call
/// itself is caught too.
pub(crate) fn local<'r>(handler: &'r Arc<dyn Handler>, task: Task) -> Result<Unwinding<'r>, String> {
    match std::panic::catch_unwind(AssertUnwindSafe(|| handler.handle(task))) {
        Ok(future) => Ok(AssertUnwindSafe(future).catch_unwind()),
        Err(payload) => Err(panic_message(payload.as_ref())),
    }
}

/// Spawns `handler` on `task` as a Tokio task of its own, in `span`.
pub(crate) fn spawn(handler: Arc<dyn Handler>, task: Task, span: Span) -> JoinHandle<Caught> {
    tokio::spawn(AssertUnwindSafe(async move { handler.handle(task).await }).catch_unwind().instrument(span))
}

/// Maps a caught outcome.
pub(crate) fn end_of(caught: Caught) -> End {
    match caught {
        Ok(result) => End::Returned(result),
        Err(payload) => End::Panicked(panic_message(payload.as_ref())),
    }
}

enum Exec<'r> {
    Local(Local<'r>),
    Spawned(JoinHandle<Caught>),
    Dropped,
}

/// A waiting handler of the task `key`: yields `(key, End)`. [`abort`](Self::abort) drops it.
pub(crate) struct Running<'r> {
    key: Key,
    exec: Exec<'r>,
    /// The waker of the last poll that returned `Pending`, to get polled again after an abort.
    waker: Option<Waker>,
}

impl<'r> Running<'r> {
    pub(crate) fn local(key: Key, future: Local<'r>) -> Self {
        Running { key, exec: Exec::Local(future), waker: None }
    }

    pub(crate) fn spawned(key: Key, handle: JoinHandle<Caught>) -> Self {
        Running { key, exec: Exec::Spawned(handle), waker: None }
    }

    pub(crate) fn key(&self) -> Key {
        self.key
    }

    /// Drops the handler (a spawned one is aborted and yields once its task has dropped it). The
    /// `End` is then [`End::Dropped`], unless a spawned handler finished first.
    pub(crate) fn abort(&mut self) {
        match &self.exec {
            Exec::Local(_) => self.exec = Exec::Dropped,
            Exec::Spawned(handle) => handle.abort(),
            Exec::Dropped => {}
        }
        if let Some(waker) = self.waker.take() {
            waker.wake();
        }
    }
}

impl Future for Running<'_> {
    type Output = (Key, End);

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let key = self.key;
        let end = match &mut self.exec {
            Exec::Local(future) => match Pin::new(future).poll(cx) {
                Poll::Ready(caught) => end_of(caught),
                Poll::Pending => return self.pending(cx),
            },
            Exec::Spawned(handle) => match Pin::new(handle).poll(cx) {
                Poll::Ready(Ok(caught)) => end_of(caught),
                Poll::Ready(Err(e)) if e.is_panic() => End::Panicked(panic_message(e.into_panic().as_ref())),
                Poll::Ready(Err(_)) => End::Dropped,
                Poll::Pending => return self.pending(cx),
            },
            Exec::Dropped => End::Dropped,
        };
        self.exec = Exec::Dropped;
        Poll::Ready((key, end))
    }
}

impl Running<'_> {
    fn pending(&mut self, cx: &Context<'_>) -> Poll<(Key, End)> {
        match &self.waker {
            Some(w) if w.will_wake(cx.waker()) => {}
            _ => self.waker = Some(cx.waker().clone()),
        }
        Poll::Pending
    }
}

impl Drop for Running<'_> {
    fn drop(&mut self) {
        // A spawned handler never outlives the loop that counts it against the caps.
        if let Exec::Spawned(handle) = &self.exec {
            handle.abort();
        }
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
