//! proptest strategies: attributes and events within AWS's limits, valid filter policies with messages
//! that match them and messages that do not, and fault plans.
//!
//! - [`attribute_name`], [`attribute_value`], [`attributes`]: valid names, the four types, ≤ 10.
//! - [`event_type`], [`json_data`], [`event`], [`event_message`]: events and their messages.
//! - [`policy`]: a valid [`PolicyModel`] of either scope — exact literals, prefix, suffix,
//!   equals-ignore-case, wildcard, anything-but (all forms), numeric (all operators and ranges),
//!   exists, cidr; `$or`; nested keys in the body scope — within 5 keys and 150 combinations.
//! - [`matching_messages`] / [`non_matching_messages`]: for a policy, messages built to match it or
//!   not (the testkit's own tests check them against `bus-core`'s engine).
//! - [`fault_plan`]: a seeded [`FaultPlan`](crate::faults::FaultPlan) of arbitrary faults.
//!
//! ```
//! use bus_core::filter::{FilterPolicy, FilterScope, SnsFilterPolicy};
//! use bus_testkit::strategies::{matching_messages, policy};
//! use proptest::prelude::*;
//!
//! proptest! {
//!     #![proptest_config(ProptestConfig::with_cases(16))]
//!     fn the_engine_delivers_what_a_policy_asks_for(
//!         (model, message) in policy(FilterScope::MessageBody)
//!             .prop_flat_map(|m| { let msgs = matching_messages(&m); (Just(m), msgs) })
//!     ) {
//!         let engine = SnsFilterPolicy::from_value(&model.to_json(), model.scope).unwrap();
//!         prop_assert!(engine.matches(&message));
//!     }
//! }
//! # fn main() { the_engine_delivers_what_a_policy_asks_for(); }
//! ```

mod attributes;
mod events;
mod faults;
mod policy;

pub use attributes::{attribute_name, attribute_value, attributes, attributes_up_to, json_scalar, number_text};
pub use events::{event, event_message, event_of, event_type, json_data};
pub use faults::{call, fault, fault_plan, trigger};
pub use policy::{
    matching_messages, non_matching_messages, policy, rule, rule_list, AnythingBut, KeyRules, Leaf, Numeric,
    PolicyModel, Rule, ATTRIBUTE_KEYS, BODY_KEYS,
};
