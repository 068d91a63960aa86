//! Matching allocates nothing once the per-thread buffers are warm: counted with dhat's heap-testing
//! mode over repeated matches of attribute-scope and body-scope policies (arrays and array consistency,
//! escaped strings, String.Array attributes, invalid bodies that a lazy walk would match, bodies walked up
//! to an early stop) and of a 500-policy `FilterSet`.
//!
//! Runs without the libtest harness (`harness = false`, a plain `main`): dhat allows one profiler per process
//! and counts every thread's allocations, so the harness's own threads could otherwise be counted.

use bus_core::filter::{FilterPolicy, FilterScope, FilterSet, SnsFilterPolicy};
use bus_core::{AttributeValue, Message};

#[global_allocator]
static ALLOC: dhat::Alloc = dhat::Alloc;

const ROUNDS: usize = 200;

fn policy(json: &str, scope: FilterScope) -> SnsFilterPolicy {
    SnsFilterPolicy::parse(json, scope).expect("valid policy")
}

/// Allocations made by `f` after it has run once to warm the buffers.
fn allocations(mut f: impl FnMut() -> usize) -> (u64, usize) {
    let mut hits = f();
    let before = dhat::HeapStats::get().total_blocks;
    for _ in 0..ROUNDS {
        hits += f();
    }
    (dhat::HeapStats::get().total_blocks - before, hits)
}

fn main() {
    warm_matching_allocates_nothing();
}

fn warm_matching_allocates_nothing() {
    let _profiler = dhat::Profiler::builder().testing().build();

    // Attribute scope: strings, numbers, String.Array (scanned as JSON), prefix, numeric, exists.
    let attr = [
        policy(r#"{"store": ["example_corp"], "price": [{"numeric": [">", 10]}]}"#, FilterScope::MessageAttributes),
        policy(
            r#"{"tags": ["b\"q", {"prefix": "ré"}], "missing": [{"exists": false}]}"#,
            FilterScope::MessageAttributes,
        ),
    ];
    let attr_msg = Message::new("not json")
        .with_attribute("store", "example_corp")
        .with_attribute("price", AttributeValue::number(12.5))
        .with_attribute("tags", AttributeValue::string_array(["x", "b\"q", "résumé"]));
    let (n, hits) = allocations(|| attr.iter().filter(|p| p.matches(&attr_msg)).count());
    assert_eq!(hits, 2 * (ROUNDS + 1));
    assert_eq!(n, 0, "attribute scope allocated");

    // Body scope: nested arrays with array consistency, escaped keys and values, skipped regions.
    let body = [
        policy(
            r#"{"items": {"kind": ["book"], "price": [{"numeric": ["<", 20]}]}, "name": ["a\"b\\é😀"]}"#,
            FilterScope::MessageBody,
        ),
        policy(
            r#"{"k\"ey": [{"suffix": "z"}], "items": {"kind": [{"anything-but": ["pen"]}]}}"#,
            FilterScope::MessageBody,
        ),
    ];
    let body_msg = Message::new(
        r#"{"skip": {"deep": [[1, 2.5e3, "x\\y\"", {"a": null}], true]}, "items": [{"kind": "book", "price": 30},
            {"kind": "pen", "price": 5}, {"kind": "book", "price": 12}], "name": "a\"b\\\u00e9\ud83d\ude00",
            "k\"ey": "quiz"}"#,
    );
    let (n, hits) = allocations(|| body.iter().filter(|p| p.matches(&body_msg)).count());
    assert_eq!(hits, 2 * (ROUNDS + 1));
    assert_eq!(n, 0, "body scope allocated");

    // An invalid body whose walked parts match: strictly validated before reporting, still no allocation.
    let invalid =
        Message::new(r#"{"skip": [1, 2,, {"x": tru}], "name": "a\"b\\é😀", "items": {"kind": "book", "price": 1}}"#);
    let (n, hits) = allocations(|| body.iter().filter(|p| p.matches(&invalid)).count());
    assert_eq!(hits, 0);
    assert_eq!(n, 0, "validating an invalid body allocated");

    // Early stop: repeated keys (the first decides) and a tail read only to validate a match, or not at all
    // (an invalid tail after every policy path is decided).
    let early = Message::new(
        r#"{"name": "a\"b\\é😀", "k\"ey": "quiz", "items": [{"kind": "book", "price": 3, "kind": "pen"}],
            "name": "other", "geometry": [[1.5, 2], [3, 4]], "tail": {"x": [true, null]}}"#,
    );
    let (n, hits) = allocations(|| body.iter().filter(|p| p.matches(&early)).count());
    assert_eq!(hits, 2 * (ROUNDS + 1));
    assert_eq!(n, 0, "a body walked up to an early stop allocated");
    let early_invalid = Message::new(r#"{"name": "x", "k\"ey": "y", "items": {"kind": "pen"}, "tail": [1,"#);
    let (n, hits) = allocations(|| body.iter().filter(|p| p.matches(&early_invalid)).count());
    assert_eq!(hits, 0);
    assert_eq!(n, 0, "stopping early on an unmatched body allocated");

    // A FilterSet of 500 body and attribute policies.
    let mut set = FilterSet::new();
    for id in 0..500 {
        let p = if id % 2 == 0 {
            policy(
                &format!(r#"{{"items": {{"kind": ["k{}"]}}, "name": [{{"prefix": "a"}}]}}"#, id % 7),
                FilterScope::MessageBody,
            )
        } else {
            policy(
                &format!(r#"{{"store": ["s{}"], "price": [{{"numeric": [">=", {id}]}}]}}"#, id % 5),
                FilterScope::MessageAttributes,
            )
        };
        set.insert(id, Some(p));
    }
    let set_msg =
        Message::new(r#"{"items": [{"kind": "k3"}, {"kind": "k4"}], "geometry": [[1.5, 2], [3, 4]], "name": "abc"}"#)
            .with_attribute("store", "s1")
            .with_attribute("price", AttributeValue::number(250));
    let mut out = Vec::with_capacity(1024);
    let (n, hits) = allocations(|| {
        out.clear();
        set.matching(&set_msg, &mut out);
        out.len()
    });
    let expected: Vec<usize> =
        (0..500).filter(|id| if id % 2 == 0 { matches!(id % 7, 3 | 4) } else { id % 5 == 1 && *id <= 250 }).collect();
    assert_eq!(out, expected);
    assert_eq!(hits, expected.len() * (ROUNDS + 1));
    assert_eq!(n, 0, "FilterSet matching allocated");
}
