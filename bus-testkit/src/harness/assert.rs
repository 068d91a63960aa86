//! Assertions over [`Records`]: each panics with what was expected next to what the queue (or topic)
//! actually got, and why matching messages did not arrive.

use std::fmt::Write as _;

use bus_core::worker::{FailurePublish, TaskFailure};

use super::diff::describe;
use super::matcher::EventMatch;
use super::record::{DeadLetter, Destination, FilteredOut, Published, QueueMessage, Records, TaskOutcome};

impl Records {
    /// The messages received from `queue` that match.
    pub fn delivered(&self, queue: &str, matcher: impl Into<EventMatch>) -> Vec<&QueueMessage> {
        let m = matcher.into();
        self.queue(queue).iter().filter(|q| m.matches(&q.message, q.event.as_ref())).collect()
    }

    /// The messages published to `topic` that match (failed publishes included).
    pub fn published_to(&self, topic: &str, matcher: impl Into<EventMatch>) -> Vec<&Published> {
        let m = matcher.into();
        self.published
            .iter()
            .filter(|p| matches!(&p.destination, Destination::Topic(t) if t == topic))
            .filter(|p| m.matches(&p.message, p.event.as_ref()))
            .collect()
    }

    /// The messages that `queue`'s redrive moved to its dead-letter queue and that match.
    pub fn dead_lettered(&self, queue: &str, matcher: impl Into<EventMatch>) -> Vec<&DeadLetter> {
        let m = matcher.into();
        self.dead_letters
            .iter()
            .filter(|d| d.source_queue == queue && m.matches(&d.message, d.event.as_ref()))
            .collect()
    }

    /// The task failures in `queue` of messages that match.
    pub fn failures(&self, queue: &str, matcher: impl Into<EventMatch>) -> Vec<&TaskFailure> {
        let m = matcher.into();
        self.delivered(queue, m).into_iter().flat_map(QueueMessage::failures).collect()
    }

    /// The `TASK_WORKER_FAILED` events published for the failed tasks of `queue` on matching messages.
    pub fn failure_events(&self, queue: &str, matcher: impl Into<EventMatch>) -> Vec<&Published> {
        let ids: Vec<&str> = self
            .delivered(queue, matcher)
            .into_iter()
            .flat_map(|q| &q.outcomes)
            .filter_map(|o| match o {
                TaskOutcome::Failed { failure_event: FailurePublish::Published { message_id }, .. } => {
                    Some(message_id.as_str())
                }
                _ => None,
            })
            .collect();
        self.published.iter().filter(|p| p.result.as_deref().is_ok_and(|id| ids.contains(&id))).collect()
    }

    /// Matching messages that a filter policy kept from `queue`.
    pub fn filtered_out_of(&self, queue: &str, matcher: impl Into<EventMatch>) -> Vec<&FilteredOut> {
        let m = matcher.into();
        self.filtered_out.iter().filter(|f| f.queue == queue && m.matches(&f.message, f.event.as_ref())).collect()
    }

    /// Asserts that a matching message was published to `topic` (successfully).
    #[track_caller]
    pub fn assert_published(&self, topic: &str, matcher: impl Into<EventMatch>) {
        let m = matcher.into();
        if self.published_to(topic, m.clone()).iter().any(|p| p.result.is_ok()) {
            return;
        }
        let mut out = format!("assert_published({topic:?}, {m}) failed: no matching message was published\n");
        let all: Vec<&Published> =
            self.published.iter().filter(|p| matches!(&p.destination, Destination::Topic(t) if t == topic)).collect();
        let _ = writeln!(out, "  topic {topic:?} got {}:", count(all.len(), "publish", "publishes"));
        for p in all {
            let result = match &p.result {
                Ok(id) => format!("message id {id}"),
                Err(e) => format!("FAILED: {e}"),
            };
            let _ = writeln!(out, "    - {} ({result})", describe(&p.message, p.event.as_ref()));
        }
        panic!("{out}");
    }

    /// Asserts that `queue` received at least one matching message.
    #[track_caller]
    pub fn assert_delivered(&self, queue: &str, matcher: impl Into<EventMatch>) {
        let m = matcher.into();
        if !self.delivered(queue, m.clone()).is_empty() {
            return;
        }
        let mut out =
            format!("assert_delivered({queue:?}, {m}) failed: no message received from queue {queue:?} matches\n");
        self.explain_queue(&mut out, queue, &m);
        self.explain_routing(&mut out, queue, &m);
        panic!("{out}");
    }

    /// Asserts that `queue` received no matching message.
    #[track_caller]
    pub fn assert_not_delivered(&self, queue: &str, matcher: impl Into<EventMatch>) {
        let m = matcher.into();
        let hits = self.delivered(queue, m.clone());
        if hits.is_empty() {
            self.check_queue(queue, "assert_not_delivered");
            return;
        }
        let mut out = format!(
            "assert_not_delivered({queue:?}, {m}) failed: queue {queue:?} received {}\n",
            count(hits.len(), "matching message", "matching messages")
        );
        for q in hits {
            let _ = writeln!(out, "    - {}", line(q));
        }
        self.explain_feeds(&mut out, queue);
        panic!("{out}");
    }

    /// Asserts that `queue` received exactly `n` distinct matching messages (a message received several
    /// times counts once).
    #[track_caller]
    pub fn assert_delivered_count(&self, queue: &str, matcher: impl Into<EventMatch>, n: usize) {
        let m = matcher.into();
        let hits = self.delivered(queue, m.clone()).len();
        if hits == n {
            return;
        }
        let mut out = format!(
            "assert_delivered_count({queue:?}, {m}, {n}) failed: expected {}, found {hits}\n",
            count(n, "matching message", "matching messages")
        );
        self.explain_queue(&mut out, queue, &m);
        self.explain_routing(&mut out, queue, &m);
        panic!("{out}");
    }

    /// Asserts that a handler of `queue` completed a matching message.
    #[track_caller]
    pub fn assert_completed(&self, queue: &str, matcher: impl Into<EventMatch>) {
        let m = matcher.into();
        if self.delivered(queue, m.clone()).iter().any(|q| q.completed()) {
            return;
        }
        let mut out = format!("assert_completed({queue:?}, {m}) failed: no matching message was completed\n");
        self.explain_queue(&mut out, queue, &m);
        panic!("{out}");
    }

    /// Asserts that a task of `queue` failed on a matching message (a `TASK_WORKER_FAILED` case).
    #[track_caller]
    pub fn assert_failed(&self, queue: &str, matcher: impl Into<EventMatch>) {
        let m = matcher.into();
        if !self.failures(queue, m.clone()).is_empty() {
            return;
        }
        let mut out = format!("assert_failed({queue:?}, {m}) failed: no task failed on a matching message\n");
        self.explain_queue(&mut out, queue, &m);
        panic!("{out}");
    }

    /// Asserts that no task of any queue failed.
    #[track_caller]
    pub fn assert_no_failures(&self) {
        let failed: Vec<&QueueMessage> =
            self.queues.values().flatten().filter(|q| q.failures().next().is_some()).collect();
        if failed.is_empty() {
            return;
        }
        let mut out = format!("assert_no_failures failed: {} failed\n", count(failed.len(), "message", "messages"));
        for q in failed {
            let _ = writeln!(out, "    - queue {:?}: {}", q.queue, line(q));
        }
        panic!("{out}");
    }

    /// Asserts that `queue`'s redrive moved a matching message to its dead-letter queue.
    #[track_caller]
    pub fn assert_dead_lettered(&self, queue: &str, matcher: impl Into<EventMatch>) {
        let m = matcher.into();
        if !self.dead_lettered(queue, m.clone()).is_empty() {
            return;
        }
        let mut out = format!("assert_dead_lettered({queue:?}, {m}) failed: ");
        match self.routes.redrive(queue) {
            None if !self.routes.has_queue(queue) => out.push_str(&self.unknown_queue(queue)),
            None => {
                let _ = writeln!(out, "queue {queue:?} has no dead-letter queue (no redrive policy)");
            }
            Some((dlq, max)) => {
                let _ = writeln!(
                    out,
                    "no matching message reached {dlq:?} (maxReceiveCount {max})\n  dead letters of {queue:?}:"
                );
                let own: Vec<&DeadLetter> = self.dead_letters.iter().filter(|d| d.source_queue == queue).collect();
                if own.is_empty() {
                    out.push_str("    (none)\n");
                }
                for d in own {
                    let _ = writeln!(
                        out,
                        "    - {} — after {}",
                        describe(&d.message, d.event.as_ref()),
                        count(d.source_receives, "receive", "receives")
                    );
                }
                self.explain_queue(&mut out, queue, &m);
            }
        }
        panic!("{out}");
    }

    /// Asserts that `queue`'s redrive moved no matching message to its dead-letter queue.
    #[track_caller]
    pub fn assert_not_dead_lettered(&self, queue: &str, matcher: impl Into<EventMatch>) {
        let m = matcher.into();
        let hits = self.dead_lettered(queue, m.clone());
        if hits.is_empty() {
            self.check_queue(queue, "assert_not_dead_lettered");
            return;
        }
        let mut out = format!("assert_not_dead_lettered({queue:?}, {m}) failed:\n");
        for d in hits {
            let _ = writeln!(
                out,
                "    - {} reached {:?} after {}",
                describe(&d.message, d.event.as_ref()),
                d.dead_letter_queue,
                count(d.source_receives, "receive", "receives")
            );
        }
        panic!("{out}");
    }

    /// Asserts that a filter policy kept a matching published message from `queue`.
    #[track_caller]
    pub fn assert_filtered_out(&self, queue: &str, matcher: impl Into<EventMatch>) {
        let m = matcher.into();
        if !self.filtered_out_of(queue, m.clone()).is_empty() {
            return;
        }
        let mut out = format!("assert_filtered_out({queue:?}, {m}) failed: no matching message was filtered out\n");
        self.explain_feeds(&mut out, queue);
        self.explain_routing(&mut out, queue, &m);
        panic!("{out}");
    }

    #[track_caller]
    fn check_queue(&self, queue: &str, assertion: &str) {
        if !self.routes.has_queue(queue) {
            panic!("{assertion}({queue:?}, ...) failed: {}", self.unknown_queue(queue));
        }
    }

    fn unknown_queue(&self, queue: &str) -> String {
        format!("queue {queue:?} is not in the topology; its queues are: {}\n", self.routes.queue_names().join(", "))
    }

    /// What the queue did receive, with the near misses.
    fn explain_queue(&self, out: &mut String, queue: &str, m: &EventMatch) {
        if !self.routes.has_queue(queue) {
            out.push_str("  ");
            out.push_str(&self.unknown_queue(queue));
            return;
        }
        let got = self.queue(queue);
        let _ = writeln!(out, "  expected: {m}");
        let _ = writeln!(out, "  queue {queue:?} received {}:", count(got.len(), "message", "messages"));
        for (i, q) in got.iter().enumerate() {
            let _ = writeln!(out, "    {}. {}", i + 1, line(q));
            for why in m.near_miss(&q.message, q.event.as_ref()) {
                let _ = writeln!(out, "         ↳ {why}");
            }
        }
    }

    /// What happened to the matching messages that were published: where they went, which policy kept
    /// them from the queue.
    fn explain_routing(&self, out: &mut String, queue: &str, m: &EventMatch) {
        if !self.routes.has_queue(queue) {
            return;
        }
        let published: Vec<&Published> =
            self.published.iter().filter(|p| m.matches(&p.message, p.event.as_ref())).collect();
        if published.is_empty() {
            let _ = writeln!(out, "  no matching message was published at all");
            return;
        }
        let _ = writeln!(out, "  matching messages published:");
        for p in published {
            let _ = write!(out, "    - {} to {}", describe(&p.message, p.event.as_ref()), p.destination);
            match (&p.destination, &p.result) {
                (_, Err(e)) => {
                    let _ = writeln!(out, ": the publish FAILED: {e}");
                }
                (Destination::Topic(topic), Ok(_)) => {
                    let reached = self.routes.destinations(topic, &p.message);
                    let _ = writeln!(out, ": routed to [{}]", reached.join(", "));
                    for route in self.routes.rejecting(topic, &p.message).filter(|r| r.queue == queue) {
                        let _ = writeln!(out, "        rejected for {queue:?} by the {}", route.describe());
                    }
                    if !self.routes.feeding(queue).any(|r| r.topic == *topic) {
                        let _ = writeln!(out, "        queue {queue:?} is not subscribed to topic {topic:?}");
                    }
                }
                (Destination::Queue(_), Ok(_)) => out.push('\n'),
            }
        }
    }

    fn explain_feeds(&self, out: &mut String, queue: &str) {
        let feeds: Vec<String> = self.routes.feeding(queue).map(|r| r.describe()).collect();
        if feeds.is_empty() {
            let _ = writeln!(out, "  queue {queue:?} is not subscribed to any topic");
        }
        for f in feeds {
            let _ = writeln!(out, "  {f}");
        }
    }
}

/// `USER_CREATED {"id":7} — received 2× (receive counts 1, 2); failed (Error): smtp down, completed; acked`.
pub(crate) fn line(q: &QueueMessage) -> String {
    let counts: Vec<String> = q.receives.iter().map(|r| r.receive_count.to_string()).collect();
    let mut s = format!(
        "{} — received {}× (receive counts {})",
        describe(&q.message, q.event.as_ref()),
        q.receives.len(),
        counts.join(", ")
    );
    if !q.outcomes.is_empty() {
        // Runs of the same outcome once, with their count: `failed (Error): smtp down ×3`.
        let mut runs: Vec<(String, usize)> = Vec::new();
        for o in &q.outcomes {
            let text = o.to_string();
            match runs.last_mut() {
                Some((last, n)) if *last == text => *n += 1,
                _ => runs.push((text, 1)),
            }
        }
        let outcomes: Vec<String> =
            runs.into_iter().map(|(t, n)| if n == 1 { t } else { format!("{t} ×{n}") }).collect();
        s.push_str("; ");
        s.push_str(&outcomes.join(", "));
    }
    s.push_str(if q.acked { "; acked" } else { "; not acked" });
    s
}

fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}
