//! SNS subscription filter policies: parse and validate once (AWS's limits and reason texts), compile
//! into a matcher, and match messages without allocating.
//!
//! PLACEHOLDER API: the engine is being written (issue 2). The public signatures below are the contract
//! other crates build against; the bodies are temporary.

use serde::{Deserialize, Serialize};

use crate::message::{Message, MessageAttributes};

/// Which part of a message a filter policy looks at (`FilterPolicyScope`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum FilterScope {
    /// The message attributes (the SNS default).
    #[default]
    MessageAttributes,
    /// The message body, which must be a JSON object.
    MessageBody,
}

impl FilterScope {
    /// Parses `MessageAttributes` / `MessageBody`, with AWS's error for anything else.
    pub fn parse(s: &str) -> Result<Self, FilterError> {
        match s {
            "MessageAttributes" => Ok(FilterScope::MessageAttributes),
            "MessageBody" => Ok(FilterScope::MessageBody),
            other => Err(FilterError {
                reason: format!(
                    "Invalid parameter: FilterPolicyScope: Invalid value [{other}]. Please use either MessageBody or MessageAttributes"
                ),
            }),
        }
    }

    /// The AWS spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            FilterScope::MessageAttributes => "MessageAttributes",
            FilterScope::MessageBody => "MessageBody",
        }
    }
}

/// A filter: does this message pass? Synchronous and pure.
pub trait FilterPolicy: Send + Sync + std::fmt::Debug {
    /// Whether `message` matches.
    fn matches(&self, message: &Message) -> bool;
}

/// An invalid filter policy, with AWS's reason text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct FilterError {
    /// AWS's reason text.
    pub reason: String,
}

/// A compiled SNS filter policy.
#[derive(Debug, Clone)]
pub struct SnsFilterPolicy {
    scope: FilterScope,
}

impl SnsFilterPolicy {
    /// Parses, validates and compiles a policy given as JSON text (the `FilterPolicy` attribute).
    /// An empty string or `{}` is the policy that matches everything.
    pub fn parse(_json: &str, scope: FilterScope) -> Result<Self, FilterError> {
        Ok(SnsFilterPolicy { scope })
    }

    /// Parses, validates and compiles a policy given as a JSON value.
    pub fn from_value(_v: &serde_json::Value, scope: FilterScope) -> Result<Self, FilterError> {
        Ok(SnsFilterPolicy { scope })
    }

    /// The policy's scope.
    pub fn scope(&self) -> FilterScope {
        self.scope
    }

    /// Whether the attributes match (attribute scope semantics).
    pub fn matches_attributes(&self, _attributes: &MessageAttributes) -> bool {
        true
    }

    /// Whether the body matches (body scope semantics; a non-object body matches nothing).
    pub fn matches_body(&self, _body: &str) -> bool {
        true
    }
}

impl FilterPolicy for SnsFilterPolicy {
    fn matches(&self, message: &Message) -> bool {
        match self.scope {
            FilterScope::MessageAttributes => self.matches_attributes(&message.attributes),
            FilterScope::MessageBody => self.matches_body(&message.body),
        }
    }
}

/// Many policies (one per subscription of a topic) matched together: the cost of a publish should stay
/// close to flat as the number of policies grows.
#[derive(Debug, Clone, Default)]
pub struct FilterSet {
    entries: Vec<(usize, Option<SnsFilterPolicy>)>,
}

impl FilterSet {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds (or replaces) the policy of subscription `id`; `None` = no filter (matches every message).
    pub fn insert(&mut self, id: usize, policy: Option<SnsFilterPolicy>) {
        self.remove(id);
        self.entries.push((id, policy));
    }

    /// Removes subscription `id`.
    pub fn remove(&mut self, id: usize) {
        self.entries.retain(|(i, _)| *i != id);
    }

    /// Number of subscriptions in the set.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Appends to `out` the ids of every subscription whose policy matches `message` (in ascending id order).
    pub fn matching(&self, message: &Message, out: &mut Vec<usize>) {
        let start = out.len();
        for (id, p) in &self.entries {
            if p.as_ref().is_none_or(|p| p.matches(message)) {
                out.push(*id);
            }
        }
        out[start..].sort_unstable();
    }
}
