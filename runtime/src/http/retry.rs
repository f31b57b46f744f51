//! When and how long to wait before trying a request again.

use super::time::{now_millis, parse_http_date_millis, parse_rfc3339_millis};
use reqwest::header::HeaderMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Statuses worth another try: request timeout, throttling and server errors. Ocean's list
/// (408, 429, 502, 503, 504) plus 500, which both services return for transient faults (the
/// Opsgenie SDKs retry every 5xx but 501); every retried call is idempotent.
pub const RETRY_STATUSES: [u16; 6] = [408, 429, 500, 502, 503, 504];

/// How many times to send a request and how long to wait in between.
#[derive(Clone, Debug, PartialEq)]
pub struct RetryPolicy {
    /// Total sends including the first; 1 disables retries.
    pub max_attempts: u32,
    /// Wait before the first retry; doubles each retry.
    pub base_delay: Duration,
    /// Upper bound of the exponential wait.
    pub max_delay: Duration,
    /// Upper bound of a wait the server asked for (`Retry-After`, `x-ratelimit-reset`, window).
    pub max_rate_limit_wait: Duration,
    /// Relative jitter: 0.1 spreads each wait over ±10 %.
    pub jitter: f64,
    /// Statuses that are retried (see [`RETRY_STATUSES`]).
    pub statuses: Vec<u16>,
}

impl RetryPolicy {
    /// Ocean's Port client: 10 retries, 0.3 s doubling, capped at 5 minutes.
    pub fn port_default() -> Self {
        RetryPolicy {
            max_attempts: 11,
            base_delay: Duration::from_millis(300),
            max_delay: Duration::from_secs(300),
            max_rate_limit_wait: Duration::from_secs(300),
            jitter: 0.1,
            statuses: RETRY_STATUSES.to_vec(),
        }
    }

    /// Ocean's third-party client (used for Opsgenie): 10 retries, 0.1 s doubling, capped at 60 s.
    pub fn opsgenie_default() -> Self {
        RetryPolicy {
            max_attempts: 11,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(60),
            max_rate_limit_wait: Duration::from_secs(60),
            jitter: 0.1,
            statuses: RETRY_STATUSES.to_vec(),
        }
    }

    /// Millisecond waits, for tests against the simulators.
    pub fn fast(max_attempts: u32) -> Self {
        RetryPolicy {
            max_attempts,
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(20),
            max_rate_limit_wait: Duration::from_millis(20),
            jitter: 0.1,
            statuses: RETRY_STATUSES.to_vec(),
        }
    }

    pub fn retries_status(&self, status: u16) -> bool {
        self.statuses.contains(&status)
    }

    /// The exponential wait before retry number `retry` (1-based), with `unit_random` in
    /// `[0, 1)` choosing the point inside the jitter band.
    pub fn backoff(&self, retry: u32, unit_random: f64) -> Duration {
        let exponent = retry.saturating_sub(1).min(62);
        let factor = 2f64.powi(i32::try_from(exponent).unwrap_or(62));
        let raw = self.base_delay.as_secs_f64() * factor;
        let capped = raw.min(self.max_delay.as_secs_f64());
        let jitter = self.jitter.clamp(0.0, 1.0) * (2.0 * unit_random.clamp(0.0, 1.0) - 1.0);
        let jittered = (capped * (1.0 + jitter)).min(self.max_delay.as_secs_f64());
        Duration::try_from_secs_f64(jittered.max(0.0)).unwrap_or(self.max_delay)
    }

    /// The wait a throttling/unavailable response asks for, if it says anything usable:
    /// `Retry-After` on any retryable status; on 429 also `x-ratelimit-reset` (Port) and
    /// `X-RateLimit-Period-In-Sec` (Opsgenie's window length — waiting it out refills the bucket).
    pub fn server_wait(&self, status: u16, headers: &HeaderMap, now_ms: i64) -> Option<Duration> {
        let header = |name: &str| headers.get(name).and_then(|value| value.to_str().ok());
        let mut wait = header("retry-after").and_then(|value| parse_wait(value, now_ms));
        if wait.is_none() && status == 429 {
            wait = header("x-ratelimit-reset")
                .and_then(|value| parse_wait(value, now_ms))
                .or_else(|| {
                    header("x-ratelimit-period-in-sec")
                        .and_then(|value| value.trim().parse::<f64>().ok())
                        .filter(|seconds| seconds.is_finite() && *seconds >= 0.0)
                        .and_then(|seconds| Duration::try_from_secs_f64(seconds).ok())
                });
        }
        wait.map(|wait| wait.min(self.max_rate_limit_wait))
    }
}

/// A wait header: seconds (`7`, `1.5`), an epoch timestamp in seconds (> 10,000, as Ocean
/// reads it) or milliseconds, an HTTP date, or an RFC 3339 date. Past instants mean "now".
pub fn parse_wait(value: &str, now_ms: i64) -> Option<Duration> {
    let value = value.trim();
    let until = |target_ms: i64| {
        let millis = u64::try_from(target_ms.saturating_sub(now_ms)).unwrap_or(0);
        Duration::from_millis(millis)
    };
    if let Ok(number) = value.parse::<f64>() {
        if !number.is_finite() || number < 0.0 {
            return None;
        }
        return Some(if number > 1e11 {
            until(number as i64)
        } else if number > 10_000.0 {
            until((number * 1000.0) as i64)
        } else {
            Duration::try_from_secs_f64(number).ok()?
        });
    }
    parse_http_date_millis(value)
        .or_else(|| parse_rfc3339_millis(value))
        .map(until)
}

/// A uniform number in `[0, 1)` from a process-wide xorshift generator; jitter needs spread,
/// not cryptographic quality.
pub fn unit_random() -> f64 {
    static STATE: AtomicU64 = AtomicU64::new(0);
    let mut current = STATE.load(Ordering::Relaxed);
    if current == 0 {
        current = (now_millis() as u64) ^ 0x9E37_79B9_7F4A_7C15 | 1;
    }
    let mut next = current;
    next ^= next << 13;
    next ^= next >> 7;
    next ^= next << 17;
    STATE.store(next, Ordering::Relaxed);
    (next >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn policy() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 5,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(1),
            max_rate_limit_wait: Duration::from_secs(30),
            jitter: 0.1,
            statuses: RETRY_STATUSES.to_vec(),
        }
    }

    #[test]
    fn backoff_doubles_and_caps() {
        let policy = policy();
        assert_eq!(policy.backoff(1, 0.5), Duration::from_millis(100));
        assert_eq!(policy.backoff(2, 0.5), Duration::from_millis(200));
        assert_eq!(policy.backoff(4, 0.5), Duration::from_millis(800));
        assert_eq!(policy.backoff(5, 0.5), Duration::from_secs(1));
        assert_eq!(policy.backoff(60, 0.5), Duration::from_secs(1));
        assert_eq!(policy.backoff(u32::MAX, 0.99), Duration::from_secs(1));
    }

    #[test]
    fn jitter_stays_in_band() {
        let policy = policy();
        let low = policy.backoff(2, 0.0);
        let high = policy.backoff(2, 0.999_999);
        assert!(low >= Duration::from_millis(179) && low <= Duration::from_millis(181));
        assert!(high >= Duration::from_millis(219) && high <= Duration::from_millis(221));
        for _ in 0..1000 {
            let wait = policy.backoff(3, unit_random());
            assert!(wait >= Duration::from_millis(359) && wait <= Duration::from_millis(441));
        }
    }

    #[test]
    fn wait_headers_in_every_form() {
        let now = 1_700_000_000_000;
        assert_eq!(parse_wait("7", now), Some(Duration::from_secs(7)));
        assert_eq!(parse_wait("1.5", now), Some(Duration::from_millis(1500)));
        assert_eq!(parse_wait("1700000012", now), Some(Duration::from_secs(12)));
        assert_eq!(
            parse_wait("1700000000500", now),
            Some(Duration::from_millis(500))
        );
        assert_eq!(parse_wait("1600000000", now), Some(Duration::ZERO));
        assert_eq!(
            parse_wait("Tue, 14 Nov 2023 22:13:30 GMT", now),
            Some(Duration::from_secs(10))
        );
        assert_eq!(
            parse_wait("2023-11-14T22:13:25Z", now),
            Some(Duration::from_secs(5))
        );
        assert_eq!(parse_wait("soon", now), None);
        assert_eq!(parse_wait("-3", now), None);
    }

    #[test]
    fn server_wait_sources_and_cap() {
        let policy = policy();
        let mut headers = HeaderMap::new();
        assert_eq!(policy.server_wait(429, &headers, 0), None);
        headers.insert("x-ratelimit-period-in-sec", HeaderValue::from_static("1"));
        assert_eq!(
            policy.server_wait(429, &headers, 0),
            Some(Duration::from_secs(1))
        );
        // The window length only means something on a throttled answer.
        assert_eq!(policy.server_wait(503, &headers, 0), None);
        headers.insert("x-ratelimit-reset", HeaderValue::from_static("4"));
        assert_eq!(
            policy.server_wait(429, &headers, 0),
            Some(Duration::from_secs(4))
        );
        headers.insert("retry-after", HeaderValue::from_static("2"));
        assert_eq!(
            policy.server_wait(429, &headers, 0),
            Some(Duration::from_secs(2))
        );
        assert_eq!(
            policy.server_wait(503, &headers, 0),
            Some(Duration::from_secs(2))
        );
        headers.insert("retry-after", HeaderValue::from_static("3600"));
        assert_eq!(
            policy.server_wait(429, &headers, 0),
            Some(Duration::from_secs(30))
        );
    }
}
