//! The seed demo on the AWS backend, against the SNS/SQS server named by `BUS_AWS_TEST_ENDPOINT`.
//!
//! Runs only with the `aws` feature, under a script that starts a local server and sets the
//! environment: `scripts/moto.sh cargo test -p bus-examples --features aws` (or `scripts/bus-serve.sh ...`).
//! Without `BUS_AWS_TEST_ENDPOINT` it fails and says so, rather than reaching for real AWS.
#![cfg(feature = "aws")]

use std::collections::BTreeSet;
use std::sync::Arc;

use bus_examples::{run_demo, DemoOptions, Names, Origin};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_runs_unchanged_on_sns_and_sqs() {
    let endpoint = std::env::var("BUS_AWS_TEST_ENDPOINT").unwrap_or_default();
    assert!(
        !endpoint.is_empty(),
        "BUS_AWS_TEST_ENDPOINT is not set: run this under scripts/moto.sh or scripts/bus-serve.sh"
    );
    let backend = bus_aws::AwsBackend::builder().with_endpoint_url(endpoint).build().await.unwrap();
    // A prefix of its own, so that a shared server's other users do not meet these queues.
    let prefix = format!("demo{}-", std::process::id());
    let options = DemoOptions { names: Names::with_prefix(&prefix), ..DemoOptions::default() };
    let report = run_demo(Arc::new(backend), &options).await.unwrap();
    let text = report.to_string();
    assert_eq!(report.backend, "aws");
    assert!(report.is_ok(), "{text}");
    for event in &report.events {
        let expected: &[&str] = match event.event_type.as_str() {
            "USER_CREATED" => &["archive", "billing", "email"],
            "USER_COMMENT" => &["archive", "email"],
            "STRIPE_INCOMING_WEBHOOK" => &["archive", "billing"],
            _ => &["archive"],
        };
        let expected: BTreeSet<String> = expected.iter().map(|q| format!("{prefix}{q}")).collect();
        assert_eq!(event.reached.keys().cloned().collect::<BTreeSet<_>>(), expected, "{text}");
    }
    assert_eq!(report.events.iter().filter(|e| e.origin == Origin::Worker).count(), 3, "{text}");
    assert_eq!(report.dead_letters.len(), 1, "{text}");
    assert_eq!(report.dead_letters[0].dlq, format!("{prefix}billing-dlq"));
    assert_eq!(report.feed.len(), 3, "{text}");
}
