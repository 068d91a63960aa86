//! Server lifecycle: graceful shutdown ends long polls at once; `--state FILE` keeps queues, topics
//! and subscriptions across restarts; a bad state file stops the start with a clear error.

use crate::common;

use std::time::{Duration, Instant};

use aws_sdk_sqs::types::QueueAttributeName as Q;
use bus_server::{BusServer, ServerConfig, ServerError};
use common::start_with;

#[tokio::test]
async fn shutdown_ends_long_polls_and_stops_serving() {
    let h = start_with(ServerConfig::default()).await;
    let url = h.queue("waiting").await;
    let sqs = h.sqs.clone();
    let poll = tokio::spawn(async move {
        let t0 = Instant::now();
        let out = sqs.receive_message().queue_url(url).wait_time_seconds(20).send().await;
        (out, t0.elapsed())
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    let endpoint = h.server.endpoint();
    let t0 = Instant::now();
    h.server.stop().await.unwrap();
    assert!(t0.elapsed() < Duration::from_secs(5), "graceful shutdown did not wait for the 20 s poll");
    let (out, waited) = poll.await.unwrap();
    assert!(out.unwrap().messages().is_empty(), "the poll ended with no messages");
    assert!(waited < Duration::from_secs(5));
    let cfg = common::sdk_config(&endpoint);
    assert!(aws_sdk_sqs::Client::new(&cfg).list_queues().send().await.is_err(), "nothing listens any more");
}

#[tokio::test]
async fn state_file_restores_resources_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.json");
    let config = ServerConfig::default().with_state_file(&path);

    let h = start_with(config.clone()).await;
    let dlq = h.queue("dlq").await;
    let dlq_arn = h.queue_arn(&dlq).await;
    let work = h
        .sqs
        .create_queue()
        .queue_name("work")
        .attributes(Q::VisibilityTimeout, "7")
        .attributes(Q::MaximumMessageSize, "4096")
        .attributes(Q::RedrivePolicy, format!(r#"{{"deadLetterTargetArn":"{dlq_arn}","maxReceiveCount":4}}"#))
        .tags("team", "core")
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    let topic = h.topic("events").await;
    let sub = h.subscribe(&topic, &work, &[("FilterPolicy", r#"{"k":["v"]}"#), ("RawMessageDelivery", "true")]).await;
    h.sqs.send_message().queue_url(&work).message_body("lost on restart").send().await.unwrap();
    h.server.stop().await.unwrap();
    assert!(path.exists());

    let h = start_with(config).await;
    let work = h.sqs.get_queue_url().queue_name("work").send().await.unwrap().queue_url.unwrap();
    let attrs = h.sqs.get_queue_attributes().queue_url(&work).attribute_names(Q::All).send().await.unwrap();
    let a = attrs.attributes().unwrap();
    assert_eq!(a[&Q::VisibilityTimeout], "7");
    assert_eq!(a[&Q::MaximumMessageSize], "4096");
    assert!(a[&Q::RedrivePolicy].contains(&dlq_arn));
    assert_eq!(a[&Q::ApproximateNumberOfMessages], "0", "messages are not persisted");
    assert_eq!(h.sqs.list_queue_tags().queue_url(&work).send().await.unwrap().tags().unwrap()["team"], "core");
    let subs = h.sns.list_subscriptions_by_topic().topic_arn(&topic).send().await.unwrap();
    assert_eq!(subs.subscriptions()[0].subscription_arn(), Some(sub.as_str()), "the same subscription ARN");
    h.sns
        .publish()
        .topic_arn(&topic)
        .message("after restart")
        .message_attributes(
            "k",
            aws_sdk_sns::types::MessageAttributeValue::builder().data_type("String").string_value("v").build().unwrap(),
        )
        .send()
        .await
        .unwrap();
    h.sns.publish().topic_arn(&topic).message("filtered out").send().await.unwrap();
    let got = h.receive(&work, 0).await;
    assert_eq!(got.iter().map(|m| m.body().unwrap()).collect::<Vec<_>>(), ["after restart"]);
    h.sqs.delete_queue().queue_url(&work).send().await.unwrap();
    h.server.stop().await.unwrap();

    let text = std::fs::read_to_string(&path).unwrap();
    assert!(!text.contains("\"work\""), "the deleted queue is gone from the file");
}

#[tokio::test]
async fn a_bad_state_file_fails_the_start() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.json");
    std::fs::write(&path, "{ not state").unwrap();
    let err = BusServer::bind(ServerConfig::default().with_port(0).with_state_file(&path)).await.unwrap_err();
    assert!(matches!(err, ServerError::StateFormat { .. }), "{err:?}");
    let err = BusServer::bind(ServerConfig::default().with_port(0).with_account_id("nope")).await.unwrap_err();
    assert!(matches!(err, ServerError::Config(_)), "{err:?}");
}
