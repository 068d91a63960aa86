//! What a server needs of one queue beyond the [`Subscription`](bus_core::Subscription) calls: its
//! attributes read back as a [`QueueSpec`], its dead-letter target, and a send that reports the FIFO
//! sequence number.

use std::sync::Arc;
use std::time::Duration;

use bus_core::backend::{validate_delay, QueueSpec, RedrivePolicy};
use bus_core::{BusError, Message};

use super::state::{Enqueued, Incoming};
use super::Queue;
use crate::clock::NEVER;
use crate::ids::uuid_string;
use crate::payload::Payload;

impl Queue {
    /// The queue's current attributes. A redrive policy whose dead-letter queue is gone is left out.
    pub(crate) fn spec(&self) -> QueueSpec {
        let st = self.lock();
        let c = &st.cfg;
        QueueSpec {
            name: self.name.clone(),
            visibility_timeout: Duration::from_nanos(c.visibility),
            retention: Duration::from_nanos(c.retention),
            delay: Duration::from_nanos(c.delay),
            receive_wait: c.receive_wait,
            redrive: c.redrive.as_ref().and_then(|r| {
                r.dlq.upgrade().map(|d| RedrivePolicy {
                    dead_letter_queue: d.name.clone(),
                    max_receive_count: r.max_receive_count,
                })
            }),
            fifo: self.fifo,
            content_based_deduplication: c.content_dedup,
        }
    }

    /// The dead-letter queue this queue redrives to, if it has one and it still exists.
    pub(crate) fn redrive_target(&self) -> Option<Arc<Queue>> {
        self.lock().cfg.redrive.as_ref().and_then(|r| r.dlq.upgrade())
    }

    /// `SendMessage` as [`Queue::send`], also returning the sequence number of a FIFO queue (SQS
    /// returns it; a duplicate within the deduplication window returns the first send's).
    pub(crate) fn send_with_sequence(
        &self,
        message: Message,
        delay: Option<Duration>,
    ) -> Result<(String, Option<String>), BusError> {
        crate::validate::sqs_message(&message)?;
        if let Some(d) = delay {
            validate_delay(d)?;
            if self.fifo && !d.is_zero() {
                return Err(BusError::invalid_parameter(
                    "DelaySeconds",
                    "FIFO queues do not support per-message delays; set the queue's delay instead",
                ));
            }
        }
        let content_based = self.lock().cfg.content_dedup;
        let dedup_id = crate::validate::fifo_fields(&message, self.fifo, content_based, "queue")?;
        let (payload, enveloped) = Payload::sent(message);
        let r = self.deliver(Incoming {
            payload: Arc::new(payload),
            message_id: None,
            sent: None,
            count: 0,
            first_received: NEVER,
            sub: u32::MAX,
            enveloped,
            delay: delay.map(crate::clock::nanos),
            dedup_id,
        });
        let (Enqueued::Stored { message_id, seq } | Enqueued::Duplicate { message_id, seq }) = r;
        Ok((uuid_string(message_id), self.fifo.then(|| format!("{seq:020}"))))
    }
}
