//! The seed design's topology: topic `events`; queues `email`, `billing` and `archive`, each with a
//! dead-letter queue; and the routing rule that says which queues an event reaches.

use std::collections::BTreeSet;
use std::time::Duration;

use bus_core::backend::{QueueSpec, Topology};
use bus_core::filter::{FilterPolicy, SnsFilterPolicy};
use bus_core::{BusError, Message};

/// The event types the `email` queue takes.
pub const EMAIL_EVENT_TYPES: [&str; 2] = ["USER_CREATED", "USER_COMMENT"];
/// The event types the `billing` queue takes.
pub const BILLING_EVENT_TYPES: [&str; 2] = ["USER_CREATED", "STRIPE_INCOMING_WEBHOOK"];
/// Receives before a message moves to its queue's dead-letter queue (`maxReceiveCount`).
pub const MAX_RECEIVE_COUNT: u32 = 3;

/// The names of the demo's resources: `events`, `email`, `billing`, `archive` and `<queue>-dlq`, all with
/// an optional prefix (to share an AWS account with other users of these names).
///
/// ```
/// let names = bus_examples::Names::with_prefix("demo-");
/// assert_eq!(names.topic, "demo-events");
/// assert_eq!(names.dlq_of(&names.billing), "demo-billing-dlq");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Names {
    /// The topic every event is published to (`events`).
    pub topic: String,
    /// The email queue (`email`).
    pub email: String,
    /// The billing queue (`billing`).
    pub billing: String,
    /// The archive queue (`archive`), subscribed without a filter.
    pub archive: String,
}

impl Default for Names {
    fn default() -> Self {
        Names::with_prefix("")
    }
}

impl Names {
    /// The seed names with `prefix` in front of each.
    pub fn with_prefix(prefix: &str) -> Self {
        Names {
            topic: format!("{prefix}events"),
            email: format!("{prefix}email"),
            billing: format!("{prefix}billing"),
            archive: format!("{prefix}archive"),
        }
    }

    /// The three work queues: email, billing, archive.
    pub fn queues(&self) -> [&str; 3] {
        [&self.email, &self.billing, &self.archive]
    }

    /// The dead-letter queue of `queue` (`<queue>-dlq`).
    pub fn dlq_of(&self, queue: &str) -> String {
        format!("{queue}-dlq")
    }

    /// Every queue, work queues first, then their dead-letter queues.
    pub fn all_queues(&self) -> Vec<String> {
        let mut all: Vec<String> = self.queues().iter().map(|q| (*q).to_owned()).collect();
        all.extend(self.queues().iter().map(|q| self.dlq_of(q)));
        all
    }
}

/// The seed topology: every work queue with a dead-letter queue after [`MAX_RECEIVE_COUNT`] receives,
/// `email` and `billing` subscribed with `event-type` attribute policies, `archive` with none.
///
/// ```
/// use bus_examples::{seed_topology, Names};
/// let topology = seed_topology(&Names::default());
/// topology.validate().unwrap();
/// assert_eq!(topology.queues.len(), 6);
/// assert_eq!(topology.subscriptions.len(), 3);
/// ```
pub fn seed_topology(names: &Names) -> Topology {
    let mut topology = Topology::new().topic(names.topic.clone());
    for queue in names.queues() {
        let dlq = names.dlq_of(queue);
        topology = topology.queue(QueueSpec::new(dlq.clone())).queue(
            QueueSpec::new(queue)
                .with_visibility_timeout(Duration::from_secs(30))
                .with_dead_letter_queue(dlq, MAX_RECEIVE_COUNT),
        );
    }
    topology
        .subscribe_with_policy(
            names.topic.clone(),
            names.email.clone(),
            serde_json::json!({ "event-type": EMAIL_EVENT_TYPES }),
        )
        .subscribe_with_policy(
            names.topic.clone(),
            names.billing.clone(),
            serde_json::json!({ "event-type": BILLING_EVENT_TYPES }),
        )
        .subscribe(names.topic.clone(), names.archive.clone())
}

/// The queues that a message published to `topic` reaches under `topology`: those subscribed to the
/// topic whose filter policy (evaluated by `bus-core`'s engine, as SNS does) matches, or that have none.
///
/// ```
/// use bus_core::Event;
/// use bus_examples::{routes, seed_topology, Names};
/// let names = Names::default();
/// let topology = seed_topology(&names);
/// let message = Event::new("USER_COMMENT", serde_json::json!({})).to_message().unwrap();
/// let queues = routes(&topology, "events", &message).unwrap();
/// assert_eq!(queues.into_iter().collect::<Vec<_>>(), ["archive", "email"]);
/// ```
pub fn routes(topology: &Topology, topic: &str, message: &Message) -> Result<BTreeSet<String>, BusError> {
    let mut queues = BTreeSet::new();
    for s in topology.subscriptions.iter().filter(|s| s.topic == topic) {
        let matches = match &s.filter_policy {
            None => true,
            Some(p) => SnsFilterPolicy::from_value(p, s.filter_policy_scope)?.matches(message),
        };
        if matches {
            queues.insert(s.queue.clone());
        }
    }
    Ok(queues)
}
