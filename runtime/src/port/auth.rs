//! Client-credentials tokens: fetched on first use, reused until shortly before they expire,
//! dropped and refetched when Port answers 401.

use super::{api_error, malformed, PortClient, PortError};
use crate::http::Request;
use crate::secret::{self, Secret};
use reqwest::Method;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

const TOKEN_CALL: &str = "POST /v1/auth/access_token";
/// Port's documented token lifetime, used when the answer omits `expiresIn`.
const DEFAULT_LIFETIME: Duration = Duration::from_secs(3 * 3600);

#[derive(Debug)]
pub(super) struct TokenCache {
    client_id: Secret,
    client_secret: Secret,
    margin: Duration,
    // Held across the token request so concurrent callers wait for one fetch.
    current: Mutex<Option<Token>>,
    fetches: AtomicU64,
}

#[derive(Debug)]
struct Token {
    /// `Bearer <token>`.
    header: Secret,
    refresh_at: Instant,
    /// Which fetch produced it, so a 401 only drops the token it was seen with.
    generation: u64,
}

impl TokenCache {
    pub(super) fn new(client_id: Secret, client_secret: Secret, margin: Duration) -> Self {
        TokenCache {
            client_id,
            client_secret,
            margin,
            current: Mutex::new(None),
            fetches: AtomicU64::new(0),
        }
    }

    pub(super) fn fetches(&self) -> u64 {
        self.fetches.load(Ordering::Relaxed)
    }

    /// The `Authorization` value to send and its generation.
    pub(super) async fn header(&self, client: &PortClient) -> Result<(Secret, u64), PortError> {
        let mut current = self.current.lock().await;
        if let Some(token) = current.as_ref() {
            if Instant::now() < token.refresh_at {
                return Ok((token.header.clone(), token.generation));
            }
        }
        let token = self.fetch(client).await?;
        let result = (token.header.clone(), token.generation);
        *current = Some(token);
        Ok(result)
    }

    /// Forgets the token of `generation` (if it is still the current one).
    pub(super) async fn invalidate(&self, generation: u64) {
        let mut current = self.current.lock().await;
        if current
            .as_ref()
            .is_some_and(|token| token.generation == generation)
        {
            *current = None;
        }
    }

    async fn fetch(&self, client: &PortClient) -> Result<Token, PortError> {
        let url = client.url(&["auth", "access_token"], &[]);
        let body = json!({
            "clientId": self.client_id.expose(),
            "clientSecret": self.client_secret.expose(),
        });
        let request = Request::json(Method::POST, url.as_str(), &body).retryable(true);
        let reply = client
            .inner
            .http
            .send(&request)
            .await
            .map_err(PortError::Http)?;
        let generation = self.fetches.fetch_add(1, Ordering::Relaxed) + 1;
        match reply.status {
            200..=299 => {}
            status @ (400 | 401 | 403 | 404 | 422) => {
                return Err(PortError::Auth {
                    what: TOKEN_CALL.to_owned(),
                    message: format!("HTTP {status}: {}", reply.error_text()),
                })
            }
            _ => return Err(api_error(&reply, TOKEN_CALL)),
        }
        let access_token = reply
            .body
            .get("accessToken")
            .and_then(Value::as_str)
            .filter(|token| !token.is_empty())
            .ok_or_else(|| malformed(TOKEN_CALL, "no `accessToken`"))?;
        let token = Secret::new(access_token);
        secret::register(&token);
        let token_type = reply
            .body
            .get("tokenType")
            .and_then(Value::as_str)
            .filter(|kind| !kind.is_empty())
            .unwrap_or("Bearer");
        let lifetime = reply
            .body
            .get("expiresIn")
            .and_then(Value::as_f64)
            .filter(|seconds| seconds.is_finite() && *seconds > 0.0)
            .and_then(|seconds| Duration::try_from_secs_f64(seconds).ok())
            .unwrap_or(DEFAULT_LIFETIME);
        Ok(Token {
            header: Secret::new(format!("{token_type} {}", token.expose())),
            refresh_at: Instant::now() + refresh_after(lifetime, self.margin),
            generation,
        })
    }
}

/// How long a token of `lifetime` is used: up to `margin` less, but never less than 90 % of it.
fn refresh_after(lifetime: Duration, margin: Duration) -> Duration {
    lifetime.saturating_sub(margin.min(lifetime / 10))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refresh_margin_is_bounded_by_a_tenth_of_the_lifetime() {
        let minute = Duration::from_secs(60);
        assert_eq!(
            refresh_after(Duration::from_secs(10_800), minute),
            Duration::from_secs(10_740)
        );
        assert_eq!(
            refresh_after(Duration::from_secs(2), minute),
            Duration::from_millis(1800)
        );
        assert_eq!(refresh_after(Duration::ZERO, minute), Duration::ZERO);
    }
}
