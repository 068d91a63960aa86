//! Messages per second end to end through the Rust SDK — publish to a topic, fan-out to 2 queues,
//! receive 10, delete the batch — against `bus serve` and against moto in the same run, with shallow
//! queues and with deep ones (10,000 messages preloaded in each queue), publishing one message per
//! `Publish` call and ten per `PublishBatch` call.
//!
//! Run with (release; moto through its script, which exports its endpoint):
//! ```text
//! cargo build --release -p bus-cli -p bus-server --examples
//! scripts/moto.sh target/release/examples/serve_bench
//! ```
//! `bus serve` is the `bus` binary next to this example (`target/release/bus`), started on a free
//! port (or the server at `BUS_SERVE_ENDPOINT`); without it the server runs in this process. moto is the server at `MOTO_ENDPOINT` (or
//! `BUS_AWS_TEST_ENDPOINT`, which `scripts/moto.sh` sets); without one only `bus serve` is measured.
//! moto's part is bounded: a few hundred messages, and at most `MOTO_MAX_SECS` (60) seconds a figure.
//! Env: `BENCH_MESSAGES` (messages per `bus serve` figure, default 20,000), `BENCH_WORKERS` (4),
//! `BENCH_DEPTH` (10,000), `BENCH_PUBLISH` (`single`, `batch` or `both`, the default).

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_config::retry::RetryConfig;
use aws_config::stalled_stream_protection::StalledStreamProtectionConfig;
use aws_config::{BehaviorVersion, Region};
use aws_sdk_sqs::config::{Credentials, SharedCredentialsProvider};
use aws_sdk_sqs::types::{DeleteMessageBatchRequestEntry, QueueAttributeName, SendMessageBatchRequestEntry};

type Error = Box<dyn std::error::Error + Send + Sync>;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

#[derive(Clone)]
struct Clients {
    sns: aws_sdk_sns::Client,
    sqs: aws_sdk_sqs::Client,
}

fn clients(endpoint: &str) -> Clients {
    let cfg = aws_config::SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(SharedCredentialsProvider::new(Credentials::new("test", "test", None, None, "bench")))
        .endpoint_url(endpoint)
        .retry_config(RetryConfig::disabled())
        .stalled_stream_protection(StalledStreamProtectionConfig::disabled())
        .http_client(aws_smithy_http_client::Builder::new().build_http())
        .build();
    Clients { sns: aws_sdk_sns::Client::new(&cfg), sqs: aws_sdk_sqs::Client::new(&cfg) }
}

/// A topic with two subscribed queues.
struct Fanout {
    topic: String,
    queues: [String; 2],
}

async fn setup(c: &Clients, tag: &str) -> Result<Fanout, Error> {
    let topic = c.sns.create_topic().name(format!("bench-{tag}")).send().await?.topic_arn.unwrap_or_default();
    let mut queues = Vec::new();
    for i in 0..2 {
        let url =
            c.sqs.create_queue().queue_name(format!("bench-{tag}-{i}")).send().await?.queue_url.unwrap_or_default();
        let attrs =
            c.sqs.get_queue_attributes().queue_url(&url).attribute_names(QueueAttributeName::QueueArn).send().await?;
        let arn = attrs.attributes().and_then(|a| a.get(&QueueAttributeName::QueueArn)).cloned().unwrap_or_default();
        c.sns.subscribe().topic_arn(&topic).protocol("sqs").endpoint(arn).send().await?;
        queues.push(url);
    }
    let [a, b]: [String; 2] = queues.try_into().map_err(|_| "two queues")?;
    Ok(Fanout { topic, queues: [a, b] })
}

/// Preloads `depth` messages into each queue (batches of 10); stops at `cap`. Returns the depth reached.
async fn preload(c: &Clients, f: &Fanout, depth: usize, cap: Duration) -> Result<usize, Error> {
    let t0 = Instant::now();
    let body = "x".repeat(200);
    let mut done = 0;
    while done < depth && t0.elapsed() < cap {
        for q in &f.queues {
            let mut req = c.sqs.send_message_batch().queue_url(q);
            for i in 0..10 {
                req = req
                    .entries(SendMessageBatchRequestEntry::builder().id(format!("p{i}")).message_body(&body).build()?);
            }
            req.send().await?;
        }
        done += 10;
    }
    Ok(done)
}

/// Receives up to 10 messages of `q` (no wait) and deletes them in one batch; returns how many.
async fn take(c: &Clients, q: &str) -> Result<usize, Error> {
    let got = c.sqs.receive_message().queue_url(q).max_number_of_messages(10).send().await?;
    let msgs = got.messages();
    if msgs.is_empty() {
        return Ok(0);
    }
    let mut del = c.sqs.delete_message_batch().queue_url(q);
    for (i, m) in msgs.iter().enumerate() {
        del = del.entries(
            DeleteMessageBatchRequestEntry::builder()
                .id(format!("d{i}"))
                .receipt_handle(m.receipt_handle().unwrap_or_default())
                .build()?,
        );
    }
    Ok(del.send().await?.successful().len())
}

/// How the workers publish.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum PublishMode {
    /// One `Publish` call per message.
    Single,
    /// One `PublishBatch` call per 10 messages.
    Batch,
}

impl PublishMode {
    fn label(self) -> &'static str {
        match self {
            PublishMode::Single => "Publish",
            PublishMode::Batch => "PublishBatch",
        }
    }
}

/// Publishes 10 copies of `body` to `topic`, as 10 `Publish` calls or one `PublishBatch`.
async fn publish_ten(c: &Clients, topic: &str, body: &str, mode: PublishMode) -> Result<(), Error> {
    match mode {
        PublishMode::Single => {
            for _ in 0..10 {
                c.sns.publish().topic_arn(topic).message(body).send().await?;
            }
        }
        PublishMode::Batch => {
            let mut batch = c.sns.publish_batch().topic_arn(topic);
            for i in 0..10 {
                batch = batch.publish_batch_request_entries(
                    aws_sdk_sns::types::PublishBatchRequestEntry::builder()
                        .id(format!("m{i}"))
                        .message(body)
                        .build()?,
                );
            }
            let out = batch.send().await?;
            if !out.failed().is_empty() {
                return Err(format!("PublishBatch failed for {:?}", out.failed()).into());
            }
        }
    }
    Ok(())
}

/// `workers` tasks each publish 10 messages (see [`PublishMode`]), then receive up to 10 from each
/// queue and delete them in one batch, until `messages` were published (or `cap` passed); the queues
/// are then drained. Returns messages/s (messages published whose copy was deleted from both queues;
/// with preloaded queues the deletes keep the depth level), the messages counted, and the seconds.
async fn run(
    c: &Clients,
    f: &Fanout,
    messages: usize,
    workers: usize,
    cap: Duration,
    mode: PublishMode,
) -> Result<(f64, usize, f64), Error> {
    let claimed = Arc::new(AtomicUsize::new(0));
    let published = Arc::new(AtomicUsize::new(0));
    let deleted: Arc<[AtomicUsize; 2]> = Arc::new([AtomicUsize::new(0), AtomicUsize::new(0)]);
    let t0 = Instant::now();
    let mut tasks = Vec::new();
    for w in 0..workers {
        let (c, claimed, published, deleted) = (c.clone(), claimed.clone(), published.clone(), deleted.clone());
        let (topic, queues) = (f.topic.clone(), f.queues.clone());
        tasks.push(tokio::spawn(async move {
            let body = format!(r#"{{"type":"BENCH","data":{{"worker":{w},"pad":"{}"}}}}"#, "p".repeat(120));
            while t0.elapsed() < cap && claimed.fetch_add(10, Ordering::Relaxed) < messages {
                publish_ten(&c, &topic, &body, mode).await?;
                published.fetch_add(10, Ordering::Relaxed);
                for (i, q) in queues.iter().enumerate() {
                    deleted[i].fetch_add(take(&c, q).await?, Ordering::Relaxed);
                }
            }
            Ok::<(), Error>(())
        }));
    }
    for t in tasks {
        t.await??;
    }
    let total = published.load(Ordering::Relaxed);
    let drain = cap + Duration::from_secs(5);
    for (i, q) in f.queues.iter().enumerate() {
        while deleted[i].load(Ordering::Relaxed) < total && t0.elapsed() < drain {
            let n = take(c, q).await?;
            deleted[i].fetch_add(n, Ordering::Relaxed);
            if n == 0 {
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
        }
    }
    let secs = t0.elapsed().as_secs_f64();
    let counted = deleted.iter().map(|d| d.load(Ordering::Relaxed)).min().unwrap_or(0).min(total);
    Ok((counted as f64 / secs, counted, secs))
}

struct Figure {
    rate: f64,
    messages: usize,
    secs: f64,
    depth: usize,
}

async fn measure(
    endpoint: &str,
    tag: &str,
    depth: usize,
    messages: usize,
    workers: usize,
    cap: Duration,
    mode: PublishMode,
) -> Result<Figure, Error> {
    let c = clients(endpoint);
    let f = setup(&c, tag).await?;
    let reached = if depth > 0 { preload(&c, &f, depth, cap * 3).await? } else { 0 };
    let (rate, messages, secs) = run(&c, &f, messages, workers, cap, mode).await?;
    Ok(Figure { rate, messages, secs, depth: reached })
}

/// Starts `target/<profile>/bus serve` on a free port; `None` when the binary is not there.
fn spawn_bus() -> Option<(Child, String)> {
    let exe = std::env::current_exe().ok()?;
    let bin = exe.parent()?.parent()?.join("bus");
    if !bin.exists() {
        return None;
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0").ok()?.local_addr().ok()?.port();
    let child = Command::new(&bin)
        .args(["serve", "--port", &port.to_string()])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .ok()?;
    let addr = format!("127.0.0.1:{port}");
    for _ in 0..100 {
        if std::net::TcpStream::connect(&addr).is_ok() {
            return Some((child, format!("http://{addr}")));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    None
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    let messages = env_usize("BENCH_MESSAGES", 20_000);
    let workers = env_usize("BENCH_WORKERS", 4);
    let depth = env_usize("BENCH_DEPTH", 10_000);
    let moto_cap = Duration::from_secs(env_usize("MOTO_MAX_SECS", 60) as u64);
    let moto_messages = env_usize("MOTO_MESSAGES", 300);
    let modes: &[PublishMode] = match std::env::var("BENCH_PUBLISH").as_deref() {
        Ok("single") => &[PublishMode::Single],
        Ok("batch") => &[PublishMode::Batch],
        Ok("both") | Err(_) => &[PublishMode::Single, PublishMode::Batch],
        Ok(other) => return Err(format!("BENCH_PUBLISH must be single, batch or both, not {other:?}").into()),
    };
    let moto = std::env::var("MOTO_ENDPOINT").or_else(|_| std::env::var("BUS_AWS_TEST_ENDPOINT")).ok();

    let mut child = None;
    let mut in_process = None;
    let external = std::env::var("BUS_SERVE_ENDPOINT").ok();
    let spawned = if external.is_some() { None } else { spawn_bus() };
    let bus = match (external, spawned) {
        (Some(endpoint), _) => {
            println!("bus serve: already running at {endpoint}");
            endpoint
        }
        (None, Some((c, endpoint))) => {
            child = Some(c);
            println!("bus serve: the bus binary at {endpoint}");
            endpoint
        }
        (None, None) => {
            let server = bus_server::BusServer::bind(bus_server::ServerConfig::default().with_port(0)).await?.spawn();
            let e = server.endpoint();
            println!("bus serve: in process at {e} (no bus binary next to this example)");
            in_process = Some(server);
            e
        }
    };
    match &moto {
        Some(m) => println!("moto: {m}"),
        None => println!("moto: not configured (run through scripts/moto.sh); ratios unavailable"),
    }
    println!("workload: publish -> fan-out to 2 queues -> receive 10 -> delete batch; {workers} workers");

    let run_id = std::process::id();
    for &mode in modes {
        println!("publishing with {}", mode.label());
        for (label, d) in [("shallow", 0), ("deep", depth)] {
            let tag = format!("{label}-{}-{run_id}", mode.label().to_lowercase());
            let ours = measure(&bus, &tag, d, messages, workers, Duration::from_secs(120), mode).await?;
            println!(
                "{label:<7} bus-serve {:>9.0} msg/s ({:>6} messages in {:>6.2} s, queue depth {})",
                ours.rate, ours.messages, ours.secs, ours.depth
            );
            if let Some(m) = &moto {
                let theirs = measure(m, &tag, d, moto_messages, workers, moto_cap, mode).await?;
                println!(
                    "{label:<7} moto      {:>9.1} msg/s ({:>6} messages in {:>6.2} s, queue depth {})",
                    theirs.rate, theirs.messages, theirs.secs, theirs.depth
                );
                println!(
                    "{label:<7} ratio     {:>9.1}x  (bus serve / moto, same run, {})",
                    ours.rate / theirs.rate.max(f64::MIN_POSITIVE),
                    mode.label()
                );
            }
        }
    }
    if let Some(mut c) = child {
        let _ = c.kill();
        let _ = c.wait();
    }
    if let Some(s) = in_process {
        s.stop().await?;
    }
    Ok(())
}
