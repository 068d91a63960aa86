//! Filter policies as data ([`PolicyModel`]), strategies that generate valid ones, and, for a policy,
//! messages that match it and messages that do not.

mod generate;
mod messages;
mod model;

pub use generate::{policy, rule, rule_list, ATTRIBUTE_KEYS, BODY_KEYS};
pub use messages::{matching_messages, non_matching_messages};
pub use model::{AnythingBut, KeyRules, Leaf, Numeric, PolicyModel, Rule};
