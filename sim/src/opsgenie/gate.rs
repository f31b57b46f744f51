//! What happens to every request before and after its handler: counting, fault injection,
//! latency, authentication, rate limiting, and the common response headers.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use tokio::time::Instant;

use super::ratelimit::Domain;
use super::response::{ApiError, RequestCtx};
use super::Shared;
use crate::faults::Fault;

/// Marks a response the connection layer must answer by dropping the connection.
#[derive(Clone, Copy, Debug)]
pub(super) struct ResetConnection;

/// The counter name and rate-limit domain of a path.
pub(super) fn classify(method: &Method, path: &str) -> (&'static str, Domain) {
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    let delete = method == Method::DELETE;
    match segments.as_slice() {
        ["v2", "alerts"] if method == Method::POST => ("alerts.create", Domain::Alert),
        ["v2", "alerts"] => ("alerts.list", Domain::Search),
        ["v2", "alerts", "requests", _] => ("alerts.request-status", Domain::Alert),
        ["v2", "alerts", _] if delete => ("alerts.delete", Domain::Alert),
        ["v2", "alerts", _] => ("alerts.get", Domain::Alert),
        ["v2", "alerts", _, "close"] => ("alerts.close", Domain::Alert),
        ["v2", "alerts", _, "acknowledge"] => ("alerts.acknowledge", Domain::Alert),
        ["v2", "alerts", _, "notes"] => ("alerts.add-note", Domain::Alert),
        ["v2", "alerts", _, "tags"] if delete => ("alerts.remove-tags", Domain::Alert),
        ["v2", "alerts", _, "tags"] => ("alerts.add-tags", Domain::Alert),
        ["v1", "incidents"] => ("incidents.list", Domain::Incident),
        ["v1", "incidents", _] => ("incidents.get", Domain::Incident),
        ["v1", "incidents", _, "associated-alert-ids"] => {
            ("incidents.associated-alert-ids", Domain::Incident)
        }
        ["v1", "services"] => ("services.list", Domain::Configuration),
        ["v1", "services", _] => ("services.get", Domain::Configuration),
        ["v2", "teams"] => ("teams.list", Domain::Configuration),
        ["v2", "teams", _] => ("teams.get", Domain::Configuration),
        ["v2", "schedules"] => ("schedules.list", Domain::Configuration),
        ["v2", "schedules", _] => ("schedules.get", Domain::Configuration),
        ["v2", "schedules", _, "on-calls"] => ("schedules.on-calls", Domain::ScheduleOncalls),
        ["v2", "users"] => ("users.list", Domain::Search),
        ["v2", "request-limits"] => ("request-limits", Domain::Configuration),
        _ => ("other", Domain::Configuration),
    }
}

/// `Authorization: GenieKey <key>`: the configured key passes, the "forbidden" key gets 403,
/// anything else 401.
fn authorize(shared: &Shared, headers: &HeaderMap) -> Result<(), ApiError> {
    let key = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("GenieKey "))
        .ok_or_else(ApiError::unauthorized)?;
    if shared.config.forbidden_key.as_deref() == Some(key) {
        return Err(ApiError::forbidden());
    }
    if key != shared.config.api_key {
        return Err(ApiError::unauthorized());
    }
    Ok(())
}

fn rate_headers(response: &mut Response, state: &'static str, domain: Domain, period: u32) {
    let headers = response.headers_mut();
    headers.insert("x-ratelimit-state", HeaderValue::from_static(state));
    headers.insert(
        "x-ratelimit-reason",
        HeaderValue::from_static(domain.as_str()),
    );
    headers.insert("x-ratelimit-period-in-sec", HeaderValue::from(period));
}

fn throttled(ctx: &RequestCtx, domain: Domain, period: u32) -> Response {
    let mut response = ApiError::throttled().into_response(ctx);
    rate_headers(&mut response, "THROTTLED", domain, period);
    response
}

pub(super) async fn gate(
    State(shared): State<Arc<Shared>>,
    mut request: Request,
    next: Next,
) -> Response {
    let ctx = RequestCtx {
        request_id: shared.next_request_id(),
        started: Instant::now(),
    };
    let (family, domain) = classify(request.method(), request.uri().path());
    shared.count(family);
    // A stalled Opsgenie: hold the request until resumed (or the client hangs up, which drops
    // this future).
    let mut stalled = shared.stalled.subscribe();
    let _ = stalled.wait_for(|stalled| !*stalled).await;
    let fault = shared.faults.next();
    if !shared.config.latency.is_zero() {
        tokio::time::sleep(shared.config.latency).await;
    }
    match fault {
        Some(Fault::ConnectionReset) => {
            let mut response = Response::new(Body::empty());
            response.extensions_mut().insert(ResetConnection);
            return response;
        }
        Some(Fault::Timeout) => tokio::time::sleep(shared.faults.timeout_stall()).await,
        Some(Fault::RateLimited) => return throttled(&ctx, domain, 1),
        Some(Fault::ServerError(code)) => {
            let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            return ApiError::new(status, "Internal Server Error").into_response(&ctx);
        }
        Some(Fault::TruncatedBody) | None => {}
    }
    if let Err(e) = authorize(&shared, request.headers()) {
        return e.into_response(&ctx);
    }
    if let Err(period) = shared.limiter.try_acquire(domain) {
        return throttled(&ctx, domain, period);
    }
    request.extensions_mut().insert(ctx.clone());
    let mut response = next.run(request).await;
    let elapsed_ms = ctx.started.elapsed().as_millis() as u64;
    response
        .headers_mut()
        .insert("x-response-time", HeaderValue::from(elapsed_ms));
    if response.status().is_success() {
        rate_headers(&mut response, "OK", domain, 60);
    }
    if fault == Some(Fault::TruncatedBody) {
        response = truncate(response).await;
    }
    response
}

/// Keeps status and headers but only the first half of the body.
async fn truncate(response: Response) -> Response {
    let (mut parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    let half = bytes.slice(..bytes.len() / 2);
    parts.headers.remove("content-length");
    Response::from_parts(parts, Body::from(half))
}
