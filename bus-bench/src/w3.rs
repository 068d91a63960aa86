//! W3, subscription scaling: one topic with 1, 10, 200 and 10,000 filter policies, in attribute scope
//! (10 attributes) and body scope (~1 KB body); ns per publish (`FilterSet::matching`) as the count grows.
//!
//! Policies and messages are generated deterministically from a seed and look like real routing:
//! mostly exact event types, some entity prefixes, numeric ranges on amounts, exact tiers, countries,
//! channels, an occasional `anything-but`. Each policy is generated once as a list of conditions and
//! written in both scopes (attribute names, or nested body paths).

use std::time::Duration;

use bus_core::filter::{FilterScope, FilterSet, SnsFilterPolicy};
use bus_core::{AttributeValue, Message};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use serde_json::{json, Map, Value};

use crate::error::BenchError;
use crate::measure::{interleaved_loops, Lane, Pass};

const ENTITIES: [&str; 8] = ["ORDER", "USER", "PAYMENT", "INVOICE", "SHIPMENT", "CART", "REVIEW", "SUBSCRIPTION"];
const ACTIONS: [&str; 5] = ["CREATED", "UPDATED", "DELETED", "COMPLETED", "FAILED"];
const REGIONS: [&str; 10] = [
    "eu-west-1",
    "eu-west-2",
    "eu-central-1",
    "us-east-1",
    "us-east-2",
    "us-west-2",
    "ap-southeast-1",
    "ap-northeast-1",
    "sa-east-1",
    "ca-central-1",
];
const REGION_PREFIXES: [&str; 4] = ["eu-", "us-", "ap-", "us-east-"];
const TIERS: [&str; 5] = ["free", "basic", "pro", "gold", "platinum"];
const CHANNELS: [&str; 5] = ["web", "ios", "android", "api", "pos"];
const SOURCES: [&str; 6] = ["checkout", "billing", "crm", "warehouse", "support", "marketing"];
const COUNTRIES: [&str; 16] =
    ["DE", "FR", "GB", "US", "CA", "BR", "JP", "IN", "ES", "IT", "NL", "SE", "PL", "MX", "AU", "SG"];
const CURRENCIES: [&str; 6] = ["EUR", "USD", "GBP", "JPY", "BRL", "CAD"];
const TAGS: [&str; 6] = ["urgent", "vip", "test", "bulk", "gift", "b2b"];

/// One condition of a generated policy: the attribute name, the body path, and the rule list.
#[derive(Debug, Clone)]
struct Condition {
    attribute: &'static str,
    path: &'static [&'static str],
    rules: Value,
}

/// A generated policy, to be written in either scope.
#[derive(Debug, Clone)]
pub struct GeneratedPolicy {
    conditions: Vec<Condition>,
}

impl GeneratedPolicy {
    /// The policy's combinations as AWS counts them in `scope`: the product over its keys of
    /// (number of rules × nesting depth); the depth is always 1 in attribute scope.
    pub fn combinations(&self, scope: FilterScope) -> usize {
        self.conditions
            .iter()
            .map(|c| {
                let rules = c.rules.as_array().map_or(1, Vec::len);
                match scope {
                    FilterScope::MessageAttributes => rules,
                    FilterScope::MessageBody => rules * c.path.len(),
                }
            })
            .product()
    }

    /// The policy as JSON in `scope`: flat attribute names, or nested body paths.
    pub fn to_json(&self, scope: FilterScope) -> Value {
        let mut root = Map::new();
        for c in &self.conditions {
            match scope {
                FilterScope::MessageAttributes => {
                    root.insert(c.attribute.to_owned(), c.rules.clone());
                }
                FilterScope::MessageBody => {
                    let (last, parents) = c.path.split_last().expect("non-empty path");
                    let mut node = &mut root;
                    for p in parents {
                        node = node
                            .entry(p.to_string())
                            .or_insert_with(|| Value::Object(Map::new()))
                            .as_object_mut()
                            .expect("paths only nest objects");
                    }
                    node.insert(last.to_string(), c.rules.clone());
                }
            }
        }
        Value::Object(root)
    }
}

fn event_types() -> Vec<String> {
    ENTITIES.iter().flat_map(|e| ACTIONS.iter().map(move |a| format!("{e}_{a}"))).collect()
}

fn pick<'a>(rng: &mut StdRng, items: &[&'a str], max: usize) -> Vec<&'a str> {
    let k = rng.gen_range(1..=max);
    items.choose_multiple(rng, k).copied().collect()
}

/// Generates `n` policies from `seed`.
pub fn generate_policies(n: usize, seed: u64) -> Vec<GeneratedPolicy> {
    let mut rng = StdRng::seed_from_u64(seed);
    let types = event_types();
    let type_refs: Vec<&str> = types.iter().map(String::as_str).collect();
    (0..n)
        .map(|_| {
            let mut conditions = Vec::new();
            let event_type = if rng.gen_bool(0.9) {
                json!(pick(&mut rng, &type_refs, 3))
            } else {
                json!([{"prefix": format!("{}_", ENTITIES.choose(&mut rng).expect("non-empty"))}])
            };
            conditions.push(Condition { attribute: "event-type", path: &["type"], rules: event_type });
            let mut extras: Vec<u8> = (0..8).collect();
            extras.shuffle(&mut rng);
            let n_extra = [0, 1, 1, 2, 2, 2][rng.gen_range(0..6)];
            for kind in extras.into_iter().take(n_extra) {
                conditions.push(extra_condition(kind, &mut rng));
            }
            GeneratedPolicy { conditions }
        })
        .collect()
}

fn extra_condition(kind: u8, rng: &mut StdRng) -> Condition {
    match kind {
        0 => Condition {
            attribute: "region",
            path: &["detail", "region"],
            rules: if rng.gen_bool(0.5) {
                json!([{"prefix": REGION_PREFIXES.choose(rng).expect("non-empty")}])
            } else {
                json!(pick(rng, &REGIONS, 2))
            },
        },
        1 => {
            let lo = rng.gen_range(0..50) * 20;
            let hi = lo + rng.gen_range(1..50) * 20;
            let rules = if rng.gen_bool(0.7) {
                json!([{"numeric": [">=", lo, "<", hi]}])
            } else {
                json!([{"numeric": [">", lo]}])
            };
            Condition { attribute: "amount", path: &["detail", "amount"], rules }
        }
        2 => Condition {
            attribute: "customer-tier",
            path: &["detail", "customer", "tier"],
            rules: json!(pick(rng, &TIERS, 2)),
        },
        3 => Condition {
            attribute: "channel",
            path: &["detail", "channel"],
            rules: if rng.gen_bool(0.8) {
                json!(pick(rng, &CHANNELS, 2))
            } else {
                json!([{"anything-but": pick(rng, &CHANNELS, 2)}])
            },
        },
        4 => Condition {
            attribute: "country",
            path: &["detail", "customer", "country"],
            rules: json!(pick(rng, &COUNTRIES, 2)),
        },
        5 => Condition {
            attribute: "priority",
            path: &["detail", "priority"],
            rules: json!([{"numeric": [">=", rng.gen_range(1..=10)]}]),
        },
        6 => Condition {
            attribute: "tags",
            path: &["detail", "tags"],
            rules: json!([TAGS.choose(rng).expect("non-empty")]),
        },
        _ => Condition { attribute: "source", path: &["source"], rules: json!(pick(rng, &SOURCES, 2)) },
    }
}

/// Generates `n` messages from `seed`, each carrying the same content as 10 attributes and as a ~1 KB
/// JSON body.
pub fn generate_messages(n: usize, seed: u64) -> Vec<Message> {
    let mut rng = StdRng::seed_from_u64(seed ^ 0x5eed_0f3e_55a9_e5f1);
    let types = event_types();
    (0..n)
        .map(|i| {
            let event_type = types.choose(&mut rng).expect("non-empty").clone();
            let region = *REGIONS.choose(&mut rng).expect("non-empty");
            let amount = f64::from(rng.gen_range(1..500_000u32)) / 100.0;
            let tier = *TIERS.choose(&mut rng).expect("non-empty");
            let channel = *CHANNELS.choose(&mut rng).expect("non-empty");
            let source = *SOURCES.choose(&mut rng).expect("non-empty");
            let priority = rng.gen_range(1..=10);
            let country = *COUNTRIES.choose(&mut rng).expect("non-empty");
            let currency = *CURRENCIES.choose(&mut rng).expect("non-empty");
            let tags: Vec<&str> = pick(&mut rng, &TAGS, 2);
            let items: Vec<Value> = (0..rng.gen_range(9..=13))
                .map(|k| json!({"sku": format!("SKU-{:06}", rng.gen_range(0..1_000_000)), "qty": k + 1,
                                "price": f64::from(rng.gen_range(100..100_000u32)) / 100.0}))
                .collect();
            let body = json!({
                "type": event_type,
                "source": source,
                "id": format!("evt-{seed:x}-{i:08}"),
                "time": format!("2026-05-{:02}T{:02}:{:02}:{:02}Z", 1 + i % 28, i % 24, i % 60, (i * 7) % 60),
                "detail": {
                    "region": region,
                    "amount": amount,
                    "currency": currency,
                    "priority": priority,
                    "channel": channel,
                    "tags": tags,
                    "customer": {"id": format!("cus_{:012}", rng.gen_range(0..1_000_000_000_000u64)), "tier": tier,
                                 "country": country, "email": format!("user{}@example.com", rng.gen_range(0..100_000))},
                    "items": items,
                    "note": "Generated W3 event body padded to about one kilobyte so that parsing cost is realistic for a typical domain event; it carries no meaning beyond its size and is never matched by any policy of the workload.",
                }
            });
            Message::new(body.to_string())
                .with_attribute("event-type", event_type.as_str())
                .with_attribute("region", region)
                .with_attribute("amount", AttributeValue::number(amount))
                .with_attribute("customer-tier", tier)
                .with_attribute("channel", channel)
                .with_attribute("source", source)
                .with_attribute("priority", AttributeValue::number(priority))
                .with_attribute("country", country)
                .with_attribute("currency", currency)
                .with_attribute("tags", AttributeValue::string_array(tags.iter().copied()))
        })
        .collect()
}

/// The figures of one (scope, policy count) case.
#[derive(Debug, Clone)]
pub struct CaseResult {
    /// The scope.
    pub scope: FilterScope,
    /// Number of policies on the topic.
    pub policies: usize,
    /// `FilterSet::matching` per publish.
    pub set: Pass,
    /// One `SnsFilterPolicy::matches` call per policy per publish (the loop a set replaces).
    pub each: Pass,
    /// Messages of the pool for which the set's matching ids differ from the one-by-one loop's
    /// (checked once before timing; 0 when the set is right).
    pub disagreements: usize,
}

/// Builds the topic's `FilterSet` for `policies` in `scope`, and the same policies compiled one by one;
/// every generated policy must be valid.
pub fn build_set(
    policies: &[GeneratedPolicy],
    scope: FilterScope,
) -> Result<(FilterSet, Vec<SnsFilterPolicy>), BenchError> {
    let mut set = FilterSet::new();
    let mut each = Vec::with_capacity(policies.len());
    for (index, p) in policies.iter().enumerate() {
        let compiled = SnsFilterPolicy::from_value(&p.to_json(scope), scope).map_err(|e| {
            BenchError::PolicyRejected { family: format!("W3 {}", scope.as_str()), index, reason: e.reason }
        })?;
        set.insert(index, Some(compiled.clone()));
        each.push(compiled);
    }
    Ok((set, each))
}

/// Measures every policy count of one scope: for each count, `FilterSet::matching` and the one-by-one
/// loop over the first `count` policies, each for about `budget`, all interleaved in `rounds` rounds so
/// that the ratios between counts are measured over the same stretch of time.
pub fn run_scope(
    policies: &[GeneratedPolicy],
    counts: &[usize],
    scope: FilterScope,
    messages: &[Message],
    budget: Duration,
    rounds: u32,
) -> Result<Vec<CaseResult>, BenchError> {
    use bus_core::filter::FilterPolicy;
    let built =
        counts.iter().map(|&n| build_set(&policies[..n.min(policies.len())], scope)).collect::<Result<Vec<_>, _>>()?;
    let disagreements: Vec<usize> = built
        .iter()
        .map(|(set, each)| {
            let mut out = Vec::new();
            messages
                .iter()
                .filter(|m| {
                    out.clear();
                    set.matching(m, &mut out);
                    let expected: Vec<usize> = (0..each.len()).filter(|&i| each[i].matches(m)).collect();
                    out != expected
                })
                .count()
        })
        .collect();
    let mut lanes: Vec<Lane<'_, Message>> = Vec::with_capacity(2 * built.len());
    for (set, each) in &built {
        let mut out = Vec::with_capacity(each.len());
        lanes.push(Box::new(move |m: &Message| {
            out.clear();
            set.matching(m, &mut out);
            out.len()
        }));
        lanes.push(Box::new(move |m: &Message| each.iter().filter(|p| p.matches(m)).count()));
    }
    let passes = interleaved_loops(messages, budget, rounds, &mut lanes);
    Ok(built
        .iter()
        .enumerate()
        .map(|(i, (_, each))| CaseResult {
            scope,
            policies: each.len(),
            set: passes[2 * i],
            each: passes[2 * i + 1],
            disagreements: disagreements[i],
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::naive::NaivePolicy;

    #[test]
    fn run_scope_reports_every_count() {
        let policies = generate_policies(20, 5);
        let messages = generate_messages(10, 5);
        let r = run_scope(&policies, &[1, 20], FilterScope::MessageAttributes, &messages, Duration::ZERO, 2).unwrap();
        assert_eq!(r.iter().map(|c| c.policies).collect::<Vec<_>>(), [1, 20]);
        assert!(r.iter().all(|c| c.set.events > 0 && c.each.events > 0));
        assert!(r.iter().all(|c| c.disagreements == 0), "FilterSet agrees with one-by-one matching");
    }

    #[test]
    fn the_engine_accepts_every_generated_policy_in_both_scopes() {
        let policies = generate_policies(2000, crate::data::CITYLOTS_SEED);
        for scope in [FilterScope::MessageAttributes, FilterScope::MessageBody] {
            let (set, _) = build_set(&policies, scope).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(set.len(), 2000);
        }
    }

    #[test]
    fn generation_is_deterministic() {
        let a: Vec<Value> = generate_policies(50, 7).iter().map(|p| p.to_json(FilterScope::MessageBody)).collect();
        let b: Vec<Value> = generate_policies(50, 7).iter().map(|p| p.to_json(FilterScope::MessageBody)).collect();
        assert_eq!(a, b);
        assert_eq!(generate_messages(5, 7), generate_messages(5, 7));
    }

    #[test]
    fn policies_are_realistic_and_within_sns_limits() {
        let policies = generate_policies(2000, 1);
        let with_exact_type =
            policies.iter().filter(|p| p.conditions[0].rules.as_array().unwrap().iter().all(Value::is_string)).count();
        assert!(with_exact_type > 1600, "mostly exact event types: {with_exact_type}");
        for p in &policies {
            assert!(p.conditions.len() <= 3);
            for scope in [FilterScope::MessageAttributes, FilterScope::MessageBody] {
                assert!(p.combinations(scope) <= 150, "{}", p.to_json(scope));
            }
            let attrs = p.to_json(FilterScope::MessageAttributes);
            assert!(attrs.as_object().unwrap().values().all(Value::is_array), "{attrs}");
        }
    }

    #[test]
    fn messages_have_ten_attributes_and_a_one_kilobyte_body() {
        for m in generate_messages(100, 3) {
            assert_eq!(m.attributes.len(), 10);
            m.validate(bus_core::limits::SNS_MAX_MESSAGE_BYTES).unwrap();
            assert!((800..1400).contains(&m.body.len()), "{}: {}", m.body.len(), m.body);
        }
    }

    #[test]
    fn body_policies_match_some_but_not_all_messages() {
        // Checked with the naive evaluator, independent of the engine under test.
        let policies: Vec<NaivePolicy> = generate_policies(200, 11)
            .iter()
            .map(|p| NaivePolicy::new(&p.to_json(FilterScope::MessageBody)).unwrap())
            .collect();
        let messages = generate_messages(200, 11);
        let matches: usize = messages.iter().map(|m| policies.iter().filter(|p| p.matches_body(&m.body)).count()).sum();
        let rate = matches as f64 / (200.0 * 200.0);
        assert!(rate > 0.001 && rate < 0.2, "match rate {rate}");
    }
}
