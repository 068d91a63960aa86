//! Fuzzing the filter parser and matcher with arbitrary JSON and arbitrary text (proptest): nothing may
//! panic, every rejection is a typed error with a reason, and every accepted policy can be matched against
//! arbitrary messages.

use crate::support;

use std::cell::Cell;

use bus_core::filter::{FilterPolicy, FilterScope, FilterSet, SnsFilterPolicy};
use bus_core::{AttributeValue, Message, MessageAttributes};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{Map, Value};

const OPERATOR_KEYS: &[&str] = &[
    "prefix",
    "suffix",
    "equals-ignore-case",
    "wildcard",
    "anything-but",
    "numeric",
    "exists",
    "cidr",
    "$or",
    "exactly",
    "=",
    "<",
    ">=",
    "a",
    "b",
    "a.b",
    "",
];
const OPERATOR_STRINGS: &[&str] =
    &["<", "<=", ">", ">=", "=", "10.0.0.0/8", "::/0", "a**b", "a\\", "*", "1e400", "-", "/", "//", "10.0.0.1/32"];

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => proptest::sample::select(OPERATOR_KEYS).prop_map(str::to_string),
        1 => "\\PC{0,6}",
    ]
}

fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        2 => proptest::sample::select(OPERATOR_STRINGS).prop_map(|s| Value::String(s.to_string())),
        2 => "\\PC{0,10}".prop_map(Value::String),
        2 => any::<f64>().prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        1 => any::<i64>().prop_map(Value::from),
        1 => (-3i64..3).prop_map(Value::from),
        1 => any::<bool>().prop_map(Value::Bool),
        1 => Just(Value::Null),
    ]
}

/// Arbitrary JSON, biased towards policy-like shapes (operator keys, small arrays).
fn json() -> impl Strategy<Value = Value> {
    scalar().prop_recursive(5, 48, 5, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            proptest::collection::vec((key(), inner), 0..5)
                .prop_map(|m| Value::Object(m.into_iter().collect::<Map<String, Value>>())),
        ]
    })
}

/// Arbitrary text: random strings, and JSON texts cut or altered at a random place.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        1 => "\\PC{0,40}",
        1 => "[\\[\\]{}\":,0-9a-z.*\\\\ -]{0,40}",
        2 => (json(), any::<prop::sample::Index>(), any::<char>()).prop_map(|(v, at, c)| {
            let mut s = v.to_string();
            let mut i = at.index(s.len() + 1);
            while !s.is_char_boundary(i) {
                i -= 1;
            }
            if i % 2 == 0 {
                s.truncate(i);
            } else {
                s.insert(i, c);
            }
            s
        }),
    ]
}

fn attributes() -> impl Strategy<Value = MessageAttributes> {
    let value = prop_oneof![
        "\\PC{0,12}".prop_map(AttributeValue::String),
        text().prop_map(AttributeValue::Number),
        json().prop_map(|v| AttributeValue::StringArray(v.to_string())),
        text().prop_map(AttributeValue::StringArray),
        proptest::collection::vec(any::<u8>(), 0..4).prop_map(AttributeValue::Binary),
    ];
    proptest::collection::btree_map(key(), value, 0..6)
}

fn message() -> impl Strategy<Value = Message> {
    let body = prop_oneof![json().prop_map(|v| v.to_string()), text()];
    (body, attributes()).prop_map(|(body, attributes)| Message { body, attributes, ..Message::default() })
}

fn runner(cases: u32) -> TestRunner {
    TestRunner::new(Config { cases, failure_persistence: None, ..Config::default() })
}

fn check(policy: Result<SnsFilterPolicy, bus_core::filter::FilterError>, messages: &[Message]) -> bool {
    match policy {
        Ok(p) => {
            for m in messages {
                // Both entry points, whatever the policy's scope.
                let _ = p.matches(m);
                let _ = p.matches_body(&m.body);
                let _ = p.matches_attributes(&m.attributes);
            }
            true
        }
        Err(e) => {
            assert!(!e.reason.is_empty());
            assert!(!e.aws_message().is_empty());
            false
        }
    }
}

const JSON_CASES: u32 = 12_000;
const TEXT_CASES: u32 = 12_000;
const SET_CASES: u32 = 2_000;

#[test]
fn arbitrary_json_policies_never_panic() {
    let (ran, accepted) = (Cell::new(0usize), Cell::new(0usize));
    let strategy = (json(), proptest::collection::vec(message(), 0..2));
    runner(JSON_CASES)
        .run(&strategy, |(policy, messages)| {
            ran.set(ran.get() + 1);
            for scope in [FilterScope::MessageAttributes, FilterScope::MessageBody] {
                if check(SnsFilterPolicy::from_value(&policy, scope), &messages) {
                    accepted.set(accepted.get() + 1);
                }
            }
            Ok(())
        })
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(ran.get(), JSON_CASES as usize);
    assert!(accepted.get() > 0, "no arbitrary policy was valid: the fuzzer never reached the matcher");
}

#[test]
fn arbitrary_text_policies_never_panic() {
    let ran = Cell::new(0usize);
    let strategy = (text(), proptest::collection::vec(message(), 0..2));
    runner(TEXT_CASES)
        .run(&strategy, |(policy, messages)| {
            ran.set(ran.get() + 1);
            for scope in [FilterScope::MessageAttributes, FilterScope::MessageBody] {
                check(SnsFilterPolicy::parse(&policy, scope), &messages);
            }
            Ok(())
        })
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(ran.get(), TEXT_CASES as usize);
}

#[test]
fn valid_policies_against_arbitrary_messages_never_panic() {
    let ran = Cell::new(0usize);
    let strategy = (
        proptest::collection::vec(
            support::strategies::scope().prop_flat_map(|s| support::strategies::policy(s).prop_map(move |p| (s, p))),
            1..6,
        ),
        proptest::collection::vec(message(), 1..4),
    );
    runner(SET_CASES)
        .run(&strategy, |(policies, messages)| {
            ran.set(ran.get() + 1);
            let mut set = FilterSet::new();
            for (i, (scope, p)) in policies.iter().enumerate() {
                if let Ok(p) = SnsFilterPolicy::from_value(p, *scope) {
                    set.insert(i, Some(p));
                }
            }
            let mut out = Vec::new();
            for m in &messages {
                set.matching(m, &mut out);
            }
            Ok(())
        })
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(ran.get(), SET_CASES as usize);
}

#[test]
fn hostile_bodies_match_nothing_without_panicking() {
    let policy = SnsFilterPolicy::parse(r#"{"a": [{"exists": false}]}"#, FilterScope::MessageBody).unwrap();
    let deep = format!("{}{}", "{\"b\":".repeat(10_000), "}".repeat(10_000));
    let deep_array = format!("{{\"a\": {}1{}}}", "[".repeat(10_000), "]".repeat(10_000));
    for body in [deep.as_str(), deep_array.as_str(), "{\"a\": \"\\ud800\"}", "\u{0}", "{\"a\"}"] {
        assert!(!policy.matches_body(body), "{body:.40}");
    }
    // A depth serde_json accepts still works.
    let ok = format!("{}{}", "{\"b\":".repeat(100), "1}".to_string() + &"}".repeat(99));
    assert!(policy.matches_body(&ok));
    let numbers = SnsFilterPolicy::parse(r#"{"a": [{"numeric": [">", 0]}]}"#, FilterScope::MessageBody).unwrap();
    assert!(numbers.matches_body(r#"{"a": 1e300}"#));
    assert!(numbers.matches_body(r#"{"a": 123456789012345678901234567890}"#));
    assert!(!numbers.matches_body(r#"{"a": -1e300}"#));
}

const VALIDITY_CASES: u32 = 10_000;

#[test]
fn body_json_validity_agrees_with_serde_json() {
    // `exists: false` on a key no generated body uses: matches exactly the bodies that are JSON objects.
    let policy = SnsFilterPolicy::parse(r#"{"no such key": [{"exists": false}]}"#, FilterScope::MessageBody).unwrap();
    let (ran, objects) = (Cell::new(0usize), Cell::new(0usize));
    let strategy = prop_oneof![text(), json().prop_map(|v| v.to_string())];
    runner(VALIDITY_CASES)
        .run(&strategy, |body| {
            ran.set(ran.get() + 1);
            let serde = match serde_json::from_str::<Value>(&body) {
                Ok(v) => v.as_object().is_some_and(|m| !m.contains_key("no such key")),
                // serde_json refuses numbers beyond f64; AWS's parser (Jackson) and this one accept them.
                Err(e) if e.to_string().contains("number out of range") => return Ok(()),
                Err(_) => false,
            };
            objects.set(objects.get() + usize::from(serde));
            prop_assert_eq!(policy.matches_body(&body), serde, "body {:?}", body);
            Ok(())
        })
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(ran.get(), VALIDITY_CASES as usize);
    assert!(objects.get() > 100, "too few object bodies: {}", objects.get());
}

#[test]
fn numbers_beyond_f64_are_read_like_aws_does_wherever_they_are() {
    // Jackson reads 1e400 as an infinite double: the body is valid JSON, mentioned or not.
    let absent = SnsFilterPolicy::parse(r#"{"a": [{"exists": false}]}"#, FilterScope::MessageBody).unwrap();
    assert!(absent.matches_body(r#"{"b": 1e400}"#));
    assert!(!absent.matches_body(r#"{"a": 1e400}"#));
    let big = SnsFilterPolicy::parse(r#"{"a": [{"numeric": [">", 1000000000]}]}"#, FilterScope::MessageBody).unwrap();
    assert!(big.matches_body(r#"{"a": 1e400}"#));
    assert!(!big.matches_body(r#"{"a": -1e400}"#));
}
