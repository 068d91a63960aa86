//! Batches: per-entry failures beside successes, and request-level errors that fail the whole call.

use std::collections::BTreeSet;
use std::time::Duration;

use bus_core::backend::{BatchEntry, BatchOutcome, QueueSpec, Topology};
use bus_core::{AttributeValue, Backend, BusError, Delivery, Message, ReceiptHandle};

use super::error::{ensure, ensure_eq, expect_err, ConformanceError, StepExt};
use super::names::Names;
use super::support::{
    apply, consumer, expect_deliveries, expect_exactly, label, labelled, labelled_json, raw_subscription,
};

const BOGUS_HANDLE: &str = "bogus-receipt-handle";

fn ids<'a>(v: impl IntoIterator<Item = &'a String>) -> BTreeSet<String> {
    v.into_iter().cloned().collect()
}

fn check_outcome(step: &str, outcome: &BatchOutcome, ok: &[&str], bad: &str) -> Result<(), ConformanceError> {
    ensure_eq(
        format!("{step}: successful ids"),
        &ok.iter().map(|s| (*s).to_owned()).collect::<BTreeSet<_>>(),
        &ids(&outcome.successful),
    )?;
    ensure_eq(
        format!("{step}: failed ids"),
        &vec![bad.to_owned()],
        &outcome.failed.iter().map(|f| f.id.clone()).collect::<Vec<_>>(),
    )?;
    let f = &outcome.failed[0];
    ensure_eq(format!("{step}: error code of the bogus handle"), "ReceiptHandleIsInvalid", f.code.as_str())?;
    ensure(f.sender_fault, format!("{step}: SenderFault"), "true", "false")
}

/// `publish_batch` with one entry whose attribute is invalid (an empty String value): that entry is
/// reported failed (sender fault, with a code), the two others are published and delivered.
pub async fn batch_publish_partial_failure(backend: &dyn Backend, names: &Names) -> Result<(), ConformanceError> {
    let topic = names.topic("batch-partial");
    let queue = names.queue("batch-partial");
    let topology =
        Topology::new().topic(&topic).queue(QueueSpec::new(&queue)).subscription(raw_subscription(&topic, &queue));
    apply(backend, &topology, "setup").await?;
    let entries = vec![
        BatchEntry::new("ok-1", labelled("ok-1")),
        BatchEntry::new("bad", labelled("bad").with_attribute("empty", AttributeValue::String(String::new()))),
        BatchEntry::new("ok-2", labelled("ok-2")),
    ];
    let out = backend.publisher().publish_batch(&topic, entries).await.step("publish_batch")?;
    ensure_eq(
        "publish_batch: successful ids",
        &ids(&["ok-1".to_owned(), "ok-2".to_owned()]),
        &out.successful.iter().map(|(id, _)| id.clone()).collect(),
    )?;
    let message_ids: BTreeSet<&str> = out.successful.iter().map(|(_, r)| r.message_id.as_str()).collect();
    ensure(
        message_ids.len() == 2 && !message_ids.contains(""),
        "publish_batch: message ids",
        "two distinct non-empty ids",
        format!("{message_ids:?}"),
    )?;
    ensure_eq(
        "publish_batch: failed ids",
        &vec!["bad".to_owned()],
        &out.failed.iter().map(|f| f.id.clone()).collect(),
    )?;
    ensure(out.failed[0].sender_fault, "publish_batch: failed entry SenderFault", "true", "false")?;
    ensure(!out.failed[0].code.is_empty(), "publish_batch: failed entry code", "an AWS error code", "empty")?;
    let sub = consumer(backend, &queue).await?;
    expect_exactly(&*sub, &["ok-1", "ok-2"], "queue after publish_batch").await?;
    Ok(())
}

/// Request-level errors fail the whole `publish_batch` and publish nothing: no entries
/// (`EmptyBatch`), 11 entries (`TooManyEntriesInBatch`), a repeated id (`BatchEntryIdsNotDistinct`),
/// one entry over 256 KiB and two entries of 140 KiB (`BatchRequestTooLong`: the batch's total is
/// limited to 256 KiB). A sentinel published afterwards is the only message that arrives.
pub async fn batch_publish_request_errors(backend: &dyn Backend, names: &Names) -> Result<(), ConformanceError> {
    let topic = names.topic("batch-errors");
    let queue = names.queue("batch-errors");
    let topology =
        Topology::new().topic(&topic).queue(QueueSpec::new(&queue)).subscription(raw_subscription(&topic, &queue));
    apply(backend, &topology, "setup").await?;
    let publisher = backend.publisher();
    let mut errors = Vec::new();

    let r = publisher.publish_batch(&topic, Vec::new()).await;
    errors.extend(
        expect_err("publish_batch with no entries", r, "EmptyBatch", |e| matches!(e, BusError::EmptyBatch)).err(),
    );

    let eleven: Vec<BatchEntry> =
        (0..11).map(|i| BatchEntry::new(format!("e{i}"), labelled(&format!("eleven-{i}")))).collect();
    let r = publisher.publish_batch(&topic, eleven).await;
    errors.extend(
        expect_err("publish_batch with 11 entries", r, "TooManyEntriesInBatch { actual: 11, limit: 10 }", |e| {
            matches!(e, BusError::TooManyEntriesInBatch { actual: 11, limit: 10 })
        })
        .err(),
    );

    let dup = vec![BatchEntry::new("same", labelled("dup-1")), BatchEntry::new("same", labelled("dup-2"))];
    let r = publisher.publish_batch(&topic, dup).await;
    errors.extend(
        expect_err(
            "publish_batch with a repeated id",
            r,
            "BatchEntryIdsNotDistinct { id: \"same\" }",
            |e| matches!(e, BusError::BatchEntryIdsNotDistinct { id } if id == "same"),
        )
        .err(),
    );

    let big =
        labelled_json("oversize", serde_json::json!({"pad": "x".repeat(bus_core::limits::SNS_MAX_MESSAGE_BYTES)}));
    let r = publisher
        .publish_batch(&topic, vec![BatchEntry::new("small", labelled("small")), BatchEntry::new("big", big)])
        .await;
    errors.extend(
        expect_err(
            "publish_batch with one entry over 256 KiB",
            r,
            "BatchRequestTooLong (the total is over 256 KiB)",
            |e| matches!(e, BusError::BatchRequestTooLong { .. }),
        )
        .err(),
    );

    let half = |l: &str| labelled_json(l, serde_json::json!({"pad": "y".repeat(140 * 1024)}));
    let r = publisher
        .publish_batch(&topic, vec![BatchEntry::new("h1", half("half-1")), BatchEntry::new("h2", half("half-2"))])
        .await;
    errors.extend(
        expect_err("publish_batch of two 140 KiB entries", r, "BatchRequestTooLong { limit: 262144, .. }", |e| {
            matches!(e, BusError::BatchRequestTooLong { limit: 262_144, .. })
        })
        .err(),
    );

    publisher.publish(&topic, labelled("sentinel")).await.step("publish the sentinel")?;
    let sub = consumer(backend, &queue).await?;
    if let Err(e) =
        expect_exactly(&*sub, &["sentinel"], "queue after the failed batches (nothing half-published)").await
    {
        errors.push(e);
    }
    ConformanceError::from_all(errors)
}

async fn three_in_flight(
    backend: &dyn Backend,
    names: &Names,
    role: &str,
) -> Result<(std::sync::Arc<dyn bus_core::Subscription>, Vec<Delivery>), ConformanceError> {
    let queue = names.queue(role);
    apply(backend, &Topology::new().queue(QueueSpec::new(&queue)), "setup").await?;
    for l in ["m1", "m2", "m3"] {
        backend.send(&queue, Message::new(l), None).await.step(format!("send {l}"))?;
    }
    let sub = consumer(backend, &queue).await?;
    let mut got = expect_deliveries(&*sub, 3, "receive the three messages").await?;
    got.sort_by_key(label);
    Ok((sub, got))
}

/// `ack_batch` with a bogus receipt handle between two good ones: the bogus entry fails with
/// `ReceiptHandleIsInvalid`, the two others are deleted; the third message is still in flight.
pub async fn batch_ack_partial_failure(backend: &dyn Backend, names: &Names) -> Result<(), ConformanceError> {
    let (sub, got) = three_in_flight(backend, names, "ack-batch").await?;
    let entries = vec![
        ("a".to_owned(), got[0].receipt_handle.clone()),
        ("b".to_owned(), ReceiptHandle(BOGUS_HANDLE.into())),
        ("c".to_owned(), got[2].receipt_handle.clone()),
    ];
    let out = sub.ack_batch(entries).await.step("ack_batch")?;
    check_outcome("ack_batch", &out, &["a", "c"], "b")?;
    sub.change_visibility(&got[1].receipt_handle, Duration::ZERO).await.step("change_visibility(m2, 0)")?;
    let left = expect_exactly(&*sub, &["m2"], "queue after ack_batch (m1 and m3 deleted)").await?;
    ensure_eq("m2 receive count", &2, &left[0].receive_count)
}

/// `change_visibility_batch` with a bogus handle: that entry fails with `ReceiptHandleIsInvalid`,
/// the good one makes its message visible at once; the untouched one stays hidden.
pub async fn batch_change_visibility_partial_failure(
    backend: &dyn Backend,
    names: &Names,
) -> Result<(), ConformanceError> {
    let (sub, got) = three_in_flight(backend, names, "vis-batch").await?;
    let entries = vec![
        ("a".to_owned(), got[0].receipt_handle.clone(), Duration::ZERO),
        ("b".to_owned(), ReceiptHandle(BOGUS_HANDLE.into()), Duration::ZERO),
    ];
    let out = sub.change_visibility_batch(entries).await.step("change_visibility_batch")?;
    check_outcome("change_visibility_batch", &out, &["a"], "b")?;
    expect_exactly(&*sub, &["m1"], "queue after change_visibility_batch (only m1 visible)").await?;
    Ok(())
}

/// Request-level errors of `ack_batch` and `change_visibility_batch`: no entries, 11 entries, a
/// repeated id. Nothing is half-applied: the message whose real handle was in the failed batches is
/// still in flight afterwards.
pub async fn batch_ack_request_errors(backend: &dyn Backend, names: &Names) -> Result<(), ConformanceError> {
    let queue = names.queue("ack-batch-errors");
    apply(backend, &Topology::new().queue(QueueSpec::new(&queue)), "setup").await?;
    backend.send(&queue, Message::new("kept"), None).await.step("send")?;
    let sub = consumer(backend, &queue).await?;
    let d = expect_deliveries(&*sub, 1, "receive").await?.remove(0);
    let h = d.receipt_handle.clone();
    let mut errors = Vec::new();

    let r = sub.ack_batch(Vec::new()).await;
    errors
        .extend(expect_err("ack_batch with no entries", r, "EmptyBatch", |e| matches!(e, BusError::EmptyBatch)).err());
    let eleven: Vec<(String, ReceiptHandle)> = (0..11).map(|i| (format!("e{i}"), h.clone())).collect();
    let r = sub.ack_batch(eleven).await;
    errors.extend(
        expect_err("ack_batch with 11 entries", r, "TooManyEntriesInBatch { actual: 11, .. }", |e| {
            matches!(e, BusError::TooManyEntriesInBatch { actual: 11, .. })
        })
        .err(),
    );
    let r = sub.ack_batch(vec![("x".into(), h.clone()), ("x".into(), ReceiptHandle(BOGUS_HANDLE.into()))]).await;
    errors.extend(
        expect_err("ack_batch with a repeated id", r, "BatchEntryIdsNotDistinct", |e| {
            matches!(e, BusError::BatchEntryIdsNotDistinct { .. })
        })
        .err(),
    );

    let r = sub.change_visibility_batch(Vec::new()).await;
    errors.extend(
        expect_err("change_visibility_batch with no entries", r, "EmptyBatch", |e| matches!(e, BusError::EmptyBatch))
            .err(),
    );
    let eleven: Vec<(String, ReceiptHandle, Duration)> =
        (0..11).map(|i| (format!("e{i}"), h.clone(), Duration::ZERO)).collect();
    let r = sub.change_visibility_batch(eleven).await;
    errors.extend(
        expect_err("change_visibility_batch with 11 entries", r, "TooManyEntriesInBatch { actual: 11, .. }", |e| {
            matches!(e, BusError::TooManyEntriesInBatch { actual: 11, .. })
        })
        .err(),
    );
    let r = sub
        .change_visibility_batch(vec![("x".into(), h.clone(), Duration::ZERO), ("x".into(), h.clone(), Duration::ZERO)])
        .await;
    errors.extend(
        expect_err("change_visibility_batch with a repeated id", r, "BatchEntryIdsNotDistinct", |e| {
            matches!(e, BusError::BatchEntryIdsNotDistinct { .. })
        })
        .err(),
    );

    // Nothing was applied: the message is still in flight under its 30 s visibility timeout.
    if let Err(e) = super::support::expect_none(&*sub, Duration::from_secs(1), "after the failed batches").await {
        errors.push(e);
    }
    sub.change_visibility(&h, Duration::ZERO).await.step("change_visibility(0) with the real handle")?;
    if let Err(e) = expect_exactly(&*sub, &["kept"], "the message after the failed batches (not deleted)").await {
        errors.push(e);
    }
    ConformanceError::from_all(errors)
}
