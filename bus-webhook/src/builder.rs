//! [`WebhookIngressBuilder`]: sources, publisher, topic, limits and clock.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use bus_core::limits::SNS_MAX_MESSAGE_BYTES;
use bus_core::Publisher;

use crate::clock::{Clock, SystemClock};
use crate::error::WebhookError;
use crate::generic::HmacConfig;
use crate::ingress::{signature_ttl, Inner, Seen, Source, WebhookIngress};
use crate::seen::SeenSet;
use crate::stripe::StripeConfig;

/// The default body limit: what fits in one SNS message with room for the event wrapper and attributes.
pub const DEFAULT_MAX_BODY_BYTES: usize = SNS_MAX_MESSAGE_BYTES - 1024;
/// How long a published webhook id is remembered by default: 3 days, the span of Stripe's retries.
pub const DEFAULT_DEDUP_TTL: Duration = Duration::from_secs(3 * 24 * 3600);
/// How many ids (and, separately, signatures) are remembered at most by default.
pub const DEFAULT_SEEN_CAPACITY: usize = 100_000;

/// Configures a [`WebhookIngress`].
///
/// Required: a publisher, a topic and at least one source. Source names are 1-64 characters of
/// `a-z 0-9 - _`; `stripe` is the name [`WebhookIngressBuilder::stripe`] uses.
pub struct WebhookIngressBuilder {
    publisher: Option<Arc<dyn Publisher>>,
    topic: Option<String>,
    sources: Vec<(String, Source)>,
    max_body_bytes: usize,
    clock: Arc<dyn Clock>,
    dedup_ttl: Duration,
    seen_capacity: usize,
}

impl Default for WebhookIngressBuilder {
    fn default() -> Self {
        WebhookIngressBuilder {
            publisher: None,
            topic: None,
            sources: Vec::new(),
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            clock: Arc::new(SystemClock),
            dedup_ttl: DEFAULT_DEDUP_TTL,
            seen_capacity: DEFAULT_SEEN_CAPACITY,
        }
    }
}

impl std::fmt::Debug for WebhookIngressBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookIngressBuilder")
            .field("topic", &self.topic)
            .field("sources", &self.sources.iter().map(|(n, _)| n).collect::<Vec<_>>())
            .field("max_body_bytes", &self.max_body_bytes)
            .finish_non_exhaustive()
    }
}

impl WebhookIngressBuilder {
    /// The publisher events go out through.
    pub fn publisher(mut self, publisher: Arc<dyn Publisher>) -> Self {
        self.publisher = Some(publisher);
        self
    }

    /// The topic events are published to.
    pub fn topic(mut self, topic: impl Into<String>) -> Self {
        self.topic = Some(topic.into());
        self
    }

    /// The `stripe` source with this signing secret and the default tolerance (300 s).
    pub fn stripe(self, secret: impl AsRef<[u8]>) -> Self {
        self.stripe_with(StripeConfig::new(secret))
    }

    /// The `stripe` source with a full configuration (several secrets, tolerance).
    pub fn stripe_with(mut self, config: StripeConfig) -> Self {
        self.sources.push(("stripe".to_owned(), Source::Stripe(config)));
        self
    }

    /// A generic HMAC source named `source` (`POST /webhooks/{source}`).
    pub fn hmac(mut self, source: impl Into<String>, config: HmacConfig) -> Self {
        self.sources.push((source.into(), Source::Hmac(config)));
        self
    }

    /// The largest accepted body, in bytes (default [`DEFAULT_MAX_BODY_BYTES`]).
    pub fn max_body_bytes(mut self, limit: usize) -> Self {
        self.max_body_bytes = limit;
        self
    }

    /// The clock used for tolerance windows and the seen-sets (default: the system clock).
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// How long a published webhook id is remembered (default [`DEFAULT_DEDUP_TTL`]).
    pub fn dedup_ttl(mut self, ttl: Duration) -> Self {
        self.dedup_ttl = ttl;
        self
    }

    /// How many ids and signatures are remembered at most (default [`DEFAULT_SEEN_CAPACITY`]).
    pub fn seen_capacity(mut self, capacity: usize) -> Self {
        self.seen_capacity = capacity;
        self
    }

    /// Checks the configuration and returns the ingress.
    pub fn build_ingress(self) -> Result<WebhookIngress, WebhookError> {
        let invalid = |reason: &str| WebhookError::InvalidConfig(reason.to_owned());
        let publisher = self.publisher.ok_or_else(|| invalid("no publisher"))?;
        let topic = self.topic.filter(|t| !t.is_empty()).ok_or_else(|| invalid("no topic"))?;
        if self.sources.is_empty() {
            return Err(invalid("no source"));
        }
        if self.max_body_bytes == 0 {
            return Err(invalid("the body limit must be at least 1 byte"));
        }
        if self.seen_capacity == 0 {
            return Err(invalid("the seen-set capacity must be at least 1"));
        }
        let mut sources = HashMap::new();
        for (name, source) in self.sources {
            let valid_name = (1..=64).contains(&name.len())
                && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
            if !valid_name {
                return Err(WebhookError::InvalidConfig(format!(
                    "source name {name:?} must be 1-64 characters of a-z 0-9 - _"
                )));
            }
            match &source {
                Source::Stripe(c) if c.secrets.iter().any(|s| s.is_empty()) => {
                    return Err(invalid("the Stripe signing secret must not be empty"));
                }
                Source::Hmac(c) => c.validate(&name)?,
                Source::Stripe(_) => {}
            }
            if sources.insert(name.clone(), source).is_some() {
                return Err(WebhookError::InvalidConfig(format!("source {name:?} configured twice")));
            }
        }
        let seen = Seen {
            signatures: SeenSet::new(signature_ttl(&sources), self.seen_capacity),
            ids: SeenSet::new(self.dedup_ttl, self.seen_capacity),
        };
        Ok(WebhookIngress {
            inner: Arc::new(Inner {
                publisher,
                topic,
                sources,
                max_body_bytes: self.max_body_bytes,
                clock: self.clock,
                seen: Mutex::new(seen),
            }),
        })
    }

    /// Checks the configuration and returns the axum router (`POST /webhooks/{source}`).
    pub fn build(self) -> Result<Router, WebhookError> {
        Ok(self.build_ingress()?.router())
    }
}
