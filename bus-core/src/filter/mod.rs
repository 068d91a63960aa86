//! SNS subscription filter policies, evaluated in-process exactly as SNS evaluates and validates them.
//!
//! A policy goes through four stages, each in its own module:
//!
//! 1. **parse** (`json`, `parse`, `operators`): the policy text becomes an AST; grammar errors carry AWS's
//!    reason texts (`Unrecognized match type foo`, `Empty arrays are not allowed`, ...), reported in
//!    document order as AWS's streaming parser does.
//! 2. **validate** (`validate`): nested objects in `MessageAttributes` scope, at most [`MAX_KEYS`] keys,
//!    at most [`MAX_COMBINATIONS`] combinations counted AWS's way, at most [`MAX_POLICY_BYTES`] bytes.
//! 3. **compile** (`compile`, `engine`, `index`, `ranges`): `$or` is expanded into branches; every key
//!    path goes into a trie, every rule into the value index of its path (hash lookups for exact values,
//!    per-length lookups for prefixes and suffixes, sorted bounds for numeric ranges).
//! 4. **match** (`scan`, `attributes`, `body`, `scratch`): one pass over the message with a zero-copy,
//!    strictly validating JSON scanner, visiting only keys some policy mentions; no heap allocation once
//!    the per-thread buffers have warmed up (escaped strings are unescaped into a reusable buffer).
//!
//! Cost per message depends on the message and on how many conditions it satisfies, not on the number
//! of policies (except for `wildcard`, `anything-but`, `exists` and `cidr` rules, which are checked one by
//! one at their key). A body that is not valid JSON matches nothing, as in SNS; values no policy mentions
//! are skipped unvalidated and validated only when a policy would match.
//!
//! **Repeated keys.** RFC 8259 leaves repeated member names undefined, and AWS's own libraries disagree
//! (event-ruler documents "only the final value" for its tree API, its streaming API keeps every value).
//! This engine decides: within the top-level object and within each array element, *the first member to
//! reach a key path decides that path and every path below it*; a later member reaching the same path or
//! one below it (a repeated name, or a dotted name such as `"a.b"` after `"a"`) is ignored, though it must
//! still be valid JSON. So once every path the policies use is decided outside arrays (for a policy on
//! `properties.STREET`: as soon as `STREET` has been read inside the first `properties` object), nothing
//! later can change an answer: the walk stops there, reads no further if nothing matches, and otherwise
//! validates the rest strictly before reporting a match.
//!
//! [`SnsFilterPolicy`] is one compiled policy; [`FilterSet`] matches the policies of all subscriptions of
//! a topic in one pass. [`conformance`] runs the JSONL conformance vectors.
//!
//! ```
//! use bus_core::filter::{FilterErrorKind, FilterScope, SnsFilterPolicy};
//!
//! let policy = SnsFilterPolicy::parse(
//!     r#"{"detail": {"price": [{"numeric": [">", 0, "<=", 150]}], "tag": [{"prefix": "sale-"}]}}"#,
//!     FilterScope::MessageBody,
//! )
//! .unwrap();
//! assert!(policy.matches_body(r#"{"detail": {"price": 99.5, "tag": ["x", "sale-summer"]}}"#));
//! assert!(!policy.matches_body("not json"));
//!
//! let err = SnsFilterPolicy::parse(r#"{"a": []}"#, FilterScope::MessageAttributes).unwrap_err();
//! assert_eq!(err.kind, FilterErrorKind::Grammar);
//! assert_eq!(err.reason, "Empty arrays are not allowed");
//! ```
//!
//! Semantics follow the project's `SPEC.md` (copied decisions are documented where they are made): values
//! are type-strict, numbers compare at 10⁻⁶, arrays are transparent, and in the body scope conditions met
//! inside one array must be met by the same element (event-ruler's array consistency).

use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::message::{Message, MessageAttributes};

mod ast;
mod attributes;
mod body;
mod cidr;
mod compile;
pub mod conformance;
mod engine;
mod error;
mod hash;
mod index;
mod json;
mod number;
mod operators;
mod parse;
mod ranges;
mod scan;
mod scratch;
mod set;
mod skip;
mod strict;
mod validate;
mod wildcard;

#[cfg(test)]
mod lazy_tests;

pub use error::{FilterError, FilterErrorKind};
pub use set::FilterSet;
pub use validate::{MAX_COMBINATIONS, MAX_KEYS, MAX_POLICY_BYTES};

use compile::CompiledPolicy;
use engine::Engine;

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
            other => Err(FilterError::new(
                FilterErrorKind::InvalidScope,
                format!(
                    "Invalid parameter: FilterPolicyScope: Invalid value [{other}]. Please use either MessageBody or MessageAttributes"
                ),
            )),
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

impl fmt::Display for FilterScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A filter: does this message pass? Synchronous and pure.
pub trait FilterPolicy: Send + Sync + std::fmt::Debug {
    /// Whether `message` matches.
    fn matches(&self, message: &Message) -> bool;
}

/// A compiled SNS filter policy. Cloning is cheap (shared).
#[derive(Clone)]
pub struct SnsFilterPolicy {
    inner: Arc<Inner>,
}

struct Inner {
    scope: FilterScope,
    source: String,
    compiled: CompiledPolicy,
    engine: Engine,
    keys: usize,
    combinations: u64,
}

impl fmt::Debug for SnsFilterPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SnsFilterPolicy").field("scope", &self.inner.scope).field("source", &self.inner.source).finish()
    }
}

impl SnsFilterPolicy {
    /// Parses, validates and compiles a policy given as JSON text (the `FilterPolicy` attribute).
    /// An empty string or `{}` is the policy that matches everything.
    ///
    /// Checks run in AWS's order: size, JSON syntax, grammar (in document order), the nested-object rule of
    /// the attribute scope, the key limit, the combination limit.
    pub fn parse(json: &str, scope: FilterScope) -> Result<Self, FilterError> {
        if json.len() > MAX_POLICY_BYTES {
            return Err(validate::too_large(json.len()));
        }
        let (compiled, measures) = if json.is_empty() {
            (CompiledPolicy::default(), validate::Measures { keys: 0, combinations: 0 })
        } else {
            let tree = json::Json::parse(json)?;
            let ast = parse::parse_policy(&tree)?;
            let measures = validate::validate(&ast, scope)?;
            (compile::compile(&ast), measures)
        };
        let engine = if compiled.is_match_all() { Engine::default() } else { Engine::single(&compiled) };
        Ok(SnsFilterPolicy {
            inner: Arc::new(Inner {
                scope,
                source: json.to_owned(),
                compiled,
                engine,
                keys: measures.keys,
                combinations: measures.combinations,
            }),
        })
    }

    /// Parses, validates and compiles a policy given as a JSON value (serialised, then as [`Self::parse`];
    /// members are in `serde_json::Value`'s order, which decides which of several errors is reported).
    pub fn from_value(v: &serde_json::Value, scope: FilterScope) -> Result<Self, FilterError> {
        SnsFilterPolicy::parse(&v.to_string(), scope)
    }

    /// The policy's scope.
    pub fn scope(&self) -> FilterScope {
        self.inner.scope
    }

    /// The policy's JSON text, as given.
    pub fn source(&self) -> &str {
        &self.inner.source
    }

    /// Number of keys (distinct leaf key paths), as counted against [`MAX_KEYS`].
    pub fn key_count(&self) -> usize {
        self.inner.keys
    }

    /// Number of combinations, as counted against [`MAX_COMBINATIONS`].
    pub fn complexity(&self) -> u64 {
        self.inner.combinations
    }

    /// Whether this is the empty policy, which every message matches.
    pub fn is_match_all(&self) -> bool {
        self.inner.compiled.is_match_all()
    }

    pub(crate) fn compiled(&self) -> &CompiledPolicy {
        &self.inner.compiled
    }

    /// Whether the attributes match (attribute-scope semantics).
    pub fn matches_attributes(&self, attributes: &MessageAttributes) -> bool {
        if self.is_match_all() {
            return true;
        }
        let engine = &self.inner.engine;
        scratch::with_scratch(|s| {
            let mut hit = false;
            engine.match_attributes(attributes, s, |_| hit = true);
            hit
        })
    }

    /// Whether the body matches (body-scope semantics; a body that is not a JSON object matches nothing,
    /// unless the policy is empty).
    pub fn matches_body(&self, body: &str) -> bool {
        if self.is_match_all() {
            return true;
        }
        let engine = &self.inner.engine;
        scratch::with_scratch(|s| {
            let mut hit = false;
            engine.match_body(body, s, |_| hit = true);
            hit
        })
    }
}

impl FilterPolicy for SnsFilterPolicy {
    fn matches(&self, message: &Message) -> bool {
        match self.inner.scope {
            FilterScope::MessageAttributes => self.matches_attributes(&message.attributes),
            FilterScope::MessageBody => self.matches_body(&message.body),
        }
    }
}
