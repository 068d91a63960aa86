//! Strategies for fault plans.

use std::time::Duration;

use proptest::prelude::*;

use crate::faults::{Call, Fault, FaultPlan, Trigger};

/// A trigger: the n-th, the first n, every n-th, or a probability up to `max_probability`.
pub fn trigger(max_probability: f64) -> BoxedStrategy<Trigger> {
    prop_oneof![
        (1u64..=20).prop_map(Trigger::Nth),
        (1u64..=3).prop_map(Trigger::FirstN),
        (2u64..=10).prop_map(Trigger::EveryNth),
        (0.0..=max_probability).prop_map(Trigger::Probability),
    ]
    .boxed()
}

/// Any call that [`Fault::FailCall`] can target.
pub fn call() -> BoxedStrategy<Call> {
    prop_oneof![
        Just(Call::Receive),
        Just(Call::Ack),
        Just(Call::ChangeVisibility),
        Just(Call::Publish),
        Just(Call::Send),
    ]
    .boxed()
}

/// One fault of any kind, with probabilities up to one half and durations up to a minute.
pub fn fault() -> BoxedStrategy<Fault> {
    let when = || trigger(0.5);
    let seconds = |max: u64| (1u64..=max).prop_map(Duration::from_secs);
    prop_oneof![
        when().prop_map(|when| Fault::DuplicateDelivery { when }),
        when().prop_map(|when| Fault::LostAck { when }),
        (when(), seconds(60)).prop_map(|(when, after)| Fault::ExpireVisibility { when, after }),
        when().prop_map(|when| Fault::CrashBeforeAck { when }),
        (when(), seconds(10)).prop_map(|(when, delay)| Fault::DelayReceive { when, delay }),
        when().prop_map(|when| Fault::ReorderBatches { when }),
        (call(), when()).prop_map(|(call, when)| Fault::FailCall { call, when }),
    ]
    .boxed()
}

/// A fault plan: a random seed and 0-4 faults of any kind, applying everywhere. Every plan is valid,
/// and every fault it holds keeps the at-least-once guarantee (messages may come twice, late or out
/// of order, calls may fail, but nothing is deleted without an acknowledgement).
///
/// ```
/// use bus_testkit::strategies::fault_plan;
/// use proptest::strategy::{Strategy, ValueTree};
/// use proptest::test_runner::TestRunner;
///
/// let mut runner = TestRunner::deterministic();
/// let plan = fault_plan().new_tree(&mut runner).unwrap().current();
/// plan.validate().unwrap();
/// assert!(plan.rules().len() <= 4);
/// ```
pub fn fault_plan() -> BoxedStrategy<FaultPlan> {
    (any::<u64>(), proptest::collection::vec(fault(), 0..=4))
        .prop_map(|(seed, faults)| faults.into_iter().fold(FaultPlan::new(seed), FaultPlan::fault))
        .boxed()
}
