//! MessageBody scope: walk the body's JSON once, without building a tree.
//!
//! The body is read with the zero-copy [`scan`](super::scan) cursor. Keys are resolved against the
//! engine's trie as they are read; values under keys that no policy mentions are skipped (validated, not
//! decoded). Strings are borrowed from the body, or unescaped into a reusable per-thread buffer, so
//! matching allocates nothing. Arrays are transparent at any depth. A body that is not a JSON object (or
//! not JSON at all) matches no body-scope policy.

use super::engine::{Engine, ROOT};
use super::index::Val;
use super::number::quantize_text;
use super::scan::{Cursor, Invalid, TextBuffers, MAX_DEPTH};
use super::scratch::{MatchState, Scratch};

/// The saturating match counter (up by one per matching body, down by one otherwise) from which an engine
/// walks bodies strictly.
const MOSTLY_MATCHING: u8 = 8;

impl Engine {
    /// Matches `body` with body-scope semantics, reporting each matching policy's id.
    ///
    /// Regions no policy mentions are skipped without validation (until some branch has all its
    /// conditions: from then on they are validated as they are skipped); if anything was skipped
    /// unvalidated and some policy would match, those values are validated strictly first (an invalid
    /// body matches nothing). What the matcher reads (keys
    /// on the trie's paths, the values it compares) is always parsed strictly.
    ///
    /// Only an engine whose recent bodies on this thread mostly matched walks strictly from the start
    /// (validating as it goes), since lazily skipped values would have to be validated afterwards anyway.
    pub(crate) fn match_body(&self, body: &str, scratch: &mut Scratch, mut on_match: impl FnMut(usize)) {
        let key = self as *const Engine as usize;
        let slot = (key >> 4) % scratch.match_rate.len();
        let (owner, rate) = scratch.match_rate[slot];
        let rate = if owner == key { rate } else { 0 };
        let mut matched = false;
        self.match_body_in(body, scratch, rate < MOSTLY_MATCHING, |id| {
            matched = true;
            on_match(id);
        });
        let rate = if matched { (rate + 1).min(2 * MOSTLY_MATCHING) } else { rate.saturating_sub(1) };
        scratch.match_rate[slot] = (key, rate);
    }

    /// [`Self::match_body`], lazily validating (`lazy`) or validating every byte as it is walked.
    pub(crate) fn match_body_in(&self, body: &str, scratch: &mut Scratch, lazy: bool, on_match: impl FnMut(usize)) {
        let mut st = MatchState::new(self, &mut scratch.state);
        scratch.text.skipped.clear();
        let mut walk = Walk { cursor: Cursor::new(body), st: &mut st, text: &mut scratch.text, lazy };
        let is_object = walk.cursor.peek() == Some(b'{') && walk.object(ROOT, 1).is_ok() && walk.cursor.end().is_ok();
        if !is_object {
            return;
        }
        let TextBuffers { skipped, stack, .. } = &mut scratch.text;
        if !skipped.is_empty() && st.any_match(true) && !skipped_valid(body, skipped, stack) {
            return;
        }
        st.finish(true, on_match);
    }
}

/// Whether every value skipped without validation is valid JSON ending where the lazy skipper ended.
/// The rest of the body was parsed strictly, so this makes the walk exactly the strict walk.
fn skipped_valid(body: &str, skipped: &[(usize, usize, usize)], stack: &mut Vec<u8>) -> bool {
    skipped.iter().all(|&(start, end, depth)| {
        let mut c = Cursor::at(body, start);
        c.skip_value(stack, depth).is_ok() && c.pos() == end
    })
}

struct Walk<'a, 'e, 's, 't> {
    cursor: Cursor<'a>,
    st: &'t mut MatchState<'e, 's>,
    text: &'t mut TextBuffers,
    /// Skip unmentioned values without validating them.
    lazy: bool,
}

impl Walk<'_, '_, '_, '_> {
    /// A value at trie node `node`, `depth` containers deep.
    fn value(&mut self, node: u32, depth: usize) -> Result<(), Invalid> {
        let engine = self.st.engine;
        let n = &engine.nodes[node as usize];
        match self.cursor.peek().ok_or(Invalid)? {
            b'{' => self.object(node, depth + 1),
            b'[' => self.array(node, depth + 1),
            b'"' if n.target => {
                let s = self.cursor.string(&mut self.text.value)?;
                self.st.present(node);
                n.index.feed(Val::Str(s), self.st);
                Ok(())
            }
            b'"' => self.cursor.skip_string(),
            b'-' | b'0'..=b'9' => {
                let text = self.cursor.number()?;
                if n.target {
                    let q = quantize_text(text).ok_or(Invalid)?;
                    self.st.present(node);
                    n.index.feed(Val::Num(q), self.st);
                }
                Ok(())
            }
            b't' | b'f' | b'n' => {
                let v = match self.cursor.literal()? {
                    Some(b) => Val::Bool(b),
                    None => Val::Null,
                };
                if n.target {
                    self.st.present(node);
                    n.index.feed(v, self.st);
                }
                Ok(())
            }
            _ => Err(Invalid),
        }
    }

    /// An object (next byte `{`) whose keys extend the path of `node`.
    fn object(&mut self, node: u32, depth: usize) -> Result<(), Invalid> {
        if depth > MAX_DEPTH {
            return Err(Invalid);
        }
        self.cursor.expect(b'{')?;
        if self.cursor.peek() == Some(b'}') {
            self.cursor.bump();
            return Ok(());
        }
        loop {
            let key = self.cursor.string(&mut self.text.key)?;
            let child = self.st.engine.step(node, key);
            self.cursor.expect(b':')?;
            match child {
                Some(child) => self.value(child, depth)?,
                // Once some branch has all its conditions, a match (and so strict validation) is likely:
                // validate as we go rather than walk the rest twice.
                None if self.lazy && !self.st.has_candidates() => {
                    let start = self.cursor.pos();
                    self.cursor.skip_value_lazy();
                    self.text.skipped.push((start, self.cursor.pos(), depth));
                }
                None => self.cursor.skip_value(&mut self.text.stack, depth)?,
            }
            match self.cursor.peek() {
                Some(b',') => self.cursor.bump(),
                Some(b'}') => {
                    self.cursor.bump();
                    return Ok(());
                }
                _ => return Err(Invalid),
            }
        }
    }

    /// An array (next byte `[`) whose elements sit at `node`. Where conditions of one branch meet below
    /// `node`, each element is a separate scope for array consistency.
    fn array(&mut self, node: u32, depth: usize) -> Result<(), Invalid> {
        if depth > MAX_DEPTH {
            return Err(Invalid);
        }
        self.cursor.expect(b'[')?;
        if self.cursor.peek() == Some(b']') {
            self.cursor.bump();
            return Ok(());
        }
        let scoped = !self.st.engine.nodes[node as usize].consistency.is_empty();
        let base = if scoped { self.st.array_begin(node) } else { 0 };
        loop {
            if scoped {
                self.st.element_begin(node, base);
            }
            self.value(node, depth)?;
            if scoped {
                self.st.element_end(node, base);
            }
            match self.cursor.peek() {
                Some(b',') => self.cursor.bump(),
                Some(b']') => {
                    self.cursor.bump();
                    break;
                }
                _ => return Err(Invalid),
            }
        }
        if scoped {
            self.st.array_end(node, base);
        }
        Ok(())
    }
}
