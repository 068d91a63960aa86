//! Provisioning of a [`Topology`](bus_core::Topology) on SNS and SQS: a [`Plan`] of what would change,
//! and an idempotent apply.
//!
//! What is managed, per resource:
//! - **topic**: created with `FifoTopic` and `ContentBasedDeduplication`; the latter is updated in place.
//! - **queue**: `VisibilityTimeout`, `MessageRetentionPeriod`, `DelaySeconds`,
//!   `ReceiveMessageWaitTimeSeconds`, `RedrivePolicy` (`deadLetterTargetArn`, `maxReceiveCount`),
//!   `FifoQueue`, `ContentBasedDeduplication`, and a `Policy` statement (Sid [`POLICY_SID`]) that lets
//!   only the ARNs of the topics subscribed to the queue `sqs:SendMessage` to it (`aws:SourceArn`
//!   condition); the queue's other policy statements are kept. Attributes are updated in place with one
//!   `SetQueueAttributes`.
//! - **subscription** (protocol `sqs`): `FilterPolicy`, `FilterPolicyScope`, `RawMessageDelivery`,
//!   updated in place with `SetSubscriptionAttributes`.
//!
//! Resources that exist but are not in the topology are left alone. A difference that cannot be
//! updated in place (a queue's or topic's FIFO-ness) is a [`Action::Conflict`]: apply refuses before
//! changing anything.

mod apply;
mod desired;
mod survey;

use std::fmt;

pub(crate) use apply::apply;
pub use desired::POLICY_SID;
pub(crate) use survey::survey;

/// The kind of a planned resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ResourceKind {
    /// An SNS topic.
    Topic,
    /// An SQS queue (its attributes and its access policy).
    Queue,
    /// An SNS subscription of a queue to a topic.
    Subscription,
}

impl fmt::Display for ResourceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ResourceKind::Topic => "topic",
            ResourceKind::Queue => "queue",
            ResourceKind::Subscription => "subscription",
        })
    }
}

/// What apply would do to a resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// It does not exist and would be created.
    Create,
    /// It exists and some attributes differ (see [`Change::drift`]); they would be updated in place.
    Update,
    /// It exists exactly as declared.
    InSync,
    /// It exists with a difference that cannot be updated in place; apply refuses.
    Conflict,
}

/// One attribute that differs between AWS and the topology.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Drift {
    /// The AWS attribute name (`VisibilityTimeout`, `FilterPolicy`, ...).
    pub attribute: String,
    /// The value on AWS (`None` = not set).
    pub actual: Option<String>,
    /// The declared value (`None` = to be removed).
    pub desired: Option<String>,
}

/// The plan for one resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// The resource kind.
    pub kind: ResourceKind,
    /// Its name (`events`, `email`, or `events -> email` for a subscription).
    pub name: String,
    /// What apply would do.
    pub action: Action,
    /// For `Update` and `Conflict`: the attributes that differ. For `Create`: the attributes it is
    /// created with (`actual` = `None`).
    pub drift: Vec<Drift>,
}

/// What [`AwsBackend::apply_topology`](bus_core::Backend::apply_topology) would do, resource by resource,
/// in apply order: topics, queues, subscriptions.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    /// Every declared resource.
    pub changes: Vec<Change>,
}

impl Plan {
    /// Whether everything exists exactly as declared (apply would make no change).
    pub fn is_in_sync(&self) -> bool {
        self.changes.iter().all(|c| c.action == Action::InSync)
    }

    /// The changes with this action.
    pub fn with_action(&self, action: Action) -> impl Iterator<Item = &Change> {
        self.changes.iter().filter(move |c| c.action == action)
    }

    /// The change of one resource.
    pub fn find(&self, kind: ResourceKind, name: &str) -> Option<&Change> {
        self.changes.iter().find(|c| c.kind == kind && c.name == name)
    }

    /// Every drifted attribute of existing resources, as `(resource, drift)`.
    pub fn drift(&self) -> impl Iterator<Item = (&Change, &Drift)> {
        self.changes
            .iter()
            .filter(|c| matches!(c.action, Action::Update | Action::Conflict))
            .flat_map(|c| c.drift.iter().map(move |d| (c, d)))
    }
}

impl fmt::Display for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for c in &self.changes {
            let sign = match c.action {
                Action::Create => '+',
                Action::Update => '~',
                Action::InSync => '=',
                Action::Conflict => '!',
            };
            writeln!(f, "{sign} {} {}", c.kind, c.name)?;
            if c.action == Action::InSync {
                continue;
            }
            for d in &c.drift {
                let show = |v: &Option<String>| v.clone().unwrap_or_else(|| "(unset)".to_owned());
                if c.action == Action::Create {
                    writeln!(f, "    {} = {}", d.attribute, show(&d.desired))?;
                } else {
                    writeln!(f, "    {}: {} -> {}", d.attribute, show(&d.actual), show(&d.desired))?;
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plan_display_and_queries() {
        let plan = Plan {
            changes: vec![
                Change { kind: ResourceKind::Topic, name: "events".into(), action: Action::InSync, drift: vec![] },
                Change {
                    kind: ResourceKind::Queue,
                    name: "email".into(),
                    action: Action::Update,
                    drift: vec![Drift {
                        attribute: "VisibilityTimeout".into(),
                        actual: Some("30".into()),
                        desired: Some("60".into()),
                    }],
                },
            ],
        };
        assert!(!plan.is_in_sync());
        assert_eq!(plan.with_action(Action::Update).count(), 1);
        assert_eq!(plan.drift().count(), 1);
        assert!(plan.find(ResourceKind::Topic, "events").is_some());
        assert_eq!(plan.to_string(), "= topic events\n~ queue email\n    VisibilityTimeout: 30 -> 60\n");
    }
}
