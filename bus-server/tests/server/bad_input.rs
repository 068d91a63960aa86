//! Bad input over raw HTTP: malformed JSON, forms and XML, unknown actions, missing parameters,
//! oversize bodies. Each gets an AWS-shaped error and the server keeps answering.

use crate::common;

use bus_server::ServerConfig;
use common::start_with;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// One HTTP/1.1 exchange on a fresh connection: status, headers (lower-case names), body.
async fn raw(addr: std::net::SocketAddr, head: &str, body: &[u8]) -> (u16, Vec<(String, String)>, String) {
    let mut s = TcpStream::connect(addr).await.unwrap();
    let mut req =
        format!("{head}\r\nHost: {addr}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", body.len()).into_bytes();
    req.extend_from_slice(body);
    // The server may answer (and close) before reading an oversize body: ignore write errors.
    let _ = s.write_all(&req).await;
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out).await;
    let text = String::from_utf8_lossy(&out).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let mut lines = head.lines();
    let status = lines.next().and_then(|l| l.split(' ').nth(1)).and_then(|c| c.parse().ok()).unwrap_or(0);
    let headers = lines
        .filter_map(|l| l.split_once(':').map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned())))
        .collect();
    (status, headers, body.to_owned())
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

fn sqs_head(action: &str) -> String {
    format!("POST / HTTP/1.1\r\nX-Amz-Target: AmazonSQS.{action}\r\nContent-Type: application/x-amz-json-1.0")
}

const FORM: &str = "POST / HTTP/1.1\r\nContent-Type: application/x-www-form-urlencoded";

#[tokio::test]
async fn bad_sqs_json_gets_sqs_errors() {
    let h = start_with(ServerConfig::default()).await;
    let addr = h.server.local_addr();
    for body in [&b"{not json"[..], b"[1,2]", b"\"str\"", b"{\"QueueName\": 5}", b"\xff\xfe"] {
        let (status, headers, text) = raw(addr, &sqs_head("CreateQueue"), body).await;
        assert_eq!(status, 400, "{body:?}: {text}");
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["__type"], "com.amazonaws.sqs#SerializationException", "{body:?}");
        assert!(v["message"].as_str().is_some());
        assert!(header(&headers, "x-amzn-requestid").is_some());
    }
    let (status, headers, text) = raw(addr, &sqs_head("CreateQueue"), b"{}").await;
    assert_eq!(status, 400);
    assert_eq!(header(&headers, "x-amzn-query-error"), Some("MissingParameter;Sender"), "{text}");
    let (status, headers, _) = raw(addr, &sqs_head("FlyToTheMoon"), b"{}").await;
    assert_eq!(status, 400);
    assert_eq!(header(&headers, "x-amzn-query-error"), Some("InvalidAction;Sender"));
    let (_, headers, text) = raw(addr, &sqs_head("GetQueueUrl"), br#"{"QueueName":"none"}"#).await;
    assert_eq!(header(&headers, "x-amzn-query-error"), Some("AWS.SimpleQueueService.NonExistentQueue;Sender"));
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&text).unwrap()["__type"],
        "com.amazonaws.sqs#QueueDoesNotExist"
    );
    let (status, _, _) =
        raw(addr, &sqs_head("SendMessage"), br#"{"QueueUrl":"http://x/000000000000/none","MessageBody":"x"}"#).await;
    assert_eq!(status, 400);
    let (status, headers, _) = raw(addr, &sqs_head("StartMessageMoveTask"), b"{}").await;
    assert_eq!(status, 400);
    assert_eq!(header(&headers, "x-amzn-query-error"), Some("AWS.SimpleQueueService.UnsupportedOperation;Sender"));

    // Still serving.
    let out = h.sqs.create_queue().queue_name("after").send().await.unwrap();
    assert!(out.queue_url().unwrap().ends_with("/000000000000/after"));
}

#[tokio::test]
async fn bad_forms_and_xml_get_sns_errors() {
    let h = start_with(ServerConfig::default()).await;
    let addr = h.server.local_addr();
    let cases: [(&[u8], u16, &str); 6] = [
        (b"Version=2010-03-31", 400, "MissingAction"),
        (b"Action=LaunchRocket", 400, "InvalidAction"),
        (b"Action=CreateTopic", 400, "InvalidParameter"),
        (b"Action=Publish&TopicArn=arn:aws:sns:us-east-1:000000000000:none&Message=x", 404, "NotFound"),
        (b"Action=Publish&Message=\xff", 400, "MalformedQueryString"),
        (b"<?xml version=\"1.0\"?><Publish><TopicArn>x</Publish>", 400, "MissingAction"),
    ];
    for (body, status, code) in cases {
        let (got, headers, text) = raw(addr, FORM, body).await;
        assert_eq!(got, status, "{}: {text}", String::from_utf8_lossy(body));
        assert!(
            text.starts_with(
                "<ErrorResponse xmlns=\"http://sns.amazonaws.com/doc/2010-03-31/\"><Error><Type>Sender</Type>"
            ),
            "{text}"
        );
        assert!(text.contains(&format!("<Code>{code}</Code>")), "{text}");
        assert!(text.contains("<RequestId>"), "{text}");
        assert!(header(&headers, "x-amzn-requestid").is_some());
    }
    let (status, _, text) = raw(addr, "GET /?Action=ListTopics HTTP/1.1", b"").await;
    assert_eq!(status, 200, "the query protocol over GET: {text}");
    assert!(text.contains("<ListTopicsResponse"));
    let (status, _, text) = raw(addr, "GET / HTTP/1.1", b"").await;
    assert_eq!(status, 400);
    assert!(text.contains("MissingAction"));
    let (status, _, text) = raw(addr, "GET /_bus/health HTTP/1.1", b"").await;
    assert_eq!((status, text.as_str()), (200, r#"{"status":"running"}"#));
    assert!(h.sns.list_topics().send().await.is_ok(), "still serving");
}

#[tokio::test]
async fn oversize_bodies_are_refused_in_the_request_protocol() {
    let h = start_with(ServerConfig::default().with_max_body_bytes(4096)).await;
    let addr = h.server.local_addr();
    let big = vec![b'a'; 10_000];
    let (status, headers, text) = raw(addr, &sqs_head("SendMessage"), &big).await;
    assert_eq!(status, 413, "{text}");
    assert_eq!(header(&headers, "x-amzn-query-error"), Some("RequestEntityTooLarge;Sender"));
    let (status, _, text) = raw(addr, FORM, &big).await;
    assert_eq!(status, 413);
    assert!(text.contains("<Code>RequestEntityTooLarge</Code>"), "{text}");
    let url = h.sqs.create_queue().queue_name("small").send().await.unwrap().queue_url.unwrap();
    let err = h.sqs.send_message().queue_url(&url).message_body("x".repeat(8000)).send().await.unwrap_err();
    assert!(format!("{err:?}").contains("RequestEntityTooLarge"), "{err:?}");
    h.sqs.send_message().queue_url(&url).message_body("fits").send().await.unwrap();
}
