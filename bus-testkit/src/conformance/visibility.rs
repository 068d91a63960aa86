//! Visibility timeouts and redelivery: receive counts, new receipt handles, change_visibility.

use std::time::Duration;

use bus_core::backend::{QueueSpec, Topology};
use bus_core::{Backend, Delivery, Message, ReceiveOptions, Subscription};
use tokio::time::Instant;

use super::error::{ensure, ensure_eq, ConformanceError, StepExt};
use super::names::Names;
use super::support::{apply, consumer, expect_none, expect_one, receive_until, POLL};

/// Slack for a real server's clock and request latency when checking that something did not happen
/// too early.
const EARLY_SLACK: Duration = Duration::from_millis(300);

async fn queue_with_one(
    backend: &dyn Backend,
    names: &Names,
    role: &str,
    visibility: Duration,
) -> Result<std::sync::Arc<dyn Subscription>, ConformanceError> {
    let queue = names.queue(role);
    apply(backend, &Topology::new().queue(QueueSpec::new(&queue).with_visibility_timeout(visibility)), "setup").await?;
    backend.send(&queue, Message::new(role), None).await.step("send")?;
    consumer(backend, &queue).await
}

/// Waits up to `timeout` for the message to come back; checks it is the same message, counted
/// once more, with a new receipt handle, and not earlier than `not_before` after `since`.
async fn expect_redelivery(
    sub: &dyn Subscription,
    first: &Delivery,
    since: Instant,
    not_before: Duration,
    timeout: Duration,
    step: &str,
) -> Result<Delivery, ConformanceError> {
    let got = receive_until(sub, 1, timeout, ReceiveOptions::new(10, POLL), step).await?;
    let again = got.into_iter().next().ok_or_else(|| ConformanceError::Timeout {
        step: step.to_owned(),
        waited: timeout,
        expected: "the unacknowledged message to come back".into(),
        actual: "nothing".into(),
    })?;
    let after = since.elapsed();
    ensure(
        after + EARLY_SLACK >= not_before,
        step,
        format!("the message hidden for {not_before:?}"),
        format!("it came back after {after:?}"),
    )?;
    ensure_eq(format!("{step}: message id"), &first.message_id, &again.message_id)?;
    ensure_eq(format!("{step}: receive count"), &(first.receive_count + 1), &again.receive_count)?;
    ensure(
        again.receipt_handle != first.receipt_handle,
        format!("{step}: receipt handle"),
        "a new receipt handle",
        "the previous one",
    )?;
    Ok(again)
}

/// A queue with a 1 s visibility timeout: the received, unacknowledged message is hidden at once,
/// then comes back after about 1 s with receive count 2 and a new receipt handle.
pub async fn visibility_timeout_redelivers(backend: &dyn Backend, names: &Names) -> Result<(), ConformanceError> {
    let sub = queue_with_one(backend, names, "vis-redeliver", Duration::from_secs(1)).await?;
    let first = expect_one(&*sub, "first receive").await?;
    let since = Instant::now();
    ensure_eq("first receive: receive count", &1, &first.receive_count)?;
    expect_none(&*sub, Duration::ZERO, "right after the first receive").await?;
    let again =
        expect_redelivery(&*sub, &first, since, Duration::from_secs(1), Duration::from_secs(10), "redelivery").await?;
    sub.ack(&again.receipt_handle).await.step("ack")
}

/// A receive's own visibility timeout (1 s) overrides the queue's (30 s).
pub async fn visibility_per_receive_timeout(backend: &dyn Backend, names: &Names) -> Result<(), ConformanceError> {
    let sub = queue_with_one(backend, names, "vis-per-receive", Duration::from_secs(30)).await?;
    let options = ReceiveOptions::new(10, POLL).with_visibility_timeout(Duration::from_secs(1));
    let got = receive_until(&*sub, 1, super::support::DELIVERY_TIMEOUT, options, "first receive").await?;
    let first = got
        .into_iter()
        .next()
        .ok_or_else(|| ConformanceError::mismatch("first receive (visibility 1 s)", "the message", "nothing"))?;
    let since = Instant::now();
    expect_none(&*sub, Duration::ZERO, "right after the first receive").await?;
    let again =
        expect_redelivery(&*sub, &first, since, Duration::from_secs(1), Duration::from_secs(10), "redelivery").await?;
    sub.ack(&again.receipt_handle).await.step("ack")
}

/// On a queue with a 30 s visibility timeout, `change_visibility(handle, 0)` makes the message
/// visible at once.
pub async fn visibility_change_to_zero(backend: &dyn Backend, names: &Names) -> Result<(), ConformanceError> {
    let sub = queue_with_one(backend, names, "vis-zero", Duration::from_secs(30)).await?;
    let first = expect_one(&*sub, "first receive").await?;
    let since = Instant::now();
    sub.change_visibility(&first.receipt_handle, Duration::ZERO).await.step("change_visibility(0)")?;
    let again = expect_redelivery(
        &*sub,
        &first,
        since,
        Duration::ZERO,
        Duration::from_secs(5),
        "receive after change_visibility(0)",
    )
    .await?;
    sub.ack(&again.receipt_handle).await.step("ack")
}

/// On a queue with a 1 s visibility timeout, extending to 4 s keeps the message hidden past 1 s
/// (and past 2 s); it comes back after about 4 s.
pub async fn visibility_extend_keeps_hidden(backend: &dyn Backend, names: &Names) -> Result<(), ConformanceError> {
    let sub = queue_with_one(backend, names, "vis-extend", Duration::from_secs(1)).await?;
    let first = expect_one(&*sub, "first receive").await?;
    let since = Instant::now();
    sub.change_visibility(&first.receipt_handle, Duration::from_secs(4)).await.step("change_visibility(4 s)")?;
    expect_none(&*sub, Duration::from_secs(2), "during the extended visibility").await?;
    let again =
        expect_redelivery(&*sub, &first, since, Duration::from_secs(4), Duration::from_secs(10), "redelivery").await?;
    sub.ack(&again.receipt_handle).await.step("ack")
}

/// A message acknowledged within its (1 s) visibility timeout never comes back.
pub async fn ack_deletes_for_good(backend: &dyn Backend, names: &Names) -> Result<(), ConformanceError> {
    let sub = queue_with_one(backend, names, "ack", Duration::from_secs(1)).await?;
    let first = expect_one(&*sub, "receive").await?;
    sub.ack(&first.receipt_handle).await.step("ack")?;
    expect_none(&*sub, Duration::from_secs(3), "after ack, past the visibility timeout").await
}
