//! The read endpoints. Each handler parses its parameters, reads the account under a short lock and
//! renders the envelope; paging and search rules live in `paging` and `query`.

use std::cmp::Ordering;
use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Extension, Router};
use serde_json::{json, Value};

use super::paging::{encode, param, parse_query, Order, Page, PageRules};
use super::query::Expr;
use super::response::{data, finish, ApiError, ApiResult, RequestCtx};
use super::{actions, Shared};
use crate::generate::{
    Account, Alert, AlertStore, AlertView, Incident, Schedule, Service, Team, User,
};

type St = State<Arc<Shared>>;
type Ctx = Extension<RequestCtx>;

pub(super) fn routes(state: Arc<Shared>) -> Router {
    Router::new()
        .route("/v2/alerts", get(list_alerts).post(actions::create))
        .route("/v2/alerts/{id}", get(get_alert).delete(actions::delete))
        .route(
            "/v2/alerts/{id}/{action}",
            post(actions::post_action).delete(actions::delete_action),
        )
        .route("/v2/alerts/requests/{id}", get(actions::request_status))
        .route("/v1/incidents", get(list_incidents))
        .route("/v1/incidents/{id}", get(get_incident))
        .route(
            "/v1/incidents/{id}/associated-alert-ids",
            get(associated_alert_ids),
        )
        .route("/v1/services", get(list_services))
        .route("/v1/services/{id}", get(get_service))
        .route("/v2/teams", get(list_teams))
        .route("/v2/teams/{id}", get(get_team))
        .route("/v2/schedules", get(list_schedules))
        .route("/v2/schedules/{id}", get(get_schedule))
        .route("/v2/schedules/{id}/on-calls", get(on_calls))
        .route("/v2/users", get(list_users))
        .route("/v2/request-limits", get(request_limits))
        .route("/v2/request-limits/", get(request_limits))
        .fallback(no_route)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            super::gate::gate,
        ))
        .with_state(state)
}

async fn no_route(Extension(ctx): Ctx) -> Response {
    ApiError::new(StatusCode::NOT_FOUND, "No handler found for this request").into_response(&ctx)
}

/// `identifierType` (or another parameter name) restricted to `allowed`, default the first.
pub(super) fn identifier_type(
    params: &[(String, String)],
    name: &str,
    allowed: &[&'static str],
) -> Result<&'static str, ApiError> {
    match param(params, name) {
        None => Ok(allowed[0]),
        Some(v) => allowed
            .iter()
            .find(|a| a.eq_ignore_ascii_case(v))
            .copied()
            .ok_or_else(|| ApiError::unprocessable(format!("Invalid {name} [{v}]"))),
    }
}

fn page_of<'a, T>(items: &'a [T], page: &Page) -> impl Iterator<Item = &'a T> + 'a {
    let (offset, limit) = (page.offset, page.limit);
    items.iter().skip(offset).take(limit)
}

fn paged(
    shared: &Shared,
    path: &str,
    page: &Page,
    total: usize,
    items: Vec<Value>,
    with_prev: bool,
) -> ApiResult {
    let mut out = data(Value::Array(items));
    out.insert(
        "paging".into(),
        page.links(&shared.base_url, path, total, with_prev),
    );
    Ok(out)
}

// ---------------------------------------------------------------- alerts

fn tiny_cmp(a: &str, b: &str) -> Ordering {
    match (a.parse::<u64>(), b.parse::<u64>()) {
        (Ok(x), Ok(y)) => x.cmp(&y),
        _ => a.cmp(b),
    }
}

type AlertCmp = fn(&Alert, &Alert) -> Ordering;

/// The sort fields Opsgenie documents for alerts.
fn alert_sort(field: &str) -> Option<AlertCmp> {
    Some(match field {
        "createdAt" => |a, b| a.created_at.cmp(&b.created_at),
        "updatedAt" => |a, b| a.updated_at.cmp(&b.updated_at),
        "tinyId" => |a, b| tiny_cmp(&a.tiny_id, &b.tiny_id),
        "alias" => |a, b| a.alias.cmp(&b.alias),
        "message" => |a, b| a.message.cmp(&b.message),
        "status" => |a, b| a.status.cmp(&b.status),
        "acknowledged" => |a, b| a.acknowledged.cmp(&b.acknowledged),
        "isSeen" => |a, b| a.is_seen.cmp(&b.is_seen),
        "snoozed" => |a, b| a.snoozed.cmp(&b.snoozed),
        "snoozedUntil" => |a, b| a.snoozed_until.cmp(&b.snoozed_until),
        "count" => |a, b| a.count.cmp(&b.count),
        "lastOccurredAt" => |a, b| a.last_occurred_at.cmp(&b.last_occurred_at),
        "source" => |a, b| a.source.cmp(&b.source),
        "owner" => |a, b| a.owner.cmp(&b.owner),
        "integration.name" => |a, b| {
            let name = |x: &Alert| x.integration.as_ref().map(|i| i.name.clone());
            name(a).cmp(&name(b))
        },
        "integration.type" => |a, b| {
            let kind = |x: &Alert| x.integration.as_ref().map(|i| i.kind.clone());
            kind(a).cmp(&kind(b))
        },
        "report.ackTime" => |a, b| a.report.ack_time.cmp(&b.report.ack_time),
        "report.closeTime" => |a, b| a.report.close_time.cmp(&b.report.close_time),
        "report.acknowledgedBy" => |a, b| a.report.acknowledged_by.cmp(&b.report.acknowledged_by),
        "report.closedBy" => |a, b| a.report.closed_by.cmp(&b.report.closed_by),
        _ => return None,
    })
}

async fn list_alerts(State(s): St, Extension(ctx): Ctx, RawQuery(q): RawQuery) -> Response {
    finish(&ctx, s.list_alerts(&parse_query(q.as_deref())))
}

async fn get_alert(
    State(s): St,
    Extension(ctx): Ctx,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> Response {
    finish(&ctx, s.get_alert(&id, &parse_query(q.as_deref())))
}

impl Shared {
    fn list_alerts(&self, params: &[(String, String)]) -> ApiResult {
        let rules = PageRules {
            default_limit: 20,
            default_sort: "createdAt",
            default_order: Order::Desc,
            capped: true,
        };
        let page = Page::parse(params, &rules)?;
        let cmp = alert_sort(&page.sort).ok_or_else(|| {
            ApiError::unprocessable(format!("Invalid sort field [{}]", page.sort))
        })?;
        let expr = Expr::compile::<Alert>(&page.query).map_err(ApiError::unprocessable)?;
        let account = self.account();
        let store = account.alerts();
        let mut total = 0;
        let mut items = Vec::new();
        if page.sort == "createdAt" && matches!(expr, Expr::All) {
            // Nothing to filter: jump straight to the page.
            total = store.len();
            let render = |a: &Alert| a.to_json(AlertView::List);
            items = match page.order {
                Order::Desc => store
                    .iter()
                    .rev()
                    .skip(page.offset)
                    .take(page.limit)
                    .map(render)
                    .collect(),
                Order::Asc => store
                    .iter()
                    .skip(page.offset)
                    .take(page.limit)
                    .map(render)
                    .collect(),
            };
        } else if page.sort == "createdAt" {
            // The store is already in (createdAt, id) order: stream it.
            let mut visit = |a: &Alert| {
                if expr.matches(a, &account) {
                    if total >= page.offset && items.len() < page.limit {
                        items.push(a.to_json(AlertView::List));
                    }
                    total += 1;
                }
            };
            match page.order {
                Order::Desc => store.iter().rev().for_each(&mut visit),
                Order::Asc => store.iter().for_each(&mut visit),
            }
        } else {
            let mut matched: Vec<&Alert> = store
                .iter()
                .filter(|a| expr.matches(*a, &account))
                .collect();
            // Ties break on (createdAt, id) so pages never overlap or skip.
            matched.sort_by(|a, b| {
                cmp(a, b)
                    .then(a.created_at.cmp(&b.created_at))
                    .then(a.id.cmp(&b.id))
            });
            if page.order == Order::Desc {
                matched.reverse();
            }
            total = matched.len();
            items = page_of(&matched, &page)
                .map(|a| a.to_json(AlertView::List))
                .collect();
        }
        paged(self, "/v2/alerts", &page, total, items, false)
    }

    fn get_alert(&self, id: &str, params: &[(String, String)]) -> ApiResult {
        let kind = identifier_type(params, "identifierType", &["id", "tiny", "alias"])?;
        let account = self.account();
        let alert = find_alert(account.alerts(), kind, id)
            .ok_or_else(|| ApiError::not_found("Alert does not exist"))?;
        Ok(data(alert.to_json(AlertView::Get)))
    }
}

/// The alert `identifier` names, as `identifierType` (`id`, `tiny` or `alias`) reads it.
pub(super) fn find_alert<'a>(
    store: &'a AlertStore,
    kind: &str,
    identifier: &str,
) -> Option<&'a Alert> {
    match kind {
        "id" => store.get(identifier),
        "tiny" => store.iter().rev().find(|a| &*a.tiny_id == identifier),
        // Alias lookups only see open alerts.
        _ => store
            .iter()
            .rev()
            .find(|a| &*a.alias == identifier && &*a.status == "open"),
    }
}

// ---------------------------------------------------------------- incidents

fn incident_sort(field: &str) -> Option<fn(&Incident, &Incident) -> Ordering> {
    Some(match field {
        // Fields the simulator does not model (isSeen, owner, postmortem*) sort by creation.
        "createdAt"
        | "insertedAt"
        | "isSeen"
        | "owner"
        | "postmortemStatus"
        | "postmortemPublishDueDate" => |a, b| a.created_at.cmp(&b.created_at),
        "updatedAt" => |a, b| a.updated_at.cmp(&b.updated_at),
        "tinyId" => |a, b| tiny_cmp(&a.tiny_id, &b.tiny_id),
        "message" => |a, b| a.message.cmp(&b.message),
        "status" => |a, b| a.status.cmp(&b.status),
        "priority" => |a, b| a.priority.cmp(&b.priority),
        _ => return None,
    })
}

fn find_incident<'a>(
    account: &'a Account,
    id: &str,
    params: &[(String, String)],
) -> Result<&'a Incident, ApiError> {
    let kind = identifier_type(params, "identifierType", &["id", "tiny"])?;
    account
        .incidents
        .iter()
        .find(|i| {
            if kind == "id" {
                &*i.id == id
            } else {
                &*i.tiny_id == id
            }
        })
        .ok_or_else(|| ApiError::not_found("Incident does not exist"))
}

async fn list_incidents(State(s): St, Extension(ctx): Ctx, RawQuery(q): RawQuery) -> Response {
    finish(&ctx, s.list_incidents(&parse_query(q.as_deref())))
}

async fn get_incident(
    State(s): St,
    Extension(ctx): Ctx,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> Response {
    let params = parse_query(q.as_deref());
    let account = s.account();
    let result = find_incident(&account, &id, &params).map(|i| data(account.incident_json(i)));
    finish(&ctx, result)
}

async fn associated_alert_ids(
    State(s): St,
    Extension(ctx): Ctx,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> Response {
    finish(
        &ctx,
        s.associated_alert_ids(&id, &parse_query(q.as_deref())),
    )
}

impl Shared {
    fn list_incidents(&self, params: &[(String, String)]) -> ApiResult {
        let rules = PageRules {
            default_limit: 20,
            default_sort: "createdAt",
            default_order: Order::Desc,
            capped: true,
        };
        let page = Page::parse(params, &rules)?;
        if self.config.strict_incident_query && page.query.trim().is_empty() {
            return Err(ApiError::unprocessable("Query field cannot be empty."));
        }
        let cmp = incident_sort(&page.sort).ok_or_else(|| {
            ApiError::unprocessable(format!("Invalid sort field [{}]", page.sort))
        })?;
        let expr = Expr::compile::<Incident>(&page.query).map_err(ApiError::unprocessable)?;
        let account = self.account();
        let mut matched: Vec<&Incident> = account
            .incidents
            .iter()
            .filter(|i| expr.matches(*i, &account))
            .collect();
        matched.sort_by(|a, b| {
            cmp(a, b)
                .then(a.created_at.cmp(&b.created_at))
                .then(a.id.cmp(&b.id))
        });
        if page.order == Order::Desc {
            matched.reverse();
        }
        let items = page_of(&matched, &page)
            .map(|i| account.incident_json(i))
            .collect();
        paged(self, "/v1/incidents", &page, matched.len(), items, true)
    }

    /// `GET /v1/incidents/{id}/associated-alert-ids`. Documented parameters: `identifierType`
    /// (`id|tiny`, default `id`), `offset` ("starting value of the offset property", minimum 1),
    /// `direction` (`next|prev`, default `next`), `limit` (default 20, maximum 25) and `order`
    /// (`desc|asc`, default `desc`).
    ///
    /// The documentation leaves open what an offset value denotes and whether the answer carries
    /// `paging`. The stricter readings are taken: an offset is a whole number of at least 1
    /// (`0`, negatives and anything else are refused with 422, as are a `limit` outside 1..=25
    /// and unknown `direction`/`order`/`identifierType` values); it is read as the 1-based
    /// position, in the requested order, where a `next` page starts (a `prev` page ends just
    /// before it); and the answer carries `paging.next`/`paging.prev` links that repeat the
    /// request with the offset moved, `next` only while items remain, so that a client never
    /// has to compute an offset itself.
    fn associated_alert_ids(&self, id: &str, params: &[(String, String)]) -> ApiResult {
        let number = |name: &str, default: usize, range: (usize, usize)| {
            let Some(text) = param(params, name) else {
                return Ok(default);
            };
            match text.parse::<usize>() {
                Ok(n) if (range.0..=range.1).contains(&n) => Ok(n),
                _ if range.1 == usize::MAX => Err(ApiError::unprocessable(format!(
                    "{name} must be an integer of at least {}",
                    range.0
                ))),
                _ => Err(ApiError::unprocessable(format!(
                    "{name} must be an integer between {} and {}",
                    range.0, range.1
                ))),
            }
        };
        let limit = number("limit", 20, (1, 25))?;
        let offset = number("offset", 1, (1, usize::MAX))?;
        let identifier = identifier_type(params, "identifierType", &["id", "tiny"])?;
        let direction = identifier_type(params, "direction", &["next", "prev"])?;
        let order = identifier_type(params, "order", &["desc", "asc"])?;
        let account = self.account();
        let incident = find_incident(&account, id, params)?;
        let mut ids: Vec<&str> = incident.associated_alert_ids.iter().map(|a| &**a).collect();
        if order == "desc" {
            ids.reverse();
        }
        // Items are numbered from 1; `start..end` (0-based, end exclusive) is this page.
        let (start, end) = if direction == "next" {
            let start = (offset - 1).min(ids.len());
            (start, (start + limit).min(ids.len()))
        } else {
            let end = (offset - 1).min(ids.len());
            (end.saturating_sub(limit), end)
        };
        let page: Vec<Value> = ids[start..end].iter().map(|a| Value::from(*a)).collect();
        let link = |offset: usize, direction: &str| {
            format!(
                "{}/v1/incidents/{}/associated-alert-ids?identifierType={identifier}\
                 &offset={offset}&limit={limit}&order={order}&direction={direction}",
                self.base_url,
                encode(id),
            )
        };
        let mut paging = serde_json::Map::new();
        if end < ids.len() {
            paging.insert("next".into(), link(end + 1, "next").into());
        }
        if start > 0 {
            paging.insert("prev".into(), link(start + 1, "prev").into());
        }
        let mut out = data(Value::Array(page));
        out.insert("paging".into(), Value::Object(paging));
        Ok(out)
    }
}

// ---------------------------------------------------------------- services, teams, users

async fn list_services(State(s): St, Extension(ctx): Ctx, RawQuery(q): RawQuery) -> Response {
    finish(&ctx, s.list_services(&parse_query(q.as_deref())))
}

async fn get_service(State(s): St, Extension(ctx): Ctx, Path(id): Path<String>) -> Response {
    let account = s.account();
    let result = account
        .service(&id)
        .map(|svc| data(account.service_json(svc)))
        .ok_or_else(|| ApiError::not_found("Service does not exist"));
    finish(&ctx, result)
}

async fn list_teams(State(s): St, Extension(ctx): Ctx) -> Response {
    let account = s.account();
    let teams: Vec<Value> = account
        .teams
        .iter()
        .map(|t| account.team_json(t, false))
        .collect();
    let mut out = data(Value::Array(teams));
    out.insert("expandable".into(), json!(["member"]));
    finish(&ctx, Ok(out))
}

async fn get_team(
    State(s): St,
    Extension(ctx): Ctx,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> Response {
    let params = parse_query(q.as_deref());
    let account = s.account();
    let result = identifier_type(&params, "identifierType", &["id", "name"]).and_then(|kind| {
        let team: Option<&Team> = if kind == "id" {
            account.team(&id)
        } else {
            account.team_by_name(&id)
        };
        team.map(|t| data(account.team_json(t, true)))
            .ok_or_else(|| ApiError::not_found("Team does not exist"))
    });
    finish(&ctx, result)
}

async fn list_users(State(s): St, Extension(ctx): Ctx, RawQuery(q): RawQuery) -> Response {
    finish(&ctx, s.list_users(&parse_query(q.as_deref())))
}

impl Shared {
    fn list_services(&self, params: &[(String, String)]) -> ApiResult {
        let rules = PageRules {
            default_limit: 20,
            default_sort: "name",
            default_order: Order::Asc,
            capped: true,
        };
        let page = Page::parse(params, &rules)?;
        let expr = Expr::compile::<Service>(&page.query).map_err(ApiError::unprocessable)?;
        let account = self.account();
        let mut matched: Vec<(usize, &Service)> = account
            .services
            .iter()
            .enumerate()
            .filter(|(_, s)| expr.matches(*s, &account))
            .collect();
        // No service timestamps are modelled: time sorts use insertion order.
        match page.sort.as_str() {
            "name" => matched.sort_by(|a, b| a.1.name.cmp(&b.1.name).then(a.0.cmp(&b.0))),
            "isExternal" => {
                matched.sort_by(|a, b| a.1.is_external.cmp(&b.1.is_external).then(a.0.cmp(&b.0)))
            }
            "createdAt" | "insertedAt" | "updatedAt" => {}
            other => {
                return Err(ApiError::unprocessable(format!(
                    "Invalid sort field [{other}]"
                )))
            }
        }
        if page.order == Order::Desc {
            matched.reverse();
        }
        let items = page_of(&matched, &page)
            .map(|(_, s)| account.service_json(s))
            .collect();
        paged(self, "/v1/services", &page, matched.len(), items, false)
    }

    fn list_users(&self, params: &[(String, String)]) -> ApiResult {
        let rules = PageRules {
            default_limit: 100,
            default_sort: "username",
            default_order: Order::Asc,
            capped: false,
        };
        let page = Page::parse(params, &rules)?;
        let expr = Expr::compile::<User>(&page.query).map_err(ApiError::unprocessable)?;
        let account = self.account();
        let mut matched: Vec<&User> = account
            .users
            .iter()
            .filter(|u| expr.matches(*u, &account))
            .collect();
        let cmp: fn(&User, &User) -> Ordering = match page.sort.as_str() {
            "username" => |a, b| a.username.cmp(&b.username),
            "fullName" => |a, b| a.full_name.cmp(&b.full_name),
            "insertedAt" | "createdAt" => |a, b| a.created_at.cmp(&b.created_at),
            other => {
                return Err(ApiError::unprocessable(format!(
                    "Invalid sort field [{other}]"
                )))
            }
        };
        matched.sort_by(|a, b| cmp(a, b).then(a.id.cmp(&b.id)));
        if page.order == Order::Desc {
            matched.reverse();
        }
        let items = page_of(&matched, &page)
            .map(|u| account.user_json(u))
            .collect();
        let mut out = paged(self, "/v2/users", &page, matched.len(), items, false)?;
        out.insert("totalCount".into(), matched.len().into());
        Ok(out)
    }
}

/// `GET /v2/request-limits`: the configured buckets, in the shape Opsgenie's backup tool reads.
async fn request_limits(State(s): St, Extension(ctx): Ctx) -> Response {
    use super::ratelimit::Domain;
    let domains = [
        Domain::Search,
        Domain::Alert,
        Domain::Incident,
        Domain::Configuration,
        Domain::ScheduleOncalls,
    ];
    let limits: Vec<Value> = domains
        .iter()
        .map(|&d| {
            let l = s.config.rate_limits.get(d);
            json!({
                "domain": d.as_str(),
                "limits": [
                    { "limit": l.per_minute, "periodInSeconds": 60 },
                    { "limit": l.per_second, "periodInSeconds": 1 },
                ],
            })
        })
        .collect();
    finish(&ctx, Ok(data(json!({ "rateLimits": limits }))))
}

// ---------------------------------------------------------------- schedules

fn expands_rotations(params: &[(String, String)]) -> bool {
    param(params, "expand").is_some_and(|e| e.split(',').any(|x| x.trim() == "rotation"))
}

fn find_schedule<'a>(
    account: &'a Account,
    id: &str,
    params: &[(String, String)],
    type_param: &str,
) -> Result<&'a Schedule, ApiError> {
    let kind = identifier_type(params, type_param, &["id", "name"])?;
    account
        .schedules
        .iter()
        .find(|s| {
            if kind == "id" {
                &*s.id == id
            } else {
                &*s.name == id
            }
        })
        .ok_or_else(|| ApiError::not_found("Schedule does not exist"))
}

async fn list_schedules(State(s): St, Extension(ctx): Ctx, RawQuery(q): RawQuery) -> Response {
    let expand = expands_rotations(&parse_query(q.as_deref()));
    let account = s.account();
    let items: Vec<Value> = account
        .schedules
        .iter()
        .map(|sc| account.schedule_json(sc, expand))
        .collect();
    let mut out = data(Value::Array(items));
    out.insert("expandable".into(), json!(["rotation"]));
    finish(&ctx, Ok(out))
}

async fn get_schedule(
    State(s): St,
    Extension(ctx): Ctx,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> Response {
    let params = parse_query(q.as_deref());
    let account = s.account();
    let result = find_schedule(&account, &id, &params, "identifierType")
        .map(|sc| data(account.schedule_json(sc, expands_rotations(&params))));
    finish(&ctx, result)
}

async fn on_calls(
    State(s): St,
    Extension(ctx): Ctx,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> Response {
    let params = parse_query(q.as_deref());
    let account = s.account();
    let result = identifier_type(&params, "flat", &["false", "true"]).and_then(|flat| {
        let schedule = find_schedule(&account, &id, &params, "scheduleIdentifierType")?;
        Ok(data(account.on_calls_json(schedule, flat == "true")))
    });
    finish(&ctx, result)
}
