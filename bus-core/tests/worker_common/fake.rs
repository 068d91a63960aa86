//! A small in-test SQS/SNS fake (visibility, receive counts, redrive, long polling on tokio time),
//! used until the in-memory backend lands.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use bus_core::backend::{
    BatchEntry, BatchOutcome, PublishBatchOutput, PublishReceipt, QueueStats, RedrivePolicy, Topology,
};
use bus_core::{Backend, BusError, Delivery, Message, Publisher, ReceiptHandle, ReceiveOptions, Subscription};
use tokio::sync::Notify;
use tokio::time::Instant;

#[derive(Debug)]
struct Stored {
    body: String,
    attributes: bus_core::MessageAttributes,
    receive_count: u32,
    visible_at: Instant,
    receipt: Option<String>,
    first_received: Option<SystemTime>,
}

#[derive(Debug, Default)]
struct QueueState {
    messages: HashMap<u64, Stored>,
    by_time: BTreeMap<(Instant, u64), ()>,
}

#[derive(Debug)]
struct Queue {
    name: String,
    visibility: Duration,
    redrive: Option<RedrivePolicy>,
    state: Mutex<QueueState>,
    notify: Notify,
}

#[derive(Debug, Default)]
pub struct Inner {
    queues: Mutex<HashMap<String, Arc<Queue>>>,
    topics: Mutex<HashMap<String, Vec<String>>>,
    seq: std::sync::atomic::AtomicU64,
}

/// The fake backend: a cheap handle.
#[derive(Debug, Clone, Default)]
pub struct FakeBackend(Arc<Inner>);

impl FakeBackend {
    pub fn new() -> Self {
        FakeBackend::default()
    }
}

impl Inner {
    fn queue(&self, name: &str) -> Result<Arc<Queue>, BusError> {
        self.queues.lock().unwrap().get(name).cloned().ok_or_else(|| BusError::QueueNotFound(name.into()))
    }

    fn next_id(&self) -> u64 {
        self.seq.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    }

    fn enqueue(&self, queue: &Queue, message: Message, delay: Duration) -> u64 {
        let id = self.next_id();
        let visible_at = Instant::now() + delay;
        let mut st = queue.state.lock().unwrap();
        st.by_time.insert((visible_at, id), ());
        st.messages.insert(
            id,
            Stored {
                body: message.body,
                attributes: message.attributes,
                receive_count: 0,
                visible_at,
                receipt: None,
                first_received: None,
            },
        );
        drop(st);
        queue.notify.notify_waiters();
        id
    }
}

#[derive(Debug)]
struct FakeSubscription {
    backend: Arc<Inner>,
    queue: Arc<Queue>,
}

#[derive(Debug)]
struct FakePublisher {
    backend: Arc<Inner>,
}

#[async_trait]
impl Publisher for FakePublisher {
    async fn publish(&self, topic: &str, message: Message) -> Result<PublishReceipt, BusError> {
        let queues = self.backend.topics.lock().unwrap().get(topic).cloned();
        let queues = queues.ok_or_else(|| BusError::TopicNotFound(topic.into()))?;
        for q in queues {
            let queue = self.backend.queue(&q)?;
            self.backend.enqueue(&queue, message.clone(), Duration::ZERO);
        }
        Ok(PublishReceipt { message_id: format!("sns-{}", self.backend.next_id()), sequence_number: None })
    }

    async fn publish_batch(&self, topic: &str, entries: Vec<BatchEntry>) -> Result<PublishBatchOutput, BusError> {
        let mut out = PublishBatchOutput::default();
        for e in entries {
            out.successful.push((e.id, self.publish(topic, e.message).await?));
        }
        Ok(out)
    }
}

#[async_trait]
impl Backend for FakeBackend {
    fn name(&self) -> &'static str {
        "fake"
    }

    async fn apply_topology(&self, topology: &Topology) -> Result<(), BusError> {
        topology.validate()?;
        let mut queues = self.0.queues.lock().unwrap();
        for q in &topology.queues {
            queues.entry(q.name.clone()).or_insert_with(|| {
                Arc::new(Queue {
                    name: q.name.clone(),
                    visibility: q.visibility_timeout,
                    redrive: q.redrive.clone(),
                    state: Mutex::default(),
                    notify: Notify::new(),
                })
            });
        }
        let mut topics = self.0.topics.lock().unwrap();
        for t in &topology.topics {
            topics.entry(t.name.clone()).or_default();
        }
        for s in &topology.subscriptions {
            topics.entry(s.topic.clone()).or_default().push(s.queue.clone());
        }
        Ok(())
    }

    fn publisher(&self) -> Arc<dyn Publisher> {
        Arc::new(FakePublisher { backend: self.0.clone() })
    }

    async fn subscription(&self, queue: &str) -> Result<Arc<dyn Subscription>, BusError> {
        Ok(Arc::new(FakeSubscription { backend: self.0.clone(), queue: self.0.queue(queue)? }))
    }

    async fn send(&self, queue: &str, message: Message, delay: Option<Duration>) -> Result<String, BusError> {
        let q = self.0.queue(queue)?;
        Ok(format!("m-{}", self.0.enqueue(&q, message, delay.unwrap_or_default())))
    }

    async fn queue_stats(&self, queue: &str) -> Result<QueueStats, BusError> {
        let q = self.0.queue(queue)?;
        let st = q.state.lock().unwrap();
        let now = Instant::now();
        let mut stats = QueueStats::default();
        for m in st.messages.values() {
            match (m.visible_at <= now, m.receipt.is_some()) {
                (true, _) => stats.visible += 1,
                (false, true) => stats.in_flight += 1,
                (false, false) => stats.delayed += 1,
            }
        }
        Ok(stats)
    }

    async fn purge(&self, queue: &str) -> Result<(), BusError> {
        *self.0.queue(queue)?.state.lock().unwrap() = QueueState::default();
        Ok(())
    }
}

impl FakeSubscription {
    /// Takes up to `max` visible messages; dead-letters those past the redrive's maxReceiveCount.
    /// Returns the deliveries, or the instant the next message becomes visible.
    fn take(&self, max: usize, visibility: Duration) -> (Vec<Delivery>, Option<Instant>) {
        let now = Instant::now();
        let mut st = self.queue.state.lock().unwrap();
        let mut out = Vec::new();
        let mut dead = Vec::new();
        while out.len() < max {
            let Some((&(at, id), _)) = st.by_time.first_key_value() else { break };
            if at > now {
                break;
            }
            st.by_time.remove(&(at, id));
            let m = st.messages.get_mut(&id).unwrap();
            if let Some(r) = &self.queue.redrive {
                if m.receive_count >= r.max_receive_count {
                    let m = st.messages.remove(&id).unwrap();
                    dead.push((r.dead_letter_queue.clone(), m));
                    continue;
                }
            }
            m.receive_count += 1;
            let receipt = format!("{id}:{}", m.receive_count);
            m.receipt = Some(receipt.clone());
            m.visible_at = now + visibility;
            let first = *m.first_received.get_or_insert_with(SystemTime::now);
            let delivery = Delivery::from_queue_body(
                format!("m-{id}"),
                ReceiptHandle(receipt),
                m.receive_count,
                first,
                first,
                m.body.clone(),
                m.attributes.clone(),
            );
            let key = (m.visible_at, id);
            st.by_time.insert(key, ());
            out.push(delivery);
        }
        let next = st.by_time.first_key_value().map(|(&(at, _), _)| at);
        drop(st);
        for (dlq, m) in dead {
            let dlq = self.backend.queue(&dlq).expect("dead-letter queue exists");
            let mut message = Message::new(m.body);
            message.attributes = m.attributes;
            let id = self.backend.enqueue(&dlq, message, Duration::ZERO);
            // Keep the receive count, as SQS does when it moves a message.
            dlq.state.lock().unwrap().messages.get_mut(&id).unwrap().receive_count = m.receive_count;
        }
        (out, next)
    }

    fn locate(&self, receipt: &ReceiptHandle) -> Result<u64, BusError> {
        let id: u64 = receipt
            .as_str()
            .split(':')
            .next()
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| BusError::ReceiptHandleInvalid(receipt.to_string()))?;
        let st = self.queue.state.lock().unwrap();
        match st.messages.get(&id) {
            Some(m) if m.receipt.as_deref() == Some(receipt.as_str()) => Ok(id),
            _ => Err(BusError::ReceiptHandleInvalid(receipt.to_string())),
        }
    }
}

#[async_trait]
impl Subscription for FakeSubscription {
    fn queue(&self) -> &str {
        &self.queue.name
    }

    async fn receive(&self, options: ReceiveOptions) -> Result<Vec<Delivery>, BusError> {
        options.validate()?;
        let visibility = options.visibility_timeout.unwrap_or(self.queue.visibility);
        let deadline = Instant::now() + options.wait_time.unwrap_or_default();
        loop {
            let notified = self.queue.notify.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let (out, next) = self.take(options.max_messages, visibility);
            if !out.is_empty() || Instant::now() >= deadline {
                return Ok(out);
            }
            let wake = next.map_or(deadline, |n| n.min(deadline));
            tokio::select! {
                _ = notified => {}
                _ = tokio::time::sleep_until(wake) => {}
            }
        }
    }

    async fn ack(&self, receipt: &ReceiptHandle) -> Result<(), BusError> {
        let id = self.locate(receipt)?;
        let mut st = self.queue.state.lock().unwrap();
        if let Some(m) = st.messages.remove(&id) {
            st.by_time.remove(&(m.visible_at, id));
        }
        Ok(())
    }

    async fn ack_batch(&self, entries: Vec<(String, ReceiptHandle)>) -> Result<BatchOutcome, BusError> {
        bus_core::backend::validate_batch_ids(entries.iter().map(|e| e.0.as_str()))?;
        let mut out = BatchOutcome::default();
        for (id, r) in entries {
            match self.ack(&r).await {
                Ok(()) => out.successful.push(id),
                Err(e) => out.failed.push(bus_core::backend::BatchEntryError::from_error(id, &e)),
            }
        }
        Ok(out)
    }

    async fn change_visibility(&self, receipt: &ReceiptHandle, timeout: Duration) -> Result<(), BusError> {
        bus_core::backend::validate_visibility(timeout)?;
        let id = self.locate(receipt)?;
        let now = Instant::now();
        let mut st = self.queue.state.lock().unwrap();
        let m = st.messages.get_mut(&id).unwrap();
        if m.visible_at <= now {
            return Err(BusError::MessageNotInflight(receipt.to_string()));
        }
        let old = (m.visible_at, id);
        m.visible_at = now + timeout;
        let new = (m.visible_at, id);
        st.by_time.remove(&old);
        st.by_time.insert(new, ());
        drop(st);
        self.queue.notify.notify_waiters();
        Ok(())
    }

    async fn change_visibility_batch(
        &self,
        entries: Vec<(String, ReceiptHandle, Duration)>,
    ) -> Result<BatchOutcome, BusError> {
        let mut out = BatchOutcome::default();
        for (id, r, d) in entries {
            match self.change_visibility(&r, d).await {
                Ok(()) => out.successful.push(id),
                Err(e) => out.failed.push(bus_core::backend::BatchEntryError::from_error(id, &e)),
            }
        }
        Ok(out)
    }
}
