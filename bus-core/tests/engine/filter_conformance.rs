//! Runs every conformance vector (the shared sample plus this project's own `extra.jsonl`) through the
//! same runner as `bus filter conformance`, and fails listing each mismatch.

use bus_core::filter::conformance::{run_vector, Vector};

const FILES: &[(&str, &str)] = &[
    ("vectors.jsonl", include_str!("../data/filter/vectors.jsonl")),
    ("invalid.jsonl", include_str!("../data/filter/invalid.jsonl")),
    ("extra.jsonl", include_str!("../data/filter/extra.jsonl")),
];

/// Runs one file; returns (vectors run, failure descriptions).
fn run_file(name: &str, text: &str) -> (usize, Vec<String>) {
    let mut failures = Vec::new();
    let mut count = 0;
    let mut ids = std::collections::BTreeSet::new();
    for (line_no, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        count += 1;
        let vector = match Vector::parse(line) {
            Ok(v) => v,
            Err(e) => {
                failures.push(format!("{name}:{}: unreadable vector: {e}", line_no + 1));
                continue;
            }
        };
        if !ids.insert(vector.id.clone()) {
            failures.push(format!("{name}:{}: duplicate id {}", line_no + 1, vector.id));
        }
        if let Some(m) = run_vector(&vector).mismatch() {
            failures.push(format!("{name}:{}: {m}", line_no + 1));
        }
    }
    (count, failures)
}

#[test]
fn every_vector_passes() {
    let mut all_failures = Vec::new();
    let mut summary = Vec::new();
    for (name, text) in FILES {
        let (count, failures) = run_file(name, text);
        assert!(count > 0, "{name} has no vectors");
        summary.push(format!("{name}: {} of {count} passed", count - failures.len()));
        all_failures.extend(failures);
    }
    assert!(
        all_failures.is_empty(),
        "{}\n{} mismatches:\n{}",
        summary.join("\n"),
        all_failures.len(),
        all_failures.join("\n")
    );
}

#[test]
fn the_shared_sample_has_the_expected_size() {
    // Guards against an accidentally truncated copy of the shared files.
    assert_eq!(FILES[0].1.lines().filter(|l| !l.trim().is_empty()).count(), 286);
    assert_eq!(FILES[1].1.lines().filter(|l| !l.trim().is_empty()).count(), 81);
}

use crate::support;

/// The reference evaluator used as the proptest oracle must itself pass the valid vectors, or the
/// proptests would compare the engine against a wrong answer.
#[test]
fn the_reference_evaluator_passes_every_valid_vector() {
    use bus_core::filter::conformance::Expectation;
    use bus_core::filter::FilterScope;

    // The reference reads policies through `serde_json::Value`, which sorts keys; this vector depends on
    // document order (a key repeated in one branch replaces the earlier one).
    const ORDER_DEPENDENT: &[&str] = &["x-body-or-repeated-key-replaces"];
    let mut failures = Vec::new();
    let mut checked = 0;
    for (name, text) in FILES {
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            let v = Vector::parse(line).unwrap();
            let Expectation::Match(want) = v.expect else { continue };
            if ORDER_DEPENDENT.contains(&v.id.as_str()) {
                continue;
            }
            let scope = FilterScope::parse(&v.scope).unwrap();
            let policy: serde_json::Value =
                if v.policy.is_empty() { serde_json::json!({}) } else { serde_json::from_str(&v.policy).unwrap() };
            checked += 1;
            if support::reference::reference_matches(&policy, scope, &v.message) != want {
                failures.push(format!("{name}: {}", v.id));
            }
        }
    }
    assert!(checked > 300);
    assert!(failures.is_empty(), "reference disagrees with:\n{}", failures.join("\n"));
}
