//! Numbers as SNS filter policies compare them: by value, quantised to 10⁻⁶ (SPEC §7).
//!
//! Every number (policy operand, Number attribute, JSON number in a body or String.Array) becomes an
//! `i64` count of millionths. Two numbers are equal, and ordered, as their quantised values. AWS documents
//! five digits of accuracy after the decimal point; event-ruler and moto keep six. The value is rounded to the
//! nearest millionth rather than floored: binary floating point cannot represent most decimals exactly
//! (`0.000003 * 1e6` is `2.9999999999999996`), and rounding keeps every decimal with at most six fractional
//! digits on its exact quantum. Values beyond ±9.2·10¹² saturate, which keeps their order against every
//! policy operand (those are limited to ±10⁹).

use super::error::{FilterError, FilterErrorKind};

/// A quantised number: the value times 10⁶, rounded.
pub(crate) type Quantum = i64;

/// The largest magnitude AWS accepts for a policy number (SPEC §6.4).
pub(crate) const POLICY_NUMBER_LIMIT: f64 = 1_000_000_000.0;

/// Quantises `v` to millionths (saturating; NaN, which JSON cannot produce, maps to 0).
pub(crate) fn quantize(v: f64) -> Quantum {
    (v * 1_000_000.0).round() as i64
}

/// Quantises the text of a number in JSON or SNS Number syntax (already validated). Decimals with at
/// most 15 significant digits and 6 fractional digits whose quantum stays below 2⁵¹ are converted with
/// integer arithmetic, which gives exactly what `quantize(text.parse::<f64>())` gives (the float path is
/// off by less than half a quantum there) at a fraction of the cost. So are decimals with more fractional
/// digits (GeoJSON coordinates) whose quantum stays below 2⁴⁰ and whose digits after the sixth are not
/// within a thousandth of a half quantum: there the float path errs by less than 2⁻¹² quantum, so it
/// rounds the same way as the exact decimal. Anything else takes the float path.
pub(crate) fn quantize_text(text: &str) -> Option<Quantum> {
    let b = text.as_bytes();
    let (negative, digits) = match b.first() {
        Some(b'-') => (true, &b[1..]),
        Some(b'+') => (false, &b[1..]),
        _ => (false, b),
    };
    // The integer part and the first six fractional digits make the mantissa (in quanta).
    // At most 15 significant digits: the mantissa stays below 10¹⁵ (leading zeros leave it at 0).
    const SIGNIFICANT: i64 = 1_000_000_000_000_000;
    let mut mantissa: i64 = 0;
    let mut i = 0;
    while let Some(&c) = digits.get(i).filter(|c| c.is_ascii_digit()) {
        mantissa = mantissa * 10 + i64::from(c - b'0');
        if mantissa >= SIGNIFICANT {
            return slow_quantize(text);
        }
        i += 1;
    }
    let whole_digits = i;
    let mut fraction = 0u32;
    // The 7th to 9th fractional digits, as thousandths of a quantum.
    let mut rest = 0u32;
    if digits.get(i) == Some(&b'.') {
        i += 1;
        while let Some(&c) = digits.get(i).filter(|c| c.is_ascii_digit()) {
            if fraction < 6 {
                mantissa = mantissa * 10 + i64::from(c - b'0');
                if mantissa >= SIGNIFICANT {
                    return slow_quantize(text);
                }
            } else if fraction < 9 {
                rest = rest * 10 + u32::from(c - b'0');
            }
            fraction += 1;
            i += 1;
        }
    }
    if i != digits.len() || whole_digits as u32 + fraction == 0 {
        return slow_quantize(text);
    }
    let scaled = if fraction > 6 {
        let rest = rest * 10u32.pow(9 - fraction.min(9));
        match rest {
            _ if mantissa >= 1 << 40 => return slow_quantize(text),
            0..=498 => mantissa,
            501..=999 => mantissa + 1,
            _ => return slow_quantize(text),
        }
    } else {
        match mantissa.checked_mul(10i64.pow(6 - fraction)) {
            Some(scaled) if scaled < 1 << 51 => scaled,
            _ => return slow_quantize(text),
        }
    };
    Some(if negative { -scaled } else { scaled })
}

/// The float path; a value beyond `f64` (`1e400`) becomes ±infinity and saturates, as AWS's parser
/// (Jackson) reads it as a double.
fn slow_quantize(text: &str) -> Option<Quantum> {
    text.trim().parse::<f64>().ok().map(quantize)
}

/// Quantises a `Number` attribute value; `None` if it is not a finite number in SNS Number syntax (SNS
/// refuses such attributes at publish time).
pub(crate) fn sns_number_quantum(text: &str) -> Option<Quantum> {
    parse_sns_number(text)?;
    quantize_text(text.trim())
}

/// Parses a `Number` attribute value (SNS Number syntax: optional sign, digits with an optional fraction,
/// optional exponent; surrounding whitespace ignored). `None` if it is not a finite number.
pub(crate) fn parse_sns_number(text: &str) -> Option<f64> {
    let t = text.trim();
    let b = t.as_bytes();
    let mut i = 0;
    if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
        i += 1;
    }
    let int_start = i;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    let mut digits = i - int_start;
    if i < b.len() && b[i] == b'.' {
        i += 1;
        let frac_start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        digits += i - frac_start;
    }
    if digits == 0 {
        return None;
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
            i += 1;
        }
        let exp_start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == exp_start {
            return None;
        }
    }
    if i != b.len() {
        return None;
    }
    t.parse::<f64>().ok().filter(|v| v.is_finite())
}

/// Whether `v` is inside AWS's documented range for policy numbers.
pub(crate) fn in_policy_range(v: f64) -> bool {
    (-POLICY_NUMBER_LIMIT..=POLICY_NUMBER_LIMIT).contains(&v)
}

/// The error for a `numeric` / `anything-but` operand outside the range (text modelled on event-ruler's
/// `Value must be between -5.0E9 and 5.0E9, inclusive`, with SNS's documented bounds).
pub(crate) fn out_of_range_operand(text: &str) -> FilterError {
    FilterError::new(
        FilterErrorKind::NumberOutOfRange,
        format!("FilterPolicy number {text} is out of range: Value must be between -1.0E9 and 1.0E9, inclusive"),
    )
}

/// The error for an exact-match number literal outside the range (AWS reportedly answers HTTP 500).
pub(crate) fn out_of_range_literal(text: &str) -> FilterError {
    FilterError::new(
        FilterErrorKind::Internal,
        format!(
            "InternalError: FilterPolicy number {text} is outside the supported range -1.0E9 to 1.0E9 \
             (SNS answers HTTP 500 InternalError)"
        ),
    )
}

/// One side of a numeric range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Bound {
    pub(crate) value: Quantum,
    pub(crate) inclusive: bool,
}

/// A compiled `numeric` expression: an interval with optional ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct NumericRange {
    pub(crate) lower: Option<Bound>,
    pub(crate) upper: Option<Bound>,
}

impl NumericRange {
    /// Whether the quantised value `q` is inside the range (the definition the range index implements).
    #[cfg(test)]
    pub(crate) fn contains(&self, q: Quantum) -> bool {
        let above = match self.lower {
            None => true,
            Some(b) if b.inclusive => q >= b.value,
            Some(b) => q > b.value,
        };
        let below = match self.upper {
            None => true,
            Some(b) if b.inclusive => q <= b.value,
            Some(b) => q < b.value,
        };
        above && below
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantisation_equates_values_within_a_millionth() {
        assert_eq!(quantize(100.0), quantize(1e2));
        assert_eq!(quantize(301.5), quantize(3.015e2));
        assert_eq!(quantize(100.123456789), quantize(100.1234567));
        assert_ne!(quantize(1.00001), quantize(1.00002));
        assert_eq!(quantize(0.000003), 3);
        assert_eq!(quantize(4.35), 4_350_000);
        assert_eq!(quantize(-0.00001), -10);
        assert!(quantize(150.00001) > quantize(150.0));
    }

    #[test]
    fn quantisation_saturates_and_keeps_order() {
        assert_eq!(quantize(1e300), i64::MAX);
        assert_eq!(quantize(-1e300), i64::MIN);
        assert!(quantize(1e13) > quantize(POLICY_NUMBER_LIMIT));
        assert_eq!(quantize(POLICY_NUMBER_LIMIT), 1_000_000_000_000_000);
    }

    #[test]
    fn text_quantisation_matches_the_float_path() {
        let cases = [
            "0",
            "-0",
            "1",
            "100",
            "100.0",
            "100.1",
            "301.5",
            "-1",
            "-0.00001",
            "0.000003",
            "4.35",
            "1234.56",
            "999999999.999999",
            "-122.440931947504311",
            "37.759499689193561",
            "1.0000005",
            "1.0000004999999",
            "-2.4999995000001",
            "0.0000000001",
            "-0.0000000001",
            "1099511.6277759999",
            "1099511.6277765",
            "123456789012345.1234567",
            "1e2",
            "3.015e2",
            "+5",
            "0.1234565",
            "123456789012345",
            "2251799813.685247",
            "2251799813.685248",
            "9007199254.740993",
            "1e300",
            "1e400",
            "00012",
            "1.",
            ".5",
            "-",
            ".",
            "",
        ];
        for text in cases {
            let float = text.trim().parse::<f64>().ok().map(quantize);
            assert_eq!(quantize_text(text), float, "{text}");
        }
        // Exhaustively over a grid of short decimals.
        for whole in [0i64, 1, 7, 42, 999, 123_456, 987_654_321] {
            for frac in 0..1000 {
                for digits in [1, 2, 3, 4, 5, 6] {
                    let text = format!("{whole}.{frac:0digits$}");
                    assert_eq!(quantize_text(&text), text.parse::<f64>().ok().map(quantize), "{text}");
                }
            }
        }
    }

    proptest::proptest! {
        /// Long fractions (coordinates), near half quanta too, against the float path.
        #[test]
        fn long_fractions_match_the_float_path(
            negative: bool,
            whole in proptest::prop_oneof![0u64..1000, 0u64..2_000_000, proptest::num::u64::ANY],
            six in 0u32..1_000_000,
            tail in proptest::prop_oneof![
                "[0-9]{1,14}",
                "(4{1,3}|49{1,12}|50{1,12}|5|49{0,6}[0-9]{0,4}|50{0,6}[0-9]{0,4}|9{1,12}|0{1,12}[1-9]?)",
            ],
        ) {
            let text = format!("{}{whole}.{six:06}{tail}", if negative { "-" } else { "" });
            proptest::prop_assert_eq!(quantize_text(&text), text.parse::<f64>().ok().map(quantize), "{}", text);
        }
    }

    #[test]
    fn sns_number_syntax() {
        assert_eq!(parse_sns_number("210.75"), Some(210.75));
        assert_eq!(parse_sns_number("3.015e2"), Some(301.5));
        assert_eq!(parse_sns_number(" -1 "), Some(-1.0));
        assert_eq!(parse_sns_number("+5"), Some(5.0));
        assert_eq!(parse_sns_number(".5"), Some(0.5));
        assert_eq!(parse_sns_number("5."), Some(5.0));
        assert_eq!(parse_sns_number("1E-3"), Some(0.001));
        for bad in ["", "abc", "inf", "NaN", "infinity", "1e", "1e+", "--1", "1.2.3", "0x10", ".", "-", "1e999"] {
            assert_eq!(parse_sns_number(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn ranges() {
        let r = NumericRange {
            lower: Some(Bound { value: 0, inclusive: false }),
            upper: Some(Bound { value: quantize(150.0), inclusive: true }),
        };
        assert!(r.contains(quantize(150.0)));
        assert!(!r.contains(quantize(150.00001)));
        assert!(!r.contains(0));
        assert!(r.contains(1));
        let lt = NumericRange { lower: None, upper: Some(Bound { value: 0, inclusive: false }) };
        assert!(lt.contains(quantize(-0.00001)));
        assert!(!lt.contains(0));
    }

    #[test]
    fn range_limits() {
        assert!(in_policy_range(1e9));
        assert!(in_policy_range(-1e9));
        assert!(!in_policy_range(1_000_000_001.0));
        assert_eq!(out_of_range_operand("1e10").kind, FilterErrorKind::NumberOutOfRange);
        assert!(out_of_range_literal("1000000001").reason.contains("InternalError"));
    }
}
