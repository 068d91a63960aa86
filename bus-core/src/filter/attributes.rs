//! MessageAttributes scope: each attribute is one key (its name, dots and all).
//!
//! `String` gives one string value (taken verbatim), `Number` one number (SNS Number syntax; text that is
//! not a number gives no value), `String.Array` the elements of its JSON array (read without building a
//! tree; a bare JSON scalar counts as a one-element array; invalid JSON gives no value), and `Binary` is
//! treated as absent. `exists: false` never matches a message without any non-Binary attribute.

use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::engine::{Engine, ROOT};
use super::index::Val;
use super::number::{parse_sns_number, quantize};
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
        let mut st = MatchState::new(self, scratch);
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
                    if let Some(v) = parse_sns_number(text) {
                        st.present(node);
                        n.index.feed(Val::Num(quantize(v)), &mut st);
                    }
                }
                AttributeValue::StringArray(json) => feed_string_array(json, node, &mut st),
                AttributeValue::Binary(_) => {}
            }
        }
        st.finish(present > 0, on_match);
    }
}

/// Feeds the elements of a String.Array value; nothing at all if it is not valid JSON.
fn feed_string_array(json: &str, node: u32, st: &mut MatchState<'_, '_>) {
    if serde_json::from_str::<IgnoredAny>(json).is_err() {
        return;
    }
    let mut de = serde_json::Deserializer::from_str(json);
    // Validated above, so this cannot fail part-way.
    let _ = de.deserialize_any(Elements { st, node });
}

/// Visits a String.Array value: scalars are values, arrays are flattened, objects are ignored.
struct Elements<'a, 'e, 's> {
    st: &'a mut MatchState<'e, 's>,
    node: u32,
}

impl Elements<'_, '_, '_> {
    fn value(self, v: Val<'_>) {
        self.st.present(self.node);
        self.st.engine.nodes[self.node as usize].index.feed(v, self.st);
    }
}

impl<'de> DeserializeSeed<'de> for Elements<'_, '_, '_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Elements<'_, '_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON array")
    }

    fn visit_str<E>(self, v: &str) -> Result<(), E> {
        self.value(Val::Str(v));
        Ok(())
    }
    fn visit_i64<E>(self, v: i64) -> Result<(), E> {
        self.value(Val::Num(quantize(v as f64)));
        Ok(())
    }
    fn visit_u64<E>(self, v: u64) -> Result<(), E> {
        self.value(Val::Num(quantize(v as f64)));
        Ok(())
    }
    fn visit_f64<E>(self, v: f64) -> Result<(), E> {
        self.value(Val::Num(quantize(v)));
        Ok(())
    }
    fn visit_bool<E>(self, v: bool) -> Result<(), E> {
        self.value(Val::Bool(v));
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        self.value(Val::Null);
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let node = self.node;
        while seq.next_element_seed(Elements { st: &mut *self.st, node })?.is_some() {}
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(())
    }
}
