//! Blueprint routes and the delete-all-entities migration.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::Extension;
use serde_json::{json, Map, Value};

use super::auth::Actor;
use super::http::{object_body, ok, ApiError, ApiResult, Query};
use super::store::Store;
use super::time::{format_iso, now_millis};
use super::validate::check_blueprint;
use super::App;

/// Sections a stored blueprint always has (Port fills them with `{}`).
const DEFAULT_SECTIONS: [&str; 4] = [
    "relations",
    "mirrorProperties",
    "calculationProperties",
    "aggregationProperties",
];

fn missing(identifier: &str) -> ApiError {
    ApiError::not_found(format!(
        "Blueprint with identifier \"{identifier}\" was not found"
    ))
}

/// Validates and stores a new blueprint; returns it as Port does.
pub(crate) fn create(store: &mut Store, body: Value, actor: &str) -> Result<Value, ApiError> {
    let Value::Object(body) = body else {
        return Err(ApiError::invalid("body must be object"));
    };
    let own_id = body.get("identifier").and_then(Value::as_str).unwrap_or("");
    check_blueprint(&body, &|target| {
        target == own_id || store.blueprints.contains_key(target)
    })?;
    let identifier = own_id.to_string();
    if store.blueprints.contains_key(&identifier) {
        return Err(ApiError::conflict(
            "identifier_taken",
            format!("A blueprint with identifier \"{identifier}\" already exists"),
        ));
    }
    let now = format_iso(now_millis());
    let stored = finish(body, &now, actor, &now, actor);
    store.blueprints.insert(identifier, stored.clone());
    Ok(stored)
}

/// Adds defaults and audit fields.
fn finish(
    mut body: Map<String, Value>,
    created_at: &str,
    created_by: &str,
    updated_at: &str,
    updated_by: &str,
) -> Value {
    for section in DEFAULT_SECTIONS {
        if body.get(section).is_none_or(Value::is_null) {
            body.insert(section.into(), json!({}));
        }
    }
    if let Some(Value::Object(schema)) = body.get_mut("schema") {
        schema.entry("required").or_insert_with(|| json!([]));
    }
    body.insert("createdAt".into(), json!(created_at));
    body.insert("createdBy".into(), json!(created_by));
    body.insert("updatedAt".into(), json!(updated_at));
    body.insert("updatedBy".into(), json!(updated_by));
    Value::Object(body)
}

/// Replaces a stored blueprint after validating `next` (the full new definition).
fn replace(
    store: &mut Store,
    identifier: &str,
    mut next: Map<String, Value>,
    actor: &str,
) -> Result<Value, ApiError> {
    let old = store
        .blueprints
        .get(identifier)
        .cloned()
        .ok_or_else(|| missing(identifier))?;
    match next.get("identifier") {
        None => {
            next.insert("identifier".into(), json!(identifier));
        }
        Some(Value::String(id)) if id == identifier => {}
        Some(_) => {
            return Err(ApiError::invalid(
                "body/identifier must equal the identifier in the path",
            ))
        }
    }
    for audit in ["createdAt", "createdBy", "updatedAt", "updatedBy"] {
        next.remove(audit);
    }
    check_blueprint(&next, &|target| {
        target == identifier || store.blueprints.contains_key(target)
    })?;
    refuse_type_changes(&old, &next)?;
    let created_at = old.get("createdAt").and_then(Value::as_str).unwrap_or("");
    let created_by = old.get("createdBy").and_then(Value::as_str).unwrap_or("");
    let stored = finish(
        next,
        created_at,
        created_by,
        &format_iso(now_millis()),
        actor,
    );
    store
        .blueprints
        .insert(identifier.to_string(), stored.clone());
    Ok(stored)
}

/// A property's `type` cannot change once created.
fn refuse_type_changes(old: &Value, next: &Map<String, Value>) -> Result<(), ApiError> {
    let types = |schema: Option<&Value>| -> Map<String, Value> {
        schema
            .and_then(|s| s.get("properties"))
            .and_then(Value::as_object)
            .map(|props| {
                props
                    .iter()
                    .map(|(k, v)| (k.clone(), v.get("type").cloned().unwrap_or(Value::Null)))
                    .collect()
            })
            .unwrap_or_default()
    };
    let before = types(old.get("schema"));
    let after = types(next.get("schema"));
    for (key, new_type) in &after {
        if let Some(old_type) = before.get(key) {
            if old_type != new_type {
                return Err(ApiError::invalid(format!(
                    "The type of property \"{key}\" cannot be changed (from {old_type} to {new_type})"
                )));
            }
        }
    }
    Ok(())
}

pub(crate) async fn list(State(app): State<Arc<App>>) -> ApiResult {
    let blueprints: Vec<Value> = app.store().blueprints.values().cloned().collect();
    Ok(ok(StatusCode::OK, json!({"blueprints": blueprints})))
}

pub(crate) async fn get_one(
    State(app): State<Arc<App>>,
    Path(identifier): Path<String>,
) -> ApiResult {
    let store = app.store();
    let blueprint = store
        .blueprints
        .get(&identifier)
        .ok_or_else(|| missing(&identifier))?;
    Ok(ok(StatusCode::OK, json!({"blueprint": blueprint})))
}

pub(crate) async fn post(
    State(app): State<Arc<App>>,
    Extension(actor): Extension<Actor>,
    body: Bytes,
) -> ApiResult {
    let body = object_body(&body)?;
    let blueprint = create(&mut app.store(), Value::Object(body), &actor.client_id)?;
    Ok(ok(StatusCode::CREATED, json!({"blueprint": blueprint})))
}

/// PUT replaces the whole blueprint (port-api.md §5, "Change a blueprint"): whatever the body
/// leaves out is gone, relations and derived properties included, as in Port; so a client
/// that means to keep what a user added must send it back.
pub(crate) async fn put(
    State(app): State<Arc<App>>,
    Path(identifier): Path<String>,
    Extension(actor): Extension<Actor>,
    body: Bytes,
) -> ApiResult {
    let body = object_body(&body)?;
    let blueprint = replace(&mut app.store(), &identifier, body, &actor.client_id)?;
    Ok(ok(StatusCode::OK, json!({"blueprint": blueprint})))
}

/// PATCH replaces the top-level keys it carries (how Ocean adds relations, then mirror,
/// calculation and aggregation properties, in separate calls). Port documents that it merges
/// the body onto the blueprint without saying how deep; replacing whole top-level keys is the
/// stricter reading (a `schema` sent without a property drops it), so a client that works here
/// works with a deeper merge too.
pub(crate) async fn patch(
    State(app): State<Arc<App>>,
    Path(identifier): Path<String>,
    Extension(actor): Extension<Actor>,
    body: Bytes,
) -> ApiResult {
    let changes = object_body(&body)?;
    let mut store = app.store();
    let Some(Value::Object(mut next)) = store.blueprints.get(&identifier).cloned() else {
        return Err(missing(&identifier));
    };
    next.extend(changes);
    let blueprint = replace(&mut store, &identifier, next, &actor.client_id)?;
    Ok(ok(StatusCode::OK, json!({"blueprint": blueprint})))
}

/// Refused while entities exist or other blueprints relate to it (inferred 409).
pub(crate) async fn delete(
    State(app): State<Arc<App>>,
    Path(identifier): Path<String>,
) -> ApiResult {
    let mut store = app.store();
    if !store.blueprints.contains_key(&identifier) {
        return Err(missing(&identifier));
    }
    if store
        .entities
        .get(&identifier)
        .is_some_and(|e| !e.is_empty())
    {
        return Err(ApiError::conflict(
            "has_dependents",
            format!("Blueprint \"{identifier}\" still has entities; delete them first"),
        ));
    }
    let referrers: Vec<String> = store
        .blueprints
        .keys()
        .filter(|other| *other != &identifier)
        .filter(|other| {
            store
                .relations_of(other)
                .iter()
                .any(|(_, target, _)| target == &identifier)
        })
        .cloned()
        .collect();
    if !referrers.is_empty() {
        return Err(ApiError::conflict(
            "has_dependents",
            format!(
                "Blueprint \"{identifier}\" is the target of relations in: {}",
                referrers.join(", ")
            ),
        ));
    }
    store.blueprints.remove(&identifier);
    store.entities.remove(&identifier);
    Ok(ok(StatusCode::OK, json!({})))
}

/// `DELETE /v1/blueprints/{bp}/all-entities[?delete_blueprint=true]`: Port runs this as a
/// migration; the simulator finishes it at once and reports it `COMPLETE`.
pub(crate) async fn delete_all_entities(
    State(app): State<Arc<App>>,
    Path(identifier): Path<String>,
    RawQuery(raw): RawQuery,
    Extension(actor): Extension<Actor>,
) -> ApiResult {
    let delete_blueprint = Query::parse(raw.as_deref()).flag("delete_blueprint", false)?;
    let mut store = app.store();
    if !store.blueprints.contains_key(&identifier) {
        return Err(missing(&identifier));
    }
    let ids: Vec<String> = store
        .entities
        .get(&identifier)
        .map(|all| all.keys().cloned().collect())
        .unwrap_or_default();
    for id in ids {
        store.remove_entity(&identifier, &id, true);
    }
    if delete_blueprint {
        store.blueprints.remove(&identifier);
        store.entities.remove(&identifier);
    }
    let migration_id = format!("migration_{}", store.next_sequence());
    store.migrations.insert(
        migration_id.clone(),
        json!({
            "id": migration_id,
            "actor": actor.client_id,
            "sourceBlueprint": identifier,
            "mapping": {},
            "status": "COMPLETE",
        }),
    );
    Ok(ok(StatusCode::OK, json!({"migrationId": migration_id})))
}

pub(crate) async fn migration(State(app): State<Arc<App>>, Path(id): Path<String>) -> ApiResult {
    let store = app.store();
    let migration = store
        .migrations
        .get(&id)
        .ok_or_else(|| ApiError::not_found(format!("Migration \"{id}\" was not found")))?;
    Ok(ok(StatusCode::OK, json!({"migration": migration})))
}
