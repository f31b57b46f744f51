//! The HTTP layer both API clients share: one reqwest client, a concurrency limit, retries with
//! exponential backoff that honour the servers' rate-limit headers, JSON decoding inside the retry
//! loop (a truncated `200` is a transient fault, not a result), and counters for metrics.

mod retry;
pub mod time;

pub use retry::{parse_wait, unit_random, RetryPolicy, RETRY_STATUSES};

use crate::secret;
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
}

#[derive(Debug, Default)]
struct Counters {
    requests: AtomicU64,
    retries: AtomicU64,
    rate_limit_waits: AtomicU64,
    rate_limit_wait_micros: AtomicU64,
    failed: AtomicU64,
}

/// A pooled HTTP client with retries; cheap to clone (clones share pool, limit and counters).
#[derive(Clone, Debug)]
pub struct HttpClient {
    client: reqwest::Client,
    retry: RetryPolicy,
    permits: Arc<Semaphore>,
    counters: Arc<Counters>,
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
            retry: options.retry,
            permits: Arc::new(Semaphore::new(options.concurrency.max(1))),
            counters: Arc::new(Counters::default()),
        })
    }

    pub fn counters(&self) -> HttpCounters {
        let load = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        HttpCounters {
            requests: load(&self.counters.requests),
            retries: load(&self.counters.retries),
            rate_limit_waits: load(&self.counters.rate_limit_waits),
            rate_limit_wait: Duration::from_micros(load(&self.counters.rate_limit_wait_micros)),
            failed: load(&self.counters.failed),
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
            let micros = u64::try_from(wait.as_micros()).unwrap_or(u64::MAX);
            self.counters
                .rate_limit_wait_micros
                .fetch_add(micros, Ordering::Relaxed);
        }
        tokio::time::sleep(wait).await;
    }

    async fn attempt(&self, request: &Request, raw: bool) -> Attempt {
        // Held only while the request is in flight, not during backoff sleeps.
        let _permit = self.permits.acquire().await;
        self.counters.requests.fetch_add(1, Ordering::Relaxed);

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
mod tests {
    use super::*;

    #[test]
    fn one_line_flattens_and_truncates() {
        assert_eq!(one_line("a\n  b\tc", 10), "a b c");
        assert_eq!(one_line("abcdef", 3), "abc…");
    }

    #[test]
    fn error_text_prefers_message_and_masks() {
        secret::register(&secret::Secret::new("leaky-token-998877"));
        let reply = Reply {
            status: 422,
            headers: HeaderMap::new(),
            body: serde_json::json!({"ok": false, "error": "invalid_request",
                                     "message": "bad key leaky-token-998877"}),
        };
        assert_eq!(reply.error_text(), "bad key [REDACTED]");
        let reply = Reply {
            status: 404,
            headers: HeaderMap::new(),
            body: serde_json::json!({"ok": false, "error": "not_found"}),
        };
        assert_eq!(reply.error_text(), "not_found");
    }

    #[test]
    fn request_debug_hides_header_values() {
        let request = Request::get("http://x").header("authorization", "GenieKey hidden-123");
        let printed = format!("{request:?}");
        assert!(printed.contains("authorization") && !printed.contains("hidden-123"));
    }

    #[test]
    fn a_request_failing_again_is_logged_as_a_warning_with_the_url_masked() {
        use crate::logging::{subscriber, CaptureWriter, LogFormat, LogOptions};
        secret::register(&secret::Secret::new("retry-log-secret-5151"));
        // A port nothing listens on: every attempt is refused.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("free port")
            .port();
        let client = HttpClient::new(HttpOptions {
            timeout: Duration::from_secs(5),
            concurrency: 1,
            retry: RetryPolicy::fast(3),
            user_agent: "test".into(),
        })
        .expect("client");
        let capture = CaptureWriter::new();
        let options = LogOptions {
            level: "DEBUG".into(),
            format: LogFormat::Json,
        };
        let error =
            tracing::subscriber::with_default(subscriber(&options, capture.clone()), || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("runtime");
                let url = format!("http://127.0.0.1:{port}/v1/x?key=retry-log-secret-5151");
                runtime.block_on(client.send(&Request::get(url)))
            })
            .expect_err("nothing listens");
        assert_eq!((error.kind, error.attempts), (HttpErrorKind::Transport, 3));
        let lines: Vec<serde_json::Value> = capture
            .contents()
            .lines()
            .map(|line| serde_json::from_str::<serde_json::Value>(line).expect("JSON line"))
            .filter(|line| line["target"] == "opsgenie_port_runtime::http")
            .collect();
        let levels: Vec<&str> = lines.iter().filter_map(|l| l["level"].as_str()).collect();
        // Two retries: the first is routine, the second means the trouble persists.
        assert_eq!(levels, ["DEBUG", "WARN"], "{lines:?}");
        assert_eq!(lines[1]["message"], "request still failing, retrying");
        assert_eq!(lines[1]["attempt"], 2);
        assert_eq!(lines[1]["max_attempts"], 3);
        let text = capture.contents();
        assert!(!text.contains("retry-log-secret-5151"), "{text}");
        assert!(text.contains(&format!("127.0.0.1:{port}/v1/x")), "{text}");
    }

    #[test]
    fn answers_longer_than_the_cap_are_not_read() {
        use std::io::{Read, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("listener");
        let port = listener.local_addr().expect("address").port();
        // Two answers: one announcing more than the client reads, one chunked and too long.
        std::thread::spawn(move || {
            for body in [None, Some(vec![b' '; 3000])] {
                let Ok((mut stream, _)) = listener.accept() else {
                    return;
                };
                let mut request = [0u8; 4096];
                let _ = stream.read(&mut request);
                let answer = match &body {
                    None => format!(
                        "HTTP/1.1 200 OK\r\ncontent-length: {}\r\n\r\n{{}}",
                        MAX_RESPONSE_BYTES + 1
                    )
                    .into_bytes(),
                    Some(body) => {
                        let mut answer =
                            b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n".to_vec();
                        for chunk in body.chunks(500) {
                            answer.extend(format!("{:x}\r\n", chunk.len()).into_bytes());
                            answer.extend(chunk);
                            answer.extend(b"\r\n");
                        }
                        answer.extend(b"0\r\n\r\n");
                        answer
                    }
                };
                let _ = stream.write_all(&answer);
            }
        });
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let client = HttpClient::new(HttpOptions {
            timeout: Duration::from_secs(5),
            concurrency: 1,
            retry: RetryPolicy::fast(1),
            user_agent: "test".into(),
        })
        .expect("client");
        let url = format!("http://127.0.0.1:{port}/v1/x");
        let error = runtime
            .block_on(client.send(&Request::get(url.clone())))
            .expect_err("too large");
        assert_eq!(error.kind, HttpErrorKind::MalformedBody, "{error}");
        assert!(error.detail.contains("larger than"), "{error}");
        let response = runtime
            .block_on(reqwest::get(url))
            .expect("the chunked answer");
        let read = runtime.block_on(read_capped(response, 2000)).expect("read");
        assert!(read.expect_err("over the cap").contains("2000"));
    }

    #[test]
    fn a_request_that_cannot_be_sent_is_not_retried() {
        let client = HttpClient::new(HttpOptions {
            timeout: Duration::from_secs(5),
            concurrency: 1,
            retry: RetryPolicy::fast(5),
            user_agent: "test".into(),
        })
        .expect("client");
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        // Not a URL: it would fail the same way on every attempt.
        let error = runtime
            .block_on(client.send(&Request::get("http://a host/v1/x".to_owned())))
            .expect_err("cannot be sent");
        assert_eq!(
            (&error.kind, error.attempts),
            (&HttpErrorKind::Request, 1),
            "{error}"
        );
    }

    #[test]
    fn a_password_in_the_url_is_in_no_retry_warning_and_no_error() {
        use crate::logging::{subscriber, CaptureWriter, LogFormat, LogOptions};
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("free port")
            .port();
        let client = HttpClient::new(HttpOptions {
            timeout: Duration::from_secs(5),
            concurrency: 1,
            retry: RetryPolicy::fast(3),
            user_agent: "test".into(),
        })
        .expect("client");
        let capture = CaptureWriter::new();
        let options = LogOptions {
            level: "DEBUG".into(),
            format: LogFormat::Json,
        };
        // Never registered as a secret: only its place in the URL gives it away.
        let url = format!("https://deploy:userinfo-pass-7272@127.0.0.1:{port}/v1/integration/x");
        let request = Request::json(Method::PATCH, url, &serde_json::json!({})).retryable(true);
        let error =
            tracing::subscriber::with_default(subscriber(&options, capture.clone()), || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("runtime");
                runtime.block_on(client.send(&request))
            })
            .expect_err("nothing listens");
        let logs = capture.contents();
        assert!(logs.contains("request still failing, retrying"), "{logs}");
        for text in [logs.as_str(), &error.to_string(), &format!("{request:?}")] {
            assert!(!text.contains("userinfo-pass-7272"), "{text}");
            assert!(!text.contains("deploy:"), "{text}");
            assert!(
                text.contains(&format!(
                    "https://[REDACTED]@127.0.0.1:{port}/v1/integration/x"
                )),
                "{text}"
            );
        }
    }

    #[test]
    fn only_post_and_patch_default_to_not_retryable() {
        assert!(Request::get("http://x").retryable);
        assert!(Request::new(Method::DELETE, "http://x").retryable);
        assert!(!Request::new(Method::POST, "http://x").retryable);
        assert!(!Request::new(Method::PATCH, "http://x").retryable);
        assert!(
            Request::new(Method::POST, "http://x")
                .retryable(true)
                .retryable
        );
    }
}
