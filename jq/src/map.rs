//! Insertion-ordered objects, as jq keeps them: iteration and printing follow
//! insertion order; replacing a key keeps its position.

use std::collections::HashMap;
use std::sync::Arc;

use super::value::Value;

/// Objects up to this many keys are searched linearly; larger ones get a hash index.
const INDEX_THRESHOLD: usize = 32;

/// Key equality for short keys: most keys differ in length or first byte, which is decided
/// here without a `memcmp` call (field lookups and projections compare keys a lot).
#[inline]
pub(crate) fn key_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    a.len() == b.len() && a.first() == b.first() && a == b
}

/// An insertion-ordered map from string keys to values.
#[derive(Clone, Default)]
pub struct Map {
    entries: Vec<(Arc<str>, Value)>,
    /// Key -> position in `entries`, built only for large objects. Boxed so the
    /// common small map stays small (one pointer instead of a whole `HashMap`).
    #[allow(clippy::box_collection)]
    index: Option<Box<HashMap<Arc<str>, usize>>>,
}

impl Map {
    /// An empty map.
    pub fn new() -> Map {
        Map::default()
    }

    /// An empty map with room for `n` entries.
    pub fn with_capacity(n: usize) -> Map {
        Map {
            entries: Vec::with_capacity(n),
            index: None,
        }
    }

    /// Builds a map from parsed `(key, value)` pairs; a repeated key keeps its
    /// first position and its last value (jq's parser behaviour).
    pub(crate) fn from_parsed_entries(mut entries: Vec<(Arc<str>, Value)>) -> Map {
        // Cheap duplicate screen: one bit per (length, first byte, last byte)
        // hash; only a repeated bit costs a linear search.
        let mut seen = [0u64; 4];
        let mut has_duplicates = false;
        for (k, _) in &entries {
            let b = k.as_bytes();
            let h = b
                .len()
                .wrapping_mul(31)
                .wrapping_add(usize::from(b.first().copied().unwrap_or(0)))
                .wrapping_mul(31)
                .wrapping_add(usize::from(b.last().copied().unwrap_or(0)))
                % 256;
            let (word, bit) = (h / 64, 1u64 << (h % 64));
            if seen[word] & bit != 0 {
                has_duplicates = true;
                break;
            }
            seen[word] |= bit;
        }
        if has_duplicates {
            let mut map = Map::with_capacity(entries.len());
            for (k, v) in entries {
                map.insert(k, v);
            }
            return map;
        }
        entries.shrink_to_fit();
        let mut map = Map {
            entries,
            index: None,
        };
        if map.entries.len() > INDEX_THRESHOLD {
            map.rebuild_index();
        }
        map
    }

    /// Number of keys.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when there are no keys.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn position(&self, key: &str) -> Option<usize> {
        match &self.index {
            Some(index) => index.get(key).copied(),
            None => self.entries.iter().position(|(k, _)| key_eq(k, key)),
        }
    }

    /// The value stored under `key`.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.position(key).map(|i| &self.entries[i].1)
    }

    /// Mutable access to the value stored under `key`.
    pub fn get_mut(&mut self, key: &str) -> Option<&mut Value> {
        self.position(key).map(move |i| &mut self.entries[i].1)
    }

    /// True when `key` is present.
    pub fn contains_key(&self, key: &str) -> bool {
        self.position(key).is_some()
    }

    /// Inserts or replaces; a replaced key keeps its position. Returns the old value.
    pub fn insert(&mut self, key: impl Into<Arc<str>>, value: Value) -> Option<Value> {
        let key = key.into();
        if let Some(i) = self.position(&key) {
            return Some(std::mem::replace(&mut self.entries[i].1, value));
        }
        self.push_new(key, value);
        None
    }

    /// Appends a key known not to be present (callers must guarantee it).
    fn push_new(&mut self, key: Arc<str>, value: Value) {
        let at = self.entries.len();
        if let Some(index) = &mut self.index {
            index.insert(key.clone(), at);
        } else if at + 1 > INDEX_THRESHOLD {
            let mut index: HashMap<Arc<str>, usize> = self
                .entries
                .iter()
                .enumerate()
                .map(|(i, (k, _))| (k.clone(), i))
                .collect();
            index.insert(key.clone(), at);
            self.index = Some(Box::new(index));
        }
        self.entries.push((key, value));
    }

    /// Removes `key`, keeping the order of the others. Returns the removed value.
    pub fn remove(&mut self, key: &str) -> Option<Value> {
        let i = self.position(key)?;
        let (_, value) = self.entries.remove(i);
        if self.index.is_some() {
            self.rebuild_index();
        }
        Some(value)
    }

    fn rebuild_index(&mut self) {
        self.index = if self.entries.len() > INDEX_THRESHOLD {
            Some(Box::new(
                self.entries
                    .iter()
                    .enumerate()
                    .map(|(i, (k, _))| (k.clone(), i))
                    .collect(),
            ))
        } else {
            None
        };
    }

    /// Entries in insertion order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&Arc<str>, &Value)> + DoubleEndedIterator {
        self.entries.iter().map(|(k, v)| (k, v))
    }

    /// Keys in insertion order.
    pub fn keys(&self) -> impl ExactSizeIterator<Item = &Arc<str>> + DoubleEndedIterator {
        self.entries.iter().map(|(k, _)| k)
    }

    /// Values in insertion order.
    pub fn values(&self) -> impl ExactSizeIterator<Item = &Value> + DoubleEndedIterator {
        self.entries.iter().map(|(_, v)| v)
    }

    /// Keys sorted by Unicode codepoint (jq's `keys` order: byte order of UTF-8).
    pub fn sorted_keys(&self) -> Vec<Arc<str>> {
        let mut keys: Vec<Arc<str>> = self.keys().cloned().collect();
        keys.sort_unstable();
        keys
    }

    /// Entries sorted by key.
    pub fn sorted_entries(&self) -> Vec<(&Arc<str>, &Value)> {
        let mut entries: Vec<(&Arc<str>, &Value)> = self.iter().collect();
        entries.sort_unstable_by(|a, b| a.0.cmp(b.0));
        entries
    }
}

impl Map {
    /// The entries, moved out (the map is left empty).
    pub(crate) fn take_entries(&mut self) -> Vec<(Arc<str>, Value)> {
        self.index = None;
        std::mem::take(&mut self.entries)
    }
}

impl Map {
    /// The entries in insertion order, as a slice (for iterative traversals).
    pub(crate) fn entries(&self) -> &[(Arc<str>, Value)] {
        &self.entries
    }
}

impl Drop for Map {
    fn drop(&mut self) {
        super::value::drop_contents(&mut self.entries, |(_, v)| v);
    }
}

impl std::fmt::Debug for Map {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl PartialEq for Map {
    /// jq equality: same key set, equal values; order does not matter.
    fn eq(&self, other: &Map) -> bool {
        self.len() == other.len()
            && self
                .iter()
                .all(|(k, v)| other.get(k).is_some_and(|w| v == w))
    }
}

impl<K: Into<Arc<str>>> FromIterator<(K, Value)> for Map {
    fn from_iter<I: IntoIterator<Item = (K, Value)>>(iter: I) -> Map {
        let iter = iter.into_iter();
        let mut map = Map::with_capacity(iter.size_hint().0);
        for (k, v) in iter {
            map.insert(k, v);
        }
        map
    }
}

impl IntoIterator for Map {
    type Item = (Arc<str>, Value);
    type IntoIter = std::vec::IntoIter<(Arc<str>, Value)>;
    fn into_iter(mut self) -> Self::IntoIter {
        self.take_entries().into_iter()
    }
}
