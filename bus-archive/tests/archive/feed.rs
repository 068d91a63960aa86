//! The activity feed: order, cursor pagination, time ranges, correlation.

use crate::common;

use bus_archive::{Archive, ArchiveError, FeedQuery, Order, Page};
use bus_core::Message;
use common::*;
use serde_json::json;

/// Stores `(id, type, second)` triples in the given (insertion) order.
async fn archive_with(events: &[(&str, &str, u64)]) -> Archive {
    let archive = Archive::open_in_memory().unwrap();
    for (id, kind, secs) in events {
        let m = event(kind, json!({"id": id}));
        assert!(archive.store_message(id, at(*secs), &m).await.unwrap());
    }
    archive
}

fn ids(page: &Page) -> Vec<&str> {
    page.events.iter().map(|e| e.id.as_str()).collect()
}

/// Reads every page of `query` and returns the ids in feed order, and the page count.
async fn read_all(archive: &Archive, mut query: FeedQuery) -> (Vec<String>, usize) {
    let mut out = Vec::new();
    let mut pages = 0;
    loop {
        let page = archive.feed(&query).await.unwrap();
        pages += 1;
        assert!(page.events.len() <= query.limit);
        out.extend(page.events.iter().map(|e| e.id.clone()));
        match page.next_cursor {
            Some(c) => query = query.after(c),
            None => return (out, pages),
        }
    }
}

#[tokio::test]
async fn the_feed_is_ordered_by_time_then_insertion() {
    // Inserted out of time order; c and d share a time, so insertion order decides between them.
    let archive = archive_with(&[
        ("c", "USER_COMMENT", 5),
        ("a", "USER_COMMENT", 1),
        ("x", "USER_CREATED", 3),
        ("d", "USER_COMMENT", 5),
        ("b", "USER_COMMENT", 2),
    ])
    .await;
    let page = archive.feed(&FeedQuery::new().event_type("USER_COMMENT")).await.unwrap();
    assert_eq!(ids(&page), ["a", "b", "c", "d"]);
    assert!(page.next_cursor.is_none());
    let all = archive.feed(&FeedQuery::new()).await.unwrap();
    assert_eq!(ids(&all), ["a", "b", "x", "c", "d"]);
    let newest = archive.feed(&FeedQuery::new().event_type("USER_COMMENT").newest_first()).await.unwrap();
    assert_eq!(ids(&newest), ["d", "c", "b", "a"]);
    assert!(page.events.windows(2).all(|w| (w[0].time, w[0].seq) < (w[1].time, w[1].seq)));
}

#[tokio::test]
async fn cursor_pagination_walks_every_event_once_in_both_orders() {
    let archive = Archive::open_in_memory().unwrap();
    let mut expected = Vec::new();
    // 53 comments over 20 distinct seconds (many ties), interleaved with other types.
    for i in 0..53u64 {
        let id = format!("c{i:02}");
        let secs = (i * 7) % 20;
        archive.store_message(&id, at(secs), &event("USER_COMMENT", json!({"i": i}))).await.unwrap();
        archive.store_message(&format!("o{i:02}"), at(secs), &event("USER_CREATED", json!({}))).await.unwrap();
        expected.push((secs, i, id));
    }
    expected.sort();
    let expected: Vec<String> = expected.into_iter().map(|(_, _, id)| id).collect();

    let (got, pages) = read_all(&archive, FeedQuery::new().event_type("USER_COMMENT").limit(10)).await;
    assert_eq!(got, expected);
    assert_eq!(pages, 6, "53 events in pages of 10");

    let (newest, _) = read_all(&archive, FeedQuery::new().event_type("USER_COMMENT").limit(7).newest_first()).await;
    let mut reversed = expected.clone();
    reversed.reverse();
    assert_eq!(newest, reversed);

    // A page exactly as large as the feed: it says there is no more (the extra row probe finds none).
    let (single, pages) = read_all(&archive, FeedQuery::new().event_type("USER_COMMENT").limit(53)).await;
    assert_eq!((single.len(), pages), (53, 1));
}

#[tokio::test]
async fn a_cursor_survives_inserts_between_pages() {
    let archive = archive_with(&[("a", "T", 1), ("b", "T", 2), ("c", "T", 3), ("d", "T", 4)]).await;
    let first = archive.feed(&FeedQuery::new().limit(2)).await.unwrap();
    assert_eq!(ids(&first), ["a", "b"]);
    // New events: one before the cursor (already-read territory) and one after it.
    archive.store_message("early", at(0), &event("T", json!({}))).await.unwrap();
    archive.store_message("late", at(3), &event("T", json!({}))).await.unwrap();
    let (rest, _) = read_all(&archive, FeedQuery::new().limit(2).after(first.next_cursor.unwrap())).await;
    assert_eq!(rest, ["c", "late", "d"], "no repeat, no skip; later inserts sort by their time");
}

#[tokio::test]
async fn time_ranges_are_inclusive_at_the_start_and_exclusive_at_the_end() {
    let archive = archive_with(&[("a", "T", 10), ("b", "T", 20), ("c", "T", 30), ("d", "U", 20)]).await;
    let q = FeedQuery::new().event_type("T").since(at(10)).until(at(30));
    assert_eq!(ids(&archive.feed(&q).await.unwrap()), ["a", "b"]);
    assert_eq!(ids(&archive.feed(&FeedQuery::new().since(at(20))).await.unwrap()), ["b", "d", "c"]);
    assert_eq!(ids(&archive.feed(&FeedQuery::new().until(at(20))).await.unwrap()), ["a"]);
    let empty = archive.feed(&FeedQuery::new().since(at(20)).until(at(20))).await.unwrap();
    assert!(empty.events.is_empty() && empty.next_cursor.is_none());
    assert_eq!(archive.count(&FeedQuery::new().since(at(15))).await.unwrap(), 3);
    // Millisecond precision.
    let ms = at(20) + std::time::Duration::from_millis(1);
    assert_eq!(ids(&archive.feed(&FeedQuery::new().since(ms)).await.unwrap()), ["c"]);
}

#[tokio::test]
async fn correlation_queries_follow_the_documented_rule() {
    let archive = Archive::open_in_memory().unwrap();
    let by_attribute = event("ORDER_PLACED", json!({"order": 1})).with_attribute("correlation-id", "flow-1");
    let by_data = event("PAYMENT_TAKEN", json!({"correlation_id": "flow-1"}));
    let other = event("PAYMENT_TAKEN", json!({"correlation_id": "flow-2"}));
    let none = Message::new("plain");
    archive.store_message("e2", at(2), &by_data).await.unwrap();
    archive.store_message("e1", at(1), &by_attribute).await.unwrap();
    archive.store_message("e3", at(3), &other).await.unwrap();
    archive.store_message("e4", at(4), &none).await.unwrap();

    let chain = archive.by_correlation("flow-1").await.unwrap();
    let chain: Vec<_> = chain.iter().map(|e| (e.id.as_str(), e.correlation_id.as_deref())).collect();
    assert_eq!(chain, [("e1", Some("flow-1")), ("e2", Some("flow-1"))]);
    assert!(archive.by_correlation("nope").await.unwrap().is_empty());
    let page = archive.feed(&FeedQuery::new().correlation_id("flow-2").event_type("PAYMENT_TAKEN")).await.unwrap();
    assert_eq!(ids(&page), ["e3"]);
    assert_eq!(archive.get("e4").await.unwrap().unwrap().correlation_id, None);
}

#[tokio::test]
async fn bad_queries_get_typed_errors() {
    let archive = archive_with(&[("a", "T", 1), ("b", "T", 2)]).await;
    let err = archive.feed(&FeedQuery::new().limit(0)).await.unwrap_err();
    assert!(matches!(err, ArchiveError::InvalidParameter { name: "limit", .. }), "{err}");
    let err = archive.feed(&FeedQuery::new().after("garbage!")).await.unwrap_err();
    assert!(matches!(err, ArchiveError::InvalidCursor { .. }), "{err}");
    let asc = archive.feed(&FeedQuery::new().limit(1)).await.unwrap().next_cursor.unwrap();
    let err = archive.feed(&FeedQuery::new().limit(1).newest_first().after(asc)).await.unwrap_err();
    assert!(matches!(err, ArchiveError::InvalidCursor { .. }), "{err}");
    assert_eq!(FeedQuery::new().order, Order::OldestFirst);
}
