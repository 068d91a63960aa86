//! Lazy validation gives exactly the strict answer: valid bodies mutated into invalid ones (truncations,
//! stray bytes, bad escapes, bad numbers, trailing garbage), many of them inside regions that no policy
//! mentions, are matched both ways against policies built from the body's own leaves.

use proptest::prelude::*;
use serde_json::{json, Map, Value};

use super::engine::Engine;
use super::scratch::Scratch;
use super::{FilterScope, SnsFilterPolicy};

/// Keys `a`, `b`, `c` appear in policies; `d` and `e` never do, so their values are skipped.
const KEYS: &[&str] = &["a", "b", "c", "d", "e"];
const MENTIONED: &[&str] = &["a", "b", "c"];

fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        proptest::sample::select(vec!["x", "x\"y", "a\\b", "é☕", "😀", "{[\"]}", "Y_y", "", "1.5", "\u{7f}"])
            .prop_map(Value::from),
        "[a-c{}\\[\\]\"\\\\ ,:]{0,6}".prop_map(Value::String),
        (-1000i64..1000).prop_map(Value::from),
        any::<f64>().prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        any::<bool>().prop_map(Value::Bool),
        Just(Value::Null),
    ]
}

/// Arbitrary JSON values, with strings full of quotes, backslashes and brackets.
pub(super) fn value() -> impl Strategy<Value = Value> {
    scalar().prop_recursive(4, 40, 5, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            proptest::collection::vec((proptest::sample::select(KEYS), inner), 0..4)
                .prop_map(|kv| Value::Object(kv.into_iter().map(|(k, v)| (k.to_string(), v)).collect::<Map<_, _>>())),
        ]
    })
}

fn body() -> impl Strategy<Value = Value> {
    proptest::collection::vec((proptest::sample::select(KEYS), value()), 1..5)
        .prop_map(|kv| Value::Object(kv.into_iter().map(|(k, v)| (k.to_string(), v)).collect::<Map<_, _>>()))
}

/// Policies on the mentioned keys' leaves (exact values, prefixes, existence, numeric, anything-but).
fn policies(v: &Value, path: &mut Vec<String>, out: &mut Vec<Value>) {
    match v {
        Value::Object(m) => {
            for (k, child) in m {
                if path.is_empty() && !MENTIONED.contains(&k.as_str()) {
                    continue;
                }
                path.push(k.clone());
                policies(child, path, out);
                path.pop();
            }
        }
        Value::Array(items) => items.iter().for_each(|item| policies(item, path, out)),
        leaf if !path.is_empty() => {
            let mut rules = vec![leaf.clone(), json!({"exists": true}), json!({"exists": false})];
            match leaf {
                Value::String(s) => {
                    rules.push(json!({"prefix": s.chars().take(1).collect::<String>()}));
                    rules.push(json!({"anything-but": [s]}));
                }
                Value::Number(_) => rules.push(json!({"numeric": [">=", -10]})),
                _ => {}
            }
            for rule in rules {
                let mut p = Value::Array(vec![rule]);
                for k in path.iter().rev() {
                    p = json!({ k.as_str(): p });
                }
                out.push(p);
            }
        }
        _ => {}
    }
}

fn mutate(text: &str, kind: u8, at: usize, what: &str) -> String {
    let mut bytes = text.as_bytes().to_vec();
    let at = at % (bytes.len() + 1);
    match kind % 5 {
        0 => bytes.truncate(at),
        1 => {
            bytes.splice(at..at, what.bytes());
        }
        2 if at < bytes.len() => {
            bytes.remove(at);
        }
        3 if at < bytes.len() => {
            bytes.splice(at..=at, what.bytes());
        }
        _ => bytes.extend_from_slice(what.as_bytes()),
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

fn answers(engine: &Engine, body: &str, lazy: bool) -> Vec<usize> {
    let mut out = Vec::new();
    engine.match_body_in(body, &mut Scratch::default(), lazy, |id| out.push(id));
    out.sort_unstable();
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1500))]

    #[test]
    fn lazy_matching_gives_the_strict_answer(
        body in body(),
        pretty in any::<bool>(),
        mutations in proptest::collection::vec((any::<u8>(), any::<usize>(), proptest::sample::select(vec![
            "\"", "\\", ",", "]", "}", "{", "[", ":", "x", "0", "01", "1.", "-", "1e", "\\x", "\\u12", "\\ud800",
            "\u{1}", " ", "tru", "nul", "}}", "]]", ",,", "\"a\":1", "\"a\\", "{}", "[1,]",
        ])), 1..3),
    ) {
        let mut sources = Vec::new();
        policies(&body, &mut Vec::new(), &mut sources);
        sources.truncate(40);
        let mut engine = Engine::default();
        for (id, source) in sources.iter().enumerate() {
            if let Ok(p) = SnsFilterPolicy::from_value(source, FilterScope::MessageBody) {
                if !p.is_match_all() {
                    engine.add(id, p.compiled());
                }
            }
        }
        let text = if pretty { serde_json::to_string_pretty(&body).unwrap() } else { body.to_string() };
        prop_assert_eq!(answers(&engine, &text, true), answers(&engine, &text, false));
        let mut bad = text;
        for (kind, at, what) in mutations {
            bad = mutate(&bad, kind, at, what);
            prop_assert_eq!(answers(&engine, &bad, true), answers(&engine, &bad, false), "{}", bad);
        }
    }
}

#[test]
fn the_walk_chosen_from_the_match_rate_never_changes_an_answer() {
    let policy = SnsFilterPolicy::parse(r#"{"a": ["x"]}"#, FilterScope::MessageBody).unwrap();
    let mut engine = Engine::default();
    engine.add(7, policy.compiled());
    let mut scratch = Scratch::default();
    let mut run = |body: &str| {
        let mut out = Vec::new();
        engine.match_body(body, &mut scratch, |id| out.push(id));
        out
    };
    let (hit, miss, invalid) =
        (r#"{"d": [1, {"e": "]"}], "a": "x"}"#, r#"{"d": [1], "a": "y"}"#, r#"{"d": [1,, "]"], "a": "x"}"#);
    // Mostly matching (strict walk), then mostly not matching (lazy walk): the same answers throughout.
    for body in [hit; 20].into_iter().chain([miss; 20]) {
        assert_eq!(run(body), if body == hit { vec![7] } else { vec![] });
        assert_eq!(run(invalid), Vec::<usize>::new());
        assert_eq!(run(hit), [7]);
    }
}
