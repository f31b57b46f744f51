//! One listing of this integration's entities per resync, read before Opsgenie is: every
//! comparison of the resync and its deletion phase work from it (ocean-core.md §3.5, §3.7).
//!
//! Port's answer is kept compact: per listed entity its identifier (for deletion) and, for each
//! set of fields a resource of the mapping writes to its blueprint, a 128-bit fingerprint of
//! Port's copy normalised as [`super::diff`] normalises (so an entity changed by hand in Port
//! differs from what we would write, whatever we wrote last time). 100k entities take about
//! 10 MB. What this resync writes makes Port's listed copy stale: such an entity is compared
//! again by asking Port ([`Verdict::Unknown`]), except on a blueprint several resources write,
//! where what each write left is remembered so a second resource compares with it.

use super::diff::{self, Fingerprint};
use super::{CancellationFlag, Engine, SyncError};
use crate::mapping::{Mapping, MAX_IDENTIFIER_CHARS};
use crate::port::PortError;
use serde_json::Value;
use std::collections::hash_map::DefaultHasher;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};

/// Most entities one listing may hold; past it the resync compares by searching and deletes
/// nothing (the listing is then neither complete nor bounded).
pub(super) const MAX_ENTITIES: usize = 2_000_000;
/// Most bytes of identifiers the listing keeps (for deletion).
const MAX_IDENTIFIER_BYTES: usize = 256 << 20;
/// Longest blueprint identifier Port takes.
const MAX_BLUEPRINT_CHARS: usize = 100;
/// Most distinct blueprints in one listing.
const MAX_BLUEPRINTS: usize = 10_000;

/// `(blueprint index, two 64-bit hashes of the identifier)`.
type Key = (u32, u64, u64);

/// How an entity a resource would write compares with Port's copy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Verdict {
    /// Not among this integration's entities.
    Create,
    Update,
    Unchanged,
    /// The listing cannot tell (this resync wrote the entity already, or the fields are not a
    /// resource's): ask Port.
    Unknown,
}

/// A body's fields and fingerprint, to compare and, once written, to remember.
#[derive(Clone, Copy, Debug)]
pub(super) struct Written {
    fields: u16,
    fingerprint: Fingerprint,
}

struct Entry {
    /// The identifier, in `names`.
    name_at: u32,
    name_len: u32,
    /// This entity's fingerprints, in `fingerprints`, one per field set of its blueprint.
    first: u32,
    /// Written by this resync: the fingerprints are Port's copy before that.
    written: bool,
}

pub(super) struct Listing {
    blueprints: Vec<String>,
    blueprint_index: HashMap<String, u32>,
    /// The distinct field sets of the mapping's resources.
    fields: Vec<diff::FieldSet>,
    /// Resource index -> its field set.
    resource_fields: HashMap<usize, u16>,
    /// Field sets fingerprinted per blueprint index (those of resources writing it).
    fingerprinted: Vec<Vec<u16>>,
    /// Resources with a constant blueprint: (blueprint, field set); others write any.
    writers: Vec<(Option<String>, u16)>,
    /// Blueprints more than one resource writes (`None`: every one, a blueprint is computed).
    shared: Option<Vec<String>>,
    entries: HashMap<Key, Entry>,
    names: String,
    fingerprints: Vec<Fingerprint>,
    /// What this resync wrote to entities of shared blueprints.
    written: HashMap<Key, Written>,
}

impl Listing {
    fn empty() -> Listing {
        Listing {
            blueprints: Vec::new(),
            blueprint_index: HashMap::new(),
            fields: Vec::new(),
            resource_fields: HashMap::new(),
            fingerprinted: Vec::new(),
            writers: Vec::new(),
            shared: Some(Vec::new()),
            entries: HashMap::new(),
            names: String::new(),
            fingerprints: Vec::new(),
            written: HashMap::new(),
        }
    }

    fn new(mapping: &Mapping) -> Listing {
        let mut listing = Listing::empty();
        let mut blueprints: Vec<&str> = Vec::new();
        for resource in &mapping.resources {
            match (&resource.blueprint, &mut listing.shared) {
                (None, shared) => *shared = None,
                (Some(blueprint), Some(shared)) => {
                    if blueprints.contains(&blueprint.as_str()) && !shared.contains(blueprint) {
                        shared.push(blueprint.clone());
                    }
                    blueprints.push(blueprint);
                }
                (Some(_), None) => {}
            }
            let fields = diff::FieldSet::of_mapping(&resource.entity);
            let index = match listing.fields.iter().position(|f| *f == fields) {
                Some(index) => index,
                None => {
                    listing.fields.push(fields);
                    listing.fields.len() - 1
                }
            } as u16;
            listing.resource_fields.insert(resource.index, index);
            if !listing
                .writers
                .contains(&(resource.blueprint.clone(), index))
            {
                listing.writers.push((resource.blueprint.clone(), index));
            }
        }
        listing
    }

    /// [`Listing::read`], unless the run is over already (`done`).
    pub(super) async fn read_unless(
        done: bool,
        engine: &Engine,
        mapping: &Mapping,
        cancel: &CancellationFlag,
    ) -> Result<Option<Listing>, SyncError> {
        if done {
            return Ok(None);
        }
        Listing::read(engine, mapping, cancel).await.map(Some)
    }

    /// Lists every entity this integration owns (`$datasource`), as Port returns them.
    pub(super) async fn read(
        engine: &Engine,
        mapping: &Mapping,
        cancel: &CancellationFlag,
    ) -> Result<Listing, SyncError> {
        let settings = engine.settings();
        let prefix = format!("port-ocean/{}/", settings.integration_type);
        let suffix = format!("/{}/exporter", settings.identifier);
        let mut pager = engine.port().datasource_entities(&prefix, &suffix, None);
        let mut listing = Listing::new(mapping);
        let mut seen = 0usize;
        while let Some(page) = cancel.guard(pager.next_page()).await? {
            seen += page.len();
            if seen > MAX_ENTITIES {
                return Err(too_many(format!("more than {MAX_ENTITIES} entities")));
            }
            for entity in &page {
                listing.add(entity)?;
            }
        }
        tracing::info!(
            entities = listing.entries.len(),
            answered = seen,
            "listed this integration's entities"
        );
        Ok(listing)
    }

    /// Keeps one entity of Port's answer. Identifiers or blueprints Port would not hold (not
    /// strings, too long) cannot be ours and are left out; a repeat keeps the first.
    fn add(&mut self, entity: &Value) -> Result<(), SyncError> {
        let (Some(Value::String(blueprint)), Some(Value::String(identifier))) =
            (entity.get("blueprint"), entity.get("identifier"))
        else {
            return Ok(());
        };
        if blueprint.chars().count() > MAX_BLUEPRINT_CHARS
            || identifier.chars().count() > MAX_IDENTIFIER_CHARS
        {
            return Ok(());
        }
        let index = self.blueprint(blueprint)?;
        let key = key(index, identifier);
        if self.entries.contains_key(&key) {
            return Ok(());
        }
        if self.names.len() + identifier.len() > MAX_IDENTIFIER_BYTES {
            return Err(too_many(format!(
                "more than {} MiB of identifiers",
                MAX_IDENTIFIER_BYTES >> 20
            )));
        }
        let first = self.fingerprints.len() as u32;
        for &fields in &self.fingerprinted[index as usize] {
            let fields = &self.fields[usize::from(fields)];
            self.fingerprints.push(diff::fingerprint(entity, fields));
        }
        let entry = Entry {
            name_at: self.names.len() as u32,
            name_len: identifier.len() as u32,
            first,
            written: false,
        };
        self.names.push_str(identifier);
        self.entries.insert(key, entry);
        Ok(())
    }

    /// The index of `name`, added (with the field sets fingerprinted for it) when new.
    fn blueprint(&mut self, name: &str) -> Result<u32, SyncError> {
        if let Some(&index) = self.blueprint_index.get(name) {
            return Ok(index);
        }
        if self.blueprints.len() >= MAX_BLUEPRINTS {
            return Err(too_many(format!("more than {MAX_BLUEPRINTS} blueprints")));
        }
        let index = self.blueprints.len() as u32;
        let fields: Vec<u16> = self
            .writers
            .iter()
            .filter(|(blueprint, _)| blueprint.as_deref().is_none_or(|b| b == name))
            .map(|(_, fields)| *fields)
            .fold(Vec::new(), |mut all, fields| {
                if !all.contains(&fields) {
                    all.push(fields);
                }
                all
            });
        self.blueprints.push(name.to_owned());
        self.blueprint_index.insert(name.to_owned(), index);
        self.fingerprinted.push(fields);
        Ok(index)
    }

    fn lookup(&self, blueprint: &str, identifier: &str) -> Option<Key> {
        let index = *self.blueprint_index.get(blueprint)?;
        Some(key(index, identifier))
    }

    /// The fields and fingerprint of `body`, an entity `resource` would write (`None` when its
    /// fields are not the resource's, which the mapping model rules out).
    pub(super) fn written(&self, resource: usize, body: &Value) -> Option<Written> {
        let fields = *self.resource_fields.get(&resource)?;
        let set = &self.fields[usize::from(fields)];
        set.matches(body).then(|| Written {
            fields,
            fingerprint: diff::fingerprint(body, set),
        })
    }

    fn is_shared(&self, blueprint: &str) -> bool {
        self.shared
            .as_ref()
            .is_none_or(|shared| shared.iter().any(|b| b == blueprint))
    }

    /// How `body` of `blueprint` compares with what Port holds: Port's copy as listed, or on a
    /// shared blueprint what this resync wrote to it. An entity this resync wrote otherwise
    /// is `Unknown` (so is one a caller knows it wrote, which this listing may not: a create).
    pub(super) fn compare(&self, blueprint: &str, body: &Value, ours: Option<Written>) -> Verdict {
        let Some(Value::String(identifier)) = body.get("identifier") else {
            // A search identifier: Port resolves it, Ocean does not compare it.
            return Verdict::Update;
        };
        let Some(ours) = ours else {
            return Verdict::Unknown;
        };
        let verdict = |same: bool| {
            if same {
                Verdict::Unchanged
            } else {
                Verdict::Update
            }
        };
        let key = self.lookup(blueprint, identifier);
        if let Some(before) = key.and_then(|key| self.written.get(&key)) {
            // Another resource wrote other fields: Port's copy of ours is not known here.
            if before.fields != ours.fields {
                return Verdict::Unknown;
            }
            return verdict(before.fingerprint == ours.fingerprint);
        }
        let Some((key, entry)) = key.and_then(|key| Some((key, self.entries.get(&key)?))) else {
            return Verdict::Create;
        };
        if entry.written {
            return Verdict::Unknown;
        }
        let fingerprinted = &self.fingerprinted[key.0 as usize];
        match fingerprinted.iter().position(|&f| f == ours.fields) {
            Some(slot) => {
                verdict(self.fingerprints[entry.first as usize + slot] == ours.fingerprint)
            }
            None => Verdict::Unknown,
        }
    }

    /// Remembers a successful write of `body` of `blueprint`.
    pub(super) fn wrote(&mut self, blueprint: &str, body: &Value, ours: Option<Written>) {
        let Some(Value::String(identifier)) = body.get("identifier") else {
            return;
        };
        let shared = self.is_shared(blueprint);
        let key = match (self.lookup(blueprint, identifier), shared) {
            (Some(key), _) => key,
            (None, false) => return,
            (None, true) => match self.blueprint(blueprint) {
                Ok(index) => key(index, identifier),
                Err(_) => return,
            },
        };
        if let Some(entry) = self.entries.get_mut(&key) {
            entry.written = true;
        }
        if shared {
            // Fields no comparison can use: a later write of it asks Port.
            let ours = ours.unwrap_or(Written {
                fields: u16::MAX,
                fingerprint: Fingerprint::default(),
            });
            self.written.insert(key, ours);
        }
    }

    /// Whether this resync wrote the listed entity.
    pub(super) fn was_written(&self, blueprint: &str, identifier: &str) -> bool {
        self.lookup(blueprint, identifier)
            .and_then(|key| self.entries.get(&key))
            .is_some_and(|entry| entry.written)
    }

    /// Listed entities, `(blueprint, identifier)`, in no particular order.
    pub(super) fn entities(&self) -> impl Iterator<Item = (&str, &str)> + '_ {
        self.entries.iter().map(|(key, entry)| {
            let at = entry.name_at as usize;
            let name = &self.names[at..at + entry.name_len as usize];
            (self.blueprints[key.0 as usize].as_str(), name)
        })
    }
}

fn key(blueprint: u32, identifier: &str) -> Key {
    let mut first = DefaultHasher::new();
    identifier.hash(&mut first);
    let mut second = DefaultHasher::new();
    (0x11a7_u32, identifier).hash(&mut second);
    (blueprint, first.finish(), second.finish())
}

fn too_many(what: String) -> SyncError {
    SyncError::Port(PortError::Internal(format!(
        "this integration's entities in Port are too many to compare ({what})"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn listing(fields: &[(&str, diff::FieldSet)]) -> Listing {
        let mut listing = Listing::empty();
        for (resource, (blueprint, set)) in fields.iter().enumerate() {
            listing.fields.push(set.clone());
            listing.resource_fields.insert(resource, resource as u16);
            let blueprint = Some((*blueprint).to_owned());
            if listing.writers.iter().any(|(b, _)| *b == blueprint) {
                listing.shared.as_mut().unwrap().extend(blueprint.clone());
            }
            listing.writers.push((blueprint, resource as u16));
        }
        listing
    }

    fn body(id: &str, status: &str, extra: Value) -> Value {
        json!({"identifier": id, "title": id, "blueprint": "alert",
               "properties": {"status": status, "count": 1, "gone": null},
               "relations": {"incident": extra}})
    }

    #[test]
    fn port_copies_compare_with_what_a_resource_writes() {
        let ours = body("a", "open", json!(null));
        let mut listing = listing(&[("alert", diff::FieldSet::of(&ours))]);
        // Port's copy: nulls dropped, numbers as doubles, more fields than ours, an empty
        // relation as [].
        let theirs = json!({"identifier": "a", "title": "a", "blueprint": "alert", "team": [],
            "properties": {"status": "open", "count": 1.0, "other": 5},
            "relations": {"incident": [], "more": "x"}, "updatedAt": "2024-01-01T00:00:00.000Z"});
        listing.add(&theirs).unwrap();
        listing
            .add(&json!({"identifier": "b", "blueprint": "alert", "properties": {"status": "closed"}}))
            .unwrap();
        let compare = |listing: &Listing, body: &Value| {
            let ours = listing.written(0, body);
            listing.compare("alert", body, ours)
        };
        assert_eq!(compare(&listing, &ours), Verdict::Unchanged);
        assert_eq!(
            compare(&listing, &body("a", "closed", json!(null))),
            Verdict::Update
        );
        assert_eq!(
            compare(&listing, &body("b", "closed", json!(null))),
            Verdict::Update,
            "title and count differ"
        );
        assert_eq!(
            compare(&listing, &body("c", "open", json!(null))),
            Verdict::Create
        );
        // Fields the resource does not write: the listing cannot tell.
        let odd =
            json!({"identifier": "a", "blueprint": "alert", "properties": {}, "relations": {}});
        assert_eq!(compare(&listing, &odd), Verdict::Unknown);
        // A search identifier is not compared.
        let search = json!({"identifier": {"combinator": "and", "rules": []}});
        assert_eq!(listing.compare("alert", &search, None), Verdict::Update);

        // Once written, the listed copy is stale: Port is asked again.
        let closed = body("a", "closed", json!(null));
        let written = listing.written(0, &closed);
        listing.wrote("alert", &closed, written);
        listing.wrote("alert", &body("c", "open", json!(null)), written);
        assert!(listing.was_written("alert", "a") && !listing.was_written("alert", "b"));
        assert!(!listing.was_written("alert", "c"), "not listed");
        assert_eq!(compare(&listing, &closed), Verdict::Unknown);
        assert!(listing.written.is_empty(), "one resource writes alerts");
        let mut names: Vec<(&str, &str)> = listing.entities().collect();
        names.sort();
        assert_eq!(names, [("alert", "a"), ("alert", "b")]);
    }

    #[test]
    fn a_blueprint_two_resources_write_keeps_a_fingerprint_per_resource() {
        let members = json!({"identifier": "t", "title": "T", "properties": {"url": "u"}, "relations": {"members": ["m"]}});
        let oncall = json!({"identifier": "t", "title": "T", "properties": {"oncall": ["o"]}, "relations": {}});
        let mut listing = listing(&[
            ("team", diff::FieldSet::of(&members)),
            ("team", diff::FieldSet::of(&oncall)),
        ]);
        listing
            .add(
                &json!({"identifier": "t", "title": "T", "blueprint": "team",
                "properties": {"url": "u", "oncall": ["o"]}, "relations": {"members": ["m"]}}),
            )
            .unwrap();
        for (resource, body) in [(0, &members), (1, &oncall)] {
            let ours = listing.written(resource, body);
            assert_eq!(listing.compare("team", body, ours), Verdict::Unchanged);
        }
        // The first resource writes: what the second compares with is not known any more, and
        // a repeat of the first compares with what it wrote.
        let changed = json!({"identifier": "t", "title": "T2", "properties": {"url": "u"}, "relations": {"members": ["m"]}});
        let written = listing.written(0, &changed);
        listing.wrote("team", &changed, written);
        let ours = listing.written(1, &oncall);
        assert_eq!(listing.compare("team", &oncall, ours), Verdict::Unknown);
        assert_eq!(
            listing.compare("team", &changed, written),
            Verdict::Unchanged
        );
        assert_eq!(
            listing.compare("team", &members, listing.written(0, &members)),
            Verdict::Update
        );
        // Created by one resource, it is not Port's to create again for the other.
        let new = json!({"identifier": "n", "title": "N", "properties": {"url": "u"}, "relations": {"members": []}});
        let written = listing.written(0, &new);
        assert_eq!(listing.compare("team", &new, written), Verdict::Create);
        listing.wrote("team", &new, written);
        assert_eq!(listing.compare("team", &new, written), Verdict::Unchanged);
    }

    #[test]
    fn what_port_should_not_hold_is_left_out() {
        let set = diff::FieldSet::default();
        let mut listing = listing(&[("alert", set)]);
        let long = "x".repeat(MAX_IDENTIFIER_CHARS + 1);
        for entity in [
            json!({"identifier": 7, "blueprint": "alert"}),
            json!({"identifier": "a"}),
            json!({"identifier": long, "blueprint": "alert"}),
            json!({"identifier": "a", "blueprint": ["alert"]}),
            json!("not an entity"),
            json!({"identifier": "ok", "blueprint": "alert"}),
            json!({"identifier": "ok", "blueprint": "alert", "title": "repeat"}),
        ] {
            listing.add(&entity).unwrap();
        }
        assert_eq!(listing.entities().collect::<Vec<_>>(), [("alert", "ok")]);
    }
}
