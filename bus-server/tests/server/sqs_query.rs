//! SQS over the older query protocol (form requests, XML answers), over raw HTTP: the same handlers
//! and rules as the JSON protocol.

use crate::common;

use bus_server::ServerConfig;
use common::{md5_hex, start_with};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

async fn post(addr: std::net::SocketAddr, path: &str, form: &str) -> (u16, String) {
    let mut s = TcpStream::connect(addr).await.unwrap();
    let req = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{form}",
        form.len()
    );
    s.write_all(req.as_bytes()).await.unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).await.unwrap();
    let (head, body) = out.split_once("\r\n\r\n").unwrap();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    (status, body.to_owned())
}

fn between<'a>(text: &'a str, tag: &str) -> Vec<&'a str> {
    let (open, close) = (format!("<{tag}>"), format!("</{tag}>"));
    text.split(&open).skip(1).filter_map(|s| s.split_once(&close).map(|(v, _)| v)).collect()
}

#[tokio::test]
async fn the_query_protocol_runs_the_same_calls() {
    let h = start_with(ServerConfig::default()).await;
    let addr = h.server.local_addr();
    let (status, body) =
        post(addr, "/", "Action=CreateQueue&QueueName=q&Attribute.1.Name=VisibilityTimeout&Attribute.1.Value=40&Tag.1.Key=k&Tag.1.Value=v").await;
    assert_eq!(status, 200, "{body}");
    assert!(body
        .starts_with("<CreateQueueResponse xmlns=\"http://queue.amazonaws.com/doc/2012-11-05/\"><CreateQueueResult>"));
    let url = between(&body, "QueueUrl")[0].to_owned();
    assert_eq!(url, format!("http://{addr}/000000000000/q"));

    let send = format!(
        "Action=SendMessage&QueueUrl={url}&MessageBody=hello%20there&MessageAttribute.1.Name=n&MessageAttribute.1.Value.DataType=Number&MessageAttribute.1.Value.StringValue=5"
    );
    let (status, body) = post(addr, "/", &send).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(between(&body, "MD5OfMessageBody"), [md5_hex(b"hello there")]);
    let attr_md5 = between(&body, "MD5OfMessageAttributes")[0].to_owned();

    let (status, body) =
        post(addr, "/", &format!("Action=GetQueueAttributes&QueueUrl={url}&AttributeName.1=All")).await;
    assert_eq!(status, 200);
    assert!(body.contains("<Attribute><Name>VisibilityTimeout</Name><Value>40</Value></Attribute>"), "{body}");
    assert!(body.contains("<Attribute><Name>ApproximateNumberOfMessages</Name><Value>1</Value></Attribute>"), "{body}");

    // Older SDKs post to the queue's path instead of sending QueueUrl.
    let (status, body) = post(
        addr,
        "/000000000000/q",
        "Action=ReceiveMessage&MessageAttributeName.1=All&AttributeName.1=All&MaxNumberOfMessages=10",
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(between(&body, "Body"), ["hello there"]);
    assert_eq!(between(&body, "MD5OfMessageAttributes"), [attr_md5.as_str()]);
    assert!(body.contains("<MessageAttribute><Name>n</Name><Value><DataType>Number</DataType><StringValue>5</StringValue></Value></MessageAttribute>"), "{body}");
    assert!(body.contains("<Attribute><Name>ApproximateReceiveCount</Name><Value>1</Value></Attribute>"));
    let handle = between(&body, "ReceiptHandle")[0].to_owned();

    let batch = format!(
        "Action=DeleteMessageBatch&QueueUrl={url}&DeleteMessageBatchRequestEntry.1.Id=a&DeleteMessageBatchRequestEntry.1.ReceiptHandle={handle}&DeleteMessageBatchRequestEntry.2.Id=b&DeleteMessageBatchRequestEntry.2.ReceiptHandle=junk"
    );
    let (status, body) = post(addr, "/", &batch).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("<DeleteMessageBatchResultEntry><Id>a</Id></DeleteMessageBatchResultEntry>"), "{body}");
    assert!(body.contains("<BatchResultErrorEntry>"), "{body}");
    assert_eq!(between(&body, "Code"), ["ReceiptHandleIsInvalid"]);

    let (status, body) = post(addr, "/", &format!("Action=ListQueueTags&QueueUrl={url}")).await;
    assert_eq!(status, 200);
    assert!(body.contains("<Tag><Key>k</Key><Value>v</Value></Tag>"), "{body}");

    let (status, body) = post(addr, "/", "Action=GetQueueUrl&QueueName=missing").await;
    assert_eq!(status, 400);
    assert!(body.contains("<Code>AWS.SimpleQueueService.NonExistentQueue</Code>"), "{body}");
    let (status, body) =
        post(addr, "/", &format!("Action=ReceiveMessage&QueueUrl={url}&MaxNumberOfMessages=ten")).await;
    assert_eq!(status, 400);
    assert!(body.contains("<Code>InvalidParameterValue</Code>"), "{body}");
    let (_, body) = post(addr, "/", "Action=ListQueues").await;
    assert_eq!(between(&body, "QueueUrl"), [url.as_str()]);
}
