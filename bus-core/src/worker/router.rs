//! [`Router`]: dispatches tasks to handlers by event type.

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::hash::{BuildHasherDefault, Hasher};
use std::marker::PhantomData;
use std::sync::Arc;

use async_trait::async_trait;
use serde::de::DeserializeOwned;

use super::handler::{Handler, HandlerResult};
use super::task::Task;
use crate::error::BusError;

/// Dispatches tasks by event type: `.on("USER_CREATED", handler)`.
///
/// Events of a type that no route names go to the [`fallback`](Self::fallback) handler when there is
/// one; otherwise they are acknowledged (deleted) and ignored, with a `tracing` event and the
/// `ignored` counter, as in the seed design.
///
/// ```
/// use bus_core::worker::{Outcome, Router, Task, HandlerResult};
///
/// #[derive(serde::Deserialize)]
/// struct UserCreated { email: String }
///
/// async fn comment(_task: Task) -> HandlerResult {
///     Ok(Outcome::Complete)
/// }
///
/// let router = Router::new()
///     .on("USER_COMMENT", comment)
///     .on_typed("USER_CREATED", |_task, user: UserCreated| async move {
///         assert!(!user.email.is_empty());
///         Ok(Outcome::Complete)
///     });
/// assert!(router.handles("USER_CREATED"));
/// assert!(!router.handles("ORDER_PAID"));
/// router.validate().unwrap();
/// ```
#[derive(Clone, Default)]
pub struct Router {
    routes: HashMap<String, Arc<dyn Handler>, BuildHasherDefault<Fx>>,
    fallback: Option<Arc<dyn Handler>>,
    duplicates: Vec<String>,
}

impl Router {
    /// A router with no routes: every event is ignored.
    pub fn new() -> Self {
        Self::default()
    }

    /// Routes events of `event_type` to `handler`.
    ///
    /// Naming a type twice is a configuration error that [`validate`](Self::validate) (and so the
    /// worker pool's `build`) reports.
    pub fn on(self, event_type: impl Into<String>, handler: impl Handler) -> Self {
        self.on_arc(event_type, Arc::new(handler))
    }

    /// Routes events of `event_type` to a shared handler.
    pub fn on_arc(mut self, event_type: impl Into<String>, handler: Arc<dyn Handler>) -> Self {
        let event_type = event_type.into();
        if self.routes.insert(event_type.clone(), handler).is_some() {
            self.duplicates.push(event_type);
        }
        self
    }

    /// Routes events of `event_type` to a typed handler: the event's `data` is deserialised into `T`
    /// first. Data that does not deserialise is a handler error (a failure event, then redelivery),
    /// never a silent drop.
    pub fn on_typed<T, F, Fut>(self, event_type: impl Into<String>, handler: F) -> Self
    where
        T: DeserializeOwned + Send + 'static,
        F: Fn(Task, T) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = HandlerResult> + Send + 'static,
    {
        self.on(event_type, Typed { handler, data: PhantomData })
    }

    /// Handles events of every type that no route names (instead of ignoring them).
    pub fn fallback(mut self, handler: impl Handler) -> Self {
        self.fallback = Some(Arc::new(handler));
        self
    }

    /// The handler for `event_type`: its route, else the fallback, else `None` (ignored).
    pub fn route(&self, event_type: &str) -> Option<&Arc<dyn Handler>> {
        self.routes.get(event_type).or(self.fallback.as_ref())
    }

    /// The route of `event_type` with its key (the fallback is not a route).
    pub(crate) fn route_entry(&self, event_type: &str) -> Option<(&str, &Arc<dyn Handler>)> {
        self.routes.get_key_value(event_type).map(|(ty, handler)| (ty.as_str(), handler))
    }

    /// Whether events of `event_type` reach a handler (a route or the fallback).
    pub fn handles(&self, event_type: &str) -> bool {
        self.route(event_type).is_some()
    }

    /// The routed event types, sorted.
    pub fn event_types(&self) -> Vec<&str> {
        let mut types: Vec<&str> = self.routes.keys().map(String::as_str).collect();
        types.sort_unstable();
        types
    }

    /// Checks the routes: no event type may be routed twice.
    pub fn validate(&self) -> Result<(), BusError> {
        match self.duplicates.first() {
            Some(ty) => Err(BusError::invalid_parameter(
                "Router",
                format!("event type {ty:?} is routed more than once; give each type one handler"),
            )),
            None => Ok(()),
        }
    }
}

impl fmt::Debug for Router {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Router")
            .field("routes", &self.event_types())
            .field("fallback", &self.fallback.is_some())
            .finish()
    }
}

/// A word-at-a-time multiplicative hash (as `rustc`'s FxHash): a route lookup per message hashes a
/// short event type, where SipHash costs more than the lookup. The map is only read after it is
/// built (lookups never insert), so keys an attacker picks can only collide with the few routes there
/// are: no flooding to fear.
#[derive(Default)]
struct Fx(u64);

impl Fx {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x517c_c1b7_2722_0a95);
    }
}

impl Hasher for Fx {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        let mut word = [0u8; 8];
        for chunk in &mut chunks {
            word.copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            word = [0u8; 8];
            word[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(word));
        }
    }

    fn write_u8(&mut self, byte: u8) {
        self.add(u64::from(byte));
    }
}

struct Typed<T, F> {
    handler: F,
    data: PhantomData<fn() -> T>,
}

#[async_trait]
impl<T, F, Fut> Handler for Typed<T, F>
where
    T: DeserializeOwned + Send + 'static,
    F: Fn(Task, T) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = HandlerResult> + Send + 'static,
{
    async fn handle(&self, task: Task) -> HandlerResult {
        let data: T = task.decode()?;
        (self.handler)(task, data).await
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, SystemTime};

    use super::*;
    use crate::backend::{Delivery, ReceiptHandle};
    use crate::event::Event;
    use crate::worker::Outcome;

    fn task(event_type: &str, data: serde_json::Value) -> Task {
        let event = Event::new(event_type, data);
        let body = serde_json::to_string(&event).unwrap();
        let now = SystemTime::now();
        let delivery =
            Delivery::from_queue_body("m-1".into(), ReceiptHandle("r-1".into()), 1, now, now, body, Default::default());
        Task::new("q", event, delivery)
    }

    #[derive(serde::Deserialize)]
    struct Created {
        id: u64,
    }

    fn router() -> Router {
        Router::new()
            .on("A", |_t: Task| async { Ok(Outcome::Complete) })
            .on("B", |t: Task| async move { Ok(Outcome::RetryAfter(Duration::from_secs(t.receive_count().into()))) })
            .on_typed("C", |_t, c: Created| async move {
                if c.id == 0 {
                    return Err("zero".into());
                }
                Ok(Outcome::Complete)
            })
    }

    #[tokio::test]
    async fn dispatches_by_type() {
        let r = router();
        assert_eq!(r.event_types(), ["A", "B", "C"]);
        let out = r.route("A").unwrap().handle(task("A", serde_json::json!({}))).await.unwrap();
        assert_eq!(out, Outcome::Complete);
        let out = r.route("B").unwrap().handle(task("B", serde_json::json!(null))).await.unwrap();
        assert_eq!(out, Outcome::RetryAfter(Duration::from_secs(1)));
        assert!(r.route("D").is_none());
        assert!(!r.handles("a"), "event types are case-sensitive");
        // Longer names than a hash word, and names that differ only past it, route apart.
        let long = Router::new()
            .on("ORDER_PAYMENT_CAPTURED", |_t: Task| async { Ok(Outcome::Complete) })
            .on("ORDER_PAYMENT_CAPTURED_LATE", |_t: Task| async { Err("late".into()) });
        assert!(long.route("ORDER_PAYMENT_CAPTURE").is_none());
        let late = long.route("ORDER_PAYMENT_CAPTURED_LATE").unwrap();
        assert!(late.handle(task("ORDER_PAYMENT_CAPTURED_LATE", serde_json::json!({}))).await.is_err());
        let on_time = long.route("ORDER_PAYMENT_CAPTURED").unwrap();
        assert!(on_time.handle(task("ORDER_PAYMENT_CAPTURED", serde_json::json!({}))).await.is_ok());
    }

    #[tokio::test]
    async fn typed_handlers_decode_data() {
        let r = router();
        let c = r.route("C").unwrap();
        assert_eq!(c.handle(task("C", serde_json::json!({"id": 3}))).await.unwrap(), Outcome::Complete);
        assert_eq!(c.handle(task("C", serde_json::json!({"id": 0}))).await.unwrap_err().to_string(), "zero");
        let bad = c.handle(task("C", serde_json::json!({"id": "x"}))).await.unwrap_err().to_string();
        assert!(bad.starts_with("cannot decode the data of a C event"), "{bad}");
    }

    #[tokio::test]
    async fn fallback_takes_unrouted_types() {
        let r = router().fallback(|_t: Task| async { Ok(Outcome::RetryAfter(Duration::ZERO)) });
        let out = r.route("ZZZ").unwrap().handle(task("ZZZ", serde_json::json!(1))).await.unwrap();
        assert_eq!(out, Outcome::RetryAfter(Duration::ZERO));
        assert!(r.handles("anything"));
    }

    #[test]
    fn duplicate_routes_are_a_config_error() {
        let r = router().on("A", |_t: Task| async { Ok(Outcome::Complete) });
        let err = r.validate().unwrap_err();
        assert_eq!(err.aws_code(), "InvalidParameterValue");
        assert!(err.to_string().contains("\"A\" is routed more than once"), "{err}");
        assert!(router().validate().is_ok());
        assert!(format!("{:?}", router()).contains("[\"A\", \"B\", \"C\"]"));
    }
}
