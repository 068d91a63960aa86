//! Validation after the grammar: the scope rule and AWS's limits (SPEC §5.2, §6).
//!
//! Order: nested objects in attribute scope, then the 5-key limit, then the 150-combination limit
//! (AWS's relative order of the limit checks is unknown; grammar errors always come first).

use std::collections::BTreeSet;

use super::ast::{Member, PolicyAst};
use super::error::{FilterError, FilterErrorKind};
use super::FilterScope;

/// Maximum number of keys (distinct leaf key paths) in a policy.
pub const MAX_KEYS: usize = 5;
/// Maximum number of combinations.
pub const MAX_COMBINATIONS: u64 = 150;
/// Maximum size of a policy's JSON text, in bytes (256 KB).
pub const MAX_POLICY_BYTES: usize = 256 * 1024;

/// What validation measured, kept on the compiled policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Measures {
    pub(crate) keys: usize,
    pub(crate) combinations: u64,
}

/// Checks the scope rule and the limits.
pub(crate) fn validate(ast: &PolicyAst, scope: FilterScope) -> Result<Measures, FilterError> {
    if scope == FilterScope::MessageAttributes && ast.members.iter().any(Member::has_nested) {
        return Err(FilterError::new(
            FilterErrorKind::NestedInAttributeScope,
            "Filter policy scope MessageAttributes does not support nested filter policy",
        ));
    }
    let keys = key_count(ast);
    if keys > MAX_KEYS {
        return Err(FilterError::new(
            FilterErrorKind::TooManyKeys,
            format!("Filter policy can not have more than {MAX_KEYS} keys"),
        ));
    }
    let combinations = combinations(ast);
    if combinations > MAX_COMBINATIONS {
        return Err(FilterError::new(FilterErrorKind::TooComplex, "Filter policy is too complex"));
    }
    Ok(Measures { keys, combinations })
}

/// The error for a policy text over 256 KB (AWS's text is undocumented).
pub(crate) fn too_large(bytes: usize) -> FilterError {
    FilterError::new(
        FilterErrorKind::TooLarge,
        format!("FilterPolicy is too large: {bytes} bytes, the limit is {MAX_POLICY_BYTES} bytes (256 KB)"),
    )
}

/// Number of distinct leaf key paths (`a.b` and `{"a":{"b":..}}` are one key), across all `$or` branches.
pub(crate) fn key_count(ast: &PolicyAst) -> usize {
    fn walk(members: &[Member], prefix: &str, out: &mut BTreeSet<String>) {
        for m in members {
            match m {
                Member::Leaf { key, .. } => {
                    out.insert(join(prefix, key));
                }
                Member::Nested { key, members } => walk(members, &join(prefix, key), out),
                Member::Or { alternatives } => {
                    for alt in alternatives {
                        walk(alt, prefix, out);
                    }
                }
            }
        }
    }
    let mut paths = BTreeSet::new();
    walk(&ast.members, "", &mut paths);
    paths.len()
}

/// Combinations, AWS's way (SPEC §6.2): expand `$or` into branches; a leaf key weighs
/// (number of rules) × (its object depth, top level = 1); a branch is the product of its weights and the
/// policy the sum over branches. Computed without expanding: an AND-group is the product of its parts and
/// an `$or` the sum of its alternatives. Saturating, so huge policies cannot overflow.
pub(crate) fn combinations(ast: &PolicyAst) -> u64 {
    fn group(members: &[Member], depth: u64) -> u64 {
        members.iter().fold(1u64, |acc, m| {
            let part = match m {
                Member::Leaf { rules, .. } => (rules.len() as u64).saturating_mul(depth),
                Member::Nested { members, .. } => group(members, depth + 1),
                Member::Or { alternatives } => {
                    alternatives.iter().fold(0u64, |sum, alt| sum.saturating_add(group(alt, depth)))
                }
            };
            acc.saturating_mul(part)
        })
    }
    if ast.members.is_empty() {
        return 0;
    }
    group(&ast.members, 1)
}

/// Joins a key path prefix and a key with `.`.
pub(crate) fn join(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_owned()
    } else {
        format!("{prefix}.{key}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filter::json::Json;
    use crate::filter::parse::parse_policy;

    fn ast(text: &str) -> PolicyAst {
        parse_policy(&Json::parse(text).unwrap()).unwrap()
    }

    fn values(prefix: &str, n: usize) -> String {
        let v: Vec<String> = (0..n).map(|i| format!("\"{prefix}{i}\"")).collect();
        format!("[{}]", v.join(","))
    }

    #[test]
    fn worked_example_of_the_and_or_page_is_32() {
        let a = ast(r#"{"$or":[{"metricName":["CPUUtilization","ReadLatency"]},{"namespace":["AWS/EC2","AWS/ES"]}],
                "detail":{"scope":["Service"],"$or":[{"source":["aws.cloudwatch"]},{"type":["CloudWatch Alarm State Change"]}]}}"#);
        assert_eq!(combinations(&a), 32);
        assert_eq!(key_count(&a), 5);
        assert!(validate(&a, FilterScope::MessageBody).is_ok());
    }

    #[test]
    fn constraints_page_examples_72_and_216() {
        let a = ast(r#"{"key_a":{"key_b":{"key_c":["value_one","value_two","value_three","value_four"]}},
                "key_d":{"key_e":["value_one","value_two","value_three"]}}"#);
        assert_eq!(combinations(&a), 72);
        let b = ast(r#"{"key_a":{"key_b":{"key_c":["value_one","value_two","value_three","value_four"]}},
                "key_d":{"key_e":["value_one","value_two","value_three"]},
                "key_f":["value_one","value_two","value_three"]}"#);
        assert_eq!(combinations(&b), 216);
        assert_eq!(validate(&b, FilterScope::MessageBody).unwrap_err().reason, "Filter policy is too complex");
    }

    #[test]
    fn nested_or_examples_150_and_152() {
        let p = |s: usize, m: usize, t: usize, i: usize, sp: usize| {
            format!(
                r#"{{"source":{},"$or":[{{"metricName":{}}},{{"metricType":{},"$or":[{{"metricId":{}}},{{"spaceId":{}}}]}}]}}"#,
                values("s", s),
                values("m", m),
                values("t", t),
                values("i", i),
                values("p", sp)
            )
        };
        // 3·6 + 3·4·4 + 3·4·7 = 150: accepted.
        let ok = ast(&p(3, 6, 4, 4, 7));
        assert_eq!(combinations(&ok), 150);
        assert!(validate(&ok, FilterScope::MessageAttributes).is_ok());
        // 4·6 + 4·4·4 + 4·4·4 = 152: rejected.
        let too = ast(&p(4, 6, 4, 4, 4));
        assert_eq!(combinations(&too), 152);
        assert_eq!(validate(&too, FilterScope::MessageAttributes).unwrap_err().kind, FilterErrorKind::TooComplex);
    }

    #[test]
    fn flat_and_depth_weights() {
        assert_eq!(combinations(&ast(&format!(r#"{{"a":{}}}"#, values("v", 150)))), 150);
        assert_eq!(combinations(&ast(&format!(r#"{{"a":{},"b":["x","y","z"]}}"#, values("v", 50)))), 150);
        assert_eq!(combinations(&ast(&format!(r#"{{"a":{{"b":{{"c":{}}}}}}}"#, values("v", 51)))), 153);
        assert_eq!(
            combinations(&ast(&format!(r#"{{"$or":[{{"a":{}}},{{"b":{}}}]}}"#, values("a", 76), values("b", 75)))),
            151
        );
        assert_eq!(combinations(&ast(r#"{"a.b.c":["x","y"]}"#)), 2, "a dotted key is at depth 1");
        assert_eq!(combinations(&ast("{}")), 0);
    }

    #[test]
    fn key_limits() {
        let six = ast(r#"{"k1":["a"],"k2":["a"],"k3":["a"],"k4":["a"],"k5":["a"],"k6":["a"]}"#);
        assert_eq!(
            validate(&six, FilterScope::MessageAttributes).unwrap_err().reason,
            "Filter policy can not have more than 5 keys"
        );
        let nested = ast(r#"{"state":["SUCCESS"],"severity":[{"exists":true}],"message":[{"exists":true}],
                "finding":{"standard_control":[{"exists":true}],"region":[{"exists":true}],"account":[{"exists":true}]}}"#);
        assert_eq!(key_count(&nested), 6);
        assert_eq!(key_count(&ast(r#"{"a.b":["x"],"a":{"b":["y"]}}"#)), 1);
        assert_eq!(key_count(&ast(r#"{"$or":[{"a":["x"]},{"a":["y"]}]}"#)), 1);
    }

    #[test]
    fn nested_objects_are_refused_in_attribute_scope() {
        let e =
            validate(&ast(r#"{"$or":[{"a":{"b":["x"]}},{"c":["y"]}]}"#), FilterScope::MessageAttributes).unwrap_err();
        assert_eq!(e.kind, FilterErrorKind::NestedInAttributeScope);
        assert!(validate(&ast(r#"{"a":{"b":["x"]}}"#), FilterScope::MessageBody).is_ok());
    }
}
