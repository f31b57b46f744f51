//! The HTTP layer both API clients share: one reqwest client, a concurrency limit, retries with
//! exponential backoff that honour the servers' rate-limit headers, JSON decoding inside the retry
//! loop (a truncated `200` is a transient fault, not a result), pacing by the servers' rate-limit
//! signals ([`pacing`]), and counters per kind of request for metrics and the resync summary.

pub mod pacing;
mod retry;
pub mod time;

pub use pacing::{Pacing, RequestKinds};
pub use retry::{parse_wait, unit_random, RetryPolicy, RETRY_STATUSES};

use crate::secret;
use pacing::{Pacer, MAX_KINDS};
use reqwest::header::HeaderMap;
use reqwest::Method;
use serde_json::Value;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;

/// How a client talks HTTP.
#[derive(Clone, Debug)]
pub struct HttpOptions {
    /// Whole-request timeout (connect, send, read the body).
    pub timeout: Duration,
    /// Requests in flight at once for this client.
    pub concurrency: usize,
    pub retry: RetryPolicy,
    pub user_agent: String,
    /// How requests are spaced by the server's rate-limit signals.
    pub pacing: Pacing,
    /// The kinds requests are counted (and, with [`Pacing::Adaptive`], paced) by.
    pub kinds: RequestKinds,
}

/// One request; rebuilt on every attempt from these parts.
#[derive(Clone)]
pub struct Request {
    pub method: Method,
    pub url: String,
    /// Header names and values; values may hold credentials, so they are never printed.
    pub headers: Vec<(&'static str, String)>,
    pub body: Option<Vec<u8>>,
    /// Whether failures may be retried. Ocean retries GET/PUT/DELETE always and POST/PATCH only
    /// when the call is known to be idempotent.
    pub retryable: bool,
}

/// Header values (credentials) and bodies are left out.
impl fmt::Debug for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.headers.iter().map(|(name, _)| *name).collect();
        f.debug_struct("Request")
            .field("method", &self.method)
            .field("url", &secret::mask(&self.url))
            .field("headers", &names)
            .field("body_bytes", &self.body.as_ref().map(Vec::len))
            .field("retryable", &self.retryable)
            .finish()
    }
}

impl Request {
    pub fn new(method: Method, url: impl Into<String>) -> Self {
        let retryable = !matches!(method, Method::POST | Method::PATCH);
        Request {
            method,
            url: url.into(),
            headers: Vec::new(),
            body: None,
            retryable,
        }
    }

    pub fn get(url: impl Into<String>) -> Self {
        Request::new(Method::GET, url)
    }

    /// A request with a JSON body.
    pub fn json(method: Method, url: impl Into<String>, body: &Value) -> Self {
        let mut request = Request::new(method, url);
        // Serializing a `Value` cannot fail.
        request.body = Some(serde_json::to_vec(body).unwrap_or_default());
        request
            .headers
            .push(("content-type", "application/json".to_owned()));
        request
    }

    pub fn header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    pub fn retryable(mut self, retryable: bool) -> Self {
        self.retryable = retryable;
        self
    }
}

/// A final answer that was not retried (any status the policy does not retry).
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    /// The body as JSON; `Null` when empty. For a non-2xx status a body that is not JSON is
    /// kept as a JSON string.
    pub body: Value,
}

impl Reply {
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The service's own error text: `message`, else `error`, else the body itself (short).
    pub fn error_text(&self) -> String {
        let field = |name: &str| {
            self.body
                .get(name)
                .and_then(Value::as_str)
                .filter(|text| !text.is_empty())
        };
        let text = match (field("message"), field("error")) {
            (Some(message), _) => message.to_owned(),
            (None, Some(error)) => error.to_owned(),
            (None, None) => match &self.body {
                Value::Null => String::new(),
                Value::String(text) => text.clone(),
                other => other.to_string(),
            },
        };
        one_line(&secret::mask(&text), 300)
    }
}

/// Why a request produced no usable answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HttpErrorKind {
    /// Connection refused/reset, DNS, TLS.
    Transport,
    /// The request itself cannot be sent (e.g. a URL no server would take): not retried, as
    /// it would fail the same way every time.
    Request,
    Timeout,
    /// A retryable status that persisted.
    Status(u16),
    /// A success status whose body was cut short or not JSON.
    MalformedBody,
}

#[derive(Clone, Debug)]
pub struct HttpError {
    pub kind: HttpErrorKind,
    pub method: Method,
    /// Masked; query strings kept because they say which page failed.
    pub url: String,
    pub detail: String,
    pub attempts: u32,
    /// The wait the last answer asked for (`Retry-After`, or on a 429 the rate-limit reset),
    /// for a caller that repeats the request itself ([`HttpClient::pause_before_retry`]).
    pub server_wait: Option<Duration>,
}

impl fmt::Display for HttpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match &self.kind {
            HttpErrorKind::Transport => "connection failed".to_owned(),
            HttpErrorKind::Request => "cannot be sent".to_owned(),
            HttpErrorKind::Timeout => "timed out".to_owned(),
            HttpErrorKind::Status(status) => format!("HTTP {status}"),
            HttpErrorKind::MalformedBody => "malformed JSON response".to_owned(),
        };
        write!(f, "{} {}: {what}", self.method, self.url)?;
        if !self.detail.is_empty() {
            write!(f, " ({})", self.detail)?;
        }
        let plural = if self.attempts == 1 { "" } else { "s" };
        write!(f, " after {} attempt{plural}", self.attempts)
    }
}

impl std::error::Error for HttpError {}

/// Cumulative counters of one client, for metrics and call-count assertions.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HttpCounters {
    /// Every send, retries included.
    pub requests: u64,
    pub retries: u64,
    /// Retries caused by a 429.
    pub rate_limit_waits: u64,
    /// Total time slept because of 429s.
    pub rate_limit_wait: Duration,
    /// Requests that ended in an [`HttpError`].
    pub failed: u64,
    /// Answers with status 429 (each retried one included).
    pub throttled: u64,
    /// Total time requests were held back by pacing before being sent.
    pub paced_wait: Duration,
    /// Sends and 429s per kind of request; unused slots have an empty name.
    pub kinds: [KindCounters; MAX_KINDS],
}

/// Sends and 429s of one kind of request.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct KindCounters {
    pub name: &'static str,
    pub requests: u64,
    pub throttled: u64,
}

impl HttpCounters {
    /// `self - earlier`, counter by counter (a resync's share of a client's totals).
    pub fn since(&self, earlier: &HttpCounters) -> HttpCounters {
        let mut kinds = self.kinds;
        for (kind, before) in kinds.iter_mut().zip(&earlier.kinds) {
            kind.requests = kind.requests.saturating_sub(before.requests);
            kind.throttled = kind.throttled.saturating_sub(before.throttled);
        }
        HttpCounters {
            requests: self.requests.saturating_sub(earlier.requests),
            retries: self.retries.saturating_sub(earlier.retries),
            rate_limit_waits: self
                .rate_limit_waits
                .saturating_sub(earlier.rate_limit_waits),
            rate_limit_wait: self.rate_limit_wait.saturating_sub(earlier.rate_limit_wait),
            failed: self.failed.saturating_sub(earlier.failed),
            throttled: self.throttled.saturating_sub(earlier.throttled),
            paced_wait: self.paced_wait.saturating_sub(earlier.paced_wait),
            kinds,
        }
    }

    /// The kinds a client has names for.
    pub fn named_kinds(&self) -> impl Iterator<Item = &KindCounters> {
        self.kinds.iter().filter(|kind| !kind.name.is_empty())
    }
}

#[derive(Debug, Default)]
struct Counters {
    requests: AtomicU64,
    retries: AtomicU64,
    rate_limit_waits: AtomicU64,
    rate_limit_wait_micros: AtomicU64,
    failed: AtomicU64,
    throttled: AtomicU64,
    paced_wait_micros: AtomicU64,
    kind_requests: [AtomicU64; MAX_KINDS],
    kind_throttled: [AtomicU64; MAX_KINDS],
}

fn micros(wait: Duration) -> u64 {
    u64::try_from(wait.as_micros()).unwrap_or(u64::MAX)
}

/// A pooled HTTP client with retries; cheap to clone (clones share pool, limit and counters).
#[derive(Clone, Debug)]
pub struct HttpClient {
    client: reqwest::Client,
    retry: RetryPolicy,
    permits: Arc<Semaphore>,
    counters: Arc<Counters>,
    pacer: Arc<Pacer>,
    kinds: RequestKinds,
}

/// What one attempt produced.
enum Attempt {
    /// The answer; with `raw`, a 2xx body is returned as bytes (validated JSON) and `body` is null.
    Done(Reply, Option<Vec<u8>>),
    Retry {
        kind: HttpErrorKind,
        detail: String,
        server_wait: Option<Duration>,
    },
}

impl HttpClient {
    pub fn new(options: HttpOptions) -> Result<Self, HttpError> {
        let client = reqwest::Client::builder()
            .timeout(options.timeout)
            .user_agent(options.user_agent)
            .build()
            .map_err(|error| HttpError {
                kind: HttpErrorKind::Transport,
                method: Method::GET,
                url: String::new(),
                detail: format!("cannot build HTTP client: {error}"),
                attempts: 0,
                server_wait: None,
            })?;
        Ok(HttpClient {
            client,
            permits: Arc::new(Semaphore::new(options.concurrency.max(1))),
            counters: Arc::new(Counters::default()),
            pacer: Arc::new(Pacer::new(
                options.pacing,
                options.retry.max_rate_limit_wait,
            )),
            kinds: options.kinds,
            retry: options.retry,
        })
    }

    pub fn pacing(&self) -> Pacing {
        self.pacer.mode()
    }

    pub fn counters(&self) -> HttpCounters {
        let load = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        HttpCounters {
            requests: load(&self.counters.requests),
            retries: load(&self.counters.retries),
            rate_limit_waits: load(&self.counters.rate_limit_waits),
            rate_limit_wait: Duration::from_micros(load(&self.counters.rate_limit_wait_micros)),
            failed: load(&self.counters.failed),
            throttled: load(&self.counters.throttled),
            paced_wait: Duration::from_micros(load(&self.counters.paced_wait_micros)),
            kinds: std::array::from_fn(|index| KindCounters {
                name: self.kinds.names.get(index).copied().unwrap_or(""),
                requests: load(&self.counters.kind_requests[index]),
                throttled: load(&self.counters.kind_throttled[index]),
            }),
        }
    }

    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.retry
    }

    /// Sends `request`, retrying transient failures per the policy. Returns the first answer
    /// whose status is not retryable (2xx with a JSON body, or any 4xx/5xx the caller must judge).
    pub async fn send(&self, request: &Request) -> Result<Reply, HttpError> {
        self.send_mode(request, false).await.map(|(reply, _)| reply)
    }

    /// Like [`HttpClient::send`], but a 2xx body comes back as its bytes (checked to be complete
    /// JSON inside the retry loop, not decoded), for callers with their own JSON decoder.
    pub async fn send_raw(&self, request: &Request) -> Result<(Reply, Vec<u8>), HttpError> {
        self.send_mode(request, true)
            .await
            .map(|(reply, bytes)| (reply, bytes.unwrap_or_default()))
    }

    async fn send_mode(
        &self,
        request: &Request,
        raw: bool,
    ) -> Result<(Reply, Option<Vec<u8>>), HttpError> {
        let max_attempts = if request.retryable {
            self.retry.max_attempts.max(1)
        } else {
            1
        };
        let mut attempt = 0;
        loop {
            attempt += 1;
            let outcome = self.attempt(request, raw).await;
            let (kind, detail, server_wait) = match outcome {
                Attempt::Done(reply, bytes) => return Ok((reply, bytes)),
                Attempt::Retry {
                    kind,
                    detail,
                    server_wait,
                } => (kind, detail, server_wait),
            };
            if attempt >= max_attempts || kind == HttpErrorKind::Request {
                self.counters.failed.fetch_add(1, Ordering::Relaxed);
                return Err(HttpError {
                    kind,
                    method: request.method.clone(),
                    url: secret::mask(&request.url),
                    detail: one_line(&secret::mask(&detail), 300),
                    attempts: attempt,
                    server_wait,
                });
            }
            self.pause(request, attempt, max_attempts, &kind, server_wait, &detail)
                .await;
        }
    }

    /// For a call that is not repeated blindly (a create: see `PortClient`'s verified
    /// creates): after `error`, its `attempt`-th failure, waits as the retry loop would — the
    /// server's wait, else the policy's backoff — counted and logged like any retry. The one
    /// place besides the loop where a retry waits, so both follow the same policy.
    pub async fn pause_before_retry(&self, request: &Request, attempt: u32, error: &HttpError) {
        let max_attempts = self.retry.max_attempts.max(1);
        self.pause(
            request,
            attempt,
            max_attempts,
            &error.kind,
            error.server_wait,
            &error.detail,
        )
        .await;
    }

    /// The wait before retry number `attempt`: counted, logged, slept.
    async fn pause(
        &self,
        request: &Request,
        attempt: u32,
        max_attempts: u32,
        kind: &HttpErrorKind,
        server_wait: Option<Duration>,
        detail: &str,
    ) {
        // A reset instant already past (whole-second headers) must not turn into a busy loop.
        let wait = server_wait
            .filter(|wait| !wait.is_zero())
            .unwrap_or_else(|| self.retry.backoff(attempt, unit_random()));
        self.counters.retries.fetch_add(1, Ordering::Relaxed);
        log_retry(request, attempt, max_attempts, wait, detail);
        if *kind == HttpErrorKind::Status(429) {
            self.counters
                .rate_limit_waits
                .fetch_add(1, Ordering::Relaxed);
            self.counters
                .rate_limit_wait_micros
                .fetch_add(micros(wait), Ordering::Relaxed);
        }
        tokio::time::sleep(wait).await;
    }

    async fn attempt(&self, request: &Request, raw: bool) -> Attempt {
        let kind = self.kinds.of(&request.method, &request.url);
        // Paced before taking a permit: a request waiting for its slot holds no connection.
        let paced = self.pacer.reserve(kind, tokio::time::Instant::now());
        if !paced.is_zero() {
            self.counters
                .paced_wait_micros
                .fetch_add(micros(paced), Ordering::Relaxed);
            tokio::time::sleep(paced).await;
        }
        // Held only while the request is in flight, not during backoff sleeps.
        let _permit = self.permits.acquire().await;
        self.counters.requests.fetch_add(1, Ordering::Relaxed);
        self.counters.kind_requests[kind].fetch_add(1, Ordering::Relaxed);
        let sent = tokio::time::Instant::now();

        let mut builder = self
            .client
            .request(request.method.clone(), request.url.as_str());
        for (name, value) in &request.headers {
            builder = builder.header(*name, value.as_str());
        }
        if let Some(body) = &request.body {
            builder = builder.body(body.clone());
        }
        let response = match builder.send().await {
            Ok(response) => response,
            Err(error) => return transport_failure(&error),
        };
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        if status == 429 {
            self.counters.throttled.fetch_add(1, Ordering::Relaxed);
            self.counters.kind_throttled[kind].fetch_add(1, Ordering::Relaxed);
        }
        let now = tokio::time::Instant::now();
        let paced = !paced.is_zero();
        (self.pacer).observe(kind, sent, paced, status, &headers, now, time::now_millis());
        let bytes = match read_capped(response, MAX_RESPONSE_BYTES).await {
            Ok(Ok(bytes)) => bytes,
            Ok(Err(too_large)) => {
                return Attempt::Retry {
                    kind: HttpErrorKind::MalformedBody,
                    detail: too_large,
                    server_wait: None,
                }
            }
            Err(error) => return transport_failure(&error),
        };

        if self.retry.retries_status(status) {
            let server_wait = self.retry.server_wait(status, &headers, time::now_millis());
            let body = decode_lenient(&bytes);
            let reply = Reply {
                status,
                headers,
                body,
            };
            return Attempt::Retry {
                kind: HttpErrorKind::Status(status),
                detail: reply.error_text(),
                server_wait,
            };
        }
        if (200..300).contains(&status) {
            if bytes.iter().all(u8::is_ascii_whitespace) {
                let empty = raw.then(Vec::new);
                return Attempt::Done(
                    Reply {
                        status,
                        headers,
                        body: Value::Null,
                    },
                    empty,
                );
            }
            if raw {
                return match serde_json::from_slice::<serde::de::IgnoredAny>(&bytes) {
                    Ok(_) => Attempt::Done(
                        Reply {
                            status,
                            headers,
                            body: Value::Null,
                        },
                        Some(bytes.to_vec()),
                    ),
                    Err(error) => Attempt::Retry {
                        kind: HttpErrorKind::MalformedBody,
                        detail: format!("{} bytes: {error}", bytes.len()),
                        server_wait: None,
                    },
                };
            }
            return match serde_json::from_slice::<Value>(&bytes) {
                Ok(body) => Attempt::Done(
                    Reply {
                        status,
                        headers,
                        body,
                    },
                    None,
                ),
                Err(error) => Attempt::Retry {
                    kind: HttpErrorKind::MalformedBody,
                    detail: format!("{} bytes: {error}", bytes.len()),
                    server_wait: None,
                },
            };
        }
        Attempt::Done(
            Reply {
                status,
                headers,
                body: decode_lenient(&bytes),
            },
            None,
        )
    }
}

/// The largest answer read: a server is not trusted to keep to its page sizes, and an answer
/// is held whole in memory (the largest real ones, Port's listings of 1,000 entities, are a few
/// MB).
pub const MAX_RESPONSE_BYTES: usize = 64 << 20;

/// The body, or `Ok(Err(why))` once it is known to be longer than `cap` bytes (from its
/// `Content-Length`, or while reading).
async fn read_capped(
    mut response: reqwest::Response,
    cap: usize,
) -> Result<Result<Vec<u8>, String>, reqwest::Error> {
    let too_large = || format!("the answer is larger than {cap} bytes");
    let announced = response.content_length().unwrap_or(0);
    if announced > cap as u64 {
        return Ok(Err(too_large()));
    }
    let mut bytes = Vec::with_capacity(announced as usize);
    while let Some(chunk) = response.chunk().await? {
        if bytes.len() + chunk.len() > cap {
            return Ok(Err(too_large()));
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(Ok(bytes))
}

fn transport_failure(error: &reqwest::Error) -> Attempt {
    let kind = if error.is_timeout() {
        HttpErrorKind::Timeout
    } else if error.is_builder() {
        HttpErrorKind::Request
    } else {
        HttpErrorKind::Transport
    };
    // reqwest's Display includes the URL; keep the innermost cause, which says what went wrong.
    let mut cause: &dyn std::error::Error = error;
    while let Some(source) = cause.source() {
        cause = source;
    }
    Attempt::Retry {
        kind,
        detail: cause.to_string(),
        server_wait: None,
    }
}

fn decode_lenient(bytes: &[u8]) -> Value {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Value::Null;
    }
    serde_json::from_slice(bytes)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(bytes).into_owned()))
}

/// `text` on one line, at most `max_chars` characters.
/// A single transient failure is routine (debug); a request failing again is what an operator
/// waiting on a silent run needs to see (warning), with the wait, so the pause is explained.
fn log_retry(request: &Request, attempt: u32, max_attempts: u32, wait: Duration, detail: &str) {
    let url = secret::mask(&request.url);
    let detail = one_line(&secret::mask(detail), 200);
    let wait_s = format!("{:.1}", wait.as_secs_f64());
    if attempt == 1 {
        tracing::debug!(method = %request.method, url = %url, attempt, max_attempts, wait_s = %wait_s, detail = %detail, "request failed, retrying");
    } else {
        tracing::warn!(method = %request.method, url = %url, attempt, max_attempts, wait_s = %wait_s, detail = %detail, "request still failing, retrying");
    }
}

pub fn one_line(text: &str, max_chars: usize) -> String {
    let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= max_chars {
        return flat;
    }
    let mut cut: String = flat.chars().take(max_chars).collect();
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests;
