//! Replay: re-publish a selection of archived events to a topic, at a rate limit, or as a dry run.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bus_core::filter::{FilterPolicy, FilterScope, SnsFilterPolicy};
use bus_core::{BusError, Publisher};

use crate::archive::Archive;
use crate::error::ArchiveError;
use crate::query::FeedQuery;
use crate::record::ArchivedEvent;

/// How many events replay reads from the database at a time.
const REPLAY_PAGE: usize = 500;

/// Which archived events to replay. Every part is optional; they combine with AND.
///
/// The type, correlation id and time range (`since <= time < until`) are evaluated in SQLite; the filter
/// policy is evaluated by `bus-core`'s engine against each stored message (its attributes and body, as
/// published), so a policy selects exactly what an SNS subscription with that policy would have received.
#[derive(Debug, Clone, Default)]
pub struct ReplaySelection {
    /// Only events of this type.
    pub event_type: Option<String>,
    /// Only events with this correlation id.
    pub correlation_id: Option<String>,
    /// Only events published at or after this time.
    pub since: Option<SystemTime>,
    /// Only events published before this time.
    pub until: Option<SystemTime>,
    /// Only events whose message this policy matches.
    pub policy: Option<Arc<dyn FilterPolicy>>,
}

impl ReplaySelection {
    /// Every event.
    pub fn all() -> Self {
        Self::default()
    }

    /// Only events of this type.
    pub fn event_type(mut self, event_type: impl Into<String>) -> Self {
        self.event_type = Some(event_type.into());
        self
    }

    /// Only events with this correlation id.
    pub fn correlation_id(mut self, correlation_id: impl Into<String>) -> Self {
        self.correlation_id = Some(correlation_id.into());
        self
    }

    /// Only events published at or after `t`.
    pub fn since(mut self, t: SystemTime) -> Self {
        self.since = Some(t);
        self
    }

    /// Only events published before `t`.
    pub fn until(mut self, t: SystemTime) -> Self {
        self.until = Some(t);
        self
    }

    /// Only events that `policy` matches.
    pub fn policy(mut self, policy: impl FilterPolicy + 'static) -> Self {
        self.policy = Some(Arc::new(policy));
        self
    }

    /// Only events that the SNS filter policy `json` (in `scope`) matches; an invalid policy is an error.
    pub fn sns_policy(self, json: &str, scope: FilterScope) -> Result<Self, BusError> {
        Ok(self.policy(SnsFilterPolicy::parse(json, scope)?))
    }

    fn query(&self, max_seq: i64) -> FeedQuery {
        FeedQuery {
            event_type: self.event_type.clone(),
            correlation_id: self.correlation_id.clone(),
            since: self.since,
            until: self.until,
            limit: REPLAY_PAGE,
            max_seq: Some(max_seq),
            ..FeedQuery::default()
        }
    }
}

/// Where and how to replay.
#[derive(Debug, Clone, PartialEq)]
pub struct ReplayOptions {
    /// The topic to publish to.
    pub topic: String,
    /// At most this many messages per second (tokio time); `None` for no limit.
    pub rate: Option<f64>,
    /// Select and report, but publish nothing.
    pub dry_run: bool,
}

impl ReplayOptions {
    /// Replay to `topic`, with no rate limit, for real.
    pub fn to_topic(topic: impl Into<String>) -> Self {
        ReplayOptions { topic: topic.into(), rate: None, dry_run: false }
    }

    /// At most `per_second` messages per second.
    pub fn rate_limit(mut self, per_second: f64) -> Self {
        self.rate = Some(per_second);
        self
    }

    /// Only report what would be sent.
    pub fn dry_run(mut self) -> Self {
        self.dry_run = true;
        self
    }

    fn validate(&self) -> Result<(), ArchiveError> {
        if self.topic.is_empty() {
            return Err(ArchiveError::invalid("topic", "the replay topic must not be empty"));
        }
        if let Some(r) = self.rate {
            if !(r.is_finite() && r > 0.0) {
                return Err(ArchiveError::invalid("rate", format!("must be a positive number of messages/s, got {r}")));
            }
        }
        Ok(())
    }
}

/// Where a replay is, passed to the progress callback after each scanned event.
///
/// For a progress bar: length `candidates`, position `scanned`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReplayProgress {
    /// Events the type/correlation/time part of the selection holds (before the policy).
    pub candidates: u64,
    /// Candidates looked at so far.
    pub scanned: u64,
    /// Of those, the ones the policy matched (all of them without a policy).
    pub matched: u64,
    /// Of those, the ones published (0 in a dry run).
    pub published: u64,
}

/// The outcome of a replay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplayReport {
    /// Whether this was a dry run.
    pub dry_run: bool,
    /// Events the type/correlation/time part of the selection held.
    pub candidates: u64,
    /// Events the whole selection (with the policy) held, in feed order.
    pub matched: u64,
    /// Events published (0 in a dry run).
    pub published: u64,
    /// Dry run: the events that would be published, in the order they would be (oldest first). Empty for a
    /// real replay, which reports each event through the progress callback instead of keeping them all.
    pub planned: Vec<ArchivedEvent>,
}

impl Archive {
    /// Re-publishes the events of `selection`, oldest first, to `options.topic` through `publisher`.
    ///
    /// Each event is published as it was stored: body, attributes and FIFO fields (so a FIFO topic may
    /// deduplicate a replay that comes within 5 minutes of the original). The selection is a snapshot:
    /// events stored after the replay starts (its own re-published events, if the archive is subscribed to
    /// the topic) are not selected. With a rate limit, the n-th message is sent no earlier than
    /// `start + n / rate` on tokio time (no bursts, no drift). `progress` is called after every scanned
    /// event. A dry run publishes nothing, does not wait, and lists the events in
    /// [`ReplayReport::planned`].
    ///
    /// Stops at the first failed publish with [`ArchiveError::Replay`], which says how many were sent.
    pub async fn replay<P, F>(
        &self,
        selection: &ReplaySelection,
        options: &ReplayOptions,
        publisher: &P,
        mut progress: F,
    ) -> Result<ReplayReport, ArchiveError>
    where
        P: Publisher + ?Sized,
        F: FnMut(&ReplayProgress) + Send,
    {
        options.validate()?;
        let max_seq = self.max_seq().await?;
        let mut query = selection.query(max_seq);
        let candidates = self.count(&query).await?;
        tracing::info!(
            topic = %options.topic, candidates, dry_run = options.dry_run, rate = ?options.rate,
            event_type = ?selection.event_type, policy = selection.policy.is_some(), "replay starting"
        );
        let start = tokio::time::Instant::now();
        let mut state = ReplayProgress { candidates, ..ReplayProgress::default() };
        let mut planned = Vec::new();
        loop {
            let page = self.feed(&query).await?;
            for event in page.events {
                state.scanned += 1;
                if selection.policy.as_ref().is_none_or(|p| p.matches(&event.message)) {
                    state.matched += 1;
                    if options.dry_run {
                        planned.push(event);
                    } else {
                        if let Some(rate) = options.rate {
                            let due = start + Duration::from_secs_f64(state.published as f64 / rate);
                            tokio::time::sleep_until(due).await;
                        }
                        match publisher.publish(&options.topic, event.message.clone()).await {
                            Ok(receipt) => {
                                tracing::debug!(id = %event.id, message_id = %receipt.message_id, "replayed event");
                                state.published += 1;
                            }
                            Err(source) => {
                                tracing::warn!(id = %event.id, published = state.published, error = %source,
                                    "replay stopped: publish failed");
                                return Err(ArchiveError::Replay {
                                    id: event.id,
                                    published: state.published,
                                    source: Box::new(source),
                                });
                            }
                        }
                    }
                }
                progress(&state);
            }
            match page.next_cursor {
                Some(c) => query.after = Some(c),
                None => break,
            }
        }
        tracing::info!(
            topic = %options.topic, matched = state.matched, published = state.published,
            dry_run = options.dry_run, "replay finished"
        );
        Ok(ReplayReport {
            dry_run: options.dry_run,
            candidates,
            matched: state.matched,
            published: state.published,
            planned,
        })
    }
}
