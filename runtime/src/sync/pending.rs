//! The writes of one resource, held back a little so that each identifier is written once.
//!
//! When a mapping gives two items of a resource the same identifier, Port keeps the last one
//! written; writing the others only makes a resync of an unchanged account write something
//! every time. So only the last one is written: within a page the earlier ones are dropped
//! before comparing; across pages an entity that differs from Port waits here until
//! [`HOLD`] entities wait, and a later entity of its identifier drops it. An unchanged account
//! holds next to nothing, so there a repeat is caught however far apart the two are.

use super::diff::Compared;
use super::listing::Written;
use super::plan;
use crate::mapping::Entity;
use serde_json::Value;
use std::collections::{HashMap, HashSet, VecDeque};

/// Entities held before the oldest are written: a few pages' worth (a page is 100 items),
/// as bodies of about 4 KB each.
pub(super) const HOLD: usize = 400;
/// How many of the oldest are written then (a multiple of Port's bulk limit of 20).
pub(super) const FLUSH: usize = 200;

/// An entity to write (or, in a plan, to record).
pub(super) struct Held {
    pub key: plan::Key,
    pub blueprint: String,
    pub body: Value,
    /// In a plan: how it compared with Port.
    pub compared: Option<Compared>,
    /// In a resync: its fields and fingerprint, remembered once written.
    pub written: Option<Written>,
}

#[derive(Default)]
pub(super) struct Pending {
    /// Oldest first; a dropped entity leaves `None`.
    queue: VecDeque<Option<Held>>,
    /// Key -> absolute position in `queue` (`front` is the position of its first slot).
    positions: HashMap<plan::Key, u64>,
    front: u64,
    live: usize,
}

impl Pending {
    pub(super) fn len(&self) -> usize {
        self.live
    }

    /// Drops the held entity of `key`, if any: a later one of its identifier came.
    pub(super) fn supersede(&mut self, key: plan::Key) -> bool {
        let Some(position) = self.positions.remove(&key) else {
            return false;
        };
        let slot = (position - self.front) as usize;
        let dropped = self.queue.get_mut(slot).and_then(Option::take).is_some();
        self.live -= usize::from(dropped);
        dropped
    }

    /// Holds `held`, dropping an earlier one of its key; says whether it did.
    pub(super) fn push(&mut self, held: Held) -> bool {
        let superseded = self.supersede(held.key);
        let position = self.front + self.queue.len() as u64;
        self.positions.insert(held.key, position);
        self.queue.push_back(Some(held));
        self.live += 1;
        superseded
    }

    /// Up to `count` of the oldest entities, in the order they came.
    pub(super) fn take_oldest(&mut self, count: usize) -> Vec<Held> {
        let mut taken = Vec::new();
        while taken.len() < count {
            let Some(slot) = self.queue.pop_front() else {
                break;
            };
            self.front += 1;
            if let Some(held) = slot {
                self.positions.remove(&held.key);
                self.live -= 1;
                taken.push(held);
            }
        }
        taken
    }
}

/// The page's entities with only the last of each identifier (per blueprint), in order, and
/// how many were dropped.
pub(super) fn last_per_identifier(entities: Vec<Entity>) -> (Vec<Entity>, u64) {
    let keys: Vec<plan::Key> = entities
        .iter()
        .map(|e| plan::key(&e.blueprint_name(), &e.identifier_key()))
        .collect();
    let mut later: HashSet<plan::Key> = HashSet::with_capacity(keys.len());
    let mut keep = vec![false; entities.len()];
    for (index, key) in keys.iter().enumerate().rev() {
        keep[index] = later.insert(*key);
    }
    let dropped = keep.iter().filter(|k| !**k).count() as u64;
    let kept = entities
        .into_iter()
        .zip(keep)
        .filter_map(|(entity, keep)| keep.then_some(entity))
        .collect();
    (kept, dropped)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jq;
    use serde_json::json;

    fn held(id: &str, n: u64) -> Held {
        Held {
            key: plan::key("bp", id),
            blueprint: "bp".into(),
            body: json!({"identifier": id, "properties": {"n": n}}),
            compared: None,
            written: None,
        }
    }

    fn ids(taken: &[Held]) -> Vec<String> {
        taken
            .iter()
            .map(|h| {
                format!(
                    "{}{}",
                    h.body["identifier"].as_str().unwrap(),
                    h.body["properties"]["n"]
                )
            })
            .collect()
    }

    #[test]
    fn a_later_entity_of_an_identifier_replaces_the_held_one() {
        let mut pending = Pending::default();
        assert!(!pending.push(held("a", 1)));
        assert!(!pending.push(held("b", 1)));
        assert!(pending.push(held("a", 2)));
        assert_eq!(pending.len(), 2);
        assert!(!pending.supersede(plan::key("b", "b")));
        assert!(pending.supersede(plan::key("bp", "b")));
        assert!(!pending.supersede(plan::key("bp", "b")));
        pending.push(held("c", 1));
        assert_eq!(ids(&pending.take_oldest(1)), ["a2"]);
        // Taken entities are gone: a later one of their identifier is simply held.
        assert!(!pending.push(held("a", 3)));
        assert_eq!(ids(&pending.take_oldest(usize::MAX)), ["c1", "a3"]);
        assert_eq!(pending.len(), 0);
        assert!(pending.take_oldest(5).is_empty());
    }

    #[test]
    fn a_page_keeps_the_last_entity_of_each_identifier() {
        let entity = |id: &str, blueprint: &str, n: i64| Entity {
            identifier: jq::Value::from(id),
            blueprint: jq::Value::from(blueprint),
            title: None,
            icon: None,
            team: None,
            properties: vec![("n".into(), jq::Value::from(n as f64))],
            relations: Vec::new(),
        };
        let page = vec![
            entity("a", "x", 1),
            entity("b", "x", 1),
            entity("a", "y", 1),
            entity("a", "x", 2),
            entity("b", "x", 2),
            entity("c", "x", 1),
        ];
        let (kept, dropped) = last_per_identifier(page);
        let kept: Vec<String> = kept
            .iter()
            .map(|e| {
                format!(
                    "{}/{}{}",
                    e.blueprint_name(),
                    e.identifier_key(),
                    e.properties[0].1.to_serde()
                )
            })
            .collect();
        assert_eq!(kept, ["y/a1", "x/a2", "x/b2", "x/c1"]);
        assert_eq!(dropped, 2);
    }
}
