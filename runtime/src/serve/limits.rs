//! The bounds of `serve`'s HTTP surface and webhook queue, in one place. Every value is a
//! constant with its reason; [`Limits`] carries them so tests and benches can shrink them.
//!
//! Memory, worst case, with the defaults: request bodies being read or parsed ≤
//! [`BODY_BUDGET_BYTES`] (32 MiB) whatever the number of connections; the queue holds no body,
//! only alert ids (≤ [`MAX_ALERT_ID_BYTES`] each) and an action — under 1 KiB per queued alert
//! with its task (the future is 376 bytes) and map entry, so under 10 MiB for a full queue of
//! [`QUEUE_CAPACITY`] events; [`MAX_CONNECTIONS`] idle connections cost hyper's
//! buffers (a few KiB each).

use std::time::Duration;

/// Largest webhook body accepted (HTTP 413 above). Opsgenie truncates descriptions to 1,000
/// characters and real payloads are a few KiB; 1 MiB leaves room for large `details` maps.
pub const MAX_BODY_BYTES: usize = 1 << 20;

/// Request bodies held in memory at once, over all connections: a request reserves its
/// `Content-Length` (or [`MAX_BODY_BYTES`] when chunked) before reading and waits for room
/// within [`BODY_TIMEOUT`]; if none frees up it gets 503 with `Retry-After`. 32 full-size
/// bodies at once, thousands of real ones.
pub const BODY_BUDGET_BYTES: usize = 32 << 20;

/// Longest alert id accepted (HTTP 400 above). Opsgenie's ids are a UUID plus a millisecond
/// stamp (about 50 characters); longer ones are forged, and a 64 KiB one cannot even form a
/// request URL.
pub const MAX_ALERT_ID_BYTES: usize = 256;

/// Accepted events not applied yet, counted after coalescing (at most one running and one
/// waiting event per alert). An event for an alert that already has one waiting merges into it
/// and is always accepted; a new one is refused with 503 and `Retry-After` when the queue is
/// full. Large enough for a burst touching every open alert of a big account while Opsgenie
/// is slow; small enough that the entries stay under 10 MiB and that the number of events a
/// restart can lose stays bounded.
pub const QUEUE_CAPACITY: usize = 10_000;

/// `Retry-After` (seconds) of a 503: the queue is full, the body budget is taken, or the
/// service is stopping (a restarted pod is back in well under a minute).
pub const RETRY_AFTER_SECONDS: u64 = 30;

/// Time for a client to send a request's headers, from the moment the server waits for them
/// (connection accepted, or the previous response written on a keep-alive connection): the
/// connection is closed after it. Bounds both slowloris headers and idle keep-alive connections.
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(10);

/// Time for a client to send a webhook body once its headers arrived: HTTP 408 and the
/// connection closed after it. 1 MiB needs only ~1 Mbit/s to arrive in time.
pub const BODY_TIMEOUT: Duration = Duration::from_secs(10);

/// Open connections at once; further ones wait in the listen backlog until one closes (each
/// one is bounded by the timeouts above). Probes, metrics scrapes and Opsgenie's webhook calls
/// need a handful.
pub const MAX_CONNECTIONS: usize = 256;

/// Events applied at once. Each costs a few Opsgenie and Port round trips and the clients cap
/// their own concurrency, so more workers would only queue inside the clients.
pub const WORKERS: usize = 32;

/// The wait before applying an event again after Opsgenie or Port could not answer (after the
/// HTTP client's own retries): doubling from this, up to [`RETRY_MAX`], ±10 %.
pub const RETRY_BASE: Duration = Duration::from_secs(1);
pub const RETRY_MAX: Duration = Duration::from_secs(60);

/// What `serve` runs with; [`Limits::default`] is the constants above.
#[derive(Clone, Debug, PartialEq)]
pub struct Limits {
    pub max_body_bytes: usize,
    pub body_budget_bytes: usize,
    pub queue_capacity: usize,
    pub retry_after_seconds: u64,
    pub header_timeout: Duration,
    pub body_timeout: Duration,
    pub max_connections: usize,
    pub workers: usize,
    pub retry_base: Duration,
    pub retry_max: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_body_bytes: MAX_BODY_BYTES,
            body_budget_bytes: BODY_BUDGET_BYTES,
            queue_capacity: QUEUE_CAPACITY,
            retry_after_seconds: RETRY_AFTER_SECONDS,
            header_timeout: HEADER_TIMEOUT,
            body_timeout: BODY_TIMEOUT,
            max_connections: MAX_CONNECTIONS,
            workers: WORKERS,
            retry_base: RETRY_BASE,
            retry_max: RETRY_MAX,
        }
    }
}

impl Limits {
    /// The wait before retry number `retry` (1-based) of an event, with `unit_random` in
    /// `[0, 1)` placing it in the ±10 % band.
    pub fn retry_wait(&self, retry: u32, unit_random: f64) -> Duration {
        let doubled = self
            .retry_base
            .saturating_mul(1u32 << retry.saturating_sub(1).min(20));
        let capped = doubled.min(self.retry_max);
        capped.mul_f64(0.9 + 0.2 * unit_random.clamp(0.0, 1.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_waits_double_up_to_the_cap() {
        let limits = Limits::default();
        assert_eq!(limits.retry_wait(1, 0.5), Duration::from_secs(1));
        assert_eq!(limits.retry_wait(3, 0.5), Duration::from_secs(4));
        assert_eq!(limits.retry_wait(7, 0.5), Duration::from_secs(60));
        assert_eq!(limits.retry_wait(u32::MAX, 0.5), Duration::from_secs(60));
        assert!(limits.retry_wait(1, 0.0) >= Duration::from_millis(900));
        assert!(limits.retry_wait(1, 0.999) <= Duration::from_millis(1100));
    }
}
