//! Publish → SNS → SQS → receive against the local server: envelope and raw delivery, every attribute
//! type, filter policies, FIFO, direct sends, stats and purge.

use crate::common;

use std::time::Duration;

use bus_core::backend::{QueueSpec, SubscriptionSpec, TopicSpec};
use bus_core::filter::FilterScope;
use bus_core::{AttributeValue, Backend, Message, PublisherExt, Topology};
use common::{backend, caps, receive_for, receive_n, unique, DELIVERY_TIMEOUT};
use serde_json::json;

fn sub(topic: &str, queue: &str, policy: Option<serde_json::Value>, scope: FilterScope, raw: bool) -> SubscriptionSpec {
    SubscriptionSpec {
        topic: topic.into(),
        queue: queue.into(),
        filter_policy: policy,
        filter_policy_scope: scope,
        raw_message_delivery: raw,
    }
}

fn all_types(m: Message) -> Message {
    m.with_attribute("s", "text value")
        .with_attribute("n", AttributeValue::Number("-12.5".into()))
        .with_attribute("arr", AttributeValue::StringArray(r#"["a",1,true,null]"#.into()))
        .with_attribute("bin", AttributeValue::Binary(vec![0, 1, 2, 254, 255]))
}

#[tokio::test]
async fn envelope_and_raw_delivery_carry_the_body_and_every_attribute_type() {
    let b = backend().await;
    let (topic, env_q, raw_q) = (unique("msg-t"), unique("msg-env"), unique("msg-raw"));
    let topology = Topology::new()
        .topic(&topic)
        .queue(QueueSpec::new(&env_q))
        .queue(QueueSpec::new(&raw_q))
        .subscribe(&topic, &env_q)
        .subscription(sub(&topic, &raw_q, None, FilterScope::MessageAttributes, true));
    b.apply_topology(&topology).await.unwrap();

    let mut message = all_types(Message::new(r#"{"type":"USER_CREATED","data":{"id":7}}"#));
    if !caps().raw_delivery_binary_attributes {
        // moto stores a raw-delivered Binary attribute so that every receive of the queue fails.
        message.attributes.remove("bin");
    }
    let receipt = b.publisher().publish(&topic, message.clone()).await.unwrap();
    assert!(!receipt.message_id.is_empty());

    let env = b.subscription(&env_q).await.unwrap();
    let got = receive_n(&*env, 1, DELIVERY_TIMEOUT).await;
    assert_eq!(got.len(), 1);
    let d = &got[0];
    let n = d.notification.as_ref().expect("enveloped delivery has the SNS notification");
    assert_eq!(n.message_id, receipt.message_id);
    assert!(n.topic_arn.ends_with(&format!(":{topic}")));
    assert_eq!(d.message.body, message.body);
    assert_eq!(d.message.attributes, message.attributes, "envelope attributes round trip");
    assert_eq!(d.event_type(), Some("USER_CREATED"));
    assert_eq!(d.receive_count, 1);
    assert!(d.sent_at <= std::time::SystemTime::now() + Duration::from_secs(5));
    assert!(d.raw_body.contains("\"Type\""));
    env.ack(&d.receipt_handle).await.unwrap();

    let raw = b.subscription(&raw_q).await.unwrap();
    let got = receive_n(&*raw, 1, DELIVERY_TIMEOUT).await;
    assert_eq!(got.len(), 1);
    let d = &got[0];
    assert!(d.notification.is_none(), "raw delivery has no envelope");
    assert_eq!(d.raw_body, message.body);
    assert_eq!(d.message.body, message.body);
    assert_eq!(d.message.attributes, message.attributes, "SQS attributes of raw delivery map back one to one");
    assert_eq!(d.event.as_ref().map(|e| e.data["id"].clone()), Some(json!(7)));
    raw.ack(&d.receipt_handle).await.unwrap();
    assert_eq!(b.queue_stats(&env_q).await.unwrap().total() + b.queue_stats(&raw_q).await.unwrap().total(), 0);
}

#[tokio::test]
async fn binary_attributes_round_trip_through_the_envelope() {
    let b = backend().await;
    let (topic, q) = (unique("bin-t"), unique("bin-q"));
    b.apply_topology(&Topology::new().topic(&topic).queue(QueueSpec::new(&q)).subscribe(&topic, &q)).await.unwrap();
    let message = all_types(Message::new("binary inside"));
    b.publisher().publish(&topic, message.clone()).await.unwrap();
    let s = b.subscription(&q).await.unwrap();
    let got = receive_n(&*s, 1, DELIVERY_TIMEOUT).await;
    assert_eq!(got[0].message.attributes, message.attributes);
    assert_eq!(got[0].message.attributes["bin"], AttributeValue::Binary(vec![0, 1, 2, 254, 255]));
}

#[tokio::test]
async fn events_published_with_the_extension_trait_are_decoded() {
    let b = backend().await;
    let (topic, q) = (unique("ev-t"), unique("ev-q"));
    b.apply_topology(&Topology::new().topic(&topic).queue(QueueSpec::new(&q)).subscribe(&topic, &q)).await.unwrap();
    b.publisher().publish_data(&topic, "USER_COMMENT", json!({"text": "hi"})).await.unwrap();
    let s = b.subscription(&q).await.unwrap();
    let got = receive_n(&*s, 1, DELIVERY_TIMEOUT).await;
    assert_eq!(got[0].event_type(), Some("USER_COMMENT"));
    assert_eq!(got[0].message.attributes["event-type"], AttributeValue::String("USER_COMMENT".into()));
    assert_eq!(got[0].event.as_ref().unwrap().data, json!({"text": "hi"}));
    s.ack(&got[0].receipt_handle).await.unwrap();
}

/// Publishes each message and returns which were delivered to the queue of `policy`.
async fn delivered(policy: serde_json::Value, scope: FilterScope, messages: Vec<Message>) -> Vec<String> {
    let b = backend().await;
    let (topic, q) = (unique("flt-t"), unique("flt-q"));
    let topology = Topology::new().topic(&topic).queue(QueueSpec::new(&q)).subscription(sub(
        &topic,
        &q,
        Some(policy),
        scope,
        true,
    ));
    b.apply_topology(&topology).await.unwrap();
    let p = b.publisher();
    for m in messages {
        p.publish(&topic, m).await.unwrap();
    }
    let s = b.subscription(&q).await.unwrap();
    let mut bodies: Vec<String> =
        receive_for(&*s, Duration::from_secs(2)).await.into_iter().map(|d| d.message.body).collect();
    bodies.sort();
    bodies
}

fn attr_msg(body: &str, name: &str, value: AttributeValue) -> Message {
    Message::new(body).with_attribute(name, value)
}

#[tokio::test]
async fn attribute_scope_policies_filter_on_the_server() {
    let s = |v: &str| AttributeValue::String(v.into());
    let got = delivered(
        json!({
            "event-type": ["USER_CREATED", {"prefix": "ORDER_"}],
            "amount": [{"numeric": [">=", 10, "<", 100]}],
        }),
        FilterScope::MessageAttributes,
        vec![
            attr_msg("created-15", "event-type", s("USER_CREATED"))
                .with_attribute("amount", AttributeValue::number(15)),
            attr_msg("order-50", "event-type", s("ORDER_PAID")).with_attribute("amount", AttributeValue::number(50)),
            attr_msg("created-500", "event-type", s("USER_CREATED"))
                .with_attribute("amount", AttributeValue::number(500)),
            attr_msg("comment-15", "event-type", s("USER_COMMENT"))
                .with_attribute("amount", AttributeValue::number(15)),
            attr_msg("no-amount", "event-type", s("USER_CREATED")),
        ],
    )
    .await;
    assert_eq!(got, vec!["created-15", "order-50"]);
}

#[tokio::test]
async fn anything_but_exists_suffix_and_ignore_case_on_the_server() {
    let s = |v: &str| AttributeValue::String(v.into());
    // moto compares the policy value as written with the lower-cased message value.
    let readme = if caps().filter_equals_ignore_case_policy_value { "README" } else { "readme" };
    let got = delivered(
        json!({
            "region": [{"anything-but": ["eu-west-1"]}],
            "trace": [{"exists": false}],
            "file": [{"suffix": ".png"}, {"equals-ignore-case": readme}],
        }),
        FilterScope::MessageAttributes,
        vec![
            attr_msg("a", "region", s("us-east-1")).with_attribute("file", s("x.png")),
            attr_msg("b", "region", s("eu-west-1")).with_attribute("file", s("x.png")),
            attr_msg("c", "region", s("us-east-1")).with_attribute("file", s("ReadMe")),
            attr_msg("d", "region", s("us-east-1")).with_attribute("file", s("x.jpg")),
            attr_msg("e", "region", s("us-east-1")).with_attribute("file", s("x.png")).with_attribute("trace", s("t")),
        ],
    )
    .await;
    assert_eq!(got, vec!["a", "c"]);
}

#[tokio::test]
async fn body_scope_policies_filter_nested_json() {
    let got = delivered(
        json!({"type": ["USER_CREATED"], "data": {"plan": ["pro"], "seats": [{"numeric": [">", 10]}]}}),
        FilterScope::MessageBody,
        vec![
            Message::new(r#"{"type":"USER_CREATED","data":{"plan":"pro","seats":20}}"#),
            Message::new(r#"{"type":"USER_CREATED","data":{"plan":"pro","seats":2}}"#),
            Message::new(r#"{"type":"USER_CREATED","data":{"plan":"free","seats":20}}"#),
            Message::new(r#"{"type":"USER_COMMENT","data":{"plan":"pro","seats":20}}"#),
            Message::new("not json"),
        ],
    )
    .await;
    assert_eq!(got, vec![r#"{"type":"USER_CREATED","data":{"plan":"pro","seats":20}}"#]);
}

#[tokio::test]
async fn or_policies_filter_on_the_server() {
    let s = |v: &str| AttributeValue::String(v.into());
    let got = delivered(
        json!({"a": ["x"], "$or": [{"b": ["1"]}, {"c": [{"numeric": [">", 5]}]}]}),
        FilterScope::MessageAttributes,
        vec![
            attr_msg("m1", "a", s("x")).with_attribute("b", s("1")),
            attr_msg("m2", "a", s("x")).with_attribute("c", AttributeValue::number(7)),
            attr_msg("m3", "a", s("x")).with_attribute("c", AttributeValue::number(3)),
            attr_msg("m4", "a", s("y")).with_attribute("b", s("1")),
        ],
    )
    .await;
    assert_eq!(got, vec!["m1", "m2"]);
    if caps().filter_or_in_body_scope {
        let got = delivered(
            json!({"type": ["T"], "$or": [{"plan": ["pro"]}, {"vip": [true]}]}),
            FilterScope::MessageBody,
            vec![
                Message::new(r#"{"type":"T","plan":"pro"}"#),
                Message::new(r#"{"type":"T","vip":true}"#),
                Message::new(r#"{"type":"T","plan":"free"}"#),
            ],
        )
        .await;
        assert_eq!(got, vec![r#"{"type":"T","plan":"pro"}"#, r#"{"type":"T","vip":true}"#]);
    }
}

#[tokio::test]
async fn fifo_topic_to_fifo_queue_keeps_group_order_and_deduplicates() {
    let b = backend().await;
    let topic = format!("{}.fifo", unique("fifo-t"));
    let q = format!("{}.fifo", unique("fifo-q"));
    let topology = Topology::new().with_topic(TopicSpec::new(&topic)).queue(QueueSpec::new(&q)).subscription(sub(
        &topic,
        &q,
        None,
        FilterScope::MessageAttributes,
        true,
    ));
    b.apply_topology(&topology).await.unwrap();
    let p = b.publisher();
    for i in 0..5 {
        let m = Message::new(format!("m{i}")).with_group_id("g1").with_deduplication_id(format!("d{i}"));
        let r = p.publish(&topic, m).await.unwrap();
        if caps().fifo_publish_sequence_number {
            assert!(r.sequence_number.is_some(), "FIFO publishes get a sequence number");
        }
    }
    // A duplicate deduplication id within 5 minutes is accepted but not delivered again.
    p.publish(&topic, Message::new("m0-again").with_group_id("g1").with_deduplication_id("d0")).await.unwrap();
    let s = b.subscription(&q).await.unwrap();
    let mut bodies = Vec::new();
    for _ in 0..10 {
        let got = receive_n(&*s, 10, Duration::from_secs(2)).await;
        if got.is_empty() {
            break;
        }
        for d in got {
            assert_eq!(d.group_id.as_deref(), Some("g1"));
            assert!(d.sequence_number.is_some());
            bodies.push(d.message.body.clone());
            s.ack(&d.receipt_handle).await.unwrap();
        }
    }
    assert_eq!(bodies, vec!["m0", "m1", "m2", "m3", "m4"]);
}

#[tokio::test]
async fn content_based_deduplication_on_a_fifo_topic() {
    let b = backend().await;
    let topic = format!("{}.fifo", unique("cbd-t"));
    let q = format!("{}.fifo", unique("cbd-q"));
    let topology = Topology::new()
        .with_topic(TopicSpec::new(&topic).with_content_based_deduplication())
        .queue(if caps().fifo_topic_dedup_reaches_queue {
            QueueSpec::new(&q)
        } else {
            QueueSpec::new(&q).with_content_based_deduplication()
        })
        .subscription(sub(&topic, &q, None, FilterScope::MessageAttributes, true));
    b.apply_topology(&topology).await.unwrap();
    let p = b.publisher();
    p.publish(&topic, Message::new("same").with_group_id("g")).await.unwrap();
    p.publish(&topic, Message::new("same").with_group_id("g")).await.unwrap();
    p.publish(&topic, Message::new("other").with_group_id("g")).await.unwrap();
    let s = b.subscription(&q).await.unwrap();
    let mut bodies = Vec::new();
    for _ in 0..3 {
        for d in receive_for(&*s, Duration::from_millis(500)).await {
            bodies.push(d.message.body.clone());
            s.ack(&d.receipt_handle).await.unwrap();
        }
    }
    assert_eq!(bodies, vec!["same", "other"], "the second \"same\" is a duplicate");
}

#[tokio::test]
async fn send_stats_and_purge_work_on_a_queue_directly() {
    let b = backend().await;
    let q = unique("direct-q");
    b.apply_topology(&Topology::new().queue(QueueSpec::new(&q))).await.unwrap();
    let id = b.send(&q, all_types(Message::new("direct")), None).await.unwrap();
    b.send(&q, Message::new("later"), Some(Duration::from_secs(60))).await.unwrap();
    let stats = b.queue_stats(&q).await.unwrap();
    assert_eq!((stats.visible, stats.delayed), (1, 1));
    let s = b.subscription(&q).await.unwrap();
    let got = receive_n(&*s, 1, DELIVERY_TIMEOUT).await;
    assert_eq!(got[0].message_id, id);
    assert_eq!(got[0].message.attributes, all_types(Message::new("x")).attributes, "SQS attributes round trip");
    assert_eq!(b.queue_stats(&q).await.unwrap().in_flight, 1);
    b.purge(&q).await.unwrap();
    assert_eq!(b.queue_stats(&q).await.unwrap().total(), 0);
}
