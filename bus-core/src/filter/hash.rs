//! Small maps for the matcher's indexes: a fast non-cryptographic hasher (FxHash's mixing step; the keys
//! are policy literals, which are trusted) and a map that scans a short vector until it grows.

use std::borrow::Borrow;
use std::hash::{Hash, Hasher};

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

/// Eight bytes of `s` at `i` (which must be in bounds; 0 otherwise), little-endian.
#[inline]
fn load8(s: &[u8], i: usize) -> u64 {
    s.get(i..i + 8).and_then(|w| <[u8; 8]>::try_from(w).ok()).map_or(0, u64::from_le_bytes)
}

/// Four bytes of `s` at `i` (which must be in bounds; 0 otherwise), little-endian.
#[inline]
fn load4(s: &[u8], i: usize) -> u64 {
    s.get(i..i + 4).and_then(|w| <[u8; 4]>::try_from(w).ok()).map_or(0, |w| u64::from(u32::from_le_bytes(w)))
}

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
    /// Whole words, the last one overlapping the one before it (no byte loop, no `memcpy`); shorter
    /// inputs as two overlapping halves, or three bytes. Equal bytes give equal hashes, which is all a
    /// [`LookupMap`] needs (keys are compared where hashes agree).
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let n = bytes.len();
        if n >= 8 {
            let mut i = 0;
            while i + 8 <= n {
                self.add(load8(bytes, i));
                i += 8;
            }
            if i < n {
                self.add(load8(bytes, n - 8));
            }
        } else if n >= 4 {
            self.add((load4(bytes, 0) << 32) | load4(bytes, n - 4));
        } else if n > 0 {
            let (a, b, c) = (bytes[0], bytes[n / 2], bytes[n - 1]);
            self.add(u64::from(a) | (u64::from(b) << 8) | (u64::from(c) << 16) | ((n as u64) << 24));
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

/// A map that is a short vector while small and an open-addressing hash table beyond [`SMALL`] entries.
/// Entries keep their key's hash, so keys are compared (with [`FastEq`]) only where hashes agree.
#[derive(Debug, Clone)]
pub(crate) enum LookupMap<K, V> {
    Small(Vec<(u64, K, V)>),
    Large(Table<K, V>),
}

/// The large form of a [`LookupMap`]: entries in insertion order and a power-of-two slot array at most
/// half full, probed linearly from the slot given by the hash's top bits (FxHash's high bits are its
/// best mixed).
#[derive(Debug, Clone)]
pub(crate) struct Table<K, V> {
    entries: Vec<(u64, K, V)>,
    /// Index + 1 into `entries`; 0 is an empty slot.
    slots: Vec<u32>,
    /// `64 - log2(slots.len())`.
    shift: u32,
}

impl<K, V> Table<K, V> {
    fn with_entries(entries: Vec<(u64, K, V)>) -> Self {
        let bits = (2 * entries.len()).next_power_of_two().trailing_zeros().max(4);
        let mut table = Table { entries: Vec::new(), slots: vec![0; 1 << bits], shift: 64 - bits };
        for (at, e) in entries.iter().enumerate() {
            let slot = table.free_slot(e.0);
            table.slots[slot] = at as u32 + 1;
        }
        table.entries = entries;
        table
    }

    #[inline]
    fn start(&self, hash: u64) -> usize {
        (hash >> self.shift) as usize
    }

    fn free_slot(&self, hash: u64) -> usize {
        let mask = self.slots.len() - 1;
        let mut i = self.start(hash);
        while self.slots[i] != 0 {
            i = (i + 1) & mask;
        }
        i
    }

    /// The index in `entries` of the entry with hash `hash` whose key satisfies `eq`.
    #[inline]
    fn find(&self, hash: u64, eq: impl Fn(&K) -> bool) -> Option<usize> {
        let mask = self.slots.len() - 1;
        let mut i = self.start(hash);
        loop {
            let at = *self.slots.get(i)? as usize;
            if at == 0 {
                return None;
            }
            let (h, k, _) = self.entries.get(at - 1)?;
            if *h == hash && eq(k) {
                return Some(at - 1);
            }
            i = (i + 1) & mask;
        }
    }

    fn insert(&mut self, hash: u64, key: K, value: V) -> usize {
        if 2 * (self.entries.len() + 1) > self.slots.len() {
            *self = Table::with_entries(std::mem::take(&mut self.entries));
        }
        let slot = self.free_slot(hash);
        self.entries.push((hash, key, value));
        self.slots[slot] = self.entries.len() as u32;
        self.entries.len() - 1
    }
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
            LookupMap::Large(table) => {
                let at = table.find(hash_of(key), |k| k.borrow().fast_eq(key))?;
                table.entries.get(at).map(|(_, _, v)| v)
            }
        }
    }

    /// The value for `key`, inserted with `make` if absent.
    pub(crate) fn entry_or_insert_with(&mut self, key: K, make: impl FnOnce() -> V) -> &mut V {
        let hash = hash_of(&key);
        if let LookupMap::Small(items) = self {
            if items.len() >= SMALL && !items.iter().any(|(_, k, _)| *k == key) {
                *self = LookupMap::Large(Table::with_entries(std::mem::take(items)));
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
            LookupMap::Large(table) => {
                let at = match table.find(hash, |k| *k == key) {
                    Some(at) => at,
                    None => table.insert(hash, key, make()),
                };
                &mut table.entries[at].2
            }
        }
    }

    /// Number of entries.
    pub(crate) fn len(&self) -> usize {
        match self {
            LookupMap::Small(items) => items.len(),
            LookupMap::Large(table) => table.entries.len(),
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
    fn large_tables_rehash_and_find_every_key() {
        let mut m: LookupMap<u64, u64> = LookupMap::default();
        // Keys that differ only in high bits, and many of them: probing and rehashing are exercised.
        let keys: Vec<u64> = (0..3000u64).map(|i| if i % 2 == 0 { i } else { i << 40 }).collect();
        for (n, &k) in keys.iter().enumerate() {
            *m.entry_or_insert_with(k, || 0) += k;
            assert_eq!(m.len(), n + 1);
        }
        for &k in &keys {
            assert_eq!(m.get(&k), Some(&k));
        }
        assert_eq!(m.get(&1), None);
        assert_eq!(m.get(&(3 << 41)), None);

        // Strings of every length up to 40 (each hashing path), as keys and as misses.
        let mut m: LookupMap<Box<str>, usize> = LookupMap::default();
        let text = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGH";
        for n in 0..=40 {
            *m.entry_or_insert_with(text[..n].into(), || n) += 0;
        }
        for n in 0..=40 {
            assert_eq!(m.get(&text[..n]), Some(&n));
            assert_eq!(m.get(&text[1..=n + 1]), None);
        }
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
