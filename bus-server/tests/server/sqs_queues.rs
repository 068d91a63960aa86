//! SQS queue administration through the Rust SDK: create (idempotent, conflicts, FIFO names), URLs,
//! listing with pagination, attributes (read, write, ranges, unknown names), redrive and dead-letter
//! sources, tags, purge, delete.

use crate::common;

use aws_sdk_sqs::error::ProvideErrorMetadata;
use aws_sdk_sqs::types::QueueAttributeName as Q;
use common::start;

#[tokio::test]
async fn create_is_idempotent_and_conflicting_attributes_fail() {
    let h = start().await;
    let url = h.sqs.create_queue().queue_name("orders").attributes(Q::VisibilityTimeout, "45").send().await.unwrap();
    let url = url.queue_url.unwrap();
    assert_eq!(url, format!("{}/000000000000/orders", h.server.endpoint()));
    let again = h.sqs.create_queue().queue_name("orders").attributes(Q::VisibilityTimeout, "45").send().await.unwrap();
    assert_eq!(again.queue_url.unwrap(), url, "same name, same attributes: the same queue");
    let err =
        h.sqs.create_queue().queue_name("orders").attributes(Q::VisibilityTimeout, "46").send().await.unwrap_err();
    assert!(err.as_service_error().unwrap().is_queue_name_exists(), "{err:?}");
    assert_eq!(err.code(), Some("QueueAlreadyExists"));
    let got = h.sqs.get_queue_url().queue_name("orders").send().await.unwrap();
    assert_eq!(got.queue_url.unwrap(), url);
}

#[tokio::test]
async fn invalid_names_and_fifo_rules() {
    let h = start().await;
    for bad in ["has space", "", &"x".repeat(81)] {
        let err = h.sqs.create_queue().queue_name(bad).send().await.unwrap_err();
        assert!(matches!(err.code(), Some("InvalidParameterValue" | "MissingParameter")), "{bad:?}: {err:?}");
    }
    let err = h.sqs.create_queue().queue_name("jobs.fifo").send().await.unwrap_err();
    assert_eq!(err.code(), Some("InvalidParameterValue"), "a .fifo name needs FifoQueue=true");
    let err = h.sqs.create_queue().queue_name("jobs").attributes(Q::FifoQueue, "true").send().await.unwrap_err();
    assert_eq!(err.code(), Some("InvalidParameterValue"), "FifoQueue=true needs a .fifo name");
    let url = h
        .sqs
        .create_queue()
        .queue_name("jobs.fifo")
        .attributes(Q::FifoQueue, "true")
        .attributes(Q::ContentBasedDeduplication, "true")
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    let attrs = h.sqs.get_queue_attributes().queue_url(&url).attribute_names(Q::All).send().await.unwrap();
    let attrs = attrs.attributes().unwrap();
    assert_eq!(attrs[&Q::FifoQueue], "true");
    assert_eq!(attrs[&Q::ContentBasedDeduplication], "true");
    let err = h.sqs.create_queue().queue_name("plain").attributes(Q::ContentBasedDeduplication, "true").send().await;
    assert_eq!(err.unwrap_err().code(), Some("InvalidAttributeName"), "FIFO-only attribute on a standard queue");
}

#[tokio::test]
async fn unknown_queues_are_queue_does_not_exist() {
    let h = start().await;
    let err = h.sqs.get_queue_url().queue_name("nope").send().await.unwrap_err();
    assert!(err.as_service_error().unwrap().is_queue_does_not_exist(), "{err:?}");
    assert_eq!(err.code(), Some("AWS.SimpleQueueService.NonExistentQueue"));
    let url = format!("{}/000000000000/nope", h.server.endpoint());
    let err = h.sqs.send_message().queue_url(&url).message_body("x").send().await.unwrap_err();
    assert!(err.as_service_error().unwrap().is_queue_does_not_exist());
    let err = h.sqs.receive_message().queue_url(&url).send().await.unwrap_err();
    assert!(err.as_service_error().unwrap().is_queue_does_not_exist());
    let err = h.sqs.delete_queue().queue_url(&url).send().await.unwrap_err();
    assert!(err.as_service_error().unwrap().is_queue_does_not_exist());
    let other_account = format!("{}/111111111111/nope", h.server.endpoint());
    let err = h.sqs.purge_queue().queue_url(other_account).send().await.unwrap_err();
    assert!(err.as_service_error().unwrap().is_queue_does_not_exist());
    let err = h.sqs.get_queue_url().queue_name("nope").queue_owner_aws_account_id("1").send().await.unwrap_err();
    assert!(err.as_service_error().unwrap().is_queue_does_not_exist());
}

#[tokio::test]
async fn list_with_prefix_and_pages_then_delete() {
    let h = start().await;
    for i in 0..5 {
        h.queue(&format!("list-{i}")).await;
    }
    h.queue("other").await;
    let all = h.sqs.list_queues().send().await.unwrap();
    assert_eq!(all.queue_urls().len(), 6);
    let mut seen = Vec::new();
    let mut token = None;
    loop {
        let page = h.sqs.list_queues().queue_name_prefix("list-").max_results(2).set_next_token(token).send().await;
        let page = page.unwrap();
        assert!(page.queue_urls().len() <= 2);
        seen.extend(page.queue_urls().iter().cloned());
        token = page.next_token().map(str::to_owned);
        if token.is_none() {
            break;
        }
    }
    assert_eq!(seen.len(), 5);
    assert!(seen.iter().all(|u| u.contains("/list-")));
    let err = h.sqs.list_queues().max_results(0).send().await.unwrap_err();
    assert_eq!(err.code(), Some("InvalidParameterValue"));
    h.sqs.delete_queue().queue_url(&seen[0]).send().await.unwrap();
    assert_eq!(h.sqs.list_queues().queue_name_prefix("list-").send().await.unwrap().queue_urls().len(), 4);
    assert!(h.sqs.list_queues().queue_name_prefix("zzz").send().await.unwrap().queue_urls().is_empty());
}

#[tokio::test]
async fn attributes_read_write_and_ranges() {
    let h = start().await;
    let url = h.queue("attrs").await;
    let all = h.sqs.get_queue_attributes().queue_url(&url).attribute_names(Q::All).send().await.unwrap();
    let a = all.attributes().unwrap();
    assert_eq!(a[&Q::VisibilityTimeout], "30");
    assert_eq!(a[&Q::MessageRetentionPeriod], "345600");
    assert_eq!(a[&Q::DelaySeconds], "0");
    assert_eq!(a[&Q::MaximumMessageSize], "1048576");
    assert_eq!(a[&Q::ReceiveMessageWaitTimeSeconds], "0");
    assert_eq!(a[&Q::QueueArn], "arn:aws:sqs:us-east-1:000000000000:attrs");
    assert_eq!(a[&Q::ApproximateNumberOfMessages], "0");
    assert!(a[&Q::CreatedTimestamp].parse::<u64>().unwrap() > 1_600_000_000);
    assert!(!a.contains_key(&Q::FifoQueue), "FIFO attributes only on FIFO queues");

    let policy = r#"{"Version":"2012-10-17","Statement":[]}"#;
    h.sqs
        .set_queue_attributes()
        .queue_url(&url)
        .attributes(Q::VisibilityTimeout, "5")
        .attributes(Q::DelaySeconds, "2")
        .attributes(Q::MaximumMessageSize, "2048")
        .attributes(Q::Policy, policy)
        .send()
        .await
        .unwrap();
    let some = h
        .sqs
        .get_queue_attributes()
        .queue_url(&url)
        .attribute_names(Q::VisibilityTimeout)
        .attribute_names(Q::Policy)
        .attribute_names(Q::MaximumMessageSize)
        .send()
        .await
        .unwrap();
    let a = some.attributes().unwrap();
    assert_eq!(a.len(), 3, "only the attributes asked for: {a:?}");
    assert_eq!(a[&Q::VisibilityTimeout], "5");
    assert_eq!(a[&Q::Policy], policy);
    assert_eq!(a[&Q::MaximumMessageSize], "2048");

    for (name, value) in [
        (Q::VisibilityTimeout, "43201"),
        (Q::DelaySeconds, "901"),
        (Q::MessageRetentionPeriod, "59"),
        (Q::MaximumMessageSize, "1023"),
        (Q::ReceiveMessageWaitTimeSeconds, "21"),
        (Q::VisibilityTimeout, "soon"),
    ] {
        let err = h.sqs.set_queue_attributes().queue_url(&url).attributes(name.clone(), value).send().await;
        assert_eq!(err.unwrap_err().code(), Some("InvalidAttributeValue"), "{name:?}={value}");
    }
    let err = h.sqs.set_queue_attributes().queue_url(&url).attributes(Q::from("Colour"), "blue").send().await;
    assert_eq!(err.unwrap_err().code(), Some("InvalidAttributeName"));
    let err = h.sqs.get_queue_attributes().queue_url(&url).attribute_names(Q::from("Colour")).send().await;
    assert_eq!(err.unwrap_err().code(), Some("InvalidAttributeName"));
    let err = h.sqs.set_queue_attributes().queue_url(&url).attributes(Q::FifoQueue, "true").send().await;
    assert!(err.is_err(), "the queue type cannot change");
    let still = h.sqs.get_queue_attributes().queue_url(&url).attribute_names(Q::VisibilityTimeout).send().await;
    assert_eq!(still.unwrap().attributes().unwrap()[&Q::VisibilityTimeout], "5", "nothing half-applied");
}

#[tokio::test]
async fn redrive_policies_and_dead_letter_sources() {
    let h = start().await;
    let dlq = h.queue("dlq").await;
    let dlq_arn = h.queue_arn(&dlq).await;
    let a = h.queue("source-a").await;
    let b = h.queue("source-b").await;
    let policy = format!(r#"{{"deadLetterTargetArn":"{dlq_arn}","maxReceiveCount":"3"}}"#);
    for url in [&a, &b] {
        h.sqs.set_queue_attributes().queue_url(url).attributes(Q::RedrivePolicy, &policy).send().await.unwrap();
    }
    let got = h.sqs.get_queue_attributes().queue_url(&a).attribute_names(Q::RedrivePolicy).send().await.unwrap();
    let v: serde_json::Value = serde_json::from_str(&got.attributes().unwrap()[&Q::RedrivePolicy]).unwrap();
    assert_eq!(v["deadLetterTargetArn"], dlq_arn);
    assert_eq!(v["maxReceiveCount"], 3);
    let sources = h.sqs.list_dead_letter_source_queues().queue_url(&dlq).send().await.unwrap();
    assert_eq!(sources.queue_urls(), [a.clone(), b.clone()]);
    let page = h.sqs.list_dead_letter_source_queues().queue_url(&dlq).max_results(1).send().await.unwrap();
    assert_eq!(page.queue_urls(), std::slice::from_ref(&a));
    assert!(page.next_token().is_some());

    let missing = r#"{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:000000000000:gone","maxReceiveCount":3}"#;
    let err = h.sqs.set_queue_attributes().queue_url(&a).attributes(Q::RedrivePolicy, missing).send().await;
    assert_eq!(err.unwrap_err().code(), Some("InvalidParameterValue"));
    let too_many = format!(r#"{{"deadLetterTargetArn":"{dlq_arn}","maxReceiveCount":1001}}"#);
    let err = h.sqs.set_queue_attributes().queue_url(&a).attributes(Q::RedrivePolicy, too_many).send().await;
    assert_eq!(err.unwrap_err().code(), Some("InvalidParameterValue"));
    h.sqs.set_queue_attributes().queue_url(&b).attributes(Q::RedrivePolicy, "").send().await.unwrap();
    let sources = h.sqs.list_dead_letter_source_queues().queue_url(&dlq).send().await.unwrap();
    assert_eq!(sources.queue_urls(), [a]);
}

#[tokio::test]
async fn tags_purge_and_delete() {
    let h = start().await;
    let url = h.sqs.create_queue().queue_name("tagged").tags("team", "core").send().await.unwrap().queue_url.unwrap();
    h.sqs.tag_queue().queue_url(&url).tags("env", "test").tags("team", "platform").send().await.unwrap();
    let tags = h.sqs.list_queue_tags().queue_url(&url).send().await.unwrap();
    let tags = tags.tags().unwrap();
    assert_eq!(tags.len(), 2);
    assert_eq!(tags["team"], "platform");
    h.sqs.untag_queue().queue_url(&url).tag_keys("team").send().await.unwrap();
    let tags = h.sqs.list_queue_tags().queue_url(&url).send().await.unwrap();
    assert_eq!(tags.tags().unwrap().keys().collect::<Vec<_>>(), ["env"]);

    for i in 0..3 {
        h.sqs.send_message().queue_url(&url).message_body(format!("m{i}")).send().await.unwrap();
    }
    h.sqs.purge_queue().queue_url(&url).send().await.unwrap();
    assert!(h.receive(&url, 0).await.is_empty());
    let err = h.sqs.purge_queue().queue_url(&url).send().await.unwrap_err();
    assert!(err.as_service_error().unwrap().is_purge_queue_in_progress(), "{err:?}");

    h.sqs.delete_queue().queue_url(&url).send().await.unwrap();
    let err = h.sqs.get_queue_url().queue_name("tagged").send().await.unwrap_err();
    assert!(err.as_service_error().unwrap().is_queue_does_not_exist());
}
