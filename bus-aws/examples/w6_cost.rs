//! W6 (shared/bench/README.md): AWS request cost per delivered message, batched against naive.
//!
//! Run with: `scripts/moto.sh cargo run -p bus-aws --example w6_cost -- [MESSAGES] [live]`
//! (default 2,000 messages, saturated).
//!
//! One topic fans out to 4 queues (no filter). Each run publishes MESSAGES events and 4 consumers (one
//! per queue) receive and delete every delivery. Saturated (the default, the figure W6's goal is about):
//! in rounds of 200 events, a round is published first and then consumed, so every receive finds at
//! least 10 messages waiting (rounds keep moto's queues small: it scans a whole queue on every call).
//! `live`: the consumers run while the publisher publishes (receives then often return fewer than 10).
//! The modes:
//! - **batched**: the auto-batching publisher (`PublishBatch` of 10), `ReceiveMessage` of up to 10 with
//!   long polling, `DeleteMessageBatch`;
//! - **naive**: one `Publish` per event, `ReceiveMessage` of 1, one `DeleteMessage` per delivery.
//!
//! Requests are counted with [`bus_aws::RequestCounter`] (every HTTP request, retries included).
//! Dollars per million events use list prices: SNS $0.50 per million publish requests (each 64 KiB
//! chunk counts as one; SNS → SQS deliveries are free), SQS $0.40 per million requests (standard).
//! Absolute times against moto mean nothing (a shared machine, a Python server); the counts and their
//! ratio are what W6 reports.

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::collections::HashSet;
use std::ops::Range;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bus_aws::{AwsBackend, BatchingConfig, RequestCounter, RequestCounts};
use bus_core::backend::QueueSpec;
use bus_core::{Backend, BusError, Message, Publisher, ReceiveOptions, Subscription, Topology};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

const QUEUES: usize = 4;
/// Events per round in saturated mode.
const ROUND: u64 = 200;
const SNS_USD_PER_MILLION: f64 = 0.50;
const SQS_USD_PER_MILLION: f64 = 0.40;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Batched,
    Naive,
}

impl Mode {
    fn name(self) -> &'static str {
        match self {
            Mode::Batched => "batched",
            Mode::Naive => "naive",
        }
    }
}

struct Outcome {
    counts: RequestCounts,
    deliveries: u64,
    empty_receives: u64,
    elapsed: Duration,
}

impl Outcome {
    fn requests(&self) -> u64 {
        self.counts.total()
    }

    fn per_delivery(&self) -> f64 {
        self.requests() as f64 / self.deliveries as f64
    }

    fn usd_per_million_events(&self, events: u64) -> f64 {
        let sns = self.counts.service("SNS").billed_units as f64 / events as f64;
        let sqs = self.counts.service("SQS").billed_units as f64 / events as f64;
        sns * SNS_USD_PER_MILLION + sqs * SQS_USD_PER_MILLION
    }
}

#[tokio::main]
async fn main() -> Result<(), BusError> {
    let messages: u64 = std::env::args().nth(1).map(|s| s.parse().expect("MESSAGES is a number")).unwrap_or(2_000);
    let live = std::env::args().nth(2).as_deref() == Some("live");
    if std::env::var("AWS_ENDPOINT_URL").is_err() {
        eprintln!("w6_cost: no AWS_ENDPOINT_URL; run it through scripts/moto.sh (it talks to a local server)");
        std::process::exit(2);
    }
    let counter = RequestCounter::new();
    let backend = AwsBackend::builder().with_request_counter(counter.clone()).build().await?;

    let batched = run(&backend, &counter, Mode::Batched, messages, live).await?;
    let naive = run(&backend, &counter, Mode::Naive, messages, live).await?;
    let phase = if live { "live" } else { "saturated" };

    for (mode, o) in [(Mode::Batched, &batched), (Mode::Naive, &naive)] {
        println!(
            "W6 {phase} {:<7} events={messages} deliveries={} requests={} requests_per_delivery={:.4} usd_per_million_events={:.4} empty_receives={} wall={:.1}s [{}]",
            mode.name(),
            o.deliveries,
            o.requests(),
            o.per_delivery(),
            o.usd_per_million_events(messages),
            o.empty_receives,
            o.elapsed.as_secs_f64(),
            o.counts,
        );
    }
    println!(
        "W6 {phase} ratio naive/batched: requests {:.2}x, dollars {:.2}x (goal: <= 0.35 requests per delivery, >= 8x)",
        naive.per_delivery() / batched.per_delivery(),
        naive.usd_per_million_events(messages) / batched.usd_per_million_events(messages),
    );
    Ok(())
}

async fn run(
    backend: &AwsBackend,
    counter: &RequestCounter,
    mode: Mode,
    messages: u64,
    live: bool,
) -> Result<Outcome, BusError> {
    let run_id = format!("w6-{}-{}", mode.name(), std::process::id());
    let topic = format!("{run_id}-t");
    let queues: Vec<String> = (0..QUEUES).map(|i| format!("{run_id}-q{i}")).collect();
    let mut topology = Topology::new().topic(&topic);
    for q in &queues {
        topology =
            topology.queue(QueueSpec::new(q).with_visibility_timeout(Duration::from_secs(120))).subscribe(&topic, q);
    }
    backend.apply_topology(&topology).await?;
    let mut subscriptions = Vec::new();
    for q in &queues {
        subscriptions.push(backend.subscription(q).await?);
    }

    let start = Instant::now();
    let before = counter.snapshot();
    let rounds: Vec<(u64, u64)> = if live {
        vec![(0, messages)]
    } else {
        (0..messages).step_by(ROUND as usize).map(|from| (from, (from + ROUND).min(messages))).collect()
    };
    let mut deliveries = 0;
    let mut empty_receives = 0;
    for (from, to) in rounds {
        let mut consumers = JoinSet::new();
        if !live {
            publish(backend, &topic, mode, from..to).await?;
        }
        for sub in &subscriptions {
            consumers.spawn(consume(sub.clone(), mode, to - from));
        }
        if live {
            publish(backend, &topic, mode, from..to).await?;
        }
        while let Some(r) = consumers.join_next().await {
            let (d, e) = r.expect("consumer task")?;
            deliveries += d;
            empty_receives += e;
        }
    }
    Ok(Outcome { counts: counter.snapshot().since(&before), deliveries, empty_receives, elapsed: start.elapsed() })
}

fn event(i: u64) -> Message {
    Message::new(format!(r#"{{"type":"ORDER_PLACED","data":{{"order":{i},"total":{}}}}}"#, 10 + i % 90))
        .with_attribute("event-type", "ORDER_PLACED")
}

async fn publish(backend: &AwsBackend, topic: &str, mode: Mode, events: Range<u64>) -> Result<(), BusError> {
    let publisher: Arc<dyn Publisher> = match mode {
        Mode::Batched => Arc::new(backend.batching_publisher(BatchingConfig::default())),
        Mode::Naive => backend.publisher(),
    };
    // The same concurrency in both modes: 100 publishes outstanding.
    let slots = Arc::new(Semaphore::new(100));
    let mut tasks = JoinSet::new();
    for i in events {
        let permit = slots.clone().acquire_owned().await.expect("semaphore open");
        let (p, topic) = (publisher.clone(), topic.to_owned());
        tasks.spawn(async move {
            let r = p.publish(&topic, event(i)).await;
            drop(permit);
            r
        });
        while let Some(r) = tasks.try_join_next() {
            r.expect("publish task")?;
        }
    }
    while let Some(r) = tasks.join_next().await {
        r.expect("publish task")?;
    }
    Ok(())
}

/// Receives and deletes until every one of `messages` events arrived; returns (deliveries, empty receives).
async fn consume(sub: Arc<dyn Subscription>, mode: Mode, messages: u64) -> Result<(u64, u64), BusError> {
    let max = if mode == Mode::Batched { 10 } else { 1 };
    let mut seen = HashSet::new();
    let mut deliveries = 0;
    let mut empty = 0;
    while (seen.len() as u64) < messages {
        let got = sub.receive(ReceiveOptions::new(max, Duration::from_secs(2))).await?;
        if got.is_empty() {
            empty += 1;
            continue;
        }
        deliveries += got.len() as u64;
        match mode {
            Mode::Batched => {
                let entries = got.iter().enumerate().map(|(i, d)| (i.to_string(), d.receipt_handle.clone())).collect();
                let out = sub.ack_batch(entries).await?;
                assert!(out.failed.is_empty(), "delete failures: {:?}", out.failed);
            }
            Mode::Naive => {
                for d in &got {
                    sub.ack(&d.receipt_handle).await?;
                }
            }
        }
        for d in got {
            seen.insert(d.message.body);
        }
    }
    Ok((deliveries, empty))
}
