//! FIFO deduplication: a message deduplication id seen within the last 5 minutes marks a duplicate,
//! which is accepted but not delivered again (SNS FIFO topics and SQS FIFO queues alike).

use std::collections::{HashMap, VecDeque};

use sha2::{Digest, Sha256};

use crate::clock::{nanos, Nanos};

/// The deduplication ids of the last 5 minutes, each with what the first send returned.
#[derive(Debug)]
pub(crate) struct Dedup<V> {
    window: Nanos,
    seen: HashMap<String, (Nanos, V)>,
    order: VecDeque<(Nanos, String)>,
}

impl<V: Clone> Default for Dedup<V> {
    fn default() -> Self {
        Dedup { window: nanos(bus_core::limits::FIFO_DEDUP_WINDOW), seen: HashMap::new(), order: VecDeque::new() }
    }
}

impl<V: Clone> Dedup<V> {
    /// Forgets the ids older than the window.
    fn sweep(&mut self, now: Nanos) {
        while let Some((expires, _)) = self.order.front() {
            if *expires > now {
                break;
            }
            if let Some((_, key)) = self.order.pop_front() {
                if self.seen.get(&key).is_some_and(|(e, _)| *e <= now) {
                    self.seen.remove(&key);
                }
            }
        }
    }

    /// What the first send of `id` returned, if `id` was seen within the window.
    pub(crate) fn check(&mut self, now: Nanos, id: &str) -> Option<V> {
        self.sweep(now);
        self.seen.get(id).map(|(_, v)| v.clone())
    }

    /// Records the first send of `id`.
    pub(crate) fn record(&mut self, now: Nanos, id: &str, value: V) {
        let expires = now.saturating_add(self.window);
        self.seen.insert(id.to_owned(), (expires, value));
        self.order.push_back((expires, id.to_owned()));
    }

    /// Number of ids remembered.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.seen.len()
    }
}

/// The content-based deduplication id: the SHA-256 of the body (not the attributes), in hex.
pub(crate) fn content_id(body: &str) -> String {
    let digest = Sha256::digest(body.as_bytes());
    let mut s = String::with_capacity(64);
    for b in digest.iter() {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        s.push(char::from(HEX[usize::from(b >> 4)]));
        s.push(char::from(HEX[usize::from(b & 0xf)]));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_of_five_minutes_from_first_send() {
        let mut d: Dedup<u32> = Dedup::default();
        let s = 1_000_000_000u64;
        assert_eq!(d.check(0, "a"), None);
        d.record(0, "a", 1);
        assert_eq!(d.check(299 * s, "a"), Some(1));
        assert_eq!(d.check(300 * s, "a"), None, "the window has passed");
        assert_eq!(d.len(), 0);
    }

    #[test]
    fn content_id_is_sha256_hex() {
        assert_eq!(content_id("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }
}
