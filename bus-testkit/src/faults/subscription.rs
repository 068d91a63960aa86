//! [`FaultySubscription`]: a [`Subscription`] that duplicates, delays, reorders, loses acks, expires
//! visibility and fails calls as its [`FaultSchedule`] decides.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use bus_core::backend::BatchOutcome;
use bus_core::{BusError, Delivery, ReceiptHandle, ReceiveOptions, Subscription};

use super::log::FaultKind;
use super::plan::{Call, Fault};
use super::schedule::FaultSchedule;

/// A [`Subscription`] decorator that injects the faults of a [`FaultSchedule`] (see the
/// [module docs](super)).
///
/// Deliveries it holds back (duplicates for the next receive, reordered batches) are handed out by the
/// next `receive` before anything new; [`pending`](Self::pending) counts them.
#[derive(Debug)]
pub struct FaultySubscription {
    inner: Arc<dyn Subscription>,
    schedule: Arc<FaultSchedule>,
    pending: Mutex<VecDeque<Delivery>>,
    receipts: Mutex<HashMap<ReceiptHandle, String>>,
}

impl FaultySubscription {
    /// Wraps `inner`.
    pub fn new(inner: Arc<dyn Subscription>, schedule: Arc<FaultSchedule>) -> Self {
        FaultySubscription { inner, schedule, pending: Mutex::default(), receipts: Mutex::default() }
    }

    /// Deliveries held back for the next receive.
    pub fn pending(&self) -> usize {
        self.pending.lock().unwrap_or_else(PoisonError::into_inner).len()
    }

    fn take_pending(&self, max: usize) -> Vec<Delivery> {
        let mut pending = self.pending.lock().unwrap_or_else(PoisonError::into_inner);
        let n = max.min(pending.len());
        pending.drain(..n).collect()
    }

    /// Remembers the message id of each receipt handle, for the log of lost acks.
    fn remember(&self, batch: &[Delivery]) {
        let mut receipts = self.receipts.lock().unwrap_or_else(PoisonError::into_inner);
        receipts.extend(batch.iter().map(|d| (d.receipt_handle.clone(), d.message_id.clone())));
    }

    fn message_id(&self, receipt: &ReceiptHandle) -> Option<String> {
        self.receipts.lock().unwrap_or_else(PoisonError::into_inner).get(receipt).cloned()
    }

    fn hold(&self, deliveries: impl IntoIterator<Item = Delivery>) {
        self.pending.lock().unwrap_or_else(PoisonError::into_inner).extend(deliveries);
    }

    fn fires(&self, select: impl Fn(&Fault) -> bool) -> Option<super::schedule::Fired> {
        self.schedule.fires(self.inner.queue(), select)
    }

    /// Reorders, duplicates, schedules expiries and delays one fresh batch.
    async fn disturb(&self, options: ReceiveOptions, mut batch: Vec<Delivery>) -> Result<Vec<Delivery>, BusError> {
        let queue = self.inner.queue();
        if let Some(fired) = self.fires(|f| matches!(f, Fault::ReorderBatches { .. })) {
            // Set the batch aside first, so that a failing second receive loses nothing: the next
            // receive hands it out.
            let held = batch.len();
            self.schedule.stream().shuffle(&mut batch);
            self.hold(std::mem::take(&mut batch));
            let next = self.inner.receive(options).await?;
            if next.is_empty() {
                batch = self.take_pending(held);
            } else {
                self.schedule.record(FaultKind::ReorderedBatch, queue, fired.occurrence, None);
                self.remember(&next);
                batch = next;
            }
        }
        let mut duplicates = Vec::new();
        for delivery in &batch {
            if let Some(fired) = self.fires(|f| matches!(f, Fault::DuplicateDelivery { .. })) {
                self.schedule.record(FaultKind::DuplicateDelivery, queue, fired.occurrence, Some(&delivery.message_id));
                duplicates.push(delivery.clone());
            }
            if let Some(fired) = self.fires(|f| matches!(f, Fault::ExpireVisibility { .. })) {
                let Fault::ExpireVisibility { after, .. } = fired.fault else { continue };
                self.expire_later(delivery, after, fired.occurrence);
            }
        }
        let room = options.max_messages.saturating_sub(batch.len());
        let later = duplicates.split_off(room.min(duplicates.len()));
        batch.extend(duplicates);
        self.hold(later);
        if let Some(fired) = self.fires(|f| matches!(f, Fault::DelayReceive { .. })) {
            if let Fault::DelayReceive { delay, .. } = fired.fault {
                self.schedule.record(FaultKind::DelayedReceive, queue, fired.occurrence, None);
                tokio::time::sleep(delay).await;
            }
        }
        Ok(batch)
    }

    /// Makes the message visible again `after` now, whatever its handler is doing.
    fn expire_later(&self, delivery: &Delivery, after: Duration, occurrence: u64) {
        let inner = self.inner.clone();
        let schedule = self.schedule.clone();
        let receipt = delivery.receipt_handle.clone();
        let message_id = delivery.message_id.clone();
        tokio::spawn(async move {
            tokio::time::sleep(after).await;
            match inner.change_visibility(&receipt, Duration::ZERO).await {
                Ok(()) => schedule.record(FaultKind::VisibilityExpired, inner.queue(), occurrence, Some(&message_id)),
                // Already deleted or received again: nothing left to expire.
                Err(e) => tracing::debug!(message_id, "visibility expiry had nothing to expire: {e}"),
            }
        });
    }

    fn lose_ack(&self) -> Option<u64> {
        self.fires(|f| matches!(f, Fault::LostAck { .. })).map(|f| f.occurrence)
    }
}

#[async_trait]
impl Subscription for FaultySubscription {
    fn queue(&self) -> &str {
        self.inner.queue()
    }

    async fn receive(&self, options: ReceiveOptions) -> Result<Vec<Delivery>, BusError> {
        options.validate()?;
        if let Some(err) = self.schedule.fail_call(Call::Receive, self.inner.queue()) {
            return Err(err);
        }
        let held = self.take_pending(options.max_messages);
        if !held.is_empty() {
            return Ok(held);
        }
        let batch = self.inner.receive(options).await?;
        if batch.is_empty() {
            return Ok(batch);
        }
        self.remember(&batch);
        self.disturb(options, batch).await
    }

    async fn ack(&self, receipt: &ReceiptHandle) -> Result<(), BusError> {
        if let Some(err) = self.schedule.fail_call(Call::Ack, self.inner.queue()) {
            return Err(err);
        }
        if let Some(occurrence) = self.lose_ack() {
            let message_id = self.message_id(receipt);
            self.schedule.record(FaultKind::LostAck, self.inner.queue(), occurrence, message_id.as_deref());
            return Ok(());
        }
        self.inner.ack(receipt).await
    }

    async fn ack_batch(&self, entries: Vec<(String, ReceiptHandle)>) -> Result<BatchOutcome, BusError> {
        bus_core::backend::validate_batch_ids(entries.iter().map(|(id, _)| id.as_str()))?;
        if let Some(err) = self.schedule.fail_call(Call::Ack, self.inner.queue()) {
            return Err(err);
        }
        let mut lost = Vec::new();
        let mut kept = Vec::new();
        for (id, receipt) in entries {
            match self.lose_ack() {
                Some(occurrence) => {
                    let message_id = self.message_id(&receipt);
                    self.schedule.record(FaultKind::LostAck, self.inner.queue(), occurrence, message_id.as_deref());
                    lost.push(id);
                }
                None => kept.push((id, receipt)),
            }
        }
        let mut outcome = if kept.is_empty() { BatchOutcome::default() } else { self.inner.ack_batch(kept).await? };
        outcome.successful.extend(lost);
        Ok(outcome)
    }

    async fn change_visibility(&self, receipt: &ReceiptHandle, timeout: Duration) -> Result<(), BusError> {
        if let Some(err) = self.schedule.fail_call(Call::ChangeVisibility, self.inner.queue()) {
            return Err(err);
        }
        self.inner.change_visibility(receipt, timeout).await
    }

    async fn change_visibility_batch(
        &self,
        entries: Vec<(String, ReceiptHandle, Duration)>,
    ) -> Result<BatchOutcome, BusError> {
        if let Some(err) = self.schedule.fail_call(Call::ChangeVisibility, self.inner.queue()) {
            return Err(err);
        }
        self.inner.change_visibility_batch(entries).await
    }
}
