//! Writing one entity: Port's upsert / merge / replace semantics, validation against the
//! blueprint, relation targets (optionally created as stubs), and ownership (`$datasource`).

use serde_json::{Map, Value};

use super::auth::Actor;
use super::http::{ApiError, Query};
use super::search;
use super::store::{Store, StoredEntity};
use super::time::now_millis;
use super::validate::{check_properties, is_entity_identifier};

/// The entity-write query parameters.
#[derive(Clone, Copy, Debug, Default)]
pub struct WriteOptions {
    /// Overwrite an existing entity instead of answering 409.
    pub upsert: bool,
    /// With `upsert`, merge properties/relations into the existing entity instead of replacing.
    pub merge: bool,
    /// Create identifier-only stubs for relation targets that do not exist.
    pub create_missing_related: bool,
    /// Validate and answer, persist nothing.
    pub validation_only: bool,
}

impl WriteOptions {
    pub fn from_query(query: &Query) -> Result<Self, ApiError> {
        Ok(WriteOptions {
            upsert: query.flag("upsert", false)?,
            merge: query.flag("merge", false)?,
            create_missing_related: query.flag("create_missing_related_entities", false)?,
            validation_only: query.flag("validation_only", false)?,
        })
    }
}

/// A successful write.
#[derive(Debug)]
pub struct Written {
    pub identifier: String,
    pub created: bool,
    pub entity: Value,
}

/// A refused write; `identifier` is `"unknown"` when it could not be determined.
#[derive(Debug)]
pub struct Refused {
    pub identifier: String,
    pub error: ApiError,
}

/// The identifier regex as Port states it, for messages.
pub const IDENTIFIER_PATTERN: &str = "^(?!\\.{1,2}$)[\\p{L}0-9@_.+:\\\\/=-]+$";

pub fn upsert(
    store: &mut Store,
    blueprint_id: &str,
    body: &Value,
    options: WriteOptions,
    actor: &Actor,
) -> Result<Written, Refused> {
    *store
        .counters
        .entity_writes
        .entry(blueprint_id.to_owned())
        .or_default() += 1;
    let refuse = |identifier: &str, error: ApiError| Refused {
        identifier: identifier.to_string(),
        error,
    };
    let Some(blueprint) = store.blueprints.get(blueprint_id).cloned() else {
        return Err(refuse(
            body.get("identifier")
                .and_then(Value::as_str)
                .unwrap_or("unknown"),
            ApiError::not_found(format!(
                "Blueprint with identifier \"{blueprint_id}\" was not found"
            )),
        ));
    };
    let Value::Object(body) = body else {
        return Err(refuse(
            "unknown",
            ApiError::invalid("entity must be object"),
        ));
    };
    let identifier = resolve_identifier(store, blueprint_id, body).map_err(|e| {
        let shown = body
            .get("identifier")
            .and_then(Value::as_str)
            .unwrap_or("unknown");
        refuse(shown, e)
    })?;
    let fail = |error: ApiError| refuse(&identifier, error);
    let invalid = |message: String| {
        fail(ApiError::invalid(format!(
            "Entity \"{identifier}\" does not match blueprint \"{blueprint_id}\": {message}"
        )))
    };

    let title = optional_string(body, "title").map_err(invalid)?;
    let icon = optional_string(body, "icon").map_err(invalid)?;
    let team = team_of(body).map_err(invalid)?;
    let properties = optional_object(body, "properties").map_err(invalid)?;
    let relations = optional_object(body, "relations").map_err(invalid)?;

    let existing = store.entity(blueprint_id, &identifier).cloned();
    if existing.is_some() && !options.upsert {
        return Err(fail(ApiError::conflict(
            "identifier_taken",
            format!(
                "An entity with identifier \"{identifier}\" already exists in blueprint \"{blueprint_id}\""
            ),
        )));
    }

    let merging = options.merge.then_some(existing.as_ref()).flatten();
    let (title, icon, team, mut merged_properties, mut merged_relations) = match merging {
        Some(old) => {
            let mut props = old.properties.clone();
            props.extend(properties.clone().unwrap_or_default());
            let mut rels = old.relations.clone();
            rels.extend(relations.clone().unwrap_or_default());
            (
                if body.contains_key("title") {
                    title
                } else {
                    old.title.clone()
                },
                if body.contains_key("icon") {
                    icon
                } else {
                    old.icon.clone()
                },
                team.unwrap_or_else(|| old.team.clone()),
                props,
                rels,
            )
        }
        None => (
            title,
            icon,
            team.unwrap_or_default(),
            properties.unwrap_or_default(),
            relations.clone().unwrap_or_default(),
        ),
    };
    // Null properties are "unset": Port does not keep them.
    merged_properties.retain(|_, v| !v.is_null());
    check_properties(&blueprint, &merged_properties).map_err(invalid)?;
    merged_properties
        .values_mut()
        .for_each(as_javascript_numbers);

    let definitions = blueprint
        .get("relations")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let mut stubs: Vec<(String, String)> = Vec::new();
    for (key, value) in relations.unwrap_or_default() {
        let Some(definition) = definitions.get(&key) else {
            return Err(invalid(format!(
                "/relations must NOT have additional properties (\"{key}\" is not a relation of the blueprint)"
            )));
        };
        let target = definition
            .get("target")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let many = definition
            .get("many")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let resolved = relation_value(store, &key, target, many, &value).map_err(|e| match e {
            RelationError::Shape(message) => invalid(message),
            RelationError::Api(error) => fail(error),
        })?;
        for id in ids_of(&resolved) {
            if store.entity(target, &id).is_some()
                || stubs.contains(&(target.to_string(), id.clone()))
            {
                continue;
            }
            if !options.create_missing_related {
                return Err(fail(ApiError::not_found(format!(
                    "Related entity \"{id}\" of blueprint \"{target}\" (relation \"{key}\") was not found"
                ))));
            }
            stubs.push((target.to_string(), id));
        }
        merged_relations.insert(key, resolved);
    }
    for (key, definition) in &definitions {
        let required = definition
            .get("required")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let empty = match merged_relations.get(key) {
            None | Some(Value::Null) => true,
            Some(Value::Array(ids)) => ids.is_empty(),
            _ => false,
        };
        if required && empty {
            return Err(invalid(format!(
                "/relations must have required property '{key}'"
            )));
        }
    }

    let now = now_millis();
    let entity = StoredEntity {
        identifier: identifier.clone(),
        title,
        icon,
        team,
        properties: merged_properties,
        relations: merged_relations,
        created_at: existing.as_ref().map_or(now, |old| old.created_at),
        created_by: existing
            .as_ref()
            .map_or_else(|| actor.client_id.clone(), |old| old.created_by.clone()),
        updated_at: now,
        updated_by: actor.client_id.clone(),
        datasource: actor.user_agent.clone(),
    };
    let json = entity.to_json(blueprint_id);
    let created = existing.is_none();
    if options.validation_only {
        return Ok(Written {
            identifier,
            created,
            entity: json,
        });
    }
    for (target, id) in stubs {
        let stub = StoredEntity {
            identifier: id.clone(),
            title: None,
            icon: None,
            team: Vec::new(),
            properties: Map::new(),
            relations: Map::new(),
            created_at: now,
            created_by: actor.client_id.clone(),
            updated_at: now,
            updated_by: actor.client_id.clone(),
            // The stub is written on the caller's behalf, so the caller owns it.
            datasource: actor.user_agent.clone(),
        };
        store.entities.entry(target).or_default().insert(id, stub);
        store.counters.entities_created += 1;
    }
    store
        .entities
        .entry(blueprint_id.to_string())
        .or_default()
        .insert(identifier.clone(), entity);
    if created {
        store.counters.entities_created += 1;
    } else {
        store.counters.entities_updated += 1;
    }
    Ok(Written {
        identifier,
        created,
        entity: json,
    })
}

/// The entity's identifier: given, generated when absent, or found by a search query.
fn resolve_identifier(
    store: &mut Store,
    blueprint: &str,
    body: &Map<String, Value>,
) -> Result<String, ApiError> {
    match body.get("identifier") {
        None | Some(Value::Null) => {
            let serial = store.next_sequence();
            Ok(format!(
                "e_{:012x}",
                crate::faults::splitmix64(serial) >> 16
            ))
        }
        Some(Value::String(id)) if is_entity_identifier(id) => Ok(id.clone()),
        Some(Value::String(id)) => Err(ApiError::invalid(format!(
            "body/identifier must match pattern \"{IDENTIFIER_PATTERN}\" (got \"{id}\")"
        ))),
        Some(query @ Value::Object(_)) => {
            let ids = search::matching_ids(store, blueprint, query)?;
            match ids.as_slice() {
                [one] => Ok(one.clone()),
                [] => Err(ApiError::not_found(
                    "No entity matched the identifier search query",
                )),
                many => Err(ApiError::invalid(format!(
                    "The identifier search query matched {} entities; it must match exactly one",
                    many.len()
                ))),
            }
        }
        Some(_) => Err(ApiError::invalid("body/identifier must be string")),
    }
}

fn optional_string(body: &Map<String, Value>, key: &str) -> Result<Option<String>, String> {
    match body.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => Ok(Some(text.clone())),
        Some(_) => Err(format!("/{key} must be string")),
    }
}

fn optional_object(
    body: &Map<String, Value>,
    key: &str,
) -> Result<Option<Map<String, Value>>, String> {
    match body.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(map)) => Ok(Some(map.clone())),
        Some(_) => Err(format!("/{key} must be object")),
    }
}

/// `team`: a string or array of strings; `None` when absent (merge keeps the old teams).
fn team_of(body: &Map<String, Value>) -> Result<Option<Vec<String>>, String> {
    match body.get("team") {
        None => Ok(None),
        Some(Value::Null) => Ok(Some(Vec::new())),
        Some(Value::String(team)) => Ok(Some(vec![team.clone()])),
        Some(Value::Array(teams)) => teams
            .iter()
            .map(|t| t.as_str().map(str::to_string))
            .collect::<Option<Vec<_>>>()
            .map(Some)
            .ok_or_else(|| "/team must be string or array of strings".to_string()),
        Some(Value::Object(_)) => {
            Err("/team search queries are not supported by the simulator".to_string())
        }
        Some(_) => Err("/team must be string or array of strings".to_string()),
    }
}

enum RelationError {
    Shape(String),
    Api(ApiError),
}

/// Checks a relation value's shape for a single or many relation; resolves search queries to
/// identifiers of `target`.
fn relation_value(
    store: &Store,
    key: &str,
    target: &str,
    many: bool,
    value: &Value,
) -> Result<Value, RelationError> {
    let check_id = |id: &Value, path: String| match id {
        Value::String(text) if is_entity_identifier(text) => Ok(()),
        Value::String(text) => Err(RelationError::Shape(format!(
            "{path} must match pattern \"{IDENTIFIER_PATTERN}\" (got \"{text}\")"
        ))),
        _ => Err(RelationError::Shape(format!("{path} must be string"))),
    };
    match value {
        Value::Null => Ok(Value::Null),
        Value::String(_) if !many => {
            check_id(value, format!("/relations/{key}"))?;
            Ok(value.clone())
        }
        Value::String(_) => Err(RelationError::Shape(format!(
            "/relations/{key} must be array (relation \"{key}\" is many)"
        ))),
        Value::Array(ids) if many => {
            for (index, id) in ids.iter().enumerate() {
                check_id(id, format!("/relations/{key}/{index}"))?;
            }
            Ok(value.clone())
        }
        Value::Array(_) => Err(RelationError::Shape(format!(
            "/relations/{key} must be string (relation \"{key}\" is not many)"
        ))),
        Value::Object(_) => {
            let ids = search::matching_ids(store, target, value).map_err(RelationError::Api)?;
            if many {
                return Ok(Value::Array(ids.into_iter().map(Value::String).collect()));
            }
            match ids.as_slice() {
                [one] => Ok(Value::String(one.clone())),
                found => Err(RelationError::Api(ApiError::not_found(format!(
                    "The search query of relation \"{key}\" matched {} entities of \"{target}\"; it must match exactly one",
                    found.len()
                )))),
            }
        }
        _ => Err(RelationError::Shape(format!(
            "/relations/{key} must be string, array, null or a search query"
        ))),
    }
}

/// Port is a JavaScript service: every number it keeps is a double, so it returns `1.0` as `1`
/// and 12345678901234567891 as 12345678901234567000 (inferred from the platform; the numbers a
/// writer sent are not echoed back). A comparison with Port's copy must see these forms.
pub(crate) fn as_javascript_numbers(value: &mut Value) {
    match value {
        Value::Number(number) => {
            let Some(float) = number.as_f64() else {
                return;
            };
            // Integral doubles print without a fraction, as `JSON.stringify` does.
            *value = if float.fract() == 0.0 && float.abs() < 9_007_199_254_740_992.0 {
                Value::from(float as i64)
            } else {
                Value::from(float)
            };
        }
        Value::Array(items) => items.iter_mut().for_each(as_javascript_numbers),
        Value::Object(entries) => entries.values_mut().for_each(as_javascript_numbers),
        _ => {}
    }
}

fn ids_of(value: &Value) -> Vec<String> {
    match value {
        Value::String(id) => vec![id.clone()],
        Value::Array(ids) => ids
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn numbers_come_back_as_javascript_doubles() {
        let mut value = json!({"a": 1.0, "b": 12345678901234567891u64, "c": [2.5, -0.0, 3],
            "d": {"e": 1e300}, "f": "1.0"});
        as_javascript_numbers(&mut value);
        assert_eq!(
            value.to_string(),
            r#"{"a":1,"b":1.2345678901234567e+19,"c":[2.5,0,3],"d":{"e":1e+300},"f":"1.0"}"#
        );
    }
}
