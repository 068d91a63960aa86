//! Resource administration one call at a time, as the SNS and SQS APIs do it (what a server on this
//! backend needs): create, read, update and delete queues, topics and subscriptions, and send with
//! the FIFO sequence number.
//!
//! Each call validates first and changes nothing when it fails. Calls are serialised with
//! [`Backend::apply_topology`](bus_core::Backend::apply_topology), so the two can be mixed.

use std::sync::atomic::Ordering;
use std::sync::{Arc, PoisonError};
use std::time::Duration;

use bus_core::backend::{QueueSpec, SubscriptionSpec, TopicSpec};
use bus_core::filter::SnsFilterPolicy;
use bus_core::{limits, BusError, Message};

use super::{Inner, MemoryBackend};
use crate::ids::{self, mix64, uuid_bits, uuid_string};
use crate::queue::state::Redrive;
use crate::queue::Queue;
use crate::topic::{Sub, Topic, TopicConfig};

/// One subscription of a topic to a queue, as [`MemoryBackend::subscriptions`] lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriptionInfo {
    /// The subscription's ARN (`arn:aws:sns:us-east-1:000000000000:events:<uuid>`).
    pub arn: String,
    /// The topic's ARN.
    pub topic_arn: String,
    /// The queue's ARN (the SNS `Endpoint` of protocol `sqs`).
    pub queue_arn: String,
    /// Topic, queue, filter policy and scope, raw delivery.
    pub spec: SubscriptionSpec,
}

/// What a send to a queue returns (SQS `SendMessage`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendReceipt {
    /// The message id (for a FIFO duplicate within 5 minutes: the first send's).
    pub message_id: String,
    /// FIFO queues: the sequence number.
    pub sequence_number: Option<String>,
}

fn info(topic: &Topic, sub: &Sub) -> SubscriptionInfo {
    SubscriptionInfo {
        arn: sub.arn.clone(),
        topic_arn: topic.arn.clone(),
        queue_arn: sub.queue.arn.clone(),
        spec: sub.spec.clone(),
    }
}

impl Inner {
    fn redrive_of(&self, spec: &QueueSpec) -> Result<Option<Redrive>, BusError> {
        let Some(r) = &spec.redrive else { return Ok(None) };
        if !limits::MAX_RECEIVE_COUNT_RANGE.contains(&r.max_receive_count) {
            return Err(BusError::invalid_parameter(
                "RedrivePolicy",
                format!("maxReceiveCount must be between 1 and 1000, got {}", r.max_receive_count),
            ));
        }
        let dlq = self.queue(&r.dead_letter_queue)?;
        if dlq.fifo != spec.fifo {
            return Err(BusError::invalid_parameter(
                "RedrivePolicy",
                "the dead-letter queue of a FIFO queue must also be a FIFO queue (and of a standard queue, a standard queue)",
            ));
        }
        Ok(Some(Redrive { dlq: Arc::downgrade(&dlq), max_receive_count: r.max_receive_count }))
    }

    /// Replaces the subscriptions of `topic` (and maybe its content-based deduplication).
    fn set_subs(&self, topic: &Topic, content_dedup: bool, subs: Vec<Sub>) {
        let urls = subs.iter().map(|s| ids::unsubscribe_url(&self.region, &s.arn)).collect();
        topic.set_config(TopicConfig::new(content_dedup, subs, urls));
    }

    fn find_subscription(&self, arn: &str) -> Option<(Arc<Topic>, usize)> {
        let topic_arn = arn.rsplit_once(':').map(|(t, _)| t)?;
        let name = topic_arn.rsplit(':').next()?;
        let topic = self.topics.get(name).map(|t| t.clone()).filter(|t| t.arn == topic_arn)?;
        let i = topic.config().subs.iter().position(|s| s.arn == arn)?;
        Some((topic, i))
    }
}

impl MemoryBackend {
    /// Creates a queue (SQS `CreateQueue`). Returns `true` when it was created, `false` when a queue of
    /// that name already exists with the same attributes; fails with [`BusError::AlreadyExists`] when it
    /// exists with different ones. A redrive policy's dead-letter queue must exist.
    pub fn create_queue(&self, spec: &QueueSpec) -> Result<bool, BusError> {
        let inner = &self.inner;
        let _serialised = inner.apply.lock().unwrap_or_else(PoisonError::into_inner);
        spec.validate()?;
        let redrive = inner.redrive_of(spec)?;
        if let Some(existing) = inner.queues.get(&spec.name).map(|q| q.clone()) {
            let current = existing.spec();
            if current != *spec {
                return Err(BusError::AlreadyExists {
                    kind: "queue",
                    name: spec.name.clone(),
                    reason: "a queue already exists with the same name and different attributes".into(),
                });
            }
            return Ok(false);
        }
        let uid = inner.next_uid.fetch_add(1, Ordering::Relaxed);
        let arn = ids::queue_arn(&inner.region, &inner.account_id, &spec.name);
        let queue = Queue::new(spec, arn, uid, mix64(inner.seed ^ u64::from(uid)), inner.clock);
        if redrive.is_some() {
            queue.configure(spec, redrive);
        }
        inner.queues.insert(spec.name.clone(), Arc::new(queue));
        tracing::info!(queue = %spec.name, fifo = spec.fifo, "queue created");
        Ok(true)
    }

    /// The attributes of a queue, as a [`QueueSpec`].
    pub fn queue_spec(&self, queue: &str) -> Result<QueueSpec, BusError> {
        Ok(self.inner.queue(queue)?.spec())
    }

    /// Changes the attributes of an existing queue in place (SQS `SetQueueAttributes`); its messages
    /// stay. The queue type (standard or FIFO) cannot change.
    pub fn set_queue_spec(&self, spec: &QueueSpec) -> Result<(), BusError> {
        let inner = &self.inner;
        let _serialised = inner.apply.lock().unwrap_or_else(PoisonError::into_inner);
        let queue = inner.queue(&spec.name)?;
        if queue.fifo != spec.fifo {
            return Err(BusError::invalid_parameter("FifoQueue", "the queue type cannot change after creation"));
        }
        spec.validate()?;
        let redrive = inner.redrive_of(spec)?;
        queue.configure(spec, redrive);
        tracing::info!(queue = %spec.name, "queue attributes set");
        Ok(())
    }

    /// Deletes a queue and its messages (SQS `DeleteQueue`), and every subscription delivering to it.
    /// Queues that redrive to it drop the messages they would move there, as SQS does.
    pub fn delete_queue(&self, queue: &str) -> Result<(), BusError> {
        let inner = &self.inner;
        let _serialised = inner.apply.lock().unwrap_or_else(PoisonError::into_inner);
        let (_, removed) = inner.queues.remove(queue).ok_or_else(|| BusError::QueueNotFound(queue.to_owned()))?;
        let topics: Vec<Arc<Topic>> = inner.topics.iter().map(|t| t.clone()).collect();
        for topic in topics {
            let (dedup, subs) = {
                let cfg = topic.config();
                if !cfg.subs.iter().any(|s| Arc::ptr_eq(&s.queue, &removed)) {
                    continue;
                }
                (cfg.content_dedup, cfg.subs.iter().filter(|s| !Arc::ptr_eq(&s.queue, &removed)).cloned().collect())
            };
            inner.set_subs(&topic, dedup, subs);
        }
        tracing::info!(queue, "queue deleted");
        Ok(())
    }

    /// The queues whose redrive policy names `queue` as their dead-letter queue (SQS
    /// `ListDeadLetterSourceQueues`), sorted by name.
    pub fn dead_letter_source_queues(&self, queue: &str) -> Result<Vec<String>, BusError> {
        let dlq = self.inner.queue(queue)?;
        let mut out: Vec<String> = self
            .inner
            .queues
            .iter()
            .filter(|q| q.redrive_target().is_some_and(|t| Arc::ptr_eq(&t, &dlq)))
            .map(|q| q.key().clone())
            .collect();
        out.sort();
        Ok(out)
    }

    /// Sends a message straight to a queue (SQS `SendMessage`), returning its id and, on FIFO queues,
    /// its sequence number.
    pub fn send_message(
        &self,
        queue: &str,
        message: Message,
        delay: Option<Duration>,
    ) -> Result<SendReceipt, BusError> {
        let (message_id, sequence_number) = self.inner.queue(queue)?.send_with_sequence(message, delay)?;
        Ok(SendReceipt { message_id, sequence_number })
    }

    /// Creates a topic (SNS `CreateTopic`). Returns `true` when it was created, `false` when it already
    /// exists with the same attributes; fails with [`BusError::AlreadyExists`] when they differ.
    pub fn create_topic(&self, spec: &TopicSpec) -> Result<bool, BusError> {
        let inner = &self.inner;
        let _serialised = inner.apply.lock().unwrap_or_else(PoisonError::into_inner);
        spec.validate()?;
        if let Some(existing) = inner.topics.get(&spec.name).map(|t| t.clone()) {
            if existing.fifo != spec.fifo || existing.config().content_dedup != spec.content_based_deduplication {
                return Err(BusError::AlreadyExists {
                    kind: "topic",
                    name: spec.name.clone(),
                    reason: "a topic already exists with the same name and different attributes".into(),
                });
            }
            return Ok(false);
        }
        let arn = ids::topic_arn(&inner.region, &inner.account_id, &spec.name);
        let seed = mix64(inner.seed ^ mix64(inner.next_sub.fetch_add(1, Ordering::Relaxed)));
        let topic = Topic::new(spec.name.clone(), arn, spec.fifo, spec.content_based_deduplication, seed);
        inner.topics.insert(spec.name.clone(), Arc::new(topic));
        tracing::info!(topic = %spec.name, fifo = spec.fifo, "topic created");
        Ok(true)
    }

    /// The attributes of a topic, as a [`TopicSpec`].
    pub fn topic_spec(&self, topic: &str) -> Result<TopicSpec, BusError> {
        let t = self.inner.topic(topic)?;
        let content_based_deduplication = t.config().content_dedup;
        Ok(TopicSpec { name: t.name.clone(), fifo: t.fifo, content_based_deduplication })
    }

    /// Turns content-based deduplication of a FIFO topic on or off (SNS `SetTopicAttributes`).
    pub fn set_topic_content_based_deduplication(&self, topic: &str, on: bool) -> Result<(), BusError> {
        let inner = &self.inner;
        let _serialised = inner.apply.lock().unwrap_or_else(PoisonError::into_inner);
        let t = inner.topic(topic)?;
        if on && !t.fifo {
            return Err(BusError::invalid_parameter(
                "ContentBasedDeduplication",
                "content-based deduplication is only for FIFO topics",
            ));
        }
        let subs = t.config().subs.clone();
        inner.set_subs(&t, on, subs);
        Ok(())
    }

    /// Deletes a topic and its subscriptions (SNS `DeleteTopic`). Messages already delivered stay in
    /// their queues.
    pub fn delete_topic(&self, topic: &str) -> Result<(), BusError> {
        let inner = &self.inner;
        let _serialised = inner.apply.lock().unwrap_or_else(PoisonError::into_inner);
        inner.topics.remove(topic).ok_or_else(|| BusError::TopicNotFound(topic.to_owned()))?;
        tracing::info!(topic, "topic deleted");
        Ok(())
    }

    /// Subscribes a queue to a topic (SNS `Subscribe` with protocol `sqs`). Subscribing the same queue
    /// again with the same settings returns the existing subscription; with different settings it fails
    /// with [`BusError::AlreadyExists`]. `arn` restores a subscription under a known ARN (it must belong
    /// to the topic); `None` mints one.
    pub fn subscribe(&self, spec: &SubscriptionSpec, arn: Option<&str>) -> Result<SubscriptionInfo, BusError> {
        let inner = &self.inner;
        let _serialised = inner.apply.lock().unwrap_or_else(PoisonError::into_inner);
        let topic = inner.topic(&spec.topic)?;
        let queue = inner.queue(&spec.queue)?;
        if queue.fifo && !topic.fifo {
            return Err(BusError::invalid_parameter(
                "Endpoint",
                format!("FIFO queue {:?} can only subscribe to a FIFO topic", queue.name),
            ));
        }
        let policy = spec
            .filter_policy
            .as_ref()
            .map(|p| SnsFilterPolicy::from_value(p, spec.filter_policy_scope))
            .transpose()?;
        let cfg = topic.config();
        if let Some(existing) = cfg.subs.iter().find(|s| Arc::ptr_eq(&s.queue, &queue)) {
            if existing.spec != *spec {
                return Err(BusError::AlreadyExists {
                    kind: "subscription",
                    name: existing.arn.clone(),
                    reason: "Subscription already exists with different attributes".into(),
                });
            }
            return Ok(info(&topic, existing));
        }
        if policy.is_some() {
            let with_policy = cfg.subs.iter().filter(|s| s.policy.is_some()).count() + 1;
            if with_policy > limits::MAX_FILTER_POLICIES_PER_TOPIC {
                return Err(BusError::invalid_parameter(
                    "FilterPolicy",
                    format!(
                        "FilterPolicyLimitExceeded: topic {:?} would have {with_policy} filter policies, the limit is {}",
                        topic.name,
                        limits::MAX_FILTER_POLICIES_PER_TOPIC
                    ),
                ));
            }
        }
        let arn = match arn {
            Some(a) if a.rsplit_once(':').is_some_and(|(t, id)| t == topic.arn && !id.is_empty()) => a.to_owned(),
            Some(a) => {
                return Err(BusError::invalid_parameter(
                    "SubscriptionArn",
                    format!("{a:?} is not a subscription ARN of topic {}", topic.arn),
                ))
            }
            None => {
                let n = inner.next_sub.fetch_add(1, Ordering::Relaxed);
                format!("{}:{}", topic.arn, uuid_string(uuid_bits(inner.seed, n)))
            }
        };
        let sub = Sub { spec: spec.clone(), arn, queue, policy };
        let out = info(&topic, &sub);
        let mut subs = cfg.subs.clone();
        let dedup = cfg.content_dedup;
        drop(cfg);
        subs.push(sub);
        inner.set_subs(&topic, dedup, subs);
        tracing::info!(topic = %spec.topic, queue = %spec.queue, "subscription created");
        Ok(out)
    }

    /// Every subscription, by topic name and then ARN.
    pub fn subscriptions(&self) -> Vec<SubscriptionInfo> {
        let mut topics: Vec<Arc<Topic>> = self.inner.topics.iter().map(|t| t.clone()).collect();
        topics.sort_by(|a, b| a.name.cmp(&b.name));
        topics
            .iter()
            .flat_map(|t| {
                let mut v: Vec<SubscriptionInfo> = t.config().subs.iter().map(|s| info(t, s)).collect();
                v.sort_by(|a, b| a.arn.cmp(&b.arn));
                v
            })
            .collect()
    }

    /// The subscription with this ARN, if it exists.
    pub fn subscription_info(&self, arn: &str) -> Option<SubscriptionInfo> {
        let (topic, _) = self.inner.find_subscription(arn)?;
        // Looked up again under one read: the subscriptions may have changed since.
        let cfg = topic.config();
        cfg.subs.iter().find(|s| s.arn == arn).map(|s| info(&topic, s))
    }

    /// Changes the filter policy, scope and raw delivery of a subscription in place (SNS
    /// `SetSubscriptionAttributes`); the topic and queue of `spec` must be the subscription's. Returns
    /// `false` when no subscription has this ARN.
    pub fn update_subscription(&self, arn: &str, spec: &SubscriptionSpec) -> Result<bool, BusError> {
        let inner = &self.inner;
        let _serialised = inner.apply.lock().unwrap_or_else(PoisonError::into_inner);
        let Some((topic, i)) = inner.find_subscription(arn) else { return Ok(false) };
        let policy = spec
            .filter_policy
            .as_ref()
            .map(|p| SnsFilterPolicy::from_value(p, spec.filter_policy_scope))
            .transpose()?;
        let cfg = topic.config();
        let current = &cfg.subs[i];
        if current.spec.topic != spec.topic || current.spec.queue != spec.queue {
            return Err(BusError::invalid_parameter(
                "SubscriptionArn",
                "a subscription's topic and queue cannot change",
            ));
        }
        if policy.is_some() && current.policy.is_none() {
            let with_policy = cfg.subs.iter().filter(|s| s.policy.is_some()).count() + 1;
            if with_policy > limits::MAX_FILTER_POLICIES_PER_TOPIC {
                return Err(BusError::invalid_parameter(
                    "FilterPolicy",
                    format!(
                        "FilterPolicyLimitExceeded: topic {:?} would have {with_policy} filter policies, the limit is {}",
                        topic.name,
                        limits::MAX_FILTER_POLICIES_PER_TOPIC
                    ),
                ));
            }
        }
        let mut subs = cfg.subs.clone();
        let dedup = cfg.content_dedup;
        drop(cfg);
        subs[i].spec = spec.clone();
        subs[i].policy = policy;
        inner.set_subs(&topic, dedup, subs);
        tracing::info!(subscription = arn, "subscription updated");
        Ok(true)
    }

    /// Deletes a subscription (SNS `Unsubscribe`). Returns `false` when no subscription has this ARN.
    pub fn unsubscribe(&self, arn: &str) -> bool {
        let inner = &self.inner;
        let _serialised = inner.apply.lock().unwrap_or_else(PoisonError::into_inner);
        let Some((topic, i)) = inner.find_subscription(arn) else { return false };
        let (dedup, mut subs) = {
            let cfg = topic.config();
            (cfg.content_dedup, cfg.subs.clone())
        };
        subs.remove(i);
        inner.set_subs(&topic, dedup, subs);
        tracing::info!(subscription = arn, "unsubscribed");
        true
    }

    /// The region of the ARNs and URLs.
    pub fn region(&self) -> &str {
        &self.inner.region
    }

    /// The account id of the ARNs and URLs.
    pub fn account_id(&self) -> &str {
        &self.inner.account_id
    }
}
