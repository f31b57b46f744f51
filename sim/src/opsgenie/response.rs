//! Opsgenie's response envelope (`data`, `took`, `requestId`) and error bodies.

use axum::body::Body;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::Response;
use serde_json::{Map, Value};
use tokio::time::Instant;

/// Per-request facts the handlers need for the envelope.
#[derive(Clone, Debug)]
pub struct RequestCtx {
    pub request_id: String,
    pub started: Instant,
}

impl RequestCtx {
    /// `took`: seconds spent, rounded to milliseconds like Opsgenie's.
    pub fn took(&self) -> f64 {
        (self.started.elapsed().as_secs_f64() * 1000.0).round() / 1000.0
    }
}

/// A JSON response with `X-Request-ID`.
pub fn json_response(status: StatusCode, body: &Value, request_id: &str) -> Response {
    let bytes = serde_json::to_vec(body).unwrap_or_default();
    let mut response = Response::new(Body::from(bytes));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    if let Ok(id) = HeaderValue::from_str(request_id) {
        headers.insert("x-request-id", id);
    }
    response
}

/// `200` with `fields` (at least `data`) plus `took` and `requestId`.
pub fn success(ctx: &RequestCtx, mut fields: Map<String, Value>) -> Response {
    fields.insert("took".into(), ctx.took().into());
    fields.insert("requestId".into(), ctx.request_id.clone().into());
    json_response(StatusCode::OK, &Value::Object(fields), &ctx.request_id)
}

/// `{ "data": data }` as the field map for [`success`].
pub fn data(value: Value) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("data".into(), value);
    m
}

/// An Opsgenie error: `{message, took, requestId}` plus optional `code` and `errors`.
#[derive(Clone, Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub message: String,
    pub code: Option<u32>,
    pub errors: Option<Map<String, Value>>,
}

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        ApiError {
            status,
            message: message.into(),
            code: None,
            errors: None,
        }
    }

    pub fn unprocessable(message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::NOT_FOUND, message)
    }

    pub fn unauthorized() -> Self {
        ApiError::new(StatusCode::UNAUTHORIZED, "Could not authenticate")
    }

    pub fn forbidden() -> Self {
        ApiError {
            code: Some(40301),
            ..ApiError::new(
                StatusCode::FORBIDDEN,
                "To perform this action, use an API key from an API integration.",
            )
        }
    }

    pub fn throttled() -> Self {
        ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "You are making too many requests! To avoid errors, we recommend you limit requests.",
        )
    }

    pub fn with_errors(mut self, errors: Map<String, Value>) -> Self {
        self.errors = Some(errors);
        self
    }

    pub fn into_response(self, ctx: &RequestCtx) -> Response {
        let mut body = Map::new();
        if let Some(code) = self.code {
            body.insert("code".into(), code.into());
        }
        body.insert("message".into(), self.message.into());
        if let Some(errors) = self.errors {
            body.insert("errors".into(), Value::Object(errors));
        }
        body.insert("took".into(), ctx.took().into());
        body.insert("requestId".into(), ctx.request_id.clone().into());
        json_response(self.status, &Value::Object(body), &ctx.request_id)
    }
}

/// What handlers return: the success field map or an error.
pub type ApiResult = Result<Map<String, Value>, ApiError>;

/// Turns a handler result into the HTTP response.
pub fn finish(ctx: &RequestCtx, result: ApiResult) -> Response {
    match result {
        Ok(fields) => success(ctx, fields),
        Err(e) => e.into_response(ctx),
    }
}
