//! The HTTP surface (axum routes served by hyper): `POST {prefix}/integration/webhook`,
//! `GET {prefix}/health/live`, `GET {prefix}/health/ready`, `GET {prefix}/metrics`, with the
//! connection bound and read timeouts of [`Limits`].

use super::limits::Limits;
use super::log;
use super::metrics::Metrics;
use super::webhook::{self, BadPayload, Parsed, Rejected, WebhookQueue, SECRET_HEADER};
use crate::secret::Secret;
use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use serde_json::{json, Value};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Instant;
use tokio::net::TcpListener;
use tokio::sync::{watch, Semaphore, SemaphorePermit};
use tokio::task::JoinSet;

/// What the handlers share.
pub struct AppState {
    /// `None` when the listener does not process webhooks (`ONCE`).
    pub queue: Option<WebhookQueue>,
    /// `OCEAN__INTEGRATION__CONFIG__WEBHOOK_SECRET`.
    pub secret: Option<Secret>,
    pub metrics: Arc<Metrics>,
    pub version: String,
    pub limits: Limits,
    /// Bytes of request bodies that may be held at once ([`Limits::body_budget_bytes`]).
    body_budget: Semaphore,
}

impl AppState {
    pub fn new(
        queue: Option<WebhookQueue>,
        secret: Option<Secret>,
        metrics: Arc<Metrics>,
        version: String,
        limits: Limits,
    ) -> Self {
        AppState {
            queue,
            secret,
            metrics,
            version,
            body_budget: Semaphore::new(limits.body_budget_bytes.max(1)),
            limits,
        }
    }
}

/// Serves `router` on `listener` until `stop` completes. HTTP/1.1 by hyper; each connection
/// holds one of [`Limits::max_connections`] slots (further ones wait in the listen backlog
/// until a slot frees), and a client gets [`Limits::header_timeout`] to send a request's head —
/// on a new connection and between requests on a kept-alive one — before the connection is
/// closed. (Bodies are timed by the webhook handler, the only route that reads one.) On `stop`
/// it accepts no more, lets requests in progress finish and closes idle connections.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: &Limits,
    metrics: Arc<Metrics>,
    stop: impl Future<Output = ()>,
) {
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout);
    let (closing, closing_rx) = watch::channel(false);
    let mut connections = JoinSet::new();
    tokio::pin!(stop);
    loop {
        let slot = tokio::select! {
            biased;
            _ = &mut stop => break,
            slot = slots.clone().acquire_owned() => match slot {
                Ok(slot) => slot,
                Err(_) => break,
            },
        };
        let stream = tokio::select! {
            biased;
            _ = &mut stop => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(error) => {
                    // Per-connection failures (reset before accept) need nothing; running out of
                    // file descriptors does: pause instead of spinning.
                    if !matches!(
                        error.kind(),
                        std::io::ErrorKind::ConnectionAborted
                            | std::io::ErrorKind::ConnectionReset
                            | std::io::ErrorKind::ConnectionRefused
                    ) {
                        log::warn(&format!("HTTP server: accept failed: {error}"));
                        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                    }
                    continue;
                }
            },
        };
        let _ = stream.set_nodelay(true);
        let connection = builder.serve_connection(
            TokioIo::new(stream),
            TowerToHyperService::new(router.clone()),
        );
        let mut closing = closing_rx.clone();
        let metrics = metrics.clone();
        metrics.http_connection_opened();
        connections.spawn(async move {
            let _slot = slot;
            tokio::pin!(connection);
            let closed = async move {
                // The guard `wait_for` returns is not `Send`: drop it at once.
                let _ = closing.wait_for(|closing| *closing).await.is_ok();
            };
            let result = tokio::select! {
                result = connection.as_mut() => result,
                _ = closed => {
                    connection.as_mut().graceful_shutdown();
                    connection.await
                }
            };
            if result.as_ref().is_err_and(hyper::Error::is_timeout) {
                metrics.http_timeout("header");
            }
            metrics.http_connection_closed();
        });
        while connections.try_join_next().is_some() {}
    }
    drop(listener);
    let _ = closing.send(true);
    while connections.join_next().await.is_some() {}
}

/// `OCEAN__PATH_PREFIX` as a route prefix: `""` or `/something` without a trailing `/`.
pub fn normalize_prefix(prefix: Option<&str>) -> String {
    let trimmed = prefix.unwrap_or("").trim().trim_matches('/');
    if trimmed.is_empty() {
        String::new()
    } else {
        format!("/{trimmed}")
    }
}

pub fn router(state: Arc<AppState>, prefix: &str) -> Router {
    Router::new()
        .route(
            &format!("{prefix}/integration/webhook"),
            post(webhook_route),
        )
        .route(&format!("{prefix}/health/live"), get(live))
        .route(&format!("{prefix}/health/ready"), get(ready))
        .route(&format!("{prefix}/metrics"), get(metrics))
        // Ocean (FastAPI) serves its API page here, and Port's port-ocean chart before 0.16
        // probes it for liveness: answer so that those installs work unchanged.
        .route(&format!("{prefix}/docs"), get(docs))
        .with_state(state)
}

fn json_response(status: StatusCode, body: Value) -> Response {
    (status, axum::Json(body)).into_response()
}

/// A page naming the endpoints; 200 whenever the server runs, like `/health/live`.
async fn docs() -> Response {
    let page = "<!doctype html><title>opsgenie-port</title><h1>opsgenie-port</h1><ul>\
                <li>POST /integration/webhook: Opsgenie webhook events</li>\
                <li>GET /health/live, GET /health/ready</li><li>GET /metrics</li></ul>";
    axum::response::Html(page).into_response()
}

async fn live(State(state): State<Arc<AppState>>) -> Response {
    json_response(
        StatusCode::OK,
        json!({"status": "healthy", "check": "live", "core_version": state.version}),
    )
}

async fn ready(State(state): State<Arc<AppState>>) -> Response {
    if state.metrics.is_ready() {
        json_response(
            StatusCode::OK,
            json!({"status": "healthy", "check": "ready", "core_version": state.version}),
        )
    } else {
        json_response(
            StatusCode::SERVICE_UNAVAILABLE,
            json!({"status": "starting", "check": "ready", "core_version": state.version}),
        )
    }
}

async fn metrics(State(state): State<Arc<AppState>>) -> Response {
    (
        StatusCode::OK,
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        state.metrics.render(),
    )
        .into_response()
}

/// Byte-wise comparison whose time does not depend on where the inputs differ.
fn same_secret(given: &[u8], expected: &[u8]) -> bool {
    let mut diff = given.len() ^ expected.len();
    for (index, byte) in expected.iter().enumerate() {
        let other = given.get(index).copied().unwrap_or(0);
        diff |= usize::from(byte ^ other);
    }
    diff == 0
}

fn refuse(
    state: &AppState,
    status: StatusCode,
    outcome: &'static str,
    error: &str,
    message: String,
) -> Response {
    state.metrics.webhook_event("unparsed", outcome);
    json_response(status, json!({"error": error, "message": message}))
}

/// A 503 the sender should retry: `Retry-After` set.
fn unavailable(state: &AppState, mut response: Response) -> Response {
    if let Ok(value) = HeaderValue::from_str(&state.limits.retry_after_seconds.to_string()) {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}

/// Answered before the body was read: the connection cannot carry another request.
fn closing(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}

async fn webhook_route(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let started = Instant::now();
    let response = handle_webhook(&state, &headers, body).await;
    state.metrics.webhook_response(started.elapsed());
    response
}

async fn handle_webhook(state: &AppState, headers: &HeaderMap, body: Body) -> Response {
    let Some(queue) = &state.queue else {
        return closing(refuse(
            state,
            StatusCode::SERVICE_UNAVAILABLE,
            "rejected",
            "webhooks_disabled",
            "this event listener does not process webhooks".into(),
        ));
    };
    let shutting_down = |state: &AppState| {
        unavailable(
            state,
            refuse(
                state,
                StatusCode::SERVICE_UNAVAILABLE,
                "rejected",
                "shutting_down",
                "the integration is shutting down; Opsgenie may retry".into(),
            ),
        )
    };
    if !queue.is_accepting() {
        return closing(shutting_down(state));
    }
    if let Some(secret) = &state.secret {
        let given = headers
            .get(SECRET_HEADER)
            .map(|value| value.as_bytes())
            .unwrap_or_default();
        if !same_secret(given, secret.expose().as_bytes()) {
            return closing(refuse(
                state,
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "unauthorized",
                "missing or wrong X-Opsgenie-Port-Secret header".into(),
            ));
        }
    }
    let parsed = match read_body(state, headers, body).await {
        // The body and its share of the budget are released as soon as it is parsed.
        Ok((bytes, _held)) => webhook::parse(&bytes),
        Err(refused) => return closing(refused),
    };
    match parsed {
        Err(BadPayload(message)) => refuse(
            state,
            StatusCode::BAD_REQUEST,
            "invalid",
            "invalid_payload",
            message,
        ),
        Ok(Parsed::Ignored { action }) => {
            state
                .metrics
                .webhook_event(webhook::action_label(&action), "ignored");
            json_response(
                StatusCode::ACCEPTED,
                json!({"status": "ignored", "action": action}),
            )
        }
        Ok(Parsed::Event(event)) => {
            let (action, alert_id) = (event.action, event.alert_id.clone());
            match queue.submit(event) {
                Ok(()) => json_response(
                    StatusCode::ACCEPTED,
                    json!({"status": "accepted", "action": action, "alertId": alert_id}),
                ),
                Err(Rejected::Full) => {
                    state.metrics.webhook_event(action, "queue_full");
                    unavailable(
                        state,
                        json_response(
                            StatusCode::SERVICE_UNAVAILABLE,
                            json!({
                                "error": "queue_full",
                                "message": format!(
                                    "{} webhook events are waiting to be applied; try again later",
                                    state.limits.queue_capacity
                                ),
                            }),
                        ),
                    )
                }
                Err(Rejected::ShuttingDown) => shutting_down(state),
            }
        }
    }
}

/// Reads the body within [`Limits::body_timeout`] (counting the wait for room in the body
/// budget), refusing more than [`Limits::max_body_bytes`]. Returns the bytes with their share of
/// the budget, released when dropped.
async fn read_body<'a>(
    state: &'a AppState,
    headers: &HeaderMap,
    body: Body,
) -> Result<(Vec<u8>, SemaphorePermit<'a>), Response> {
    let limits = &state.limits;
    let too_large = || {
        refuse(
            state,
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            "payload_too_large",
            format!("the body exceeds {} bytes", limits.max_body_bytes),
        )
    };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok());
    if declared.is_some_and(|length| length > limits.max_body_bytes as u64) {
        return Err(too_large());
    }
    let deadline = tokio::time::Instant::now() + limits.body_timeout;
    let size = declared.map_or(limits.max_body_bytes, |length| length as usize);
    let share = u32::try_from(size.min(limits.body_budget_bytes.max(1))).unwrap_or(u32::MAX);
    let Ok(Ok(held)) =
        tokio::time::timeout_at(deadline, state.body_budget.acquire_many(share)).await
    else {
        return Err(unavailable(
            state,
            refuse(
                state,
                StatusCode::SERVICE_UNAVAILABLE,
                "busy",
                "busy",
                "too many webhook bodies are being received; try again later".into(),
            ),
        ));
    };
    match tokio::time::timeout_at(deadline, collect(body, size, limits.max_body_bytes)).await {
        Ok(Ok(bytes)) => Ok((bytes, held)),
        Ok(Err(BodyError::TooLarge)) => Err(too_large()),
        Ok(Err(BodyError::Broken(detail))) => Err(refuse(
            state,
            StatusCode::BAD_REQUEST,
            "invalid",
            "invalid_body",
            format!("the body could not be read: {detail}"),
        )),
        Err(_) => {
            state.metrics.http_timeout("body");
            Err(refuse(
                state,
                StatusCode::REQUEST_TIMEOUT,
                "timeout",
                "body_timeout",
                format!(
                    "the body did not arrive within {} s",
                    limits.body_timeout.as_secs_f64()
                ),
            ))
        }
    }
}

enum BodyError {
    TooLarge,
    Broken(String),
}

/// The body's bytes, allocated once for a declared length.
async fn collect(mut body: Body, expected: usize, max: usize) -> Result<Vec<u8>, BodyError> {
    use http_body::Body as _;
    let mut bytes = Vec::with_capacity(expected.min(max));
    while let Some(frame) = std::future::poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await {
        let frame = frame.map_err(|error| BodyError::Broken(error.to_string()))?;
        if let Ok(data) = frame.into_data() {
            if bytes.len() + data.len() > max {
                return Err(BodyError::TooLarge);
            }
            bytes.extend_from_slice(&data);
        }
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_are_normalized() {
        assert_eq!(normalize_prefix(None), "");
        assert_eq!(normalize_prefix(Some("")), "");
        assert_eq!(normalize_prefix(Some("/")), "");
        assert_eq!(normalize_prefix(Some("opsgenie/")), "/opsgenie");
        assert_eq!(normalize_prefix(Some("/a/b")), "/a/b");
    }

    #[test]
    fn secrets_compare_exactly() {
        assert!(same_secret(b"s3cret", b"s3cret"));
        assert!(!same_secret(b"s3cre", b"s3cret"));
        assert!(!same_secret(b"s3cret!", b"s3cret"));
        assert!(!same_secret(b"", b"s3cret"));
        assert!(!same_secret(b"S3cret", b"s3cret"));
    }
}
