//! A zero-copy JSON scanner for message bodies and String.Array attributes.
//!
//! It validates strictly (RFC 8259: no trailing commas, no control characters in strings, no lone
//! surrogates, JSON number syntax, nothing after the value) and reads only what the caller asks for:
//! strings come back borrowed from the input, or unescaped into a reusable buffer when they contain escape
//! sequences; unwanted values are skipped iteratively without recursion. String runs and digit runs are
//! scanned eight bytes at a time (SWAR on `u64` words, safe code). Nesting deeper than [`MAX_DEPTH`]
//! is refused (Jackson's default limit), so a hostile body cannot exhaust the stack.

/// Deepest nesting of arrays and objects accepted.
pub(crate) const MAX_DEPTH: usize = 1000;

pub(super) const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// Eight bytes at `i` as a little-endian word, if there are eight left.
#[inline]
pub(super) fn load8(b: &[u8], i: usize) -> Option<u64> {
    b.get(i..i + 8).and_then(|s| <[u8; 8]>::try_from(s).ok()).map(u64::from_le_bytes)
}

const LOW7: u64 = 0x7F7F_7F7F_7F7F_7F7F;

/// The high bit of each byte of the result is set exactly where the byte of `x` is zero.
#[inline]
pub(super) fn zero_flags(x: u64) -> u64 {
    !(((x & LOW7).wrapping_add(LOW7)) | x) & HIGHS
}

/// Flags (high bit per byte) where `x` has `"`, `\\` or a control character (< 0x20).
#[inline]
fn stop_flags(x: u64) -> u64 {
    zero_flags(x ^ (ONES * u64::from(b'"'))) | zero_flags(x ^ (ONES * u64::from(b'\\'))) | zero_flags(x & (ONES * 0xE0))
}

/// Nonzero exactly when `x` has a byte that is not an ASCII digit; the lowest flagged byte (some bit of its
/// high nibble set) is the first such byte. Bytes after it may be flagged spuriously (a carry out of a
/// non-digit), so only the first flag counts.
#[inline]
fn non_digit_flags(x: u64) -> u64 {
    const NIBBLES: u64 = 0xF0F0_F0F0_F0F0_F0F0;
    // Digits become 0..=9, whose high nibble stays clear even plus 6; every other byte sets it in one of
    // the two (10..=15 plus 6 carry into it).
    let t = x ^ (ONES * u64::from(b'0'));
    (t | t.wrapping_add(ONES * 6)) & NIBBLES
}

/// The index of the first flagged byte of a word loaded at `i`.
#[inline]
pub(super) fn first_flag(i: usize, flags: u64) -> usize {
    i + (flags.trailing_zeros() / 8) as usize
}

/// The end of the run of ASCII digits starting at `i`.
#[inline]
pub(super) fn digits_end(b: &[u8], mut i: usize) -> usize {
    while let Some(x) = load8(b, i) {
        let flags = non_digit_flags(x);
        if flags != 0 {
            return first_flag(i, flags);
        }
        i += 8;
    }
    while b.get(i).is_some_and(u8::is_ascii_digit) {
        i += 1;
    }
    i
}

static STOP: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 0x20 {
        t[i] = true;
        i += 1;
    }
    t[b'"' as usize] = true;
    t[b'\\' as usize] = true;
    t
};

/// The input is not valid JSON (or nests too deeply).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Invalid;

/// Reusable buffers for scanning.
#[derive(Debug, Default)]
pub(crate) struct TextBuffers {
    /// Unescaped object keys.
    pub(crate) key: String,
    /// Unescaped string values.
    pub(crate) value: String,
    /// Open containers while skipping (`[` or `{`).
    pub(crate) stack: Vec<u8>,
    /// Values skipped without validation in the current body: (start, end, depth).
    pub(crate) skipped: Vec<(usize, usize, usize)>,
}

/// A position in a JSON text.
pub(crate) struct Cursor<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    pub(crate) fn new(text: &'a str) -> Self {
        Cursor { text, bytes: text.as_bytes(), pos: 0 }
    }

    /// A cursor at byte `pos` of `text`.
    pub(crate) fn at(text: &'a str, pos: usize) -> Self {
        Cursor { text, bytes: text.as_bytes(), pos }
    }

    /// The current byte position.
    #[inline]
    pub(crate) fn pos(&self) -> usize {
        self.pos
    }

    /// Skips whitespace and returns the next byte, if any.
    #[inline]
    pub(crate) fn peek(&mut self) -> Option<u8> {
        while let Some(&b) = self.bytes.get(self.pos) {
            if !matches!(b, b' ' | b'\n' | b'\r' | b'\t') {
                return Some(b);
            }
            self.pos += 1;
        }
        None
    }

    /// Consumes `byte` (after whitespace) or fails.
    #[inline]
    pub(crate) fn expect(&mut self, byte: u8) -> Result<(), Invalid> {
        if self.peek() == Some(byte) {
            self.pos += 1;
            Ok(())
        } else {
            Err(Invalid)
        }
    }

    /// Consumes one byte already seen with [`Self::peek`].
    #[inline]
    pub(crate) fn bump(&mut self) {
        self.pos += 1;
    }

    /// Succeeds if only whitespace is left.
    pub(crate) fn end(&mut self) -> Result<(), Invalid> {
        match self.peek() {
            None => Ok(()),
            Some(_) => Err(Invalid),
        }
    }

    /// Reads a string whose opening quote is next; returns it borrowed from the input, or unescaped into
    /// `buf`.
    pub(crate) fn string<'s>(&mut self, buf: &'s mut String) -> Result<&'s str, Invalid>
    where
        'a: 's,
    {
        self.expect(b'"')?;
        let start = self.pos;
        let end = self.plain_run()?;
        if self.bytes.get(end) == Some(&b'"') {
            self.pos = end + 1;
            return Ok(&self.text[start..end]);
        }
        buf.clear();
        buf.push_str(&self.text[start..end]);
        self.pos = end;
        loop {
            match self.bytes.get(self.pos) {
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(buf.as_str());
                }
                Some(b'\\') => {
                    self.pos += 1;
                    let c = self.escape()?;
                    buf.push(c);
                }
                _ => return Err(Invalid),
            }
            let run_start = self.pos;
            let run_end = self.plain_run()?;
            buf.push_str(&self.text[run_start..run_end]);
            self.pos = run_end;
        }
    }

    /// [`Self::string`] for strings that are mostly short (object keys, values): a plain byte loop over the
    /// first bytes before the word-at-a-time scan.
    #[inline]
    pub(crate) fn short_string<'s>(&mut self, buf: &'s mut String) -> Result<&'s str, Invalid>
    where
        'a: 's,
    {
        let open = self.peek();
        let start = self.pos + 1;
        if open == Some(b'"') {
            for (i, &c) in self.bytes.iter().enumerate().skip(start).take(16) {
                if c == b'"' {
                    self.pos = i + 1;
                    return self.text.get(start..i).ok_or(Invalid);
                }
                if STOP[usize::from(c)] {
                    break;
                }
            }
        }
        self.string(buf)
    }

    /// Skips a string whose opening quote is next.
    pub(crate) fn skip_string(&mut self) -> Result<(), Invalid> {
        self.peek();
        self.pos = skip_str(self.bytes, self.pos)?;
        Ok(())
    }

    /// From `pos`, the end of the run of characters that need no unescaping (the index of the next `"` or
    /// `\\`).
    #[inline]
    fn plain_run(&self) -> Result<usize, Invalid> {
        plain_run(self.bytes, self.pos)
    }

    /// Decodes one escape sequence (after the backslash).
    fn escape(&mut self) -> Result<char, Invalid> {
        let (c, next) = escape(self.bytes, self.pos)?;
        self.pos = next;
        Ok(c)
    }

    /// Reads a number (JSON syntax) and returns its text.
    pub(crate) fn number(&mut self) -> Result<&'a str, Invalid> {
        self.peek();
        let start = self.pos;
        self.pos = number_end(self.bytes, start)?;
        Ok(&self.text[start..self.pos])
    }

    /// Reads `true`, `false` or `null` (the next byte is its first letter).
    pub(crate) fn literal(&mut self) -> Result<Option<bool>, Invalid> {
        let (value, next) = literal(self.bytes, self.pos)?;
        self.pos = next;
        Ok(value)
    }

    /// Skips one value of any kind, validating it, without recursion. `depth` is the nesting already
    /// entered by the caller.
    pub(crate) fn skip_value(&mut self, stack: &mut Vec<u8>, depth: usize) -> Result<(), Invalid> {
        self.pos = super::strict::skip_value(self.bytes, self.pos, stack, depth)?;
        Ok(())
    }

    /// Skips one value without validating it (see [`super::skip`]): exact on valid JSON, in bounds on
    /// anything else.
    #[inline]
    pub(crate) fn skip_value_lazy(&mut self) {
        self.pos = super::skip::skip_value(self.bytes, self.pos);
    }

    /// Number of bytes not yet consumed.
    #[cfg(test)]
    pub(crate) fn rest_len(&self) -> usize {
        self.bytes.len() - self.pos
    }
}

// The scanning primitives are free functions over (bytes, index) so the index lives in a register.

#[inline]
pub(super) fn ws(b: &[u8], mut i: usize) -> usize {
    while let Some(&c) = b.get(i) {
        if !matches!(c, b' ' | b'\n' | b'\r' | b'\t') {
            break;
        }
        i += 1;
    }
    i
}

/// The index of the next `"` or `\\` from `i`; fails on a control character or at the end of input.
/// Eight bytes at a time while none of them needs attention, then byte by byte.
#[inline]
fn plain_run(b: &[u8], mut i: usize) -> Result<usize, Invalid> {
    while let Some(x) = load8(b, i) {
        let flags = stop_flags(x);
        if flags != 0 {
            i = first_flag(i, flags);
            break;
        }
        i += 8;
    }
    while let Some(&c) = b.get(i) {
        if STOP[usize::from(c)] {
            return if c < 0x20 { Err(Invalid) } else { Ok(i) };
        }
        i += 1;
    }
    Err(Invalid)
}

/// Skips a string starting at its opening quote `b[i]`; returns the index after the closing quote.
/// Shared by the lazy skipper and the strict validator.
#[inline]
pub(super) fn skip_str(b: &[u8], i: usize) -> Result<usize, Invalid> {
    if b.get(i) != Some(&b'"') {
        return Err(Invalid);
    }
    let mut i = i + 1;
    // Most strings in bodies are short (keys, codes): byte by byte first, then a word at a time.
    let end = (i + 16).min(b.len());
    while i < end {
        let c = b[i];
        if c == b'"' {
            return Ok(i + 1);
        }
        if STOP[usize::from(c)] {
            break;
        }
        i += 1;
    }
    skip_str_from(b, i)
}

/// From inside a string (at or before its next `"`, `\\` or control character), the index after its
/// closing quote.
fn skip_str_from(b: &[u8], mut i: usize) -> Result<usize, Invalid> {
    loop {
        i = plain_run(b, i)?;
        if b[i] == b'"' {
            return Ok(i + 1);
        }
        i = escape(b, i + 1)?.1;
    }
}

/// Decodes the escape sequence after a backslash at `i - 1`; returns the character and the next index.
fn escape(b: &[u8], i: usize) -> Result<(char, usize), Invalid> {
    let c = *b.get(i).ok_or(Invalid)?;
    let i = i + 1;
    Ok(match c {
        b'"' => ('"', i),
        b'\\' => ('\\', i),
        b'/' => ('/', i),
        b'b' => ('\u{8}', i),
        b'f' => ('\u{c}', i),
        b'n' => ('\n', i),
        b'r' => ('\r', i),
        b't' => ('\t', i),
        b'u' => {
            let high = hex4(b, i)?;
            match high {
                0xD800..=0xDBFF => {
                    if b.get(i + 4..i + 6) != Some(b"\\u") {
                        return Err(Invalid);
                    }
                    let low = hex4(b, i + 6)?;
                    if !(0xDC00..=0xDFFF).contains(&low) {
                        return Err(Invalid);
                    }
                    let code = 0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00);
                    (char::from_u32(code).ok_or(Invalid)?, i + 10)
                }
                0xDC00..=0xDFFF => return Err(Invalid),
                _ => (char::from_u32(high).ok_or(Invalid)?, i + 4),
            }
        }
        _ => return Err(Invalid),
    })
}

fn hex4(b: &[u8], i: usize) -> Result<u32, Invalid> {
    let digits = b.get(i..i + 4).ok_or(Invalid)?;
    let mut v = 0u32;
    for &d in digits {
        v = v * 16 + char::from(d).to_digit(16).ok_or(Invalid)?;
    }
    Ok(v)
}

/// The end of a JSON number starting at `i`.
#[inline]
fn number_end(b: &[u8], mut i: usize) -> Result<usize, Invalid> {
    if b.get(i) == Some(&b'-') {
        i += 1;
    }
    match b.get(i) {
        Some(b'0') => i += 1,
        Some(b'1'..=b'9') => i = digits_end(b, i + 1),
        _ => return Err(Invalid),
    }
    number_tail(b, i)
}

/// The end of a number's optional fraction and exponent, from `i` just after its integer part.
#[inline]
pub(super) fn number_tail(b: &[u8], mut i: usize) -> Result<usize, Invalid> {
    if b.get(i) == Some(&b'.') {
        let end = digits_end(b, i + 1);
        if end == i + 1 {
            return Err(Invalid);
        }
        i = end;
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let end = digits_end(b, i);
        if end == i {
            return Err(Invalid);
        }
        i = end;
    }
    Ok(i)
}

/// `true`, `false` or `null` at `i`: the value and the next index.
#[inline]
pub(super) fn literal(b: &[u8], i: usize) -> Result<(Option<bool>, usize), Invalid> {
    let rest = b.get(i..).unwrap_or_default();
    let (word, value): (&[u8], _) = match rest.first() {
        Some(b't') => (b"true", Some(true)),
        Some(b'f') => (b"false", Some(false)),
        Some(b'n') => (b"null", None),
        _ => return Err(Invalid),
    };
    if rest.starts_with(word) {
        Ok((value, i + word.len()))
    } else {
        Err(Invalid)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn valid(text: &str) -> bool {
        let mut c = Cursor::new(text);
        c.skip_value(&mut Vec::new(), 0).is_ok() && c.end().is_ok()
    }

    #[test]
    fn skipping_validates_like_a_json_parser() {
        for ok in [
            "{}",
            "[]",
            " {\"a\": [1, -2.5e+3, true, false, null, \"x\\\"y\", {\"b\": {}}]} ",
            "\"\\ud83d\\ude00\"",
            "0",
            "-0.0E-0",
            "[[[[]]]]",
        ] {
            assert!(valid(ok), "{ok}");
        }
        for bad in [
            "",
            "{",
            "}",
            "[1,]",
            "{\"a\":1,}",
            "{\"a\"}",
            "{a:1}",
            "01",
            "1.",
            ".5",
            "-",
            "1e",
            "+1",
            "tru",
            "nul",
            "\"\u{1}\"",
            "\"\\x\"",
            "\"\\ud800\"",
            "\"\\udc00\"",
            "\"\\ud800\\u0041\"",
            "[1 2]",
            "{\"a\":1 \"b\":2}",
            "[1]]",
            "{} {}",
            "\"abc",
            "[\"a\\\"]",
        ] {
            assert!(!valid(bad), "{bad:?}");
        }
        let deep_ok = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert!(valid(&deep_ok));
        let too_deep = format!("{}{}", "[".repeat(MAX_DEPTH + 1), "]".repeat(MAX_DEPTH + 1));
        assert!(!valid(&too_deep));
        // Deep mixed nesting: every closer must match its opener.
        let mixed = format!("{}1{}", "[{\"a\": ".repeat(100), "}]".repeat(100));
        assert!(valid(&mixed));
        for at in [1, 63, 64, 65, 130, 199] {
            let mut swapped = mixed.clone().into_bytes();
            let i = mixed.len() - 1 - at;
            swapped[i] = if swapped[i] == b']' { b'}' } else { b']' };
            assert!(!valid(std::str::from_utf8(&swapped).unwrap()), "closer {at} from the end swapped");
        }
    }

    #[test]
    fn strings_are_borrowed_or_unescaped() {
        let mut buf = String::new();
        let mut c = Cursor::new(r#""plain" "a\"b\\c\/\n\u00e9\ud83d\ude00!""#);
        assert_eq!(c.string(&mut buf).unwrap(), "plain");
        assert_eq!(c.string(&mut buf).unwrap(), "a\"b\\c/\né😀!");
        assert!(c.end().is_ok());
    }

    #[test]
    fn word_tricks() {
        let word = |s: &[u8]| load8(s, 0).unwrap();
        // Every byte value in every position, against the obvious per-byte definitions.
        for pos in 0..8 {
            for c in 0u8..=255 {
                let mut bytes = *b"01234567";
                bytes[pos] = c;
                let x = word(&bytes);
                let digit_end = if c.is_ascii_digit() { 8 } else { pos };
                assert_eq!(if non_digit_flags(x) == 0 { 8 } else { first_flag(0, non_digit_flags(x)) }, digit_end);
                // Whatever follows a non-digit (carries included), the first one is found.
                for after in [b'0', b'9', b'a', 0xCF, 0xFF, 0x00] {
                    let mut two = *b"01234567";
                    two[pos] = c;
                    two[(pos + 1).min(7)] = if pos == 7 { c } else { after };
                    let first = two.iter().position(|d| !d.is_ascii_digit()).unwrap_or(8);
                    let flags = non_digit_flags(word(&two));
                    assert_eq!(if flags == 0 { 8 } else { first_flag(0, flags) }, first, "{two:?}");
                }
                let mut text = *b"abcdefgh";
                text[pos] = c;
                let stop = c == b'"' || c == b'\\' || c < 0x20;
                let flags = stop_flags(word(&text));
                assert_eq!(flags != 0, stop, "byte {c:#x} at {pos}");
                if stop {
                    assert_eq!(first_flag(0, flags), pos);
                }
            }
        }
        assert_eq!(stop_flags(word("é☕abc".as_bytes())), 0);
        let long = format!("\"{}\" ", "x".repeat(100));
        assert!(Cursor::new(&long).skip_string().is_ok());
        let control = format!("\"{}\u{1}\"", "x".repeat(100));
        assert!(Cursor::new(&control).skip_string().is_err());
        assert_eq!(Cursor::new("-122.440931947504311,").number().unwrap(), "-122.440931947504311");
        assert_eq!(Cursor::new("12345678901234567890e+12345678]").number().unwrap(), "12345678901234567890e+12345678");
    }

    #[test]
    fn short_strings_read_and_skip_like_long_ones() {
        let long = "x".repeat(40);
        for text in [
            r#""""#.to_string(),
            r#""k""#.to_string(),
            r#""MAPBLKLOT""#.to_string(),
            r#""é☕ abc""#.to_string(),
            r#""a\"b""#.to_string(),
            r#""abcdefghijklmnop""#.to_string(),
            r#""abcdefghijklmnopq\n""#.to_string(),
            format!("\"{long}\""),
            format!("\"{long}\\u00e9\""),
            "\"a\u{1}b\"".to_string(),
            "\"abcdefghijklmnopqrs\u{1}\"".to_string(),
            r#""abc"#.to_string(),
            r#""a\x""#.to_string(),
        ] {
            let (mut a, mut b) = (String::new(), String::new());
            let short = Cursor::new(&text).short_string(&mut a).map(str::to_owned);
            let full = Cursor::new(&text).string(&mut b).map(str::to_owned);
            assert_eq!(short, full, "{text:?}");
            assert_eq!(Cursor::new(&text).skip_string().is_ok(), full.is_ok(), "{text:?}");
        }
    }

    #[test]
    fn numbers_and_literals() {
        let mut c = Cursor::new(" -12.5e3 true null");
        assert_eq!(c.number().unwrap(), "-12.5e3");
        assert_eq!(c.peek(), Some(b't'));
        assert_eq!(c.literal().unwrap(), Some(true));
        c.peek();
        assert_eq!(c.literal().unwrap(), None);
        assert!(Cursor::new("1.e5").number().is_err());
    }
}
