//! Property: every published message reaches exactly the queues whose subscription policy matches it
//! (`FilterPolicy::matches` is the oracle), once each, and no other queue.

use crate::common;

use bus_core::backend::{QueueSpec, SubscriptionSpec, Topology};
use bus_core::filter::{FilterPolicy, FilterScope, SnsFilterPolicy};
use bus_core::{AttributeValue, Backend, Message};
use proptest::prelude::*;
use serde_json::json;

fn policies() -> Vec<(serde_json::Value, FilterScope)> {
    vec![
        (json!({"color": ["red"]}), FilterScope::MessageAttributes),
        (json!({"color": ["blue", "green"]}), FilterScope::MessageAttributes),
        (json!({"color": [{"anything-but": ["red"]}]}), FilterScope::MessageAttributes),
        (json!({"size": [{"numeric": [">", 5]}]}), FilterScope::MessageAttributes),
        (json!({"color": [{"prefix": "gr"}], "size": [{"numeric": ["<=", 5]}]}), FilterScope::MessageAttributes),
        (json!({"color": [{"exists": false}]}), FilterScope::MessageAttributes),
        (json!({"kind": ["a"]}), FilterScope::MessageBody),
        (json!({"n": [{"numeric": [">=", 3, "<", 8]}]}), FilterScope::MessageBody),
    ]
}

#[derive(Debug, Clone)]
struct Msg {
    color: Option<&'static str>,
    size: Option<i32>,
    kind: &'static str,
    n: i32,
}

fn msg() -> impl Strategy<Value = Msg> {
    (
        proptest::option::of(prop_oneof![Just("red"), Just("blue"), Just("green"), Just("grey")]),
        proptest::option::of(0..10i32),
        prop_oneof![Just("a"), Just("b")],
        0..10i32,
    )
        .prop_map(|(color, size, kind, n)| Msg { color, size, kind, n })
}

fn to_message(i: usize, m: &Msg) -> Message {
    let mut message = Message::new(json!({"id": i, "kind": m.kind, "n": m.n}).to_string());
    if let Some(c) = m.color {
        message = message.with_attribute("color", c);
    }
    if let Some(s) = m.size {
        message = message.with_attribute("size", AttributeValue::number(s));
    }
    message
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]
    #[test]
    fn fan_out_matches_the_policies(
        subs in proptest::collection::vec((0..8usize, any::<bool>()), 1..8),
        msgs in proptest::collection::vec(msg(), 1..30),
    ) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_time().start_paused(true).build().unwrap();
        rt.block_on(async move {
            let all = policies();
            let mut t = Topology::new().topic("t").queue(QueueSpec::new("none"));
            let mut oracle = Vec::new();
            for (q, (p, raw)) in subs.iter().enumerate() {
                let (policy, scope) = all[*p].clone();
                oracle.push(SnsFilterPolicy::from_value(&policy, scope).unwrap());
                t = t.queue(QueueSpec::new(format!("q{q}"))).subscription(SubscriptionSpec {
                    topic: "t".into(),
                    queue: format!("q{q}"),
                    filter_policy: Some(policy),
                    filter_policy_scope: scope,
                    raw_message_delivery: *raw,
                });
            }
            let b = common::backend(t).await;
            let messages: Vec<Message> = msgs.iter().enumerate().map(|(i, m)| to_message(i, m)).collect();
            for m in &messages {
                b.publisher().publish("t", m.clone()).await.unwrap();
            }
            for (q, policy) in oracle.iter().enumerate() {
                let s = b.subscription(&format!("q{q}")).await.unwrap();
                let mut got = Vec::new();
                loop {
                    let batch = common::take(&s, 10).await;
                    if batch.is_empty() { break; }
                    got.extend(batch.into_iter().map(|d| d.message));
                }
                let expected: Vec<Message> = messages.iter().filter(|m| policy.matches(m)).cloned().collect();
                let key = |m: &Message| m.body.clone();
                let mut got_bodies: Vec<String> = got.iter().map(key).collect();
                let mut want: Vec<String> = expected.iter().map(key).collect();
                got_bodies.sort();
                want.sort();
                assert_eq!(got_bodies, want, "queue q{q} with policy {:?}", subs[q]);
                for m in &got {
                    let original = messages.iter().find(|o| o.body == m.body).unwrap();
                    assert_eq!(m.attributes, original.attributes, "attributes arrive intact");
                }
            }
            assert_eq!(b.queue_stats("none").await.unwrap().total(), 0);
        });
    }
}
