//! SQS messages through the Rust SDK: send and receive with every attribute type and exact MD5
//! digests, attribute selection, system attributes, long polling, visibility, batches with per-entry
//! failures, size limits, delays, FIFO ordering and deduplication, redrive to a dead-letter queue.

use crate::common;

use std::time::{Duration, Instant};

use aws_sdk_sqs::error::ProvideErrorMetadata;
use aws_sdk_sqs::primitives::Blob;
use aws_sdk_sqs::types::{
    ChangeMessageVisibilityBatchRequestEntry, DeleteMessageBatchRequestEntry, MessageAttributeValue,
    MessageSystemAttributeName as S, QueueAttributeName as Q, SendMessageBatchRequestEntry,
};
use common::{md5_hex, start};

fn string(v: &str) -> MessageAttributeValue {
    MessageAttributeValue::builder().data_type("String").string_value(v).build().unwrap()
}

#[tokio::test]
async fn send_and_receive_with_attributes_and_digests() {
    let h = start().await;
    let url = h.queue("roundtrip").await;
    let body = "héllo {\"a\": 1}";
    let sent = h
        .sqs
        .send_message()
        .queue_url(&url)
        .message_body(body)
        .message_attributes("s", string("text"))
        .message_attributes(
            "n",
            MessageAttributeValue::builder().data_type("Number").string_value("3.25").build().unwrap(),
        )
        .message_attributes(
            "b",
            MessageAttributeValue::builder()
                .data_type("Binary")
                .binary_value(Blob::new(vec![0, 1, 255]))
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(sent.md5_of_message_body(), Some(md5_hex(body.as_bytes()).as_str()));
    assert!(sent.md5_of_message_attributes().is_some());
    assert_eq!(sent.message_id().unwrap().len(), 36);

    let got = h.receive(&url, 0).await;
    assert_eq!(got.len(), 1);
    let m = &got[0];
    assert_eq!(m.body(), Some(body));
    assert_eq!(m.message_id(), sent.message_id());
    assert_eq!(m.md5_of_body(), sent.md5_of_message_body());
    assert_eq!(m.md5_of_message_attributes(), sent.md5_of_message_attributes(), "same digest on both sides");
    let attrs = m.message_attributes().unwrap();
    assert_eq!(attrs["s"].string_value(), Some("text"));
    assert_eq!(attrs["n"].data_type(), "Number");
    assert_eq!(attrs["b"].binary_value().unwrap().as_ref(), &[0, 1, 255]);
    let sys = m.attributes().unwrap();
    assert_eq!(sys[&S::ApproximateReceiveCount], "1");
    assert_eq!(sys[&S::SenderId], "000000000000");
    let sent_ms: u64 = sys[&S::SentTimestamp].parse().unwrap();
    let first_ms: u64 = sys[&S::ApproximateFirstReceiveTimestamp].parse().unwrap();
    assert!(first_ms >= sent_ms);
    assert!(m.receipt_handle().is_some());
}

#[tokio::test]
#[allow(deprecated)] // AttributeNames, the older spelling of MessageSystemAttributeNames, is still honoured.
async fn attribute_selection_and_the_published_digest_vector() {
    let h = start().await;
    let url = h.queue("select").await;
    let sent = h
        .sqs
        .send_message()
        .queue_url(&url)
        .message_body("x")
        .message_attributes(
            "ordinal",
            MessageAttributeValue::builder().data_type("Number").string_value("1").build().unwrap(),
        )
        .message_attributes("category", string("test"))
        .message_attributes("trace.id", string("t1"))
        .send()
        .await
        .unwrap();
    assert_ne!(sent.md5_of_message_attributes(), Some("d21ae90c49061e927f57df5f5d72be1f"), "three attributes");
    let named = h
        .sqs
        .receive_message()
        .queue_url(&url)
        .message_attribute_names("ordinal")
        .message_attribute_names("category")
        .attribute_names(Q::from("SentTimestamp"))
        .visibility_timeout(0)
        .send()
        .await
        .unwrap();
    let m = &named.messages()[0];
    assert_eq!(m.message_attributes().unwrap().len(), 2);
    // The digest of exactly these two attributes, as published with an SQS emulator checked against AWS's SDK.
    assert_eq!(m.md5_of_message_attributes(), Some("d21ae90c49061e927f57df5f5d72be1f"));
    assert_eq!(m.attributes().unwrap().keys().collect::<Vec<_>>(), [&S::SentTimestamp]);

    let prefixed = h.sqs.receive_message().queue_url(&url).message_attribute_names("trace.*").visibility_timeout(0);
    let prefixed = prefixed.send().await.unwrap();
    let attrs = prefixed.messages()[0].message_attributes().unwrap();
    assert_eq!(attrs.keys().collect::<Vec<_>>(), ["trace.id"]);

    let none = h.sqs.receive_message().queue_url(&url).send().await.unwrap();
    let m = &none.messages()[0];
    assert!(m.message_attributes().is_none() && m.md5_of_message_attributes().is_none() && m.attributes().is_none());
}

#[tokio::test]
async fn long_poll_returns_as_soon_as_a_message_arrives() {
    let h = start().await;
    let url = h.queue("poll").await;
    let sqs = h.sqs.clone();
    let u = url.clone();
    let sender = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        sqs.send_message().queue_url(u).message_body("late").send().await.unwrap();
    });
    let t0 = Instant::now();
    let got = h.receive(&url, 10).await;
    assert_eq!(got.len(), 1);
    assert!(t0.elapsed() < Duration::from_secs(5), "woke on arrival, not at the end of the wait");
    sender.await.unwrap();
    let t0 = Instant::now();
    assert!(h.receive(&url, 1).await.is_empty());
    assert!(t0.elapsed() >= Duration::from_millis(900), "an empty long poll waits its time");
    let err = h.sqs.receive_message().queue_url(&url).wait_time_seconds(21).send().await.unwrap_err();
    assert_eq!(err.code(), Some("InvalidParameterValue"));
    let err = h.sqs.receive_message().queue_url(&url).max_number_of_messages(11).send().await.unwrap_err();
    assert_eq!(err.code(), Some("InvalidParameterValue"));
}

#[tokio::test]
async fn visibility_timeouts_and_changes() {
    let h = start().await;
    let url = h.queue("vis").await;
    h.sqs.send_message().queue_url(&url).message_body("m").send().await.unwrap();
    let first = h.sqs.receive_message().queue_url(&url).visibility_timeout(1).send().await.unwrap();
    let handle1 = first.messages()[0].receipt_handle().unwrap().to_owned();
    assert!(h.receive(&url, 0).await.is_empty(), "in flight");
    let again = h.receive(&url, 3).await;
    assert_eq!(again.len(), 1, "visible again after its timeout");
    assert_eq!(again[0].attributes().unwrap()[&S::ApproximateReceiveCount], "2");
    let handle2 = again[0].receipt_handle().unwrap().to_owned();
    assert_ne!(handle1, handle2, "a new receipt handle per receive");

    h.sqs
        .change_message_visibility()
        .queue_url(&url)
        .receipt_handle(&handle2)
        .visibility_timeout(0)
        .send()
        .await
        .unwrap();
    let third = h.receive(&url, 0).await;
    assert_eq!(third.len(), 1, "visibility 0 makes it visible at once");
    let handle3 = third[0].receipt_handle().unwrap().to_owned();

    let err =
        h.sqs.change_message_visibility().queue_url(&url).receipt_handle(&handle1).visibility_timeout(5).send().await;
    assert!(err.unwrap_err().as_service_error().unwrap().is_receipt_handle_is_invalid(), "an outdated handle");
    let err =
        h.sqs.change_message_visibility().queue_url(&url).receipt_handle("garbage").visibility_timeout(5).send().await;
    assert!(err.unwrap_err().as_service_error().unwrap().is_receipt_handle_is_invalid());
    let err = h
        .sqs
        .change_message_visibility()
        .queue_url(&url)
        .receipt_handle(&handle3)
        .visibility_timeout(43_201)
        .send()
        .await;
    assert_eq!(err.unwrap_err().code(), Some("InvalidParameterValue"));
    let err = h.sqs.delete_message().queue_url(&url).receipt_handle("garbage").send().await.unwrap_err();
    assert!(err.as_service_error().unwrap().is_receipt_handle_is_invalid());

    h.sqs.delete_message().queue_url(&url).receipt_handle(&handle3).send().await.unwrap();
    let err =
        h.sqs.change_message_visibility().queue_url(&url).receipt_handle(&handle3).visibility_timeout(5).send().await;
    assert_eq!(err.unwrap_err().code(), Some("AWS.SimpleQueueService.MessageNotInflight"));
    assert!(h.receive(&url, 0).await.is_empty());
}

fn entry(id: &str, body: &str) -> SendMessageBatchRequestEntry {
    SendMessageBatchRequestEntry::builder().id(id).message_body(body).build().unwrap()
}

#[tokio::test]
async fn batches_report_entry_failures_and_request_errors() {
    let h = start().await;
    let url = h.queue("batch").await;
    let bad_attr = SendMessageBatchRequestEntry::builder()
        .id("bad")
        .message_body("x")
        .message_attributes("AWS.reserved", string("v"))
        .build()
        .unwrap();
    let out = h
        .sqs
        .send_message_batch()
        .queue_url(&url)
        .entries(entry("a", "one"))
        .entries(bad_attr)
        .entries(entry("c", "three"))
        .send()
        .await
        .unwrap();
    assert_eq!(out.successful().iter().map(|s| s.id()).collect::<Vec<_>>(), ["a", "c"]);
    assert_eq!(out.successful()[0].md5_of_message_body(), md5_hex(b"one"));
    assert_eq!(out.failed().len(), 1);
    assert_eq!(out.failed()[0].id(), "bad");
    assert_eq!(out.failed()[0].code(), "InvalidParameterValue");
    assert!(out.failed()[0].sender_fault());

    let got = h.receive(&url, 0).await;
    assert_eq!(got.len(), 2);
    let mut del = h.sqs.delete_message_batch().queue_url(&url);
    for (i, m) in got.iter().enumerate() {
        del = del.entries(
            DeleteMessageBatchRequestEntry::builder()
                .id(format!("d{i}"))
                .receipt_handle(m.receipt_handle().unwrap())
                .build()
                .unwrap(),
        );
    }
    del = del
        .entries(DeleteMessageBatchRequestEntry::builder().id("junk").receipt_handle("not-a-handle").build().unwrap());
    let out = del.send().await.unwrap();
    assert_eq!(out.successful().len(), 2);
    assert_eq!(out.failed()[0].id(), "junk");
    assert_eq!(out.failed()[0].code(), "ReceiptHandleIsInvalid");

    h.sqs.send_message().queue_url(&url).message_body("v").send().await.unwrap();
    let m = h.receive(&url, 0).await.remove(0);
    let out = h
        .sqs
        .change_message_visibility_batch()
        .queue_url(&url)
        .entries(
            ChangeMessageVisibilityBatchRequestEntry::builder()
                .id("ok")
                .receipt_handle(m.receipt_handle().unwrap())
                .visibility_timeout(0)
                .build()
                .unwrap(),
        )
        .entries(
            ChangeMessageVisibilityBatchRequestEntry::builder()
                .id("bad")
                .receipt_handle("nope")
                .visibility_timeout(0)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(out.successful()[0].id(), "ok");
    assert_eq!(out.failed()[0].code(), "ReceiptHandleIsInvalid");

    let err = h.sqs.send_message_batch().queue_url(&url).send().await.unwrap_err();
    assert!(err.as_service_error().unwrap().is_empty_batch_request(), "{err:?}");
    let mut eleven = h.sqs.send_message_batch().queue_url(&url);
    for i in 0..11 {
        eleven = eleven.entries(entry(&format!("e{i}"), "x"));
    }
    assert!(eleven.send().await.unwrap_err().as_service_error().unwrap().is_too_many_entries_in_batch_request());
    let dup = h.sqs.send_message_batch().queue_url(&url).entries(entry("same", "1")).entries(entry("same", "2"));
    assert!(dup.send().await.unwrap_err().as_service_error().unwrap().is_batch_entry_ids_not_distinct());
    let bad_id = h.sqs.send_message_batch().queue_url(&url).entries(entry("no spaces", "1")).send().await;
    assert!(bad_id.unwrap_err().as_service_error().unwrap().is_invalid_batch_entry_id());
    let big = "x".repeat(200_000);
    let mut long = h.sqs.send_message_batch().queue_url(&url);
    for i in 0..6 {
        long = long.entries(entry(&format!("l{i}"), &big));
    }
    assert!(long.send().await.unwrap_err().as_service_error().unwrap().is_batch_request_too_long());
}

#[tokio::test]
async fn size_limits_and_message_contents() {
    let h = start().await;
    let url = h.queue("limits").await;
    h.sqs.send_message().queue_url(&url).message_body("x".repeat(1_048_576)).send().await.unwrap();
    let err = h.sqs.send_message().queue_url(&url).message_body("x".repeat(1_048_577)).send().await.unwrap_err();
    assert_eq!(err.code(), Some("InvalidParameterValue"));
    assert!(err.message().unwrap().contains("1048576"), "{err:?}");
    h.sqs.set_queue_attributes().queue_url(&url).attributes(Q::MaximumMessageSize, "1024").send().await.unwrap();
    let err = h.sqs.send_message().queue_url(&url).message_body("x".repeat(1025)).send().await.unwrap_err();
    assert!(err.message().unwrap().contains("1024"), "{err:?}");
    let err = h.sqs.send_message().queue_url(&url).message_body("bad \u{1} char").send().await.unwrap_err();
    assert!(err.as_service_error().unwrap().is_invalid_message_contents(), "{err:?}");
    let mut eleven = h.sqs.send_message().queue_url(&url).message_body("x");
    for i in 0..11 {
        eleven = eleven.message_attributes(format!("a{i}"), string("v"));
    }
    assert_eq!(eleven.send().await.unwrap_err().code(), Some("InvalidParameterValue"));
    let err = h.sqs.send_message().queue_url(&url).message_body("x").delay_seconds(901).send().await.unwrap_err();
    assert_eq!(err.code(), Some("InvalidParameterValue"));
    let no_value = MessageAttributeValue::builder().data_type("String").build().unwrap();
    let err = h.sqs.send_message().queue_url(&url).message_body("x").message_attributes("a", no_value).send().await;
    assert_eq!(err.unwrap_err().code(), Some("InvalidParameterValue"));
}

#[tokio::test]
async fn delays_hide_messages() {
    let h = start().await;
    let url = h.queue("delay").await;
    h.sqs.send_message().queue_url(&url).message_body("later").delay_seconds(1).send().await.unwrap();
    let stats = h
        .sqs
        .get_queue_attributes()
        .queue_url(&url)
        .attribute_names(Q::ApproximateNumberOfMessagesDelayed)
        .send()
        .await;
    assert_eq!(stats.unwrap().attributes().unwrap()[&Q::ApproximateNumberOfMessagesDelayed], "1");
    assert!(h.receive(&url, 0).await.is_empty());
    assert_eq!(h.receive(&url, 3).await.len(), 1);
}

#[tokio::test]
async fn fifo_order_sequence_numbers_and_deduplication() {
    let h = start().await;
    let url = h
        .sqs
        .create_queue()
        .queue_name("orders.fifo")
        .attributes(Q::FifoQueue, "true")
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    let mut seqs = Vec::new();
    for i in 0..3 {
        let out = h
            .sqs
            .send_message()
            .queue_url(&url)
            .message_body(format!("m{i}"))
            .message_group_id("g")
            .message_deduplication_id(format!("d{i}"))
            .send()
            .await
            .unwrap();
        seqs.push(out.sequence_number().unwrap().to_owned());
    }
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "increasing: {seqs:?}");
    let dup =
        h.sqs.send_message().queue_url(&url).message_body("m0").message_group_id("g").message_deduplication_id("d0");
    assert_eq!(
        dup.send().await.unwrap().sequence_number(),
        Some(seqs[0].as_str()),
        "a duplicate returns the first send"
    );
    let err = h.sqs.send_message().queue_url(&url).message_body("x").message_group_id("g").send().await.unwrap_err();
    assert_eq!(err.code(), Some("InvalidParameterValue"), "no deduplication id and no content-based deduplication");
    let got = h.receive(&url, 0).await;
    assert_eq!(got.iter().map(|m| m.body().unwrap()).collect::<Vec<_>>(), ["m0", "m1", "m2"]);
    assert_eq!(got[0].attributes().unwrap()[&S::MessageGroupId], "g");
    assert_eq!(got[0].attributes().unwrap()[&S::SequenceNumber], seqs[0]);
}

#[tokio::test]
async fn redrive_moves_messages_after_max_receives() {
    let h = start().await;
    let dlq = h.queue("dead").await;
    let dlq_arn = h.queue_arn(&dlq).await;
    let url = h
        .sqs
        .create_queue()
        .queue_name("work")
        .attributes(Q::RedrivePolicy, format!(r#"{{"deadLetterTargetArn":"{dlq_arn}","maxReceiveCount":2}}"#))
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    h.sqs.send_message().queue_url(&url).message_body("poison").send().await.unwrap();
    for _ in 0..2 {
        let got = h.sqs.receive_message().queue_url(&url).visibility_timeout(0).send().await.unwrap();
        assert_eq!(got.messages().len(), 1);
    }
    assert!(h.receive(&url, 0).await.is_empty(), "moved at the receive that would exceed maxReceiveCount");
    let dead = h.receive(&dlq, 0).await;
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].body(), Some("poison"));
}
