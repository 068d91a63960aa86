//! Handlers: what a task's code returns ([`Outcome`], [`HandlerError`]) and the [`Handler`] trait.

use std::error::Error as StdError;
use std::fmt;
use std::future::Future;
use std::time::Duration;

use async_trait::async_trait;

use super::task::Task;

/// What a handler decided about its message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Done: the message is deleted (in a batch, shortly after).
    Complete,
    /// Not now: the message becomes visible again after this delay (`ChangeMessageVisibility`), and
    /// is received again with its receive count raised by one. The delay is capped at the 12 h
    /// visibility limit. No failure event is published.
    RetryAfter(Duration),
}

/// The error a handler returns: any error (or message) boxed, like `anyhow::Error`.
///
/// Anything that converts into `Box<dyn Error + Send + Sync>` converts into it, so `?` works on any
/// standard error and `Err("text".into())` works for a plain message. It deliberately does not
/// implement [`std::error::Error`] itself (that is what makes the blanket conversion possible); use
/// [`as_error`](Self::as_error) or [`into_inner`](Self::into_inner) to reach the source.
///
/// ```
/// use bus_core::worker::HandlerError;
/// fn parse(s: &str) -> Result<u32, HandlerError> {
///     if s.is_empty() {
///         return Err("empty input".into());
///     }
///     Ok(s.parse::<u32>()?)
/// }
/// assert_eq!(parse("").unwrap_err().to_string(), "empty input");
/// assert!(parse("x").is_err());
/// ```
pub struct HandlerError(Box<dyn StdError + Send + Sync + 'static>);

impl HandlerError {
    /// Wraps an error.
    pub fn new(error: impl Into<Box<dyn StdError + Send + Sync + 'static>>) -> Self {
        HandlerError(error.into())
    }

    /// A handler error with this message.
    pub fn msg(message: impl fmt::Display) -> Self {
        HandlerError(message.to_string().into())
    }

    /// The wrapped error.
    pub fn as_error(&self) -> &(dyn StdError + Send + Sync + 'static) {
        &*self.0
    }

    /// Unwraps the boxed error.
    pub fn into_inner(self) -> Box<dyn StdError + Send + Sync + 'static> {
        self.0
    }

    /// The error and its chain of sources, joined with `: `.
    pub fn chain_text(&self) -> String {
        let mut text = self.0.to_string();
        let mut source = self.0.source();
        while let Some(s) = source {
            text.push_str(": ");
            text.push_str(&s.to_string());
            source = s.source();
        }
        text
    }
}

impl<E> From<E> for HandlerError
where
    E: Into<Box<dyn StdError + Send + Sync + 'static>>,
{
    fn from(error: E) -> Self {
        HandlerError(error.into())
    }
}

impl fmt::Debug for HandlerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl fmt::Display for HandlerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

/// What a handler returns.
pub type HandlerResult = Result<Outcome, HandlerError>;

/// A stateless async handler of one kind of task.
///
/// Any `Fn(Task) -> impl Future<Output = HandlerResult>` closure is a handler; implement the trait
/// yourself for a handler with dependencies (a database pool, a client):
///
/// ```
/// use bus_core::worker::{Handler, HandlerResult, Outcome, Task};
///
/// #[derive(Debug)]
/// struct SendWelcomeEmail;
///
/// #[async_trait::async_trait]
/// impl Handler for SendWelcomeEmail {
///     async fn handle(&self, task: Task) -> HandlerResult {
///         let _email = task.data()["email"].as_str().ok_or("no email")?;
///         Ok(Outcome::Complete)
///     }
/// }
/// ```
///
/// # Contract
/// - Delivery is at-least-once: a handler may see the same message more than once (after a failure,
///   a shutdown, or an expired visibility), so it should be idempotent.
/// - An error or a panic is reported (a `TASK_WORKER_FAILED` event) and the message is redelivered
///   after the queue's backoff; it never gets lost.
/// - When the task's [`cancellation`](Task::cancellation) fires, the runtime has given up on the task
///   and the message will be redelivered: stop as soon as possible.
#[async_trait]
pub trait Handler: Send + Sync + 'static {
    /// Handles one task.
    async fn handle(&self, task: Task) -> HandlerResult;
}

#[async_trait]
impl<F, Fut> Handler for F
where
    F: Fn(Task) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = HandlerResult> + Send + 'static,
{
    async fn handle(&self, task: Task) -> HandlerResult {
        (self)(task).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Outer(std::io::Error);

    impl fmt::Display for Outer {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("outer")
        }
    }

    impl StdError for Outer {
        fn source(&self) -> Option<&(dyn StdError + 'static)> {
            Some(&self.0)
        }
    }

    #[test]
    fn converts_from_errors_and_text() {
        let e: HandlerError = "plain".into();
        assert_eq!(e.to_string(), "plain");
        let e: HandlerError = String::from("owned").into();
        assert_eq!(format!("{e:?}"), "\"owned\"");
        let e: HandlerError = Outer(std::io::Error::other("inner")).into();
        assert_eq!(e.chain_text(), "outer: inner");
        assert!(e.as_error().source().is_some());
        assert_eq!(HandlerError::msg(42).into_inner().to_string(), "42");
    }
}
