//! Provisioning against the local server: plan, apply, idempotent re-runs, drift reported and fixed in
//! place, queue and redrive policies, FIFO resources, and local validation before any request.

use crate::common;

use std::collections::HashMap;
use std::time::Duration;

use aws_sdk_sqs::types::QueueAttributeName;
use bus_aws::{Action, AwsBackend, ResourceKind, POLICY_SID};
use bus_core::backend::{QueueSpec, SubscriptionSpec, TopicSpec};
use bus_core::filter::FilterScope;
use bus_core::{AttributeValue, Backend, BusError, Message, Topology};
use common::{backend, counted_backend, receive_for, receive_n, unique, DELIVERY_TIMEOUT};
use serde_json::{json, Value};

const MUTATING: [&str; 7] = [
    "CreateTopic",
    "SetTopicAttributes",
    "CreateQueue",
    "SetQueueAttributes",
    "Subscribe",
    "SetSubscriptionAttributes",
    "Unsubscribe",
];

async fn queue_attributes(b: &AwsBackend, queue: &str) -> HashMap<String, String> {
    let url = b.queue_url(queue).await.unwrap();
    let out =
        b.sqs_client().get_queue_attributes().queue_url(url).attribute_names(QueueAttributeName::All).send().await;
    out.unwrap().attributes().unwrap().iter().map(|(k, v)| (k.as_str().to_owned(), v.clone())).collect()
}

/// The attributes of every subscription of `topic` to queue `queue`.
async fn subscriptions(b: &AwsBackend, topic: &str, queue: &str) -> Vec<HashMap<String, String>> {
    let topic_arn = b.topic_arn(topic).await.unwrap();
    let queue_arn = b.queue_arn(queue).await.unwrap();
    let list = b.sns_client().list_subscriptions_by_topic().topic_arn(topic_arn).send().await.unwrap();
    let mut out = Vec::new();
    for s in list.subscriptions().iter().filter(|s| s.endpoint() == Some(queue_arn.as_str())) {
        let attrs =
            b.sns_client().get_subscription_attributes().subscription_arn(s.subscription_arn().unwrap()).send().await;
        out.push(attrs.unwrap().attributes().unwrap().clone());
    }
    out
}

fn orders_topology(topic: &str, queue: &str, dlq: &str) -> Topology {
    Topology::new()
        .topic(topic)
        .queue(QueueSpec::new(dlq).with_retention(Duration::from_secs(1_209_600)))
        .queue(
            QueueSpec::new(queue)
                .with_visibility_timeout(Duration::from_secs(45))
                .with_retention(Duration::from_secs(3600))
                .with_delay(Duration::from_secs(2))
                .with_receive_wait(Duration::from_secs(1))
                .with_dead_letter_queue(dlq, 3),
        )
        .subscription(SubscriptionSpec {
            topic: topic.into(),
            queue: queue.into(),
            filter_policy: Some(json!({"type": ["ORDER_PLACED"], "data": {"total": [{"numeric": [">", 0]}]}})),
            filter_policy_scope: FilterScope::MessageBody,
            raw_message_delivery: true,
        })
}

#[tokio::test]
async fn plan_apply_and_a_second_apply_that_changes_nothing() {
    let (b, counter) = counted_backend().await;
    let (topic, queue, dlq) = (unique("prov-t"), unique("prov-q"), unique("prov-dlq"));
    let topology = orders_topology(&topic, &queue, &dlq);

    let plan = b.plan(&topology).await.unwrap();
    assert_eq!(plan.changes.len(), 4);
    assert!(plan.changes.iter().all(|c| c.action == Action::Create), "{plan}");
    assert!(plan.to_string().contains(&format!("+ queue {queue}")));

    let executed = b.apply(&topology).await.unwrap();
    assert_eq!(executed, plan, "apply carries out the plan it reports");
    let attrs = queue_attributes(&b, &queue).await;
    assert_eq!(attrs["VisibilityTimeout"], "45");
    assert_eq!(attrs["MessageRetentionPeriod"], "3600");
    assert_eq!(attrs["DelaySeconds"], "2");
    assert_eq!(attrs["ReceiveMessageWaitTimeSeconds"], "1");
    let redrive: Value = serde_json::from_str(&attrs["RedrivePolicy"]).unwrap();
    assert_eq!(redrive["deadLetterTargetArn"], b.queue_arn(&dlq).await.unwrap());
    assert_eq!(redrive["maxReceiveCount"].to_string().trim_matches('"'), "3");
    assert_eq!(queue_attributes(&b, &dlq).await["MessageRetentionPeriod"], "1209600");

    let policy: Value = serde_json::from_str(&attrs["Policy"]).unwrap();
    let ours = policy["Statement"].as_array().unwrap().iter().find(|s| s["Sid"] == POLICY_SID).unwrap().clone();
    assert_eq!(ours["Effect"], "Allow");
    assert_eq!(ours["Principal"]["Service"], "sns.amazonaws.com");
    assert_eq!(ours["Action"], "sqs:SendMessage");
    assert_eq!(ours["Resource"], b.queue_arn(&queue).await.unwrap());
    assert_eq!(ours["Condition"]["ArnEquals"]["aws:SourceArn"], json!([b.topic_arn(&topic).await.unwrap()]));

    let subs = subscriptions(&b, &topic, &queue).await;
    assert_eq!(subs.len(), 1);
    assert_eq!(subs[0]["FilterPolicyScope"], "MessageBody");
    assert_eq!(subs[0]["RawMessageDelivery"], "true");
    let filter: Value = serde_json::from_str(&subs[0]["FilterPolicy"]).unwrap();
    assert_eq!(filter, topology.subscriptions[0].filter_policy.clone().unwrap());

    let plan = b.plan(&topology).await.unwrap();
    assert!(plan.is_in_sync(), "after apply everything is in sync:\n{plan}");

    let before = counter.snapshot();
    b.apply_topology(&topology).await.unwrap();
    let second = counter.snapshot().since(&before);
    for op in MUTATING {
        assert_eq!(second.operation(op), 0, "a re-run only reads, but sent {op}: {second}");
    }
    assert_eq!(subscriptions(&b, &topic, &queue).await.len(), 1, "no duplicate subscription");
}

#[tokio::test]
async fn drift_is_reported_and_fixed_in_place() {
    let b = backend().await;
    let (topic, queue, dlq) = (unique("drift-t"), unique("drift-q"), unique("drift-dlq"));
    let topology = orders_topology(&topic, &queue, &dlq);
    b.apply_topology(&topology).await.unwrap();
    let sub_arn = |subs: &Vec<HashMap<String, String>>| subs[0]["SubscriptionArn"].clone();
    let arn_before = sub_arn(&subscriptions(&b, &topic, &queue).await);

    // Someone changes things by hand (sending the policy along: moto clears a policy left out).
    let url = b.queue_url(&queue).await.unwrap();
    let dlq_arn = b.queue_arn(&dlq).await.unwrap();
    let policy = queue_attributes(&b, &queue).await["Policy"].clone();
    b.sqs_client()
        .set_queue_attributes()
        .queue_url(&url)
        .attributes(QueueAttributeName::Policy, policy)
        .attributes(QueueAttributeName::VisibilityTimeout, "99")
        .attributes(
            QueueAttributeName::RedrivePolicy,
            json!({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 7}).to_string(),
        )
        .send()
        .await
        .unwrap();
    b.sns_client()
        .set_subscription_attributes()
        .subscription_arn(&arn_before)
        .attribute_name("FilterPolicy")
        .attribute_value(json!({"type": ["SOMETHING_ELSE"]}).to_string())
        .send()
        .await
        .unwrap();

    let plan = b.plan(&topology).await.unwrap();
    let q = plan.find(ResourceKind::Queue, &queue).unwrap();
    assert_eq!(q.action, Action::Update, "{plan}");
    let vt = q.drift.iter().find(|d| d.attribute == "VisibilityTimeout").unwrap();
    assert_eq!((vt.actual.as_deref(), vt.desired.as_deref()), (Some("99"), Some("45")));
    assert!(q.drift.iter().any(|d| d.attribute == "RedrivePolicy"));
    assert_eq!(q.drift.len(), 2, "only what changed is reported: {plan}");
    let s = plan.find(ResourceKind::Subscription, &format!("{topic} -> {queue}")).unwrap();
    assert_eq!(s.action, Action::Update);
    assert_eq!(s.drift.iter().map(|d| d.attribute.as_str()).collect::<Vec<_>>(), vec!["FilterPolicy"]);
    assert_eq!(plan.find(ResourceKind::Topic, &topic).unwrap().action, Action::InSync);
    assert_eq!(plan.drift().count(), 3);

    b.apply_topology(&topology).await.unwrap();
    assert!(b.plan(&topology).await.unwrap().is_in_sync());
    assert_eq!(queue_attributes(&b, &queue).await["VisibilityTimeout"], "45");
    assert_eq!(sub_arn(&subscriptions(&b, &topic, &queue).await), arn_before, "updated in place, not re-subscribed");
}

#[tokio::test]
async fn a_changed_topology_is_applied_in_place_and_delivers_accordingly() {
    let b = backend().await;
    let (t1, t2, q) = (unique("chg-t1"), unique("chg-t2"), unique("chg-q"));
    let v1 = Topology::new().topic(&t1).topic(&t2).queue(QueueSpec::new(&q)).subscribe_with_policy(
        &t1,
        &q,
        json!({"event-type": ["A"]}),
    );
    b.apply_topology(&v1).await.unwrap();

    // v2: another policy, raw delivery, a longer visibility timeout, and a second topic sending to the queue.
    let v2 = Topology::new()
        .topic(&t1)
        .topic(&t2)
        .queue(QueueSpec::new(&q).with_visibility_timeout(Duration::from_secs(60)))
        .subscription(SubscriptionSpec {
            topic: t1.clone(),
            queue: q.clone(),
            filter_policy: Some(json!({"event-type": ["B"]})),
            filter_policy_scope: FilterScope::MessageAttributes,
            raw_message_delivery: true,
        })
        .subscribe(&t2, &q);
    let plan = b.plan(&v2).await.unwrap();
    let queue_change = plan.find(ResourceKind::Queue, &q).unwrap();
    let mut drifted: Vec<&str> = queue_change.drift.iter().map(|d| d.attribute.as_str()).collect();
    drifted.sort_unstable();
    assert_eq!(drifted, vec!["Policy", "VisibilityTimeout"], "{plan}");
    assert_eq!(plan.find(ResourceKind::Subscription, &format!("{t2} -> {q}")).unwrap().action, Action::Create);
    b.apply_topology(&v2).await.unwrap();
    assert!(b.plan(&v2).await.unwrap().is_in_sync());

    let policy: Value = serde_json::from_str(&queue_attributes(&b, &q).await["Policy"]).unwrap();
    let sources = &policy["Statement"].as_array().unwrap().iter().find(|s| s["Sid"] == POLICY_SID).unwrap()
        ["Condition"]["ArnEquals"]["aws:SourceArn"];
    let mut sources: Vec<String> = serde_json::from_value(sources.clone()).unwrap();
    sources.sort();
    let mut expected = vec![b.topic_arn(&t1).await.unwrap(), b.topic_arn(&t2).await.unwrap()];
    expected.sort();
    assert_eq!(sources, expected, "only the subscribed topics may send");

    let p = b.publisher();
    let ev =
        |t: &str| Message::new(format!("event {t}")).with_attribute("event-type", AttributeValue::String(t.into()));
    p.publish(&t1, ev("A")).await.unwrap();
    p.publish(&t1, ev("B")).await.unwrap();
    let s = b.subscription(&q).await.unwrap();
    let got = receive_for(&*s, Duration::from_secs(2)).await;
    assert_eq!(got.iter().map(|d| d.raw_body.as_str()).collect::<Vec<_>>(), vec!["event B"], "raw, filtered on B");

    // v3: the filter policy is removed; everything is delivered again.
    let mut v3 = v2.clone();
    v3.subscriptions[0].filter_policy = None;
    b.apply_topology(&v3).await.unwrap();
    assert!(b.plan(&v3).await.unwrap().is_in_sync());
    p.publish(&t1, ev("C")).await.unwrap();
    let got = receive_n(&*s, 1, DELIVERY_TIMEOUT).await;
    assert_eq!(got[0].raw_body, "event C");
}

#[tokio::test]
async fn fifo_topics_and_queues_are_provisioned_and_dedup_drift_is_fixed() {
    let b = backend().await;
    let topic = format!("{}.fifo", unique("pf-t"));
    let (q, dlq) = (format!("{}.fifo", unique("pf-q")), format!("{}.fifo", unique("pf-dlq")));
    let mut topology = Topology::new()
        .with_topic(TopicSpec::new(&topic).with_content_based_deduplication())
        .queue(QueueSpec::new(&dlq))
        .queue(QueueSpec::new(&q).with_content_based_deduplication().with_dead_letter_queue(&dlq, 2))
        .subscribe(&topic, &q);
    b.apply_topology(&topology).await.unwrap();
    let arn = b.topic_arn(&topic).await.unwrap();
    let topic_attrs = b.sns_client().get_topic_attributes().topic_arn(&arn).send().await.unwrap();
    let topic_attrs = topic_attrs.attributes().unwrap();
    assert_eq!(topic_attrs["FifoTopic"], "true");
    assert_eq!(topic_attrs["ContentBasedDeduplication"], "true");
    let qa = queue_attributes(&b, &q).await;
    assert_eq!(qa["FifoQueue"], "true");
    assert_eq!(qa["ContentBasedDeduplication"], "true");
    assert!(b.plan(&topology).await.unwrap().is_in_sync());

    topology.topics[0].content_based_deduplication = false;
    let plan = b.plan(&topology).await.unwrap();
    let t = plan.find(ResourceKind::Topic, &topic).unwrap();
    assert_eq!(t.action, Action::Update);
    assert_eq!(t.drift[0].attribute, "ContentBasedDeduplication");
    b.apply_topology(&topology).await.unwrap();
    assert!(b.plan(&topology).await.unwrap().is_in_sync());
}

#[tokio::test]
async fn invalid_topologies_fail_locally_before_any_request() {
    let (b, counter) = counted_backend().await;
    let (topic, q) = (unique("bad-t"), unique("bad-q"));
    let bad_policy = Topology::new().topic(&topic).queue(QueueSpec::new(&q)).subscribe_with_policy(
        &topic,
        &q,
        json!({"price": [{"numeric": ["<"]}]}),
    );
    let e = b.apply_topology(&bad_policy).await.unwrap_err();
    assert!(matches!(e, BusError::InvalidFilterPolicy(_)), "{e}");
    assert!(matches!(b.plan(&bad_policy).await.unwrap_err(), BusError::InvalidFilterPolicy(_)));

    let bad_queue = Topology::new().queue(QueueSpec::new(&q).with_visibility_timeout(Duration::from_secs(50_000)));
    assert!(matches!(b.apply_topology(&bad_queue).await, Err(BusError::InvalidParameter { .. })));
    let missing_dlq = Topology::new().queue(QueueSpec::new(&q).with_dead_letter_queue("nowhere", 3));
    assert!(matches!(b.apply_topology(&missing_dlq).await, Err(BusError::QueueNotFound(_))));

    assert_eq!(counter.snapshot().total(), 0, "nothing was sent: {}", counter.snapshot());
    assert!(matches!(b.queue_url(&q).await, Err(BusError::QueueNotFound(_))), "and nothing was created");
}

#[tokio::test]
async fn turning_raw_delivery_off_and_changing_only_the_scope_take_effect() {
    let b = backend().await;
    let (topic, q) = (unique("scope-t"), unique("scope-q"));
    let spec = |scope: FilterScope, raw: bool| SubscriptionSpec {
        topic: topic.clone(),
        queue: q.clone(),
        filter_policy: Some(json!({"k": ["v"]})),
        filter_policy_scope: scope,
        raw_message_delivery: raw,
    };
    let v1 = Topology::new()
        .topic(&topic)
        .queue(QueueSpec::new(&q))
        .subscription(spec(FilterScope::MessageAttributes, true));
    b.apply_topology(&v1).await.unwrap();
    let v2 =
        Topology::new().topic(&topic).queue(QueueSpec::new(&q)).subscription(spec(FilterScope::MessageBody, false));
    let plan = b.plan(&v2).await.unwrap();
    let change = plan.find(ResourceKind::Subscription, &format!("{topic} -> {q}")).unwrap();
    let mut drifted: Vec<&str> = change.drift.iter().map(|d| d.attribute.as_str()).collect();
    drifted.sort_unstable();
    assert_eq!(drifted, vec!["FilterPolicyScope", "RawMessageDelivery"], "{plan}");
    b.apply_topology(&v2).await.unwrap();
    assert!(b.plan(&v2).await.unwrap().is_in_sync());

    let p = b.publisher();
    p.publish(&topic, Message::new(r#"{"k":"v"}"#)).await.unwrap();
    p.publish(&topic, Message::new("attribute only").with_attribute("k", "v")).await.unwrap();
    let s = b.subscription(&q).await.unwrap();
    let got = receive_for(&*s, Duration::from_secs(2)).await;
    assert_eq!(
        got.len(),
        1,
        "only the body matches now: {:?}",
        got.iter().map(|d| &d.message.body).collect::<Vec<_>>()
    );
    assert_eq!(got[0].message.body, r#"{"k":"v"}"#);
    assert!(got[0].notification.is_some(), "raw delivery is off again: the message comes in the envelope");
}
