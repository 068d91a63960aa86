//! One SQS queue: its state behind a short-held lock, and a [`Notify`] that wakes long polls.
//!
//! Long polling: a receive first tries to take messages; if there are none it registers for a wake-up,
//! checks again (so no wake-up is lost), then sleeps until it is notified or until the next moment a
//! message may become visible (the earliest delay or visibility deadline) or its wait ends. Operations that
//! make a message receivable notify one waiter; operations that set an earlier deadline wake all waiters
//! so they re-plan their sleep. Nothing polls in a loop.

mod admin;
mod fifo;
pub(crate) mod state;
mod timers;

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use bus_core::backend::{validate_visibility, BatchEntryError, BatchOutcome, QueueSpec, QueueStats};
use bus_core::{BusError, Delivery, Message, ReceiptHandle, ReceiveOptions};
use tokio::sync::Notify;

use crate::clock::{nanos, Clock, Nanos};
use crate::ids::{mix64, uuid_string};
use crate::receipt::Receipt;
use state::{ChangeError, Enqueued, Entry, Incoming, Lookup, QueueConfig, QueueState, Redrive, Wake};

/// One queue; see the module docs.
#[derive(Debug)]
pub(crate) struct Queue {
    pub(crate) name: String,
    pub(crate) arn: String,
    pub(crate) fifo: bool,
    uid: u32,
    key: u64,
    clock: Clock,
    state: Mutex<QueueState>,
    notify: Notify,
}

fn config(spec: &QueueSpec, redrive: Option<Redrive>) -> QueueConfig {
    QueueConfig {
        visibility: nanos(spec.visibility_timeout),
        retention: nanos(spec.retention),
        delay: nanos(spec.delay),
        receive_wait: spec.receive_wait,
        redrive,
        fifo: spec.fifo,
        content_dedup: spec.content_based_deduplication,
    }
}

impl Queue {
    /// A new empty queue.
    pub(crate) fn new(spec: &QueueSpec, arn: String, uid: u32, seed: u64, clock: Clock) -> Queue {
        Queue {
            name: spec.name.clone(),
            arn,
            fifo: spec.fifo,
            uid,
            key: mix64(seed ^ u64::from(uid)),
            clock,
            state: Mutex::new(QueueState::new(config(spec, None), mix64(seed.rotate_left(17) ^ u64::from(uid)))),
            notify: Notify::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, QueueState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn wake(&self, wake: Wake) {
        if wake.all {
            self.notify.notify_waiters();
        } else if wake.one {
            self.notify.notify_one();
        }
    }

    /// Updates the attributes in place (existing messages stay).
    pub(crate) fn configure(&self, spec: &QueueSpec, redrive: Option<Redrive>) {
        let mut st = self.lock();
        st.set_config(config(spec, redrive));
        let wake = std::mem::take(&mut st.wake);
        drop(st);
        self.wake(wake);
        // Waiters re-plan with the new attributes.
        self.notify.notify_waiters();
    }

    /// Whether the queue's attributes equal `spec`'s (and its redrive target is `dlq`).
    pub(crate) fn matches(&self, spec: &QueueSpec, dlq: Option<&Arc<Queue>>) -> bool {
        let st = self.lock();
        let c = &st.cfg;
        let redrive_same = match (&c.redrive, &spec.redrive, dlq) {
            (None, None, _) => true,
            (Some(r), Some(s), Some(d)) => {
                r.max_receive_count == s.max_receive_count && r.dlq.upgrade().is_some_and(|q| Arc::ptr_eq(&q, d))
            }
            _ => false,
        };
        redrive_same
            && c.visibility == nanos(spec.visibility_timeout)
            && c.retention == nanos(spec.retention)
            && c.delay == nanos(spec.delay)
            && c.receive_wait == spec.receive_wait
            && c.content_dedup == spec.content_based_deduplication
    }

    /// Stores a message that is already validated (SNS delivery, dead-letter move).
    pub(crate) fn deliver(&self, incoming: Incoming) -> Enqueued {
        let now = self.clock.now();
        let mut st = self.lock();
        let r = st.enqueue(now, incoming);
        let wake = std::mem::take(&mut st.wake);
        drop(st);
        self.wake(wake);
        r
    }

    /// `SendMessage`: validates and stores a message; returns its message id.
    pub(crate) fn send(&self, message: Message, delay: Option<Duration>) -> Result<String, BusError> {
        self.send_with_sequence(message, delay).map(|(message_id, _)| message_id)
    }

    /// Takes what is receivable now with visibility timeout `vis` (the queue's if `None`); returns the
    /// deliveries, the next deadline when there are none, and the queue's default wait.
    fn take_now(&self, max: usize, vis: Option<Nanos>, now: Nanos) -> (Vec<Delivery>, Option<Nanos>, Duration) {
        let mut st = self.lock();
        let vis = vis.unwrap_or(st.cfg.visibility);
        let queue_wait = st.cfg.receive_wait;
        let take = st.take(now, max, vis, self.uid);
        let next = if take.taken.is_empty() { st.next_deadline() } else { None };
        let mut wake = std::mem::take(&mut st.wake);
        if !take.taken.is_empty() && st.has_ready() {
            wake.one = true;
        }
        let dlq = if take.moved.is_empty() { None } else { st.cfg.redrive.as_ref().and_then(|r| r.dlq.upgrade()) };
        drop(st);
        self.wake(wake);
        if !take.moved.is_empty() {
            self.dead_letter(take.moved, dlq);
        }
        let deliveries = take.taken.into_iter().map(|t| t.into_delivery(&self.clock, self.key)).collect();
        (deliveries, next, queue_wait)
    }

    fn dead_letter(&self, moved: Vec<Entry>, dlq: Option<Arc<Queue>>) {
        let Some(dlq) = dlq else {
            tracing::warn!(queue = %self.name, count = moved.len(), "dead-letter queue is gone; messages dropped");
            return;
        };
        for e in moved {
            tracing::debug!(
                queue = %self.name,
                dead_letter_queue = %dlq.name,
                message_id = %uuid_string(e.message_id),
                receive_count = e.count,
                "maxReceiveCount reached: message moved to the dead-letter queue"
            );
            dlq.deliver(Incoming {
                payload: e.payload,
                message_id: Some(e.message_id),
                // Standard queues keep the original enqueue time (retention counts from it); FIFO resets it.
                sent: if dlq.fifo { None } else { Some(e.sent) },
                count: e.count,
                first_received: e.first_received,
                sub: e.sub,
                enveloped: e.enveloped,
                delay: Some(0),
                dedup_id: None,
            });
        }
    }

    /// `ReceiveMessage` with long polling.
    pub(crate) async fn receive(&self, options: ReceiveOptions) -> Result<Vec<Delivery>, BusError> {
        options.validate()?;
        let vis = options.visibility_timeout.map(nanos);
        let now = self.clock.now();
        let (got, _, queue_wait) = self.take_now(options.max_messages, vis, now);
        let wait = options.wait_time.unwrap_or(queue_wait);
        if !got.is_empty() || wait.is_zero() {
            return Ok(got);
        }
        let deadline = now.saturating_add(nanos(wait));
        loop {
            let notified = self.notify.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let now = self.clock.now();
            let (got, next, _) = self.take_now(options.max_messages, vis, now);
            if !got.is_empty() || now >= deadline {
                return Ok(got);
            }
            let wake_at = next.map_or(deadline, |n| n.min(deadline)).max(now.saturating_add(1));
            tokio::select! {
                _ = &mut notified => {}
                _ = tokio::time::sleep_until(self.clock.instant(wake_at)) => {}
            }
        }
    }

    fn decode(&self, handle: &ReceiptHandle) -> Result<Receipt, BusError> {
        self.receipt(handle).ok_or_else(|| self.invalid(handle))
    }

    /// The receipt a handle of this queue names; `None` if it is not one.
    fn receipt(&self, handle: &ReceiptHandle) -> Option<Receipt> {
        Receipt::decode(handle, self.key).filter(|r| r.uid == self.uid)
    }

    fn invalid(&self, handle: &ReceiptHandle) -> BusError {
        BusError::ReceiptHandleInvalid(format!("{handle} is not a receipt handle of queue {}", self.name))
    }

    fn stale(&self, handle: &ReceiptHandle) {
        tracing::debug!(
            queue = %self.name,
            receipt_handle = %handle,
            "outdated receipt handle (the message was received again since): nothing deleted, as on SQS"
        );
    }

    /// `DeleteMessage`. An outdated handle (the message was received again since) succeeds and deletes
    /// nothing, as SQS documents; a handle of a message already gone succeeds too.
    pub(crate) fn ack(&self, handle: &ReceiptHandle) -> Result<(), BusError> {
        let r = self.decode(handle)?;
        let mut st = self.lock();
        let found = st.delete(&r);
        let wake = std::mem::take(&mut st.wake);
        drop(st);
        self.wake(wake);
        if found == Lookup::Stale {
            self.stale(handle);
        }
        Ok(())
    }

    /// `DeleteMessageBatch`.
    pub(crate) fn ack_batch(&self, entries: Vec<(String, ReceiptHandle)>) -> Result<BatchOutcome, BusError> {
        crate::validate::batch_ids(entries.iter().map(|(id, _)| id.as_str()))?;
        // Small per-entry values (a receipt or nothing, then a lookup); the error of an undecodable handle
        // is built only for that entry.
        let mut found: Vec<Option<Lookup>> = Vec::with_capacity(entries.len());
        let decoded: Vec<Option<Receipt>> = entries.iter().map(|(_, h)| self.receipt(h)).collect();
        let mut st = self.lock();
        found.extend(decoded.iter().map(|r| r.as_ref().map(|r| st.delete(r))));
        let wake = std::mem::take(&mut st.wake);
        drop(st);
        self.wake(wake);
        let mut out = BatchOutcome { successful: Vec::with_capacity(entries.len()), failed: Vec::new() };
        for ((id, handle), f) in entries.into_iter().zip(found) {
            match f {
                Some(f) => {
                    if f == Lookup::Stale {
                        self.stale(&handle);
                    }
                    out.successful.push(id);
                }
                None => out.failed.push(BatchEntryError::from_error(id, &self.invalid(&handle))),
            }
        }
        Ok(out)
    }

    fn change_one(&self, st: &mut QueueState, now: Nanos, handle: &ReceiptHandle, t: Duration) -> Result<(), BusError> {
        validate_visibility(t)?;
        let r = self.decode(handle)?;
        st.change_visibility(now, &r, nanos(t)).map_err(|e| match e {
            ChangeError::Lookup(Lookup::Stale) => BusError::ReceiptHandleInvalid(format!(
                "{handle}: the receipt handle has expired (the message was received again since)"
            )),
            ChangeError::Lookup(_) => BusError::MessageNotInflight(format!(
                "{handle}: the message does not exist or is not available for a visibility timeout change"
            )),
            ChangeError::NotInFlight => {
                BusError::MessageNotInflight(format!("{handle}: the message's visibility timeout has already ended"))
            }
            ChangeError::TooLong => BusError::invalid_parameter(
                "VisibilityTimeout",
                "the total visibility timeout of a received message may not exceed 12 hours (43200 s)",
            ),
        })
    }

    /// `ChangeMessageVisibility`.
    pub(crate) fn change_visibility(&self, handle: &ReceiptHandle, timeout: Duration) -> Result<(), BusError> {
        let now = self.clock.now();
        let mut st = self.lock();
        let r = self.change_one(&mut st, now, handle, timeout);
        let wake = std::mem::take(&mut st.wake);
        drop(st);
        self.wake(wake);
        r
    }

    /// `ChangeMessageVisibilityBatch`.
    pub(crate) fn change_visibility_batch(
        &self,
        entries: Vec<(String, ReceiptHandle, Duration)>,
    ) -> Result<BatchOutcome, BusError> {
        crate::validate::batch_ids(entries.iter().map(|(id, _, _)| id.as_str()))?;
        let now = self.clock.now();
        let mut st = self.lock();
        let results: Vec<_> = entries.iter().map(|(_, h, t)| self.change_one(&mut st, now, h, *t)).collect();
        let wake = std::mem::take(&mut st.wake);
        drop(st);
        self.wake(wake);
        let mut out = BatchOutcome::default();
        for ((id, _, _), r) in entries.into_iter().zip(results) {
            match r {
                Ok(()) => out.successful.push(id),
                Err(e) => out.failed.push(BatchEntryError::from_error(id, &e)),
            }
        }
        Ok(out)
    }

    /// `PurgeQueue`: deletes every message; one purge per 60 seconds.
    pub(crate) fn purge(&self) -> Result<(), BusError> {
        let now = self.clock.now();
        let n = self.lock().purge(now).map_err(|()| BusError::PurgeInProgress(self.name.clone()))?;
        tracing::info!(queue = %self.name, deleted = n, "queue purged");
        Ok(())
    }

    /// Approximate counts.
    pub(crate) fn stats(&self) -> QueueStats {
        let now = self.clock.now();
        self.lock().stats(now)
    }

    /// Bytes held by the queue's structures and (its share of) the payloads it stores.
    pub(crate) fn memory(&self) -> (usize, usize) {
        self.lock().memory()
    }
}
