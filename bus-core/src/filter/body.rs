//! MessageBody scope: walk the body's JSON once, without building a tree.
//!
//! The body is read with the zero-copy [`scan`](super::scan) cursor. Keys are resolved against the
//! engine's trie as they are read; values under keys that no policy mentions are skipped (validated, not
//! decoded). Strings are borrowed from the body, or unescaped into a reusable per-thread buffer, so
//! matching allocates nothing. Arrays are transparent at any depth. A body that is not a JSON object (or
//! not JSON at all) matches no body-scope policy. Members hidden by an earlier member reaching the same
//! path (repeated keys, see the [module docs](super)) are skipped like unmentioned ones, and the walk stops
//! once every policy path is decided (see [`Engine::match_body_in`]).

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
    ///
    /// The walk stops early once every path of the engine is decided in the top-level region (a member
    /// reached it, or an ancestor of it): later members are hidden (the first member to reach a path
    /// decides it), so no answer can change. With the citylots lines, that is as soon as the last policy
    /// key inside `properties` has been read. If no policy matches by then, the rest is not read;
    /// otherwise it is validated strictly.
    /// Returns whether the walk stopped early.
    pub(crate) fn match_body_in(
        &self,
        body: &str,
        scratch: &mut Scratch,
        lazy: bool,
        on_match: impl FnMut(usize),
    ) -> bool {
        let mut st = MatchState::new(self, &mut scratch.state);
        scratch.text.skipped.clear();
        let mut walk = Walk { cursor: Cursor::new(body), st: &mut st, text: &mut scratch.text, lazy, stopped: 0 };
        if walk.cursor.peek() != Some(b'{') || walk.object(ROOT, 1, true).is_err() {
            return false;
        }
        let (open, pos) = (walk.stopped, walk.cursor.pos());
        let stopped = open > 0;
        let TextBuffers { skipped, stack, key, .. } = &mut scratch.text;
        if stopped {
            // Nothing later can change an answer: a body matching nothing stays unmatched, valid or not.
            if !st.any_match(true) || !rest_valid(Cursor::at(body, pos), open, key, stack) {
                return true;
            }
        } else if Cursor::at(body, pos).end().is_err() {
            return false;
        }
        if !skipped.is_empty() && st.any_match(true) && !skipped_valid(body, skipped, stack) {
            return stopped;
        }
        st.finish(true, on_match);
        stopped
    }
}

/// Whether the rest of the body from `cursor` (just after a member's value, `open` objects deep) is valid
/// JSON: the rest of each open object up to its closing brace, then only whitespace.
fn rest_valid(mut cursor: Cursor<'_>, open: usize, key: &mut String, stack: &mut Vec<u8>) -> bool {
    for depth in (1..=open).rev() {
        loop {
            match cursor.peek() {
                Some(b',') => {
                    cursor.bump();
                    let member = cursor.string(key).and_then(|_| cursor.expect(b':'));
                    if member.and_then(|()| cursor.skip_value(stack, depth)).is_err() {
                        return false;
                    }
                }
                Some(b'}') => {
                    cursor.bump();
                    break;
                }
                _ => return false,
            }
        }
    }
    cursor.end().is_ok()
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
    /// Where the walk stopped early (see [`Engine::match_body_in`]): the number of objects then open (0:
    /// it did not stop).
    stopped: usize,
}

impl Walk<'_, '_, '_, '_> {
    /// A value at trie node `node`, `depth` containers deep.
    ///
    /// `stoppable`: the walk may stop as soon as everything below `node` is decided (see [`Self::object`]).
    fn value(&mut self, node: u32, depth: usize, stoppable: bool) -> Result<(), Invalid> {
        let engine = self.st.engine;
        let n = &engine.nodes[node as usize];
        match self.cursor.peek().ok_or(Invalid)? {
            b'{' => self.object(node, depth + 1, stoppable),
            b'[' => self.array(node, depth + 1),
            b'"' if n.target => {
                let s = self.cursor.short_string(&mut self.text.value)?;
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
    ///
    /// `stoppable`: the object is in the top-level region, reached from the top-level object by plain
    /// (undotted) keys through objects every other path of which is already decided. Once every path
    /// below `node` is decided too, nothing later in the body can change an answer, and the walk stops.
    fn object(&mut self, node: u32, depth: usize, stoppable: bool) -> Result<(), Invalid> {
        if depth > MAX_DEPTH {
            return Err(Invalid);
        }
        self.cursor.expect(b'{')?;
        if self.cursor.peek() == Some(b'}') {
            self.cursor.bump();
            return Ok(());
        }
        loop {
            let key = self.cursor.short_string(&mut self.text.key)?;
            let child = self.st.engine.step(node, key).filter(|&child| !self.st.hidden(node, child));
            self.cursor.expect(b':')?;
            match child {
                Some(child) => {
                    // Everything outside this member is decided: once everything below it is, the walk stops.
                    let inner = stoppable
                        && self.st.engine.nodes[child as usize].parent == node
                        && self.st.decided_but_one(node);
                    self.value(child, depth, inner)?;
                    if self.stopped > 0 {
                        return Ok(());
                    }
                    self.st.claim(child);
                    if stoppable && self.st.decided(node) {
                        self.stopped = depth;
                        return Ok(());
                    }
                }
                // Once some branch has all its conditions, a match (and so strict validation) is likely:
                // validate as we go rather than walk the rest twice.
                None if self.lazy && !self.st.match_likely() => {
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
        let n = &self.st.engine.nodes[node as usize];
        let scoped = !n.consistency.is_empty();
        // Each element is a region of its own for repeated keys (only objects below `node` can have any).
        let regions = !n.children.is_empty();
        let base = if scoped { self.st.array_begin(node) } else { 0 };
        loop {
            if scoped {
                self.st.element_begin(node, base);
            }
            if regions {
                let saved = self.st.enter_region();
                self.value(node, depth, false)?;
                self.st.leave_region(saved);
            } else {
                self.value(node, depth, false)?;
            }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filter::{FilterScope, FilterSet, SnsFilterPolicy};
    use crate::message::Message;

    /// (matching ids, stopped early), walked lazily and strictly.
    fn run(engine: &Engine, body: &str) -> (Vec<usize>, bool) {
        let mut answers = Vec::new();
        for lazy in [true, false] {
            let mut out = Vec::new();
            let stopped = engine.match_body_in(body, &mut Scratch::default(), lazy, |id| out.push(id));
            out.sort_unstable();
            answers.push((out, stopped));
        }
        assert_eq!(answers[0], answers[1], "lazy and strict walks differ on {body}");
        answers.swap_remove(0)
    }

    fn engine(policies: &[&str]) -> Engine {
        let mut e = Engine::default();
        for (id, p) in policies.iter().enumerate() {
            e.add(id, SnsFilterPolicy::parse(p, FilterScope::MessageBody).unwrap().compiled());
        }
        e
    }

    #[test]
    fn stops_once_every_first_segment_is_decided_and_validates_the_rest_only_for_a_match() {
        let e = engine(&[r#"{"properties": {"STREET": ["MAIN"]}}"#]);
        let valid = r#"{"properties": {"STREET": "MAIN"}, "geometry": {"coordinates": [[1, 2], [3, 4]]}}"#;
        assert_eq!(run(&e, valid), (vec![0], true));
        let other = r#"{"properties": {"STREET": "ELM"}, "geometry": {"coordinates": [[1, 2], [3, 4]]}}"#;
        assert_eq!(run(&e, other), (vec![], true));
        // The tail after the last decided path is not valid JSON: no match stays no match (without reading
        // it), and what would match does not, since the body is invalid.
        let broken_tail = r#"{"properties": {"STREET": "ELM"}, "geometry": {"coordinates": [[1, 2], [3,"#;
        assert_eq!(run(&e, broken_tail), (vec![], true));
        let broken_match = r#"{"properties": {"STREET": "MAIN"}, "geometry": {"coordinates": [[1, 2], [3,"#;
        assert_eq!(run(&e, broken_match), (vec![], true));
        for tail in [r#", "x": 1} x"#, r#", "x": 1,}"#, r#", "x" 1}"#, r#", x: 1}"#, r#", "\q": 1}"#, ""] {
            let body = format!(r#"{{"properties": {{"STREET": "MAIN"}}{tail}"#);
            assert_eq!(run(&e, &body), (vec![], true), "{body}");
        }
        // A later repeated or dotted spelling of a decided path changes nothing.
        let repeated =
            r#"{"properties": {"STREET": "ELM"}, "properties": {"STREET": "MAIN"}, "properties.STREET": "MAIN"}"#;
        assert_eq!(run(&e, repeated), (vec![], true));
        // Before the first segment is decided, the walk goes on.
        let late = r#"{"geometry": [1, 2], "properties.STREET": "MAIN"}"#;
        assert_eq!(run(&e, late), (vec![0], false));
    }

    #[test]
    fn absence_is_decided_at_the_stop_or_at_the_end() {
        let e = engine(&[r#"{"a": [{"exists": false}], "b": [1]}"#]);
        assert_eq!(run(&e, r#"{"b": 1, "c": [1, 2]}"#), (vec![0], false));
        assert_eq!(run(&e, r#"{"b": 1, "a": 2, "c": [1,"#), (vec![], true));
        // `a` below a scalar `a`... and a later `a` is hidden: absence is known once `a` is decided.
        assert_eq!(run(&e, r#"{"a": {"x": 1}, "b": 1, "a": 5}"#), (vec![0], true));
        let anything_but = engine(&[r#"{"a": [{"anything-but": "x"}]}"#]);
        assert_eq!(run(&anything_but, r#"{"a": "x", "a": "y"}"#), (vec![], true));
        assert_eq!(run(&anything_but, r#"{"b": "x", "a": "y", "a": "x"}"#), (vec![0], true));
    }

    #[test]
    fn a_set_stops_only_once_every_policy_path_is_decided() {
        let e = engine(&[r#"{"a": ["x"]}"#, r#"{"b": {"c": [1]}}"#, r#"{"a": ["y"], "d": [true]}"#]);
        assert_eq!(run(&e, r#"{"a": "x", "b": {"c": 1}, "z": [1]}"#), (vec![0, 1], false));
        assert_eq!(run(&e, r#"{"a": "y", "b": {"c": 1}, "d": true, "z": [1,"#), (vec![], true));
        assert_eq!(run(&e, r#"{"a": "y", "b": {"c": 1}, "d": true, "z": [1]}"#), (vec![1, 2], true));
        assert_eq!(run(&e, r#"{"d": false, "a": "z", "b": 7, "z": [1,"#), (vec![], true));

        let mut set = FilterSet::new();
        set.insert(1, Some(SnsFilterPolicy::parse(r#"{"a": ["x"]}"#, FilterScope::MessageBody).unwrap()));
        set.insert(2, Some(SnsFilterPolicy::parse(r#"{"b": ["y"]}"#, FilterScope::MessageBody).unwrap()));
        let mut out = Vec::new();
        set.matching(&Message::new(r#"{"a": "x", "b": "z", "a": "q", "tail": [1,"#), &mut out);
        assert!(out.is_empty());
        set.matching(&Message::new(r#"{"a": "x", "b": "z", "a": "q", "tail": [1]}"#), &mut out);
        assert_eq!(out, [1]);
    }

    #[test]
    fn stops_inside_a_nested_object_once_its_last_policy_path_is_read() {
        let e = engine(&[r#"{"p": {"a": ["x"], "b": ["y"]}}"#]);
        assert_eq!(run(&e, r#"{"p": {"a": "x", "b": "z", "c": [1,"#), (vec![], true));
        assert_eq!(run(&e, r#"{"p": {"a": "x", "b": "y", "c": [1,"#), (vec![], true));
        assert_eq!(run(&e, r#"{"p": {"a": "x", "b": "y", "c": [1]}, "q": {"r": [2]}} "#), (vec![0], true));
        assert_eq!(run(&e, r#"{"p": {"a": "x", "b": "y", "c": [1]}, "q": {"r": [2}}"#), (vec![], true));
        assert_eq!(run(&e, r#"{"p": {"a": "x", "b": "y", "c": [1]}, "q": 1} }"#), (vec![], true));
        // A dotted member decides its path too; the later nested object then completes `p`.
        assert_eq!(run(&e, r#"{"p.a": "x", "p": {"b": "y", "a": "q", "c": [1]}}"#), (vec![0], true));
        assert_eq!(run(&e, r#"{"p.a": "w", "p": {"b": "y", "c": [1,"#), (vec![], true));
        // Reached through a dotted key, `p.b`'s object cannot stop the walk (`p` itself stays open); nor can
        // objects inside arrays, whose array ends first.
        let dotted = engine(&[r#"{"p": {"b": {"c": ["x"]}}}"#]);
        assert_eq!(run(&dotted, r#"{"p.b": {"c": "x", "d": [1,"#), (vec![], false));
        assert_eq!(run(&dotted, r#"{"p.b": {"c": "x"}, "p": {"b": {"c": "y"}}}"#), (vec![0], true));
        assert_eq!(run(&e, r#"{"p": [{"a": "x", "b": "y"}, {"a": 1}], "z": [1,"#), (vec![], true));
        assert_eq!(run(&e, r#"{"p": [{"a": "x", "b": "y"}, {"a": 1}], "z": [1]}"#), (vec![0], true));
    }

    #[test]
    fn array_elements_are_regions_of_their_own() {
        let e = engine(&[r#"{"x": {"a": [2]}}"#, r#"{"x": {"a": [3]}}"#]);
        assert_eq!(run(&e, r#"{"x": [{"a": 1, "a": 3}, {"a": 2}]}"#), (vec![0], true));
        assert_eq!(run(&e, r#"{"x": [[{"a": 3}], {"a.b": 1, "a": 2}]}"#), (vec![0, 1], true));
        assert_eq!(run(&e, r#"{"x.a": 1, "x": [{"a": 3}]}"#), (vec![1], true));
    }
}
