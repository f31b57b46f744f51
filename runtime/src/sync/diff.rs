//! Which mapped entities differ from what Port already holds (ocean-core.md §3.5).
//!
//! One normalisation decides it ([`unchanged`], [`fingerprint`]): the title, team, properties
//! and relations an entity sets, compared with Port's copy of those fields. A resync compares
//! with fingerprints of its listing of Port's copies (`listing`); a plan, and a resync for what
//! its listing cannot tell, read the entities back with a search limited to the fields the
//! mapping sets ([`classify`]). Ocean compares only batches of more than 10 entities; this
//! engine compares every entity, so resyncing an unchanged account writes nothing and `plan`
//! predicts exactly what a resync writes.

use super::SyncSettings;
use crate::http::time::parse_rfc3339_millis;
use crate::port::{PortClient, PortError};
use serde_json::{json, Value};
use std::collections::hash_map::DefaultHasher;
use std::collections::{BTreeSet, HashMap};
use std::hash::Hasher;

/// Identifiers per search request (Ocean's chunk size).
const SEARCH_CHUNK: usize = 50;

/// What writing one mapped entity would do to Port.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    Create,
    /// The entity exists (ours and different, or owned by someone else), or its identifier is
    /// a search query and cannot be compared.
    Update,
    Unchanged,
}

/// How one entity compares with Port, and the fields Port holds for it (when this integration
/// owns it).
pub(super) type Compared = (Change, Option<Value>);

/// Classifies `bodies` (Port entity JSON of one blueprint, as the mapping builds it).
/// Entities this integration owns are compared field by field. With `exact`, identifiers not
/// owned are looked up again without the ownership rules, so a foreign entity is reported as
/// an update rather than a create (what Port's upsert answers); a resync does not need that.
pub(super) async fn classify(
    port: &PortClient,
    settings: &SyncSettings,
    blueprint: &str,
    bodies: &[Value],
    exact: bool,
) -> Result<Vec<Compared>, PortError> {
    let ids: Vec<Option<&str>> = bodies
        .iter()
        .map(|body| body.get("identifier").and_then(Value::as_str))
        .collect();
    let wanted: Vec<&str> = ids.iter().flatten().copied().collect();
    let mut owned = search(
        port,
        blueprint,
        &wanted,
        &include_fields(bodies),
        Some(settings),
    )
    .await?;
    // A page holds one entity per identifier (see `pending::last_per_identifier`).
    let mut changes: Vec<Change> = bodies
        .iter()
        .zip(&ids)
        .map(|(body, id)| match id.and_then(|id| owned.get(id)) {
            Some(theirs) if unchanged(body, theirs) => Change::Unchanged,
            Some(_) => Change::Update,
            None if id.is_none() => Change::Update,
            None => Change::Create,
        })
        .collect();
    if exact {
        let missing: Vec<&str> = ids
            .iter()
            .zip(&changes)
            .filter(|(_, change)| **change == Change::Create)
            .filter_map(|(id, _)| *id)
            .collect();
        if !missing.is_empty() {
            let foreign = search(port, blueprint, &missing, &["identifier".into()], None).await?;
            for (change, id) in changes.iter_mut().zip(&ids) {
                if *change == Change::Create && id.is_some_and(|id| foreign.contains_key(id)) {
                    *change = Change::Update;
                }
            }
        }
    }
    Ok(changes
        .into_iter()
        .zip(&ids)
        .map(|(change, id)| (change, id.and_then(|id| owned.remove(id))))
        .collect())
}

/// Entities of `blueprint` with the given identifiers, keyed by identifier; with `owner`, only
/// those whose `$datasource` is this integration's.
pub(super) async fn search(
    port: &PortClient,
    blueprint: &str,
    ids: &[&str],
    include: &[String],
    owner: Option<&SyncSettings>,
) -> Result<HashMap<String, Value>, PortError> {
    let include: Vec<&str> = include.iter().map(String::as_str).collect();
    let mut found = HashMap::with_capacity(ids.len());
    let unique: BTreeSet<&str> = ids.iter().copied().collect();
    let unique: Vec<&str> = unique.into_iter().collect();
    for chunk in unique.chunks(SEARCH_CHUNK) {
        let mut rules = vec![
            json!({"property": "$identifier", "operator": "in", "value": chunk}),
            json!({"property": "$blueprint", "operator": "=", "value": blueprint}),
        ];
        if let Some(settings) = owner {
            rules.push(json!({
                "property": "$datasource",
                "operator": "contains",
                "value": format!("port-ocean/{}/", settings.integration_type),
            }));
            rules.push(json!({
                "property": "$datasource",
                "operator": "contains",
                "value": format!("/{}/exporter", settings.identifier),
            }));
        }
        let query = json!({"combinator": "and", "rules": rules});
        let entities = match port.search_entities(&query, &include).await {
            Ok(entities) => entities,
            // No such blueprint yet (`sync` creates it first): none of its entities exist.
            Err(PortError::Api { status: 404, .. }) => Vec::new(),
            Err(error) => return Err(error),
        };
        for entity in entities {
            if let Some(id) = entity.get("identifier").and_then(Value::as_str) {
                found.insert(id.to_owned(), entity);
            }
        }
    }
    Ok(found)
}

/// `blueprint`, `identifier`, and every field the bodies set (title, team, each property and
/// relation) — Port returns only these.
fn include_fields(bodies: &[Value]) -> Vec<String> {
    let mut fields: BTreeSet<String> = ["blueprint", "identifier"]
        .into_iter()
        .map(str::to_owned)
        .collect();
    for body in bodies {
        for top in ["title", "team"] {
            if body.get(top).is_some() {
                fields.insert(top.to_owned());
            }
        }
        for group in ["properties", "relations"] {
            if let Some(Value::Object(values)) = body.get(group) {
                fields.extend(values.keys().map(|key| format!("{group}.{key}")));
            }
        }
    }
    fields.into_iter().collect()
}

/// The fields a mapping sets on an entity: all that a comparison looks at. Port's copy may
/// hold more (another resource's fields, calculated properties), and those are not ours.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub(super) struct FieldSet {
    title: bool,
    team: bool,
    /// Sorted.
    properties: Vec<String>,
    /// Sorted.
    relations: Vec<String>,
}

impl FieldSet {
    /// The fields `body` (an entity as we write it) sets.
    pub(super) fn of(body: &Value) -> FieldSet {
        let keys = |group: &str| -> Vec<String> {
            let mut keys: Vec<String> = match body.get(group) {
                Some(Value::Object(values)) => values.keys().cloned().collect(),
                _ => Vec::new(),
            };
            keys.sort();
            keys
        };
        FieldSet {
            title: body.get("title").is_some(),
            team: body.get("team").is_some(),
            properties: keys("properties"),
            relations: keys("relations"),
        }
    }

    /// The fields every entity of a resource sets: its mapping's keys.
    pub(super) fn of_mapping(mapping: &crate::mapping::EntityMapping) -> FieldSet {
        let sorted = |keys: Vec<String>| {
            let mut keys = keys;
            keys.sort();
            keys.dedup();
            keys
        };
        FieldSet {
            title: mapping.title.is_some(),
            team: mapping.team.is_some(),
            properties: sorted(
                mapping
                    .properties
                    .iter()
                    .map(|(k, _)| k.to_string())
                    .collect(),
            ),
            relations: sorted(
                mapping
                    .relations
                    .iter()
                    .map(|(k, _)| k.to_string())
                    .collect(),
            ),
        }
    }

    /// Whether `body` sets exactly these fields.
    pub(super) fn matches(&self, body: &Value) -> bool {
        let same_keys = |group: &str, keys: &[String]| match body.get(group) {
            Some(Value::Object(values)) => {
                values.len() == keys.len() && keys.iter().all(|key| values.contains_key(key))
            }
            _ => keys.is_empty(),
        };
        body.get("title").is_some() == self.title
            && body.get("team").is_some() == self.team
            && same_keys("properties", &self.properties)
            && same_keys("relations", &self.relations)
    }
}

/// Ocean's equality: title and team (order-insensitive) equal when we set them, and every
/// property and relation we set equal to Port's — a `null` of ours matches an absent value.
/// The icon is not compared. See [`normalise`].
pub fn unchanged(ours: &Value, theirs: &Value) -> bool {
    let fields = FieldSet::of(ours);
    let (mut a, mut b) = (Vec::new(), Vec::new());
    normalise(ours, &fields, &mut a);
    normalise(theirs, &fields, &mut b);
    a == b
}

/// 128 bits of hash of an entity's normal form for `fields`: what a resync keeps of Port's
/// copy of each entity it lists, to compare with what it would write.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub(super) struct Fingerprint(u64, u64);

pub(super) fn fingerprint(entity: &Value, fields: &FieldSet) -> Fingerprint {
    let mut sink = Fingerprinter(DefaultHasher::new(), DefaultHasher::new());
    sink.1.write_u32(0x5eed);
    normalise(entity, fields, &mut sink);
    Fingerprint(sink.0.finish(), sink.1.finish())
}

/// Where a normal form goes: kept whole (to compare two entities) or hashed.
trait Sink {
    fn put(&mut self, bytes: &[u8]);

    fn len(&mut self, tag: u8, len: usize) {
        self.put(&[tag]);
        self.put(&(len as u64).to_le_bytes());
    }

    fn text(&mut self, text: &str) {
        self.len(b's', text.len());
        self.put(text.as_bytes());
    }
}

impl Sink for Vec<u8> {
    fn put(&mut self, bytes: &[u8]) {
        self.extend_from_slice(bytes);
    }
}

struct Fingerprinter(DefaultHasher, DefaultHasher);

impl Sink for Fingerprinter {
    fn put(&mut self, bytes: &[u8]) {
        self.0.write(bytes);
        self.1.write(bytes);
    }
}

/// The one normalisation of an entity for comparison, over the fields in `fields` (those we
/// write): two entities are equal for a resync exactly when their normal forms are. An absent
/// title, property or relation is `null` (Port drops nulls); a team is a sorted set of names
/// (`"a"` = `["a"]`, `null` = `[]`); a relation without targets is `null` whether Port gives
/// it as `null`, `[]` or not at all; numbers compare by value (`1` = `1.0`), timestamps by
/// instant (`…T10:00:00Z` = `…T10:00:00.000Z`, as Port may store a date-time property); other
/// values as JSON.
fn normalise(entity: &Value, fields: &FieldSet, sink: &mut impl Sink) {
    if fields.title {
        sink.put(b"T");
        value(entity.get("title"), sink);
    }
    if fields.team {
        let names = team_set(entity.get("team"));
        sink.len(b'M', names.len());
        for name in &names {
            sink.text(name);
        }
    }
    for (tag, group, keys) in [
        (b'P', "properties", &fields.properties),
        (b'R', "relations", &fields.relations),
    ] {
        let stored = entity.get(group);
        sink.len(tag, keys.len());
        for key in keys {
            sink.text(key);
            let item = stored.and_then(|values| values.get(key));
            match item {
                Some(Value::Array(targets)) if tag == b'R' && targets.is_empty() => {
                    value(None, sink)
                }
                _ => value(item, sink),
            }
        }
    }
}

fn value(item: Option<&Value>, sink: &mut impl Sink) {
    match item {
        None | Some(Value::Null) => sink.put(b"n"),
        Some(Value::Bool(true)) => sink.put(b"t"),
        Some(Value::Bool(false)) => sink.put(b"f"),
        Some(Value::Number(number)) => {
            // As a double, as Port (JavaScript) holds it; -0 is 0.
            let float = number.as_f64().unwrap_or(f64::NAN);
            let float = if float == 0.0 { 0.0 } else { float };
            sink.put(b"#");
            sink.put(&float.to_bits().to_le_bytes());
        }
        Some(Value::String(text)) => match instant(text) {
            Some(millis) => {
                sink.put(b"@");
                sink.put(&millis.to_le_bytes());
            }
            None => sink.text(text),
        },
        Some(Value::Array(items)) => {
            sink.len(b'[', items.len());
            for item in items {
                value(Some(item), sink);
            }
        }
        Some(Value::Object(entries)) => {
            let mut keys: Vec<&String> = entries.keys().collect();
            keys.sort();
            sink.len(b'{', keys.len());
            for key in keys {
                sink.text(key);
                value(entries.get(key), sink);
            }
        }
    }
}

/// The millisecond of an RFC 3339 timestamp (`YYYY-MM-DDThh:mm:ss…` with a zone); other text
/// is not a timestamp.
fn instant(text: &str) -> Option<i64> {
    let looks_like_timestamp = text.len() >= 20 && text.as_bytes().get(10) == Some(&b'T');
    looks_like_timestamp
        .then(|| parse_rfc3339_millis(text))
        .flatten()
}

/// A team value as a sorted set of names (`"a"` and `["a"]` are the same team).
fn team_set(team: Option<&Value>) -> Vec<String> {
    let mut names: Vec<String> = match team {
        Some(Value::String(name)) => vec![name.clone()],
        Some(Value::Array(names)) => names
            .iter()
            .map(|name| match name {
                Value::String(name) => name.clone(),
                other => other.to_string(),
            })
            .collect(),
        Some(Value::Null) | None => Vec::new(),
        Some(other) => vec![other.to_string()],
    };
    names.sort();
    names.dedup();
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_entities_are_unchanged() {
        let ours = json!({
            "identifier": "a", "title": "A", "blueprint": "bp", "team": ["x", "y"],
            "properties": {"n": 1, "s": "t", "gone": null, "list": [1, 2]},
            "relations": {"svc": "s1"}
        });
        let theirs = json!({
            "identifier": "a", "title": "A", "blueprint": "bp", "team": ["y", "x"],
            "properties": {"n": 1.0, "s": "t", "list": [1, 2], "extra": true},
            "relations": {"svc": "s1"}, "icon": "Other"
        });
        assert!(unchanged(&ours, &theirs));
    }

    #[test]
    fn any_set_field_that_differs_is_a_change() {
        let ours = json!({
            "identifier": "a", "title": "A", "team": "x",
            "properties": {"n": 1, "gone": null}, "relations": {"svc": ["s1", "s2"]}
        });
        let base = json!({
            "identifier": "a", "title": "A", "team": ["x"],
            "properties": {"n": 1}, "relations": {"svc": ["s1", "s2"]}
        });
        assert!(unchanged(&ours, &base));
        let variants = [
            ("/title", json!("B")),
            ("/team", json!(["x", "z"])),
            ("/properties/n", json!(2)),
            ("/properties/n", json!("1")),
            ("/properties/gone", json!(0)),
            ("/relations/svc", json!(["s2", "s1"])),
        ];
        for (pointer, value) in variants {
            let mut theirs = base.clone();
            match theirs.pointer_mut(pointer) {
                Some(slot) => *slot = value,
                None => {
                    let (parent, key) = pointer.rsplit_once('/').unwrap();
                    theirs.pointer_mut(parent).unwrap()[key] = value;
                }
            }
            assert!(!unchanged(&ours, &theirs), "{pointer} changed");
        }
        let mut without_property = base.clone();
        without_property["properties"] = json!({});
        assert!(!unchanged(&ours, &without_property), "n missing in Port");
    }

    #[test]
    fn timestamps_compare_by_instant() {
        let ours =
            json!({"properties": {"at": "2024-05-01T10:00:00Z", "s": "2024-05-01T10:00:00Z"}});
        let theirs = json!({"properties": {"at": "2024-05-01T12:00:00.000+02:00", "s": "2024-05-01T10:00:00Z"}});
        assert!(unchanged(&ours, &theirs));
        let later =
            json!({"properties": {"at": "2024-05-01T10:00:00.001Z", "s": "2024-05-01T10:00:00Z"}});
        assert!(!unchanged(&ours, &later));
        // Only timestamps: other strings stay exact.
        let text =
            json!({"properties": {"at": "2024-05-01T10:00:00Z", "s": "2024-05-01t10:00:00Z"}});
        assert!(!unchanged(&ours, &text));
    }

    #[test]
    fn a_relation_without_targets_is_null_however_port_gives_it() {
        let ours = json!({"relations": {"many": null, "single": null, "gone": []}});
        for theirs in [
            json!({"relations": {"many": [], "single": null}}),
            json!({"relations": {"many": null, "gone": null}}),
            json!({}),
        ] {
            assert!(unchanged(&ours, &theirs), "{theirs}");
        }
        let related = json!({"relations": {"many": ["x"]}});
        assert!(!unchanged(&ours, &related));
        // Properties keep `[]` apart from null: an empty list is a value.
        let ours = json!({"properties": {"tags": []}});
        assert!(!unchanged(&ours, &json!({"properties": {}})));
    }

    #[test]
    fn fingerprints_decide_as_the_comparison_does() {
        let ours = json!({
            "identifier": "a", "title": "A", "team": ["x", "y"],
            "properties": {"n": 1, "at": "2024-05-01T10:00:00Z", "gone": null, "o": {"k": [1, "s"]}},
            "relations": {"svc": "s1", "none": null}
        });
        let fields = FieldSet::of(&ours);
        assert!(fields.matches(&ours));
        assert!(!fields.matches(&json!({"title": "A", "properties": {}, "relations": {}})));
        let theirs = [
            json!({"title": "A", "team": ["y", "x", "x"], "icon": "I",
                   "properties": {"n": 1.0, "at": "2024-05-01T10:00:00.000Z", "o": {"k": [1.0, "s"]}, "more": 2},
                   "relations": {"svc": "s1", "none": [], "more": ["z"]}}),
            json!({"title": "A", "team": ["x", "y"], "properties": {"n": 2, "at": "2024-05-01T10:00:00Z", "o": {"k": [1, "s"]}}, "relations": {"svc": "s1"}}),
            json!({"title": "A", "team": ["x", "y"], "properties": {"n": 1, "at": "2024-05-01T10:00:00Z", "o": {"k": ["s", 1]}}, "relations": {"svc": "s1"}}),
            json!({"title": "A", "team": ["x"], "properties": {"n": 1, "at": "2024-05-01T10:00:00Z", "o": {"k": [1, "s"]}}, "relations": {"svc": "s1"}}),
            json!({"title": null, "team": ["x", "y"], "properties": {"n": 1, "at": "2024-05-01T10:00:00Z", "o": {"k": [1, "s"]}}, "relations": {"svc": "s1"}}),
            json!({"title": "A", "team": ["x", "y"], "properties": {"n": 1, "at": "2024-05-01T10:00:00Z", "gone": 0, "o": {"k": [1, "s"]}}, "relations": {"svc": "s1"}}),
            json!({"title": "A", "team": ["x", "y"], "properties": {"n": "1", "at": "2024-05-01T10:00:00Z", "o": {"k": [1, "s"]}}, "relations": {"svc": "s1"}}),
        ];
        let mut equal = 0;
        for theirs in &theirs {
            let same = unchanged(&ours, theirs);
            equal += usize::from(same);
            assert_eq!(
                fingerprint(&ours, &fields) == fingerprint(theirs, &fields),
                same,
                "{theirs}"
            );
        }
        assert_eq!(equal, 1, "only the first is Port's copy of ours");
    }

    #[test]
    fn the_search_includes_exactly_the_set_fields() {
        let bodies = [
            json!({"identifier": "a", "title": "A", "properties": {"p": 1}, "relations": {}}),
            json!({"identifier": "b", "team": [], "properties": {"q": 1}, "relations": {"r": "x"}}),
        ];
        assert_eq!(
            include_fields(&bodies),
            [
                "blueprint",
                "identifier",
                "properties.p",
                "properties.q",
                "relations.r",
                "team",
                "title"
            ]
        );
    }
}
