//! Small maps for the matcher's indexes: a fast non-cryptographic hasher (FxHash's mixing step; the keys
//! are policy literals, which are trusted) and a map that scans a short vector until it grows.

use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hash, Hasher};

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

/// FxHash-style hasher.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct FxHasher {
    hash: u64,
}

impl FxHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(SEED);
    }
}

impl Hasher for FxHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            // Byte by byte: a variable-length copy would be a call into `memcpy`.
            let word = rest.iter().rev().fold(0u64, |w, &b| (w << 8) | u64::from(b));
            self.add(word ^ ((rest.len() as u64) << 56));
        }
    }

    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }

    #[inline]
    fn write_u32(&mut self, i: u32) {
        self.add(u64::from(i));
    }

    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }

    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    #[inline]
    fn finish(&self) -> u64 {
        self.hash
    }
}

/// `BuildHasher` for [`FxHasher`].
pub(crate) type FxBuild = BuildHasherDefault<FxHasher>;

/// Below this many entries a [`LookupMap`] is a vector scanned linearly.
const SMALL: usize = 8;
/// Up to this many entries, the vector's keys are compared without hashing the key looked up.
const FEW: usize = 2;

/// Key equality without a call into `memcmp` for short strings (which most policy values are).
pub(crate) trait FastEq {
    /// Whether `self` equals `other`.
    fn fast_eq(&self, other: &Self) -> bool;
}

impl FastEq for str {
    #[inline]
    fn fast_eq(&self, other: &str) -> bool {
        bytes_eq(self.as_bytes(), other.as_bytes())
    }
}

impl FastEq for i64 {
    #[inline]
    fn fast_eq(&self, other: &i64) -> bool {
        self == other
    }
}

impl FastEq for u64 {
    #[inline]
    fn fast_eq(&self, other: &u64) -> bool {
        self == other
    }
}

/// Byte-string equality: up to 16 bytes with two (overlapping) eight-byte loads or a short loop.
#[inline]
fn bytes_eq(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    let word = |s: &[u8], i: usize| s.get(i..i + 8).and_then(|w| <[u8; 8]>::try_from(w).ok()).map(u64::from_le_bytes);
    match n {
        0..=7 => a.iter().zip(b).all(|(x, y)| x == y),
        8..=16 => word(a, 0) == word(b, 0) && word(a, n - 8) == word(b, n - 8),
        _ => a == b,
    }
}

/// A map that is a short vector while small and a hash table beyond [`SMALL`] entries. Entries keep
/// their key's hash, so keys are compared (with [`FastEq`]) only where hashes agree.
#[derive(Debug, Clone)]
pub(crate) enum LookupMap<K, V> {
    Small(Vec<(u64, K, V)>),
    /// Entries by hash (collisions share a bucket), and the number of entries.
    Large(HashMap<u64, Vec<(K, V)>, FxBuild>, usize),
}

/// The [`FxHasher`] hash of `key` (equal for a key and its borrowed form, as `Borrow` requires).
#[inline]
fn hash_of<Q: Hash + ?Sized>(key: &Q) -> u64 {
    let mut h = FxHasher::default();
    key.hash(&mut h);
    h.finish()
}

impl<K, V> Default for LookupMap<K, V> {
    fn default() -> Self {
        LookupMap::Small(Vec::new())
    }
}

impl<K: Hash + Eq, V> LookupMap<K, V> {
    /// The value for `key`, if any.
    #[inline]
    pub(crate) fn get<Q>(&self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
        Q: Hash + FastEq + ?Sized,
    {
        match self {
            LookupMap::Small(items) => {
                if items.len() <= FEW {
                    return items.iter().find(|(_, k, _)| k.borrow().fast_eq(key)).map(|(_, _, v)| v);
                }
                let hash = hash_of(key);
                items.iter().find(|(h, k, _)| *h == hash && k.borrow().fast_eq(key)).map(|(_, _, v)| v)
            }
            LookupMap::Large(map, _) => {
                let bucket = map.get(&hash_of(key))?;
                bucket.iter().find(|(k, _)| k.borrow().fast_eq(key)).map(|(_, v)| v)
            }
        }
    }

    /// The value for `key`, inserted with `make` if absent.
    pub(crate) fn entry_or_insert_with(&mut self, key: K, make: impl FnOnce() -> V) -> &mut V {
        let hash = hash_of(&key);
        if let LookupMap::Small(items) = self {
            if items.len() >= SMALL && !items.iter().any(|(_, k, _)| *k == key) {
                let len = items.len();
                let mut map: HashMap<u64, Vec<(K, V)>, FxBuild> = HashMap::default();
                for (h, k, v) in std::mem::take(items) {
                    map.entry(h).or_default().push((k, v));
                }
                *self = LookupMap::Large(map, len);
            }
        }
        match self {
            LookupMap::Small(items) => {
                let at = match items.iter().position(|(_, k, _)| *k == key) {
                    Some(at) => at,
                    None => {
                        items.push((hash, key, make()));
                        items.len() - 1
                    }
                };
                &mut items[at].2
            }
            LookupMap::Large(map, len) => {
                let bucket = map.entry(hash).or_default();
                let at = match bucket.iter().position(|(k, _)| *k == key) {
                    Some(at) => at,
                    None => {
                        bucket.push((key, make()));
                        *len += 1;
                        bucket.len() - 1
                    }
                };
                &mut bucket[at].1
            }
        }
    }

    /// Number of entries.
    pub(crate) fn len(&self) -> usize {
        match self {
            LookupMap::Small(items) => items.len(),
            LookupMap::Large(_, len) => *len,
        }
    }

    /// Whether the map is empty.
    pub(crate) fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The characters of `s` folded to lower case (Unicode `to_lowercase`, character by character).
#[inline]
pub(crate) fn folded(s: &str) -> impl Iterator<Item = char> + '_ {
    s.chars().flat_map(char::to_lowercase)
}

/// Hash of the case-folded characters of `s`, without building the folded string.
pub(crate) fn folded_hash(s: &str) -> u64 {
    let mut h = FxHasher::default();
    for c in folded(s) {
        h.write_u32(c as u32);
    }
    h.finish()
}

/// Case-insensitive equality (`equals-ignore-case`).
#[inline]
pub(crate) fn eq_ignore_case(a: &str, b: &str) -> bool {
    if a.is_ascii() && b.is_ascii() {
        return a.eq_ignore_ascii_case(b);
    }
    folded(a).eq(folded(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookup_map_grows_from_vector_to_hash_map() {
        let mut m: LookupMap<Box<str>, usize> = LookupMap::default();
        assert!(m.is_empty());
        for i in 0..20 {
            *m.entry_or_insert_with(format!("k{i}").into(), || 0) += i;
            *m.entry_or_insert_with(format!("k{i}").into(), || 0) += 1;
        }
        assert!(matches!(m, LookupMap::Large(..)));
        assert_eq!(m.len(), 20);
        for i in 0..20 {
            assert_eq!(m.get(format!("k{i}").as_str()), Some(&(i + 1)));
        }
        assert_eq!(m.get("nope"), None);
    }

    #[test]
    fn fast_equality_agrees_with_equality() {
        let words = [
            "",
            "a",
            "ab",
            "abcdefg",
            "abcdefgh",
            "abcdefgi",
            "bbcdefgh",
            "abcdefghijklmnop",
            "abcdefghijklmnoq",
            "xbcdefghijklmnop",
            "abcdefghijklmnopq",
            "abcdefghijklmnopr",
            "é",
            "e",
        ];
        for a in words {
            for b in words {
                assert_eq!(a.fast_eq(b), a == b, "{a:?} {b:?}");
            }
        }
    }

    #[test]
    fn case_folding() {
        assert!(eq_ignore_case("TENNIS", "tennis"));
        assert!(eq_ignore_case("CAFÉ", "café"));
        assert!(!eq_ignore_case("tennis!", "tennis"));
        assert_eq!(folded_hash("bEaCh"), folded_hash("BEACH"));
        assert_eq!(folded_hash("ÉTÉ"), folded_hash("été"));
        assert_ne!(folded_hash("a"), folded_hash("b"));
    }
}
