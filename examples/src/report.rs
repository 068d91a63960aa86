//! The demo's report: what went where, what failed, what was dead-lettered, and the activity feed.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use bus_core::worker::Counters;

use crate::handlers::Effect;
use crate::ledger::{FailureRecord, QueueVisit};
use crate::webhook::WebhookCall;

/// Who published an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Origin {
    /// The application (the demo's story).
    App,
    /// The webhook ingress, from a verified Stripe request.
    Webhook,
    /// The worker runtime, reporting a failed task (`TASK_WORKER_FAILED`).
    Worker,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Origin::App => "app",
            Origin::Webhook => "webhook",
            Origin::Worker => "worker",
        })
    }
}

/// One published event: the queues its type routes to, and what happened in each queue it reached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoutedEvent {
    /// The SNS message id (the archive's id).
    pub id: String,
    /// The event type.
    pub event_type: String,
    /// Who published it.
    pub origin: Origin,
    /// The queues the topology's filter policies route it to.
    pub expected: BTreeSet<String>,
    /// The queues it reached, with how its deliveries ended there.
    pub reached: BTreeMap<String, QueueVisit>,
    /// Whether the archive holds it (under its id, so once).
    pub archived: bool,
}

impl RoutedEvent {
    /// Whether it reached exactly the expected queues, ended in each, and is archived.
    pub fn is_as_expected(&self) -> bool {
        self.reached.keys().eq(self.expected.iter()) && self.reached.values().all(QueueVisit::is_final) && self.archived
    }
}

/// One work queue's counters (from the worker pool) and the event types it received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueSummary {
    /// The queue.
    pub queue: String,
    /// The worker pool's counters of this queue (received counts every delivery, redeliveries too).
    pub counters: Counters,
    /// Distinct events received, per event type.
    pub event_types: BTreeMap<String, u64>,
}

/// A message found in a dead-letter queue at the end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadLetter {
    /// The dead-letter queue.
    pub dlq: String,
    /// The event's id.
    pub event_id: String,
    /// The event type.
    pub event_type: Option<String>,
    /// Its `ApproximateReceiveCount`, counting the demo's own look at the dead-letter queue.
    pub receive_count: u32,
}

/// One entry of the activity feed (the archive's `USER_COMMENT` events, in order).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedItem {
    /// The publish time.
    pub time: SystemTime,
    /// The event id.
    pub id: String,
    /// `author: text`.
    pub summary: String,
}

/// Everything the demo observed.
#[derive(Debug, Clone)]
pub struct DemoReport {
    /// The backend's name (`memory`, `aws`).
    pub backend: String,
    /// Wall time of the run.
    pub elapsed: Duration,
    /// Whether every event ended in every queue it was routed to before the settle timeout.
    pub settled: bool,
    /// Messages of an earlier run found in the queues at the start and deleted.
    pub leftovers_drained: u64,
    /// Every published event, in publish order (the worker's failure events last).
    pub events: Vec<RoutedEvent>,
    /// The work queues.
    pub queues: Vec<QueueSummary>,
    /// The `TASK_WORKER_FAILED` events, in order.
    pub failures: Vec<FailureRecord>,
    /// What the dead-letter queues held at the end (left there: `bus dlq redrive` moves them back).
    pub dead_letters: Vec<DeadLetter>,
    /// The webhook requests and their answers.
    pub webhooks: Vec<WebhookCall>,
    /// What the handlers did.
    pub effects: Vec<Effect>,
    /// The activity feed.
    pub feed: Vec<FeedItem>,
    /// The archive file, when it is kept.
    pub archive_path: Option<PathBuf>,
    /// Events this run added to the archive.
    pub archived: u64,
}

impl DemoReport {
    /// The events that did not reach exactly their queues, or are not archived.
    pub fn mismatches(&self) -> Vec<&RoutedEvent> {
        self.events.iter().filter(|e| !e.is_as_expected()).collect()
    }

    /// Whether the run went as designed: settled, every event routed and archived exactly once, and the
    /// archive holding nothing else.
    pub fn is_ok(&self) -> bool {
        self.settled && self.mismatches().is_empty() && self.archived == self.events.len() as u64
    }

    /// The counters of `queue`.
    pub fn queue(&self, queue: &str) -> Option<&QueueSummary> {
        self.queues.iter().find(|q| q.queue == queue)
    }
}

/// The last 8 characters of an id (the distinctive part of a UUID).
fn short(id: &str) -> &str {
    id.char_indices().rev().nth(7).map_or(id, |(i, _)| &id[i..])
}

fn list(set: impl IntoIterator<Item = impl AsRef<str>>) -> String {
    let items: Vec<String> = set.into_iter().map(|s| s.as_ref().to_owned()).collect();
    if items.is_empty() {
        "-".to_owned()
    } else {
        items.join(", ")
    }
}

impl fmt::Display for DemoReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "seed demo on the {} backend ({:.1} s)", self.backend, self.elapsed.as_secs_f64())?;
        if self.leftovers_drained > 0 {
            writeln!(f, "  (deleted {} messages left in the queues by an earlier run)", self.leftovers_drained)?;
        }

        writeln!(f, "\nevents -> queues (expected by the filter policies; * = dead-lettered there)")?;
        for e in &self.events {
            let reached = e.reached.iter().map(|(q, v)| if v.dead_lettered { format!("{q}*") } else { q.clone() });
            let mark = if e.is_as_expected() { "ok" } else { "MISMATCH" };
            writeln!(
                f,
                "  {:<8} {:<24} {:<8} -> {:<26} {mark}",
                e.origin.to_string(),
                e.event_type,
                short(&e.id),
                list(reached),
            )?;
            if !e.is_as_expected() {
                writeln!(f, "           expected {}; archived: {}", list(&e.expected), e.archived)?;
            }
        }

        writeln!(f, "\nqueues")?;
        for q in &self.queues {
            let c = &q.counters;
            writeln!(
                f,
                "  {:<8} received {:>2}  completed {:>2}  failed {:>2}  dead-lettered {}",
                q.queue, c.received, c.completed, c.failed, c.dead_lettered
            )?;
            let types = q.event_types.iter().map(|(t, n)| format!("{t} x{n}"));
            writeln!(f, "           {}", list(types))?;
        }

        writeln!(f, "\nwhat the handlers did")?;
        for e in &self.effects {
            writeln!(f, "  [{}] {}", e.queue, e.action)?;
        }

        writeln!(f, "\nTASK_WORKER_FAILED events")?;
        for r in &self.failures {
            let x = &r.failure;
            let fate = if x.dead_lettered { "-> dead-letter queue" } else { "-> redelivered" };
            writeln!(
                f,
                "  {} {} {} receive {}: {} {fate}",
                x.queue,
                x.event_type.as_deref().unwrap_or("?"),
                short(&r.event_id),
                x.receive_count,
                x.error
            )?;
        }
        if self.failures.is_empty() {
            writeln!(f, "  -")?;
        }

        writeln!(f, "\ndead-letter queues")?;
        for d in &self.dead_letters {
            writeln!(
                f,
                "  {:<12} {} {} (ApproximateReceiveCount {}, this look included)",
                d.dlq,
                d.event_type.as_deref().unwrap_or("?"),
                short(&d.event_id),
                d.receive_count
            )?;
        }
        if self.dead_letters.is_empty() {
            writeln!(f, "  -")?;
        }

        writeln!(f, "\nwebhooks (POST /webhooks/stripe over HTTP)")?;
        for w in &self.webhooks {
            writeln!(f, "  {:<22} {} {}", w.what, w.status, w.outcome)?;
        }

        writeln!(f, "\nactivity feed: USER_COMMENT, oldest first (from the archive)")?;
        for item in &self.feed {
            writeln!(f, "  {}  {}", humantime::format_rfc3339_millis(item.time), item.summary)?;
        }

        let place = match &self.archive_path {
            Some(p) => format!("kept at {}", p.display()),
            None => "in a temporary directory".to_owned(),
        };
        writeln!(f, "\narchive: {} events of this run stored once each ({place})", self.archived)?;
        let verdict = if self.is_ok() {
            "every event reached exactly the queues its type routes to, and the archive holds each once"
        } else if !self.settled {
            "NOT SETTLED: some events did not finish in time"
        } else {
            "MISMATCH: see above"
        };
        writeln!(f, "result: {verdict}")
    }
}
