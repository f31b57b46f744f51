//! Port's response envelope, error bodies, and request decoding shared by all handlers.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

/// Request bodies above this are refused with 413, as Port does.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// An error answer in Port's shape: `{ok:false, error, message}`.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    pub status: StatusCode,
    pub error: &'static str,
    pub message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, error: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            error,
            message: message.into(),
        }
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    /// 422: the body or query does not match the route's schema or the blueprint.
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_request", message)
    }

    pub fn conflict(error: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, error, message)
    }

    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
    }

    pub fn too_large(message: impl Into<String>) -> Self {
        Self::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", message)
    }

    pub fn body(&self) -> Value {
        json!({"ok": false, "error": self.error, "message": self.message})
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(self.body())).into_response()
    }
}

pub type ApiResult = Result<Response, ApiError>;

/// `{ok:true, ...fields}` with the given status.
pub fn ok(status: StatusCode, fields: Value) -> Response {
    let mut body = serde_json::Map::new();
    body.insert("ok".into(), Value::Bool(true));
    if let Value::Object(extra) = fields {
        body.extend(extra);
    }
    (status, Json(Value::Object(body))).into_response()
}

/// Decodes a JSON body, enforcing Port's 1 MiB cap; an empty body reads as `{}`.
pub fn json_body(bytes: &[u8]) -> Result<Value, ApiError> {
    if bytes.len() > MAX_BODY_BYTES {
        return Err(ApiError::too_large(format!(
            "Request body is {} bytes, above the limit of {MAX_BODY_BYTES} bytes",
            bytes.len()
        )));
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Object(Default::default()));
    }
    serde_json::from_slice(bytes).map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            format!("Body is not valid JSON: {e}"),
        )
    })
}

/// Decodes a body that must be a JSON object.
pub fn object_body(bytes: &[u8]) -> Result<serde_json::Map<String, Value>, ApiError> {
    match json_body(bytes)? {
        Value::Object(map) => Ok(map),
        _ => Err(ApiError::invalid("body must be object")),
    }
}

/// Query-string pairs in order, percent-decoded; repeated keys are kept (`include=a&include=b`).
#[derive(Debug, Default, Clone)]
pub struct Query(Vec<(String, String)>);

impl Query {
    pub fn parse(raw: Option<&str>) -> Self {
        let pairs = raw
            .unwrap_or("")
            .split('&')
            .filter(|part| !part.is_empty())
            .map(|part| {
                let (key, value) = part.split_once('=').unwrap_or((part, ""));
                (percent_decode(key), percent_decode(value))
            })
            .collect();
        Query(pairs)
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// All values of a repeated key (also accepting the `key[]` spelling).
    pub fn all(&self, key: &str) -> Vec<String> {
        let bracketed = format!("{key}[]");
        self.0
            .iter()
            .filter(|(k, _)| k == key || *k == bracketed)
            .map(|(_, v)| v.clone())
            .collect()
    }

    /// A boolean flag: absent means `default`; anything but `true`/`false` is a 422, like ajv's
    /// coercion of query strings.
    pub fn flag(&self, key: &str, default: bool) -> Result<bool, ApiError> {
        match self.get(key) {
            None => Ok(default),
            Some("true") => Ok(true),
            Some("false") => Ok(false),
            Some(_) => Err(ApiError::invalid(format!(
                "querystring/{key} must be boolean"
            ))),
        }
    }
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(high), Some(low)) => {
                    out.push(high << 4 | low);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            byte => out.push(byte),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex(digit: u8) -> Option<u8> {
    (digit as char)
        .to_digit(16)
        .and_then(|d| u8::try_from(d).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_keeps_repeated_keys_and_decodes() {
        let q = Query::parse(Some(
            "include=blueprint&include=identifier&x=a%2Fb+c&upsert=true",
        ));
        assert_eq!(q.all("include"), ["blueprint", "identifier"]);
        assert_eq!(q.get("x"), Some("a/b c"));
        assert_eq!(q.flag("upsert", false), Ok(true));
        assert_eq!(q.flag("merge", false), Ok(false));
        assert!(Query::parse(Some("merge=yes"))
            .flag("merge", false)
            .is_err());
        assert_eq!(Query::parse(Some("a=%zz%4")).get("a"), Some("%zz%4"));
    }

    #[test]
    fn body_limits_and_json_errors() {
        assert_eq!(json_body(b"  ").unwrap(), json!({}));
        assert_eq!(json_body(b"{").unwrap_err().status, StatusCode::BAD_REQUEST);
        let big = vec![b' '; MAX_BODY_BYTES + 1];
        assert_eq!(
            json_body(&big).unwrap_err().status,
            StatusCode::PAYLOAD_TOO_LARGE
        );
    }
}
