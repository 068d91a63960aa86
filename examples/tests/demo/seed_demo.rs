//! The seed demo's run on the memory backend, checked against the routing table of the seed design
//! (written out here, independently of the topology the demo builds) and against the archive file itself.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use bus_archive::{Archive, FeedQuery};
use bus_examples::{run_demo, story, DemoOptions, Origin, BLOCKED_EMAIL};
use bus_memory::MemoryBackend;

/// The seed design: which queues each event type goes to.
fn routed_to(event_type: &str) -> BTreeSet<String> {
    let queues: &[&str] = match event_type {
        "USER_CREATED" => &["email", "billing", "archive"],
        "USER_COMMENT" => &["email", "archive"],
        "STRIPE_INCOMING_WEBHOOK" => &["billing", "archive"],
        _ => &["archive"],
    };
    queues.iter().map(|q| (*q).to_owned()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_event_reaches_exactly_its_queues_and_the_archive_holds_each_once() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("archive.sqlite3");
    let options = DemoOptions { archive_path: Some(db.clone()), ..DemoOptions::default() };
    let report = run_demo(Arc::new(MemoryBackend::new()), &options).await.unwrap();
    let text = report.to_string();
    assert!(report.settled, "{text}");
    assert_eq!(report.backend, "memory");

    // 7 events of the story, 1 from the webhook (its retry is a duplicate, the forgery is refused), and one
    // TASK_WORKER_FAILED per receive of the failing billing task.
    let count = |origin| report.events.iter().filter(|e| e.origin == origin).count();
    assert_eq!(count(Origin::App), story().len(), "{text}");
    assert_eq!(count(Origin::Webhook), 1, "{text}");
    assert_eq!(count(Origin::Worker), 3, "{text}");
    let published_types: Vec<&str> =
        report.events.iter().filter(|e| e.origin == Origin::App).map(|e| e.event_type.as_str()).collect();
    let story_types: Vec<String> = story().into_iter().map(|e| e.event_type).collect();
    assert_eq!(published_types, story_types);

    for event in &report.events {
        let reached: BTreeSet<String> = event.reached.keys().cloned().collect();
        assert_eq!(reached, routed_to(&event.event_type), "{} {} in {text}", event.event_type, event.id);
        assert!(event.reached.values().all(|v| v.is_final()), "{text}");
        assert!(event.archived, "{text}");
    }
    assert!(report.is_ok(), "{text}");
    let ids: BTreeSet<&str> = report.events.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(ids.len(), report.events.len(), "event ids are distinct");

    // The archive file holds every event once, and nothing else.
    let archive = Archive::open(&db).unwrap();
    let stored = archive.feed(&FeedQuery::new().limit(1000)).await.unwrap();
    assert!(stored.next_cursor.is_none());
    let stored_ids: Vec<&str> = stored.events.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(stored_ids.len(), report.events.len());
    assert_eq!(stored_ids.iter().copied().collect::<BTreeSet<_>>(), ids);
    assert_eq!(report.archived, report.events.len() as u64);

    // Per queue: email and archive complete everything; billing fails Mallory's customer three times.
    let counters = |q: &str| report.queue(q).unwrap().counters;
    assert_eq!((counters("email").received, counters("email").completed, counters("email").failed), (6, 6, 0));
    let billing = counters("billing");
    assert_eq!((billing.received, billing.completed, billing.failed, billing.dead_lettered), (6, 3, 3, 1));
    assert_eq!((counters("archive").received, counters("archive").completed), (11, 11));
    let billing_types = &report.queue("billing").unwrap().event_types;
    assert_eq!(billing_types, &BTreeMap::from([("STRIPE_INCOMING_WEBHOOK".into(), 1), ("USER_CREATED".into(), 3)]));

    // The failing task: a TASK_WORKER_FAILED per receive, redelivered, then dead-lettered.
    let mallory = report
        .events
        .iter()
        .find(|e| e.reached.get("billing").is_some_and(|v| v.dead_lettered))
        .expect("a dead-lettered billing event");
    assert_eq!(mallory.event_type, "USER_CREATED");
    assert_eq!(mallory.reached["billing"].attempts, 3);
    let receives: Vec<(u32, bool)> =
        report.failures.iter().map(|f| (f.failure.receive_count, f.failure.dead_lettered)).collect();
    assert_eq!(receives, [(1, false), (2, false), (3, true)], "{text}");
    for f in &report.failures {
        assert_eq!(f.event_id, mallory.id);
        assert_eq!(f.failure.queue, "billing");
        assert!(f.failure.error.contains(BLOCKED_EMAIL), "{}", f.failure.error);
        assert!(f.failure_event_id.is_some(), "every failure event was published");
    }
    assert_eq!(report.dead_letters.len(), 1, "{text}");
    assert_eq!(report.dead_letters[0].dlq, "billing-dlq");
    assert_eq!(report.dead_letters[0].event_id, mallory.id);

    // The webhook: published once, the retry acknowledged as a duplicate, the forgery refused.
    let answers: Vec<(u16, &str)> = report.webhooks.iter().map(|w| (w.status, w.outcome.as_str())).collect();
    assert_eq!(answers[..2], [(200, "published"), (200, "duplicate")]);
    assert_eq!(answers[2].0, 401);

    // What the handlers did: every welcome email, two customers (not Mallory's), one payment.
    let actions = |queue: &str| -> Vec<String> {
        report.effects.iter().filter(|e| e.queue == queue).map(|e| e.action.clone()).collect()
    };
    assert_eq!(actions("email").iter().filter(|a| a.starts_with("welcome email")).count(), 3);
    assert_eq!(actions("email").iter().filter(|a| a.starts_with("comment notification")).count(), 3);
    let billing_actions = actions("billing");
    assert_eq!(billing_actions.len(), 3, "{billing_actions:?}");
    assert!(billing_actions.iter().all(|a| !a.contains(BLOCKED_EMAIL)));
    assert!(billing_actions.contains(&"payment of 19.00 USD recorded for cus_u-1".to_owned()));

    // The activity feed: the comments, in the order they were published.
    let feed: Vec<&str> = report.feed.iter().map(|f| f.summary.as_str()).collect();
    assert_eq!(
        feed,
        ["Bob: Welcome aboard, Alice!", "Alice: Thanks Bob, glad to be here.", "Bob: See you at the meetup."]
    );
    assert!(report.feed.windows(2).all(|w| w[0].time <= w[1].time));
    assert!(text.contains("result: every event reached exactly the queues"), "{text}");
}
