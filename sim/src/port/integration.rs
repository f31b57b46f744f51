//! Integration routes (record, config, resync state/request, kind examples), organization, the
//! default-resource routes Ocean posts to, and the `/_sim/*` inspection routes.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde_json::{json, Map, Value};

use super::auth::Actor;
use super::http::{json_body, object_body, ok, ApiError, ApiResult};
use super::store::{IntegrationRecord, Store};
use super::time::{format_iso, now_millis, parse_iso};
use super::App;

/// States Ocean reports (`IntegrationStateStatus`).
const RESYNC_STATUSES: [&str; 4] = ["running", "completed", "failed", "aborted"];

/// Fields `POST /v1/integration` copies from the body.
const CREATE_FIELDS: [&str; 9] = [
    "installationAppType",
    "version",
    "changelogDestination",
    "config",
    "actionsProcessingEnabled",
    "incrementalSyncEnabled",
    "createPortResourcesOrigin",
    "processingMode",
    "title",
];

/// Fields a PATCH may not overwrite.
const READ_ONLY_FIELDS: [&str; 8] = [
    "identifier",
    "installationId",
    "_id",
    "_orgId",
    "createdAt",
    "createdBy",
    "clientId",
    "resyncState",
];

fn missing(id: &str) -> ApiError {
    ApiError::not_found(format!(
        "Integration with identifier \"{id}\" was not found"
    ))
}

fn integration_json(record: &IntegrationRecord) -> Value {
    Value::Object(record.json.clone())
}

/// Creates an integration record the way Port fills one in.
pub(crate) fn insert(
    app: &App,
    store: &mut Store,
    body: Map<String, Value>,
    actor: &str,
) -> Result<Value, ApiError> {
    let id = match body.get("installationId") {
        Some(Value::String(id)) if !id.is_empty() => id.clone(),
        Some(_) => {
            return Err(ApiError::invalid(
                "body/installationId must be a non-empty string",
            ))
        }
        None => {
            return Err(ApiError::invalid(
                "body must have required property 'installationId'",
            ))
        }
    };
    if let Some(config) = body.get("config") {
        check_app_config(config)?;
    }
    if store.integrations.contains_key(&id) {
        return Err(ApiError::conflict(
            "identifier_taken",
            format!("An integration with identifier \"{id}\" already exists"),
        ));
    }
    let now = format_iso(now_millis());
    let serial = store.next_sequence();
    let app_type = body
        .get("installationAppType")
        .cloned()
        .unwrap_or(Value::Null);
    let mut record = json!({
        "identifier": id,
        "installationId": id,
        "installationAppType": app_type,
        "integrationType": app_type,
        "installationType": "OnPrem",
        "_orgId": "org_sim",
        "_id": format!("integration_{serial}"),
        "clientId": app.client_id,
        "createdBy": actor,
        "updatedBy": actor,
        "createdAt": now,
        "updatedAt": now,
        "config": {},
        "changelogDestination": {},
        "actionsProcessingEnabled": false,
        "incrementalSyncEnabled": false,
        "createPortResourcesOrigin": "Empty",
        "arePortResourcesInitialized": false,
        "resyncState": null,
        "logAttributes": {
            "ingestId": format!("logs_{serial}"),
            "ingestUrl": format!("{}/_sim/ingest/logs/{id}", app.base_url),
        },
        "metricAttributes": {
            "ingestId": format!("metrics_{serial}"),
            "ingestUrl": format!("{}/_sim/ingest/metrics/{id}", app.base_url),
        },
        "spec": {},
    });
    if let Value::Object(fields) = &mut record {
        for key in CREATE_FIELDS {
            if let Some(value) = body.get(key) {
                fields.insert(key.into(), value.clone());
            }
        }
    }
    let json = match record {
        Value::Object(json) => json,
        _ => Map::new(),
    };
    store.integrations.insert(
        id,
        IntegrationRecord {
            json: json.clone(),
            ..Default::default()
        },
    );
    Ok(Value::Object(json))
}

pub(crate) async fn create(
    State(app): State<Arc<App>>,
    Extension(actor): Extension<Actor>,
    body: Bytes,
) -> ApiResult {
    let body = object_body(&body)?;
    let integration = insert(&app, &mut app.store(), body, &actor.client_id)?;
    Ok(ok(StatusCode::OK, json!({"integration": integration})))
}

pub(crate) async fn provision_enabled() -> ApiResult {
    Ok(ok(StatusCode::OK, json!({"integrations": []})))
}

pub(crate) async fn get_one(State(app): State<Arc<App>>, Path(id): Path<String>) -> ApiResult {
    let store = app.store();
    let record = store.integrations.get(&id).ok_or_else(|| missing(&id))?;
    Ok(ok(
        StatusCode::OK,
        json!({"integration": integration_json(record)}),
    ))
}

pub(crate) async fn delete_one(State(app): State<Arc<App>>, Path(id): Path<String>) -> ApiResult {
    let mut store = app.store();
    store.integrations.remove(&id).ok_or_else(|| missing(&id))?;
    Ok(ok(StatusCode::OK, json!({})))
}

pub(crate) async fn patch_one(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    Extension(actor): Extension<Actor>,
    body: Bytes,
) -> ApiResult {
    let changes = object_body(&body)?;
    if let Some(key) = changes
        .keys()
        .find(|k| READ_ONLY_FIELDS.contains(&k.as_str()))
    {
        return Err(ApiError::invalid(format!(
            "body must NOT have additional properties (\"{key}\" cannot be changed)"
        )));
    }
    let mut store = app.store();
    let record = store
        .integrations
        .get_mut(&id)
        .ok_or_else(|| missing(&id))?;
    record.json.extend(changes);
    touch(record, &actor);
    Ok(ok(
        StatusCode::OK,
        json!({"integration": integration_json(record)}),
    ))
}

fn touch(record: &mut IntegrationRecord, actor: &Actor) {
    record
        .json
        .insert("updatedAt".into(), json!(format_iso(now_millis())));
    record
        .json
        .insert("updatedBy".into(), json!(actor.client_id));
}

/// `PATCH /v1/integration/{id}/config` with `{config}`.
/// `PATCH /v1/integration/{id}/config`. Saving a mapping asks for a resync, as Port does after
/// an edit in its UI, unless the request carries `x-skip-resync: true` (what Ocean sends when it
/// writes the default mapping at start).
pub(crate) async fn patch_config(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    Extension(actor): Extension<Actor>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    let body = object_body(&body)?;
    let Some(config) = body.get("config").cloned() else {
        return Err(ApiError::invalid(
            "body must have required property 'config'",
        ));
    };
    check_app_config(&config)?;
    let mut store = app.store();
    let record = store
        .integrations
        .get_mut(&id)
        .ok_or_else(|| missing(&id))?;
    record.json.insert("config".into(), config);
    touch(record, &actor);
    let answer = json!({"integration": integration_json(record)});
    let skip = headers
        .get("x-skip-resync")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("true"));
    if !skip {
        request_resync(&mut store, &id);
    }
    Ok(ok(StatusCode::OK, answer))
}

/// The port-app-config shape Port accepts: flags, a threshold in `[0, 1]`, and resources each
/// with a `kind` (an empty object is the "no mapping yet" config).
fn check_app_config(config: &Value) -> Result<(), ApiError> {
    let bad = |message: String| Err(ApiError::invalid(format!("body/config{message}")));
    let Value::Object(config) = config else {
        return bad(" must be object".into());
    };
    for flag in [
        "deleteDependentEntities",
        "createMissingRelatedEntities",
        "enableMergeEntity",
    ] {
        if config.get(flag).is_some_and(|v| !v.is_boolean()) {
            return bad(format!("/{flag} must be boolean"));
        }
    }
    if let Some(threshold) = config.get("entityDeletionThreshold") {
        if !threshold.as_f64().is_some_and(|t| (0.0..=1.0).contains(&t)) {
            return bad("/entityDeletionThreshold must be a number from 0 to 1".into());
        }
    }
    let resources = match config.get("resources") {
        None => return Ok(()),
        Some(Value::Array(resources)) => resources,
        Some(_) => return bad("/resources must be array".into()),
    };
    for (index, resource) in resources.iter().enumerate() {
        let path = format!("/resources/{index}");
        let kind = resource.get("kind").and_then(Value::as_str);
        if kind.is_none_or(str::is_empty) {
            return bad(format!("{path} must have required property 'kind'"));
        }
        if resource.get("selector").is_some_and(|s| !s.is_object()) {
            return bad(format!("{path}/selector must be object"));
        }
        if let Some(port) = resource.get("port") {
            let mappings = port.get("entity").and_then(|e| e.get("mappings"));
            if !mappings.is_some_and(|m| m.is_object() || m.is_array()) {
                return bad(format!(
                    "{path}/port/entity must have required property 'mappings'"
                ));
            }
        }
    }
    Ok(())
}

fn check_resync_state(body: &Map<String, Value>) -> Result<(), ApiError> {
    match body.get("status").and_then(Value::as_str) {
        Some(status) if RESYNC_STATUSES.contains(&status) => {}
        Some(_) => {
            return Err(ApiError::invalid(
                "body/status must be equal to one of the allowed values (running, completed, failed, aborted)",
            ))
        }
        None => return Err(ApiError::invalid("body must have required property 'status'")),
    }
    for key in ["lastResyncStart", "lastResyncEnd", "nextResync"] {
        match body.get(key) {
            None | Some(Value::Null) => {}
            Some(Value::String(at)) if parse_iso(at).is_some() => {}
            Some(_) => {
                return Err(ApiError::invalid(format!(
                    "body/{key} must match format \"date-time\" or be null"
                )))
            }
        }
    }
    match body.get("intervalInMinuets") {
        None | Some(Value::Null) => Ok(()),
        Some(v) if v.is_u64() => Ok(()),
        Some(_) => Err(ApiError::invalid(
            "body/intervalInMinuets must be integer or null",
        )),
    }
}

/// `PATCH /v1/integration/{id}/resync-state`: merged into `integration.resyncState`, stamped
/// with an `updatedAt` that also becomes the integration's (so Ocean's Kafka listener can tell
/// a state-only change apart), and kept in the history.
pub(crate) async fn patch_resync_state(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult {
    let body = object_body(&body)?;
    check_resync_state(&body)?;
    let mut store = app.store();
    let record = store
        .integrations
        .get_mut(&id)
        .ok_or_else(|| missing(&id))?;
    let now = json!(format_iso(now_millis()));
    let mut state = match record.json.get("resyncState") {
        Some(Value::Object(state)) => state.clone(),
        _ => Map::new(),
    };
    state.extend(body.clone());
    state.insert("updatedAt".into(), now.clone());
    record
        .json
        .insert("resyncState".into(), Value::Object(state));
    record.json.insert("updatedAt".into(), now.clone());
    let mut entry = body;
    entry.insert("updatedAt".into(), now);
    record.resync_states.push(Value::Object(entry));
    Ok(ok(
        StatusCode::OK,
        json!({"integration": integration_json(record)}),
    ))
}

pub(crate) async fn resync_request(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
) -> ApiResult {
    let store = app.store();
    let record = store.integrations.get(&id).ok_or_else(|| missing(&id))?;
    let request = record.resync_request.clone().unwrap_or(Value::Null);
    Ok(ok(StatusCode::OK, json!({"request": request})))
}

/// Records a new resync request (a fresh id and `updatedAt`).
pub(crate) fn request_resync(store: &mut Store, id: &str) -> bool {
    let serial = store.next_sequence();
    let Some(record) = store.integrations.get_mut(id) else {
        return false;
    };
    record.resync_request = Some(json!({
        "id": format!("resync_request_{serial}"),
        "updatedAt": format_iso(now_millis()),
    }));
    true
}

/// `POST /v1/integration/{id}/kinds/{kind}/examples` with `{examples:[...]}`.
pub(crate) async fn kind_examples(
    State(app): State<Arc<App>>,
    Path((id, kind)): Path<(String, String)>,
    body: Bytes,
) -> ApiResult {
    let body = object_body(&body)?;
    let examples = match body.get("examples") {
        Some(Value::Array(examples)) => examples.clone(),
        Some(_) => return Err(ApiError::invalid("body/examples must be array")),
        None => {
            return Err(ApiError::invalid(
                "body must have required property 'examples'",
            ))
        }
    };
    let mut store = app.store();
    let record = store
        .integrations
        .get_mut(&id)
        .ok_or_else(|| missing(&id))?;
    record.kind_examples.insert(kind, examples);
    Ok(ok(StatusCode::OK, json!({})))
}

pub(crate) async fn organization(State(app): State<Arc<App>>) -> ApiResult {
    Ok(ok(
        StatusCode::OK,
        json!({"organization": {
            "id": "org_sim",
            "name": "Simulated organization",
            "featureFlags": app.feature_flags,
        }}),
    ))
}

/// Actions, pages, scorecards: accepted and not modelled.
pub(crate) async fn accept_default_resource(body: Bytes) -> ApiResult {
    json_body(&body)?;
    Ok(ok(StatusCode::CREATED, json!({})))
}

/// The whole state, for debugging and `GET /_sim/state`.
pub(crate) fn state_json(store: &Store) -> Value {
    let entities: Vec<Value> = store
        .all_entities()
        .map(|(bp, e)| {
            json!({
                "blueprint": bp,
                "identifier": e.identifier,
                "datasource": e.datasource,
                "entity": e.to_json(bp),
            })
        })
        .collect();
    let integrations: Map<String, Value> = store
        .integrations
        .iter()
        .map(|(id, record)| {
            (
                id.clone(),
                json!({
                    "integration": integration_json(record),
                    "resyncStates": record.resync_states,
                    "resyncRequest": record.resync_request,
                    "kindExamples": record.kind_examples,
                }),
            )
        })
        .collect();
    json!({
        "blueprints": store.blueprints.values().collect::<Vec<_>>(),
        "entities": entities,
        "integrations": integrations,
        "counters": store.counters,
    })
}

pub(crate) async fn sim_state(State(app): State<Arc<App>>) -> Response {
    Json(state_json(&app.store())).into_response()
}

/// `GET /_sim/counters`: what the simulator has served ([`super::PortCounters`]), without the
/// catalog that `/_sim/state` carries.
pub(crate) async fn sim_counters(State(app): State<Arc<App>>) -> Response {
    let counters = app.store().counters.clone();
    Json(counters).into_response()
}

pub(crate) async fn sim_request_resync(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
) -> ApiResult {
    if request_resync(&mut app.store(), &id) {
        Ok(ok(StatusCode::OK, json!({})))
    } else {
        Err(missing(&id))
    }
}

/// Log and metric ingest URLs handed out in the integration record.
pub(crate) async fn sim_ingest(State(app): State<Arc<App>>, body: Bytes) -> ApiResult {
    let body = json_body(&body)?;
    let lines = body
        .get("logs")
        .and_then(Value::as_array)
        .map_or(1, Vec::len);
    app.store().counters.logs_ingested += lines as u64;
    Ok(ok(StatusCode::OK, json!({})))
}
