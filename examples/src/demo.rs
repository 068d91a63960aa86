//! The demo itself: provision, start the workers and the webhook ingress, publish the story, wait until
//! everything has settled, then read the dead-letter queues, the archive and the activity feed.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use bus_archive::{Archive, ArchiveHandler, FeedQuery};
use bus_core::backend::Topology;
use bus_core::worker::{Backoff, Jitter, QueueConfig, Router, WorkerPool};
use bus_core::{Backend, Event, PublisherExt, ReceiveOptions, TASK_WORKER_FAILED};
use tokio::time::Instant;

use crate::error::DemoError;
use crate::handlers::{billing_router, email_router, Effects, UserComment};
use crate::ledger::Ledger;
use crate::report::{DeadLetter, DemoReport, FeedItem, Origin, QueueSummary, RoutedEvent};
use crate::topology::{routes, seed_topology, Names};
use crate::webhook::{send_stripe_webhooks, ServedIngress};

/// How the demo runs.
#[derive(Debug, Clone)]
pub struct DemoOptions {
    /// Resource names (default: `events`, `email`, `billing`, `archive`, `<queue>-dlq`).
    pub names: Names,
    /// Keep the archive in this SQLite file; `None`: a temporary directory, removed at the end.
    pub archive_path: Option<PathBuf>,
    /// How long to wait for every event to finish in every queue (default 30 s).
    pub settle_timeout: Duration,
    /// Pause between the story's events, so their publish times (and the feed's order) are distinct
    /// (default 20 ms).
    pub pause: Duration,
    /// Delay before a failed task is redelivered (default 1 s, then 2 s: whole seconds, as SQS counts them).
    pub failure_backoff: Backoff,
    /// Long-poll wait of the workers' receives (default 5 s; a shutdown does not wait for it).
    pub wait_time: Duration,
}

impl Default for DemoOptions {
    fn default() -> Self {
        DemoOptions {
            names: Names::default(),
            archive_path: None,
            settle_timeout: Duration::from_secs(30),
            pause: Duration::from_millis(20),
            failure_backoff: Backoff::exponential(Duration::from_secs(1), Duration::from_secs(2))
                .with_jitter(Jitter::None),
            wait_time: Duration::from_secs(5),
        }
    }
}

/// The story the application publishes: three sign-ups (one the payment provider refuses), three
/// comments, and a login that only the archive keeps.
pub fn story() -> Vec<Event> {
    use serde_json::json;
    let user = |id: &str, name: &str, email: &str| {
        Event::new("USER_CREATED", json!({"user_id": id, "name": name, "email": email}))
    };
    let comment = |id: &str, author: &str, text: &str, notify: &str| {
        Event::new("USER_COMMENT", json!({"comment_id": id, "author": author, "text": text, "notify_email": notify}))
    };
    vec![
        user("u-1", "Alice", "alice@example.com"),
        user("u-2", "Bob", "bob@example.com"),
        comment("c-1", "Bob", "Welcome aboard, Alice!", "alice@example.com"),
        user("u-3", "Mallory", crate::handlers::BLOCKED_EMAIL),
        comment("c-2", "Alice", "Thanks Bob, glad to be here.", "bob@example.com"),
        Event::new("USER_LOGGED_IN", json!({"user_id": "u-1"})),
        comment("c-3", "Bob", "See you at the meetup.", "alice@example.com"),
    ]
}

/// An event published during the run, with the queues it should reach.
#[derive(Debug, Clone)]
struct Published {
    id: String,
    event_type: String,
    origin: Origin,
    expected: BTreeSet<String>,
}

fn expect(topology: &Topology, topic: &str, id: String, event: &Event, origin: Origin) -> Result<Published, DemoError> {
    let expected = routes(topology, topic, &event.to_message()?)?;
    Ok(Published { id, event_type: event.event_type.clone(), origin, expected })
}

/// Runs the seed demo on `backend` and reports what went where.
///
/// Application code only sees `Arc<dyn Backend>`: the same run works on the memory backend and on AWS.
/// The backend gets the [`seed_topology`]; messages left in its queues by an earlier run are deleted
/// first. Returns an error only when the bus itself fails; a run whose events did not all arrive
/// returns a report that says so ([`DemoReport::is_ok`]).
pub async fn run_demo(backend: Arc<dyn Backend>, options: &DemoOptions) -> Result<DemoReport, DemoError> {
    let started = Instant::now();
    let names = &options.names;
    let topology = seed_topology(names);
    backend.apply_topology(&topology).await?;
    let leftovers_drained = drain(backend.as_ref(), &names.all_queues()).await?;

    let temp_dir;
    let archive = match &options.archive_path {
        Some(path) => Archive::open(path)?,
        None => {
            temp_dir = tempfile::tempdir()?;
            Archive::open(temp_dir.path().join("archive.sqlite3"))?
        }
    };

    // A kept archive file may hold earlier runs: this run adds to what is there.
    let archived_before = archive.len().await?;

    // Workers: email, billing, archive.
    let (ledger, effects) = (Ledger::new(), Effects::new());
    let config = |queue: &str| -> Result<QueueConfig, DemoError> {
        let spec = topology.queue_spec(queue).ok_or_else(|| bus_core::BusError::QueueNotFound(queue.to_owned()))?;
        Ok(QueueConfig::from_spec(spec)
            .with_concurrency(8)
            .with_wait_time(options.wait_time)
            .with_failure_backoff(Some(options.failure_backoff)))
    };
    let archive_router = Router::new().fallback(ledger.track(ArchiveHandler::new(archive.clone())));
    let pool = WorkerPool::builder()
        .backend(backend.clone())
        .failure_topic(names.topic.clone())
        .observer(ledger.observer())
        .shutdown_timeout(Duration::from_secs(10))
        .queue(config(&names.email)?, email_router(&effects, &ledger))
        .queue(config(&names.billing)?, billing_router(&effects, &ledger))
        .queue(config(&names.archive)?, archive_router)
        .build()
        .await?;
    pool.start();
    let ingress = ServedIngress::start(backend.publisher(), &names.topic).await?;

    // The application publishes its story, then Stripe calls the webhook.
    let publisher = backend.publisher();
    let mut published = Vec::new();
    for event in story() {
        let receipt = publisher.publish_event(&names.topic, &event).await?;
        tracing::info!(event_type = %event.event_type, id = %receipt.message_id, "published");
        published.push(expect(&topology, &names.topic, receipt.message_id, &event, Origin::App)?);
        tokio::time::sleep(options.pause).await;
    }
    let stripe_id = format!("evt_demo_{}", std::process::id());
    let webhooks = send_stripe_webhooks(&ingress, &stripe_id, "u-1").await?;
    for call in &webhooks {
        if let Some(id) = &call.message_id {
            let event = Event::new(bus_webhook::STRIPE_EVENT_TYPE, serde_json::json!({}));
            published.push(expect(&topology, &names.topic, id.clone(), &event, Origin::Webhook)?);
        }
    }

    let settled = settle(backend.as_ref(), &topology, names, &ledger, &published, options.settle_timeout).await?;
    let shutdown = pool.shutdown().await;
    tracing::info!(released = shutdown.released(), "workers stopped");
    ingress.stop().await?;

    // Every event the run published, the worker's failure events included.
    let mut events = published;
    for failure in ledger.failures() {
        if let Some(id) = failure.failure_event_id {
            let event = Event::new(TASK_WORKER_FAILED, &failure.failure);
            let message = event.to_message()?;
            let expected = routes(&topology, &names.topic, &message)?;
            events.push(Published { id, event_type: TASK_WORKER_FAILED.to_owned(), origin: Origin::Worker, expected });
        }
    }
    let visits = ledger.visits();
    let mut routed = Vec::with_capacity(events.len());
    for e in events {
        let reached =
            visits.iter().filter_map(|(queue, by_id)| by_id.get(&e.id).map(|v| (queue.clone(), v.clone()))).collect();
        let archived = archive.get(&e.id).await?.is_some();
        routed.push(RoutedEvent {
            id: e.id,
            event_type: e.event_type,
            origin: e.origin,
            expected: e.expected,
            reached,
            archived,
        });
    }

    let metrics = pool.metrics();
    let queues = names
        .queues()
        .iter()
        .map(|q| {
            let mut event_types = BTreeMap::new();
            for v in visits.get(*q).into_iter().flat_map(|m| m.values()) {
                *event_types.entry(v.event_type.clone()).or_insert(0) += 1;
            }
            QueueSummary { queue: (*q).to_owned(), counters: metrics.queue(q), event_types }
        })
        .collect();

    let feed = archive
        .feed(&FeedQuery::new().event_type("USER_COMMENT").limit(50))
        .await?
        .events
        .into_iter()
        .map(|e| {
            let summary = e
                .event()
                .and_then(|ev| ev.decode::<UserComment>().ok())
                .map(|c| format!("{}: {}", c.data.author, c.data.text))
                .unwrap_or_else(|| e.message.body.clone());
            FeedItem { time: e.time, id: e.id, summary }
        })
        .collect();

    Ok(DemoReport {
        backend: backend.name().to_owned(),
        elapsed: started.elapsed(),
        settled,
        leftovers_drained,
        events: routed,
        queues,
        failures: ledger.failures(),
        dead_letters: peek_dead_letters(backend.as_ref(), names).await?,
        webhooks,
        effects: effects.all(),
        feed,
        archive_path: archive.path().filter(|_| options.archive_path.is_some()).map(|p| p.to_path_buf()),
        archived: archive.len().await?.saturating_sub(archived_before),
    })
}

/// Waits until every event has ended (completed, or failed for the last time) in every queue it is routed
/// to, failure events included, and the dead-letter queues hold the dead-lettered ones. Returns whether
/// that happened before `timeout`.
async fn settle(
    backend: &dyn Backend,
    topology: &Topology,
    names: &Names,
    ledger: &Ledger,
    published: &[Published],
    timeout: Duration,
) -> Result<bool, DemoError> {
    let deadline = Instant::now() + timeout;
    let done = |id: &str, expected: &BTreeSet<String>| {
        expected.iter().all(|q| ledger.visit(q, id).is_some_and(|v| v.is_final()))
    };
    loop {
        let mut all = published.iter().all(|p| done(&p.id, &p.expected));
        for failure in ledger.failures() {
            if let Some(id) = failure.failure_event_id {
                let message = Event::new(TASK_WORKER_FAILED, &failure.failure).to_message()?;
                all &= done(&id, &routes(topology, &names.topic, &message)?);
            }
        }
        if all {
            let dead: u64 =
                ledger.visits().values().map(|by_id| by_id.values().filter(|v| v.dead_lettered).count() as u64).sum();
            let mut in_dlqs = 0;
            for q in names.queues() {
                in_dlqs += backend.queue_stats(&names.dlq_of(q)).await?.visible;
            }
            if in_dlqs >= dead {
                return Ok(true);
            }
        }
        if Instant::now() >= deadline {
            tracing::warn!("the demo did not settle within {timeout:?}");
            return Ok(false);
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// Deletes every visible message of `queues` (left by an earlier run); returns how many.
async fn drain(backend: &dyn Backend, queues: &[String]) -> Result<u64, DemoError> {
    let mut drained = 0;
    for queue in queues {
        if backend.queue_stats(queue).await?.total() == 0 {
            continue;
        }
        let sub = backend.subscription(queue).await?;
        // Short polls may miss messages on SQS: a few empty rounds in a row end it.
        let mut empty = 0;
        while empty < 3 {
            let got = sub.receive(ReceiveOptions::new(10, Duration::ZERO)).await?;
            if got.is_empty() {
                empty += 1;
                continue;
            }
            empty = 0;
            drained += got.len() as u64;
            let entries = got.into_iter().enumerate().map(|(i, d)| (i.to_string(), d.receipt_handle)).collect();
            sub.ack_batch(entries).await?;
        }
        tracing::info!(queue, drained, "deleted messages of an earlier run");
    }
    Ok(drained)
}

/// Reads what the dead-letter queues hold, then makes it visible again (it stays there).
async fn peek_dead_letters(backend: &dyn Backend, names: &Names) -> Result<Vec<DeadLetter>, DemoError> {
    let mut found = Vec::new();
    for queue in names.queues() {
        let dlq = names.dlq_of(queue);
        let expected = backend.queue_stats(&dlq).await?.visible;
        if expected == 0 {
            continue;
        }
        let sub = backend.subscription(&dlq).await?;
        let mut held = Vec::new();
        for _ in 0..20 {
            if held.len() as u64 >= expected {
                break;
            }
            let got = sub.receive(ReceiveOptions::new(10, Duration::ZERO)).await?;
            if got.is_empty() {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            held.extend(got);
        }
        for d in &held {
            found.push(DeadLetter {
                dlq: dlq.clone(),
                event_id: bus_archive::delivery_id(d).to_owned(),
                event_type: d.event_type().map(str::to_owned),
                receive_count: d.receive_count,
            });
        }
        for chunk in held.chunks(10) {
            let entries = chunk
                .iter()
                .enumerate()
                .map(|(i, d)| (i.to_string(), d.receipt_handle.clone(), Duration::ZERO))
                .collect();
            sub.change_visibility_batch(entries).await?;
        }
    }
    Ok(found)
}
