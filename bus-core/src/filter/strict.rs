//! The strict skipper: skips one JSON value, validating it exactly (RFC 8259), without recursion.
//!
//! This is what validates the parts of a body that no policy reads (the big `geometry` of the citylots
//! lines) before a match is reported, so it is written for long runs of small tokens: the common token
//! shapes are handled inline in one loop (a single space between tokens, short keys, numbers whose digit
//! runs are checked eight bytes at a time), and everything unusual (long strings, escapes, deep
//! whitespace) falls back to the general primitives of [`scan`](super::scan).

use super::scan::{digits_end, literal, load8, number_tail, skip_str, ws, Invalid, MAX_DEPTH};

/// Whitespace before a token: one space inline, longer runs through [`ws`]. (Every byte that may start
/// a token is above `' '`; a control character that is not whitespace is left for the caller to refuse.)
#[inline(always)]
fn ws1(b: &[u8], i: usize) -> usize {
    match b.get(i) {
        Some(&c) if c <= b' ' => {
            if c == b' ' && b.get(i + 1).is_some_and(|&d| d > b' ') {
                i + 1
            } else {
                ws(b, i)
            }
        }
        _ => i,
    }
}

/// A number starting at `i` (its first byte is `-` or a digit): the index after it. The integer part is
/// read byte by byte (it is mostly short), a fraction's digits eight at a time.
#[inline(always)]
fn number(b: &[u8], mut i: usize) -> Result<usize, Invalid> {
    if b.get(i) == Some(&b'-') {
        i += 1;
    }
    match b.get(i) {
        Some(b'0') => i += 1,
        Some(b'1'..=b'9') => {
            i += 1;
            while b.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
        }
        _ => return Err(Invalid),
    }
    match b.get(i) {
        Some(b'.') => {
            let end = digits_end(b, i + 1);
            if end == i + 1 {
                return Err(Invalid);
            }
            match b.get(end) {
                Some(b'e' | b'E') => number_tail(b, end),
                _ => Ok(end),
            }
        }
        Some(b'e' | b'E') => number_tail(b, i),
        _ => Ok(i),
    }
}

/// A member's key and colon from `i` (whitespace allowed before each): the index after the colon.
#[inline(always)]
fn key(b: &[u8], i: usize) -> Result<usize, Invalid> {
    let i = ws1(b, skip_str(b, ws1(b, i))?);
    if b.get(i) == Some(&b':') {
        Ok(i + 1)
    } else {
        Err(Invalid)
    }
}

/// A one-byte key in a single load: from `i` at the `{` or `,` before a member, `{ "k": ` or `,"k":`
/// (`k` a byte that needs no escaping), the index of the member's value. `None`: some other spelling,
/// left to [`key`].
#[inline(always)]
fn one_byte_key(b: &[u8], i: usize) -> Option<usize> {
    const fn at(byte: u8, n: u32) -> u64 {
        (byte as u64) << (8 * n)
    }
    // Spaced: separator, space, quote, key, quote, colon, space, (the value's first byte).
    const SPACED_MASK: u64 = at(0xFF, 1) | at(0xFF, 2) | at(0xFF, 4) | at(0xFF, 5) | at(0xFF, 6);
    const SPACED: u64 = at(b' ', 1) | at(b'"', 2) | at(b'"', 4) | at(b':', 5) | at(b' ', 6);
    // Compact: separator, quote, key, quote, colon.
    const COMPACT_MASK: u64 = at(0xFF, 1) | at(0xFF, 3) | at(0xFF, 4);
    const COMPACT: u64 = at(b'"', 1) | at(b'"', 3) | at(b':', 4);
    let x = load8(b, i)?;
    let plain = |k: u64| {
        let k = k as u8;
        k >= 0x20 && k != b'"' && k != b'\\'
    };
    if x & SPACED_MASK == SPACED && plain(x >> 24) {
        Some(i + 7)
    } else if x & COMPACT_MASK == COMPACT && plain(x >> 16) {
        Some(i + 5)
    } else {
        None
    }
}

/// Skips one value starting at `i` (whitespace allowed before it), validating it strictly; returns the
/// index after it. `depth` is the nesting already entered by the caller; `stack` is scratch space for the
/// closers of the enclosing containers (the innermost one is kept in a register).
pub(super) fn skip_value(b: &[u8], mut i: usize, stack: &mut Vec<u8>, depth: usize) -> Result<usize, Invalid> {
    stack.clear();
    // The closer of the innermost open container (0: none is open) and the number of open containers.
    let mut close = 0u8;
    let mut level = 0usize;
    loop {
        // A value is expected here.
        i = ws1(b, i);
        let c = *b.get(i).ok_or(Invalid)?;
        if c == b'-' || c.is_ascii_digit() {
            i = number(b, i)?;
        } else if c == b'"' {
            i = skip_str(b, i)?;
        } else if c == b'{' || c == b'[' {
            if depth + level >= MAX_DEPTH {
                return Err(Invalid);
            }
            if c == b'{' {
                if let Some(value) = one_byte_key(b, i) {
                    stack.push(close);
                    close = b'}';
                    level += 1;
                    i = value;
                    continue;
                }
            }
            i = ws1(b, i + 1);
            // `]` and `}` are two after their openers.
            if b.get(i) == Some(&(c + 2)) {
                i += 1;
            } else {
                stack.push(close);
                close = c + 2;
                level += 1;
                if c == b'{' {
                    i = key(b, i)?;
                }
                continue;
            }
        } else {
            i = literal(b, i)?.1;
        }
        // After a value: close containers, or move to the next element.
        loop {
            if level == 0 {
                return Ok(i);
            }
            i = ws1(b, i);
            match b.get(i) {
                Some(b',') => {
                    if close == b'}' {
                        i = match one_byte_key(b, i) {
                            Some(value) => value,
                            None => key(b, i + 1)?,
                        };
                    } else {
                        i += 1;
                    }
                    break;
                }
                Some(&c) if c == close => {
                    i += 1;
                    close = stack.pop().ok_or(Invalid)?;
                    level -= 1;
                }
                _ => return Err(Invalid),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// Whether `text` is one valid JSON value (with whitespace around it), by the strict skipper.
    fn valid(text: &str) -> bool {
        let b = text.as_bytes();
        skip_value(b, 0, &mut Vec::new(), 0).is_ok_and(|end| ws(b, end) == b.len())
    }

    fn serde_valid(text: &str) -> bool {
        serde_json::from_str::<serde::de::IgnoredAny>(text).is_ok()
    }

    #[test]
    fn numbers_follow_the_json_grammar() {
        for n in ["0", "-0", "1", "-1", "10", "1.5", "-0.0", "1e5", "1E+2", "1e-2", "0.5e10", "-122.440931947504311"] {
            for text in [n.to_string(), format!("[{n}]"), format!("[ {n} , {n} ]"), format!("{{\"x\": {n}}}")] {
                assert!(valid(&text), "{text}");
            }
        }
        for n in ["01", "-", "-a", "1.", "1.e5", ".5", "1e", "1e+", "+1", "--1", "0x1", "1.5.2", "-01", "00"] {
            for text in [n.to_string(), format!("[{n}]"), format!("[ {n} , 1]"), format!("{{\"x\": {n}}}")] {
                assert!(!valid(&text), "{text}");
            }
        }
    }

    #[test]
    fn structure_whitespace_and_nesting() {
        for ok in ["[]", "{}", "[ ]", "{ }", " [\n\t1 ,\r\n2 ] ", "{\"a\" : [ { } , [ ] ] }", "\"x\"", "true", "null"] {
            assert!(valid(ok), "{ok:?}");
        }
        for bad in ["[", "[1,]", "[,1]", "{\"a\":1,}", "{\"a\" 1}", "{1:1}", "[1}", "{\"a\":1]", "[1\u{1}]", "", " "] {
            assert!(!valid(bad), "{bad:?}");
        }
        let deep_ok = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert!(valid(&deep_ok));
        let too_deep = format!("{}{}", "[".repeat(MAX_DEPTH + 1), "]".repeat(MAX_DEPTH + 1));
        assert!(!valid(&too_deep));
        // The caller's depth counts too.
        let b = deep_ok.as_bytes();
        assert!(skip_value(b, 0, &mut Vec::new(), 1).is_err());
        assert_eq!(skip_value(b"[1] , 2", 0, &mut Vec::new(), 0), Ok(3));
    }

    #[test]
    fn one_byte_keys_are_read_in_one_load_or_left_to_the_general_reader() {
        assert_eq!(one_byte_key(b"{ \"x\": 1}", 0), Some(7));
        assert_eq!(one_byte_key(b", \"y\": 1}", 0), Some(7));
        assert_eq!(one_byte_key(b",\"z\":1}  ", 0), Some(5));
        for other in
            [&b"{ \"xy\": 1}"[..], b"{ \"\\\": 1}", b"{ \"\"\": 1}", b"{ \"\x01\": 1}", b"{\"x\" :1}", b"{\"x\""]
        {
            assert_eq!(one_byte_key(other, 0), None, "{:?}", String::from_utf8_lossy(other));
        }
        for ok in ["{ \"x\": 1, \"y\": [2], \"\\u0041\": 3}", "{\"x\":1,\"y\":2}", "[{ \"x\": {\"y\":{ \"z\": 0 }}}]"] {
            assert!(valid(ok), "{ok}");
        }
        for bad in ["{ \"\\\": 1}", "{ \"\u{1}\": 1}", "{\"x\":1,\"\"\":2}", "{ \"x\": }", "{\"x\":1,\"y\":}"] {
            assert!(!valid(bad), "{bad:?}");
        }
    }

    /// A number in JSON syntax or near it: leading zeros, lone signs, empty fractions and exponents.
    fn number_like() -> impl Strategy<Value = String> {
        prop_oneof![
            "-?(0|[1-9][0-9]{0,20})(\\.[0-9]{1,18})?([eE][+-]?[0-9]{1,3})?",
            "[-+]?[0-9]{0,3}\\.?[0-9]{0,3}([eE][+-]?[0-9]{0,2})?",
            proptest::sample::select(vec!["-", "1.", "1e", "01", "-0", "1E+2", "-01", "0.", ".0", "1e+", "00"])
                .prop_map(str::to_owned),
        ]
    }

    /// Number-heavy bodies: arrays of numbers and of `{x, y, z}` objects, as in GeoJSON.
    fn number_heavy() -> impl Strategy<Value = String> {
        let sep = proptest::sample::select(vec!["", " ", "\n", " \t ", "\r\n  "]);
        let pair = (number_like(), sep.clone(), number_like(), sep.clone(), number_like(), sep);
        let point = (pair, any::<bool>()).prop_map(|((x, s1, y, s2, z, s3), object)| {
            if object {
                format!("{{{s1}\"x\":{s2}{x},{s3}\"y\": {y}, \"z\"{s1}:{z}{s2}}}")
            } else {
                format!("[{s1}{x},{s2}{y}{s3},{z}]")
            }
        });
        proptest::collection::vec(point, 0..6).prop_map(|points| format!("[ [ {} ] ]", points.join(", ")))
    }

    proptest! {
        #[test]
        fn agrees_with_serde_json_on_number_heavy_arrays(
            text in number_heavy(),
            mutations in proptest::collection::vec((any::<usize>(), proptest::sample::select(vec![
                "", "0", "-", ".", "e", "E", "+", ",", " ", "[", "]", "{", "}", "\"", ":", "\u{1}", "00", "-0", "1.",
            ])), 0..3),
            truncate in proptest::option::of(any::<usize>()),
        ) {
            let mut text = text;
            for (at, insert) in mutations {
                let at = at % (text.len() + 1);
                if insert.is_empty() {
                    if at < text.len() {
                        text.remove(at);
                    }
                } else {
                    text.insert_str(at, insert);
                }
            }
            if let Some(cut) = truncate {
                text.truncate(cut % (text.len() + 1));
            }
            prop_assert_eq!(valid(&text), serde_valid(&text), "{}", text);
        }

        #[test]
        fn agrees_with_serde_json_on_arbitrary_values(v in crate::filter::lazy_tests::value(), pretty: bool, cut: usize) {
            let text = if pretty { serde_json::to_string_pretty(&v).unwrap() } else { v.to_string() };
            prop_assert!(valid(&text), "{}", text);
            let mut cut = cut % (text.len() + 1);
            while !text.is_char_boundary(cut) {
                cut -= 1;
            }
            let cut_text = &text[..cut];
            prop_assert_eq!(valid(cut_text), serde_valid(cut_text), "{}", cut_text);
        }
    }
}
