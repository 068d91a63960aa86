//! Declarative topology: topics, queues and the subscriptions between them.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::error::BusError;
use crate::filter::{FilterScope, SnsFilterPolicy};
use crate::limits;

/// A topic (SNS).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TopicSpec {
    /// The name; FIFO topic names end in `.fifo`.
    pub name: String,
    /// FIFO topic.
    #[serde(default)]
    pub fifo: bool,
    /// FIFO: content-based deduplication (SHA-256 of the body).
    #[serde(default)]
    pub content_based_deduplication: bool,
}

/// A redrive policy: after `max_receive_count` receives, move the message to `dead_letter_queue`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RedrivePolicy {
    /// The dead-letter queue's name (must be of the same type, standard or FIFO).
    pub dead_letter_queue: String,
    /// 1-1000.
    pub max_receive_count: u32,
}

/// A queue (SQS).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueueSpec {
    /// The name; FIFO queue names end in `.fifo`.
    pub name: String,
    /// Default visibility timeout (SQS default 30 s).
    #[serde(default = "default_visibility", with = "secs")]
    pub visibility_timeout: Duration,
    /// Message retention period (SQS default 4 days; 60 s to 14 days).
    #[serde(default = "default_retention", with = "secs")]
    pub retention: Duration,
    /// Delivery delay for every message (0-900 s).
    #[serde(default, with = "secs")]
    pub delay: Duration,
    /// Default long-poll wait of receives (0-20 s).
    #[serde(default, with = "secs")]
    pub receive_wait: Duration,
    /// Redrive to a dead-letter queue.
    #[serde(default)]
    pub redrive: Option<RedrivePolicy>,
    /// FIFO queue.
    #[serde(default)]
    pub fifo: bool,
    /// FIFO: content-based deduplication.
    #[serde(default)]
    pub content_based_deduplication: bool,
}

fn default_visibility() -> Duration {
    limits::DEFAULT_VISIBILITY_TIMEOUT
}

fn default_retention() -> Duration {
    limits::DEFAULT_RETENTION
}

mod secs {
    use serde::{Deserialize, Deserializer, Serializer};
    use std::time::Duration;

    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(d.as_secs())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        Ok(Duration::from_secs(u64::deserialize(d)?))
    }
}

/// A subscription of a queue to a topic.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubscriptionSpec {
    /// The topic's name.
    pub topic: String,
    /// The queue's name.
    pub queue: String,
    /// The filter policy JSON; `None` delivers everything.
    #[serde(default)]
    pub filter_policy: Option<serde_json::Value>,
    /// Which part of the message the policy looks at.
    #[serde(default)]
    pub filter_policy_scope: FilterScope,
    /// Raw message delivery: the body and attributes as published, no SNS envelope.
    #[serde(default)]
    pub raw_message_delivery: bool,
}

/// A whole topology: topics, queues and subscriptions.
///
/// ```
/// use bus_core::backend::{Topology, QueueSpec};
/// let t = Topology::new()
///     .topic("events")
///     .queue(QueueSpec::new("email-dlq"))
///     .queue(QueueSpec::new("email").with_dead_letter_queue("email-dlq", 5))
///     .subscribe_with_policy("events", "email", serde_json::json!({"event-type": ["USER_CREATED"]}));
/// t.validate().unwrap();
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Topology {
    /// Topics.
    #[serde(default)]
    pub topics: Vec<TopicSpec>,
    /// Queues (dead-letter queues included).
    #[serde(default)]
    pub queues: Vec<QueueSpec>,
    /// Subscriptions.
    #[serde(default)]
    pub subscriptions: Vec<SubscriptionSpec>,
}

impl TopicSpec {
    /// A standard topic.
    pub fn new(name: impl Into<String>) -> Self {
        let name = name.into();
        let fifo = name.ends_with(".fifo");
        TopicSpec { name, fifo, content_based_deduplication: false }
    }

    /// Turns content-based deduplication on (FIFO).
    pub fn with_content_based_deduplication(mut self) -> Self {
        self.content_based_deduplication = true;
        self
    }

    /// Checks the name and FIFO settings.
    pub fn validate(&self) -> Result<(), BusError> {
        validate_name("topic", &self.name, limits::MAX_TOPIC_NAME_LEN, self.fifo)?;
        if self.content_based_deduplication && !self.fifo {
            return Err(BusError::invalid_parameter(
                "ContentBasedDeduplication",
                "content-based deduplication is only for FIFO topics",
            ));
        }
        Ok(())
    }
}

impl QueueSpec {
    /// A standard queue (FIFO if the name ends in `.fifo`) with SQS's defaults.
    pub fn new(name: impl Into<String>) -> Self {
        let name = name.into();
        let fifo = name.ends_with(".fifo");
        QueueSpec {
            name,
            visibility_timeout: limits::DEFAULT_VISIBILITY_TIMEOUT,
            retention: limits::DEFAULT_RETENTION,
            delay: Duration::ZERO,
            receive_wait: Duration::ZERO,
            redrive: None,
            fifo,
            content_based_deduplication: false,
        }
    }

    /// Sets the visibility timeout.
    pub fn with_visibility_timeout(mut self, d: Duration) -> Self {
        self.visibility_timeout = d;
        self
    }

    /// Sets the retention period.
    pub fn with_retention(mut self, d: Duration) -> Self {
        self.retention = d;
        self
    }

    /// Sets the delivery delay.
    pub fn with_delay(mut self, d: Duration) -> Self {
        self.delay = d;
        self
    }

    /// Sets the default long-poll wait.
    pub fn with_receive_wait(mut self, d: Duration) -> Self {
        self.receive_wait = d;
        self
    }

    /// Redrives to `dlq` after `max_receive_count` receives.
    pub fn with_dead_letter_queue(mut self, dlq: impl Into<String>, max_receive_count: u32) -> Self {
        self.redrive = Some(RedrivePolicy { dead_letter_queue: dlq.into(), max_receive_count });
        self
    }

    /// Turns content-based deduplication on (FIFO).
    pub fn with_content_based_deduplication(mut self) -> Self {
        self.content_based_deduplication = true;
        self
    }

    /// Checks every attribute against SQS's ranges.
    pub fn validate(&self) -> Result<(), BusError> {
        validate_name("queue", &self.name, limits::MAX_QUEUE_NAME_LEN, self.fifo)?;
        crate::backend::subscription::validate_visibility(self.visibility_timeout)?;
        if self.retention < limits::MIN_RETENTION || self.retention > limits::MAX_RETENTION {
            return Err(BusError::invalid_parameter(
                "MessageRetentionPeriod",
                format!("must be between 60 and 1209600 seconds, got {}", self.retention.as_secs()),
            ));
        }
        validate_delay(self.delay)?;
        if self.receive_wait > limits::MAX_WAIT_TIME {
            return Err(BusError::invalid_parameter(
                "ReceiveMessageWaitTimeSeconds",
                format!("must be between 0 and 20 seconds, got {}", self.receive_wait.as_secs()),
            ));
        }
        if let Some(r) = &self.redrive {
            if !limits::MAX_RECEIVE_COUNT_RANGE.contains(&r.max_receive_count) {
                return Err(BusError::invalid_parameter(
                    "RedrivePolicy",
                    format!("maxReceiveCount must be between 1 and 1000, got {}", r.max_receive_count),
                ));
            }
        }
        if self.content_based_deduplication && !self.fifo {
            return Err(BusError::invalid_parameter(
                "ContentBasedDeduplication",
                "content-based deduplication is only for FIFO queues",
            ));
        }
        Ok(())
    }
}

/// Checks a delay against SQS's range (0-900 s).
pub fn validate_delay(d: Duration) -> Result<(), BusError> {
    if d > limits::MAX_DELAY {
        return Err(BusError::invalid_parameter(
            "DelaySeconds",
            format!("must be between 0 and 900 seconds, got {}", d.as_secs()),
        ));
    }
    Ok(())
}

fn validate_name(kind: &'static str, name: &str, max: usize, fifo: bool) -> Result<(), BusError> {
    let param = if kind == "queue" { "QueueName" } else { "Name" };
    let base = name.strip_suffix(".fifo").unwrap_or(name);
    if name.is_empty() || name.len() > max {
        return Err(BusError::invalid_parameter(param, format!("{kind} name must be 1-{max} characters")));
    }
    if !base.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') || base.is_empty() {
        return Err(BusError::invalid_parameter(
            param,
            format!("{kind} name {name:?} may only contain A-Z a-z 0-9 - _ (and the .fifo suffix)"),
        ));
    }
    if fifo != name.ends_with(".fifo") {
        return Err(BusError::invalid_parameter(
            param,
            format!("{kind} name {name:?}: FIFO {kind}s, and only they, must end in .fifo"),
        ));
    }
    Ok(())
}

impl Topology {
    /// An empty topology.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a standard topic (FIFO if the name ends in `.fifo`).
    pub fn topic(mut self, name: impl Into<String>) -> Self {
        self.topics.push(TopicSpec::new(name));
        self
    }

    /// Adds a topic spec.
    pub fn with_topic(mut self, spec: TopicSpec) -> Self {
        self.topics.push(spec);
        self
    }

    /// Adds a queue.
    pub fn queue(mut self, spec: QueueSpec) -> Self {
        self.queues.push(spec);
        self
    }

    /// Subscribes a queue to a topic with no filter, enveloped delivery.
    pub fn subscribe(self, topic: impl Into<String>, queue: impl Into<String>) -> Self {
        self.subscription(SubscriptionSpec {
            topic: topic.into(),
            queue: queue.into(),
            filter_policy: None,
            filter_policy_scope: FilterScope::MessageAttributes,
            raw_message_delivery: false,
        })
    }

    /// Subscribes a queue to a topic with an attribute-scope filter policy.
    pub fn subscribe_with_policy(
        self,
        topic: impl Into<String>,
        queue: impl Into<String>,
        policy: serde_json::Value,
    ) -> Self {
        self.subscription(SubscriptionSpec {
            topic: topic.into(),
            queue: queue.into(),
            filter_policy: Some(policy),
            filter_policy_scope: FilterScope::MessageAttributes,
            raw_message_delivery: false,
        })
    }

    /// Adds a subscription spec.
    pub fn subscription(mut self, spec: SubscriptionSpec) -> Self {
        self.subscriptions.push(spec);
        self
    }

    /// Parses a topology from JSON or TOML text (TOML needs the caller to convert; this takes JSON).
    pub fn from_json(text: &str) -> Result<Self, BusError> {
        Ok(serde_json::from_str(text)?)
    }

    /// Checks every resource, that names are unique, that subscriptions and redrive policies name
    /// declared resources of matching type, and that every filter policy is valid (AWS's reason texts).
    pub fn validate(&self) -> Result<(), BusError> {
        let mut names = std::collections::HashSet::new();
        for t in &self.topics {
            t.validate()?;
            if !names.insert(("topic", t.name.as_str())) {
                return Err(BusError::invalid_parameter("Name", format!("topic {:?} declared twice", t.name)));
            }
        }
        for q in &self.queues {
            q.validate()?;
            if !names.insert(("queue", q.name.as_str())) {
                return Err(BusError::invalid_parameter("QueueName", format!("queue {:?} declared twice", q.name)));
            }
        }
        for q in &self.queues {
            if let Some(r) = &q.redrive {
                let dlq = self
                    .queues
                    .iter()
                    .find(|d| d.name == r.dead_letter_queue)
                    .ok_or_else(|| BusError::QueueNotFound(r.dead_letter_queue.clone()))?;
                if dlq.fifo != q.fifo {
                    return Err(BusError::invalid_parameter(
                        "RedrivePolicy",
                        format!("the dead-letter queue of {:?} must be of the same type (standard or FIFO)", q.name),
                    ));
                }
            }
        }
        for s in &self.subscriptions {
            let topic = self
                .topics
                .iter()
                .find(|t| t.name == s.topic)
                .ok_or_else(|| BusError::TopicNotFound(s.topic.clone()))?;
            let queue = self
                .queues
                .iter()
                .find(|q| q.name == s.queue)
                .ok_or_else(|| BusError::QueueNotFound(s.queue.clone()))?;
            if queue.fifo && !topic.fifo {
                return Err(BusError::invalid_parameter(
                    "Endpoint",
                    format!("FIFO queue {:?} can only subscribe to a FIFO topic", queue.name),
                ));
            }
            if let Some(p) = &s.filter_policy {
                SnsFilterPolicy::from_value(p, s.filter_policy_scope)?;
            }
        }
        Ok(())
    }

    /// The queue spec named `name`.
    pub fn queue_spec(&self, name: &str) -> Option<&QueueSpec> {
        self.queues.iter().find(|q| q.name == name)
    }
}
