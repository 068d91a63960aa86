//! Grammar: the JSON tree of a policy → [`PolicyAst`], with AWS's (event-ruler's) error texts.
//!
//! Members are checked in document order and the first problem wins, as AWS's streaming parser does.
//! Match expressions (`prefix`, `numeric`, ...) are parsed in [`super::operators`].

use super::ast::{Literal, Member, PolicyAst, Rule};
use super::error::FilterError;
use super::json::Json;
use super::number::{in_policy_range, out_of_range_literal, quantize};
use super::operators::parse_match_expression;

/// The keyword of the OR operator.
pub(crate) const OR_KEY: &str = "$or";

/// Field names that make an `$or` array an ordinary field (event-ruler's
/// `RESERVED_FIELD_NAMES_IN_OR_RELATIONSHIP`).
const RESERVED_IN_OR: &[&str] = &[
    "exactly",
    "equals-ignore-case",
    "prefix",
    "suffix",
    "anything-but",
    "exists",
    "wildcard",
    "numeric",
    "cidr",
    "=",
    "<",
    "<=",
    ">",
    ">=",
    "regex",
    "not-wildcard",
    "not-equals-ignore-case",
    "date-after",
    "date-on-or-after",
    "date-before",
    "date-on-or-before",
    "in-date-range",
    "ip-address-in-range",
    "ip-address-not-in-range",
];

/// Parses a policy tree. `{}` is the match-everything policy.
pub(crate) fn parse_policy(json: &Json) -> Result<PolicyAst, FilterError> {
    let Json::Object(members) = json else {
        return Err(FilterError::grammar("Filter is not an object"));
    };
    if members.is_empty() {
        return Ok(PolicyAst { members: Vec::new() });
    }
    Ok(PolicyAst { members: parse_object(members)? })
}

/// Parses the members of one (non-empty) policy object.
fn parse_object(members: &[(String, Json)]) -> Result<Vec<Member>, FilterError> {
    if members.is_empty() {
        return Err(FilterError::grammar("Empty objects are not allowed"));
    }
    let mut out = Vec::with_capacity(members.len());
    for (key, value) in members {
        if key == OR_KEY {
            if let Some(alternatives) = or_alternatives(value) {
                let alternatives = alternatives.iter().map(|alt| parse_object(alt)).collect::<Result<_, _>>()?;
                out.push(Member::Or { alternatives });
                continue;
            }
            // Otherwise `$or` is an ordinary field name (SPEC §4.3).
        }
        out.push(match value {
            Json::Object(inner) => Member::Nested { key: key.clone(), members: parse_object(inner)? },
            Json::Array(items) => Member::Leaf { key: key.clone(), rules: parse_rules(items)? },
            _ => return Err(FilterError::grammar(format!("\"{key}\" must be an object or an array"))),
        });
    }
    Ok(out)
}

/// If `value` is a valid `$or` operand (an array of at least two objects, none of which uses a reserved
/// operator keyword as a field name at any depth), its objects' members.
fn or_alternatives(value: &Json) -> Option<Vec<&[(String, Json)]>> {
    let Json::Array(items) = value else { return None };
    if items.len() < 2 {
        return None;
    }
    let mut alternatives = Vec::with_capacity(items.len());
    for item in items {
        let Json::Object(members) = item else { return None };
        if uses_reserved_name(members) {
            return None;
        }
        alternatives.push(members.as_slice());
    }
    Some(alternatives)
}

fn uses_reserved_name(members: &[(String, Json)]) -> bool {
    members.iter().any(|(key, value)| {
        RESERVED_IN_OR.contains(&key.as_str())
            || match value {
                Json::Object(inner) => uses_reserved_name(inner),
                Json::Array(items) if key == OR_KEY => items.iter().any(|item| match item {
                    Json::Object(inner) => uses_reserved_name(inner),
                    _ => false,
                }),
                _ => false,
            }
    })
}

/// Parses a rule list (the array value of a leaf key).
fn parse_rules(items: &[Json]) -> Result<Vec<Rule>, FilterError> {
    let mut rules = Vec::with_capacity(items.len());
    for item in items {
        rules.push(match item {
            Json::String(s) => Rule::Literal(Literal::String(s.clone())),
            Json::Number(v, text) => {
                if !in_policy_range(*v) {
                    return Err(out_of_range_literal(text));
                }
                Rule::Literal(Literal::Number(quantize(*v)))
            }
            Json::Bool(b) => Rule::Literal(Literal::Bool(*b)),
            Json::Null => Rule::Literal(Literal::Null),
            Json::Object(members) => parse_match_expression(members)?,
            Json::Array(_) => {
                return Err(FilterError::grammar("Match value must be String, number, true, false, or null"))
            }
        });
    }
    if rules.is_empty() {
        return Err(FilterError::grammar("Empty arrays are not allowed"));
    }
    Ok(rules)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<PolicyAst, FilterError> {
        parse_policy(&Json::parse(text)?)
    }

    fn err(text: &str) -> String {
        parse(text).unwrap_err().reason
    }

    #[test]
    fn or_is_recognised_only_with_two_plain_objects() {
        let ast = parse(r#"{"a": ["x"], "$or": [{"b": ["y"]}, {"c": {"d": ["z"]}}]}"#).unwrap();
        assert!(matches!(ast.members[1], Member::Or { ref alternatives } if alternatives.len() == 2));

        // Reserved operator names make `$or` a plain field with match expressions.
        let ast = parse(r#"{"$or": [{"numeric": [">", 1]}, {"prefix": "abc"}]}"#).unwrap();
        assert!(matches!(ast.members[0], Member::Leaf { ref key, ref rules } if key == "$or" && rules.len() == 2));
        assert_eq!(err(r#"{"$or": [{"a": ["x"]}]}"#), "Unrecognized match type a");
        assert_eq!(err(r#"{"$or": [{"numeric": 123}, {"prefix": "abc"}]}"#), "Value of numeric must be an array.");
        // A reserved name deeper inside an alternative also disables `$or`.
        assert_eq!(err(r#"{"$or": [{"a": {"prefix": ["x"]}}, {"b": ["y"]}]}"#), "Unrecognized match type a");
        // `$or` with an object value is a nested key named `$or`.
        let ast = parse(r#"{"$or": {"a": ["x"]}}"#).unwrap();
        assert!(matches!(ast.members[0], Member::Nested { ref key, .. } if key == "$or"));
    }

    #[test]
    fn grammar_errors_in_document_order() {
        assert_eq!(
            err(r#"{"key": {"suffix": "value", "prefix": "value"}}"#),
            "\"suffix\" must be an object or an array"
        );
        assert_eq!(
            err(r#"{"key": ["a", {"prefix": "b"}, ["c"]]}"#),
            "Match value must be String, number, true, false, or null"
        );
        assert_eq!(err(r#"{"key": [{"prefix": "a"}, {"suffix": 5}]}"#), "suffix match pattern must be a string");
        assert_eq!(err(r#"{"key": []}"#), "Empty arrays are not allowed");
        assert_eq!(err(r#"{"a": {}}"#), "Empty objects are not allowed");
        assert_eq!(err(r#"{"$or": [{}, {"a": ["x"]}]}"#), "Empty objects are not allowed");
        assert_eq!(err(r#"["a"]"#), "Filter is not an object");
        assert_eq!(err(r#"{"key": 5}"#), "\"key\" must be an object or an array");
    }

    #[test]
    fn literals() {
        let ast = parse(r#"{"k": ["s", 1.5, true, false, null]}"#).unwrap();
        let Member::Leaf { rules, .. } = &ast.members[0] else { panic!("not a leaf") };
        assert_eq!(
            rules,
            &vec![
                Rule::Literal(Literal::String("s".into())),
                Rule::Literal(Literal::Number(1_500_000)),
                Rule::Literal(Literal::Bool(true)),
                Rule::Literal(Literal::Bool(false)),
                Rule::Literal(Literal::Null),
            ]
        );
        let e = parse(r#"{"store": [1000000001]}"#).unwrap_err();
        assert_eq!(e.kind, super::super::error::FilterErrorKind::Internal);
        assert!(parse(r#"{"store": [1000000000, -1000000000]}"#).is_ok());
    }

    #[test]
    fn empty_policy() {
        assert!(parse("{}").unwrap().members.is_empty());
    }
}
