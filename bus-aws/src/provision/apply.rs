//! Applies a topology: validate, plan, refuse conflicts, create what is missing, update what drifted.
//!
//! Creation happens first (topics, then queues with their base attributes); the state is then read
//! again, so that redrive and access policies and subscriptions are set with the real ARNs. Every step
//! is idempotent: re-running after a failure, or on an unchanged topology, is safe (the second run
//! only reads).

use std::collections::HashMap;

use aws_sdk_sqs::types::QueueAttributeName;
use bus_core::filter::FilterScope;
use bus_core::{BusError, Topology};

use super::desired::{declared_filter, queue_base_attributes, subscription_attributes};
use super::survey::{subscription_name, survey, topic_attributes};
use super::{Action, Change, Drift, Plan, ResourceKind};
use crate::error::{map_sdk_error, Service, Subject};
use crate::resolve::Clients;

fn conflict_error(c: &Change) -> BusError {
    let reason = c
        .drift
        .iter()
        .map(|d| {
            format!(
                "{} is {} and cannot change to {}",
                d.attribute,
                d.actual.as_deref().unwrap_or("(unset)"),
                d.desired.as_deref().unwrap_or("(unset)")
            )
        })
        .collect::<Vec<_>>()
        .join("; ");
    let kind = match c.kind {
        ResourceKind::Topic => "topic",
        ResourceKind::Queue => "queue",
        ResourceKind::Subscription => "subscription",
    };
    BusError::AlreadyExists { kind, name: c.name.clone(), reason }
}

fn refuse_conflicts(plan: &Plan) -> Result<(), BusError> {
    match plan.with_action(Action::Conflict).next() {
        Some(c) => Err(conflict_error(c)),
        None => Ok(()),
    }
}

/// Validates, plans and applies `topology`; returns the plan it started from.
pub(crate) async fn apply(clients: &Clients, topology: &Topology) -> Result<Plan, BusError> {
    topology.validate()?;
    let first = survey(clients, topology).await?;
    refuse_conflicts(&first.plan)?;
    let planned = first.plan.clone();

    let mut created = false;
    for spec in &topology.topics {
        if planned.find(ResourceKind::Topic, &spec.name).map(|c| c.action) != Some(Action::Create) {
            continue;
        }
        let attrs: HashMap<String, String> =
            topic_attributes(spec).into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
        let out = clients
            .sns
            .create_topic()
            .name(&spec.name)
            .set_attributes(Some(attrs).filter(|a| !a.is_empty()))
            .send()
            .await
            .map_err(|e| clients.topic_error(&spec.name, e))?;
        let arn = out.topic_arn().unwrap_or_default();
        clients.remember_topic(&spec.name, arn);
        tracing::info!(topic = %spec.name, arn, "created topic");
        created = true;
    }
    for spec in &topology.queues {
        if planned.find(ResourceKind::Queue, &spec.name).map(|c| c.action) != Some(Action::Create) {
            continue;
        }
        let attrs: HashMap<QueueAttributeName, String> =
            queue_base_attributes(spec).into_iter().map(|(k, v)| (QueueAttributeName::from(k), v)).collect();
        let out = clients
            .sqs
            .create_queue()
            .queue_name(&spec.name)
            .set_attributes(Some(attrs))
            .send()
            .await
            .map_err(|e| map_sdk_error(Service::Sqs, Subject::Queue(&spec.name), e))?;
        let url = out.queue_url().unwrap_or_default();
        clients.remember_queue(&spec.name, url, None);
        tracing::info!(queue = %spec.name, url, "created queue");
        created = true;
    }

    let state = if created { survey(clients, topology).await? } else { first };
    refuse_conflicts(&state.plan)?;

    for c in state.plan.with_action(Action::Update) {
        match c.kind {
            ResourceKind::Topic => update_topic(clients, &state.topic_arns, c).await?,
            ResourceKind::Queue => update_queue(clients, &state.queues, state.queue_policies.get(&c.name), c).await?,
            ResourceKind::Subscription => {}
        }
    }
    for spec in &topology.subscriptions {
        let name = subscription_name(spec);
        let Some(c) = state.plan.find(ResourceKind::Subscription, &name) else { continue };
        match c.action {
            Action::Create => {
                let topic_arn = clients.topic_arn(&spec.topic).await?;
                let queue_arn = clients.queue_arn(&spec.queue).await?;
                let attrs: HashMap<String, String> =
                    subscription_attributes(spec).into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
                let out = clients
                    .sns
                    .subscribe()
                    .topic_arn(&topic_arn)
                    .protocol("sqs")
                    .endpoint(&queue_arn)
                    .set_attributes(Some(attrs).filter(|a| !a.is_empty()))
                    .return_subscription_arn(true)
                    .send()
                    .await
                    .map_err(|e| clients.topic_error(&spec.topic, e))?;
                tracing::info!(subscription = %name, arn = out.subscription_arn().unwrap_or_default(), "subscribed");
            }
            Action::Update => {
                let arn =
                    state.subscriptions.get(&(spec.topic.clone(), spec.queue.clone())).cloned().unwrap_or_default();
                update_subscription(clients, &arn, spec, c).await?;
            }
            Action::InSync | Action::Conflict => {}
        }
    }
    Ok(planned)
}

async fn update_topic(clients: &Clients, arns: &HashMap<String, String>, c: &Change) -> Result<(), BusError> {
    let arn = arns.get(&c.name).ok_or_else(|| BusError::TopicNotFound(c.name.clone()))?;
    for d in &c.drift {
        clients
            .sns
            .set_topic_attributes()
            .topic_arn(arn)
            .attribute_name(&d.attribute)
            .set_attribute_value(d.desired.clone())
            .send()
            .await
            .map_err(|e| clients.topic_error(&c.name, e))?;
        tracing::info!(topic = %c.name, attribute = %d.attribute, "updated topic attribute");
    }
    Ok(())
}

/// One `SetQueueAttributes` with every drifted attribute. The declared access policy is always sent
/// along (unchanged, it changes nothing on AWS; some servers, moto among them, clear a policy that a
/// `SetQueueAttributes` call leaves out).
async fn update_queue(
    clients: &Clients,
    queues: &HashMap<String, super::survey::ObservedQueue>,
    policy: Option<&String>,
    c: &Change,
) -> Result<(), BusError> {
    let q = queues.get(&c.name).ok_or_else(|| BusError::QueueNotFound(c.name.clone()))?;
    let mut attrs: HashMap<QueueAttributeName, String> = c
        .drift
        .iter()
        .map(|d| (QueueAttributeName::from(d.attribute.as_str()), d.desired.clone().unwrap_or_default()))
        .collect();
    if let Some(p) = policy {
        attrs.entry(QueueAttributeName::Policy).or_insert_with(|| p.clone());
    }
    clients
        .sqs
        .set_queue_attributes()
        .queue_url(&q.url)
        .set_attributes(Some(attrs))
        .send()
        .await
        .map_err(|e| clients.queue_error(&c.name, e))?;
    tracing::info!(queue = %c.name, attributes = ?c.drift.iter().map(|d| &d.attribute).collect::<Vec<_>>(), "updated queue");
    Ok(())
}

/// The `SetSubscriptionAttributes` calls for a drifted subscription, in an order where every
/// intermediate state is valid: towards body scope the scope goes first (an attribute policy is also a
/// valid body policy); towards attribute scope the policy goes first. After a scope change the policy
/// is (re)sent last, so that a server which compiles the policy when it is set (moto does) uses the
/// new scope; on AWS that repeat changes nothing.
fn steps(drift: &[Drift], scope: FilterScope, policy: Option<&str>) -> Vec<(String, String)> {
    let find = |name: &str| drift.iter().find(|d| d.attribute == name);
    // A filter policy is removed by setting it to `{}`.
    let policy_value = policy.unwrap_or("{}").to_owned();
    let mut out = Vec::new();
    match find("FilterPolicyScope") {
        Some(d) => {
            let scope_value = d.desired.clone().unwrap_or_else(|| scope.as_str().to_owned());
            if scope == FilterScope::MessageAttributes && find("FilterPolicy").is_some() {
                out.push(("FilterPolicy".to_owned(), policy_value.clone()));
            }
            out.push(("FilterPolicyScope".to_owned(), scope_value));
            out.push(("FilterPolicy".to_owned(), policy_value));
        }
        None => {
            if find("FilterPolicy").is_some() {
                out.push(("FilterPolicy".to_owned(), policy_value));
            }
        }
    }
    for d in drift.iter().filter(|d| !matches!(d.attribute.as_str(), "FilterPolicy" | "FilterPolicyScope")) {
        out.push((d.attribute.clone(), d.desired.clone().unwrap_or_default()));
    }
    out
}

async fn update_subscription(
    clients: &Clients,
    arn: &str,
    spec: &bus_core::backend::SubscriptionSpec,
    c: &Change,
) -> Result<(), BusError> {
    let policy = declared_filter(spec).map(|p| p.to_string());
    for (attribute, value) in steps(&c.drift, spec.filter_policy_scope, policy.as_deref()) {
        clients
            .sns
            .set_subscription_attributes()
            .subscription_arn(arn)
            .attribute_name(&attribute)
            .attribute_value(value)
            .send()
            .await
            .map_err(|e| map_sdk_error(Service::Sns, Subject::Other, e))?;
        tracing::info!(subscription = %c.name, attribute = %attribute, "updated subscription attribute");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(attribute: &str) -> Drift {
        Drift { attribute: attribute.into(), actual: None, desired: Some("x".into()) }
    }

    #[test]
    fn scope_changes_are_ordered_so_every_step_is_valid() {
        let drift = vec![d("RawMessageDelivery"), d("FilterPolicy"), d("FilterPolicyScope")];
        let names = |v: Vec<(String, String)>| v.into_iter().map(|(a, _)| a).collect::<Vec<_>>();
        assert_eq!(
            names(steps(&drift, FilterScope::MessageBody, Some("{}"))),
            ["FilterPolicyScope", "FilterPolicy", "RawMessageDelivery"]
        );
        assert_eq!(
            names(steps(&drift, FilterScope::MessageAttributes, Some("{}"))),
            ["FilterPolicy", "FilterPolicyScope", "FilterPolicy", "RawMessageDelivery"]
        );
        // A scope change alone re-sends the (unchanged) policy after it.
        let scope_only = vec![d("FilterPolicyScope")];
        let s = steps(&scope_only, FilterScope::MessageBody, Some(r#"{"a":["b"]}"#));
        assert_eq!(s, [("FilterPolicyScope".into(), "x".into()), ("FilterPolicy".into(), r#"{"a":["b"]}"#.into())]);
        // Removing the policy sets it to {}.
        let removed = vec![Drift { attribute: "FilterPolicy".into(), actual: Some("{}".into()), desired: None }];
        assert_eq!(steps(&removed, FilterScope::MessageAttributes, None), [("FilterPolicy".into(), "{}".into())]);
    }

    #[test]
    fn conflicts_become_already_exists_errors() {
        let c = Change {
            kind: ResourceKind::Queue,
            name: "q".into(),
            action: Action::Conflict,
            drift: vec![Drift { attribute: "FifoQueue".into(), actual: None, desired: Some("true".into()) }],
        };
        let plan = Plan { changes: vec![c] };
        let e = refuse_conflicts(&plan).unwrap_err();
        assert!(matches!(e, BusError::AlreadyExists { kind: "queue", ref name, .. } if name == "q"), "{e}");
    }
}
