//! `apply_topology` is idempotent, and updates resources in place.

use std::time::Duration;

use bus_core::backend::{QueueSpec, Topology};
use bus_core::filter::FilterScope;
use bus_core::{AttributeValue, Backend, Message, ReceiveOptions};
use serde_json::json;

use super::error::{ensure, ensure_eq, ConformanceError, StepExt};
use super::names::Names;
use super::support::{apply, consumer, expect_exactly, expect_one, labelled, receive_until, subscription_spec, POLL};

fn keyed(label: &str, k: &str) -> Message {
    labelled(label).with_attribute("k", AttributeValue::String(k.into()))
}

/// Applying the same topology a second time changes nothing: a message published before the
/// re-apply is still there, and each later publish arrives once per queue (no duplicated
/// subscription), with the same raw setting as before.
pub async fn topology_reapply_is_noop(backend: &dyn Backend, names: &Names) -> Result<(), ConformanceError> {
    let topic = names.topic("reapply");
    let plain = names.queue("reapply-plain");
    let filtered = names.queue("reapply-filtered");
    let topology = Topology::new()
        .topic(&topic)
        .queue(QueueSpec::new(&plain))
        .queue(QueueSpec::new(&filtered).with_visibility_timeout(Duration::from_secs(20)))
        .subscribe(&topic, &plain)
        .subscription(subscription_spec(
            &topic,
            &filtered,
            Some(json!({"k": ["v"]})),
            FilterScope::MessageAttributes,
            true,
        ));
    apply(backend, &topology, "first apply").await?;
    let publisher = backend.publisher();
    publisher.publish(&topic, keyed("before", "v")).await.step("publish before the re-apply")?;
    apply(backend, &topology, "second apply").await?;
    apply(backend, &topology, "third apply").await?;
    publisher.publish(&topic, keyed("after-other", "other")).await.step("publish a non-matching message")?;
    publisher.publish(&topic, keyed("after", "v")).await.step("publish after the re-apply")?;
    let sub = consumer(backend, &plain).await?;
    let got = expect_exactly(&*sub, &["before", "after-other", "after"], "unfiltered queue after re-applying").await?;
    ensure(got.iter().all(|d| d.notification.is_some()), "unfiltered queue", "enveloped deliveries", "a raw one")?;
    let sub = consumer(backend, &filtered).await?;
    let got = expect_exactly(&*sub, &["before", "after"], "filtered raw queue after re-applying").await?;
    ensure(got.iter().all(|d| d.notification.is_none()), "filtered queue", "raw deliveries", "an enveloped one")?;
    Ok(())
}

/// Re-applying with a changed filter policy and raw setting affects the next publishes: first
/// `k = a` passes (enveloped), then `k = b` passes (raw), then, with the policy removed, everything.
pub async fn topology_policy_change_takes_effect(backend: &dyn Backend, names: &Names) -> Result<(), ConformanceError> {
    let topic = names.topic("policy-change");
    let queue = names.queue("policy-change");
    let with = |policy: Option<serde_json::Value>, raw: bool| {
        Topology::new().topic(&topic).queue(QueueSpec::new(&queue)).subscription(subscription_spec(
            &topic,
            &queue,
            policy,
            FilterScope::MessageAttributes,
            raw,
        ))
    };
    let publisher = backend.publisher();
    let sub = {
        apply(backend, &with(Some(json!({"k": ["a"]})), false), "apply policy k = a, enveloped").await?;
        consumer(backend, &queue).await?
    };
    publisher.publish(&topic, keyed("b-1", "b")).await.step("publish b-1")?;
    publisher.publish(&topic, keyed("a-1", "a")).await.step("publish a-1")?;
    let got = expect_exactly(&*sub, &["a-1"], "with policy k = a").await?;
    ensure(got[0].notification.is_some(), "with raw delivery off", "an envelope", "none")?;

    apply(backend, &with(Some(json!({"k": ["b"]})), true), "re-apply with policy k = b, raw").await?;
    publisher.publish(&topic, keyed("a-2", "a")).await.step("publish a-2")?;
    publisher.publish(&topic, keyed("b-2", "b")).await.step("publish b-2")?;
    let got = expect_exactly(&*sub, &["b-2"], "with policy k = b").await?;
    ensure(got[0].notification.is_none(), "with raw delivery on", "no envelope", "an envelope")?;

    apply(backend, &with(None, true), "re-apply without a policy").await?;
    publisher.publish(&topic, keyed("c-3", "c")).await.step("publish c-3")?;
    expect_exactly(&*sub, &["c-3"], "without a policy").await?;
    Ok(())
}

/// Re-applying a queue with a shorter visibility timeout (30 s to 1 s) updates it in place: the
/// message sent before is still there, and once received it comes back after about 1 s.
pub async fn topology_queue_update_in_place(backend: &dyn Backend, names: &Names) -> Result<(), ConformanceError> {
    let queue = names.queue("update-in-place");
    apply(backend, &Topology::new().queue(QueueSpec::new(&queue)), "apply with visibility 30 s").await?;
    backend.send(&queue, labelled("kept"), None).await.step("send")?;
    apply(
        backend,
        &Topology::new().queue(QueueSpec::new(&queue).with_visibility_timeout(Duration::from_secs(1))),
        "re-apply with visibility 1 s",
    )
    .await?;
    let sub = consumer(backend, &queue).await?;
    let first = expect_one(&*sub, "receive after the update (message kept)").await?;
    ensure_eq("receive count", &1, &first.receive_count)?;
    let got = receive_until(&*sub, 1, Duration::from_secs(10), ReceiveOptions::new(10, POLL), "redelivery").await?;
    let again = got.first().ok_or_else(|| ConformanceError::Timeout {
        step: "redelivery with the updated 1 s visibility timeout".into(),
        waited: Duration::from_secs(10),
        expected: "the message back after about 1 s".into(),
        actual: "nothing".into(),
    })?;
    ensure_eq("redelivery: receive count", &2, &again.receive_count)?;
    sub.ack(&again.receipt_handle).await.step("ack")
}
