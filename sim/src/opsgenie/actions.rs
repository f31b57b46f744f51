//! The Alert API's write actions: create, close, acknowledge, add note, add and remove tags,
//! delete. Opsgenie processes them asynchronously: the call answers 202 with a `requestId`, and
//! `GET /v2/alerts/requests/{requestId}` tells the outcome (an action on a missing alert is
//! accepted, then fails there). The simulator applies the change before answering, so a read
//! after the 202 sees it; with a webhook URL configured, every applied action is then posted
//! there as Opsgenie's Webhook integration does (opsgenie-api.md §7), in order — a Delete's
//! alert is gone before its event leaves.
//!
//! Validation follows the documented limits (message ≤ 130 characters and required, alias and
//! entity ≤ 512, description ≤ 15,000, source and user ≤ 100, note ≤ 25,000, at most 20 tags of
//! ≤ 50 characters, priority P1–P5); where the documentation does not say whether a limit is
//! refused or truncated, the simulator refuses (422), the stricter reading.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Extension;
use serde_json::{json, Map, Value};

use super::paging::parse_query;
use super::response::{data, finish, json_response, ApiError, RequestCtx};
use super::webhook::webhook_payload;
use super::Shared;
use crate::generate::Rng;

type St = State<Arc<Shared>>;
type Ctx = Extension<RequestCtx>;

/// Outcomes kept for `GET /v2/alerts/requests/{id}`: the latest ones, so memory stays bounded.
const KEPT_REQUESTS: usize = 10_000;

/// The outcome of each accepted write, newest last.
#[derive(Default)]
pub(super) struct RequestLog(Mutex<VecDeque<(String, Value)>>);

impl RequestLog {
    fn record(&self, request_id: &str, status: Value) {
        let mut log = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if log.len() == KEPT_REQUESTS {
            log.pop_front();
        }
        log.push_back((request_id.to_owned(), status));
    }

    fn get(&self, request_id: &str) -> Option<Value> {
        let log = self.0.lock().unwrap_or_else(|e| e.into_inner());
        log.iter()
            .rev()
            .find(|(id, _)| id == request_id)
            .map(|(_, status)| status.clone())
    }
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or_default()
}

/// The JSON object body of a write; an empty body counts as `{}` (close, acknowledge and delete
/// need none).
fn body_object(body: &Bytes) -> Result<Map<String, Value>, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    match serde_json::from_slice(body) {
        Ok(Value::Object(fields)) => Ok(fields),
        _ => Err(ApiError::unprocessable(
            "Request body must be a JSON object",
        )),
    }
}

/// An optional string field of at most `max` characters.
fn text<'a>(
    fields: &'a Map<String, Value>,
    name: &str,
    max: usize,
) -> Result<Option<&'a str>, ApiError> {
    match fields.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.chars().count() <= max => Ok(Some(s)),
        Some(Value::String(_)) => Err(invalid(name, &format!("can be at most {max} characters"))),
        Some(_) => Err(invalid(name, "must be a string")),
    }
}

fn invalid(field: &str, what: &str) -> ApiError {
    let mut errors = Map::new();
    errors.insert(field.to_owned(), format!("{field} {what}").into());
    ApiError::unprocessable("Request body is not processable. Please check the errors.")
        .with_errors(errors)
}

/// At most 20 tags of at most 50 characters each.
fn tags(value: Option<&Value>, required: bool) -> Result<Vec<String>, ApiError> {
    let list: Vec<String> = match value {
        None | Some(Value::Null) if !required => return Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .map(|t| t.as_str().map(str::to_owned))
            .collect::<Option<_>>()
            .ok_or_else(|| invalid("tags", "must be a list of strings"))?,
        // The remove-tags call takes them comma-separated in the query string.
        Some(Value::String(csv)) => csv
            .split(',')
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
            .collect(),
        _ => return Err(invalid("tags", "must be a list of strings")),
    };
    if required && list.is_empty() {
        return Err(invalid("tags", "can not be empty"));
    }
    if list.len() > 20 || list.iter().any(|t| t.chars().count() > 50) {
        return Err(invalid(
            "tags",
            "are at most 20, each at most 50 characters",
        ));
    }
    Ok(list)
}

/// 202 `{result, took, requestId}`, Opsgenie's answer to every asynchronous write.
fn accepted(ctx: &RequestCtx) -> Response {
    let body = json!({
        "result": "Request will be processed",
        "took": ctx.took(),
        "requestId": ctx.request_id,
    });
    json_response(StatusCode::ACCEPTED, &body, &ctx.request_id)
}

/// A change to an existing alert, named by Opsgenie's webhook action.
enum Change {
    Close { note: Option<String> },
    Acknowledge { note: Option<String> },
    AddNote { note: String },
    AddTags { tags: Vec<String> },
    RemoveTags { tags: Vec<String> },
    Delete,
}

impl Change {
    fn action(&self) -> &'static str {
        match self {
            Change::Close { .. } => "Close",
            Change::Acknowledge { .. } => "Acknowledge",
            Change::AddNote { .. } => "AddNote",
            Change::AddTags { .. } => "AddTags",
            Change::RemoveTags { .. } => "RemoveTags",
            Change::Delete => "Delete",
        }
    }
}

pub(super) async fn create(State(s): St, Extension(ctx): Ctx, body: Bytes) -> Response {
    match s.create_alert(&ctx, &body) {
        Ok(event) => {
            s.send_webhook(event).await;
            accepted(&ctx)
        }
        Err(e) => e.into_response(&ctx),
    }
}

/// `POST /v2/alerts/{id}/{action}`: close, acknowledge, notes or tags.
pub(super) async fn post_action(
    s: St,
    ctx: Ctx,
    Path((id, action)): Path<(String, String)>,
    q: RawQuery,
    body: Bytes,
) -> Response {
    let parse = |f: &Map<String, Value>| -> Result<Change, ApiError> {
        let note = text(f, "note", 25_000)?.map(str::to_owned);
        match action.as_str() {
            "close" => Ok(Change::Close { note }),
            "acknowledge" => Ok(Change::Acknowledge { note }),
            "notes" => match note {
                Some(note) if !note.is_empty() => Ok(Change::AddNote { note }),
                _ => Err(invalid("note", "can not be empty")),
            },
            "tags" => Ok(Change::AddTags {
                tags: tags(f.get("tags"), true)?,
            }),
            _ => Err(ApiError::not_found("No handler found for this request")),
        }
    };
    change(s, ctx, Path(id), q, body, parse).await
}

/// `DELETE /v2/alerts/{id}/tags?tags=a,b`: the parameters are in the query string.
pub(super) async fn delete_action(
    s: St,
    ctx: Ctx,
    Path((id, action)): Path<(String, String)>,
    q: RawQuery,
) -> Response {
    change(s, ctx, Path(id), q, Bytes::new(), |f| {
        match action.as_str() {
            "tags" => Ok(Change::RemoveTags {
                tags: tags(f.get("tags"), true)?,
            }),
            _ => Err(ApiError::not_found("No handler found for this request")),
        }
    })
    .await
}

pub(super) async fn delete(s: St, ctx: Ctx, id: Path<String>, q: RawQuery) -> Response {
    change(s, ctx, id, q, Bytes::new(), |_| Ok(Change::Delete)).await
}

/// Validates a change to alert `id`, applies it, posts its webhook event, answers 202.
async fn change(
    State(s): St,
    Extension(ctx): Ctx,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
    body: Bytes,
    parse: impl FnOnce(&Map<String, Value>) -> Result<Change, ApiError>,
) -> Response {
    let params = parse_query(query.as_deref());
    let prepared = body_object(&body).and_then(|mut fields| {
        // Query-string parameters (user, source, note, tags) count as body fields where the
        // body lacks them: the DELETE calls take everything in the query string.
        for (key, value) in &params {
            fields
                .entry(key.clone())
                .or_insert_with(|| value.clone().into());
        }
        let user = text(&fields, "user", 100)?.map(str::to_owned);
        text(&fields, "source", 100)?;
        let kind =
            super::handlers::identifier_type(&params, "identifierType", &["id", "tiny", "alias"])?;
        Ok((parse(&fields)?, user, kind))
    });
    let (change, user, kind) = match prepared {
        Ok(prepared) => prepared,
        Err(e) => return e.into_response(&ctx),
    };
    let event = s.apply(&ctx, &id, kind, change, user);
    s.send_webhook(event).await;
    accepted(&ctx)
}

pub(super) async fn request_status(
    State(s): St,
    Extension(ctx): Ctx,
    Path(request_id): Path<String>,
) -> Response {
    let found = s
        .requests
        .get(&request_id)
        .map(data)
        .ok_or_else(|| ApiError::not_found("Request not found"));
    finish(&ctx, found)
}

impl Shared {
    /// Creates the alert (or, as Opsgenie de-duplicates, counts one more occurrence of the open
    /// alert with the same alias); returns the webhook event of a new alert.
    fn create_alert(&self, ctx: &RequestCtx, body: &Bytes) -> Result<Option<Value>, ApiError> {
        let fields = body_object(body)?;
        let message = match text(&fields, "message", 130)? {
            Some(m) if !m.trim().is_empty() => m,
            _ => return Err(invalid("message", "can not be empty")),
        };
        let alias = text(&fields, "alias", 512)?;
        let description = text(&fields, "description", 15_000)?.unwrap_or("");
        let entity = text(&fields, "entity", 512)?.unwrap_or("");
        let source = text(&fields, "source", 100)?;
        let user = text(&fields, "user", 100)?;
        text(&fields, "note", 25_000)?;
        let priority = text(&fields, "priority", 2)?.unwrap_or("P3");
        if !matches!(priority, "P1" | "P2" | "P3" | "P4" | "P5") {
            return Err(invalid("priority", "must be one of P1, P2, P3, P4, P5"));
        }
        let tags = tags(fields.get("tags"), false)?;
        let details = match fields.get("details") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Object(map)) => map
                .iter()
                .map(|(k, v)| v.as_str().map(|v| (k.as_str().into(), v.into())))
                .collect::<Option<_>>()
                .ok_or_else(|| invalid("details", "must map keys to strings"))?,
            Some(_) => return Err(invalid("details", "must be an object")),
        };
        let now = now_ms();
        let mut account = self.account.write().unwrap_or_else(|e| e.into_inner());
        let duplicate = alias.and_then(|alias| {
            account
                .alerts()
                .iter()
                .find(|a| &*a.alias == alias && &*a.status == "open")
                .map(|a| a.id.clone())
        });
        if let Some(id) = duplicate {
            let mut alert = account.alerts().get(&id).cloned().expect("found above");
            alert.count = alert.count.saturating_add(1);
            alert.last_occurred_at = now;
            alert.updated_at = now;
            account.alerts_mut().upsert(alert);
            self.record(
                ctx,
                "Create",
                "Alert is updated by de-duplication",
                &id,
                alias,
            );
            return Ok(None);
        }
        let sequence = account.alerts().len() as u64;
        let id = format!(
            "{}-{now}",
            Rng::for_entity(now as u64, b"created-alert", sequence).uuid()
        );
        let tiny_id = account
            .alerts()
            .iter()
            .filter_map(|a| a.tiny_id.parse::<u64>().ok())
            .max()
            .unwrap_or(0)
            + 1;
        let mut alert = crate::generate::alert_from_json(&json!({"id": id}), now)
            .expect("an id is all a new alert needs");
        alert.tiny_id = tiny_id.to_string().into();
        alert.message = message.into();
        alert.alias = alias.unwrap_or(&id).into();
        alert.description = description.into();
        alert.entity = entity.into();
        alert.source = source.unwrap_or("").into();
        alert.owner = user.unwrap_or("").into();
        alert.priority = priority.into();
        alert.tags = tags.iter().map(|t| t.as_str().into()).collect();
        alert.details = details;
        let event = webhook_payload("Create", &alert);
        let alias = alert.alias.to_string();
        account.alerts_mut().upsert(alert);
        drop(account);
        self.record(ctx, "Create", "Created alert", &id, Some(&alias));
        Ok(Some(event))
    }

    /// Applies `change` to the alert `identifier` names; returns its webhook event, or `None`
    /// (recorded as a failed request) when there is no such alert.
    fn apply(
        &self,
        ctx: &RequestCtx,
        identifier: &str,
        kind: &str,
        change: Change,
        user: Option<String>,
    ) -> Option<Value> {
        let action = change.action();
        let mut account = self.account.write().unwrap_or_else(|e| e.into_inner());
        let found = super::handlers::find_alert(account.alerts(), kind, identifier).cloned();
        let Some(mut alert) = found else {
            drop(account);
            self.failed(ctx, action, identifier);
            return None;
        };
        let now = now_ms();
        let actor = user.clone().unwrap_or_else(|| "Alert API".to_owned());
        let mut extra = Map::new();
        let status = match change {
            Change::Delete => {
                account.delete_alert(&alert.id);
                drop(account);
                self.record(ctx, action, "Deleted alert", &alert.id, Some(&alert.alias));
                let mut event = webhook_payload(action, &alert);
                event["alert"]["username"] = actor.into();
                return Some(event);
            }
            Change::Close { note } => {
                if &*alert.status == "closed" {
                    "Alert is already closed"
                } else {
                    alert.status = "closed".into();
                    alert.report.close_time = Some(now - alert.created_at);
                    alert.report.closed_by = Some(actor.as_str().into());
                    if let Some(note) = note {
                        extra.insert("note".into(), note.into());
                    }
                    "Closed alert"
                }
            }
            Change::Acknowledge { note } => {
                alert.acknowledged = true;
                alert.report.ack_time = Some(now - alert.created_at);
                alert.report.acknowledged_by = Some(actor.as_str().into());
                if let Some(note) = note {
                    extra.insert("note".into(), note.into());
                }
                "Acknowledged alert"
            }
            Change::AddNote { note } => {
                extra.insert("note".into(), note.into());
                "Added note"
            }
            Change::AddTags { tags } => {
                for tag in &tags {
                    if !alert.tags.iter().any(|t| &**t == tag) {
                        alert.tags.push(tag.as_str().into());
                    }
                }
                extra.insert("addedTags".into(), tags.join(",").into());
                "Added tags"
            }
            Change::RemoveTags { tags } => {
                alert.tags.retain(|t| !tags.iter().any(|r| r == &**t));
                extra.insert("removedTags".into(), tags.join(",").into());
                "Removed tags"
            }
        };
        alert.updated_at = now;
        let mut event = webhook_payload(action, &alert);
        event["alert"]["username"] = actor.into();
        if let Some(fields) = event["alert"].as_object_mut() {
            fields.extend(extra);
        }
        let (id, alias) = (alert.id.to_string(), alert.alias.to_string());
        account.alerts_mut().upsert(alert);
        drop(account);
        self.record(ctx, action, status, &id, Some(&alias));
        Some(event)
    }

    fn record(&self, ctx: &RequestCtx, action: &str, status: &str, id: &str, alias: Option<&str>) {
        self.requests.record(
            &ctx.request_id,
            json!({
                "success": true,
                "isSuccess": true,
                "action": action,
                "processedAt": crate::generate::time::format_millis(now_ms()),
                "integrationId": "sim-api-integration",
                "status": status,
                "alertId": id,
                "alias": alias.unwrap_or(""),
            }),
        );
    }

    fn failed(&self, ctx: &RequestCtx, action: &str, identifier: &str) {
        self.requests.record(
            &ctx.request_id,
            json!({
                "success": false,
                "isSuccess": false,
                "action": action,
                "processedAt": crate::generate::time::format_millis(now_ms()),
                "integrationId": "sim-api-integration",
                "status": format!("Alert does not exist: {identifier}"),
                "alertId": "",
                "alias": "",
            }),
        );
    }

    /// Hands the event to the webhook sender (waiting while its queue is full).
    async fn send_webhook(&self, event: Option<Value>) {
        if let (Some(sender), Some(event)) = (&self.webhook, event) {
            let _ = sender.send(event).await;
        }
    }
}
