//! [`MemoryBackend`]: the registry of topics and queues, and topology provisioning.

use std::collections::HashSet;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use bus_core::backend::{QueueStats, Topology};
use bus_core::filter::SnsFilterPolicy;
use bus_core::{limits, Backend, BusError, Message, Publisher, Subscription};
use dashmap::DashMap;

use crate::clock::Clock;
use crate::ids::{self, mix64, uuid_bits, uuid_string};
use crate::publisher::MemoryPublisher;
use crate::queue::state::Redrive;
use crate::queue::Queue;
use crate::subscription::MemorySubscription;
use crate::topic::{SnsContext, Sub, Topic, TopicConfig};

pub(crate) mod admin;

/// The in-memory SNS/SQS backend. Cheap to clone: clones share the same topics and queues.
///
/// See the [crate docs](crate) for an example and for where it deviates from AWS.
#[derive(Debug, Clone)]
pub struct MemoryBackend {
    inner: Arc<Inner>,
}

/// Builds a [`MemoryBackend`] with another region or account id in its ARNs and URLs.
#[derive(Debug, Clone)]
pub struct MemoryBackendBuilder {
    region: String,
    account_id: String,
}

/// Bytes a queue holds, as estimated from its structures (see [`MemoryBackend::queue_memory`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct QueueMemory {
    /// Messages stored (visible, in flight and delayed).
    pub messages: u64,
    /// Bytes of the queue's own structures: message slots, ready order, timers, FIFO groups.
    pub structures: usize,
    /// Bytes of the message payloads (body, attributes, decoded event, envelope), each payload counted in
    /// proportion to the queues that share it.
    pub payloads: usize,
}

#[derive(Debug)]
pub(crate) struct Inner {
    region: String,
    account_id: String,
    clock: Clock,
    seed: u64,
    pub(crate) sns: SnsContext,
    topics: DashMap<String, Arc<Topic>>,
    queues: DashMap<String, Arc<Queue>>,
    next_uid: AtomicU32,
    next_sub: AtomicU64,
    apply: Mutex<()>,
}

impl Default for MemoryBackend {
    fn default() -> Self {
        Self::new()
    }
}

impl MemoryBackendBuilder {
    /// The region in ARNs and URLs (default `us-east-1`).
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.region = region.into();
        self
    }

    /// The account id in ARNs and URLs (default `000000000000`).
    pub fn account_id(mut self, account_id: impl Into<String>) -> Self {
        self.account_id = account_id.into();
        self
    }

    /// The backend; fails if the region or account id is malformed.
    pub fn build(self) -> Result<MemoryBackend, BusError> {
        if self.region.is_empty()
            || !self.region.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        {
            return Err(BusError::invalid_parameter("region", format!("{:?} is not a region name", self.region)));
        }
        if self.account_id.len() != 12 || !self.account_id.chars().all(|c| c.is_ascii_digit()) {
            return Err(BusError::invalid_parameter("account_id", "an account id is 12 digits"));
        }
        let seed: u64 = rand::random();
        let clock = Clock::new();
        let sns = SnsContext {
            clock,
            signing_cert_url: ids::signing_cert_url(&self.region, seed),
            signing_key: mix64(seed ^ 0x5157_u64),
        };
        Ok(MemoryBackend {
            inner: Arc::new(Inner {
                region: self.region,
                account_id: self.account_id,
                clock,
                seed,
                sns,
                topics: DashMap::new(),
                queues: DashMap::new(),
                next_uid: AtomicU32::new(1),
                next_sub: AtomicU64::new(1),
                apply: Mutex::new(()),
            }),
        })
    }
}

impl Inner {
    pub(crate) fn topic(&self, name: &str) -> Result<Arc<Topic>, BusError> {
        self.topics.get(name).map(|t| t.clone()).ok_or_else(|| BusError::TopicNotFound(name.to_owned()))
    }

    pub(crate) fn queue(&self, name: &str) -> Result<Arc<Queue>, BusError> {
        self.queues.get(name).map(|q| q.clone()).ok_or_else(|| BusError::QueueNotFound(name.to_owned()))
    }

    fn apply(&self, topology: &Topology) -> Result<(), BusError> {
        let _serialised = self.apply.lock().unwrap_or_else(PoisonError::into_inner);
        // 1. Check everything before changing anything.
        topology.validate()?;
        let mut seen = HashSet::new();
        for s in &topology.subscriptions {
            if !seen.insert((s.topic.as_str(), s.queue.as_str())) {
                return Err(BusError::invalid_parameter(
                    "Subscription",
                    format!("queue {:?} is subscribed to topic {:?} twice", s.queue, s.topic),
                ));
            }
        }
        let policies = topology
            .subscriptions
            .iter()
            .map(|s| {
                s.filter_policy.as_ref().map(|p| SnsFilterPolicy::from_value(p, s.filter_policy_scope)).transpose()
            })
            .collect::<Result<Vec<_>, _>>()?;
        for t in &topology.topics {
            let declared = topology.subscriptions.iter().filter(|s| s.topic == t.name);
            let mut with_policy = declared.clone().filter(|s| s.filter_policy.is_some()).count();
            if let Some(existing) = self.topics.get(&t.name) {
                let cfg = existing.config();
                with_policy += cfg
                    .subs
                    .iter()
                    .filter(|s| s.policy.is_some() && !declared.clone().any(|d| d.queue == s.spec.queue))
                    .count();
            }
            if with_policy > limits::MAX_FILTER_POLICIES_PER_TOPIC {
                return Err(BusError::invalid_parameter(
                    "FilterPolicy",
                    format!(
                        "FilterPolicyLimitExceeded: topic {:?} would have {with_policy} filter policies, the limit is {}",
                        t.name,
                        limits::MAX_FILTER_POLICIES_PER_TOPIC
                    ),
                ));
            }
        }
        // 2. Queues: create, then set attributes and redrive targets (in place when they changed).
        for q in &topology.queues {
            if !self.queues.contains_key(&q.name) {
                let uid = self.next_uid.fetch_add(1, Ordering::Relaxed);
                let arn = ids::queue_arn(&self.region, &self.account_id, &q.name);
                let queue = Queue::new(q, arn, uid, mix64(self.seed ^ u64::from(uid)), self.clock);
                self.queues.insert(q.name.clone(), Arc::new(queue));
                tracing::info!(queue = %q.name, fifo = q.fifo, "queue created");
            }
        }
        for q in &topology.queues {
            let queue = self.queue(&q.name)?;
            let dlq = q.redrive.as_ref().map(|r| self.queue(&r.dead_letter_queue)).transpose()?;
            if !queue.matches(q, dlq.as_ref()) {
                let redrive = q
                    .redrive
                    .as_ref()
                    .zip(dlq.as_ref())
                    .map(|(r, d)| Redrive { dlq: Arc::downgrade(d), max_receive_count: r.max_receive_count });
                queue.configure(q, redrive);
                tracing::info!(queue = %q.name, "queue attributes set");
            }
        }
        // 3. Topics, then their subscriptions.
        for t in &topology.topics {
            if !self.topics.contains_key(&t.name) {
                let arn = ids::topic_arn(&self.region, &self.account_id, &t.name);
                let seed = mix64(self.seed ^ mix64(self.next_sub.fetch_add(1, Ordering::Relaxed)));
                let topic = Topic::new(t.name.clone(), arn, t.fifo, t.content_based_deduplication, seed);
                self.topics.insert(t.name.clone(), Arc::new(topic));
                tracing::info!(topic = %t.name, fifo = t.fifo, "topic created");
            }
        }
        for t in &topology.topics {
            let topic = self.topic(&t.name)?;
            let new_cfg = {
                let cfg = topic.config();
                let mut subs = cfg.subs.clone();
                let mut changed = cfg.content_dedup != t.content_based_deduplication;
                for (spec, policy) in topology.subscriptions.iter().zip(&policies).filter(|(s, _)| s.topic == t.name) {
                    match subs.iter_mut().find(|s| s.spec.queue == spec.queue) {
                        Some(existing) if existing.spec == *spec => {}
                        Some(existing) => {
                            existing.spec = spec.clone();
                            existing.policy = policy.clone();
                            changed = true;
                            tracing::info!(topic = %t.name, queue = %spec.queue, "subscription updated");
                        }
                        None => {
                            let n = self.next_sub.fetch_add(1, Ordering::Relaxed);
                            let arn = format!("{}:{}", topic.arn, uuid_string(uuid_bits(self.seed, n)));
                            subs.push(Sub {
                                spec: spec.clone(),
                                arn,
                                queue: self.queue(&spec.queue)?,
                                policy: policy.clone(),
                            });
                            changed = true;
                            tracing::info!(topic = %t.name, queue = %spec.queue, "subscription created");
                        }
                    }
                }
                changed.then(|| {
                    let urls = subs.iter().map(|s| ids::unsubscribe_url(&self.region, &s.arn)).collect();
                    TopicConfig::new(t.content_based_deduplication, subs, urls)
                })
            };
            if let Some(cfg) = new_cfg {
                topic.set_config(cfg);
            }
        }
        Ok(())
    }
}

impl MemoryBackend {
    /// A backend with no topics or queues, region `us-east-1`, account `000000000000`.
    pub fn new() -> Self {
        Self::builder().build().expect("the default region and account id are valid")
    }

    /// A builder, to set the region or account id.
    pub fn builder() -> MemoryBackendBuilder {
        MemoryBackendBuilder { region: ids::DEFAULT_REGION.to_owned(), account_id: ids::DEFAULT_ACCOUNT.to_owned() }
    }

    /// The concrete publisher (the same as [`Backend::publisher`], without the `dyn`).
    pub fn memory_publisher(&self) -> MemoryPublisher {
        MemoryPublisher { inner: self.inner.clone() }
    }

    /// The concrete consumer of a queue (the same as [`Backend::subscription`], without the `dyn`).
    pub fn memory_subscription(&self, queue: &str) -> Result<MemorySubscription, BusError> {
        Ok(MemorySubscription { queue: self.inner.queue(queue)? })
    }

    /// The ARN of a topic (`arn:aws:sns:us-east-1:000000000000:events`).
    pub fn topic_arn(&self, topic: &str) -> Result<String, BusError> {
        Ok(self.inner.topic(topic)?.arn.clone())
    }

    /// The ARN of a queue (`arn:aws:sqs:us-east-1:000000000000:email`).
    pub fn queue_arn(&self, queue: &str) -> Result<String, BusError> {
        Ok(self.inner.queue(queue)?.arn.clone())
    }

    /// The URL of a queue (`https://sqs.us-east-1.amazonaws.com/000000000000/email`).
    pub fn queue_url(&self, queue: &str) -> Result<String, BusError> {
        Ok(ids::queue_url(&self.inner.region, &self.inner.account_id, &self.inner.queue(queue)?.name))
    }

    /// The ARN of the subscription of `queue` to `topic`, if there is one.
    pub fn subscription_arn(&self, topic: &str, queue: &str) -> Result<Option<String>, BusError> {
        let t = self.inner.topic(topic)?;
        let cfg = t.config();
        Ok(cfg.subs.iter().find(|s| s.spec.queue == queue).map(|s| s.arn.clone()))
    }

    /// Names of the queues, sorted.
    pub fn queue_names(&self) -> Vec<String> {
        let mut v: Vec<String> = self.inner.queues.iter().map(|e| e.key().clone()).collect();
        v.sort();
        v
    }

    /// Names of the topics, sorted.
    pub fn topic_names(&self) -> Vec<String> {
        let mut v: Vec<String> = self.inner.topics.iter().map(|e| e.key().clone()).collect();
        v.sort();
        v
    }

    /// An estimate of the bytes a queue holds: its structures, and its share of the message payloads.
    pub fn queue_memory(&self, queue: &str) -> Result<QueueMemory, BusError> {
        let q = self.inner.queue(queue)?;
        let messages = q.stats().total();
        let (structures, payloads) = q.memory();
        Ok(QueueMemory { messages, structures, payloads })
    }
}

#[async_trait]
impl Backend for MemoryBackend {
    fn name(&self) -> &'static str {
        "memory"
    }

    async fn apply_topology(&self, topology: &Topology) -> Result<(), BusError> {
        self.inner.apply(topology)
    }

    fn publisher(&self) -> Arc<dyn Publisher> {
        Arc::new(self.memory_publisher())
    }

    async fn subscription(&self, queue: &str) -> Result<Arc<dyn Subscription>, BusError> {
        Ok(Arc::new(self.memory_subscription(queue)?))
    }

    async fn send(&self, queue: &str, message: Message, delay: Option<Duration>) -> Result<String, BusError> {
        self.inner.queue(queue)?.send(message, delay)
    }

    async fn queue_stats(&self, queue: &str) -> Result<QueueStats, BusError> {
        Ok(self.inner.queue(queue)?.stats())
    }

    async fn purge(&self, queue: &str) -> Result<(), BusError> {
        self.inner.queue(queue)?.purge()
    }
}
