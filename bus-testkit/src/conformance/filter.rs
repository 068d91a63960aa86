//! Filter policies (attribute scope) through real subscriptions, one operator family per scenario.
//!
//! Every case subscribes a fresh queue with one policy, publishes the messages that must not be
//! delivered first and the ones that must after them (the last one is the sentinel), waits until
//! every expected message arrived, receives once more, and checks that exactly the expected ones
//! came. The cases follow the SNS documentation's examples (string-value-matching,
//! numeric-value-matching, attribute-key-matching, and-or-logic pages).

use bus_core::backend::{QueueSpec, Topology};
use bus_core::filter::FilterScope;
use bus_core::{AttributeValue, Backend, Message};
use serde_json::{json, Value};

use super::error::{ConformanceError, StepExt};
use super::names::Names;
use super::support::{apply, check_labels, consumer, drain_labels, labelled, labelled_json, subscription_spec};

/// One policy on one subscription, with messages that must and must not pass it.
#[derive(Debug, Clone)]
pub(crate) struct FilterCase {
    policy: Value,
    scope: FilterScope,
    deliver: Vec<(String, Message)>,
    reject: Vec<(String, Message)>,
}

impl FilterCase {
    /// A case for an attribute-scope policy.
    pub(crate) fn attrs(policy: Value) -> Self {
        FilterCase { policy, scope: FilterScope::MessageAttributes, deliver: Vec::new(), reject: Vec::new() }
    }

    /// A case for a body-scope policy.
    pub(crate) fn body(policy: Value) -> Self {
        FilterCase { policy, scope: FilterScope::MessageBody, deliver: Vec::new(), reject: Vec::new() }
    }

    fn message(label: &str, attributes: &[(&str, AttributeValue)]) -> Message {
        attributes.iter().fold(labelled(label), |m, (k, v)| m.with_attribute(*k, v.clone()))
    }

    /// A message (body = `label`) with these attributes must be delivered.
    pub(crate) fn yes(mut self, label: &str, attributes: &[(&str, AttributeValue)]) -> Self {
        self.deliver.push((label.to_owned(), Self::message(label, attributes)));
        self
    }

    /// A message (body = `label`) with these attributes must not be delivered.
    pub(crate) fn no(mut self, label: &str, attributes: &[(&str, AttributeValue)]) -> Self {
        self.reject.push((label.to_owned(), Self::message(label, attributes)));
        self
    }

    /// A message whose body is `fields` plus `"label"` must be delivered.
    pub(crate) fn yes_body(mut self, label: &str, fields: Value) -> Self {
        self.deliver.push((label.to_owned(), labelled_json(label, fields)));
        self
    }

    /// A message whose body is `fields` plus `"label"` must not be delivered.
    pub(crate) fn no_body(mut self, label: &str, fields: Value) -> Self {
        self.reject.push((label.to_owned(), labelled_json(label, fields)));
        self
    }

    /// A message with this literal (non-JSON) body, which is also its label, must not be delivered.
    pub(crate) fn no_text(mut self, text: &str) -> Self {
        self.reject.push((text.to_owned(), labelled(text)));
        self
    }

    async fn run(&self, backend: &dyn Backend, names: &Names, role: &str) -> Result<(), ConformanceError> {
        let step = format!("{} policy {}", self.scope.as_str(), self.policy);
        let topic = names.topic(role);
        let queue = names.queue(role);
        let topology = Topology::new().topic(&topic).queue(QueueSpec::new(&queue)).subscription(subscription_spec(
            &topic,
            &queue,
            Some(self.policy.clone()),
            self.scope,
            false,
        ));
        apply(backend, &topology, &step).await?;
        let sub = consumer(backend, &queue).await?;
        let publisher = backend.publisher();
        for (label, m) in self.reject.iter().chain(self.deliver.iter()) {
            publisher.publish(&topic, m.clone()).await.step(format!("{step}: publish {label:?}"))?;
        }
        let expected: Vec<String> = self.deliver.iter().map(|(l, _)| l.clone()).collect();
        let seen = drain_labels(&*sub, &expected, &step).await?;
        check_labels(&step, &expected, &seen)
    }
}

/// Runs the cases concurrently, each on its own topic and queue, and reports every failing case.
pub(crate) async fn run_cases(
    backend: &dyn Backend,
    names: &Names,
    role: &str,
    cases: Vec<FilterCase>,
) -> Result<(), ConformanceError> {
    let runs = cases.iter().enumerate().map(|(i, c)| {
        let role = format!("{role}-{i}");
        async move { c.run(backend, names, &role).await }
    });
    let errors: Vec<ConformanceError> =
        futures::future::join_all(runs).await.into_iter().filter_map(Result::err).collect();
    ConformanceError::from_all(errors)
}

pub(crate) fn s(v: &str) -> AttributeValue {
    AttributeValue::String(v.to_owned())
}

pub(crate) fn n(v: &str) -> AttributeValue {
    AttributeValue::Number(v.to_owned())
}

pub(crate) fn arr(json_text: &str) -> AttributeValue {
    AttributeValue::StringArray(json_text.to_owned())
}

/// Exact string values: case-sensitive, whole value; a String.Array matches when an element does;
/// several keys are ANDed.
pub async fn filter_exact(backend: &dyn Backend, names: &Names) -> Result<(), ConformanceError> {
    let one_key = FilterCase::attrs(json!({"customer_interests": ["rugby", "tennis"]}))
        .no("case-differs", &[("customer_interests", s("Rugby"))])
        .no("substring", &[("customer_interests", s("rug"))])
        .no("trailing-space", &[("customer_interests", s("rugby "))])
        .no("other-key", &[("other", s("rugby"))])
        .no("array-without-match", &[("customer_interests", arr(r#"["soccer", "hockey"]"#))])
        .yes("array-with-match", &[("customer_interests", arr(r#"["soccer", "tennis"]"#))])
        .yes("string-match", &[("customer_interests", s("rugby"))]);
    let two_keys = FilterCase::attrs(json!({"customer_interests": ["rugby"], "store": ["example_corp"]}))
        .no("only-first-key", &[("customer_interests", s("rugby"))])
        .no("only-second-key", &[("store", s("example_corp"))])
        .no("second-differs", &[("customer_interests", s("rugby")), ("store", s("other_corp"))])
        .yes("both-keys", &[("customer_interests", s("rugby")), ("store", s("example_corp"))]);
    run_cases(backend, names, "exact", vec![one_key, two_keys]).await
}

/// `prefix`: case-sensitive `startsWith`.
pub async fn filter_prefix(backend: &dyn Backend, names: &Names) -> Result<(), ConformanceError> {
    let case = FilterCase::attrs(json!({"region": [{"prefix": "eu-"}]}))
        .no("other-prefix", &[("region", s("us-east-1"))])
        .no("case-differs", &[("region", s("EU-west-1"))])
        .no("inside-not-start", &[("region", s("xeu-1"))])
        .no("key-absent", &[("other", s("eu-west-1"))])
        .yes("prefix-only", &[("region", s("eu-"))])
        .yes("has-prefix", &[("region", s("eu-west-1"))]);
    run_cases(backend, names, "prefix", vec![case]).await
}

/// `suffix`: case-sensitive `endsWith`.
pub async fn filter_suffix(backend: &dyn Backend, names: &Names) -> Result<(), ConformanceError> {
    let case = FilterCase::attrs(json!({"file": [{"suffix": ".png"}]}))
        .no("case-differs", &[("file", s("photo.PNG"))])
        .no("suffix-inside", &[("file", s("photo.png.txt"))])
        .no("other-suffix", &[("file", s("photo.jpg"))])
        .yes("suffix-only", &[("file", s(".png"))])
        .yes("has-suffix", &[("file", s("photo.png"))]);
    run_cases(backend, names, "suffix", vec![case]).await
}

/// `equals-ignore-case` with a lower-case operand.
pub async fn filter_equals_ignore_case(backend: &dyn Backend, names: &Names) -> Result<(), ConformanceError> {
    let case = FilterCase::attrs(json!({"sport": [{"equals-ignore-case": "tennis"}]}))
        .no("longer", &[("sport", s("tennis ball"))])
        .no("different", &[("sport", s("tenis"))])
        .yes("upper", &[("sport", s("TENNIS"))])
        .yes("lower", &[("sport", s("tennis"))])
        .yes("capitalised", &[("sport", s("Tennis"))]);
    run_cases(backend, names, "eic", vec![case]).await
}

/// `equals-ignore-case` with a mixed-case operand: the operand's case does not matter either.
pub async fn filter_equals_ignore_case_operand(backend: &dyn Backend, names: &Names) -> Result<(), ConformanceError> {
    let case = FilterCase::attrs(json!({"sport": [{"equals-ignore-case": "TeNNis"}]}))
        .no("different", &[("sport", s("tennisball"))])
        .yes("upper", &[("sport", s("TENNIS"))])
        .yes("lower", &[("sport", s("tennis"))]);
    run_cases(backend, names, "eic-operand", vec![case]).await
}

/// `wildcard`: `*` matches any run of characters (including none).
pub async fn filter_wildcard(backend: &dyn Backend, names: &Names) -> Result<(), ConformanceError> {
    let path = FilterCase::attrs(json!({"path": [{"wildcard": "img/*.png"}]}))
        .no("other-extension", &[("path", s("img/cat.jpg"))])
        .no("other-directory", &[("path", s("doc/cat.png"))])
        .no("trailing-text", &[("path", s("img/cat.png.bak"))])
        .yes("empty-star", &[("path", s("img/.png"))])
        .yes("nested", &[("path", s("img/a/b.png"))])
        .yes("plain", &[("path", s("img/cat.png"))]);
    let many = FilterCase::attrs(json!({"k": [{"wildcard": "a*b*c"}]}))
        .no("out-of-order", &[("k", s("acb"))])
        .yes("adjacent", &[("k", s("abc"))])
        .yes("spaced", &[("k", s("a-b-c"))]);
    run_cases(backend, names, "wildcard", vec![path, many]).await
}

/// `anything-but` with a string list, a single string, a number list and a prefix; an absent key
/// never matches.
pub async fn filter_anything_but(backend: &dyn Backend, names: &Names) -> Result<(), ConformanceError> {
    let list = FilterCase::attrs(json!({"sport": [{"anything-but": ["rugby", "tennis"]}]}))
        .no("excluded-1", &[("sport", s("rugby"))])
        .no("excluded-2", &[("sport", s("tennis"))])
        .no("key-absent", &[("other", s("baseball"))])
        .yes("not-excluded", &[("sport", s("baseball"))]);
    let single = FilterCase::attrs(json!({"sport": [{"anything-but": "rugby"}]}))
        .no("excluded", &[("sport", s("rugby"))])
        .yes("not-excluded", &[("sport", s("tennis"))]);
    let numbers = FilterCase::attrs(json!({"price": [{"anything-but": [100, 500]}]}))
        .no("excluded-100", &[("price", n("100"))])
        .no("excluded-500", &[("price", n("500"))])
        .yes("close-to-excluded", &[("price", n("100.1"))])
        .yes("not-excluded", &[("price", n("200"))]);
    let prefix = FilterCase::attrs(json!({"event": [{"anything-but": {"prefix": "order-"}}]}))
        .no("has-prefix", &[("event", s("order-created"))])
        .no("prefix-only", &[("event", s("order-"))])
        .yes("other-prefix", &[("event", s("payment-1"))]);
    run_cases(backend, names, "anything-but", vec![list, single, numbers, prefix]).await
}

/// `anything-but` with `suffix` and `wildcard` operands.
pub async fn filter_anything_but_suffix_wildcard(backend: &dyn Backend, names: &Names) -> Result<(), ConformanceError> {
    let suffix = FilterCase::attrs(json!({"file": [{"anything-but": {"suffix": ".tmp"}}]}))
        .no("has-suffix", &[("file", s("draft.tmp"))])
        .yes("other-suffix", &[("file", s("draft.txt"))]);
    let wildcard = FilterCase::attrs(json!({"path": [{"anything-but": {"wildcard": "*/private/*"}}]}))
        .no("matches-pattern", &[("path", s("home/private/notes"))])
        .yes("other-path", &[("path", s("home/public/notes"))]);
    run_cases(backend, names, "anything-but-sw", vec![suffix, wildcard]).await
}

/// `anything-but` on a String.Array attribute: the key matches when any element is not excluded.
pub async fn filter_string_array_operators(backend: &dyn Backend, names: &Names) -> Result<(), ConformanceError> {
    let strings = FilterCase::attrs(json!({"customer_interests": [{"anything-but": ["rugby", "tennis"]}]}))
        .no("only-excluded", &[("customer_interests", arr(r#"["rugby"]"#))])
        .no("all-excluded", &[("customer_interests", arr(r#"["rugby", "tennis"]"#))])
        .yes("one-not-excluded", &[("customer_interests", arr(r#"["rugby", "baseball"]"#))]);
    let numbers = FilterCase::attrs(json!({"price": [{"anything-but": [100, 500]}]}))
        .no("all-excluded", &[("price", arr("[100, 500]"))])
        .yes("one-not-excluded", &[("price", arr("[100, 50]"))]);
    run_cases(backend, names, "array-ops", vec![strings, numbers]).await
}

/// `numeric`: equality by value (`3.015e2` = `301.5`), open and closed bounds, ranges.
pub async fn filter_numeric(backend: &dyn Backend, names: &Names) -> Result<(), ConformanceError> {
    let range = FilterCase::attrs(json!({"price_usd": [{"numeric": [">", 0, "<=", 150]}]}))
        .no("bottom-excluded", &[("price_usd", n("0"))])
        .no("above-top", &[("price_usd", n("151"))])
        .no("negative", &[("price_usd", n("-1"))])
        .no("key-absent", &[("other", n("75"))])
        .yes("fraction", &[("price_usd", n("0.5"))])
        .yes("top-included", &[("price_usd", n("150"))])
        .yes("middle", &[("price_usd", n("75"))]);
    let equal = FilterCase::attrs(json!({"price_usd": [{"numeric": ["=", 301.5]}]}))
        .no("different", &[("price_usd", n("301.6"))])
        .yes("exponent", &[("price_usd", n("3.015e2"))])
        .yes("same", &[("price_usd", n("301.5"))]);
    let below = FilterCase::attrs(json!({"n": [{"numeric": ["<", 0]}]}))
        .no("zero", &[("n", n("0"))])
        .yes("negative", &[("n", n("-1"))]);
    let at_least = FilterCase::attrs(json!({"n": [{"numeric": [">=", 300]}]}))
        .no("below", &[("n", n("299.99"))])
        .yes("above", &[("n", n("1000"))])
        .yes("equal", &[("n", n("300"))]);
    run_cases(backend, names, "numeric", vec![range, equal, below, at_least]).await
}

/// `exists`: true matches a present key of any type; false matches when the key is absent (and
/// some other attribute is present).
pub async fn filter_exists(backend: &dyn Backend, names: &Names) -> Result<(), ConformanceError> {
    let present = FilterCase::attrs(json!({"store": [{"exists": true}]}))
        .no("absent", &[("other", s("x"))])
        .yes("array", &[("store", arr(r#"["a"]"#))])
        .yes("number", &[("store", n("1"))])
        .yes("string", &[("store", s("fans"))]);
    let absent = FilterCase::attrs(json!({"store": [{"exists": false}]}))
        .no("present", &[("store", n("99")), ("def", n("99"))])
        .yes("absent", &[("def", n("99"))]);
    run_cases(backend, names, "exists", vec![present, absent]).await
}

/// `{"exists": false}` does not match a message without any attribute (SNS docs: "only matches if
/// at least one attribute is present").
pub async fn filter_exists_false_without_attributes(
    backend: &dyn Backend,
    names: &Names,
) -> Result<(), ConformanceError> {
    let case = FilterCase::attrs(json!({"store": [{"exists": false}]}))
        .no("no-attributes", &[])
        .yes("other-attribute", &[("def", n("99"))]);
    run_cases(backend, names, "exists-none", vec![case]).await
}

/// `cidr`: IPv4 and IPv6 blocks; values that are not IP addresses never match.
pub async fn filter_cidr(backend: &dyn Backend, names: &Names) -> Result<(), ConformanceError> {
    let v4 = FilterCase::attrs(json!({"source_ip": [{"cidr": "10.0.0.0/24"}]}))
        .no("outside", &[("source_ip", s("10.0.1.1"))])
        .no("not-an-ip", &[("source_ip", s("10.0.0.256"))])
        .no("text", &[("source_ip", s("example"))])
        .yes("last", &[("source_ip", s("10.0.0.255"))])
        .yes("inside", &[("source_ip", s("10.0.0.1"))]);
    let v6 = FilterCase::attrs(json!({"source_ip": [{"cidr": "2001:db8::/32"}]}))
        .no("outside", &[("source_ip", s("2001:db9::1"))])
        .yes("long-form", &[("source_ip", s("2001:0db8:0000:0000:0000:0000:0000:0001"))])
        .yes("inside", &[("source_ip", s("2001:db8::1"))]);
    run_cases(backend, names, "cidr", vec![v4, v6]).await
}

/// `$or`: alternatives ANDed with the sibling keys, and `$or` alone.
pub async fn filter_or_attributes(backend: &dyn Backend, names: &Names) -> Result<(), ConformanceError> {
    let with_sibling = FilterCase::attrs(json!({
        "source": ["aws.cloudwatch"],
        "$or": [{"metricName": ["CPUUtilization"]}, {"namespace": ["AWS/EC2"]}]
    }))
    .no("no-source", &[("metricName", s("CPUUtilization"))])
    .no("source-only", &[("source", s("aws.cloudwatch"))])
    .no("neither-alternative", &[("source", s("aws.cloudwatch")), ("metricName", s("ReadLatency"))])
    .yes(
        "both-alternatives",
        &[("source", s("aws.cloudwatch")), ("metricName", s("CPUUtilization")), ("namespace", s("AWS/EC2"))],
    )
    .yes("second-alternative", &[("source", s("aws.cloudwatch")), ("namespace", s("AWS/EC2"))])
    .yes("first-alternative", &[("source", s("aws.cloudwatch")), ("metricName", s("CPUUtilization"))]);
    let alone = FilterCase::attrs(json!({"$or": [{"a": ["1"]}, {"b": [{"prefix": "x"}]}]}))
        .no("neither", &[("a", s("2")), ("b", s("yx"))])
        .yes("second", &[("b", s("xy"))])
        .yes("first", &[("a", s("1"))]);
    run_cases(backend, names, "or", vec![with_sibling, alone]).await
}
