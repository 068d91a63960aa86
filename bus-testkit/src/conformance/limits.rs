//! AWS's limits, each with its typed error: sizes, attributes, receive parameters, delays, queue
//! attributes, redrive policies and invalid filter policies. Nothing rejected is half-applied.

use std::time::Duration;

use bus_core::backend::{QueueSpec, Topology};
use bus_core::filter::FilterScope;
use bus_core::limits::{SNS_MAX_MESSAGE_BYTES, SQS_MAX_MESSAGE_BYTES};
use bus_core::{AttributeValue, Backend, BusError, Message, ReceiveOptions};
use serde_json::json;

use super::error::{ensure, ensure_eq, expect_err, ConformanceError, StepExt};
use super::names::Names;
use super::support::{
    apply, consumer, expect_exactly, expect_one, labelled, labelled_json, raw_subscription, subscription_spec,
};

/// A JSON message labelled `label` whose wire size (body plus attributes) is exactly `size`.
fn sized(label: &str, size: usize, attribute: Option<(&str, AttributeValue)>) -> Message {
    let with = |pad: usize| {
        let m = labelled_json(label, json!({"pad": "p".repeat(pad)}));
        match &attribute {
            Some((k, v)) => m.with_attribute(*k, v.clone()),
            None => m,
        }
    };
    let base = with(0).wire_size();
    with(size - base)
}

fn too_large(limit: usize, actual: usize) -> impl FnOnce(&BusError) -> bool {
    move |e| matches!(e, BusError::PayloadTooLarge { actual: a, limit: l } if *a == actual && *l == limit)
}

/// SNS accepts a message of exactly 256 KiB (body plus attributes) and delivers it intact; one byte
/// more is `PayloadTooLarge { actual, limit: 262144 }`, whether the byte is in the body or in an
/// attribute. Nothing rejected is delivered.
pub async fn limit_publish_size(backend: &dyn Backend, names: &Names) -> Result<(), ConformanceError> {
    let topic = names.topic("size");
    let queue = names.queue("size");
    let topology =
        Topology::new().topic(&topic).queue(QueueSpec::new(&queue)).subscription(raw_subscription(&topic, &queue));
    apply(backend, &topology, "setup").await?;
    let publisher = backend.publisher();
    let at_limit = sized("at-limit", SNS_MAX_MESSAGE_BYTES, None);
    publisher.publish(&topic, at_limit.clone()).await.step("publish exactly 256 KiB")?;
    let mut errors = Vec::new();
    let over = sized("over-by-body", SNS_MAX_MESSAGE_BYTES + 1, None);
    let r = publisher.publish(&topic, over).await;
    let want = format!("PayloadTooLarge {{ actual: {}, limit: {SNS_MAX_MESSAGE_BYTES} }}", SNS_MAX_MESSAGE_BYTES + 1);
    errors.extend(
        expect_err("publish 256 KiB + 1 byte", r, &want, too_large(SNS_MAX_MESSAGE_BYTES, SNS_MAX_MESSAGE_BYTES + 1))
            .err(),
    );
    let over = sized(
        "over-by-attribute",
        SNS_MAX_MESSAGE_BYTES + 1,
        Some(("note", AttributeValue::String("attributes count".into()))),
    );
    let r = publisher.publish(&topic, over).await;
    errors.extend(
        expect_err(
            "publish 256 KiB + 1 byte counting an attribute",
            r,
            &want,
            too_large(SNS_MAX_MESSAGE_BYTES, SNS_MAX_MESSAGE_BYTES + 1),
        )
        .err(),
    );
    publisher.publish(&topic, labelled("sentinel")).await.step("publish the sentinel")?;
    let sub = consumer(backend, &queue).await?;
    match expect_exactly(&*sub, &["at-limit", "sentinel"], "queue").await {
        Ok(got) => {
            if let Some(d) = got.iter().find(|d| d.message.body.len() > 1_000) {
                errors.extend(ensure_eq("the 256 KiB message's body", &at_limit.body, &d.message.body).err());
            }
        }
        Err(e) => errors.push(e),
    }
    ConformanceError::from_all(errors)
}

/// SQS takes up to 1 MiB on a direct send: exactly 1 MiB arrives intact, one byte more is
/// `PayloadTooLarge { limit: 1048576 }`.
pub async fn limit_sqs_message_size(backend: &dyn Backend, names: &Names) -> Result<(), ConformanceError> {
    let queue = names.queue("sqs-size");
    apply(backend, &Topology::new().queue(QueueSpec::new(&queue)), "setup").await?;
    let at_limit = sized("at-limit", SQS_MAX_MESSAGE_BYTES, None);
    backend.send(&queue, at_limit.clone(), None).await.step("send exactly 1 MiB")?;
    let over = sized("over", SQS_MAX_MESSAGE_BYTES + 1, None);
    let r = backend.send(&queue, over, None).await;
    let want = format!("PayloadTooLarge {{ actual: {}, limit: {SQS_MAX_MESSAGE_BYTES} }}", SQS_MAX_MESSAGE_BYTES + 1);
    expect_err("send 1 MiB + 1 byte", r, &want, too_large(SQS_MAX_MESSAGE_BYTES, SQS_MAX_MESSAGE_BYTES + 1))?;
    let sub = consumer(backend, &queue).await?;
    let d = expect_one(&*sub, "receive the 1 MiB message").await?;
    sub.ack(&d.receipt_handle).await.step("ack")?;
    ensure(
        d.message.body == at_limit.body,
        "the 1 MiB message's body",
        "intact",
        format!("{} bytes", d.message.body.len()),
    )
}

/// At most 10 attributes (`TooManyAttributes { actual: 11, limit: 10 }`); names of `A-Za-z0-9_-.`,
/// not starting with `AWS.`/`Amazon.`, no leading, trailing or double period; values non-empty,
/// Number parseable, String.Array a JSON array (`InvalidAttribute` naming the attribute). Publish and
/// send both check; nothing rejected arrives.
pub async fn limit_attributes(backend: &dyn Backend, names: &Names) -> Result<(), ConformanceError> {
    let topic = names.topic("attrs");
    let queue = names.queue("attrs");
    let topology =
        Topology::new().topic(&topic).queue(QueueSpec::new(&queue)).subscription(raw_subscription(&topic, &queue));
    apply(backend, &topology, "setup").await?;
    let publisher = backend.publisher();
    let with_n = |label: &str, n: usize| {
        (0..n).fold(labelled(label), |m, i| m.with_attribute(format!("a{i}"), AttributeValue::String("v".into())))
    };
    publisher.publish(&topic, with_n("ten-attributes", 10)).await.step("publish 10 attributes")?;
    let mut errors = Vec::new();
    let eleven = |e: &BusError| matches!(e, BusError::TooManyAttributes { actual: 11, limit: 10 });
    let r = publisher.publish(&topic, with_n("eleven-attributes", 11)).await;
    errors.extend(expect_err("publish 11 attributes", r, "TooManyAttributes { actual: 11, limit: 10 }", eleven).err());
    let r = backend.send(&queue, with_n("eleven-sent", 11), None).await;
    errors.extend(expect_err("send 11 attributes", r, "TooManyAttributes { actual: 11, limit: 10 }", eleven).err());

    let bad_names = ["AWS.reserved", "amazon.reserved", ".leading", "trailing.", "double..period", "has space", ""];
    for name in bad_names {
        let m = labelled(&format!("bad-name-{name}")).with_attribute(name, AttributeValue::String("v".into()));
        let r = publisher.publish(&topic, m.clone()).await;
        let want = format!("InvalidAttribute {{ name: {name:?}, .. }}");
        let is = |e: &BusError| matches!(e, BusError::InvalidAttribute { name: n, .. } if n == name);
        errors.extend(expect_err(format!("publish with attribute name {name:?}"), r, &want, is).err());
        let r = backend.send(&queue, m, None).await;
        errors.extend(expect_err(format!("send with attribute name {name:?}"), r, &want, is).err());
    }
    let bad_values = [
        ("empty-string", AttributeValue::String(String::new())),
        ("not-a-number", AttributeValue::Number("abc".into())),
        ("empty-binary", AttributeValue::Binary(Vec::new())),
        ("not-an-array", AttributeValue::StringArray("not json".into())),
    ];
    for (name, value) in bad_values {
        let m = labelled(&format!("bad-value-{name}")).with_attribute(name, value);
        let r = publisher.publish(&topic, m).await;
        let want = format!("InvalidAttribute {{ name: {name:?}, .. }}");
        errors.extend(
            expect_err(
                format!("publish with attribute {name}"),
                r,
                &want,
                |e| matches!(e, BusError::InvalidAttribute { name: n, .. } if n == name),
            )
            .err(),
        );
    }
    publisher.publish(&topic, labelled("sentinel")).await.step("publish the sentinel")?;
    let sub = consumer(backend, &queue).await?;
    if let Err(e) = expect_exactly(&*sub, &["ten-attributes", "sentinel"], "queue (nothing rejected arrives)").await {
        errors.push(e);
    }
    ConformanceError::from_all(errors)
}

fn invalid_parameter(name: &'static str) -> impl Fn(&BusError) -> bool {
    move |e| matches!(e, BusError::InvalidParameter { name: n, .. } if n == name)
}

/// Receive parameters out of range are `InvalidParameter` naming the parameter: max messages 0 and
/// 11 (`MaxNumberOfMessages`), wait 21 s (`WaitTimeSeconds`), visibility 43 201 s on receive and on
/// `change_visibility` (`VisibilityTimeout`). A rejected `change_visibility` changes nothing.
pub async fn limit_receive_parameters(backend: &dyn Backend, names: &Names) -> Result<(), ConformanceError> {
    let queue = names.queue("receive-params");
    apply(backend, &Topology::new().queue(QueueSpec::new(&queue)), "setup").await?;
    let sub = consumer(backend, &queue).await?;
    let mut errors = Vec::new();
    let cases = [
        ("max_messages 0", ReceiveOptions::new(0, Duration::ZERO), "MaxNumberOfMessages"),
        ("max_messages 11", ReceiveOptions::new(11, Duration::ZERO), "MaxNumberOfMessages"),
        ("wait 21 s", ReceiveOptions::new(1, Duration::from_secs(21)), "WaitTimeSeconds"),
        (
            "visibility 43201 s",
            ReceiveOptions::new(1, Duration::ZERO).with_visibility_timeout(Duration::from_secs(43_201)),
            "VisibilityTimeout",
        ),
    ];
    for (what, options, param) in cases {
        let r = sub.receive(options).await;
        let want = format!("InvalidParameter {{ name: {param:?}, .. }}");
        errors.extend(expect_err(format!("receive with {what}"), r, &want, invalid_parameter(param)).err());
    }
    backend.send(&queue, labelled("m"), None).await.step("send")?;
    let d = expect_one(&*sub, "receive").await?;
    let r = sub.change_visibility(&d.receipt_handle, Duration::from_secs(43_201)).await;
    errors.extend(
        expect_err(
            "change_visibility to 43201 s",
            r,
            "InvalidParameter { name: \"VisibilityTimeout\", .. }",
            invalid_parameter("VisibilityTimeout"),
        )
        .err(),
    );
    if let Err(e) =
        super::support::expect_none(&*sub, Duration::from_secs(1), "after the rejected change (still in flight)").await
    {
        errors.push(e);
    }
    sub.ack(&d.receipt_handle).await.step("ack")?;
    ConformanceError::from_all(errors)
}

/// A per-message delay over 900 s is `InvalidParameter { name: "DelaySeconds" }`; 900 s is accepted
/// (and keeps the message hidden).
pub async fn limit_send_delay(backend: &dyn Backend, names: &Names) -> Result<(), ConformanceError> {
    let queue = names.queue("send-delay");
    apply(backend, &Topology::new().queue(QueueSpec::new(&queue)), "setup").await?;
    let r = backend.send(&queue, labelled("delay-901"), Some(Duration::from_secs(901))).await;
    expect_err(
        "send with delay 901 s",
        r,
        "InvalidParameter { name: \"DelaySeconds\", .. }",
        invalid_parameter("DelaySeconds"),
    )?;
    backend.send(&queue, labelled("delay-900"), Some(Duration::from_secs(900))).await.step("send with delay 900 s")?;
    backend.send(&queue, labelled("sentinel"), None).await.step("send the sentinel")?;
    let sub = consumer(backend, &queue).await?;
    expect_exactly(&*sub, &["sentinel"], "queue (the 900 s message is still delayed)").await?;
    Ok(())
}

/// Each out-of-range queue attribute makes `apply_topology` fail with `InvalidParameter` naming
/// the attribute, and creates nothing (not even the topology's valid queues); the extremes of every
/// range are accepted.
pub async fn limit_queue_spec(backend: &dyn Backend, names: &Names) -> Result<(), ConformanceError> {
    let mut errors = Vec::new();
    type Tweak = fn(QueueSpec, &str) -> QueueSpec;
    let cases: [(&str, Tweak, &'static str); 7] = [
        ("delay 901 s", |q, _| q.with_delay(Duration::from_secs(901)), "DelaySeconds"),
        ("visibility 43201 s", |q, _| q.with_visibility_timeout(Duration::from_secs(43_201)), "VisibilityTimeout"),
        ("retention 59 s", |q, _| q.with_retention(Duration::from_secs(59)), "MessageRetentionPeriod"),
        ("retention 14 days + 1 s", |q, _| q.with_retention(Duration::from_secs(1_209_601)), "MessageRetentionPeriod"),
        ("receive wait 21 s", |q, _| q.with_receive_wait(Duration::from_secs(21)), "ReceiveMessageWaitTimeSeconds"),
        ("maxReceiveCount 0", |q, dlq| q.with_dead_letter_queue(dlq, 0), "RedrivePolicy"),
        ("maxReceiveCount 1001", |q, dlq| q.with_dead_letter_queue(dlq, 1001), "RedrivePolicy"),
    ];
    for (what, tweak, param) in cases {
        let dlq = names.queue("bad-spec-dlq");
        let queue = names.queue("bad-spec");
        let topology = Topology::new().queue(QueueSpec::new(&dlq)).queue(tweak(QueueSpec::new(&queue), &dlq));
        let r = backend.apply_topology(&topology).await;
        let want = format!("InvalidParameter {{ name: {param:?}, .. }}");
        errors.extend(expect_err(format!("apply a queue with {what}"), r, &want, invalid_parameter(param)).err());
        for q in [&dlq, &queue] {
            let r = backend.queue_stats(q).await;
            errors.extend(
                expect_err(
                    format!("after the rejected topology ({what}): queue {q}"),
                    r,
                    "QueueNotFound (nothing created)",
                    |e| matches!(e, BusError::QueueNotFound(_)),
                )
                .err(),
            );
        }
    }
    let dlq = names.queue("edge-dlq");
    let topology = Topology::new()
        .queue(QueueSpec::new(&dlq).with_retention(Duration::from_secs(1_209_600)))
        .queue(
            QueueSpec::new(names.queue("edge-1")).with_dead_letter_queue(&dlq, 1).with_delay(Duration::from_secs(900)),
        )
        .queue(
            QueueSpec::new(names.queue("edge-2"))
                .with_dead_letter_queue(&dlq, 1000)
                .with_visibility_timeout(Duration::from_secs(43_200))
                .with_retention(Duration::from_secs(60))
                .with_receive_wait(Duration::from_secs(20)),
        );
    if let Err(e) = apply(backend, &topology, "queues at the edges of every range").await {
        errors.push(e);
    }
    ConformanceError::from_all(errors)
}

/// An invalid filter policy makes `apply_topology` fail with `InvalidFilterPolicy` carrying AWS's
/// reason text (recorded against AWS), and creates none of the topology's topic, queue or
/// subscription.
pub async fn limit_invalid_filter_policy(backend: &dyn Backend, names: &Names) -> Result<(), ConformanceError> {
    let mut many_values = serde_json::Map::new();
    many_values.insert("key1".into(), json!((0..100).map(|i| format!("value{i}")).collect::<Vec<_>>()));
    many_values.insert("key2".into(), json!((0..51).map(|i| format!("value{i}")).collect::<Vec<_>>()));
    let cases = [
        (json!({"key": []}), FilterScope::MessageAttributes, "Empty arrays are not allowed"),
        (
            json!({"key": [{"suffix": "value", "prefix": "value2"}]}),
            FilterScope::MessageAttributes,
            "Only one key allowed in match expression",
        ),
        (
            json!({"key": [{"exists": "no"}]}),
            FilterScope::MessageAttributes,
            "exists match pattern must be either true or false.",
        ),
        (
            json!({"key": [{"numeric": [">", 3, "<", 1]}]}),
            FilterScope::MessageAttributes,
            "Bottom must be less than top",
        ),
        (json!({"key": [{"suffix": null}]}), FilterScope::MessageAttributes, "suffix match pattern must be a string"),
        (
            json!({"key1": ["v"], "key2": ["v"], "key3": ["v"], "key4": ["v"], "key5": ["v"], "key6": ["v"]}),
            FilterScope::MessageAttributes,
            "Filter policy can not have more than 5 keys",
        ),
        (serde_json::Value::Object(many_values), FilterScope::MessageAttributes, "Filter policy is too complex"),
        (
            json!({"key": {"nested": ["value"]}}),
            FilterScope::MessageAttributes,
            "Filter policy scope MessageAttributes does not support nested filter policy",
        ),
        (json!({"key": "value"}), FilterScope::MessageBody, "\"key\" must be an object or an array"),
    ];
    let mut errors = Vec::new();
    for (policy, scope, reason) in cases {
        let topic = names.topic("bad-policy");
        let queue = names.queue("bad-policy");
        let topology = Topology::new().topic(&topic).queue(QueueSpec::new(&queue)).subscription(subscription_spec(
            &topic,
            &queue,
            Some(policy.clone()),
            scope,
            false,
        ));
        let step = format!("apply {} policy {policy}", scope.as_str());
        let r = backend.apply_topology(&topology).await;
        let want = format!("InvalidFilterPolicy with reason containing {reason:?}");
        errors.extend(
            expect_err(&step, r, &want, |e| matches!(e, BusError::InvalidFilterPolicy(f) if f.reason.contains(reason)))
                .err(),
        );
        let r = backend.queue_stats(&queue).await;
        errors.extend(
            expect_err(format!("{step}: queue afterwards"), r, "QueueNotFound (nothing created)", |e| {
                matches!(e, BusError::QueueNotFound(_))
            })
            .err(),
        );
        let r = backend.publisher().publish(&topic, labelled("x")).await;
        errors.extend(
            expect_err(format!("{step}: topic afterwards"), r, "TopicNotFound (nothing created)", |e| {
                matches!(e, BusError::TopicNotFound(_))
            })
            .err(),
        );
    }
    ConformanceError::from_all(errors)
}
