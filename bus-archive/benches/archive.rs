//! Archive hot paths: storing events (one by one, and in batches on a WAL file) and reading a feed page.
//!
//! Run with: `cargo bench -p bus-archive --bench archive`
#![allow(missing_docs)]

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, UNIX_EPOCH};

use bus_archive::{Archive, FeedQuery};
use bus_core::{Delivery, Event, Message, ReceiptHandle};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};

const TYPES: [&str; 5] = ["USER_CREATED", "USER_COMMENT", "ORDER_PLACED", "ORDER_SHIPPED", "STRIPE_INCOMING_WEBHOOK"];

fn message(i: u64) -> Message {
    let data =
        serde_json::json!({"i": i, "user": {"id": i % 977, "name": "Ada"}, "correlation_id": format!("c-{}", i % 101)});
    Event::new(TYPES[(i % 5) as usize], data).to_message().unwrap()
}

fn store(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = Archive::open(dir.path().join("bench.db")).unwrap();
    let memory = Archive::open_in_memory().unwrap();
    let next = AtomicU64::new(0);
    let mut group = c.benchmark_group("archive/store");
    group.throughput(Throughput::Elements(1));
    for (name, archive) in [("memory", &memory), ("wal_file", &file)] {
        group.bench_function(format!("store_message/{name}"), |b| {
            b.iter_batched(
                || {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    (format!("id-{i}"), UNIX_EPOCH + Duration::from_millis(i), message(i))
                },
                |(id, time, m)| rt.block_on(archive.store_message(&id, time, &m)).unwrap(),
                BatchSize::SmallInput,
            )
        });
    }
    group.throughput(Throughput::Elements(100));
    group.bench_function("store_batch_100/wal_file", |b| {
        b.iter_batched(
            || (0..100).map(|_| delivery(next.fetch_add(1, Ordering::Relaxed))).collect::<Vec<_>>(),
            |batch| rt.block_on(file.store_batch(&batch)).unwrap(),
            BatchSize::SmallInput,
        )
    });
    group.finish();
}

/// A raw delivery (SQS id, SentTimestamp) of event `i`.
fn delivery(i: u64) -> Delivery {
    let m = message(i);
    let t = UNIX_EPOCH + Duration::from_millis(i);
    Delivery::from_queue_body(format!("q-{i}"), ReceiptHandle(format!("r-{i}")), 1, t, t, m.body, m.attributes)
}

fn feed(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let archive = Archive::open(dir.path().join("feed.db")).unwrap();
    // 50,000 events over 5 types, stored one by one through the public API.
    rt.block_on(async {
        for chunk in 0..100u64 {
            for i in chunk * 500..(chunk + 1) * 500 {
                archive
                    .store_message(&format!("id-{i}"), UNIX_EPOCH + Duration::from_millis(i * 10), &message(i))
                    .await
                    .unwrap();
            }
        }
    });
    let middle = rt
        .block_on(archive.feed(&FeedQuery::new().event_type("USER_COMMENT").limit(5000)))
        .unwrap()
        .next_cursor
        .unwrap();
    let mut group = c.benchmark_group("archive/feed");
    group.throughput(Throughput::Elements(100));
    group.bench_function("page_of_100_by_type_after_cursor/50k_events", |b| {
        let q = FeedQuery::new().event_type("USER_COMMENT").limit(100).after(middle.clone());
        b.iter(|| rt.block_on(archive.feed(&q)).unwrap())
    });
    group.bench_function("by_correlation/50k_events", |b| {
        b.iter(|| rt.block_on(archive.by_correlation("c-7")).unwrap())
    });
    group.finish();
}

criterion_group!(benches, store, feed);
criterion_main!(benches);
