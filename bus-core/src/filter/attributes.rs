//! MessageAttributes scope: each attribute is one key (its name, dots and all).
//!
//! `String` gives one string value (taken verbatim), `Number` one number (SNS Number syntax; text that is
//! not a number gives no value), `String.Array` the elements of its JSON array (read with the zero-copy
//! scanner; nested arrays are flattened, objects ignored, a bare JSON scalar counts as a one-element array,
//! invalid JSON gives no value at all), and `Binary` is treated as absent. `exists: false` never matches a
//! message without any non-Binary attribute.

use super::engine::{Engine, ROOT};
use super::index::Val;
use super::number::{quantize_text, sns_number_quantum};
use super::scan::{Cursor, Invalid, TextBuffers, MAX_DEPTH};
use super::scratch::{MatchState, Scratch};
use crate::message::{AttributeValue, MessageAttributes};

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
            match value {
                AttributeValue::String(s) => {
                    st.present(node);
                    n.index.feed(Val::Str(s), &mut st);
                }
                AttributeValue::Number(text) => {
                    if let Some(q) = sns_number_quantum(text) {
                        st.present(node);
                        n.index.feed(Val::Num(q), &mut st);
                    }
                }
                AttributeValue::StringArray(json) => {
                    // Validate first, so invalid JSON contributes nothing at all.
                    let mut check = Cursor::new(json);
                    if check.skip_value(&mut text.stack, 0).and_then(|()| check.end()).is_ok() {
                        let _ = elements(&mut Cursor::new(json), node, 0, &mut st, text);
                    }
                }
                AttributeValue::Binary(_) => {}
            }
        }
        st.finish(present > 0, on_match);
    }
}

/// Feeds the scalars of a (validated) String.Array value: arrays are flattened, objects skipped.
fn elements(
    cursor: &mut Cursor<'_>,
    node: u32,
    depth: usize,
    st: &mut MatchState<'_, '_>,
    text: &mut TextBuffers,
) -> Result<(), Invalid> {
    let index = &st.engine.nodes[node as usize].index;
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
                elements(cursor, node, depth + 1, st, text)?;
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
            st.present(node);
            index.feed(Val::Str(s), st);
            return Ok(());
        }
        b'-' | b'0'..=b'9' => Val::Num(quantize_text(cursor.number()?).ok_or(Invalid)?),
        _ => match cursor.literal()? {
            Some(b) => Val::Bool(b),
            None => Val::Null,
        },
    };
    st.present(node);
    index.feed(v, st);
    Ok(())
}
