//! What a queue stores for a message, shared by every queue one publish fans out to, and how a receive
//! turns it into a [`Delivery`].

use std::sync::Arc;

use bus_core::envelope::Notification;
use bus_core::{Delivery, Event, Message};

use crate::clock::{Clock, Nanos};
use crate::envelope::Envelope;
use crate::ids::uuid_string;
use crate::receipt::Receipt;

/// One published (or sent) message: the body and attributes, and the SNS envelope when some
/// subscription receives it enveloped. Shared through an `Arc` by every queue copy.
///
/// The event: a decoded JSON value costs several times the bytes of its text, so a payload that goes to
/// one queue keeps only the text and each receive decodes it; a payload shared by several queues is
/// decoded once at publish and each receive clones the decoded event (cheaper than decoding again).
#[derive(Debug)]
pub(crate) struct Payload {
    /// The message as published: body, attributes, subject, group id (the deduplication id is not kept).
    pub message: Message,
    /// The envelope, for enveloped subscriptions (and for sent bodies that are envelopes).
    pub envelope: Option<Box<Envelope>>,
    /// The event decoded at publish, when `decoded`.
    event: Option<Box<Event>>,
    decoded: bool,
}

impl Payload {
    /// A payload for a published message; `envelope` is rendered by the caller when needed; `shared`
    /// says whether several queues will receive it (the event is then decoded once, now).
    pub(crate) fn published(mut message: Message, envelope: Option<Envelope>, shared: bool) -> Payload {
        message.deduplication_id = None;
        let event = if shared { Event::from_body(&message.body).ok().map(Box::new) } else { None };
        Payload { message, envelope: envelope.map(Box::new), event, decoded: shared }
    }

    /// The event of the body, when it is one.
    fn event(&self) -> Option<Event> {
        if self.decoded {
            self.event.as_deref().cloned()
        } else {
            Event::from_body(&self.message.body).ok()
        }
    }

    /// A payload for a message sent straight to a queue: the body is kept verbatim; when it is an SNS
    /// envelope it is unwrapped as [`Delivery::from_queue_body`] does.
    pub(crate) fn sent(mut message: Message) -> (Payload, bool) {
        message.deduplication_id = None;
        match Notification::parse(&message.body).and_then(|n| n.to_message().ok().map(|m| (n, m))) {
            Some((notification, inner)) => {
                let raw = std::mem::take(&mut message.body);
                let unwrapped = Message { group_id: message.group_id.take(), ..inner };
                let envelope = Some(Box::new(Envelope::verbatim(raw, notification)));
                (Payload { message: unwrapped, envelope, event: None, decoded: false }, true)
            }
            None => (Payload::published(message, None, false), false),
        }
    }

    /// Approximate heap bytes held by this payload (for the in-flight memory estimate).
    pub(crate) fn heap_bytes(&self) -> usize {
        let m = &self.message;
        // A B-tree map of attributes is one node (about 0.5 KiB) plus each name and value.
        let attrs: usize = if m.attributes.is_empty() {
            0
        } else {
            544 + m.attributes.iter().map(|(k, v)| k.len() + v.wire_size()).sum::<usize>()
        };
        // The `Arc` header, the payload, the body, attributes and group id.
        16 + std::mem::size_of::<Payload>()
            + m.body.capacity()
            + attrs
            + m.group_id.as_ref().map_or(0, String::capacity)
            + m.subject.as_ref().map_or(0, String::capacity)
            + self.envelope.as_ref().map_or(0, |e| std::mem::size_of::<Envelope>() + e.heap_bytes())
            // A decoded event: its box, the type, and a B-tree node per object plus the text's bytes.
            + self.event.as_ref().map_or(0, |e| 64 + e.event_type.len() + 640 + m.body.len())
    }
}

/// One message taken by a receive, with what its [`Delivery`] needs; built into one outside the lock.
#[derive(Debug)]
pub(crate) struct Taken {
    pub payload: Arc<Payload>,
    pub message_id: [u64; 2],
    pub receipt: Receipt,
    pub first_received: Nanos,
    pub sent: Nanos,
    pub sequence: Option<u64>,
    pub sub: u32,
    pub enveloped: bool,
}

impl Taken {
    /// The delivery the consumer sees.
    pub(crate) fn into_delivery(self, clock: &Clock, key: u64) -> Delivery {
        let p = &*self.payload;
        let (raw_body, notification) = match (&p.envelope, self.enveloped) {
            (Some(env), true) => {
                let (body, n) = env.for_subscription(self.sub, &p.message);
                (body, Some(n))
            }
            _ => (p.message.body.clone(), None),
        };
        // The subject travels in the envelope only: raw delivery carries none.
        let subject = notification.as_ref().and_then(|n| n.subject.clone());
        Delivery {
            message_id: uuid_string(self.message_id),
            receipt_handle: self.receipt.encode(key),
            receive_count: self.receipt.count,
            first_received_at: clock.wall(self.first_received),
            sent_at: clock.wall(self.sent),
            raw_body,
            message: Message {
                body: p.message.body.clone(),
                attributes: p.message.attributes.clone(),
                subject,
                ..Message::default()
            },
            notification,
            event: p.event(),
            group_id: p.message.group_id.clone(),
            sequence_number: self.sequence.map(|s| format!("{s:020}")),
        }
    }
}
