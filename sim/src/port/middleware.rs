//! What happens to every request before its handler: counting, latency, fault injection, rate
//! limiting, authentication; and after: rate-limit and trace headers.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::http::ApiError;
use super::time::now_millis;
use super::{auth, App};
use crate::faults::{Fault, RouteFault};

/// A fixed-window request budget, like Port's per-organisation limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimit {
    /// Requests allowed per window.
    pub limit: u32,
    /// Window length (`x-ratelimit-period`).
    pub period: Duration,
}

#[derive(Debug)]
pub(crate) struct Limiter {
    config: Option<RateLimit>,
    window_start: Instant,
    window_start_epoch_ms: i64,
    used: u32,
}

/// The four `x-ratelimit-*` headers' values.
struct Budget {
    period: Duration,
    limit: u32,
    remaining: u32,
    reset_epoch_seconds: i64,
}

impl Limiter {
    pub fn new(config: Option<RateLimit>) -> Self {
        Limiter {
            config,
            window_start: Instant::now(),
            window_start_epoch_ms: now_millis(),
            used: 0,
        }
    }

    /// Spends one request; `Err` carries the budget when it is exhausted.
    fn take(&mut self) -> Result<Option<Budget>, Budget> {
        let Some(config) = self.config else {
            return Ok(None);
        };
        if self.window_start.elapsed() >= config.period {
            self.window_start = Instant::now();
            self.window_start_epoch_ms = now_millis();
            self.used = 0;
        }
        let period_ms = i64::try_from(config.period.as_millis()).unwrap_or(i64::MAX);
        let reset_ms = self.window_start_epoch_ms.saturating_add(period_ms);
        let exhausted = self.used >= config.limit;
        if !exhausted {
            self.used += 1;
        }
        let budget = Budget {
            period: config.period,
            limit: config.limit,
            remaining: config.limit - self.used,
            // Epoch seconds, rounded up so a client waiting until then is past the window.
            reset_epoch_seconds: (reset_ms + 999) / 1000,
        };
        if exhausted {
            Err(budget)
        } else {
            Ok(Some(budget))
        }
    }
}

fn put_budget(headers: &mut HeaderMap, budget: &Budget) {
    let pairs = [
        (
            "x-ratelimit-period",
            budget.period.as_secs().max(1).to_string(),
        ),
        ("x-ratelimit-limit", budget.limit.to_string()),
        ("x-ratelimit-remaining", budget.remaining.to_string()),
        ("x-ratelimit-reset", budget.reset_epoch_seconds.to_string()),
    ];
    for (name, value) in pairs {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(name, value);
        }
    }
}

fn rate_limited() -> Response {
    ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "rate_limit_exceeded",
        "Too many requests, please try again later",
    )
    .into_response()
}

/// A body that fails at once, so hyper drops the connection without an answer.
struct ResetBody;

impl http_body::Body for ResetBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, Self::Error>>> {
        Poll::Ready(Some(Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "simulated connection reset",
        ))))
    }
}

/// Runs around every request.
pub(crate) async fn gate(
    State(app): State<Arc<App>>,
    matched: Option<MatchedPath>,
    mut request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path().to_string();
    if path.starts_with("/_sim/") {
        return next.run(request).await;
    }
    let route = format!(
        "{} {}",
        request.method(),
        matched.as_ref().map_or(path.as_str(), MatchedPath::as_str)
    );
    {
        let mut store = app.store();
        store.counters.requests += 1;
        *store.counters.by_route.entry(route.clone()).or_default() += 1;
    }
    let trace_id = format!("sim-{:016x}", app.faults.requests());
    if !app.latency.is_zero() {
        tokio::time::sleep(app.latency).await;
    }

    if let Some(scripted) = app.faults.route_fault(&route) {
        app.store().counters.faults_injected += 1;
        return scripted_answer(&app, &path, request, next, scripted, &trace_id).await;
    }
    let fault = app.faults.next();
    if fault.is_some() {
        app.store().counters.faults_injected += 1;
    }
    let mut truncate = false;
    match fault {
        Some(Fault::RateLimited) => {
            let configured = app.limiter.lock().unwrap_or_else(|e| e.into_inner()).config;
            let budget = Budget {
                period: configured.map_or(Duration::from_secs(1), |c| c.period),
                limit: configured.map_or(0, |c| c.limit),
                remaining: 0,
                reset_epoch_seconds: now_millis() / 1000 + 1,
            };
            let mut response = rate_limited();
            put_budget(response.headers_mut(), &budget);
            return finish(&app, response, &trace_id);
        }
        Some(Fault::ServerError(code)) => {
            let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let error = ApiError::new(status, "internal_error", "Simulated server error");
            return finish(&app, error.into_response(), &trace_id);
        }
        Some(Fault::ConnectionReset) => {
            return Response::new(Body::new(ResetBody));
        }
        Some(Fault::Timeout) => tokio::time::sleep(app.faults.timeout_stall()).await,
        Some(Fault::TruncatedBody) => truncate = true,
        None => {}
    }

    let budget = app.limiter.lock().unwrap_or_else(|e| e.into_inner()).take();
    let (budget, exhausted) = match budget {
        Ok(budget) => (budget, false),
        Err(budget) => (Some(budget), true),
    };
    let mut response = if exhausted {
        rate_limited()
    } else {
        match admit(&app, &path, &mut request) {
            Ok(()) => next.run(request).await,
            Err(error) => error.into_response(),
        }
    };
    // Port sends the budget on every response, errors included.
    if let Some(budget) = &budget {
        put_budget(response.headers_mut(), budget);
    }
    if truncate {
        let (mut parts, body) = response.into_parts();
        let bytes = axum::body::to_bytes(body, usize::MAX)
            .await
            .unwrap_or_default();
        parts.headers.remove(header::CONTENT_LENGTH);
        response = Response::from_parts(parts, Body::from(bytes.slice(..bytes.len() / 2)));
    }
    finish(&app, response, &trace_id)
}

/// A scripted route fault: an error instead of the handler, the handler's work with its
/// answer replaced, or its answer late.
async fn scripted_answer(
    app: &App,
    path: &str,
    mut request: Request,
    next: Next,
    fault: RouteFault,
    trace_id: &str,
) -> Response {
    let failure = |status: u16| {
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        match status {
            StatusCode::TOO_MANY_REQUESTS => {
                let mut response = rate_limited();
                let budget = Budget {
                    period: Duration::from_secs(1),
                    limit: 0,
                    remaining: 0,
                    reset_epoch_seconds: now_millis() / 1000 + 1,
                };
                put_budget(response.headers_mut(), &budget);
                response
            }
            StatusCode::REQUEST_TIMEOUT => {
                ApiError::new(status, "request_timeout", "Simulated request timeout")
                    .into_response()
            }
            _ => ApiError::new(status, "internal_error", "Simulated server error").into_response(),
        }
    };
    let response = match fault {
        RouteFault::Status {
            status,
            retry_after,
        } => {
            let mut response = failure(status);
            if let Some(value) = retry_after.and_then(|v| HeaderValue::from_str(&v).ok()) {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
            response
        }
        RouteFault::LostAnswer { status } => {
            if admit(app, path, &mut request).is_ok() {
                let _ = next.run(request).await;
            }
            failure(status)
        }
        RouteFault::Delay(delay) => {
            let response = match admit(app, path, &mut request) {
                Ok(()) => next.run(request).await,
                Err(error) => error.into_response(),
            };
            tokio::time::sleep(delay).await;
            response
        }
    };
    finish(app, response, trace_id)
}

/// Authenticates `/v1` calls (all but the token route) and checks the body's media type.
fn admit(app: &App, path: &str, request: &mut Request) -> Result<(), ApiError> {
    if path != "/v1/auth/access_token" && path.starts_with("/v1/") {
        let actor = auth::authenticate(app, request.headers())?;
        request.extensions_mut().insert(actor);
    }
    json_content_type(request.headers())
}

/// A request that carries a body must declare it as JSON (415 otherwise), as Port's API
/// server only parses `application/json`.
fn json_content_type(headers: &HeaderMap) -> Result<(), ApiError> {
    let has_body = headers.contains_key(header::TRANSFER_ENCODING)
        || headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok())
            .is_some_and(|length| length > 0);
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().starts_with("application/json"));
    if has_body && !is_json {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "Request bodies must be sent with Content-Type: application/json",
        ));
    }
    Ok(())
}

/// Counts the status and stamps the trace id.
fn finish(app: &App, mut response: Response, trace_id: &str) -> Response {
    let status = response.status();
    {
        let mut store = app.store();
        let counters = &mut store.counters;
        *counters.by_status.entry(status.as_u16()).or_default() += 1;
        match status {
            StatusCode::UNAUTHORIZED => counters.unauthorized += 1,
            StatusCode::TOO_MANY_REQUESTS => counters.rate_limited += 1,
            StatusCode::PAYLOAD_TOO_LARGE => counters.payload_too_large += 1,
            _ => {}
        }
    }
    if let Ok(value) = HeaderValue::from_str(trace_id) {
        response.headers_mut().insert("x-trace-id", value);
    }
    response
}

/// Port answers unknown routes with its 404 shape.
pub(crate) async fn unknown_route(request: Request) -> Response {
    ApiError::not_found(format!(
        "Route {} {} not found",
        request.method(),
        request.uri().path()
    ))
    .into_response()
}
