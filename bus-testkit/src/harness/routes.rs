//! [`Routes`]: the topology compiled for the recorder: each subscription's filter policy, and which
//! queues redrive to which dead-letter queue.

use std::collections::BTreeMap;

use bus_core::backend::Topology;
use bus_core::filter::{FilterPolicy, FilterScope, SnsFilterPolicy};
use bus_core::{BusError, Message};

/// One subscription, compiled.
#[derive(Debug, Clone)]
pub(crate) struct Route {
    pub(crate) topic: String,
    pub(crate) queue: String,
    pub(crate) policy: Option<SnsFilterPolicy>,
    pub(crate) policy_json: Option<serde_json::Value>,
    pub(crate) scope: FilterScope,
}

impl Route {
    pub(crate) fn accepts(&self, message: &Message) -> bool {
        self.policy.as_ref().is_none_or(|p| p.matches(message))
    }

    /// `events → email, filter policy (MessageAttributes) {...}` or `events → archive, no filter policy`.
    pub(crate) fn describe(&self) -> String {
        match &self.policy_json {
            Some(p) => format!("subscription {} → {}, filter policy ({}) {p}", self.topic, self.queue, self.scope),
            None => format!("subscription {} → {}, no filter policy (receives everything)", self.topic, self.queue),
        }
    }
}

/// The compiled topology.
#[derive(Debug)]
pub(crate) struct Routes {
    pub(crate) topology: Topology,
    pub(crate) subscriptions: Vec<Route>,
    /// Dead-letter queue → the queues that redrive to it.
    pub(crate) dead_letter_sources: BTreeMap<String, Vec<String>>,
}

impl Routes {
    pub(crate) fn new(topology: Topology) -> Result<Self, BusError> {
        topology.validate()?;
        let mut subscriptions = Vec::new();
        for s in &topology.subscriptions {
            let policy = match &s.filter_policy {
                Some(p) => Some(SnsFilterPolicy::from_value(p, s.filter_policy_scope)?),
                None => None,
            };
            subscriptions.push(Route {
                topic: s.topic.clone(),
                queue: s.queue.clone(),
                policy,
                policy_json: s.filter_policy.clone(),
                scope: s.filter_policy_scope,
            });
        }
        let mut dead_letter_sources: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for q in &topology.queues {
            if let Some(r) = &q.redrive {
                dead_letter_sources.entry(r.dead_letter_queue.clone()).or_default().push(q.name.clone());
            }
        }
        Ok(Routes { topology, subscriptions, dead_letter_sources })
    }

    /// The subscriptions of `topic` whose policy rejects `message`.
    pub(crate) fn rejecting<'a>(&'a self, topic: &'a str, message: &'a Message) -> impl Iterator<Item = &'a Route> {
        self.subscriptions.iter().filter(move |r| r.topic == topic && !r.accepts(message))
    }

    /// The subscriptions that feed `queue`.
    pub(crate) fn feeding<'a>(&'a self, queue: &'a str) -> impl Iterator<Item = &'a Route> {
        self.subscriptions.iter().filter(move |r| r.queue == queue)
    }

    /// The queues a message published to `topic` reaches, by the filter policies.
    pub(crate) fn destinations(&self, topic: &str, message: &Message) -> Vec<String> {
        self.subscriptions.iter().filter(|r| r.topic == topic && r.accepts(message)).map(|r| r.queue.clone()).collect()
    }

    pub(crate) fn has_queue(&self, queue: &str) -> bool {
        self.topology.queue_spec(queue).is_some()
    }

    pub(crate) fn queue_names(&self) -> Vec<&str> {
        self.topology.queues.iter().map(|q| q.name.as_str()).collect()
    }

    /// The dead-letter queue of `queue` and its `maxReceiveCount`.
    pub(crate) fn redrive(&self, queue: &str) -> Option<(&str, u32)> {
        let r = self.topology.queue_spec(queue)?.redrive.as_ref()?;
        Some((r.dead_letter_queue.as_str(), r.max_receive_count))
    }
}
