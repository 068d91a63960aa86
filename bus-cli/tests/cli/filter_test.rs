//! `bus filter test`, run as a binary.

use std::path::PathBuf;

use crate::common::{bus, stderr, stdout};

fn temp_file(name: &str, content: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("bus-cli-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, content).unwrap();
    path
}

const POLICY: &str = r#"{"event-type": ["USER_CREATED", "USER_COMMENT"], "price": [{"numeric": [">", 10]}]}"#;

#[test]
fn attributes_in_sns_form_match() {
    let out = bus(&[
        "filter",
        "test",
        "--policy",
        POLICY,
        "--attributes",
        r#"{"event-type": {"Type": "String", "Value": "USER_CREATED"}, "price": {"Type": "Number", "Value": "12.5"}}"#,
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).starts_with("match: "), "{}", stdout(&out));
    assert!(stdout(&out).contains("scope MessageAttributes"));
}

#[test]
fn shorthand_attributes_that_do_not_match() {
    let out = bus(&[
        "filter",
        "test",
        "--policy",
        POLICY,
        "--attributes",
        r#"{"event-type": "USER_DELETED", "price": 12.5}"#,
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).starts_with("no match: "), "{}", stdout(&out));
}

#[test]
fn a_string_shorthand_is_not_a_number() {
    // "12.5" as a string shorthand is a String attribute: numeric rules never match strings.
    let out = bus(&[
        "filter",
        "test",
        "--policy",
        POLICY,
        "--attributes",
        r#"{"event-type": "USER_CREATED", "price": "12.5"}"#,
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).starts_with("no match: "), "{}", stdout(&out));
}

#[test]
fn body_scope_from_files() {
    let policy = temp_file("policy.json", r#"{"store": {"name": [{"prefix": "example"}]}}"#);
    let body = temp_file("body.json", "{\"store\": {\"name\": \"example_corp\"}}\n");
    let out = bus(&[
        "filter",
        "test",
        "--scope",
        "MessageBody",
        "--policy",
        policy.to_str().unwrap(),
        "--body",
        body.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).starts_with("match: "), "{}", stdout(&out));
    assert!(stdout(&out).contains("policy.json"), "names the policy file: {}", stdout(&out));
}

#[test]
fn a_body_that_is_not_json_matches_nothing_and_says_why() {
    let out =
        bus(&["filter", "test", "--scope", "MessageBody", "--policy", r#"{"a": ["b"]}"#, "--body", "hello there"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).starts_with("no match: "), "{}", stdout(&out));
    assert!(stderr(&out).contains("not a JSON object"), "{}", stderr(&out));
}

#[test]
fn an_invalid_policy_prints_the_aws_reason_and_exits_2() {
    let cases = [
        (r#"{"key": []}"#, "Empty arrays are not allowed"),
        (r#"{"key": [{"suffix": "v", "prefix": "w"}]}"#, "Only one key allowed in match expression"),
        (r#"{"a": {"b": ["c"]}}"#, "Filter policy scope MessageAttributes does not support nested filter policy"),
        (r#"{"a": ["x"], "#, "failed to parse JSON."),
    ];
    for (policy, reason) in cases {
        let out = bus(&["filter", "test", "--policy", policy, "--attributes", r#"{"a": "x"}"#]);
        assert_eq!(out.status.code(), Some(2), "{policy}");
        assert!(out.stdout.is_empty(), "{policy}");
        let err = stderr(&out);
        assert!(err.contains("invalid filter policy: ") && err.contains(reason), "{policy}: {err}");
    }
}

#[test]
fn an_unknown_scope_gets_the_aws_error() {
    let out = bus(&["filter", "test", "--scope", "Body", "--policy", "{}", "--body", "{}"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("FilterPolicyScope: Invalid value [Body]"), "{}", stderr(&out));
}

#[test]
fn bad_attributes_are_invalid_input() {
    let cases = [
        ("{not json", "--attributes is not valid JSON"),
        (r#"{"a": true}"#, "a boolean is not an attribute value"),
        (r#"{"a": {"Type": "Strung", "Value": "x"}}"#, "unknown attribute data type"),
        (r#"{"AWS.reserved": "x"}"#, "reserved"),
    ];
    for (attrs, want) in cases {
        let out = bus(&["filter", "test", "--policy", "{}", "--attributes", attrs]);
        assert_eq!(out.status.code(), Some(2), "{attrs}");
        assert!(stderr(&out).contains(want), "{attrs}: {}", stderr(&out));
    }
}

#[test]
fn a_missing_policy_file_is_reported_as_such() {
    let out = bus(&["filter", "test", "--policy", "no/such/policy.json", "--attributes", "{}"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--policy: no such file no/such/policy.json"), "{}", stderr(&out));
}

#[test]
fn a_message_is_required() {
    let out = bus(&["filter", "test", "--policy", "{}"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--attributes"), "{}", stderr(&out));
}

#[test]
fn attribute_scope_without_attributes_notes_it() {
    let out = bus(&["filter", "test", "--policy", r#"{"a": ["b"]}"#, "--body", r#"{"a": "b"}"#]);
    assert_eq!(out.status.code(), Some(0));
    assert!(stdout(&out).starts_with("no match: "), "{}", stdout(&out));
    assert!(stderr(&out).contains("--scope MessageBody"), "{}", stderr(&out));
}
