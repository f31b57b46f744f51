//! Entity routes: single and bulk upsert, get/list/count, replace/patch, single and bulk delete.

use std::collections::BTreeSet;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Extension;
use serde_json::{json, Value};

use super::auth::Actor;
use super::http::{json_body, object_body, ok, ApiError, ApiResult, Query};
use super::search::project;
use super::store::Store;
use super::upsert::{upsert, WriteOptions};
use super::App;

/// Port's cap on entities per bulk call.
pub const BULK_MAX_ENTITIES: usize = 20;
/// Port's cap on identifiers per bulk delete.
pub const BULK_DELETE_MAX: usize = 100;

fn blueprint_missing(blueprint: &str) -> ApiError {
    ApiError::not_found(format!(
        "Blueprint with identifier \"{blueprint}\" was not found"
    ))
}

fn entity_missing(blueprint: &str, identifier: &str) -> ApiError {
    ApiError::not_found(format!(
        "Entity with identifier \"{identifier}\" was not found in blueprint \"{blueprint}\""
    ))
}

/// `POST /v1/blueprints/{bp}/entities`.
pub(crate) async fn upsert_one(
    State(app): State<Arc<App>>,
    Path(blueprint): Path<String>,
    RawQuery(raw): RawQuery,
    Extension(actor): Extension<Actor>,
    body: Bytes,
) -> ApiResult {
    let options = WriteOptions::from_query(&Query::parse(raw.as_deref()))?;
    let body = json_body(&body)?;
    let mut store = app.store();
    match upsert(&mut store, &blueprint, &body, options, &actor) {
        Ok(written) => Ok(ok(StatusCode::CREATED, json!({"entity": written.entity}))),
        Err(refused) => {
            store.counters.entity_errors += 1;
            Err(refused.error)
        }
    }
}

/// `POST /v1/blueprints/{bp}/entities/bulk`: per-item results, 200 or 207.
pub(crate) async fn upsert_bulk(
    State(app): State<Arc<App>>,
    Path(blueprint): Path<String>,
    RawQuery(raw): RawQuery,
    Extension(actor): Extension<Actor>,
    body: Bytes,
) -> ApiResult {
    let options = WriteOptions::from_query(&Query::parse(raw.as_deref()))?;
    let body = object_body(&body)?;
    let items = match body.get("entities") {
        Some(Value::Array(items)) => items,
        Some(_) => return Err(ApiError::invalid("body/entities must be array")),
        None => {
            return Err(ApiError::invalid(
                "body must have required property 'entities'",
            ))
        }
    };
    if items.is_empty() {
        return Err(ApiError::invalid(
            "body/entities must NOT have fewer than 1 items",
        ));
    }
    if items.len() > BULK_MAX_ENTITIES {
        return Err(ApiError::too_large(format!(
            "body/entities must NOT have more than {BULK_MAX_ENTITIES} items (got {})",
            items.len()
        )));
    }
    let mut store = app.store();
    if !store.blueprints.contains_key(&blueprint) {
        return Err(blueprint_missing(&blueprint));
    }
    let (mut written, mut errors) = (Vec::new(), Vec::new());
    for (index, item) in items.iter().enumerate() {
        match upsert(&mut store, &blueprint, item, options, &actor) {
            Ok(done) => written.push(json!({
                "identifier": done.identifier,
                "index": index,
                "created": done.created,
            })),
            Err(refused) => {
                store.counters.entity_errors += 1;
                errors.push(json!({
                    "identifier": refused.identifier,
                    "index": index,
                    "statusCode": refused.error.status.as_u16(),
                    "error": refused.error.error,
                    "message": refused.error.message,
                }));
            }
        }
    }
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::MULTI_STATUS
    };
    // `ok` is false when any item failed.
    let body = json!({"ok": errors.is_empty(), "entities": written, "errors": errors});
    Ok((status, axum::Json(body)).into_response())
}

/// `GET /v1/blueprints/{bp}/entities/{id}`.
pub(crate) async fn get_one(
    State(app): State<Arc<App>>,
    Path((blueprint, identifier)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
) -> ApiResult {
    let query = Query::parse(raw.as_deref());
    let store = app.store();
    if !store.blueprints.contains_key(&blueprint) {
        return Err(blueprint_missing(&blueprint));
    }
    let entity = store
        .entity(&blueprint, &identifier)
        .ok_or_else(|| entity_missing(&blueprint, &identifier))?;
    let json = project(
        entity.to_json(&blueprint),
        &query.all("include"),
        &query.all("exclude"),
    );
    Ok(ok(StatusCode::OK, json!({"entity": json})))
}

/// `GET /v1/blueprints/{bp}/entities`.
pub(crate) async fn list(
    State(app): State<Arc<App>>,
    Path(blueprint): Path<String>,
    RawQuery(raw): RawQuery,
) -> ApiResult {
    let query = Query::parse(raw.as_deref());
    let (include, exclude) = (query.all("include"), query.all("exclude"));
    let store = app.store();
    if !store.blueprints.contains_key(&blueprint) {
        return Err(blueprint_missing(&blueprint));
    }
    let entities: Vec<Value> = store
        .entities
        .get(&blueprint)
        .into_iter()
        .flat_map(|all| all.values())
        .map(|e| project(e.to_json(&blueprint), &include, &exclude))
        .collect();
    Ok(ok(StatusCode::OK, json!({"entities": entities})))
}

/// `GET /v1/blueprints/{bp}/entities-count`.
pub(crate) async fn count(State(app): State<Arc<App>>, Path(blueprint): Path<String>) -> ApiResult {
    let store = app.store();
    if !store.blueprints.contains_key(&blueprint) {
        return Err(blueprint_missing(&blueprint));
    }
    let count = store.entities.get(&blueprint).map_or(0, |all| all.len());
    Ok(ok(StatusCode::OK, json!({"count": count})))
}

/// PUT (replace) and PATCH (merge) of an existing entity.
fn change_existing(
    app: &App,
    blueprint: &str,
    identifier: &str,
    raw: Option<&str>,
    actor: &Actor,
    body: &[u8],
    merge: bool,
) -> ApiResult {
    let query = Query::parse(raw);
    let options = WriteOptions {
        upsert: true,
        merge,
        create_missing_related: query.flag("create_missing_related_entities", false)?,
        validation_only: false,
    };
    let mut body = object_body(body)?;
    match body.get("identifier") {
        None => {
            body.insert("identifier".into(), Value::String(identifier.into()));
        }
        Some(Value::String(given)) if given == identifier => {}
        Some(_) => {
            return Err(ApiError::invalid(
                "body/identifier must equal the identifier in the path",
            ))
        }
    }
    let mut store = app.store();
    if !store.blueprints.contains_key(blueprint) {
        return Err(blueprint_missing(blueprint));
    }
    if store.entity(blueprint, identifier).is_none() {
        return Err(entity_missing(blueprint, identifier));
    }
    match upsert(&mut store, blueprint, &Value::Object(body), options, actor) {
        Ok(written) => Ok(ok(StatusCode::OK, json!({"entity": written.entity}))),
        Err(refused) => {
            store.counters.entity_errors += 1;
            Err(refused.error)
        }
    }
}

pub(crate) async fn put_one(
    State(app): State<Arc<App>>,
    Path((blueprint, identifier)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
    Extension(actor): Extension<Actor>,
    body: Bytes,
) -> ApiResult {
    change_existing(
        &app,
        &blueprint,
        &identifier,
        raw.as_deref(),
        &actor,
        &body,
        false,
    )
}

pub(crate) async fn patch_one(
    State(app): State<Arc<App>>,
    Path((blueprint, identifier)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
    Extension(actor): Extension<Actor>,
    body: Bytes,
) -> ApiResult {
    change_existing(
        &app,
        &blueprint,
        &identifier,
        raw.as_deref(),
        &actor,
        &body,
        true,
    )
}

/// `DELETE /v1/blueprints/{bp}/entities/{id}?delete_dependents=`.
pub(crate) async fn delete_one(
    State(app): State<Arc<App>>,
    Path((blueprint, identifier)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
) -> ApiResult {
    let cascade = Query::parse(raw.as_deref()).flag("delete_dependents", false)?;
    let mut store = app.store();
    if !store.blueprints.contains_key(&blueprint) {
        return Err(blueprint_missing(&blueprint));
    }
    if store.entity(&blueprint, &identifier).is_none() {
        return Err(entity_missing(&blueprint, &identifier));
    }
    if !cascade {
        refuse_if_depended_on(&store, &blueprint, &identifier, &BTreeSet::new())?;
    }
    store.remove_entity(&blueprint, &identifier, cascade);
    Ok(ok(StatusCode::OK, json!({})))
}

/// 409 when entities outside `deleting` relate to the entity.
fn refuse_if_depended_on(
    store: &Store,
    blueprint: &str,
    identifier: &str,
    deleting: &BTreeSet<(String, String)>,
) -> Result<(), ApiError> {
    let outside: Vec<String> = store
        .dependents_of(blueprint, identifier)
        .into_iter()
        .filter(|dep| !deleting.contains(dep))
        .map(|(bp, id)| format!("{bp}/{id}"))
        .collect();
    if outside.is_empty() {
        Ok(())
    } else {
        Err(ApiError::conflict(
            "has_dependents",
            format!(
                "Entity \"{identifier}\" has dependent entities ({}); use delete_dependents=true",
                outside.join(", ")
            ),
        ))
    }
}

/// `POST /v1/blueprints/{bp}/bulk/entities/delete?delete_dependents=` with `{entities:[ids]}`.
/// Answers the identifiers actually deleted (unknown ones and, without `delete_dependents`,
/// ones others still depend on are left out).
pub(crate) async fn delete_bulk(
    State(app): State<Arc<App>>,
    Path(blueprint): Path<String>,
    RawQuery(raw): RawQuery,
    body: Bytes,
) -> ApiResult {
    let cascade = Query::parse(raw.as_deref()).flag("delete_dependents", false)?;
    let body = object_body(&body)?;
    let ids: Vec<String> = match body.get("entities") {
        Some(Value::Array(ids)) => ids
            .iter()
            .map(|id| id.as_str().map(str::to_string))
            .collect::<Option<_>>()
            .ok_or_else(|| ApiError::invalid("body/entities must be array of strings"))?,
        Some(_) => return Err(ApiError::invalid("body/entities must be array")),
        None => {
            return Err(ApiError::invalid(
                "body must have required property 'entities'",
            ))
        }
    };
    if ids.is_empty() || ids.len() > BULK_DELETE_MAX {
        return Err(ApiError::invalid(format!(
            "body/entities must have 1 to {BULK_DELETE_MAX} items"
        )));
    }
    let mut store = app.store();
    if !store.blueprints.contains_key(&blueprint) {
        return Err(blueprint_missing(&blueprint));
    }
    let deleting: BTreeSet<(String, String)> = ids
        .iter()
        .map(|id| (blueprint.clone(), id.clone()))
        .collect();
    let deletable: Vec<String> = ids
        .iter()
        .filter(|id| store.entity(&blueprint, id).is_some())
        .filter(|id| cascade || refuse_if_depended_on(&store, &blueprint, id, &deleting).is_ok())
        .cloned()
        .collect();
    let mut removed = BTreeSet::new();
    for id in &deletable {
        removed.extend(store.remove_entity(&blueprint, id, cascade));
    }
    // An id removed as a dependent of an earlier one still counts as deleted.
    let deleted: Vec<String> = deletable
        .into_iter()
        .filter(|id| removed.contains(&(blueprint.clone(), id.clone())))
        .collect();
    Ok(ok(StatusCode::OK, json!({"deletedEntities": deleted})))
}
