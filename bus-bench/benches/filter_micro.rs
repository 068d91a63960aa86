//! Micro benchmarks of the filter hot paths (criterion): one body-scope policy on a citylots line, and a
//! 200-policy `FilterSet` per publish in both scopes. The workload figures with baselines are in
//! `filter-bench` (see the README); these are for quick before/after comparisons of engine changes.

// `criterion_group!` generates an undocumented `pub fn`.
#![allow(missing_docs)]

use bus_bench::w3;
use bus_core::filter::{FilterScope, SnsFilterPolicy};
use bus_core::Message;
use criterion::{black_box, criterion_group, criterion_main, Criterion};

const LINE: &str = r#"{ "type": "Feature", "properties": { "MAPBLKLOT": "0011008", "BLKLOT": "0011008", "BLOCK_NUM": "0011", "LOT_NUM": "008", "FROM_ST": "0", "TO_ST": "0", "STREET": "CRANLEIGH", "ST_TYPE": "ST", "ODD_EVEN": "E" }, "geometry": { "type": "Polygon", "coordinates": [ [ { "x": -122.418255050345499, "y": 37.807736331138396, "z": 0 }, { "x": -122.418261722815416, "y": 37.807807921694092, "z": 0 }, { "x": -122.417703204399141, "y": 37.807867474765405, "z": 0 }, { "x": -122.418255050345499, "y": 37.807736331138396, "z": 0 } ] ], "firstCoordinates": { "x": -122.418255050345499, "y": 37.807736331138396, "z": 0 } } }"#;

fn single_policy(c: &mut Criterion) {
    let cases = [
        ("exact", r#"{"properties": {"STREET": ["CRANLEIGH"]}}"#),
        ("prefix", r#"{"properties": {"STREET": [{"prefix": "CRAN"}]}}"#),
        ("numeric", r#"{"geometry": {"firstCoordinates": {"x": [{"numeric": ["<", -122.4]}]}}}"#),
        ("array-numeric", r#"{"geometry": {"coordinates": {"y": [{"numeric": [">", 37.8078]}]}}}"#),
    ];
    let mut group = c.benchmark_group("body-policy");
    for (name, policy) in cases {
        let p = SnsFilterPolicy::parse(policy, FilterScope::MessageBody).expect("valid policy");
        group.bench_function(name, |b| b.iter(|| p.matches_body(black_box(LINE))));
    }
    group.finish();
}

fn filter_set_200(c: &mut Criterion) {
    let policies = w3::generate_policies(200, 1);
    let messages: Vec<Message> = w3::generate_messages(64, 1);
    let mut group = c.benchmark_group("filter-set-200");
    for scope in [FilterScope::MessageAttributes, FilterScope::MessageBody] {
        let (set, _) = w3::build_set(&policies, scope).expect("valid policies");
        let mut out = Vec::with_capacity(200);
        let mut i = 0;
        group.bench_function(scope.as_str(), |b| {
            b.iter(|| {
                out.clear();
                set.matching(black_box(&messages[i % messages.len()]), &mut out);
                i += 1;
                out.len()
            })
        });
    }
    group.finish();
}

criterion_group!(benches, single_policy, filter_set_200);
criterion_main!(benches);
