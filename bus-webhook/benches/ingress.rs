//! Ingress hot path: verifying and accepting a signed Stripe webhook (without HTTP), and the signature
//! check alone on a rejected (forged) request.
//!
//! Run with: `cargo bench -p bus-webhook --bench ingress`
#![allow(missing_docs)]

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use async_trait::async_trait;
use axum::http::HeaderMap;
use bus_core::backend::{BatchEntry, PublishBatchOutput, PublishReceipt};
use bus_core::{BusError, Message, Publisher};
use bus_webhook::{stripe_signature_header, ManualClock, WebhookIngress};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};

const SECRET: &str = "whsec_bench";
const T0: i64 = 1_767_225_600;

/// Accepts everything, keeps nothing.
#[derive(Debug)]
struct Sink;

#[async_trait]
impl Publisher for Sink {
    async fn publish(&self, _topic: &str, _message: Message) -> Result<PublishReceipt, BusError> {
        Ok(PublishReceipt { message_id: "m".into(), sequence_number: None })
    }
    async fn publish_batch(&self, _: &str, _: Vec<BatchEntry>) -> Result<PublishBatchOutput, BusError> {
        Err(BusError::EmptyBatch)
    }
}

/// A Stripe-like event of about 2 KB with id `evt_{i}`.
fn body(i: u64) -> String {
    let lines: Vec<String> = (0..40).map(|n| format!(r#""k{n}":"value-{n}-{i}""#)).collect();
    format!(r#"{{"id":"evt_{i}","object":"event","type":"invoice.paid","data":{{"object":{{{}}}}}}}"#, lines.join(","))
}

fn ingress(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let ingress = WebhookIngress::builder()
        .publisher(Arc::new(Sink))
        .topic("events")
        .stripe(SECRET)
        .clock(ManualClock::at_unix(T0 as u64))
        .build_ingress()
        .unwrap();
    let next = AtomicU64::new(0);
    let mut group = c.benchmark_group("webhook/stripe");
    group.throughput(Throughput::Elements(1));
    group.bench_function("accept_2kb", |b| {
        b.iter_batched(
            || {
                let body = body(next.fetch_add(1, Ordering::Relaxed));
                let mut headers = HeaderMap::new();
                headers
                    .insert("stripe-signature", stripe_signature_header(SECRET, T0, body.as_bytes()).parse().unwrap());
                (headers, body)
            },
            |(headers, body)| rt.block_on(ingress.receive("stripe", &headers, body.as_bytes())).unwrap(),
            BatchSize::SmallInput,
        )
    });
    let forged_body = body(0);
    let mut forged = HeaderMap::new();
    forged.insert("stripe-signature", format!("t={T0},v1={}", "ab".repeat(32)).parse().unwrap());
    group.bench_function("reject_forged_2kb", |b| {
        b.iter(|| rt.block_on(ingress.receive("stripe", &forged, forged_body.as_bytes())).unwrap_err())
    });
    group.finish();
}

criterion_group!(benches, ingress);
criterion_main!(benches);
