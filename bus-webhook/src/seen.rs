//! A bounded set of recently seen keys with a time to live: the memory behind duplicate and replay
//! detection. It lives in one process: several ingress processes do not share it.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, SystemTime};

/// Keys remembered for `ttl` after insertion, at most `capacity` at once (the oldest go first).
#[derive(Debug)]
pub(crate) struct SeenSet {
    ttl: Duration,
    capacity: usize,
    /// Key -> expiry.
    entries: HashMap<String, SystemTime>,
    /// Insertion order, with the expiry each key had then (stale pairs are skipped when popped).
    order: VecDeque<(SystemTime, String)>,
}

impl SeenSet {
    pub(crate) fn new(ttl: Duration, capacity: usize) -> Self {
        SeenSet { ttl, capacity: capacity.max(1), entries: HashMap::new(), order: VecDeque::new() }
    }

    /// Whether `key` was inserted less than `ttl` ago.
    pub(crate) fn contains(&mut self, key: &str, now: SystemTime) -> bool {
        self.purge(now);
        self.entries.get(key).is_some_and(|expiry| *expiry > now)
    }

    /// Remembers `key` from `now` on (refreshing its expiry if it was there).
    pub(crate) fn insert(&mut self, key: String, now: SystemTime) {
        self.purge(now);
        while self.entries.len() >= self.capacity && !self.entries.contains_key(&key) {
            if !self.pop_oldest() {
                break;
            }
            tracing::warn!(capacity = self.capacity, "webhook seen-set full: forgetting its oldest key early");
        }
        // A TTL too large for SystemTime (Duration::MAX) means "for as long as can be written".
        let expiry = now
            .checked_add(self.ttl)
            .or_else(|| now.checked_add(Duration::from_secs(u64::from(u32::MAX))))
            .unwrap_or(now);
        self.entries.insert(key.clone(), expiry);
        self.order.push_back((expiry, key));
    }

    /// Forgets `key` (a publish failed: a retry of the same delivery must be let through).
    pub(crate) fn remove(&mut self, key: &str) {
        self.entries.remove(key);
    }

    /// Number of keys remembered.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    /// Drops expired keys from the front of the insertion order.
    fn purge(&mut self, now: SystemTime) {
        while let Some((expiry, _)) = self.order.front() {
            if *expiry > now {
                break;
            }
            self.pop_oldest();
        }
    }

    /// Removes the oldest insertion; returns `false` when there is none. A pair whose key was refreshed
    /// or removed since is only dropped from the order, not from the map.
    fn pop_oldest(&mut self) -> bool {
        let Some((expiry, key)) = self.order.pop_front() else {
            return false;
        };
        if self.entries.get(&key) == Some(&expiry) {
            self.entries.remove(&key);
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::UNIX_EPOCH;

    fn t(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs)
    }

    #[test]
    fn huge_ttls_do_not_overflow() {
        let mut s = SeenSet::new(Duration::MAX, 10);
        s.insert("a".into(), t(0));
        assert!(s.contains("a", t(1_000_000_000)));
    }

    #[test]
    fn keys_expire_after_the_ttl() {
        let mut s = SeenSet::new(Duration::from_secs(10), 100);
        s.insert("a".into(), t(0));
        assert!(s.contains("a", t(9)));
        assert!(!s.contains("a", t(10)));
        assert_eq!(s.len(), 0);
    }

    #[test]
    fn the_capacity_bounds_memory_by_forgetting_the_oldest() {
        let mut s = SeenSet::new(Duration::from_secs(1000), 3);
        for (i, k) in ["a", "b", "c", "d"].into_iter().enumerate() {
            s.insert(k.into(), t(i as u64));
        }
        assert_eq!(s.len(), 3);
        assert!(!s.contains("a", t(5)));
        assert!(s.contains("b", t(5)) && s.contains("d", t(5)));
    }

    #[test]
    fn refresh_and_remove_keep_the_order_consistent() {
        let mut s = SeenSet::new(Duration::from_secs(10), 2);
        s.insert("a".into(), t(0));
        s.insert("a".into(), t(5)); // refreshed: expires at 15 now
        assert!(s.contains("a", t(12)));
        s.remove("a");
        assert!(!s.contains("a", t(12)));
        s.insert("b".into(), t(12));
        s.insert("c".into(), t(12));
        s.insert("d".into(), t(12));
        assert_eq!(s.len(), 2);
        assert!(s.contains("c", t(13)) && s.contains("d", t(13)));
    }
}
