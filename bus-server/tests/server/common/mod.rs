//! Shared helpers: a server on an ephemeral loopback port and the Rust SDK clients pointed at it.

#![allow(dead_code)]

use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, Region};
use aws_sdk_sqs::config::{Credentials, SharedCredentialsProvider};
use bus_server::{BusServer, RunningServer, ServerConfig};

/// A running server and clients for it.
pub struct Harness {
    pub server: RunningServer,
    pub sqs: aws_sdk_sqs::Client,
    pub sns: aws_sdk_sns::Client,
}

/// SDK configuration for `endpoint`: dummy credentials, us-east-1, plain HTTP, no retries (so every
/// error is seen as the server sent it).
pub fn sdk_config(endpoint: &str) -> aws_config::SdkConfig {
    aws_config::SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(SharedCredentialsProvider::new(Credentials::new("test", "test", None, None, "tests")))
        .endpoint_url(endpoint)
        .retry_config(RetryConfig::disabled())
        .http_client(aws_smithy_http_client::Builder::new().build_http())
        .build()
}

/// Starts a server with `config` (its port replaced by an ephemeral one) and clients for it.
pub async fn start_with(config: ServerConfig) -> Harness {
    let server = BusServer::bind(config.with_port(0)).await.expect("server binds").spawn();
    let cfg = sdk_config(&server.endpoint());
    Harness { sqs: aws_sdk_sqs::Client::new(&cfg), sns: aws_sdk_sns::Client::new(&cfg), server }
}

/// Starts a server with the default configuration.
pub async fn start() -> Harness {
    start_with(ServerConfig::default()).await
}

impl Harness {
    /// Creates a queue and returns its URL.
    pub async fn queue(&self, name: &str) -> String {
        self.sqs.create_queue().queue_name(name).send().await.expect("queue created").queue_url.expect("url")
    }

    /// The ARN of a queue.
    pub async fn queue_arn(&self, url: &str) -> String {
        let out = self
            .sqs
            .get_queue_attributes()
            .queue_url(url)
            .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
            .send()
            .await
            .expect("attributes");
        out.attributes().unwrap()[&aws_sdk_sqs::types::QueueAttributeName::QueueArn].clone()
    }

    /// Creates a topic and returns its ARN.
    pub async fn topic(&self, name: &str) -> String {
        self.sns.create_topic().name(name).send().await.expect("topic created").topic_arn.expect("arn")
    }

    /// Subscribes a queue (by URL) to a topic with these attributes; returns the subscription ARN.
    pub async fn subscribe(&self, topic_arn: &str, queue_url: &str, attrs: &[(&str, &str)]) -> String {
        let arn = self.queue_arn(queue_url).await;
        let mut req = self.sns.subscribe().topic_arn(topic_arn).protocol("sqs").endpoint(arn);
        for (k, v) in attrs {
            req = req.attributes(*k, *v);
        }
        req.send().await.expect("subscribed").subscription_arn.expect("arn")
    }

    /// Receives up to 10 messages (waiting up to `wait` seconds) with every attribute.
    pub async fn receive(&self, url: &str, wait: i32) -> Vec<aws_sdk_sqs::types::Message> {
        self.sqs
            .receive_message()
            .queue_url(url)
            .max_number_of_messages(10)
            .wait_time_seconds(wait)
            .message_attribute_names("All")
            .message_system_attribute_names(aws_sdk_sqs::types::MessageSystemAttributeName::All)
            .send()
            .await
            .expect("receive")
            .messages
            .unwrap_or_default()
    }
}

/// The lowercase hex MD5 of some bytes (an independent check of the server's digests).
pub fn md5_hex(bytes: &[u8]) -> String {
    use md5::Digest;
    md5::Md5::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}
