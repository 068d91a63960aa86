//! proptest strategies for filter policies and messages, over small alphabets so that policies and
//! messages often meet (equal strings, prefixes, IPs in blocks, numbers on range bounds).

use bus_core::filter::FilterScope;
use bus_core::{AttributeValue, Message, MessageAttributes};
use proptest::prelude::*;
use serde_json::{json, Map, Value};

pub const STRINGS: &[&str] = &[
    "",
    "a",
    "ab",
    "abc",
    "A",
    "AB",
    "b",
    "ba",
    "x.y",
    "10.0.0.1",
    "10.0.1.7",
    "192.168.1.1",
    "2001:db8::1",
    "2001:db8:1::5",
    "*",
    "é",
    "É",
    "order-1",
    "order_2",
    "baseball",
    "BALL",
    "a*b",
];
pub const NUMBERS: &[f64] =
    &[0.0, 1.0, -1.0, 1.5, 100.0, 100.0000001, 99.999999, 1e9, -0.5, 3.015e2, 301.5, 42.0, -1e9, 0.000001];
pub const KEYS: &[&str] = &["a", "b", "c", "a.b", "b.c"];
const PATTERNS: &[&str] = &["*", "a*", "*b", "a*b", "*.*", "10.*", "*ball", r"a\*b", "", "ab", "*a*", "order-*"];
const CIDRS: &[&str] =
    &["10.0.0.0/24", "10.0.0.0/8", "0.0.0.0/0", "192.168.0.0/16", "2001:db8::/32", "2001:db8:1::/48", "10.0.0.5/30"];

fn pick<T: Clone + std::fmt::Debug + 'static>(items: &'static [T]) -> impl Strategy<Value = T> + Clone {
    proptest::sample::select(items)
}

pub fn string() -> impl Strategy<Value = String> + Clone {
    pick(STRINGS).prop_map(str::to_string)
}

pub fn number() -> impl Strategy<Value = f64> + Clone {
    pick(NUMBERS)
}

pub fn scalar() -> impl Strategy<Value = Value> + Clone {
    prop_oneof![
        4 => string().prop_map(Value::String),
        3 => number().prop_map(|n| json!(n)),
        1 => any::<bool>().prop_map(Value::Bool),
        1 => Just(Value::Null),
    ]
}

fn nonempty_string() -> impl Strategy<Value = String> + Clone {
    string().prop_filter("non-empty", |s| !s.is_empty())
}

fn numeric_rule() -> impl Strategy<Value = Value> {
    let op1 = pick(&["=", "<", "<=", ">", ">="]);
    let one = (op1, number()).prop_map(|(op, n)| json!({"numeric": [op, n]}));
    let range = (pick(&[">", ">="]), number(), pick(&["<", "<="]), number())
        .prop_filter("bottom below top", |(_, lo, _, hi)| (lo * 1e6).round() < (hi * 1e6).round())
        .prop_map(|(a, lo, b, hi)| json!({"numeric": [a, lo, b, hi]}));
    prop_oneof![one, range]
}

fn anything_but_rule() -> impl Strategy<Value = Value> {
    let operand = prop_oneof![
        string().prop_map(Value::String),
        number().prop_map(|n| json!(n)),
        proptest::collection::vec(string(), 1..4).prop_map(|v| json!(v)),
        proptest::collection::vec(number(), 1..4).prop_map(|v| json!(v)),
        nonempty_string().prop_map(|s| json!({"prefix": s})),
        nonempty_string().prop_map(|s| json!({"suffix": s})),
        pick(PATTERNS).prop_map(|p| json!({"wildcard": p})),
    ];
    operand.prop_map(|o| json!({"anything-but": o}))
}

/// One rule of any kind.
pub fn rule() -> impl Strategy<Value = Value> {
    prop_oneof![
        4 => scalar(),
        1 => string().prop_map(|s| json!({"prefix": s})),
        1 => string().prop_map(|s| json!({"suffix": s})),
        1 => string().prop_map(|s| json!({"equals-ignore-case": s.to_uppercase()})),
        1 => pick(PATTERNS).prop_map(|p| json!({"wildcard": p})),
        2 => anything_but_rule(),
        2 => numeric_rule(),
        2 => any::<bool>().prop_map(|b| json!({"exists": b})),
        1 => pick(CIDRS).prop_map(|c| json!({"cidr": c})),
    ]
}

pub fn rules() -> impl Strategy<Value = Value> {
    proptest::collection::vec(rule(), 1..4).prop_map(Value::Array)
}

/// A policy object (possibly invalid: too many keys or combinations; callers skip those).
pub fn policy(scope: FilterScope) -> BoxedStrategy<Value> {
    policy_object(scope, 3)
}

fn policy_object(scope: FilterScope, depth: u32) -> BoxedStrategy<Value> {
    let member_value: BoxedStrategy<Value> = if depth == 0 || scope == FilterScope::MessageAttributes {
        rules().boxed()
    } else {
        prop_oneof![
            3 => rules(),
            1 => policy_object(scope, depth - 1),
        ]
        .boxed()
    };
    let member = (pick(KEYS), member_value);
    let or = if depth == 0 {
        Just(None).boxed()
    } else {
        prop_oneof![
            3 => Just(None),
            1 => proptest::collection::vec(policy_object(scope, depth - 1), 2..4).prop_map(Some),
        ]
        .boxed()
    };
    (proptest::collection::vec(member, 1..4), or)
        .prop_map(|(members, or)| {
            let mut m: Map<String, Value> = members.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
            if let Some(alternatives) = or {
                m.insert("$or".into(), Value::Array(alternatives));
            }
            Value::Object(m)
        })
        .boxed()
}

/// A JSON value for message bodies: scalars, objects over [`KEYS`], arrays (nested too).
pub fn body_value() -> impl Strategy<Value = Value> {
    scalar().prop_recursive(4, 24, 4, |inner| {
        prop_oneof![
            proptest::collection::vec((pick(KEYS), inner.clone()), 0..4)
                .prop_map(|m| Value::Object(m.into_iter().map(|(k, v)| (k.to_string(), v)).collect())),
            proptest::collection::vec(inner, 0..4).prop_map(Value::Array),
        ]
    })
}

/// A body value written out member by member, so that names may repeat and keep their order.
#[derive(Debug, Clone)]
pub enum Raw {
    Scalar(Value),
    Array(Vec<Raw>),
    Object(Vec<(&'static str, Raw)>),
}

fn raw_value() -> impl Strategy<Value = Raw> {
    scalar().prop_map(Raw::Scalar).prop_recursive(4, 24, 4, |inner| {
        prop_oneof![
            proptest::collection::vec((pick(KEYS), inner.clone()), 0..4).prop_map(Raw::Object),
            proptest::collection::vec(inner, 0..4).prop_map(Raw::Array),
        ]
    })
}

fn render(raw: &Raw, out: &mut String) {
    match raw {
        Raw::Scalar(v) => out.push_str(&v.to_string()),
        Raw::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                render(item, out);
            }
            out.push(']');
        }
        Raw::Object(members) => render_members(members, "}", out),
    }
}

fn render_members(members: &[(&'static str, Raw)], end: &str, out: &mut String) {
    out.push('{');
    for (i, (k, v)) in members.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        out.push_str(&Value::String(k.to_string()).to_string());
        out.push_str(": ");
        render(v, out);
    }
    out.push_str(end);
}

/// How a written body ends: mostly well, sometimes with an invalid tail after its last member (where an
/// early stop would not read it).
const ENDS: &[&str] =
    &["}", "}", "}", "}", "} x", ", \"c\": [1, }", ", \"a\": tru}", ",}", ", \"b.c\": {\"a\": 1}}", ", \"a\": 1", "]"];

/// A body written member by member: names repeat (also as dotted and nested spellings of one path), and
/// some end in invalid JSON after their last member.
pub fn raw_body() -> impl Strategy<Value = String> {
    (proptest::collection::vec((pick(KEYS), raw_value()), 0..7), pick(ENDS)).prop_map(|(members, end)| {
        let mut out = String::new();
        render_members(&members, end, &mut out);
        out
    })
}

/// A message body: usually a JSON object, sometimes another JSON value or not JSON at all.
pub fn body() -> impl Strategy<Value = String> {
    let object = proptest::collection::vec((pick(KEYS), body_value()), 0..5)
        .prop_map(|m| Value::Object(m.into_iter().map(|(k, v)| (k.to_string(), v)).collect()).to_string());
    prop_oneof![
        12 => object,
        6 => raw_body(),
        1 => body_value().prop_map(|v| v.to_string()),
        1 => pick(&["", "not json", "{\"a\": ", "{\"a\": 1} trailing", "[1, 2]", "null"]).prop_map(str::to_string),
    ]
}

fn number_text() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => number().prop_map(|n| n.to_string()),
        1 => pick(&["3.015e2", "100.0", " 42 ", "1E9", "abc", "-0"]).prop_map(str::to_string),
    ]
}

fn attribute_value() -> impl Strategy<Value = AttributeValue> {
    let array = prop_oneof![
        6 => proptest::collection::vec(scalar(), 0..4).prop_map(|v| Value::Array(v).to_string()),
        1 => scalar().prop_map(|v| v.to_string()),
        1 => Just("[[\"a\", 1], {\"b\": 2}]".to_string()),
        1 => Just("['a']".to_string()),
    ];
    prop_oneof![
        4 => string().prop_map(AttributeValue::String),
        3 => number_text().prop_map(AttributeValue::Number),
        3 => array.prop_map(AttributeValue::StringArray),
        1 => Just(AttributeValue::Binary(vec![0, 1, 2])),
    ]
}

pub fn attributes() -> impl Strategy<Value = MessageAttributes> {
    proptest::collection::btree_map(pick(KEYS).prop_map(str::to_string), attribute_value(), 0..5)
}

/// A message with both a body and attributes.
pub fn message() -> impl Strategy<Value = Message> {
    (body(), attributes()).prop_map(|(body, attributes)| Message { body, attributes, ..Message::default() })
}

pub fn scope() -> impl Strategy<Value = FilterScope> {
    prop_oneof![Just(FilterScope::MessageAttributes), Just(FilterScope::MessageBody)]
}
