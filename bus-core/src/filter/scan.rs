//! A zero-copy JSON scanner for message bodies and String.Array attributes.
//!
//! It validates strictly (RFC 8259: no trailing commas, no control characters in strings, no lone
//! surrogates, JSON number syntax, nothing after the value) and reads only what the caller asks for:
//! strings come back borrowed from the input, or unescaped into a reusable buffer when they contain escape
//! sequences; unwanted values are skipped iteratively without recursion. Nesting deeper than [`MAX_DEPTH`]
//! is refused (Jackson's default limit), so a hostile body cannot exhaust the stack.

use memchr::memchr2;

/// Deepest nesting of arrays and objects accepted.
pub(crate) const MAX_DEPTH: usize = 1000;

/// Runs up to this long are scanned byte by byte before switching to `memchr`.
const SHORT_RUN: usize = 24;

/// Bytes that end a plain run inside a string: `"`, `\` and control characters.
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

    /// Skips a string whose opening quote is next.
    pub(crate) fn skip_string(&mut self) -> Result<(), Invalid> {
        self.expect(b'"')?;
        loop {
            self.pos = self.plain_run()?;
            match self.bytes.get(self.pos) {
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(());
                }
                Some(b'\\') => {
                    self.pos += 1;
                    self.escape()?;
                }
                _ => return Err(Invalid),
            }
        }
    }

    /// From `pos`, the end of the run of characters that need no unescaping (the index of the next `"` or
    /// `\`); fails on a control character or a missing closing quote. Short runs (most keys and values)
    /// are scanned byte by byte; longer ones with `memchr`.
    #[inline]
    fn plain_run(&self) -> Result<usize, Invalid> {
        let rest = &self.bytes[self.pos..];
        for (i, &b) in rest.iter().take(SHORT_RUN).enumerate() {
            if STOP[usize::from(b)] {
                return if b < 0x20 { Err(Invalid) } else { Ok(self.pos + i) };
            }
        }
        if rest.len() <= SHORT_RUN {
            return Err(Invalid);
        }
        let tail = &rest[SHORT_RUN..];
        let len = memchr2(b'"', b'\\', tail).ok_or(Invalid)?;
        if tail[..len].iter().any(|&b| b < 0x20) {
            return Err(Invalid);
        }
        Ok(self.pos + SHORT_RUN + len)
    }

    /// Decodes one escape sequence (after the backslash).
    fn escape(&mut self) -> Result<char, Invalid> {
        let b = *self.bytes.get(self.pos).ok_or(Invalid)?;
        self.pos += 1;
        Ok(match b {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let high = self.hex4()?;
                match high {
                    0xD800..=0xDBFF => {
                        if self.bytes.get(self.pos..self.pos + 2) != Some(b"\\u") {
                            return Err(Invalid);
                        }
                        self.pos += 2;
                        let low = self.hex4()?;
                        if !(0xDC00..=0xDFFF).contains(&low) {
                            return Err(Invalid);
                        }
                        let code = 0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00);
                        char::from_u32(code).ok_or(Invalid)?
                    }
                    0xDC00..=0xDFFF => return Err(Invalid),
                    _ => char::from_u32(high).ok_or(Invalid)?,
                }
            }
            _ => return Err(Invalid),
        })
    }

    fn hex4(&mut self) -> Result<u32, Invalid> {
        let digits = self.bytes.get(self.pos..self.pos + 4).ok_or(Invalid)?;
        let mut v = 0u32;
        for &d in digits {
            v = v * 16 + char::from(d).to_digit(16).ok_or(Invalid)?;
        }
        self.pos += 4;
        Ok(v)
    }

    /// Reads a number (JSON syntax) and returns its text.
    pub(crate) fn number(&mut self) -> Result<&'a str, Invalid> {
        self.peek();
        let start = self.pos;
        let b = self.bytes;
        let mut i = self.pos;
        if b.get(i) == Some(&b'-') {
            i += 1;
        }
        match b.get(i) {
            Some(b'0') => i += 1,
            Some(b'1'..=b'9') => {
                while matches!(b.get(i), Some(b'0'..=b'9')) {
                    i += 1;
                }
            }
            _ => return Err(Invalid),
        }
        if b.get(i) == Some(&b'.') {
            i += 1;
            let digits = i;
            while matches!(b.get(i), Some(b'0'..=b'9')) {
                i += 1;
            }
            if i == digits {
                return Err(Invalid);
            }
        }
        if matches!(b.get(i), Some(b'e' | b'E')) {
            i += 1;
            if matches!(b.get(i), Some(b'+' | b'-')) {
                i += 1;
            }
            let digits = i;
            while matches!(b.get(i), Some(b'0'..=b'9')) {
                i += 1;
            }
            if i == digits {
                return Err(Invalid);
            }
        }
        self.pos = i;
        Ok(&self.text[start..i])
    }

    /// Reads `true`, `false` or `null` (the next byte is its first letter).
    pub(crate) fn literal(&mut self) -> Result<Option<bool>, Invalid> {
        let rest = &self.bytes[self.pos..];
        let (word, value): (&[u8], _) = match rest.first() {
            Some(b't') => (b"true", Some(true)),
            Some(b'f') => (b"false", Some(false)),
            Some(b'n') => (b"null", None),
            _ => return Err(Invalid),
        };
        if !rest.starts_with(word) {
            return Err(Invalid);
        }
        self.pos += word.len();
        Ok(value)
    }

    /// Skips one value of any kind, validating it, without recursion. `depth` is the nesting already
    /// entered by the caller.
    pub(crate) fn skip_value(&mut self, stack: &mut Vec<u8>, depth: usize) -> Result<(), Invalid> {
        stack.clear();
        loop {
            // A value is expected here.
            match self.peek().ok_or(Invalid)? {
                b'"' => self.skip_string()?,
                b'-' | b'0'..=b'9' => {
                    self.number()?;
                }
                b't' | b'f' | b'n' => {
                    self.literal()?;
                }
                open @ (b'[' | b'{') => {
                    self.pos += 1;
                    if depth + stack.len() >= MAX_DEPTH {
                        return Err(Invalid);
                    }
                    stack.push(open);
                    let close = if open == b'[' { b']' } else { b'}' };
                    if self.peek() == Some(close) {
                        self.pos += 1;
                        stack.pop();
                    } else {
                        if open == b'{' {
                            self.skip_string()?;
                            self.expect(b':')?;
                        }
                        continue;
                    }
                }
                _ => return Err(Invalid),
            }
            // After a value: close containers or move to the next element.
            loop {
                let Some(&open) = stack.last() else { return Ok(()) };
                match self.peek() {
                    Some(b',') => {
                        self.pos += 1;
                        if open == b'{' {
                            self.skip_string()?;
                            self.expect(b':')?;
                        }
                        break;
                    }
                    Some(b']') if open == b'[' => {
                        self.pos += 1;
                        stack.pop();
                    }
                    Some(b'}') if open == b'{' => {
                        self.pos += 1;
                        stack.pop();
                    }
                    _ => return Err(Invalid),
                }
            }
        }
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
