//! The strategies generate what they promise: valid attributes and events, policies that compile and
//! stay within AWS's limits (counted the engine's way), and messages that the engine matches, or not,
//! exactly as constructed.

use bus_core::filter::{FilterPolicy, FilterScope, SnsFilterPolicy, MAX_COMBINATIONS, MAX_KEYS};
use bus_core::limits::{MAX_ATTRIBUTES, SNS_MAX_MESSAGE_BYTES};
use bus_core::message::validate_attribute_name;
use bus_core::{Event, Message};
use bus_testkit::strategies::{
    attribute_name, attributes, event_message, fault_plan, matching_messages, non_matching_messages, policy,
    PolicyModel,
};
use proptest::prelude::*;

fn scope() -> impl Strategy<Value = FilterScope> {
    prop_oneof![Just(FilterScope::MessageAttributes), Just(FilterScope::MessageBody)]
}

fn compile(model: &PolicyModel) -> SnsFilterPolicy {
    SnsFilterPolicy::from_value(&model.to_json(), model.scope)
        .unwrap_or_else(|e| panic!("generated policy {model} does not compile: {e}"))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn attribute_names_are_valid(name in attribute_name()) {
        prop_assert!(validate_attribute_name(&name).is_ok(), "{name:?}: {:?}", validate_attribute_name(&name));
    }

    #[test]
    fn attributes_are_valid_and_at_most_ten(attrs in attributes()) {
        prop_assert!(attrs.len() <= MAX_ATTRIBUTES);
        let message = Message { attributes: attrs, ..Message::new("x") };
        prop_assert!(message.validate(SNS_MAX_MESSAGE_BYTES).is_ok(), "{:?}", message.validate(SNS_MAX_MESSAGE_BYTES));
    }

    #[test]
    fn event_messages_are_valid_events(message in event_message()) {
        prop_assert!(message.validate(SNS_MAX_MESSAGE_BYTES).is_ok());
        let event = Event::from_body(&message.body).unwrap();
        prop_assert_eq!(message.attributes["event-type"].as_str(), Some(event.event_type.as_str()));
    }

    #[test]
    fn policies_compile_within_the_limits_counted_as_the_engine_counts(model in scope().prop_flat_map(policy)) {
        let compiled = compile(&model);
        prop_assert_eq!(compiled.key_count(), model.key_count(), "{}", model);
        prop_assert_eq!(compiled.complexity(), model.complexity(), "{}", model);
        prop_assert!(model.key_count() <= MAX_KEYS && model.complexity() <= MAX_COMBINATIONS);
        prop_assert!(!compiled.is_match_all());
    }

    #[test]
    fn matching_messages_match(
        (model, messages) in scope().prop_flat_map(policy).prop_flat_map(|m| {
            let msgs = proptest::collection::vec(matching_messages(&m), 4);
            (Just(m), msgs)
        })
    ) {
        let engine = compile(&model);
        for message in messages {
            prop_assert!(message.validate(SNS_MAX_MESSAGE_BYTES).is_ok(), "{:?}", message);
            prop_assert!(engine.matches(&message), "{model} should match {message:?}");
        }
    }

    #[test]
    fn non_matching_messages_do_not_match(
        (model, messages) in scope().prop_flat_map(policy).prop_flat_map(|m| {
            let msgs = non_matching_messages(&m).expect("generated policies always have non-matching messages");
            (Just(m), proptest::collection::vec(msgs, 4))
        })
    ) {
        let engine = compile(&model);
        for message in messages {
            prop_assert!(message.validate(SNS_MAX_MESSAGE_BYTES).is_ok(), "{:?}", message);
            prop_assert!(!engine.matches(&message), "{model} should not match {message:?}");
        }
    }

    #[test]
    fn fault_plans_are_valid(plan in fault_plan()) {
        prop_assert!(plan.validate().is_ok());
    }
}

/// Every operator family and both `$or` placements show up in a modest number of cases.
#[test]
fn policies_cover_every_operator_family() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let mut seen = std::collections::BTreeSet::new();
    for i in 0..400 {
        let scope = if i % 2 == 0 { FilterScope::MessageAttributes } else { FilterScope::MessageBody };
        let model = policy(scope).new_tree(&mut runner).unwrap().current();
        let text = model.to_json().to_string();
        for family in
            ["prefix", "suffix", "equals-ignore-case", "wildcard", "anything-but", "numeric", "exists", "cidr", "$or"]
        {
            if text.contains(&format!("\"{family}\"")) {
                seen.insert(family.to_owned());
            }
        }
        if text.contains("\"data\":{\"$or\"") || text.contains("\"$or\":[") && scope == FilterScope::MessageBody {
            seen.insert(format!("$or in {scope}"));
        }
        if model.or_at.is_empty() && !model.alternatives.is_empty() {
            seen.insert("$or at the root".to_owned());
        }
    }
    for family in
        ["prefix", "suffix", "equals-ignore-case", "wildcard", "anything-but", "numeric", "exists", "cidr", "$or"]
    {
        assert!(seen.contains(family), "{family} never generated: {seen:?}");
    }
    assert!(seen.contains("$or at the root"), "{seen:?}");
}
