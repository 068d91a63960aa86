//! MessageBody scope: walk the body's JSON once, without building a tree.
//!
//! The body is read with serde_json's streaming deserializer; strings are borrowed from the body (a string
//! with escape sequences is unescaped into serde_json's reusable buffer, which allocates only the first
//! time). Keys are resolved against the engine's trie as they are read; values under keys that no policy
//! mentions are skipped with `IgnoredAny`. Arrays are transparent at any depth. A body that is not a JSON
//! object (or not JSON at all) matches no body-scope policy.

use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::engine::{Engine, ROOT};
use super::index::Val;
use super::number::quantize;
use super::scratch::{MatchState, Scratch};

impl Engine {
    /// Matches `body` with body-scope semantics, reporting each matching policy's id.
    pub(crate) fn match_body(&self, body: &str, scratch: &mut Scratch, on_match: impl FnMut(usize)) {
        let mut st = MatchState::new(self, scratch);
        let mut de = serde_json::Deserializer::from_str(body);
        let is_object = match de.deserialize_any(Walk { st: &mut st, node: ROOT, top: true }) {
            Ok(is_object) => is_object && de.end().is_ok(),
            Err(_) => false,
        };
        if is_object {
            st.finish(true, on_match);
        }
    }
}

/// Visits one JSON value located at trie node `node`. The result tells the top level whether the value was
/// an object.
struct Walk<'a, 'e, 's> {
    st: &'a mut MatchState<'e, 's>,
    node: u32,
    top: bool,
}

impl Walk<'_, '_, '_> {
    #[inline]
    fn leaf(self, v: Val<'_>) -> bool {
        if !self.top {
            let n = &self.st.engine.nodes[self.node as usize];
            if n.target {
                self.st.present(self.node);
                n.index.feed(v, self.st);
            }
        }
        false
    }
}

impl<'de> DeserializeSeed<'de> for Walk<'_, '_, '_> {
    type Value = bool;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<bool, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Walk<'_, '_, '_> {
    type Value = bool;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_str<E>(self, v: &str) -> Result<bool, E> {
        Ok(self.leaf(Val::Str(v)))
    }
    fn visit_i64<E>(self, v: i64) -> Result<bool, E> {
        Ok(self.leaf(Val::Num(quantize(v as f64))))
    }
    fn visit_u64<E>(self, v: u64) -> Result<bool, E> {
        Ok(self.leaf(Val::Num(quantize(v as f64))))
    }
    fn visit_f64<E>(self, v: f64) -> Result<bool, E> {
        Ok(self.leaf(Val::Num(quantize(v))))
    }
    fn visit_bool<E>(self, v: bool) -> Result<bool, E> {
        Ok(self.leaf(Val::Bool(v)))
    }
    fn visit_unit<E>(self) -> Result<bool, E> {
        Ok(self.leaf(Val::Null))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<bool, A::Error> {
        if self.top {
            // Not an object: skip the rest cheaply; nothing matches.
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            return Ok(false);
        }
        let node = self.node;
        let scoped = !self.st.engine.nodes[node as usize].consistency.is_empty();
        if !scoped {
            while seq.next_element_seed(Walk { st: &mut *self.st, node, top: false })?.is_some() {}
            return Ok(false);
        }
        let base = self.st.array_begin(node);
        loop {
            self.st.element_begin(node, base);
            if seq.next_element_seed(Walk { st: &mut *self.st, node, top: false })?.is_none() {
                break;
            }
            self.st.element_end(node, base);
        }
        self.st.array_end(node, base);
        Ok(false)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<bool, A::Error> {
        let node = self.node;
        while let Some(child) = map.next_key_seed(Key { engine: self.st.engine, node })? {
            match child {
                Some(child) => {
                    map.next_value_seed(Walk { st: &mut *self.st, node: child, top: false })?;
                }
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(true)
    }
}

/// Reads an object key and resolves it against the trie from `node`.
struct Key<'e> {
    engine: &'e Engine,
    node: u32,
}

impl<'de> DeserializeSeed<'de> for Key<'_> {
    type Value = Option<u32>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Option<u32>, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for Key<'_> {
    type Value = Option<u32>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object key")
    }

    fn visit_str<E>(self, key: &str) -> Result<Option<u32>, E> {
        Ok(self.engine.step(self.node, key))
    }
}
