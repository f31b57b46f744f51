//! The HTTP surface (axum): `POST {prefix}/integration/webhook`, `GET {prefix}/health/live`,
//! `GET {prefix}/health/ready`, `GET {prefix}/metrics`.

use super::metrics::Metrics;
use super::webhook::{self, BadPayload, Parsed, WebhookQueue, SECRET_HEADER};
use crate::secret::Secret;
use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Instant;

/// Largest webhook body accepted (Opsgenie truncates descriptions to 1,000 characters; real
/// payloads are a few KiB).
pub const MAX_BODY_BYTES: usize = 1 << 20;

/// What the handlers share.
pub struct AppState {
    /// `None` when the listener does not process webhooks (`ONCE`).
    pub queue: Option<WebhookQueue>,
    /// `OCEAN__INTEGRATION__CONFIG__WEBHOOK_SECRET`.
    pub secret: Option<Secret>,
    pub metrics: Arc<Metrics>,
    pub version: String,
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
        .with_state(state)
}

fn json_response(status: StatusCode, body: Value) -> Response {
    (status, axum::Json(body)).into_response()
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
        return refuse(
            state,
            StatusCode::SERVICE_UNAVAILABLE,
            "rejected",
            "webhooks_disabled",
            "this event listener does not process webhooks".into(),
        );
    };
    if let Some(secret) = &state.secret {
        let given = headers
            .get(SECRET_HEADER)
            .map(|value| value.as_bytes())
            .unwrap_or_default();
        if !same_secret(given, secret.expose().as_bytes()) {
            return refuse(
                state,
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "unauthorized",
                "missing or wrong X-Opsgenie-Port-Secret header".into(),
            );
        }
    }
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok());
    let too_large = || {
        refuse(
            state,
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            "payload_too_large",
            format!("the body exceeds {MAX_BODY_BYTES} bytes"),
        )
    };
    if declared.is_some_and(|length| length > MAX_BODY_BYTES as u64) {
        return too_large();
    }
    let Ok(bytes) = axum::body::to_bytes(body, MAX_BODY_BYTES).await else {
        return too_large();
    };
    match webhook::parse(&bytes) {
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
            let (action, alert_id) = (event.action.clone(), event.alert_id.clone());
            match queue.submit(event) {
                Ok(()) => json_response(
                    StatusCode::ACCEPTED,
                    json!({"status": "accepted", "action": action, "alertId": alert_id}),
                ),
                Err(_) => refuse(
                    state,
                    StatusCode::SERVICE_UNAVAILABLE,
                    "rejected",
                    "shutting_down",
                    "the integration is shutting down; Opsgenie may retry".into(),
                ),
            }
        }
    }
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
