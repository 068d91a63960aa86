//! [`Spares`]: a runner loop reuses the allocation of a settled task (its shared [`Received`]: the
//! delivery, the queue name, the cancellation token) for the next message, instead of freeing it and
//! allocating another: no allocation, and no reference count traffic for the queue name, per message.

use std::sync::Arc;

use super::cancel::CancellationToken;
use super::task::Received;
use crate::backend::Delivery;
use crate::message::Message;

/// Spare task allocations of one runner loop.
#[derive(Debug)]
pub(crate) struct Spares {
    queue: Arc<str>,
    spare: Vec<Arc<Received>>,
    max: usize,
}

impl Spares {
    /// Keeps up to `max` spares for tasks of `queue`.
    pub(crate) fn new(queue: Arc<str>, max: usize) -> Self {
        Spares { queue, spare: Vec::with_capacity(max), max }
    }

    /// The shared state of a new task for `delivery`, in a spare allocation if there is one.
    pub(crate) fn take(&mut self, delivery: Delivery) -> Arc<Received> {
        while let Some(mut shared) = self.spare.pop() {
            // Only unshared allocations are kept, and nothing can share them since: this holds.
            if let Some(received) = Arc::get_mut(&mut shared) {
                received.delivery = delivery;
                if !received.cancel.is_reusable() {
                    received.cancel = CancellationToken::new();
                }
                return shared;
            }
        }
        Arc::new(Received { queue: self.queue.clone(), delivery, cancel: CancellationToken::new() })
    }

    /// Keeps a settled task's allocation if nothing else holds it (a handler may have kept its task).
    /// What the delivery holds is freed now, as it would be without reuse: the allocator gets it back
    /// while it is still warm, instead of a batch later.
    pub(crate) fn put(&mut self, mut shared: Arc<Received>) {
        if self.spare.len() >= self.max {
            return;
        }
        if let Some(received) = Arc::get_mut(&mut shared) {
            empty(&mut received.delivery);
            self.spare.push(shared);
        }
    }
}

/// Frees what a delivery holds, in place (no move of the whole delivery).
fn empty(delivery: &mut Delivery) {
    let Delivery {
        message_id,
        receipt_handle,
        receive_count: _,
        first_received_at: _,
        sent_at: _,
        raw_body,
        message,
        notification,
        event,
        group_id,
        sequence_number,
    } = delivery;
    *message_id = String::new();
    receipt_handle.0 = String::new();
    *raw_body = String::new();
    *message = Message::default();
    *notification = None;
    *event = None;
    *group_id = None;
    *sequence_number = None;
}

#[cfg(test)]
mod tests {
    use std::time::SystemTime;

    use super::*;
    use crate::backend::ReceiptHandle;
    use crate::worker::Task;

    fn delivery(id: &str) -> Delivery {
        let now = SystemTime::now();
        let body = r#"{"type":"T","data":1}"#.to_owned();
        Delivery::from_queue_body(id.into(), ReceiptHandle(format!("r-{id}")), 1, now, now, body, Default::default())
    }

    #[test]
    fn reuses_unshared_allocations_with_fresh_tokens() {
        let mut spares = Spares::new("q".into(), 2);
        let a = spares.take(delivery("a"));
        let a_ptr = Arc::as_ptr(&a);
        spares.put(a);
        let b = spares.take(delivery("b"));
        assert_eq!(Arc::as_ptr(&b), a_ptr, "the allocation is reused");
        assert_eq!(b.delivery.message_id, "b");
        assert_eq!(&*b.queue, "q");

        // A cancelled token is never handed to the next task.
        b.cancel.cancel();
        spares.put(b);
        let c = spares.take(delivery("c"));
        assert_eq!(Arc::as_ptr(&c), a_ptr);
        assert!(!c.cancel.is_cancelled());

        // Neither is a token a handler still holds, nor an allocation a task still holds.
        let kept_token = c.cancel.clone();
        spares.put(c);
        let d = spares.take(delivery("d"));
        kept_token.cancel();
        assert!(!d.cancel.is_cancelled(), "the kept token is not d's");
        let task = Task::shared(d.clone());
        spares.put(d);
        let e = spares.take(delivery("e"));
        assert_ne!(Arc::as_ptr(&e), a_ptr, "a task still holds the old allocation");
        assert_eq!(task.message_id(), "d");
        assert_eq!(e.delivery.message_id, "e");
    }

    #[test]
    fn keeps_at_most_max() {
        let mut spares = Spares::new("q".into(), 1);
        let (a, b) = (spares.take(delivery("a")), spares.take(delivery("b")));
        spares.put(a);
        spares.put(b);
        assert_eq!(spares.spare.len(), 1);
    }
}
