//! The fault decorators used on their own, over the memory backend: single and batch acks, duplicates
//! that do not fit the batch, reorders that find nothing behind them, targeted rules, the router wrapper.

use std::sync::Arc;
use std::time::Duration;

use bus_core::backend::{QueueSpec, Topology};
use bus_core::worker::{Outcome, Router, Task};
use bus_core::{Backend, PublisherExt, ReceiveOptions};
use bus_memory::MemoryBackend;
use bus_testkit::faults::{
    faulty_router, Call, Fault, FaultKind, FaultPlan, FaultRule, FaultSchedule, FaultyBackend, Trigger,
};

async fn backend(plan: FaultPlan) -> (FaultyBackend, MemoryBackend) {
    let memory = MemoryBackend::new();
    let topology = Topology::new()
        .topic("t")
        .queue(QueueSpec::new("a"))
        .queue(QueueSpec::new("b"))
        .subscribe("t", "a")
        .subscribe("t", "b");
    memory.apply_topology(&topology).await.unwrap();
    (FaultyBackend::new(Arc::new(memory.clone()), plan).unwrap(), memory)
}

fn now(n: usize) -> ReceiveOptions {
    ReceiveOptions::new(n, Duration::ZERO)
}

#[tokio::test(start_paused = true)]
async fn a_lost_single_ack_deletes_nothing() {
    let (faulty, memory) = backend(FaultPlan::new(0).fault(Fault::LostAck { when: Trigger::Nth(1) })).await;
    faulty.publisher().publish_data("t", "E", 1).await.unwrap();
    let a = faulty.subscription("a").await.unwrap();
    let got = a.receive(now(10)).await.unwrap();
    a.ack(&got[0].receipt_handle).await.unwrap();
    assert_eq!(memory.queue_stats("a").await.unwrap().in_flight, 1, "still there");
    let log = faulty.log().events();
    assert_eq!(log[0].kind, FaultKind::LostAck);
    assert_eq!(log[0].message_id.as_deref(), Some(got[0].message_id.as_str()));
    // The second ack is not lost.
    a.ack(&got[0].receipt_handle).await.unwrap();
    assert_eq!(memory.queue_stats("a").await.unwrap().total(), 0);
}

#[tokio::test(start_paused = true)]
async fn a_batch_ack_loses_only_the_chosen_entries() {
    let (faulty, memory) = backend(FaultPlan::new(0).fault(Fault::LostAck { when: Trigger::EveryNth(2) })).await;
    for i in 0..4 {
        faulty.publisher().publish_data("t", "E", i).await.unwrap();
    }
    let a = faulty.subscription("a").await.unwrap();
    let got = a.receive(now(10)).await.unwrap();
    let entries = got.iter().enumerate().map(|(i, d)| (i.to_string(), d.receipt_handle.clone())).collect();
    let outcome = a.ack_batch(entries).await.unwrap();
    assert_eq!(outcome.successful.len(), 4, "every entry reports success");
    assert_eq!(memory.queue_stats("a").await.unwrap().in_flight, 2, "two were lost");
    assert_eq!(faulty.log().count(FaultKind::LostAck), 2);
}

#[tokio::test(start_paused = true)]
async fn duplicates_that_do_not_fit_wait_for_the_next_receive() {
    let (faulty, _memory) = backend(FaultPlan::new(0).duplicate_deliveries(1.0)).await;
    faulty.publisher().publish_data("t", "E", 1).await.unwrap();
    faulty.publisher().publish_data("t", "E", 2).await.unwrap();
    let a = faulty.subscription("a").await.unwrap();
    let first = a.receive(now(3)).await.unwrap();
    assert_eq!(first.len(), 3, "two messages and one duplicate that fits");
    assert_eq!(first[2].message_id, first[0].message_id);
    assert_eq!(faulty.pending(), 1);
    let second = a.receive(now(10)).await.unwrap();
    assert_eq!(second.len(), 1);
    assert_eq!(second[0].message_id, first[1].message_id);
    assert_eq!(second[0].receipt_handle, first[1].receipt_handle);
    assert_eq!(faulty.pending(), 0);
}

#[tokio::test(start_paused = true)]
async fn a_reorder_with_nothing_behind_it_hands_the_batch_out_unchanged() {
    let (faulty, _memory) = backend(FaultPlan::new(0).reorder_batches(1.0)).await;
    faulty.publisher().publish_data("t", "E", 1).await.unwrap();
    let a = faulty.subscription("a").await.unwrap();
    let got = a.receive(now(10)).await.unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(faulty.pending(), 0);
    assert_eq!(faulty.log().count(FaultKind::ReorderedBatch), 0, "no reorder happened, none is logged");
}

#[tokio::test(start_paused = true)]
async fn targeted_rules_hit_one_queue_and_errors_reach_nothing_behind_them() {
    let plan = FaultPlan::new(0)
        .rule(FaultRule::new(Fault::FailCall { call: Call::Receive, when: Trigger::FirstN(5) }).on("b"));
    let (faulty, memory) = backend(plan).await;
    faulty.publisher().publish_data("t", "E", 1).await.unwrap();
    let a = faulty.subscription("a").await.unwrap();
    let b = faulty.subscription("b").await.unwrap();
    assert_eq!(a.receive(now(10)).await.unwrap().len(), 1);
    let err = b.receive(now(10)).await.unwrap_err();
    assert_eq!(err.aws_code(), "InjectedFault");
    assert_eq!(memory.queue_stats("b").await.unwrap().visible, 1, "the failed receive took nothing");
    let events = faulty.log().events();
    assert_eq!(events.len(), 1);
    assert_eq!((events[0].kind, events[0].target.as_str()), (FaultKind::FailedCall(Call::Receive), "b"));
}

#[tokio::test(start_paused = true)]
async fn the_router_wrapper_keeps_routes_fallbacks_and_ignored_types() {
    let schedule = FaultSchedule::new(FaultPlan::new(0).crash_before_ack(1.0)).unwrap();
    let plain = Router::new().on("A", |_t: Task| async { Ok(Outcome::Complete) });
    let wrapped = faulty_router(&plain, schedule.clone());
    assert_eq!(wrapped.event_types(), ["A"]);
    assert!(!wrapped.handles("B"), "types the router ignores stay ignored");
    let with_fallback = plain.clone().fallback(|_t: Task| async { Ok(Outcome::RetryAfter(Duration::from_secs(1))) });
    let wrapped = faulty_router(&with_fallback, schedule);
    assert!(wrapped.handles("B"));
}
