//! Which mapped entities differ from what Port already holds (ocean-core.md §3.5).
//!
//! Before a page is written, the entities this integration owns are read back with a search
//! limited to the fields the mapping sets; an entity whose title, team, properties and
//! relations are equal is not written again. Ocean compares only batches of more than 10
//! entities; this engine compares every page, so resyncing an unchanged account writes nothing
//! and `plan` predicts exactly what a resync writes.

use super::SyncSettings;
use crate::http::time::parse_rfc3339_millis;
use crate::port::{PortClient, PortError};
use serde_json::{json, Value};
use std::collections::{BTreeSet, HashMap};

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
    // An identifier repeated in the page is written in order: each repeat compares with the
    // occurrence before it, which is what Port holds by then.
    let mut previous: HashMap<&str, &Value> = HashMap::new();
    for ((body, id), change) in bodies.iter().zip(&ids).zip(changes.iter_mut()) {
        let Some(id) = id else { continue };
        if let Some(before) = previous.insert(id, body) {
            *change = if same(before, body) {
                Change::Unchanged
            } else {
                Change::Update
            };
        }
    }
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

/// Ocean's equality: title and team (order-insensitive) equal when we set them, and every
/// property and relation we set equal to Port's — a `null` of ours matches an absent value.
/// The icon is not compared.
pub fn unchanged(ours: &Value, theirs: &Value) -> bool {
    if let Some(title) = ours.get("title") {
        if !same_or_absent(title, theirs.get("title")) {
            return false;
        }
    }
    if let Some(team) = ours.get("team") {
        if team_set(Some(team)) != team_set(theirs.get("team")) {
            return false;
        }
    }
    ["properties", "relations"].into_iter().all(|group| {
        let Some(Value::Object(values)) = ours.get(group) else {
            return true;
        };
        let stored = theirs.get(group);
        values
            .iter()
            .all(|(key, value)| same_or_absent(value, stored.and_then(|s| s.get(key))))
    })
}

fn same_or_absent(ours: &Value, theirs: Option<&Value>) -> bool {
    match theirs {
        None => ours.is_null(),
        Some(theirs) => same(ours, theirs),
    }
}

/// JSON equality where numbers compare by value (`1` equals `1.0`) and timestamps by instant
/// (`…T10:00:00Z` equals `…T10:00:00.000Z`, as Port may store a date-time property).
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::String(x), Value::String(y)) => x == y || same_instant(x, y),
        (Value::Number(x), Value::Number(y)) => {
            x == y || matches!((x.as_f64(), y.as_f64()), (Some(x), Some(y)) if x == y)
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same(x, y))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(key, value)| y.get(key).is_some_and(|other| same(value, other)))
        }
        _ => a == b,
    }
}

/// Both texts are RFC 3339 timestamps of the same millisecond.
fn same_instant(x: &str, y: &str) -> bool {
    let looks_like_timestamp = |t: &str| t.len() >= 20 && t.as_bytes().get(10) == Some(&b'T');
    if !looks_like_timestamp(x) || !looks_like_timestamp(y) {
        return false;
    }
    match (parse_rfc3339_millis(x), parse_rfc3339_millis(y)) {
        (Some(x), Some(y)) => x == y,
        _ => false,
    }
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
