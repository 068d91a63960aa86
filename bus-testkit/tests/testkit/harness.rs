//! The test bus records what happens (published, filtered out, delivered, acknowledged, retried,
//! failed, dead-lettered), its assertions pass on what happened and fail, with a message that says
//! what the queue got, on what did not.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::Duration;

use bus_core::backend::{QueueSpec, Topology};
use bus_core::filter::FilterScope;
use bus_core::worker::{FailureKind, FailurePublish, Outcome, Router, Task};
use bus_core::{Backend, Message, TASK_WORKER_FAILED};
use bus_testkit::harness::{Destination, TaskOutcome};
use bus_testkit::{EventMatch, TestBus, TestBusError};
use serde_json::json;

/// The seed topology: email and billing by event type, archive takes everything; email has a DLQ.
fn seed_topology() -> Topology {
    Topology::new()
        .topic("events")
        .queue(QueueSpec::new("email-dlq"))
        .queue(QueueSpec::new("email").with_dead_letter_queue("email-dlq", 3))
        .queue(QueueSpec::new("billing"))
        .queue(QueueSpec::new("archive"))
        .subscribe_with_policy("events", "email", json!({"event-type": ["USER_CREATED", "USER_COMMENT"]}))
        .subscribe_with_policy("events", "billing", json!({"event-type": ["USER_CREATED", "STRIPE_INCOMING_WEBHOOK"]}))
        .subscribe("events", "archive")
}

/// Completes USER_CREATED with an email, fails without one; retries a USER_COMMENT once.
fn email_router() -> Router {
    Router::new()
        .on("USER_CREATED", |task: Task| async move {
            match task.data()["email"].as_str() {
                Some(e) if e.contains('@') => Ok(Outcome::Complete),
                _ => Err("no valid email address".into()),
            }
        })
        .on("USER_COMMENT", |task: Task| async move {
            if task.receive_count() < 2 {
                Ok(Outcome::RetryAfter(Duration::from_secs(5)))
            } else {
                Ok(Outcome::Complete)
            }
        })
}

async fn seeded_bus() -> TestBus {
    let bus = TestBus::builder()
        .topology(seed_topology())
        .handler("email", email_router())
        .failure_topic("events")
        .build()
        .await
        .unwrap();
    bus.publish("events", "USER_CREATED", json!({"id": 1, "email": "a@example.com"})).await.unwrap();
    bus.publish("events", "USER_CREATED", json!({"id": 2, "email": "broken"})).await.unwrap();
    bus.publish("events", "USER_COMMENT", json!({"id": 3, "text": "hi"})).await.unwrap();
    bus.publish("events", "STRIPE_INCOMING_WEBHOOK", json!({"id": 4})).await.unwrap();
    bus.wait_until_idle().await.unwrap();
    bus
}

fn panic_text(f: impl FnOnce()) -> String {
    let err = catch_unwind(AssertUnwindSafe(f)).expect_err("the assertion should fail");
    err.downcast_ref::<String>().cloned().or_else(|| err.downcast_ref::<&str>().map(|s| s.to_string())).unwrap()
}

#[tokio::test(start_paused = true)]
async fn records_every_step_of_every_message() {
    let bus = seeded_bus().await;
    let records = bus.records();

    // Published: the four events and one TASK_WORKER_FAILED per failed attempt of user 2 (3 receives).
    let topics: Vec<_> = records.published.iter().map(|p| &p.destination).collect();
    assert!(topics.iter().all(|d| **d == Destination::Topic("events".into())));
    assert_eq!(records.published_to("events", TASK_WORKER_FAILED).len(), 3);
    assert_eq!(records.published.len(), 4 + 3);

    // Filtered out: computed from the subscriptions' policies.
    let out = records.filtered_out_of("email", "STRIPE_INCOMING_WEBHOOK");
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].policy, json!({"event-type": ["USER_CREATED", "USER_COMMENT"]}));
    assert_eq!(out[0].scope, FilterScope::MessageAttributes);
    assert_eq!(records.filtered_out_of("billing", "USER_COMMENT").len(), 1);
    assert!(records.filtered_out_of("archive", EventMatch::any()).is_empty());

    // Delivered, per queue, with receives and outcomes.
    let email = records.queue("email");
    assert_eq!(email.len(), 3);
    let user1 = &records.delivered("email", EventMatch::any().with_data(json!({"id": 1})))[0];
    assert_eq!(user1.outcomes, [TaskOutcome::Completed]);
    assert!(user1.acked);
    let comment = &records.delivered("email", "USER_COMMENT")[0];
    assert_eq!(comment.receives.iter().map(|r| r.receive_count).collect::<Vec<_>>(), [1, 2]);
    assert_eq!(comment.outcomes[0], TaskOutcome::Retried { delay: Duration::from_secs(5) });
    assert!(comment.receives[1].at - comment.receives[0].at >= Duration::from_secs(5));
    let user2 = &records.delivered("email", EventMatch::any().with_data(json!({"id": 2})))[0];
    assert_eq!(user2.receive_count(), 3);
    assert!(!user2.acked);
    let failures: Vec<_> = user2.failures().collect();
    assert_eq!(failures.len(), 3);
    assert_eq!(failures[0].kind, FailureKind::Error);
    assert_eq!(failures[0].error, "no valid email address");
    assert!(failures[2].dead_lettered && !failures[0].dead_lettered);
    assert!(user2
        .outcomes
        .iter()
        .all(|o| matches!(o, TaskOutcome::Failed { failure_event: FailurePublish::Published { .. }, .. })));

    // Each failure's TASK_WORKER_FAILED event, as published.
    let events = records.failure_events("email", EventMatch::any().with_data(json!({"id": 2})));
    assert_eq!(events.len(), 3);
    let data = &events[0].event.as_ref().unwrap().data;
    assert_eq!(data["queue"], "email");
    assert_eq!(data["error"], "no valid email address");
    assert_eq!(data["message_id"], user2.message_id.as_str());
    assert!(records.failure_events("email", "USER_COMMENT").is_empty());

    // Dead-lettered: read from the DLQ, attributed to its source queue.
    assert_eq!(records.dead_letters.len(), 1);
    let dead = &records.dead_letters[0];
    assert_eq!((dead.source_queue.as_str(), dead.dead_letter_queue.as_str()), ("email", "email-dlq"));
    assert_eq!(dead.message_id, user2.message_id);
    assert_eq!(dead.source_receives, 3);

    // Queues without a handler are read by the bus: archive got everything, TASK_WORKER_FAILED included.
    assert_eq!(records.queue("archive").len(), 7);
    assert_eq!(records.delivered("billing", EventMatch::any()).len(), 3);
    assert!(records.queue("archive").iter().all(|m| m.acked));

    // The pool's counters agree.
    let m = bus.metrics().queue("email");
    assert_eq!((m.completed, m.retried, m.failed, m.dead_lettered), (2, 1, 3, 1));
}

#[tokio::test(start_paused = true)]
async fn assertions_pass_on_what_happened() {
    let bus = seeded_bus().await;
    bus.assert_published("events", "USER_CREATED");
    bus.assert_delivered("email", EventMatch::of_type("USER_CREATED").with_data(json!({"id": 1})));
    bus.assert_delivered("billing", "STRIPE_INCOMING_WEBHOOK");
    bus.assert_not_delivered("email", "STRIPE_INCOMING_WEBHOOK");
    bus.assert_not_delivered("billing", "USER_COMMENT");
    bus.assert_delivered_count("archive", EventMatch::any(), 7);
    bus.assert_delivered_count("email", "USER_CREATED", 2);
    bus.assert_completed("email", "USER_COMMENT");
    bus.assert_failed("email", EventMatch::of_type("USER_CREATED").where_data("has no @", |d| d["email"] == "broken"));
    bus.assert_dead_lettered("email", EventMatch::of_type("USER_CREATED").with_data(json!({"id": 2})));
    bus.assert_not_dead_lettered("email", EventMatch::any().with_data(json!({"id": 1})));
    bus.assert_filtered_out("email", "STRIPE_INCOMING_WEBHOOK");
    bus.assert_delivered("archive", EventMatch::of_type(TASK_WORKER_FAILED).with_data(json!({"queue": "email"})));
    bus.assert_delivered("email", EventMatch::any().with_attribute("event-type", "USER_COMMENT"));
}

#[tokio::test(start_paused = true)]
async fn a_failing_assertion_shows_what_the_queue_received_and_why() {
    let bus = seeded_bus().await;
    let text = panic_text(|| {
        bus.assert_delivered("email", EventMatch::of_type("USER_CREATED").with_data(json!({"id": 1, "email": "b@x"})))
    });
    // The expectation, what the queue got (with receive counts and outcomes), and the near miss.
    assert!(text.starts_with(r#"assert_delivered("email", USER_CREATED with data ⊇ {"email":"b@x","id":1}) failed: no message received from queue "email" matches"#), "{text}");
    assert!(text.contains(r#"queue "email" received 3 messages:"#), "{text}");
    assert!(
        text.contains(
            r#"1. USER_CREATED {"email":"a@example.com","id":1} — received 1× (receive counts 1); completed; acked"#
        ),
        "{text}"
    );
    assert!(text.contains(r#"↳ at /email: expected "b@x", found "a@example.com""#), "{text}");
    assert!(
        text.contains("received 3× (receive counts 1, 2, 3); failed (Error): no valid email address ×3; not acked"),
        "{text}"
    );
    assert!(
        text.contains(
            r#"USER_COMMENT {"id":3,"text":"hi"} — received 2× (receive counts 1, 2); retry after 5s, completed; acked"#
        ),
        "{text}"
    );
    assert!(text.contains("no matching message was published at all"), "{text}");

    // A message kept out by a policy: the report names the subscription and its policy.
    let text = panic_text(|| bus.assert_delivered("email", "STRIPE_INCOMING_WEBHOOK"));
    assert!(
        text.contains(r#"STRIPE_INCOMING_WEBHOOK {"id":4} to topic "events": routed to [billing, archive]"#),
        "{text}"
    );
    assert!(text.contains(r#"rejected for "email" by the subscription events → email, filter policy (MessageAttributes) {"event-type":["USER_CREATED","USER_COMMENT"]}"#), "{text}");

    let text = panic_text(|| bus.assert_not_delivered("billing", "USER_CREATED"));
    assert!(
        text.contains(
            r#"assert_not_delivered("billing", USER_CREATED) failed: queue "billing" received 2 matching messages"#
        ),
        "{text}"
    );
    assert!(text.contains(r#"subscription events → billing, filter policy (MessageAttributes)"#), "{text}");

    let text = panic_text(|| bus.assert_dead_lettered("email", "USER_COMMENT"));
    assert!(text.contains(r#"no matching message reached "email-dlq" (maxReceiveCount 3)"#), "{text}");
    assert!(text.contains("— after 3 receives"), "{text}");

    let text = panic_text(|| bus.assert_dead_lettered("billing", "USER_CREATED"));
    assert!(text.contains(r#"queue "billing" has no dead-letter queue (no redrive policy)"#), "{text}");

    let text = panic_text(|| bus.assert_delivered("emial", "USER_CREATED"));
    assert!(
        text.contains(r#"queue "emial" is not in the topology; its queues are: email-dlq, email, billing, archive"#),
        "{text}"
    );

    let text = panic_text(|| bus.assert_delivered_count("email", "USER_CREATED", 3));
    assert!(text.contains("expected 3 matching messages, found 2"), "{text}");

    let text = panic_text(|| bus.assert_no_failures());
    assert!(text.contains("assert_no_failures failed: 1 message failed"), "{text}");
}

#[tokio::test(start_paused = true)]
#[should_panic(
    expected = r#"assert_not_delivered("archive", USER_CREATED) failed: queue "archive" received 1 matching message"#
)]
async fn should_panic_names_the_assertion_and_the_queue() {
    let bus = TestBus::builder().topology(seed_topology()).build().await.unwrap();
    bus.publish("events", "USER_CREATED", json!({"id": 1})).await.unwrap();
    bus.wait_until_idle().await.unwrap();
    bus.assert_not_delivered("archive", "USER_CREATED");
}

#[tokio::test(start_paused = true)]
async fn waits_for_retries_on_virtual_time() {
    let router = Router::new().on("SLOW", |task: Task| async move {
        if task.receive_count() < 4 {
            return Ok(Outcome::RetryAfter(Duration::from_secs(600)));
        }
        tokio::time::sleep(Duration::from_secs(90)).await;
        Ok(Outcome::Complete)
    });
    let topology = Topology::new().topic("t").queue(QueueSpec::new("q")).subscribe("t", "q");
    let bus = TestBus::builder().topology(topology).handler("q", router).build().await.unwrap();
    let wall = std::time::Instant::now();
    bus.publish("t", "SLOW", json!({})).await.unwrap();
    let waited = bus.wait_until_idle().await.unwrap();
    assert!(waited >= Duration::from_secs(3 * 600 + 90), "{waited:?}");
    assert!(waited < Duration::from_secs(3 * 600 + 90 + 5), "{waited:?}");
    assert!(wall.elapsed() < Duration::from_secs(20), "virtual time costs no wall time: {:?}", wall.elapsed());
    bus.assert_completed("q", "SLOW");
    // Idle again right away: nothing left to do.
    assert_eq!(bus.wait_until_idle().await.unwrap(), Duration::ZERO);
}

#[tokio::test(start_paused = true)]
async fn a_bus_that_never_gets_idle_says_what_is_stuck() {
    let router = Router::new().on("DOOMED", |_task: Task| async move { Err("the database is down".into()) });
    let topology = Topology::new().topic("t").queue(QueueSpec::new("q")).subscribe("t", "q");
    let bus = TestBus::builder()
        .topology(topology)
        .handler("q", router)
        .idle_timeout(Duration::from_secs(120))
        .build()
        .await
        .unwrap();
    bus.publish("t", "DOOMED", json!({"n": 1})).await.unwrap();
    let err = bus.wait_until_idle().await.unwrap_err();
    let TestBusError::NotIdle(not_idle) = &err else { panic!("expected NotIdle, got {err:?}") };
    assert!(not_idle.waited >= Duration::from_secs(120));
    assert_eq!(not_idle.busy_queues.len(), 1);
    let text = err.to_string();
    assert!(text.starts_with("the test bus did not get idle within 120"), "{text}");
    assert!(text.contains(r#"queue "q" still holds 1 message(s)"#), "{text}");
    assert!(text.contains(r#"queue "q": DOOMED {"n":1} — received"#), "{text}");
    assert!(text.contains("failed (Error): the database is down"), "{text}");
    assert!(text.contains("not acked"), "{text}");
}

#[tokio::test(start_paused = true)]
async fn records_sends_and_failed_publishes() {
    let bus = TestBus::builder().topology(seed_topology()).build().await.unwrap();
    let err = bus.publish("nope", "X", json!({})).await.unwrap_err();
    bus.backend().send("billing", Message::new("plain text"), None).await.unwrap();
    bus.wait_until_idle().await.unwrap();
    let records = bus.records();
    assert_eq!(records.published.len(), 2);
    assert_eq!(records.published[0].result, Err(err.to_string()));
    assert_eq!(records.published[1].destination, Destination::Queue("billing".into()));
    let billing = records.queue("billing");
    assert_eq!(billing.len(), 1);
    assert_eq!(billing[0].message.body, "plain text");
    assert!(billing[0].event.is_none());
    let text = panic_text(|| bus.assert_published("nope", EventMatch::any()));
    assert!(text.contains("FAILED: topic not found: nope"), "{text}");
}

#[tokio::test(start_paused = true)]
async fn unconsumed_queues_are_left_alone_when_asked() {
    let bus = TestBus::builder().topology(seed_topology()).consume_unhandled(false).build().await.unwrap();
    bus.publish("events", "USER_CREATED", json!({"id": 1})).await.unwrap();
    assert_eq!(bus.wait_until_idle().await.unwrap(), Duration::ZERO);
    assert!(bus.records().queues.is_empty());
    assert_eq!(bus.memory().queue_stats("archive").await.unwrap().visible, 1);
}

#[tokio::test(start_paused = true)]
async fn builder_errors_are_typed_and_clear() {
    let err = TestBus::builder().topology(seed_topology()).handler("emial", Router::new()).build().await.unwrap_err();
    assert_eq!(
        err.to_string(),
        r#"queue "emial" is not in the topology; it declares: email-dlq, email, billing, archive"#
    );
    let err = TestBus::builder().topology(seed_topology()).failure_topic("failures").build().await.unwrap_err();
    assert!(matches!(err, TestBusError::NotInTopology { kind: "topic", .. }), "{err}");
    let err = TestBus::builder()
        .topology(seed_topology())
        .handler("email", Router::new())
        .handler("email", Router::new())
        .build()
        .await
        .unwrap_err();
    assert!(matches!(err, TestBusError::DuplicateHandler(ref q) if q == "email"), "{err}");
    assert!(matches!(TestBus::builder().build().await.unwrap_err(), TestBusError::NoTopology));
    let bad = Topology::new().queue(QueueSpec::new("q")).subscribe("missing", "q");
    assert!(matches!(TestBus::builder().topology(bad).build().await.unwrap_err(), TestBusError::Bus(_)));
    let plan = bus_testkit::faults::FaultPlan::new(1).lose_acks(2.0);
    let err = TestBus::builder().topology(seed_topology()).faults(plan).build().await.unwrap_err();
    assert!(err.to_string().contains("probability 2 is not between 0 and 1"), "{err}");
}

#[test]
fn needs_a_current_thread_runtime() {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let err = rt.block_on(TestBus::builder().topology(seed_topology()).build()).unwrap_err();
    assert!(matches!(err, TestBusError::NeedsCurrentThreadRuntime), "{err}");
}

#[tokio::test]
async fn pauses_the_clock_itself_on_a_current_thread_runtime() {
    let bus = TestBus::builder().topology(seed_topology()).build().await.unwrap();
    let wall = std::time::Instant::now();
    tokio::time::sleep(Duration::from_secs(3600)).await;
    assert!(wall.elapsed() < Duration::from_secs(5));
    assert!(bus.elapsed() >= Duration::from_secs(3600));
}

/// The failure message shown in the crate docs is exactly what the assertion prints.
#[tokio::test(start_paused = true)]
async fn the_documented_failure_message_is_what_you_get() {
    let topology = Topology::new()
        .topic("events")
        .queue(QueueSpec::new("email"))
        .queue(QueueSpec::new("billing"))
        .queue(QueueSpec::new("archive"))
        .subscribe_with_policy("events", "email", json!({"event-type": ["USER_CREATED", "USER_COMMENT"]}))
        .subscribe_with_policy("events", "billing", json!({"event-type": ["USER_CREATED", "STRIPE_INCOMING_WEBHOOK"]}))
        .subscribe("events", "archive");
    let bus = TestBus::builder().topology(topology).build().await.unwrap();
    for event_type in ["USER_CREATED", "USER_COMMENT", "STRIPE_INCOMING_WEBHOOK", "ORDER_SHIPPED"] {
        bus.publish("events", event_type, json!({"id": 1})).await.unwrap();
    }
    bus.wait_until_idle().await.unwrap();
    let text = panic_text(|| bus.assert_delivered("email", "STRIPE_INCOMING_WEBHOOK"));
    let expected = r#"assert_delivered("email", STRIPE_INCOMING_WEBHOOK) failed: no message received from queue "email" matches
  expected: STRIPE_INCOMING_WEBHOOK
  queue "email" received 2 messages:
    1. USER_CREATED {"id":1} — received 1× (receive counts 1); acked
    2. USER_COMMENT {"id":1} — received 1× (receive counts 1); acked
  matching messages published:
    - STRIPE_INCOMING_WEBHOOK {"id":1} to topic "events": routed to [billing, archive]
        rejected for "email" by the subscription events → email, filter policy (MessageAttributes) {"event-type":["USER_CREATED","USER_COMMENT"]}
"#;
    assert_eq!(text, expected);
    let docs = include_str!("../../src/lib.rs");
    for line in expected.lines() {
        assert!(docs.contains(&format!("//! {line}\n")), "the crate docs lack the line {line:?}");
    }
}
