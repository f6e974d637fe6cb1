//! The duplicate window: keys seen in the last [`DEDUP_WINDOW_SECS`] seconds and the answer the
//! first occurrence got. Owned by the writer thread; rebuilt from the database at start so that
//! it survives a restart.

use std::collections::{HashMap, VecDeque};
use std::hash::Hash;

use v2im_wire::codes::limits::DEDUP_WINDOW_SECS;

pub(crate) struct Dedup<K, V> {
    map: HashMap<K, (i64, V)>,
    order: VecDeque<(i64, K)>,
}

impl<K, V> Default for Dedup<K, V> {
    fn default() -> Self {
        Dedup {
            map: HashMap::new(),
            order: VecDeque::new(),
        }
    }
}

impl<K: Hash + Eq + Clone, V: Clone> Dedup<K, V> {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// The first answer for `key` if it was seen within the window.
    pub(crate) fn get(&self, key: &K, now: i64) -> Option<&V> {
        self.map
            .get(key)
            .filter(|(t, _)| *t >= now - DEDUP_WINDOW_SECS)
            .map(|(_, v)| v)
    }

    pub(crate) fn insert(&mut self, key: K, time: i64, value: V) {
        self.order.push_back((time, key.clone()));
        self.map.insert(key, (time, value));
    }

    /// Forgets keys older than the window (keys are inserted in time order).
    pub(crate) fn prune(&mut self, now: i64) {
        let oldest = now - DEDUP_WINDOW_SECS;
        while let Some((t, _)) = self.order.front() {
            if *t >= oldest {
                break;
            }
            let (t, k) = self.order.pop_front().expect("front exists");
            // A key may have been inserted again after expiring; keep the newer entry.
            if self.map.get(&k).is_some_and(|(mt, _)| *mt == t) {
                self.map.remove(&k);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_and_prune() {
        let mut d = Dedup::new();
        d.insert("a", 100, 1);
        assert_eq!(d.get(&"a", 400), Some(&1));
        assert_eq!(d.get(&"a", 401), None);
        d.insert("a", 401, 2);
        d.prune(701);
        assert_eq!(d.get(&"a", 701), Some(&2));
        d.prune(702);
        assert!(d.map.is_empty());
    }
}
