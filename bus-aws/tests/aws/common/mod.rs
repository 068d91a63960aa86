//! Shared helpers of bus-aws's integration tests, which run against a local SNS/SQS server (moto).
//!
//! Run them through `scripts/moto.sh cargo test -p bus-aws`; without a server endpoint in the
//! environment they fail (they never skip silently).

#![allow(dead_code)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_sqs::config::{Credentials, SharedCredentialsProvider};
use bus_aws::{https_client, AwsBackend, RequestCounter, ServerCapabilities};
use bus_core::{Delivery, ReceiveOptions, Subscription};

/// The local server's URL, from `BUS_AWS_TEST_ENDPOINT` or `AWS_ENDPOINT_URL`. Panics (fails the
/// test) with instructions when neither is set.
pub fn endpoint() -> String {
    for var in ["BUS_AWS_TEST_ENDPOINT", "AWS_ENDPOINT_URL"] {
        if let Ok(v) = std::env::var(var) {
            if !v.is_empty() {
                return v;
            }
        }
    }
    panic!(
        "bus-aws's tests need a local SNS/SQS server and none is configured: run them through \
         scripts/moto.sh (e.g. `scripts/moto.sh cargo test -p bus-aws`), which starts moto on 127.0.0.1, \
         or set BUS_AWS_TEST_ENDPOINT to a running server's URL"
    );
}

/// What the server under test can do: moto 5.2.1 unless `BUS_AWS_TEST_SERVER` is `aws` or `bus-serve`
/// (`bus serve` implements what AWS does).
pub fn caps() -> ServerCapabilities {
    match std::env::var("BUS_AWS_TEST_SERVER").as_deref() {
        Ok("aws" | "bus-serve") => ServerCapabilities::AWS,
        _ => ServerCapabilities::MOTO,
    }
}

/// An SDK config for the local server: static dummy credentials, us-east-1, this crate's HTTPS client.
pub fn sdk_config() -> SdkConfig {
    SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(SharedCredentialsProvider::new(Credentials::new("test", "test", None, None, "tests")))
        .endpoint_url(endpoint())
        .http_client(https_client())
        .build()
}

/// A backend on the local server.
pub async fn backend() -> AwsBackend {
    AwsBackend::builder().with_sdk_config(sdk_config()).build().await.expect("backend builds")
}

/// A backend on the local server whose requests are counted.
pub async fn counted_backend() -> (AwsBackend, RequestCounter) {
    let counter = RequestCounter::new();
    let backend = AwsBackend::builder()
        .with_sdk_config(sdk_config())
        .with_request_counter(counter.clone())
        .build()
        .await
        .expect("backend builds");
    (backend, counter)
}

/// A name unique to this test run and call (`prefix-<pid>-<n>-<time>`), at most 60 characters.
pub fn unique(prefix: &str) -> String {
    static N: AtomicUsize = AtomicUsize::new(0);
    let n = N.fetch_add(1, Ordering::SeqCst);
    let t = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default().as_millis() % 100_000_000;
    let mut s = format!("{prefix}-{}-{n}-{t}", std::process::id());
    s.truncate(60);
    s
}

/// Receives until `n` messages arrived or `timeout` passed (AWS delivers asynchronously: never
/// assume a published message is already in the queue). Does not acknowledge.
pub async fn receive_n(sub: &dyn Subscription, n: usize, timeout: Duration) -> Vec<Delivery> {
    let deadline = tokio::time::Instant::now() + timeout;
    let mut out = Vec::new();
    while out.len() < n && tokio::time::Instant::now() < deadline {
        let batch = sub
            .receive(ReceiveOptions::new((n - out.len()).min(10), Duration::from_secs(1)))
            .await
            .expect("receive succeeds");
        out.extend(batch);
    }
    out
}

/// Receives for `window` and returns everything that arrived (to check that nothing is delivered).
pub async fn receive_for(sub: &dyn Subscription, window: Duration) -> Vec<Delivery> {
    let deadline = tokio::time::Instant::now() + window;
    let mut out = Vec::new();
    while tokio::time::Instant::now() < deadline {
        out.extend(sub.receive(ReceiveOptions::new(10, Duration::from_secs(1))).await.expect("receive succeeds"));
    }
    out
}

/// The default wait for deliveries in these tests.
pub const DELIVERY_TIMEOUT: Duration = Duration::from_secs(10);
