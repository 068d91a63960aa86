//! The fast, non-validating skipper used while matching a body.
//!
//! Validity of a body only matters when a match would be reported, so regions that no policy mentions
//! are skipped without validation: strings by searching for `"` and `\\`, containers by a
//! loop over eight-byte words that tracks only nesting and strings, scalars up to the next
//! delimiter. On valid JSON it stops exactly where the strict skipper would; on invalid JSON it stops
//! somewhere in bounds without failing, and the matcher validates the whole body strictly before it
//! reports anything (see `Engine::match_body`).

use super::scan::{first_flag, load8, ws, zero_flags, ONES};

/// Bytes whose `& 0xD9` is `0x59`: `[`, `]`, `{`, `}` (and `Y`, `_`, `y`, DEL, sorted out one by one).
const BRACKET_MASK: u64 = ONES * 0xD9;
const BRACKET_BITS: u64 = ONES * 0x59;
const QUOTES: u64 = ONES * b'"' as u64;
const BACKSLASHES: u64 = ONES * b'\\' as u64;

/// Skips one value starting at `i` (whitespace allowed before it); returns the index after it (for valid
/// JSON: exactly where the strict skipper ends; otherwise some index up to `b.len()`).
pub(crate) fn skip_value(b: &[u8], i: usize) -> usize {
    let i = ws(b, i);
    match b.get(i) {
        None => i,
        Some(b'"') => skip_string(b, i + 1),
        Some(b'[' | b'{') => skip_container(b, i + 1),
        Some(_) => scalar_end(b, i),
    }
}

/// From inside a string (after its opening quote), the index after its closing quote. Eight bytes at a
/// time while none is `"` or `\\` (strings in bodies are mostly short: no call into a search routine).
#[inline]
fn skip_string(b: &[u8], mut i: usize) -> usize {
    loop {
        while let Some(x) = load8(b, i) {
            let flags = zero_flags(x ^ QUOTES) | zero_flags(x ^ BACKSLASHES);
            if flags != 0 {
                i = first_flag(i, flags);
                break;
            }
            i += 8;
        }
        match b.get(i) {
            None => return b.len(),
            Some(b'"') => return i + 1,
            Some(b'\\') => i += 2,
            Some(_) => i += 1,
        }
    }
}

/// The number of flagged bytes (high bits) in `flags`, without relying on a `popcnt` instruction.
#[inline]
fn flag_count(flags: u64) -> usize {
    ((flags >> 7).wrapping_mul(ONES) >> 56) as usize
}

/// From inside a container (after its opening bracket), the index after its closing bracket.
///
/// Eight bytes at a time: quotes give which bytes are inside strings (a prefix XOR of the quote flags,
/// carried across words), brackets outside strings are counted. A word with a backslash, or with as many
/// closing brackets as the open depth, is walked byte by byte.
fn skip_container(b: &[u8], mut i: usize) -> usize {
    let mut depth = 1usize;
    let mut in_string = false;
    loop {
        while let Some(x) = load8(b, i) {
            if zero_flags(x ^ BACKSLASHES) != 0 {
                break;
            }
            let quotes = zero_flags(x ^ QUOTES);
            let mut inside = quotes ^ (quotes << 8);
            inside ^= inside << 16;
            inside ^= inside << 32;
            if in_string {
                inside = !inside;
            }
            let brackets = zero_flags((x & BRACKET_MASK) ^ BRACKET_BITS) & !inside;
            if brackets != 0 {
                // `[` and `{` have bit 1 set, `]` and `}` do not.
                let opens = brackets & (x << 6);
                let closes = flag_count(brackets & !opens);
                if closes >= depth {
                    break;
                }
                depth = depth + flag_count(opens) - closes;
            }
            in_string ^= flag_count(quotes) & 1 == 1;
            i += 8;
        }
        if i >= b.len() {
            return b.len();
        }
        let end = (i + 8).min(b.len());
        while i < end {
            let c = b[i];
            i += 1;
            if in_string {
                match c {
                    b'"' => in_string = false,
                    b'\\' => i += 1,
                    _ => {}
                }
            } else {
                match c {
                    b'"' => in_string = true,
                    b'[' | b'{' => depth += 1,
                    b']' | b'}' => {
                        depth -= 1;
                        if depth == 0 {
                            return i;
                        }
                    }
                    _ => {}
                }
            }
        }
    }
}

/// The end of a number or literal starting at `i`: the next delimiter.
#[inline]
fn scalar_end(b: &[u8], mut i: usize) -> usize {
    while let Some(&c) = b.get(i) {
        if matches!(c, b',' | b']' | b'}' | b' ' | b'\n' | b'\r' | b'\t') {
            break;
        }
        i += 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filter::scan::Cursor;

    fn strict_end(text: &str) -> Option<usize> {
        let mut c = Cursor::new(text);
        c.skip_value(&mut Vec::new(), 0).ok()?;
        Some(text.len() - c.rest_len())
    }

    #[test]
    fn stops_where_the_strict_skipper_stops() {
        for text in [
            "{} ,",
            "[] ]",
            " {\"a\": [1, -2.5e+3, true, false, null, \"x\\\"y]\", {\"b\": {}}]} , 1",
            "\"\\ud83d\\ude00\" ,",
            "0}",
            "-0.0E-0\n,",
            "[[[[]]]],",
            "{\"Y_y\\\\\": \"{[}]\\\\\", \"z\": [\"\\\"\"]}   ",
            "[-122.422003528252475, 37.808480096967251, 0.0], [1]",
            "true}",
            "null",
        ] {
            let fast = skip_value(text.as_bytes(), 0);
            assert_eq!(Some(fast), strict_end(text), "{text:?}");
        }
    }

    proptest::proptest! {
        #[test]
        fn any_valid_value_is_skipped_exactly(v in crate::filter::lazy_tests::value(), pretty: bool, tail in "[ ,\\]}]{0,3}") {
            let text = if pretty { serde_json::to_string_pretty(&v).unwrap() } else { v.to_string() } + &tail;
            proptest::prop_assert_eq!(Some(skip_value(text.as_bytes(), 0)), strict_end(&text), "{}", text);
        }
    }

    #[test]
    fn never_fails_or_overruns_on_invalid_input() {
        for text in ["", "\"abc", "\"ab\\", "[[", "{\"a\":[1,2", "]", ",", "tru", "[\"\\", "{\u{1}}"] {
            assert!(skip_value(text.as_bytes(), 0) <= text.len(), "{text:?}");
        }
    }
}
