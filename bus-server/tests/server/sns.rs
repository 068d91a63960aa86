//! SNS through the Rust SDK: topics (FIFO too, attributes, tags), subscriptions with filter policies,
//! scopes and raw delivery, the envelope, publish and batch publish, AWS's error codes and texts.

use crate::common;

use aws_sdk_sns::error::ProvideErrorMetadata;
use aws_sdk_sns::primitives::Blob;
use aws_sdk_sns::types::{MessageAttributeValue, PublishBatchRequestEntry, Tag};
use common::start;
use serde_json::{json, Value};

fn attr(data_type: &str, value: &str) -> MessageAttributeValue {
    MessageAttributeValue::builder().data_type(data_type).string_value(value).build().unwrap()
}

#[tokio::test]
async fn topics_are_created_listed_described_and_deleted() {
    let h = start().await;
    let arn = h.topic("events").await;
    assert_eq!(arn, "arn:aws:sns:us-east-1:000000000000:events");
    assert_eq!(h.topic("events").await, arn, "CreateTopic is idempotent");
    let fifo = h
        .sns
        .create_topic()
        .name("orders.fifo")
        .attributes("FifoTopic", "true")
        .attributes("ContentBasedDeduplication", "true")
        .attributes("DisplayName", "Orders")
        .tags(Tag::builder().key("team").value("core").build().unwrap())
        .send()
        .await
        .unwrap()
        .topic_arn
        .unwrap();
    let err = h.sns.create_topic().name("orders.fifo").attributes("FifoTopic", "true").send().await.unwrap_err();
    assert!(err.as_service_error().unwrap().is_invalid_parameter_exception(), "different attributes: {err:?}");
    let err = h.sns.create_topic().name("bad.fifo").send().await.unwrap_err();
    assert_eq!(err.code(), Some("InvalidParameter"));
    let err = h.sns.create_topic().name("sp ace").send().await.unwrap_err();
    assert_eq!(err.code(), Some("InvalidParameter"));

    let listed = h.sns.list_topics().send().await.unwrap();
    let arns: Vec<&str> = listed.topics().iter().filter_map(|t| t.topic_arn()).collect();
    assert_eq!(arns, [arn.as_str(), fifo.as_str()]);

    let attrs = h.sns.get_topic_attributes().topic_arn(&fifo).send().await.unwrap();
    let attrs = attrs.attributes().unwrap();
    assert_eq!(attrs["FifoTopic"], "true");
    assert_eq!(attrs["ContentBasedDeduplication"], "true");
    assert_eq!(attrs["DisplayName"], "Orders");
    assert_eq!(attrs["Owner"], "000000000000");
    assert_eq!(attrs["TopicArn"], fifo);
    h.sns
        .set_topic_attributes()
        .topic_arn(&fifo)
        .attribute_name("DisplayName")
        .attribute_value("Renamed")
        .send()
        .await
        .unwrap();
    h.sns
        .set_topic_attributes()
        .topic_arn(&fifo)
        .attribute_name("ContentBasedDeduplication")
        .attribute_value("false")
        .send()
        .await
        .unwrap();
    let attrs = h.sns.get_topic_attributes().topic_arn(&fifo).send().await.unwrap();
    assert_eq!(attrs.attributes().unwrap()["DisplayName"], "Renamed");
    assert_eq!(attrs.attributes().unwrap()["ContentBasedDeduplication"], "false");
    let err = h.sns.set_topic_attributes().topic_arn(&fifo).attribute_name("Colour").attribute_value("x").send().await;
    assert_eq!(err.unwrap_err().code(), Some("InvalidParameter"));

    h.sns
        .tag_resource()
        .resource_arn(&arn)
        .tags(Tag::builder().key("env").value("test").build().unwrap())
        .send()
        .await
        .unwrap();
    let tags = h.sns.list_tags_for_resource().resource_arn(&arn).send().await.unwrap();
    assert_eq!(tags.tags()[0].key(), "env");
    h.sns.untag_resource().resource_arn(&arn).tag_keys("env").send().await.unwrap();
    assert!(h.sns.list_tags_for_resource().resource_arn(&arn).send().await.unwrap().tags().is_empty());
    let tags = h.sns.list_tags_for_resource().resource_arn(&fifo).send().await.unwrap();
    assert_eq!(tags.tags()[0].value(), "core");

    h.sns.delete_topic().topic_arn(&arn).send().await.unwrap();
    h.sns.delete_topic().topic_arn(&arn).send().await.unwrap();
    let err = h.sns.get_topic_attributes().topic_arn(&arn).send().await.unwrap_err();
    assert!(err.as_service_error().unwrap().is_not_found_exception(), "{err:?}");
    let err = h.sns.publish().topic_arn(&arn).message("x").send().await.unwrap_err();
    assert!(err.as_service_error().unwrap().is_not_found_exception());
    assert_eq!(err.code(), Some("NotFound"));
}

#[tokio::test]
async fn enveloped_and_raw_delivery_with_filter_policies() {
    let h = start().await;
    let topic = h.topic("events").await;
    let all = h.queue("all").await;
    let raw = h.queue("raw").await;
    let filtered = h.queue("filtered").await;
    let sub_all = h.subscribe(&topic, &all, &[]).await;
    h.subscribe(&topic, &raw, &[("RawMessageDelivery", "true")]).await;
    h.subscribe(
        &topic,
        &filtered,
        &[("FilterPolicy", r#"{"kind": [{"wildcard": "user.*"}], "n": [{"numeric": [">", 5]}]}"#)],
    )
    .await;

    let out = h
        .sns
        .publish()
        .topic_arn(&topic)
        .message("hello")
        .message_attributes("kind", attr("String", "user.created"))
        .message_attributes("n", attr("Number", "7"))
        .message_attributes("tags", attr("String.Array", r#"["a","b"]"#))
        .message_attributes(
            "bin",
            MessageAttributeValue::builder().data_type("Binary").binary_value(Blob::new(vec![9, 8])).build().unwrap(),
        )
        .send()
        .await
        .unwrap();
    let id = out.message_id().unwrap();
    h.sns
        .publish()
        .topic_arn(&topic)
        .message("other")
        .message_attributes("kind", attr("String", "order.placed"))
        .send()
        .await
        .unwrap();

    let got = h.receive(&all, 0).await;
    assert_eq!(got.len(), 2);
    let env: Value = serde_json::from_str(got[0].body().unwrap()).unwrap();
    assert_eq!(env["Type"], "Notification");
    assert_eq!(env["MessageId"], id);
    assert_eq!(env["TopicArn"], topic);
    assert_eq!(env["Message"], "hello");
    assert_eq!(env["SignatureVersion"], "1");
    assert!(env["UnsubscribeURL"].as_str().unwrap().ends_with(&sub_all));
    assert_eq!(env["MessageAttributes"]["n"], json!({"Type": "Number", "Value": "7"}));
    assert_eq!(env["MessageAttributes"]["bin"], json!({"Type": "Binary", "Value": "CQg="}));
    assert!(got[0].message_attributes().is_none(), "enveloped: attributes are inside the body");

    let got = h.receive(&raw, 0).await;
    assert_eq!(got[0].body(), Some("hello"));
    let attrs = got[0].message_attributes().unwrap();
    assert_eq!(attrs["kind"].string_value(), Some("user.created"));
    assert_eq!(attrs["tags"].data_type(), "String.Array");
    assert_eq!(attrs["bin"].binary_value().unwrap().as_ref(), &[9, 8]);
    assert!(got[0].md5_of_message_attributes().is_some());

    let got = h.receive(&filtered, 0).await;
    assert_eq!(got.len(), 1, "only the message the policy matches");
}

#[tokio::test]
async fn subscriptions_are_listed_described_changed_and_removed() {
    let h = start().await;
    let topic = h.topic("t").await;
    let q = h.queue("q").await;
    let q_arn = h.queue_arn(&q).await;
    let policy = r#"{"a":["x"]}"#;
    let arn = h.subscribe(&topic, &q, &[("FilterPolicy", policy)]).await;
    assert!(arn.starts_with(&format!("{topic}:")));
    assert_eq!(h.subscribe(&topic, &q, &[("FilterPolicy", policy)]).await, arn, "same attributes: same subscription");
    let err = h
        .sns
        .subscribe()
        .topic_arn(&topic)
        .protocol("sqs")
        .endpoint(&q_arn)
        .attributes("RawMessageDelivery", "true")
        .send()
        .await;
    assert_eq!(err.unwrap_err().code(), Some("InvalidParameter"), "different attributes");

    let listed = h.sns.list_subscriptions_by_topic().topic_arn(&topic).send().await.unwrap();
    let s = &listed.subscriptions()[0];
    assert_eq!(
        (s.subscription_arn(), s.protocol(), s.endpoint(), s.topic_arn()),
        (Some(arn.as_str()), Some("sqs"), Some(q_arn.as_str()), Some(topic.as_str()))
    );
    assert_eq!(h.sns.list_subscriptions().send().await.unwrap().subscriptions().len(), 1);

    let attrs = h.sns.get_subscription_attributes().subscription_arn(&arn).send().await.unwrap();
    let a = attrs.attributes().unwrap();
    assert_eq!(serde_json::from_str::<Value>(&a["FilterPolicy"]).unwrap(), json!({"a": ["x"]}));
    assert_eq!(a["FilterPolicyScope"], "MessageAttributes");
    assert_eq!(a["RawMessageDelivery"], "false");
    assert_eq!(a["PendingConfirmation"], "false");

    let set = |name: &'static str, value: &'static str| {
        h.sns.set_subscription_attributes().subscription_arn(&arn).attribute_name(name).attribute_value(value).send()
    };
    set("FilterPolicyScope", "MessageBody").await.unwrap();
    set("FilterPolicy", r#"{"order": {"total": [{"numeric": [">", 10]}]}}"#).await.unwrap();
    set("RawMessageDelivery", "true").await.unwrap();
    h.sns.publish().topic_arn(&topic).message(r#"{"order": {"total": 5}}"#).send().await.unwrap();
    h.sns.publish().topic_arn(&topic).message(r#"{"order": {"total": 50}}"#).send().await.unwrap();
    let got = h.receive(&q, 0).await;
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].body(), Some(r#"{"order": {"total": 50}}"#), "raw, body-scope filtered");

    let err = set("FilterPolicyScope", "MessageAttributes").await.unwrap_err();
    assert_eq!(err.code(), Some("InvalidParameter"), "the nested policy is not valid in attribute scope");
    let err = set("RawMessageDelivery", "maybe").await.unwrap_err();
    assert_eq!(err.code(), Some("InvalidParameter"));
    let err = set("Colour", "x").await.unwrap_err();
    assert_eq!(err.code(), Some("InvalidParameter"));

    h.sns.unsubscribe().subscription_arn(&arn).send().await.unwrap();
    h.sns.unsubscribe().subscription_arn(&arn).send().await.unwrap();
    assert!(h.sns.list_subscriptions().send().await.unwrap().subscriptions().is_empty());
    let err = h.sns.get_subscription_attributes().subscription_arn(&arn).send().await.unwrap_err();
    assert!(err.as_service_error().unwrap().is_not_found_exception());

    let err = h.sns.subscribe().topic_arn(&topic).protocol("http").endpoint("http://example.invalid").send().await;
    assert_eq!(err.unwrap_err().code(), Some("InvalidParameter"));
    let err = h
        .sns
        .subscribe()
        .topic_arn(&topic)
        .protocol("sqs")
        .endpoint("arn:aws:sqs:us-east-1:000000000000:none")
        .send()
        .await;
    assert_eq!(err.unwrap_err().code(), Some("InvalidParameter"));
}

#[tokio::test]
async fn filter_policy_errors_carry_aws_texts() {
    let h = start().await;
    let topic = h.topic("t").await;
    let q = h.queue("q").await;
    let q_arn = h.queue_arn(&q).await;
    let err = h
        .sns
        .subscribe()
        .topic_arn(&topic)
        .protocol("sqs")
        .endpoint(&q_arn)
        .attributes("FilterPolicy", r#"{"a": []}"#)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("InvalidParameter"));
    assert_eq!(err.message(), Some("Invalid parameter: Attributes Reason: FilterPolicy: Empty arrays are not allowed"));
    let arn = h.subscribe(&topic, &q, &[]).await;
    let err = h
        .sns
        .set_subscription_attributes()
        .subscription_arn(&arn)
        .attribute_name("FilterPolicy")
        .attribute_value(r#"{"a": [{"bogus": 1}]}"#)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("InvalidParameter"));
    assert!(err.message().unwrap().starts_with("Invalid parameter: FilterPolicy: "), "{err:?}");
    let err = h
        .sns
        .set_subscription_attributes()
        .subscription_arn(&arn)
        .attribute_name("FilterPolicy")
        .attribute_value("{not json")
        .send()
        .await;
    assert!(err.unwrap_err().message().unwrap().starts_with("Invalid parameter: FilterPolicy: "));
}

#[tokio::test]
async fn publish_errors_and_message_structure() {
    let h = start().await;
    let topic = h.topic("t").await;
    let q = h.queue("q").await;
    h.subscribe(&topic, &q, &[("RawMessageDelivery", "true")]).await;
    let err = h.sns.publish().topic_arn(&topic).message("").send().await.unwrap_err();
    assert_eq!(err.code(), Some("InvalidParameter"));
    let err = h.sns.publish().topic_arn(&topic).message("x".repeat(262_145)).send().await.unwrap_err();
    assert_eq!(err.message(), Some("Invalid parameter: Message too long"));
    let err = h.sns.publish().topic_arn(&topic).message("x").message_attributes("a", attr("Weird", "v")).send().await;
    assert_eq!(err.unwrap_err().code(), Some("ParameterValueInvalid"));
    let err =
        h.sns.publish().topic_arn(&topic).message("x").message_group_id("g").message_deduplication_id("d").send().await;
    assert_eq!(err.unwrap_err().code(), Some("InvalidParameter"), "deduplication ids are for FIFO topics");
    let err = h.sns.publish().topic_arn("not-an-arn").message("x").send().await.unwrap_err();
    assert_eq!(err.code(), Some("InvalidParameter"));

    h.sns
        .publish()
        .topic_arn(&topic)
        .message(r#"{"default": "plain", "sqs": "for queues"}"#)
        .message_structure("json")
        .send()
        .await
        .unwrap();
    let err = h
        .sns
        .publish()
        .topic_arn(&topic)
        .message(r#"{"sqs": "x"}"#)
        .message_structure("json")
        .send()
        .await
        .unwrap_err();
    assert!(err.message().unwrap().contains("No default entry"), "{err:?}");
    let got = h.receive(&q, 0).await;
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].body(), Some("for queues"));
}

#[tokio::test]
async fn publish_batch_reports_entry_failures() {
    let h = start().await;
    let topic = h.topic("t").await;
    let q = h.queue("q").await;
    h.subscribe(&topic, &q, &[("RawMessageDelivery", "true")]).await;
    let e = |id: &str, m: &str| PublishBatchRequestEntry::builder().id(id).message(m).build().unwrap();
    let out = h
        .sns
        .publish_batch()
        .topic_arn(&topic)
        .publish_batch_request_entries(e("one", "1"))
        .publish_batch_request_entries(e("empty", ""))
        .publish_batch_request_entries(
            PublishBatchRequestEntry::builder()
                .id("three")
                .message("3")
                .message_attributes("k", attr("String", "v"))
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(out.successful().iter().filter_map(|s| s.id()).collect::<Vec<_>>(), ["one", "three"]);
    assert_eq!(out.failed()[0].id(), "empty");
    assert_eq!(out.failed()[0].code(), "InvalidParameter");
    assert!(out.failed()[0].sender_fault());
    let got = h.receive(&q, 0).await;
    assert_eq!(got.len(), 2);
    assert_eq!(got[1].message_attributes().unwrap()["k"].string_value(), Some("v"));

    let err = h.sns.publish_batch().topic_arn(&topic).send().await.unwrap_err();
    assert!(err.as_service_error().unwrap().is_empty_batch_request_exception(), "{err:?}");
    let dup = h
        .sns
        .publish_batch()
        .topic_arn(&topic)
        .publish_batch_request_entries(e("a", "1"))
        .publish_batch_request_entries(e("a", "2"));
    assert!(dup.send().await.unwrap_err().as_service_error().unwrap().is_batch_entry_ids_not_distinct_exception());
    let mut many = h.sns.publish_batch().topic_arn(&topic);
    for i in 0..11 {
        many = many.publish_batch_request_entries(e(&format!("m{i}"), "x"));
    }
    assert_eq!(many.send().await.unwrap_err().code(), Some("TooManyEntriesInBatchRequest"));
    let big = "x".repeat(100_000);
    let long = h
        .sns
        .publish_batch()
        .topic_arn(&topic)
        .publish_batch_request_entries(e("a", &big))
        .publish_batch_request_entries(e("b", &big))
        .publish_batch_request_entries(e("c", &big));
    assert!(long.send().await.unwrap_err().as_service_error().unwrap().is_batch_request_too_long_exception());
}

#[tokio::test]
async fn fifo_topics_deliver_in_order_to_fifo_queues() {
    let h = start().await;
    let topic = h
        .sns
        .create_topic()
        .name("t.fifo")
        .attributes("FifoTopic", "true")
        .attributes("ContentBasedDeduplication", "true")
        .send()
        .await
        .unwrap()
        .topic_arn
        .unwrap();
    let q = h
        .sqs
        .create_queue()
        .queue_name("q.fifo")
        .attributes(aws_sdk_sqs::types::QueueAttributeName::FifoQueue, "true")
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    h.subscribe(&topic, &q, &[("RawMessageDelivery", "true")]).await;
    let plain = h.queue("plain").await;
    let plain_arn = h.queue_arn(&plain).await;
    let std_topic = h.topic("std").await;
    let q_arn = h.queue_arn(&q).await;
    let err = h.sns.subscribe().topic_arn(&std_topic).protocol("sqs").endpoint(&q_arn).send().await.unwrap_err();
    assert_eq!(err.code(), Some("InvalidParameter"), "a FIFO queue subscribes to FIFO topics only");
    h.sns.subscribe().topic_arn(&topic).protocol("sqs").endpoint(&plain_arn).send().await.unwrap();

    let mut seqs = Vec::new();
    for m in ["a", "b", "c", "a"] {
        let out = h.sns.publish().topic_arn(&topic).message(m).message_group_id("g").send().await.unwrap();
        seqs.push(out.sequence_number().unwrap().to_owned());
    }
    assert_eq!(seqs[3], seqs[0], "the duplicate body returns the first publish's sequence number");
    let got = h.receive(&q, 0).await;
    assert_eq!(got.iter().map(|m| m.body().unwrap()).collect::<Vec<_>>(), ["a", "b", "c"]);
    let err = h.sns.publish().topic_arn(&topic).message("x").send().await.unwrap_err();
    assert_eq!(err.code(), Some("InvalidParameter"), "FIFO topics need a message group");
}

#[tokio::test]
async fn topics_and_subscriptions_are_listed_in_pages_of_100() {
    let h = start().await;
    let q = h.queue("q").await;
    let mut topics = Vec::new();
    for i in 0..150 {
        let arn = h.topic(&format!("t{i:03}")).await;
        h.subscribe(&arn, &q, &[]).await;
        topics.push(arn);
    }
    let first = h.sns.list_topics().send().await.unwrap();
    assert_eq!(first.topics().len(), 100);
    let token = first.next_token().expect("a second page").to_owned();
    let second = h.sns.list_topics().next_token(token).send().await.unwrap();
    assert_eq!(second.topics().len(), 50);
    assert!(second.next_token().is_none());
    let listed: Vec<String> =
        first.topics().iter().chain(second.topics()).filter_map(|t| t.topic_arn().map(str::to_owned)).collect();
    assert_eq!(listed, topics);

    let first = h.sns.list_subscriptions().send().await.unwrap();
    assert_eq!(first.subscriptions().len(), 100);
    let second = h.sns.list_subscriptions().next_token(first.next_token().unwrap()).send().await.unwrap();
    assert_eq!(second.subscriptions().len(), 50);
    let attrs = h.sns.get_topic_attributes().topic_arn(&topics[0]).send().await.unwrap();
    assert_eq!(attrs.attributes().unwrap()["SubscriptionsConfirmed"], "1");
}
