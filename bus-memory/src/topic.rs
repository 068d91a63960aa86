//! One SNS topic: its subscriptions, the [`FilterSet`] that picks the matching ones, and fan-out.
//!
//! A publish validates the message, assigns the SNS message id (and, on FIFO topics, deduplicates and
//! assigns the sequence number), matches every subscription's filter policy at once, and stores one
//! shared payload in each matching queue. The envelope is rendered once per publish, only when some
//! matching subscription is enveloped. On FIFO topics the fan-out runs under the topic's FIFO lock, so
//! every queue receives a group's messages in sequence order.

use std::cell::RefCell;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock, RwLockReadGuard};

use bus_core::backend::{PublishReceipt, SubscriptionSpec};
use bus_core::envelope::format_timestamp;
use bus_core::filter::{FilterSet, SnsFilterPolicy};
use bus_core::{BusError, Message};

use crate::clock::{Clock, Nanos, NEVER};
use crate::dedup::Dedup;
use crate::envelope::{Envelope, EnvelopeFields};
use crate::ids::{uuid_bits, uuid_string};
use crate::payload::Payload;
use crate::queue::state::Incoming;
use crate::queue::Queue;

/// What every topic of a backend shares for rendering envelopes.
#[derive(Debug)]
pub(crate) struct SnsContext {
    pub clock: Clock,
    pub signing_cert_url: String,
    pub signing_key: u64,
}

/// One subscription of a topic to a queue.
#[derive(Debug, Clone)]
pub(crate) struct Sub {
    pub spec: SubscriptionSpec,
    pub arn: String,
    pub queue: Arc<Queue>,
    pub policy: Option<SnsFilterPolicy>,
}

/// A topic's subscriptions and settings, replaced as a whole when a topology changes them.
#[derive(Debug, Default)]
pub(crate) struct TopicConfig {
    pub content_dedup: bool,
    pub subs: Vec<Sub>,
    filter: FilterSet,
    unsubscribe_urls: Arc<[String]>,
}

impl TopicConfig {
    /// A configuration; `urls[i]` is the `UnsubscribeURL` of `subs[i]`.
    pub(crate) fn new(content_dedup: bool, subs: Vec<Sub>, urls: Vec<String>) -> Self {
        let mut filter = FilterSet::new();
        for (i, s) in subs.iter().enumerate() {
            filter.insert(i, s.policy.clone());
        }
        TopicConfig { content_dedup, subs, filter, unsubscribe_urls: Arc::from(urls) }
    }
}

#[derive(Debug, Default)]
struct FifoTopic {
    seq: u64,
    dedup: Dedup<PublishReceipt>,
}

/// One topic; see the module docs.
#[derive(Debug)]
pub(crate) struct Topic {
    pub(crate) name: String,
    pub(crate) arn: String,
    pub(crate) fifo: bool,
    seed: u64,
    counter: AtomicU64,
    config: RwLock<TopicConfig>,
    fifo_state: Mutex<FifoTopic>,
}

thread_local! {
    static MATCHED: RefCell<Vec<usize>> = const { RefCell::new(Vec::new()) };
}

impl Topic {
    /// A topic without subscriptions.
    pub(crate) fn new(name: String, arn: String, fifo: bool, content_dedup: bool, seed: u64) -> Topic {
        Topic {
            name,
            arn,
            fifo,
            seed,
            counter: AtomicU64::new(0),
            config: RwLock::new(TopicConfig { content_dedup, ..TopicConfig::default() }),
            fifo_state: Mutex::new(FifoTopic::default()),
        }
    }

    /// The current configuration.
    pub(crate) fn config(&self) -> RwLockReadGuard<'_, TopicConfig> {
        self.config.read().unwrap_or_else(PoisonError::into_inner)
    }

    /// Replaces the configuration.
    pub(crate) fn set_config(&self, cfg: TopicConfig) {
        *self.config.write().unwrap_or_else(PoisonError::into_inner) = cfg;
    }

    /// `Publish`: validates, deduplicates (FIFO) and fans the message out.
    pub(crate) fn publish(&self, message: Message, ctx: &SnsContext) -> Result<PublishReceipt, BusError> {
        crate::validate::sns_message(&message)?;
        let cfg = self.config();
        let dedup_id = crate::validate::fifo_fields(&message, self.fifo, cfg.content_dedup, "topic")?;
        let id = uuid_bits(self.seed, self.counter.fetch_add(1, Ordering::Relaxed));
        let now = ctx.clock.now();
        match dedup_id {
            Some(dedup_id) => {
                let mut fifo = self.fifo_state.lock().unwrap_or_else(PoisonError::into_inner);
                if let Some(first) = fifo.dedup.check(now, &dedup_id) {
                    tracing::debug!(topic = %self.name, deduplication_id = %dedup_id, "duplicate within 5 minutes: accepted, not delivered");
                    return Ok(first);
                }
                fifo.seq += 1;
                let receipt =
                    PublishReceipt { message_id: uuid_string(id), sequence_number: Some(format!("{:020}", fifo.seq)) };
                fifo.dedup.record(now, &dedup_id, receipt.clone());
                self.fan_out(&cfg, message, &receipt, Some(&dedup_id), now, ctx);
                Ok(receipt)
            }
            None => {
                let receipt = PublishReceipt { message_id: uuid_string(id), sequence_number: None };
                self.fan_out(&cfg, message, &receipt, None, now, ctx);
                Ok(receipt)
            }
        }
    }

    fn fan_out(
        &self,
        cfg: &TopicConfig,
        message: Message,
        receipt: &PublishReceipt,
        dedup_id: Option<&str>,
        now: Nanos,
        ctx: &SnsContext,
    ) {
        MATCHED.with(|matched| {
            let mut matched = matched.borrow_mut();
            matched.clear();
            cfg.filter.matching(&message, &mut matched);
            if matched.is_empty() {
                tracing::trace!(topic = %self.name, "no subscription matched");
                return;
            }
            let enveloped = matched.iter().any(|&i| !cfg.subs[i].spec.raw_message_delivery);
            let envelope = enveloped.then(|| {
                Envelope::render(EnvelopeFields {
                    message_id: &receipt.message_id,
                    sequence_number: receipt.sequence_number.as_deref(),
                    topic_arn: &self.arn,
                    message: &message,
                    timestamp: &format_timestamp(ctx.clock.wall(now)),
                    signing_cert_url: &ctx.signing_cert_url,
                    signing_key: ctx.signing_key,
                    unsubscribe_urls: cfg.unsubscribe_urls.clone(),
                })
            });
            let payload = Arc::new(Payload::published(message, envelope, matched.len() > 1));
            for &i in matched.iter() {
                let sub = &cfg.subs[i];
                sub.queue.deliver(Incoming {
                    payload: payload.clone(),
                    message_id: None,
                    sent: None,
                    count: 0,
                    first_received: NEVER,
                    sub: i as u32,
                    enveloped: !sub.spec.raw_message_delivery,
                    delay: None,
                    dedup_id: if sub.queue.fifo { dedup_id.map(str::to_owned) } else { None },
                });
            }
        });
    }
}
