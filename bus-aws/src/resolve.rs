//! The SDK clients shared by the backend's handles, and the name → ARN / URL cache.
//!
//! Topics are addressed by name (or full ARN); SNS needs the ARN, which is found once with `ListTopics`
//! (or learnt from `CreateTopic` during provisioning) and cached. Queues are addressed by name; SQS needs
//! the URL (`GetQueueUrl`) and, for subscriptions and redrive policies, the ARN (`GetQueueAttributes`).
//! A "not found" answer evicts the cached entry, so a deleted and re-created resource is found again.

use std::collections::HashMap;
use std::sync::RwLock;

use aws_sdk_sqs::types::QueueAttributeName;
use bus_core::BusError;

use crate::error::{map_sdk_error, Service, Subject};

/// SNS and SQS clients plus the resolution cache; one per backend, shared by its handles.
#[derive(Debug)]
pub(crate) struct Clients {
    pub(crate) sns: aws_sdk_sns::Client,
    pub(crate) sqs: aws_sdk_sqs::Client,
    topic_arns: RwLock<HashMap<String, String>>,
    queue_urls: RwLock<HashMap<String, String>>,
    queue_arns: RwLock<HashMap<String, String>>,
}

fn read(map: &RwLock<HashMap<String, String>>, key: &str) -> Option<String> {
    map.read().unwrap_or_else(|p| p.into_inner()).get(key).cloned()
}

fn write(map: &RwLock<HashMap<String, String>>, key: &str, value: Option<String>) {
    let mut m = map.write().unwrap_or_else(|p| p.into_inner());
    match value {
        Some(v) => {
            m.insert(key.to_owned(), v);
        }
        None => {
            m.remove(key);
        }
    }
}

/// The last `:`-separated part of an ARN (a topic's or queue's name).
pub(crate) fn arn_name(arn: &str) -> &str {
    arn.rsplit(':').next().unwrap_or(arn)
}

impl Clients {
    pub(crate) fn new(sns: aws_sdk_sns::Client, sqs: aws_sdk_sqs::Client) -> Self {
        Clients {
            sns,
            sqs,
            topic_arns: RwLock::default(),
            queue_urls: RwLock::default(),
            queue_arns: RwLock::default(),
        }
    }

    /// The ARN of topic `topic` (a name, or an ARN which is returned as is).
    pub(crate) async fn topic_arn(&self, topic: &str) -> Result<String, BusError> {
        if topic.starts_with("arn:") {
            return Ok(topic.to_owned());
        }
        if let Some(arn) = read(&self.topic_arns, topic) {
            return Ok(arn);
        }
        let all = self.list_topics().await?;
        all.get(topic).cloned().ok_or_else(|| BusError::TopicNotFound(topic.to_owned()))
    }

    /// Every topic of the account and region, by name; refreshes the cache.
    pub(crate) async fn list_topics(&self) -> Result<HashMap<String, String>, BusError> {
        let mut out = HashMap::new();
        let mut next: Option<String> = None;
        loop {
            let page = self
                .sns
                .list_topics()
                .set_next_token(next.take())
                .send()
                .await
                .map_err(|e| map_sdk_error(Service::Sns, Subject::Other, e))?;
            for t in page.topics() {
                if let Some(arn) = t.topic_arn() {
                    out.insert(arn_name(arn).to_owned(), arn.to_owned());
                }
            }
            match page.next_token() {
                Some(t) if !t.is_empty() => next = Some(t.to_owned()),
                _ => break,
            }
        }
        for (name, arn) in &out {
            write(&self.topic_arns, name, Some(arn.clone()));
        }
        Ok(out)
    }

    /// Remembers a topic's ARN (after `CreateTopic`).
    pub(crate) fn remember_topic(&self, name: &str, arn: &str) {
        write(&self.topic_arns, name, Some(arn.to_owned()));
    }

    /// Forgets a topic (after SNS said it does not exist).
    pub(crate) fn forget_topic(&self, topic: &str) {
        write(&self.topic_arns, topic, None);
    }

    /// The URL of queue `queue` (a name, or a URL which is returned as is).
    pub(crate) async fn queue_url(&self, queue: &str) -> Result<String, BusError> {
        if queue.starts_with("https://") || queue.starts_with("http://") {
            return Ok(queue.to_owned());
        }
        if let Some(url) = read(&self.queue_urls, queue) {
            return Ok(url);
        }
        self.lookup_queue_url(queue).await?.ok_or_else(|| BusError::QueueNotFound(queue.to_owned()))
    }

    /// `GetQueueUrl`, with "does not exist" as `None`.
    pub(crate) async fn lookup_queue_url(&self, queue: &str) -> Result<Option<String>, BusError> {
        match self.sqs.get_queue_url().queue_name(queue).send().await {
            Ok(out) => {
                let url = out.queue_url().unwrap_or_default().to_owned();
                write(&self.queue_urls, queue, Some(url.clone()));
                Ok(Some(url))
            }
            Err(e) => match map_sdk_error(Service::Sqs, Subject::Queue(queue), e) {
                BusError::QueueNotFound(_) => {
                    self.forget_queue(queue);
                    Ok(None)
                }
                other => Err(other),
            },
        }
    }

    /// Remembers a queue's URL (after `CreateQueue`).
    pub(crate) fn remember_queue(&self, name: &str, url: &str, arn: Option<&str>) {
        write(&self.queue_urls, name, Some(url.to_owned()));
        if let Some(arn) = arn {
            write(&self.queue_arns, name, Some(arn.to_owned()));
        }
    }

    /// Forgets a queue (after SQS said it does not exist).
    pub(crate) fn forget_queue(&self, queue: &str) {
        write(&self.queue_urls, queue, None);
        write(&self.queue_arns, queue, None);
    }

    /// The ARN of queue `queue`.
    pub(crate) async fn queue_arn(&self, queue: &str) -> Result<String, BusError> {
        if let Some(arn) = read(&self.queue_arns, queue) {
            return Ok(arn);
        }
        let url = self.queue_url(queue).await?;
        let out = self
            .sqs
            .get_queue_attributes()
            .queue_url(&url)
            .attribute_names(QueueAttributeName::QueueArn)
            .send()
            .await
            .map_err(|e| self.queue_error(queue, e))?;
        let arn = out
            .attributes()
            .and_then(|a| a.get(&QueueAttributeName::QueueArn))
            .cloned()
            .ok_or_else(|| BusError::QueueNotFound(queue.to_owned()))?;
        write(&self.queue_arns, queue, Some(arn.clone()));
        Ok(arn)
    }

    /// Maps an SQS error about `queue`, evicting the cache when the queue is gone.
    pub(crate) fn queue_error<E, R>(&self, queue: &str, err: aws_sdk_sqs::error::SdkError<E, R>) -> BusError
    where
        E: aws_sdk_sqs::error::ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
        R: std::fmt::Debug + Send + Sync + 'static,
        aws_sdk_sqs::error::SdkError<E, R>: aws_sdk_sqs::operation::RequestId,
    {
        let e = map_sdk_error(Service::Sqs, Subject::Queue(queue), err);
        if matches!(e, BusError::QueueNotFound(_)) {
            self.forget_queue(queue);
        }
        e
    }

    /// Maps an SNS error about `topic`, evicting the cache when the topic is gone.
    pub(crate) fn topic_error<E, R>(&self, topic: &str, err: aws_sdk_sns::error::SdkError<E, R>) -> BusError
    where
        E: aws_sdk_sns::error::ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
        R: std::fmt::Debug + Send + Sync + 'static,
        aws_sdk_sns::error::SdkError<E, R>: aws_sdk_sns::operation::RequestId,
    {
        let e = map_sdk_error(Service::Sns, Subject::Topic(topic), err);
        if matches!(e, BusError::TopicNotFound(_)) {
            self.forget_topic(topic);
        }
        e
    }
}

#[cfg(test)]
mod tests {
    use super::arn_name;

    #[test]
    fn arn_name_is_the_last_segment() {
        assert_eq!(arn_name("arn:aws:sns:us-east-1:123456789012:events.fifo"), "events.fifo");
        assert_eq!(arn_name("plain"), "plain");
    }
}
