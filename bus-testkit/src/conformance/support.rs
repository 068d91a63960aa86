//! Helpers the scenarios share: provisioning, polling receives, labelled messages, descriptions.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bus_core::backend::{QueueStats, Topology};
use bus_core::{Backend, Delivery, Message, ReceiveOptions, Subscription};
use tokio::time::Instant;

use super::error::{ConformanceError, StepExt};

/// Long-poll wait of one receive while waiting for something (whole seconds: SQS takes seconds).
pub(crate) const POLL: Duration = Duration::from_secs(1);
/// How long a scenario waits for messages it expects (AWS delivers asynchronously).
pub(crate) const DELIVERY_TIMEOUT: Duration = Duration::from_secs(20);
/// The final quiet receive after the last expected message: catches stragglers that must not be there.
pub(crate) const QUIET: Duration = Duration::from_secs(1);

/// Applies a topology.
pub(crate) async fn apply(backend: &dyn Backend, topology: &Topology, step: &str) -> Result<(), ConformanceError> {
    backend.apply_topology(topology).await.step(format!("{step}: apply_topology"))
}

/// A consumer of `queue`.
pub(crate) async fn consumer(backend: &dyn Backend, queue: &str) -> Result<Arc<dyn Subscription>, ConformanceError> {
    backend.subscription(queue).await.step(format!("subscription({queue:?})"))
}

/// One receive. If it comes back empty before its wait is over, sleeps the rest of the wait, so loops
/// over a backend that ignores the wait still advance (virtual) time instead of spinning.
pub(crate) async fn receive_once(
    sub: &dyn Subscription,
    options: ReceiveOptions,
    step: &str,
) -> Result<Vec<Delivery>, ConformanceError> {
    let start = Instant::now();
    let got = sub.receive(options).await.step(format!("{step}: receive from {:?}", sub.queue()))?;
    if got.is_empty() {
        if let Some(wait) = options.wait_time {
            let elapsed = start.elapsed();
            if elapsed < wait {
                tokio::time::sleep(wait - elapsed).await;
            }
        }
    }
    Ok(got)
}

/// Receives (without acknowledging) until at least `n` messages came or `timeout` passed; returns
/// what came, which may be fewer than `n`.
pub(crate) async fn receive_until(
    sub: &dyn Subscription,
    n: usize,
    timeout: Duration,
    options: ReceiveOptions,
    step: &str,
) -> Result<Vec<Delivery>, ConformanceError> {
    let deadline = Instant::now() + timeout;
    let mut got = Vec::new();
    while got.len() < n && Instant::now() < deadline {
        got.extend(receive_once(sub, options, step).await?);
    }
    Ok(got)
}

/// Receives exactly `n` messages (without acknowledging), waiting up to [`DELIVERY_TIMEOUT`].
/// Fails when fewer came, or when one receive returned more than were asked for.
pub(crate) async fn expect_deliveries(
    sub: &dyn Subscription,
    n: usize,
    step: &str,
) -> Result<Vec<Delivery>, ConformanceError> {
    let got = receive_until(sub, n, DELIVERY_TIMEOUT, ReceiveOptions::new(10, POLL), step).await?;
    if got.len() < n {
        return Err(ConformanceError::Timeout {
            step: step.to_owned(),
            waited: DELIVERY_TIMEOUT,
            expected: format!("{n} message(s) on queue {:?}", sub.queue()),
            actual: format!("{} message(s): {}", got.len(), describe_deliveries(&got)),
        });
    }
    if got.len() > n {
        return Err(ConformanceError::mismatch(
            step,
            format!("{n} message(s) on queue {:?}", sub.queue()),
            format!("{} message(s): {}", got.len(), describe_deliveries(&got)),
        ));
    }
    Ok(got)
}

/// Receives one message (see [`expect_deliveries`]).
pub(crate) async fn expect_one(sub: &dyn Subscription, step: &str) -> Result<Delivery, ConformanceError> {
    Ok(expect_deliveries(sub, 1, step).await?.remove(0))
}

/// One receive waiting `wait`: nothing may come.
pub(crate) async fn expect_none(sub: &dyn Subscription, wait: Duration, step: &str) -> Result<(), ConformanceError> {
    let got = receive_once(sub, ReceiveOptions::new(10, wait), step).await?;
    if got.is_empty() {
        Ok(())
    } else {
        Err(ConformanceError::mismatch(
            step,
            format!("no message on queue {:?} within {wait:?}", sub.queue()),
            format!("{} message(s): {}", got.len(), describe_deliveries(&got)),
        ))
    }
}

/// Receives and acknowledges until every label of `expected` was seen (or [`DELIVERY_TIMEOUT`]), then
/// once more for [`QUIET`]; returns every delivery, in order.
pub(crate) async fn drain(
    sub: &dyn Subscription,
    expected: &[String],
    step: &str,
) -> Result<Vec<Delivery>, ConformanceError> {
    let deadline = Instant::now() + DELIVERY_TIMEOUT;
    let mut seen: Vec<Delivery> = Vec::new();
    let missing = |seen: &Vec<Delivery>| expected.iter().any(|l| !seen.iter().any(|d| &label(d) == l));
    while missing(&seen) && Instant::now() < deadline {
        let got = receive_once(sub, ReceiveOptions::new(10, POLL), step).await?;
        ack_all(sub, &got, step).await?;
        seen.extend(got);
    }
    let got = receive_once(sub, ReceiveOptions::new(10, QUIET), step).await?;
    ack_all(sub, &got, step).await?;
    seen.extend(got);
    Ok(seen)
}

/// [`drain`], returning the labels.
pub(crate) async fn drain_labels(
    sub: &dyn Subscription,
    expected: &[String],
    step: &str,
) -> Result<Vec<String>, ConformanceError> {
    Ok(drain(sub, expected, step).await?.iter().map(label).collect())
}

/// [`drain`], then checks that exactly the `expected` labels arrived, each exactly once.
pub(crate) async fn expect_exactly(
    sub: &dyn Subscription,
    expected: &[&str],
    step: &str,
) -> Result<Vec<Delivery>, ConformanceError> {
    let expected: Vec<String> = expected.iter().map(|s| (*s).to_owned()).collect();
    let got = drain(sub, &expected, step).await?;
    let labels: Vec<String> = got.iter().map(label).collect();
    check_labels(step, &expected, &labels)?;
    let mut sorted = labels.clone();
    sorted.sort();
    sorted.dedup();
    if sorted.len() != labels.len() {
        return Err(ConformanceError::mismatch(step, "each message once", format!("duplicates in {labels:?}")));
    }
    Ok(got)
}

/// Compares the labels that arrived with the ones expected: each expected label at least once,
/// nothing else.
pub(crate) fn check_labels(step: &str, expected: &[String], seen: &[String]) -> Result<(), ConformanceError> {
    let want: BTreeSet<&str> = expected.iter().map(String::as_str).collect();
    let got: BTreeSet<&str> = seen.iter().map(String::as_str).collect();
    let missing: Vec<&str> = want.difference(&got).copied().collect();
    let extra: Vec<&str> = got.difference(&want).copied().collect();
    if missing.is_empty() && extra.is_empty() {
        return Ok(());
    }
    let mut actual = Vec::new();
    if !missing.is_empty() {
        actual.push(format!("missing {missing:?}"));
    }
    if !extra.is_empty() {
        actual.push(format!("unexpected {extra:?}"));
    }
    Err(ConformanceError::mismatch(step, format!("exactly {want:?}"), format!("{} (seen {seen:?})", actual.join(", "))))
}

/// Acknowledges every delivery.
pub(crate) async fn ack_all(sub: &dyn Subscription, got: &[Delivery], step: &str) -> Result<(), ConformanceError> {
    for d in got {
        sub.ack(&d.receipt_handle).await.step(format!("{step}: ack {}", label(d)))?;
    }
    Ok(())
}

/// A message whose body is `label`.
pub(crate) fn labelled(label: &str) -> Message {
    Message::new(label)
}

/// A message whose body is the JSON object `fields` plus `"label": label`.
pub(crate) fn labelled_json(label: &str, fields: serde_json::Value) -> Message {
    let mut v = match fields {
        serde_json::Value::Object(map) => map,
        other => {
            let mut m = serde_json::Map::new();
            m.insert("value".into(), other);
            m
        }
    };
    v.insert("label".into(), serde_json::Value::String(label.to_owned()));
    Message::new(serde_json::Value::Object(v).to_string())
}

/// The label of a delivery: the body's `"label"` field when the body is a JSON object with one,
/// otherwise the body itself.
pub(crate) fn label(d: &Delivery) -> String {
    body_label(&d.message.body)
}

/// The label of a body (see [`label`]).
pub(crate) fn body_label(body: &str) -> String {
    if let Ok(serde_json::Value::Object(map)) = serde_json::from_str::<serde_json::Value>(body) {
        if let Some(serde_json::Value::String(l)) = map.get("label") {
            return l.clone();
        }
    }
    body.to_owned()
}

/// A short description of a message: body (cut at 80 characters) and attributes.
pub(crate) fn describe(m: &Message) -> String {
    let mut body: String = m.body.chars().take(80).collect();
    if body.len() < m.body.len() {
        body.push('…');
    }
    if m.attributes.is_empty() {
        format!("{body:?}")
    } else {
        let attrs: Vec<String> =
            m.attributes.iter().map(|(k, v)| format!("{k}={}:{}", v.data_type(), v.wire_value())).collect();
        format!("{body:?} [{}]", attrs.join(", "))
    }
}

/// Descriptions of several deliveries.
pub(crate) fn describe_deliveries(ds: &[Delivery]) -> String {
    let v: Vec<String> = ds.iter().map(|d| describe(&d.message)).collect();
    format!("[{}]", v.join("; "))
}

/// Checks that a timestamp is plausible: within a day of the wall clock (not the epoch, not seconds
/// read as milliseconds).
pub(crate) fn sane_time(step: &str, what: &str, t: SystemTime) -> Result<(), ConformanceError> {
    let now = SystemTime::now();
    let off = match now.duration_since(t) {
        Ok(d) => d,
        Err(e) => e.duration(),
    };
    if off <= Duration::from_secs(86_400) {
        Ok(())
    } else {
        Err(ConformanceError::mismatch(
            step,
            format!("{what} within a day of now ({})", humantime::format_rfc3339_millis(now)),
            humantime::format_rfc3339_millis(t).to_string(),
        ))
    }
}

/// Polls `queue_stats` until it equals `expected` (up to [`DELIVERY_TIMEOUT`]).
pub(crate) async fn wait_for_stats(
    backend: &dyn Backend,
    queue: &str,
    expected: QueueStats,
    step: &str,
) -> Result<(), ConformanceError> {
    let deadline = Instant::now() + DELIVERY_TIMEOUT;
    loop {
        let stats = backend.queue_stats(queue).await.step(format!("{step}: queue_stats({queue:?})"))?;
        if stats == expected {
            return Ok(());
        }
        if Instant::now() >= deadline {
            return Err(ConformanceError::Timeout {
                step: step.to_owned(),
                waited: DELIVERY_TIMEOUT,
                expected: format!("{expected:?}"),
                actual: format!("{stats:?}"),
            });
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// A subscription spec with every field spelled out.
pub(crate) fn subscription_spec(
    topic: &str,
    queue: &str,
    policy: Option<serde_json::Value>,
    scope: bus_core::filter::FilterScope,
    raw: bool,
) -> bus_core::backend::SubscriptionSpec {
    bus_core::backend::SubscriptionSpec {
        topic: topic.to_owned(),
        queue: queue.to_owned(),
        filter_policy: policy,
        filter_policy_scope: scope,
        raw_message_delivery: raw,
    }
}

/// A raw-delivery subscription without a policy.
pub(crate) fn raw_subscription(topic: &str, queue: &str) -> bus_core::backend::SubscriptionSpec {
    subscription_spec(topic, queue, None, bus_core::filter::FilterScope::MessageAttributes, true)
}

/// Milliseconds since the epoch (SQS's timestamp precision).
pub(crate) fn millis(t: SystemTime) -> u64 {
    bus_core::envelope::epoch_millis(t)
}
