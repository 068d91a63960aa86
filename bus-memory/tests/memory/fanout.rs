//! Topics: filtered fan-out, enveloped and raw delivery.

use crate::common;

use base64::Engine as _;
use bus_core::backend::{QueueSpec, SubscriptionSpec, Topology};
use bus_core::envelope::{format_timestamp, Notification};
use bus_core::filter::FilterScope;
use bus_core::{AttributeValue, Backend, BusError, Message};
use common::*;
use serde_json::json;

fn seed_topology() -> Topology {
    Topology::new()
        .topic("events")
        .queue(QueueSpec::new("email"))
        .queue(QueueSpec::new("billing"))
        .queue(QueueSpec::new("archive"))
        .subscribe_with_policy("events", "email", json!({"event-type": ["USER_CREATED"]}))
        .subscribe_with_policy("events", "billing", json!({"event-type": ["USER_CREATED", "USER_COMMENT"]}))
        .subscribe("events", "archive")
}

#[tokio::test(start_paused = true)]
async fn filtered_fan_out_reaches_exactly_the_matching_queues() {
    let b = backend(seed_topology()).await;
    publish(&b, "events", "USER_CREATED", json!({"id": 1})).await;
    publish(&b, "events", "USER_COMMENT", json!({"id": 2})).await;
    publish(&b, "events", "ORDER_PLACED", json!({"id": 3})).await;
    let types = |q: &'static str| {
        let b = b.clone();
        async move {
            let s = b.subscription(q).await.unwrap();
            take(&s, 10).await.iter().map(|d| d.event_type().unwrap().to_owned()).collect::<Vec<_>>()
        }
    };
    assert_eq!(types("email").await, ["USER_CREATED"]);
    let mut billing = types("billing").await;
    billing.sort();
    assert_eq!(billing, ["USER_COMMENT", "USER_CREATED"]);
    assert_eq!(types("archive").await.len(), 3, "no policy: every message");
}

#[tokio::test(start_paused = true)]
async fn body_scope_policies_route_on_the_body() {
    let b = backend(Topology::new().topic("events").queue(QueueSpec::new("big")).subscription(SubscriptionSpec {
        topic: "events".into(),
        queue: "big".into(),
        filter_policy: Some(json!({"data": {"amount": [{"numeric": [">", 100]}]}})),
        filter_policy_scope: FilterScope::MessageBody,
        raw_message_delivery: false,
    }))
    .await;
    publish(&b, "events", "PAID", json!({"amount": 50})).await;
    publish(&b, "events", "PAID", json!({"amount": 500})).await;
    let s = b.subscription("big").await.unwrap();
    let got = take(&s, 10).await;
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].event.as_ref().unwrap().data["amount"], 500);
}

#[tokio::test(start_paused = true)]
async fn enveloped_delivery_is_the_sns_notification_json() {
    let b = backend(seed_topology()).await;
    tokio::time::sleep(secs(3600)).await;
    let message = Message::new(r#"{"type":"USER_CREATED","data":{"name":"Ada \"the\" first"}}"#)
        .with_attribute("event-type", "USER_CREATED")
        .with_attribute("score", AttributeValue::number(7.5))
        .with_attribute("blob", AttributeValue::Binary(vec![0, 255]));
    let receipt = b.publisher().publish("events", message.clone()).await.unwrap();
    let s = b.subscription("email").await.unwrap();
    let d = take(&s, 1).await.pop().unwrap();

    assert!(d.raw_body.starts_with("{\n  \"Type\" : \"Notification\",\n  \"MessageId\" : \""), "{}", d.raw_body);
    let n = Notification::parse(&d.raw_body).expect("an SNS notification");
    assert_eq!(d.notification.as_ref(), Some(&n));
    assert_eq!(n.kind, "Notification");
    assert_eq!(n.message_id, receipt.message_id);
    assert_eq!(n.topic_arn, "arn:aws:sns:us-east-1:000000000000:events");
    assert_eq!(n.topic_arn, b.topic_arn("events").unwrap());
    assert_eq!(n.message, message.body);
    assert_eq!(n.timestamp, format_timestamp(d.sent_at), "published and enqueued at the same virtual instant");
    assert_eq!(n.timestamp.len(), "2026-01-01T00:00:00.000Z".len());
    assert_eq!(n.signature_version, "1");
    assert!(!base64::engine::general_purpose::STANDARD.decode(&n.signature).unwrap().is_empty());
    assert!(n.signing_cert_url.starts_with("https://sns.us-east-1.amazonaws.com/SimpleNotificationService-"));
    assert!(n.signing_cert_url.ends_with(".pem"));
    let sub_arn = b.subscription_arn("events", "email").unwrap().unwrap();
    assert!(sub_arn.starts_with("arn:aws:sns:us-east-1:000000000000:events:"));
    assert_eq!(
        n.unsubscribe_url,
        format!("https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe&SubscriptionArn={sub_arn}")
    );
    assert_eq!(n.message_attributes["score"].data_type, "Number");
    assert_eq!(n.message_attributes["score"].value, "7.5");
    assert_eq!(n.message_attributes["blob"].value, "AP8=");
    assert!(d.raw_body.contains("\"blob\" : {\"Type\":\"Binary\",\"Value\":\"AP8=\"}"));
    // The consumer sees the published message, unwrapped.
    assert_eq!(d.message.body, message.body);
    assert_eq!(d.message.attributes, message.attributes);
    assert_eq!(d.event_type(), Some("USER_CREATED"));
    // Another subscription's envelope names its own subscription.
    let archive = b.subscription("archive").await.unwrap();
    let other = take(&archive, 1).await.pop().unwrap();
    let archive_arn = b.subscription_arn("events", "archive").unwrap().unwrap();
    assert!(other.notification.unwrap().unsubscribe_url.ends_with(&archive_arn));
    assert_ne!(other.message_id, d.message_id, "each queue assigns its own SQS message id");
}

#[tokio::test(start_paused = true)]
async fn raw_delivery_passes_body_and_attributes_through() {
    let b = backend(Topology::new().topic("events").queue(QueueSpec::new("raw")).subscription(SubscriptionSpec {
        topic: "events".into(),
        queue: "raw".into(),
        filter_policy: None,
        filter_policy_scope: FilterScope::MessageAttributes,
        raw_message_delivery: true,
    }))
    .await;
    let message =
        Message::new("not json at all").with_attribute("k", "v").with_attribute("n", AttributeValue::number(1));
    b.publisher().publish("events", message.clone()).await.unwrap();
    let s = b.subscription("raw").await.unwrap();
    let d = take(&s, 1).await.pop().unwrap();
    assert_eq!(d.raw_body, "not json at all");
    assert_eq!(d.message.body, message.body);
    assert_eq!(d.message.attributes, message.attributes);
    assert!(d.notification.is_none());
    assert!(d.event.is_none());
}

#[tokio::test(start_paused = true)]
async fn ids_are_uuid_shaped() {
    let b = backend(seed_topology()).await;
    let id = publish(&b, "events", "USER_CREATED", json!({})).await;
    let s = b.subscription("archive").await.unwrap();
    let d = take(&s, 1).await.pop().unwrap();
    for id in [&id, &d.message_id] {
        assert_eq!(id.len(), 36);
        assert_eq!(id.matches('-').count(), 4);
        assert!(id.chars().all(|c| c == '-' || c.is_ascii_hexdigit()));
    }
    assert_ne!(id, d.message_id, "the SQS message id is not the SNS one");
}

#[tokio::test(start_paused = true)]
async fn publishing_to_an_unknown_topic_fails() {
    let b = backend(seed_topology()).await;
    let e = b.publisher().publish("nope", Message::new("x")).await.unwrap_err();
    assert!(matches!(e, BusError::TopicNotFound(t) if t == "nope"));
    assert!(matches!(b.subscription("nope").await.unwrap_err(), BusError::QueueNotFound(_)));
}

#[tokio::test(start_paused = true)]
async fn a_message_no_policy_matches_is_dropped() {
    let b = backend(Topology::new().topic("events").queue(QueueSpec::new("email")).subscribe_with_policy(
        "events",
        "email",
        json!({"event-type": ["USER_CREATED"]}),
    ))
    .await;
    let r = b.publisher().publish("events", Message::new("x").with_attribute("event-type", "OTHER")).await;
    assert!(r.is_ok(), "SNS accepts it");
    assert_eq!(b.queue_stats("email").await.unwrap().total(), 0);
}
