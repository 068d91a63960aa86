//! Property tests of the filter engine:
//! - the compiled matcher agrees with the plain reference evaluator (`support::reference`) on generated
//!   policies and messages, in both scopes, with every operator;
//! - a `FilterSet` gives exactly the answers of evaluating each policy alone.

use crate::support;

use std::cell::Cell;

use bus_core::filter::{FilterPolicy, FilterScope, FilterSet, SnsFilterPolicy};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use support::reference::reference_matches;
use support::strategies;

fn runner(cases: u32) -> TestRunner {
    TestRunner::new(Config { cases, failure_persistence: None, max_shrink_iters: 2000, ..Config::default() })
}

/// Runs the compiled-vs-reference property for `scope`; returns (cases, valid policies, matches).
fn compiled_agrees_with_reference(scope: FilterScope, cases: u32) -> (usize, usize, usize) {
    let (ran, valid, matched) = (Cell::new(0), Cell::new(0), Cell::new(0));
    let strategy = (strategies::policy(scope), proptest::collection::vec(strategies::message(), 1..4));
    let result = runner(cases).run(&strategy, |(policy, messages)| {
        ran.set(ran.get() + 1);
        let Ok(compiled) = SnsFilterPolicy::from_value(&policy, scope) else { return Ok(()) };
        valid.set(valid.get() + 1);
        for message in &messages {
            let want = reference_matches(&policy, scope, message);
            let got = compiled.matches(message);
            prop_assert_eq!(got, want, "policy {} scope {:?} message {:?}", policy, scope, message);
            matched.set(matched.get() + usize::from(got));
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    (ran.get(), valid.get(), matched.get())
}

const REFERENCE_CASES: u32 = 4000;

#[test]
fn compiled_matcher_agrees_with_reference_in_body_scope() {
    let (ran, valid, matched) = compiled_agrees_with_reference(FilterScope::MessageBody, REFERENCE_CASES);
    assert_eq!(ran, REFERENCE_CASES as usize);
    assert!(valid * 2 > ran, "too few valid policies generated: {valid} of {ran}");
    assert!(matched * 20 > valid, "too few matches to be a meaningful test: {matched} of {valid}");
}

#[test]
fn compiled_matcher_agrees_with_reference_in_attribute_scope() {
    let (ran, valid, matched) = compiled_agrees_with_reference(FilterScope::MessageAttributes, REFERENCE_CASES);
    assert_eq!(ran, REFERENCE_CASES as usize);
    assert!(valid * 2 > ran, "too few valid policies generated: {valid} of {ran}");
    assert!(matched * 20 > valid, "too few matches to be a meaningful test: {matched} of {valid}");
}

const SET_CASES: u32 = 1500;

#[test]
fn filter_set_gives_the_answers_of_each_policy_alone() {
    let ran = Cell::new(0usize);
    let subscription = prop_oneof![
        1 => Just(None),
        8 => strategies::scope().prop_flat_map(|scope| strategies::policy(scope).prop_map(move |p| Some((scope, p)))),
    ];
    let strategy = (
        proptest::collection::vec(subscription, 1..16),
        proptest::collection::vec(strategies::message(), 1..5),
        proptest::collection::vec(any::<prop::sample::Index>(), 0..4),
    );
    let result = runner(SET_CASES).run(&strategy, |(subs, messages, removals)| {
        ran.set(ran.get() + 1);
        let mut set = FilterSet::new();
        let mut alone: Vec<(usize, Option<SnsFilterPolicy>)> = Vec::new();
        for (i, sub) in subs.iter().enumerate() {
            let policy = match sub {
                None => None,
                Some((scope, p)) => match SnsFilterPolicy::from_value(p, *scope) {
                    Ok(policy) => Some(policy),
                    Err(_) => continue,
                },
            };
            // Ids are not in insertion order, and one id is replaced to exercise `insert` over an existing id.
            let id = (i * 7919) % 1000;
            set.insert(id, policy.clone());
            alone.retain(|(x, _)| *x != id);
            alone.push((id, policy));
        }
        for r in &removals {
            if !alone.is_empty() {
                let (id, _) = alone.remove(r.index(alone.len()));
                set.remove(id);
            }
        }
        prop_assert_eq!(set.len(), alone.len());
        for message in &messages {
            let mut got = Vec::new();
            set.matching(message, &mut got);
            let mut want: Vec<usize> = alone
                .iter()
                .filter(|(_, p)| p.as_ref().is_none_or(|p| p.matches(message)))
                .map(|(id, _)| *id)
                .collect();
            want.sort_unstable();
            prop_assert_eq!(got, want, "message {:?}", message);
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    assert_eq!(ran.get(), SET_CASES as usize);
}

#[test]
fn filter_set_scales_past_rebuilds() {
    // Many inserts and removals trigger engine rebuilds; answers must not change.
    let mut set = FilterSet::new();
    let policies: Vec<SnsFilterPolicy> = (0..300)
        .map(|i| {
            let json = match i % 3 {
                0 => format!(r#"{{"k": ["v{}"]}}"#, i % 17),
                1 => format!(r#"{{"k": [{{"prefix": "v{}"}}], "n": [{{"numeric": [">", {}]}}]}}"#, i % 5, i % 11),
                _ => format!(r#"{{"d": {{"k": ["v{}"]}}}}"#, i % 13),
            };
            let scope = if i % 3 == 2 { FilterScope::MessageBody } else { FilterScope::MessageAttributes };
            SnsFilterPolicy::parse(&json, scope).unwrap()
        })
        .collect();
    for (i, p) in policies.iter().enumerate() {
        set.insert(i, Some(p.clone()));
    }
    for i in (0..300).filter(|i| i % 4 != 0) {
        set.remove(i);
    }
    let message = bus_core::Message::new(r#"{"d": {"k": "v3"}}"#)
        .with_attribute("k", "v3")
        .with_attribute("n", bus_core::AttributeValue::number(7));
    let mut got = Vec::new();
    set.matching(&message, &mut got);
    let want: Vec<usize> = (0..300).filter(|i| i % 4 == 0 && policies[*i].matches(&message)).collect();
    assert!(!want.is_empty());
    assert_eq!(got, want);
}
