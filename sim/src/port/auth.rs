//! `POST /v1/auth/access_token` and bearer-token checks.
//!
//! Port issues one active token per credential pair and hands the same one back until it
//! expires. Tokens look like JWTs (Ocean decodes the payload to spot personal credentials).

use std::sync::Arc;
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use serde_json::{json, Value};

use super::http::{object_body, ok, ApiError, ApiResult};
use super::store::{Store, TokenRecord};
use super::App;
use crate::faults::splitmix64;

/// Who is calling: the credential behind the token and the User-Agent (Port's `$datasource`).
#[derive(Clone, Debug)]
pub struct Actor {
    pub client_id: String,
    pub user_agent: String,
}

pub(crate) async fn access_token(State(app): State<Arc<App>>, body: Bytes) -> ApiResult {
    let body = object_body(&body)?;
    for key in body.keys() {
        if key != "clientId" && key != "clientSecret" {
            return Err(ApiError::invalid(format!(
                "body must NOT have additional properties (\"{key}\")"
            )));
        }
    }
    let field = |name: &str| match body.get(name) {
        Some(Value::String(text)) => Ok(text.clone()),
        Some(_) => Err(ApiError::invalid(format!("body/{name} must be string"))),
        None => Err(ApiError::invalid(format!(
            "body must have required property '{name}'"
        ))),
    };
    let (client_id, client_secret) = (field("clientId")?, field("clientSecret")?);
    if client_id != app.client_id || client_secret != app.client_secret {
        return Err(ApiError::unauthorized(
            "The provided client credentials are invalid",
        ));
    }
    let mut store = app.store();
    let now = Instant::now();
    let active = store
        .active_tokens
        .get(&client_id)
        .and_then(|token| Some((token.clone(), store.tokens.get(token)?.expires_at)))
        .filter(|(_, expires_at)| *expires_at > now);
    let (token, expires_at) = match active {
        Some(active) => active,
        None => {
            let expires_at = now + app.token_lifetime;
            let token = mint(&mut store, &client_id, app.token_lifetime.as_secs());
            store.tokens.insert(
                token.clone(),
                TokenRecord {
                    client_id: client_id.clone(),
                    expires_at,
                },
            );
            store.active_tokens.insert(client_id, token.clone());
            store.counters.tokens_issued += 1;
            (token, expires_at)
        }
    };
    // A re-issued token reports the lifetime it has left (inferred; Port does not say).
    let expires_in = expires_at.saturating_duration_since(now).as_secs();
    Ok(ok(
        StatusCode::OK,
        json!({"accessToken": token, "expiresIn": expires_in, "tokenType": "Bearer"}),
    ))
}

/// A JWT-shaped opaque token (unsigned; nobody verifies it but us).
fn mint(store: &mut Store, client_id: &str, lifetime_seconds: u64) -> String {
    let serial = store.next_sequence();
    let issued = super::time::now_millis() / 1000;
    let header = json!({"alg": "HS256", "typ": "JWT"});
    let payload = json!({
        "sub": client_id,
        "orgId": "org_sim",
        "isMachine": true,
        "iat": issued,
        "exp": issued + i64::try_from(lifetime_seconds).unwrap_or(i64::MAX / 2),
        "jti": serial,
    });
    let signature = splitmix64(serial ^ 0x5157_0a7e).to_be_bytes();
    format!(
        "{}.{}.{}",
        base64url(header.to_string().as_bytes()),
        base64url(payload.to_string().as_bytes()),
        base64url(&signature)
    )
}

fn base64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, b)| acc | u32::from(*b) << (16 - 8 * i));
        for i in 0..=chunk.len() {
            out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
        }
    }
    out
}

/// Resolves the bearer token of a request to its caller.
pub(crate) fn authenticate(app: &App, headers: &HeaderMap) -> Result<Actor, ApiError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Err(ApiError::unauthorized("Missing Authorization header"));
    };
    let value = value.to_str().unwrap_or("");
    let token = match value.split_once(' ') {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => token.trim(),
        _ => {
            return Err(ApiError::unauthorized(
                "Authorization must be a Bearer token",
            ))
        }
    };
    let store = app.store();
    let Some(record) = store.tokens.get(token) else {
        return Err(ApiError::unauthorized("Invalid access token"));
    };
    if record.expires_at <= Instant::now() {
        return Err(ApiError::unauthorized("The access token has expired"));
    }
    let user_agent = headers
        .get(header::USER_AGENT)
        .and_then(|ua| ua.to_str().ok())
        .unwrap_or("")
        .to_string();
    Ok(Actor {
        client_id: record.client_id.clone(),
        user_agent,
    })
}

pub(crate) fn expire_all(store: &mut Store) {
    let now = Instant::now();
    for record in store.tokens.values_mut() {
        record.expires_at = now;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64url_without_padding() {
        assert_eq!(base64url(b""), "");
        assert_eq!(base64url(b"f"), "Zg");
        assert_eq!(base64url(b"fo"), "Zm8");
        assert_eq!(base64url(b"foo"), "Zm9v");
        assert_eq!(base64url(b"foob"), "Zm9vYg");
        assert_eq!(base64url(&[0xfb, 0xff]), "-_8");
    }
}
