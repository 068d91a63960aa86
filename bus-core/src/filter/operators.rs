//! Match expressions (`{"prefix": ...}`, `{"numeric": [...]}`, ...) with event-ruler's error texts and
//! check order: the operand of the first key is checked before the "one key only" rule.

use super::ast::{AnythingBut, Rule};
use super::cidr::Cidr;
use super::error::FilterError;
use super::json::Json;
use super::number::{in_policy_range, out_of_range_operand, quantize, Bound, NumericRange};
use super::wildcard::Wildcard;

const ONLY_ONE_KEY: &str = "Only one key allowed in match expression";

fn one_key(members: &[(String, Json)], too_many: &str) -> Result<(), FilterError> {
    if members.len() > 1 {
        Err(FilterError::grammar(too_many))
    } else {
        Ok(())
    }
}

fn string_operand<'a>(op: &str, operand: &'a Json) -> Result<&'a str, FilterError> {
    match operand {
        Json::String(s) => Ok(s),
        _ => Err(FilterError::grammar(format!("{op} match pattern must be a string"))),
    }
}

/// Parses one match expression (a JSON object inside a rule list).
pub(crate) fn parse_match_expression(members: &[(String, Json)]) -> Result<Rule, FilterError> {
    let Some((op, operand)) = members.first() else {
        return Err(FilterError::grammar("Match expression name not found"));
    };
    let rule = match op.as_str() {
        "prefix" => Rule::Prefix(string_operand(op, operand)?.to_owned()),
        "suffix" => Rule::Suffix(string_operand(op, operand)?.to_owned()),
        "equals-ignore-case" => Rule::EqualsIgnoreCase(string_operand(op, operand)?.to_owned()),
        "wildcard" => Rule::Wildcard(Wildcard::parse(string_operand(op, operand)?).map_err(FilterError::grammar)?),
        // AWS really says "prefix" for a non-string cidr operand.
        "cidr" => Rule::Cidr(Cidr::parse(string_operand("prefix", operand)?).map_err(FilterError::grammar)?),
        "exists" => match operand {
            Json::Bool(b) => Rule::Exists(*b),
            _ => return Err(FilterError::grammar("exists match pattern must be either true or false.")),
        },
        "numeric" => {
            let Json::Array(items) = operand else {
                return Err(FilterError::grammar("Value of numeric must be an array."));
            };
            let range = parse_numeric(items)?;
            one_key(members, "Too many elements in numeric expression")?;
            return Ok(Rule::Numeric(range));
        }
        "anything-but" => Rule::AnythingBut(parse_anything_but(operand)?),
        other => return Err(FilterError::grammar(format!("Unrecognized match type {other}"))),
    };
    one_key(members, ONLY_ONE_KEY)?;
    Ok(rule)
}

fn parse_anything_but(operand: &Json) -> Result<AnythingBut, FilterError> {
    match operand {
        Json::Object(inner) => {
            let Some((op, value)) = inner.first() else {
                return Err(FilterError::grammar("Anything-But expression name not found"));
            };
            let parsed = match op.as_str() {
                "prefix" | "suffix" => {
                    let s = string_operand(op, value)?;
                    if s.is_empty() {
                        return Err(FilterError::grammar("Null prefix/suffix not allowed"));
                    }
                    if op == "prefix" {
                        AnythingBut::Prefix(s.to_owned())
                    } else {
                        AnythingBut::Suffix(s.to_owned())
                    }
                }
                "wildcard" => {
                    AnythingBut::Wildcard(Wildcard::parse(string_operand(op, value)?).map_err(FilterError::grammar)?)
                }
                other => return Err(FilterError::grammar(format!("Unsupported anything-but pattern: {other}"))),
            };
            one_key(inner, ONLY_ONE_KEY)?;
            Ok(parsed)
        }
        Json::String(s) => Ok(AnythingBut::Strings(vec![s.clone()])),
        Json::Number(v, text) => Ok(AnythingBut::Numbers(vec![checked_quantum(*v, text)?])),
        Json::Array(items) => {
            let mut strings = Vec::new();
            let mut numbers = Vec::new();
            for item in items {
                match item {
                    Json::String(s) => strings.push(s.clone()),
                    Json::Number(v, text) => numbers.push(checked_quantum(*v, text)?),
                    _ => {
                        return Err(FilterError::grammar(
                            "Inside anything but list, start|null|boolean is not supported.",
                        ))
                    }
                }
            }
            match (strings.is_empty(), numbers.is_empty()) {
                (false, true) => Ok(AnythingBut::Strings(strings)),
                (true, false) => Ok(AnythingBut::Numbers(numbers)),
                _ => Err(FilterError::grammar(
                    "Inside anything but list, either all values are number or string, mixed type is not supported",
                )),
            }
        }
        Json::Bool(_) | Json::Null => {
            Err(FilterError::grammar("Value of anything-but must be an array or single string/number value."))
        }
    }
}

fn checked_quantum(v: f64, text: &str) -> Result<i64, FilterError> {
    if in_policy_range(v) {
        Ok(quantize(v))
    } else {
        Err(out_of_range_operand(text))
    }
}

/// The token AWS prints for a missing element: the closing bracket.
fn token(item: Option<&Json>) -> String {
    item.map_or_else(|| "]".to_owned(), Json::token_text)
}

fn numeric_operand(op: &str, item: Option<&Json>) -> Result<(f64, String), FilterError> {
    match item {
        Some(Json::Number(v, text)) => Ok((*v, text.clone())),
        _ => {
            let name = if op == "=" { "equals" } else { op };
            Err(FilterError::grammar(format!("Value of {name} must be numeric")))
        }
    }
}

/// Parses the array operand of `numeric`.
fn parse_numeric(items: &[Json]) -> Result<NumericRange, FilterError> {
    let op = match items.first() {
        Some(Json::String(op)) => op.as_str(),
        other => return Err(FilterError::grammar(format!("Invalid member in numeric match: {}", token(other)))),
    };
    let too_many = || FilterError::grammar("Too many elements in numeric expression");
    match op {
        "=" | "<" | "<=" => {
            let (v, text) = numeric_operand(op, items.get(1))?;
            if items.len() > 2 {
                return Err(too_many());
            }
            let q = checked_quantum(v, &text)?;
            Ok(match op {
                "=" => NumericRange {
                    lower: Some(Bound { value: q, inclusive: true }),
                    upper: Some(Bound { value: q, inclusive: true }),
                },
                "<" => NumericRange { lower: None, upper: Some(Bound { value: q, inclusive: false }) },
                _ => NumericRange { lower: None, upper: Some(Bound { value: q, inclusive: true }) },
            })
        }
        ">" | ">=" => {
            let (low, low_text) = numeric_operand(op, items.get(1))?;
            let lower_inclusive = op == ">=";
            if items.len() == 2 {
                let q = checked_quantum(low, &low_text)?;
                return Ok(NumericRange { lower: Some(Bound { value: q, inclusive: lower_inclusive }), upper: None });
            }
            let op2 = match &items[2] {
                Json::String(op2) => op2.as_str(),
                other => {
                    return Err(FilterError::grammar(format!("Bad value in numeric range: {}", other.token_text())))
                }
            };
            if op2 != "<" && op2 != "<=" {
                return Err(FilterError::grammar(format!("Bad numeric range operator: {op2}")));
            }
            let (high, high_text) = numeric_operand(op2, items.get(3))?;
            if items.len() > 4 {
                return Err(FilterError::grammar("Too many terms in numeric range expression"));
            }
            let lo = checked_quantum(low, &low_text)?;
            let hi = checked_quantum(high, &high_text)?;
            if lo >= hi {
                return Err(FilterError::grammar("Bottom must be less than top"));
            }
            Ok(NumericRange {
                lower: Some(Bound { value: lo, inclusive: lower_inclusive }),
                upper: Some(Bound { value: hi, inclusive: op2 == "<=" }),
            })
        }
        other => Err(FilterError::grammar(format!("Unrecognized numeric range operator: {other}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filter::error::FilterErrorKind;

    fn expr(text: &str) -> Result<Rule, FilterError> {
        let Json::Object(members) = Json::parse(text).unwrap() else { panic!("not an object") };
        parse_match_expression(&members)
    }

    fn err(text: &str) -> String {
        expr(text).unwrap_err().reason
    }

    #[test]
    fn numeric_forms() {
        let r = |t: &str| match expr(t).unwrap() {
            Rule::Numeric(r) => r,
            other => panic!("{other:?}"),
        };
        assert!(r(r#"{"numeric": ["=", 301.5]}"#).contains(quantize(3.015e2)));
        assert!(r(r#"{"numeric": [">", 0, "<=", 150]}"#).contains(quantize(150.0)));
        assert!(!r(r#"{"numeric": [">=", 1, "<", 2]}"#).contains(quantize(2.0)));
        assert!(r(r#"{"numeric": ["<=", 1000000000]}"#).contains(quantize(1e9)));
    }

    #[test]
    fn numeric_errors() {
        assert_eq!(err(r#"{"numeric": []}"#), "Invalid member in numeric match: ]");
        assert_eq!(err(r#"{"numeric": ["operator"]}"#), "Unrecognized numeric range operator: operator");
        assert_eq!(err(r#"{"numeric": [1, "<="]}"#), "Invalid member in numeric match: 1");
        assert_eq!(err(r#"{"numeric": ["<", 100, ">", 10]}"#), "Too many elements in numeric expression");
        assert_eq!(err(r#"{"numeric": [">=", 1, ">", 2]}"#), "Bad numeric range operator: >");
        assert_eq!(err(r#"{"numeric": [">", 3, "<", 1]}"#), "Bottom must be less than top");
        assert_eq!(err(r#"{"numeric": [">=", 5, "<=", 5]}"#), "Bottom must be less than top");
        assert_eq!(err(r#"{"numeric": [">", 20, "<="]}"#), "Value of <= must be numeric");
        assert_eq!(err(r#"{"numeric": [">", 20, 30]}"#), "Bad value in numeric range: 30");
        assert_eq!(err(r#"{"numeric": [">", 20, "test"]}"#), "Bad numeric range operator: test");
        assert_eq!(err(r#"{"numeric": [">", "20", "<", "30"]}"#), "Value of > must be numeric");
        assert_eq!(err(r#"{"numeric": ["=", "1"]}"#), "Value of equals must be numeric");
        assert_eq!(err(r#"{"numeric": ["<"]}"#), "Value of < must be numeric");
        assert_eq!(err(r#"{"numeric": ["=", 1, "<", 5]}"#), "Too many elements in numeric expression");
        assert_eq!(err(r#"{"numeric": [">", 1, "<", 5, 6]}"#), "Too many terms in numeric range expression");
        assert_eq!(err(r#"{"numeric": ">"}"#), "Value of numeric must be an array.");
        assert_eq!(err(r#"{"numeric": ["=", 1], "x": 1}"#), "Too many elements in numeric expression");
        let e = expr(r#"{"numeric": [">", 10000000000]}"#).unwrap_err();
        assert_eq!(e.kind, FilterErrorKind::NumberOutOfRange);
        assert!(e.aws_message().contains("FilterPolicy"));
    }

    #[test]
    fn string_operators() {
        assert_eq!(expr(r#"{"prefix": "a"}"#).unwrap(), Rule::Prefix("a".into()));
        assert_eq!(err(r#"{"prefix": 123}"#), "prefix match pattern must be a string");
        assert_eq!(err(r#"{"prefix": null}"#), "prefix match pattern must be a string");
        assert_eq!(err(r#"{"prefix": {"equals-ignore-case": "a"}}"#), "prefix match pattern must be a string");
        assert_eq!(err(r#"{"suffix": []}"#), "suffix match pattern must be a string");
        assert_eq!(err(r#"{"equals-ignore-case": 5}"#), "equals-ignore-case match pattern must be a string");
        assert_eq!(err(r#"{"wildcard": 7}"#), "wildcard match pattern must be a string");
        assert_eq!(err(r#"{"wildcard": "a**b"}"#), "Consecutive wildcard characters at pos 2");
        assert_eq!(err(r#"{"cidr": ["x"]}"#), "prefix match pattern must be a string");
        assert_eq!(err(r#"{"cidr": "bad-filter"}"#), "Malformed CIDR, one '/' required");
        assert_eq!(err(r#"{"suffix": "value", "prefix": "value2"}"#), ONLY_ONE_KEY);
        assert_eq!(err(r#"{"suffix": null, "prefix": "value2"}"#), "suffix match pattern must be a string");
        assert_eq!(err(r#"{"exists": true, "prefix": "a"}"#), ONLY_ONE_KEY);
        assert_eq!(err(r#"{"exists": "true"}"#), "exists match pattern must be either true or false.");
        assert_eq!(err(r#"{}"#), "Match expression name not found");
        assert_eq!(err(r#"{"exactly": "a"}"#), "Unrecognized match type exactly");
    }

    #[test]
    fn anything_but_forms_and_errors() {
        assert_eq!(
            expr(r#"{"anything-but": ["a", "b"]}"#).unwrap(),
            Rule::AnythingBut(AnythingBut::Strings(vec!["a".into(), "b".into()]))
        );
        assert_eq!(
            expr(r#"{"anything-but": 100}"#).unwrap(),
            Rule::AnythingBut(AnythingBut::Numbers(vec![100_000_000]))
        );
        assert_eq!(
            expr(r#"{"anything-but": {"suffix": "ball"}}"#).unwrap(),
            Rule::AnythingBut(AnythingBut::Suffix("ball".into()))
        );
        assert!(matches!(
            expr(r#"{"anything-but": {"wildcard": "*ball"}}"#).unwrap(),
            Rule::AnythingBut(AnythingBut::Wildcard(_))
        ));
        assert_eq!(
            err(r#"{"anything-but": {"wrong-operator": null}}"#),
            "Unsupported anything-but pattern: wrong-operator"
        );
        assert_eq!(err(r#"{"anything-but": {"exists": false}}"#), "Unsupported anything-but pattern: exists");
        assert_eq!(err(r#"{"anything-but": {"prefix": false}}"#), "prefix match pattern must be a string");
        assert_eq!(err(r#"{"anything-but": {"prefix": ""}}"#), "Null prefix/suffix not allowed");
        assert_eq!(err(r#"{"anything-but": {}}"#), "Anything-But expression name not found");
        assert_eq!(
            err(r#"{"anything-but": true}"#),
            "Value of anything-but must be an array or single string/number value."
        );
        assert!(err(r#"{"anything-but": ["a", 1]}"#).contains("mixed type is not supported"));
        assert!(err(r#"{"anything-but": []}"#).contains("mixed type is not supported"));
        assert!(err(r#"{"anything-but": [true]}"#).contains("is not supported"));
        assert!(err(r#"{"anything-but": [null]}"#).contains("is not supported"));
        assert_eq!(expr(r#"{"anything-but": [1e10]}"#).unwrap_err().kind, FilterErrorKind::NumberOutOfRange);
    }
}
