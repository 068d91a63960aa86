//! MessageAttributes scope: each attribute is one key (its name, dots and all).
//!
//! `String` gives one string value (taken verbatim), `Number` one number (SNS Number syntax; text that is
//! not a number gives no value), `String.Array` the elements of its JSON array (read with the zero-copy
//! scanner; nested arrays are flattened, objects ignored, a bare JSON scalar counts as a one-element array,
//! invalid JSON gives no value at all), and `Binary` is treated as absent. `exists: false` never matches a
//! message without any non-Binary attribute.

use super::engine::{Engine, ROOT};
use super::index::{rule_allows, Val};
use super::number::{quantize_text, sns_number_quantum};
use super::scan::{Cursor, Invalid, TextBuffers, MAX_DEPTH};
use super::scratch::{MatchState, Scratch};
use crate::message::{AttributeValue, MessageAttributes};

/// Values recorded per trie node in a lazy engine, for checking unindexed conditions at the end.
const RECORDED: usize = 16;

/// The value(s) an attribute gave its node.
#[derive(Debug, Clone, Copy)]
enum Recorded<'a> {
    One(Val<'a>),
    /// A `Number` attribute's text, not parsed yet (its path's index is empty, so only checks need it).
    Number(&'a str),
    /// A `Number` attribute whose text is not a number: the path has no value after all.
    Invalid,
    /// A validated `String.Array` value, read again when needed.
    Array(&'a str),
}

impl Engine {
    /// Matches `attributes` with attribute-scope semantics, reporting each matching policy's id.
    pub(crate) fn match_attributes(
        &self,
        attributes: &MessageAttributes,
        scratch: &mut Scratch,
        on_match: impl FnMut(usize),
    ) {
        let mut st = MatchState::new(self, &mut scratch.state);
        let text = &mut scratch.text;
        let mut present = 0usize;
        let mut recorded = [(ROOT, Recorded::One(Val::Null)); RECORDED];
        let mut count = 0usize;
        for (name, value) in attributes {
            if matches!(value, AttributeValue::Binary(_)) {
                continue;
            }
            present += 1;
            let Some(node) = self.step(ROOT, name) else { continue };
            let n = &self.nodes[node as usize];
            if !n.target {
                continue;
            }
            if let (true, false, AttributeValue::Number(number)) = (self.lazy, n.indexed, value) {
                // Parsed only if a check needs it; until then the path counts as having a value.
                st.present(node);
                st.set_value_slot(node, record(&mut recorded, &mut count, node, Recorded::Number(number)));
            } else if let Some(v) = scalar(value) {
                st.present(node);
                if n.indexed {
                    n.index.feed(v, &mut st);
                }
                if self.lazy {
                    st.set_value_slot(node, record(&mut recorded, &mut count, node, Recorded::One(v)));
                }
            } else if let AttributeValue::StringArray(json) = value {
                // Validate first, so invalid JSON contributes nothing at all.
                let mut check = Cursor::new(json);
                if check.skip_value(&mut text.stack, 0).and_then(|()| check.end()).is_ok() {
                    let _ = elements(&mut Cursor::new(json), 0, text, &mut |v| {
                        st.present(node);
                        n.index.feed(v, &mut st);
                    });
                    if self.lazy {
                        st.set_value_slot(node, record(&mut recorded, &mut count, node, Recorded::Array(json)));
                    }
                }
            }
        }
        if !self.lazy {
            st.finish(present > 0, on_match);
            return;
        }
        let recorded = &mut recorded[..count.min(RECORDED)];
        let check = |c: u32, slot: u8| {
            let cond = &self.conds[c as usize];
            let value = match recorded.get(usize::from(slot)) {
                Some(&(node, value)) if node == cond.node => Some(value),
                // More attributes than recorded: find this node's again.
                _ if count > RECORDED => attributes.iter().find_map(|(name, value)| {
                    (self.step(ROOT, name) == Some(cond.node)).then_some(())?;
                    match value {
                        AttributeValue::StringArray(json) => Some(Recorded::Array(json)),
                        AttributeValue::Number(number) if !self.nodes[cond.node as usize].indexed => {
                            Some(Recorded::Number(number))
                        }
                        other => scalar(other).map(Recorded::One),
                    }
                }),
                _ => None,
            };
            let allows = |v: Val<'_>| cond.rules.iter().any(|r| rule_allows(r, v));
            match value {
                Some(Recorded::One(v)) => Some(allows(v)),
                Some(Recorded::Number(number)) => {
                    // Parsed once per message: the result replaces the text.
                    let parsed = sns_number_quantum(number);
                    if let Some(entry) = recorded.get_mut(usize::from(slot)).filter(|(n, _)| *n == cond.node) {
                        entry.1 = parsed.map_or(Recorded::Invalid, |q| Recorded::One(Val::Num(q)));
                    }
                    parsed.map(|q| allows(Val::Num(q)))
                }
                Some(Recorded::Invalid) => None,
                Some(Recorded::Array(json)) => {
                    let mut hit = false;
                    let _ = elements(&mut Cursor::new(json), 0, text, &mut |v| hit = hit || allows(v));
                    Some(hit)
                }
                None => Some(false),
            }
        };
        st.finish_with(present > 0, check, on_match);
    }
}

/// Records `value` for `node` (counting it even when there is no room left); returns its slot, or
/// `u8::MAX` if there was no room.
fn record<'a>(recorded: &mut [(u32, Recorded<'a>)], count: &mut usize, node: u32, value: Recorded<'a>) -> u8 {
    let at = *count;
    *count += 1;
    match recorded.get_mut(at) {
        Some(slot) => {
            *slot = (node, value);
            at as u8
        }
        None => u8::MAX,
    }
}

/// The value of a `String` or `Number` attribute (a `Number` whose text is not a number has none).
fn scalar(value: &AttributeValue) -> Option<Val<'_>> {
    match value {
        AttributeValue::String(s) => Some(Val::Str(s)),
        AttributeValue::Number(text) => sns_number_quantum(text).map(Val::Num),
        _ => None,
    }
}

/// Passes each scalar of a (validated) String.Array value to `f`: arrays are flattened, objects skipped.
fn elements(
    cursor: &mut Cursor<'_>,
    depth: usize,
    text: &mut TextBuffers,
    f: &mut impl FnMut(Val<'_>),
) -> Result<(), Invalid> {
    let v = match cursor.peek().ok_or(Invalid)? {
        b'[' => {
            if depth >= MAX_DEPTH {
                return Err(Invalid);
            }
            cursor.bump();
            if cursor.peek() == Some(b']') {
                cursor.bump();
                return Ok(());
            }
            loop {
                elements(cursor, depth + 1, text, f)?;
                match cursor.peek() {
                    Some(b',') => cursor.bump(),
                    Some(b']') => {
                        cursor.bump();
                        return Ok(());
                    }
                    _ => return Err(Invalid),
                }
            }
        }
        b'{' => return cursor.skip_value(&mut text.stack, depth),
        b'"' => {
            let s = cursor.string(&mut text.value)?;
            f(Val::Str(s));
            return Ok(());
        }
        b'-' | b'0'..=b'9' => Val::Num(quantize_text(cursor.number()?).ok_or(Invalid)?),
        _ => match cursor.literal()? {
            Some(b) => Val::Bool(b),
            None => Val::Null,
        },
    };
    f(v);
    Ok(())
}
