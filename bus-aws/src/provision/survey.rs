//! Reads what exists on AWS for a topology and compares it with the declaration: the [`Plan`].

use std::collections::{BTreeSet, HashMap};

use aws_sdk_sns::types::Subscription as SnsSubscription;
use aws_sdk_sqs::types::QueueAttributeName;
use bus_core::backend::{QueueSpec, SubscriptionSpec, TopicSpec};
use bus_core::{BusError, Topology};

use super::desired::{
    declared_filter, is_immutable, policy_in_sync, queue_base_attributes, queue_policy, redrive_policy, reported_scope,
    same_filter, same_redrive, same_value, subscription_attributes,
};
use super::{Action, Change, Drift, Plan, ResourceKind};
use crate::error::{map_sdk_error, Service, Subject};
use crate::resolve::Clients;

/// A queue as it exists.
#[derive(Debug, Clone)]
pub(crate) struct ObservedQueue {
    pub(crate) url: String,
    pub(crate) arn: String,
    pub(crate) attrs: HashMap<String, String>,
}

/// What exists, and the plan.
#[derive(Debug)]
pub(crate) struct Survey {
    pub(crate) plan: Plan,
    pub(crate) topic_arns: HashMap<String, String>,
    pub(crate) queues: HashMap<String, ObservedQueue>,
    /// Existing subscriptions by `(topic, queue)`: their ARN.
    pub(crate) subscriptions: HashMap<(String, String), String>,
    /// The declared access policy of each existing queue that topics send to.
    pub(crate) queue_policies: HashMap<String, String>,
}

/// The display name of a subscription.
pub(crate) fn subscription_name(s: &SubscriptionSpec) -> String {
    format!("{} -> {}", s.topic, s.queue)
}

fn change(kind: ResourceKind, name: &str, exists: bool, drift: Vec<Drift>) -> Change {
    let action = if !exists {
        Action::Create
    } else if drift.iter().any(|d| is_immutable(&d.attribute)) {
        Action::Conflict
    } else if drift.is_empty() {
        Action::InSync
    } else {
        Action::Update
    };
    Change { kind, name: name.to_owned(), action, drift }
}

fn to_create(attrs: Vec<(&'static str, String)>) -> Vec<Drift> {
    attrs.into_iter().map(|(k, v)| Drift { attribute: k.to_owned(), actual: None, desired: Some(v) }).collect()
}

/// Compares `(attribute, desired)` pairs with the reported attributes.
fn diff(actual: &HashMap<String, String>, desired: Vec<(&'static str, String)>) -> Vec<Drift> {
    desired
        .into_iter()
        .filter(|(k, v)| !same_value(actual.get(*k).map(String::as_str), v))
        .map(|(k, v)| Drift { attribute: k.to_owned(), actual: actual.get(k).cloned(), desired: Some(v) })
        .collect()
}

/// The topic's declared attributes.
pub(crate) fn topic_attributes(spec: &TopicSpec) -> Vec<(&'static str, String)> {
    if spec.fifo {
        vec![
            ("FifoTopic", "true".to_owned()),
            ("ContentBasedDeduplication", spec.content_based_deduplication.to_string()),
        ]
    } else {
        Vec::new()
    }
}

/// Reads the state of every resource of `topology` and plans. Validates nothing: callers validate first.
pub(crate) async fn survey(clients: &Clients, topology: &Topology) -> Result<Survey, BusError> {
    let mut plan = Plan::default();
    let all_topics = if topology.topics.is_empty() { HashMap::new() } else { clients.list_topics().await? };
    let mut topic_arns = HashMap::new();
    for spec in &topology.topics {
        let Some(arn) = all_topics.get(&spec.name) else {
            plan.changes.push(change(ResourceKind::Topic, &spec.name, false, to_create(topic_attributes(spec))));
            continue;
        };
        topic_arns.insert(spec.name.clone(), arn.clone());
        let desired = topic_attributes(spec);
        let drift = if desired.is_empty() {
            Vec::new()
        } else {
            let out = clients
                .sns
                .get_topic_attributes()
                .topic_arn(arn)
                .send()
                .await
                .map_err(|e| clients.topic_error(&spec.name, e))?;
            diff(out.attributes().unwrap_or(&HashMap::new()), desired)
        };
        plan.changes.push(change(ResourceKind::Topic, &spec.name, true, drift));
    }

    let mut queues = HashMap::new();
    for spec in &topology.queues {
        if let Some(q) = observe_queue(clients, &spec.name).await? {
            queues.insert(spec.name.clone(), q);
        }
    }
    let mut queue_policies = HashMap::new();
    for spec in &topology.queues {
        let (exists, drift, policy) = queue_drift(spec, topology, &topic_arns, &queues);
        if let (true, Some(policy)) = (exists, policy) {
            queue_policies.insert(spec.name.clone(), policy);
        }
        plan.changes.push(change(ResourceKind::Queue, &spec.name, exists, drift));
    }

    let mut listed: HashMap<String, Vec<SnsSubscription>> = HashMap::new();
    let mut subscriptions = HashMap::new();
    for spec in &topology.subscriptions {
        let name = subscription_name(spec);
        let (Some(topic_arn), Some(queue)) = (topic_arns.get(&spec.topic), queues.get(&spec.queue)) else {
            plan.changes.push(change(
                ResourceKind::Subscription,
                &name,
                false,
                to_create(subscription_attributes(spec)),
            ));
            continue;
        };
        if !listed.contains_key(topic_arn) {
            listed.insert(topic_arn.clone(), list_subscriptions(clients, &spec.topic, topic_arn).await?);
        }
        let found = listed[topic_arn]
            .iter()
            .find(|s| s.protocol() == Some("sqs") && s.endpoint() == Some(queue.arn.as_str()))
            .and_then(|s| s.subscription_arn())
            .filter(|arn| arn.starts_with("arn:"));
        let Some(sub_arn) = found else {
            plan.changes.push(change(
                ResourceKind::Subscription,
                &name,
                false,
                to_create(subscription_attributes(spec)),
            ));
            continue;
        };
        let out = clients
            .sns
            .get_subscription_attributes()
            .subscription_arn(sub_arn)
            .send()
            .await
            .map_err(|e| map_sdk_error(Service::Sns, Subject::Other, e))?;
        let empty = HashMap::new();
        let drift = subscription_drift(spec, out.attributes().unwrap_or(&empty));
        subscriptions.insert((spec.topic.clone(), spec.queue.clone()), sub_arn.to_owned());
        plan.changes.push(change(ResourceKind::Subscription, &name, true, drift));
    }
    Ok(Survey { plan, topic_arns, queues, subscriptions, queue_policies })
}

/// `GetQueueUrl` and `GetQueueAttributes(All)`; `None` if the queue does not exist.
async fn observe_queue(clients: &Clients, name: &str) -> Result<Option<ObservedQueue>, BusError> {
    let Some(url) = clients.lookup_queue_url(name).await? else {
        return Ok(None);
    };
    let out = clients
        .sqs
        .get_queue_attributes()
        .queue_url(&url)
        .attribute_names(QueueAttributeName::All)
        .send()
        .await
        .map_err(|e| clients.queue_error(name, e))?;
    let attrs: HashMap<String, String> =
        out.attributes().into_iter().flatten().map(|(k, v)| (k.as_str().to_owned(), v.clone())).collect();
    let arn = attrs.get("QueueArn").cloned().ok_or_else(|| BusError::QueueNotFound(name.to_owned()))?;
    clients.remember_queue(name, &url, Some(&arn));
    Ok(Some(ObservedQueue { url, arn, attrs }))
}

/// The topics declared as sending to `queue` (through a subscription).
fn sending_topics<'a>(topology: &'a Topology, queue: &str) -> BTreeSet<&'a str> {
    topology.subscriptions.iter().filter(|s| s.queue == queue).map(|s| s.topic.as_str()).collect()
}

/// Whether the queue exists, its drift (or, when it does not, the attributes it is created with), and
/// its declared access policy when topics send to it.
fn queue_drift(
    spec: &QueueSpec,
    topology: &Topology,
    topic_arns: &HashMap<String, String>,
    queues: &HashMap<String, ObservedQueue>,
) -> (bool, Vec<Drift>, Option<String>) {
    let observed = queues.get(&spec.name);
    let empty = HashMap::new();
    let actual = observed.map(|q| &q.attrs).unwrap_or(&empty);
    let mut drift = match observed {
        Some(_) => diff(actual, queue_base_attributes(spec)),
        None => to_create(queue_base_attributes(spec)),
    };

    let desired_redrive = spec.redrive.as_ref().map(|r| {
        let dlq_arn = queues
            .get(&r.dead_letter_queue)
            .map(|d| d.arn.clone())
            .unwrap_or_else(|| format!("<ARN of queue {}>", r.dead_letter_queue));
        redrive_policy(&dlq_arn, r.max_receive_count)
    });
    let actual_redrive = actual.get("RedrivePolicy").filter(|s| !s.is_empty());
    if !same_redrive(actual_redrive.map(String::as_str), desired_redrive.as_deref()) {
        drift.push(Drift {
            attribute: "RedrivePolicy".into(),
            actual: actual_redrive.cloned(),
            desired: desired_redrive,
        });
    }

    let topics = sending_topics(topology, &spec.name);
    let mut declared_policy = None;
    if !topics.is_empty() {
        let arns: BTreeSet<String> = topics
            .iter()
            .map(|t| topic_arns.get(*t).cloned().unwrap_or_else(|| format!("<ARN of topic {t}>")))
            .collect();
        let queue_arn = observed.map(|q| q.arn.clone()).unwrap_or_else(|| format!("<ARN of queue {}>", spec.name));
        let actual_policy = actual.get("Policy").map(String::as_str);
        let desired = queue_policy(actual_policy, &queue_arn, &arns);
        if !policy_in_sync(actual_policy, &queue_arn, &arns) {
            drift.push(Drift {
                attribute: "Policy".into(),
                actual: actual_policy.map(str::to_owned),
                desired: Some(desired.clone()),
            });
        }
        declared_policy = Some(desired);
    }
    (observed.is_some(), drift, declared_policy)
}

/// The drift of an existing subscription.
fn subscription_drift(spec: &SubscriptionSpec, actual: &HashMap<String, String>) -> Vec<Drift> {
    let get = |k: &str| actual.get(k).map(String::as_str);
    let mut drift = Vec::new();
    let filter = declared_filter(spec);
    if let Some(_p) = filter {
        let scope = spec.filter_policy_scope.as_str();
        if reported_scope(get("FilterPolicyScope")) != scope {
            drift.push(Drift {
                attribute: "FilterPolicyScope".into(),
                actual: get("FilterPolicyScope").map(str::to_owned),
                desired: Some(scope.to_owned()),
            });
        }
    }
    if !same_filter(get("FilterPolicy"), filter) {
        drift.push(Drift {
            attribute: "FilterPolicy".into(),
            actual: get("FilterPolicy").map(str::to_owned),
            desired: filter.map(|p| p.to_string()),
        });
    }
    let raw = spec.raw_message_delivery.to_string();
    if !same_value(get("RawMessageDelivery"), &raw) {
        drift.push(Drift {
            attribute: "RawMessageDelivery".into(),
            actual: get("RawMessageDelivery").map(str::to_owned),
            desired: Some(raw),
        });
    }
    drift
}

/// Every subscription of a topic (all pages).
async fn list_subscriptions(clients: &Clients, topic: &str, arn: &str) -> Result<Vec<SnsSubscription>, BusError> {
    let mut out = Vec::new();
    let mut next: Option<String> = None;
    loop {
        let page = clients
            .sns
            .list_subscriptions_by_topic()
            .topic_arn(arn)
            .set_next_token(next.take())
            .send()
            .await
            .map_err(|e| clients.topic_error(topic, e))?;
        out.extend(page.subscriptions().iter().cloned());
        match page.next_token() {
            Some(t) if !t.is_empty() => next = Some(t.to_owned()),
            _ => break,
        }
    }
    Ok(out)
}
