//! `wildcard` patterns: `*` matches zero or more characters, `\*` is a literal `*`, `\\` a literal
//! backslash; any other escape and two consecutive `*` are invalid (event-ruler's `WildcardParser`).

use memchr::memmem;

/// A parsed wildcard pattern: the literal pieces between the stars.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Wildcard {
    /// Literal pieces (escapes resolved); `pieces.len() == stars + 1`.
    pieces: Vec<Box<str>>,
}

impl Wildcard {
    /// Parses a pattern; the error is AWS's reason text. Positions count bytes of the pattern as event-ruler
    /// sees it, wrapped in quotes (so the first character is at position 1).
    pub(crate) fn parse(pattern: &str) -> Result<Wildcard, String> {
        let bytes = pattern.as_bytes();
        let mut pieces = Vec::new();
        let mut current: Vec<u8> = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'*' => {
                    if bytes.get(i + 1) == Some(&b'*') {
                        return Err(format!("Consecutive wildcard characters at pos {}", i + 1));
                    }
                    pieces.push(bytes_to_piece(std::mem::take(&mut current)));
                    i += 1;
                }
                b'\\' => match bytes.get(i + 1) {
                    Some(&c @ (b'*' | b'\\')) => {
                        current.push(c);
                        i += 2;
                    }
                    _ => return Err(format!("Invalid escape character at pos {}", i + 1)),
                },
                c => {
                    current.push(c);
                    i += 1;
                }
            }
        }
        pieces.push(bytes_to_piece(current));
        Ok(Wildcard { pieces })
    }

    /// Whether `value` matches the whole pattern.
    pub(crate) fn matches(&self, value: &str) -> bool {
        let v = value.as_bytes();
        let (first, rest) = match self.pieces.split_first() {
            Some(split) => split,
            None => return v.is_empty(),
        };
        let first = first.as_bytes();
        if rest.is_empty() {
            return v == first;
        }
        if !v.starts_with(first) {
            return false;
        }
        let (last, middle) = match rest.split_last() {
            Some(split) => split,
            None => return true,
        };
        let last = last.as_bytes();
        if v.len() < first.len() + last.len() || !v.ends_with(last) {
            return false;
        }
        // Greedy leftmost placement of the middle pieces is optimal for `*`-only globs.
        let mut window = &v[first.len()..v.len() - last.len()];
        for piece in middle {
            let p = piece.as_bytes();
            match memmem::find(window, p) {
                Some(at) => window = &window[at + p.len()..],
                None => return false,
            }
        }
        true
    }
}

fn bytes_to_piece(bytes: Vec<u8>) -> Box<str> {
    // Escapes only remove ASCII backslashes, so the bytes stay valid UTF-8.
    String::from_utf8(bytes).unwrap_or_default().into_boxed_str()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(p: &str, v: &str) -> bool {
        Wildcard::parse(p).unwrap().matches(v)
    }

    #[test]
    fn stars_match_any_run_of_characters() {
        assert!(m("*ball", "baseball"));
        assert!(m("*ball", "ball"));
        assert!(!m("*ball", "balls"));
        assert!(m("Simple*Service", "SimpleNotificationService"));
        assert!(m("Simple*Service", "SimpleService"));
        assert!(!m("Simple*Service", "SimpleServices"));
        assert!(m("xy*", "xy"));
        assert!(m("*/bin/*.jar", "/usr/bin/app.jar"));
        assert!(!m("*/bin/*.jar", "/usr/lib/app.jar"));
        assert!(m("2*0*1*7", "2607117"));
        assert!(m("*", ""));
        assert!(m("a*a", "aa"));
        assert!(!m("a*a", "a"));
        assert!(m("*a*a*", "xaxa"));
        assert!(!m("*a*a*", "xa"));
        assert!(m("é*☕", "éa☕"));
    }

    #[test]
    fn without_star_it_is_exact() {
        assert!(m("abc", "abc"));
        assert!(!m("abc", "abcd"));
        assert!(m("", ""));
        assert!(!m("", "a"));
    }

    #[test]
    fn escapes() {
        assert!(m(r"a\*b", "a*b"));
        assert!(!m(r"a\*b", "axb"));
        assert!(m(r"a\\b", r"a\b"));
        assert!(m(r"\**", "*anything"));
    }

    #[test]
    fn errors_use_event_ruler_positions() {
        assert_eq!(Wildcard::parse("a**b").unwrap_err(), "Consecutive wildcard characters at pos 2");
        assert_eq!(Wildcard::parse(r"a\b").unwrap_err(), "Invalid escape character at pos 2");
        assert_eq!(Wildcard::parse(r"ab\").unwrap_err(), "Invalid escape character at pos 3");
        assert_eq!(Wildcard::parse("**").unwrap_err(), "Consecutive wildcard characters at pos 1");
    }
}
