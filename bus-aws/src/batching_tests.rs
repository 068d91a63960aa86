//! Unit tests of the auto-batching publisher against a recording fake, on paused tokio time.

use std::sync::atomic::{AtomicUsize, Ordering};

use bus_core::backend::BatchEntryError;

use super::*;

/// A fake inner publisher: records batches, answers message id = body, fails entries whose body is
/// `"fail"`, fails whole calls to topic `"missing"`, and takes `delay` per call.
#[derive(Debug, Default)]
struct Fake {
    batches: Mutex<Vec<(String, Vec<String>)>>,
    subjects: Mutex<Vec<Option<String>>>,
    delay: Duration,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
}

impl Fake {
    fn with_delay(delay: Duration) -> Self {
        Fake { delay, ..Default::default() }
    }

    fn sizes(&self) -> Vec<usize> {
        self.batches.lock().unwrap().iter().map(|(_, b)| b.len()).collect()
    }
}

#[async_trait]
impl Publisher for Fake {
    async fn publish(&self, _topic: &str, _message: Message) -> Result<PublishReceipt, BusError> {
        Err(BusError::invalid_parameter("publish", "the batching publisher must not call publish"))
    }

    async fn publish_batch(&self, topic: &str, entries: Vec<BatchEntry>) -> Result<PublishBatchOutput, BusError> {
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.max_in_flight.fetch_max(now, Ordering::SeqCst);
        self.batches.lock().unwrap().push((topic.to_owned(), entries.iter().map(|e| e.message.body.clone()).collect()));
        self.subjects.lock().unwrap().extend(entries.iter().map(|e| e.message.subject.clone()));
        tokio::time::sleep(self.delay).await;
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
        if topic == "missing" {
            return Err(BusError::TopicNotFound(topic.to_owned()));
        }
        let mut out = PublishBatchOutput::default();
        for e in entries {
            if e.message.body == "fail" {
                out.failed.push(BatchEntryError {
                    id: e.id,
                    code: "InvalidParameter".into(),
                    message: "Invalid parameter: Message Reason: rejected".into(),
                    sender_fault: true,
                });
            } else {
                out.successful
                    .push((e.id, PublishReceipt { message_id: e.message.body.clone(), sequence_number: None }));
            }
        }
        Ok(out)
    }
}

fn batching(fake: &Arc<Fake>, config: BatchingConfig) -> Arc<BatchingPublisher> {
    Arc::new(BatchingPublisher::new(fake.clone(), config))
}

async fn publish_all(
    p: &Arc<BatchingPublisher>,
    topic: &str,
    bodies: Vec<String>,
) -> Vec<Result<PublishReceipt, BusError>> {
    let handles: Vec<_> = bodies
        .into_iter()
        .map(|b| {
            let p = p.clone();
            let topic = topic.to_owned();
            tokio::spawn(async move {
                let m = Message::new(b);
                let m = if topic.ends_with(".fifo") { m.with_group_id("g") } else { m };
                p.publish(&topic, m).await
            })
        })
        .collect();
    let mut out = Vec::new();
    for h in handles {
        out.push(h.await.unwrap());
    }
    out
}

#[tokio::test(start_paused = true)]
async fn full_batches_go_at_ten_and_the_rest_after_linger() {
    let fake = Arc::new(Fake::default());
    let p = batching(&fake, BatchingConfig::default());
    let bodies: Vec<String> = (0..25).map(|i| format!("m{i}")).collect();
    let results = publish_all(&p, "events", bodies.clone()).await;
    for (body, r) in bodies.iter().zip(results) {
        assert_eq!(&r.unwrap().message_id, body, "each caller gets its own receipt");
    }
    let mut sizes = fake.sizes();
    sizes.sort_unstable();
    assert_eq!(sizes, vec![5, 10, 10]);
}

#[tokio::test(start_paused = true)]
async fn a_lone_message_waits_for_the_linger_time() {
    let fake = Arc::new(Fake::default());
    let linger = Duration::from_millis(50);
    let p = batching(&fake, BatchingConfig::default().with_linger(linger));
    let start = Instant::now();
    let r = p.publish("events", Message::new("solo")).await.unwrap();
    assert_eq!(r.message_id, "solo");
    assert!(start.elapsed() >= linger, "sent after {:?}", start.elapsed());
    assert!(start.elapsed() < linger * 2);
    assert_eq!(fake.sizes(), vec![1]);
}

#[tokio::test(start_paused = true)]
async fn the_batch_byte_limit_splits_batches() {
    let fake = Arc::new(Fake::default());
    let p = batching(&fake, BatchingConfig::default());
    let big = "x".repeat(100 * 1024);
    let bodies: Vec<String> = (0..3).map(|i| format!("{i}{big}")).collect();
    let results = publish_all(&p, "events", bodies).await;
    assert!(results.iter().all(|r| r.is_ok()));
    let mut sizes = fake.sizes();
    sizes.sort_unstable();
    assert_eq!(sizes, vec![1, 2], "two 100 KiB messages fit in 256 KiB, three do not");
}

#[tokio::test(start_paused = true)]
async fn entry_failures_reach_only_their_caller_and_request_failures_reach_all() {
    let fake = Arc::new(Fake::default());
    let p = batching(&fake, BatchingConfig::default());
    let results = publish_all(&p, "events", vec!["ok1".into(), "fail".into(), "ok2".into()]).await;
    assert_eq!(results[0].as_ref().unwrap().message_id, "ok1");
    assert!(matches!(&results[1], Err(BusError::InvalidParameter { name, .. }) if name == "Message"));
    assert_eq!(results[2].as_ref().unwrap().message_id, "ok2");

    let results = publish_all(&p, "missing", vec!["a".into(), "b".into()]).await;
    for r in results {
        assert!(matches!(r, Err(BusError::TopicNotFound(ref t)) if t == "missing"));
    }
}

#[tokio::test(start_paused = true)]
async fn invalid_messages_fail_locally_without_a_request() {
    let fake = Arc::new(Fake::default());
    let p = batching(&fake, BatchingConfig::default());
    let too_big = Message::new("x".repeat(limits::SNS_MAX_MESSAGE_BYTES + 1));
    assert!(matches!(p.publish("events", too_big).await, Err(BusError::PayloadTooLarge { .. })));
    assert!(matches!(p.publish("events.fifo", Message::new("no group")).await, Err(BusError::InvalidParameter { .. })));
    p.close().await;
    assert!(fake.sizes().is_empty());
}

#[tokio::test(start_paused = true)]
async fn fifo_batches_are_sent_one_at_a_time_in_order() {
    let fake = Arc::new(Fake::with_delay(Duration::from_millis(100)));
    let p = batching(&fake, BatchingConfig::default().with_max_entries(2));
    let mut handles = Vec::new();
    for i in 0..8 {
        let p = p.clone();
        handles.push(tokio::spawn(async move {
            p.publish("t.fifo", Message::new(format!("{i}")).with_group_id("g")).await
        }));
        tokio::task::yield_now().await;
    }
    for h in handles {
        h.await.unwrap().unwrap();
    }
    assert_eq!(fake.max_in_flight.load(Ordering::SeqCst), 1, "one FIFO batch in flight at a time");
    let order: Vec<String> = fake.batches.lock().unwrap().iter().flat_map(|(_, b)| b.clone()).collect();
    assert_eq!(order, (0..8).map(|i| i.to_string()).collect::<Vec<_>>());
}

#[tokio::test(start_paused = true)]
async fn standard_topics_run_batches_concurrently_up_to_the_limit() {
    let fake = Arc::new(Fake::with_delay(Duration::from_millis(100)));
    let p = batching(&fake, BatchingConfig::default().with_max_entries(1).with_max_in_flight(3));
    let results = publish_all(&p, "events", (0..12).map(|i| i.to_string()).collect()).await;
    assert!(results.iter().all(|r| r.is_ok()));
    assert_eq!(fake.max_in_flight.load(Ordering::SeqCst), 3);
}

#[tokio::test(start_paused = true)]
async fn close_sends_what_is_pending_and_refuses_more() {
    let fake = Arc::new(Fake::default());
    let p = batching(&fake, BatchingConfig::default().with_linger(Duration::from_secs(3600)));
    let pending = {
        let p = p.clone();
        tokio::spawn(async move { p.publish("events", Message::new("late")).await })
    };
    tokio::task::yield_now().await;
    tokio::time::sleep(Duration::from_millis(1)).await;
    p.close().await;
    assert_eq!(pending.await.unwrap().unwrap().message_id, "late");
    assert!(matches!(p.publish("events", Message::new("after")).await, Err(BusError::Closed)));
    assert_eq!(fake.sizes(), vec![1]);
}

#[tokio::test(start_paused = true)]
async fn subjects_reach_the_batch_entries_and_bad_ones_fail_locally() {
    let fake = Arc::new(Fake::default());
    let p = batching(&fake, BatchingConfig::default());
    let (titled, plain) =
        tokio::join!(p.publish("t", Message::new("a").with_subject("Hello ✓")), p.publish("t", Message::new("b")));
    titled.unwrap();
    plain.unwrap();
    let bad = p.publish("t", Message::new("c").with_subject("x".repeat(101))).await.unwrap_err();
    assert!(matches!(bad, BusError::InvalidSubject { .. }), "{bad:?}");
    let mut subjects = fake.subjects.lock().unwrap().clone();
    subjects.sort();
    assert_eq!(subjects, vec![None, Some("Hello ✓".to_owned())]);
    assert_eq!(fake.sizes(), vec![2], "the refused message never reached a batch");
}
