//! Opsgenie's per-domain token buckets, each checked against a per-minute and a per-second window.

use std::collections::HashMap;
use std::sync::Mutex;

use tokio::time::Instant;

/// Opsgenie's request domains (opsgenie-api.md §3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Domain {
    /// List alerts, list users.
    Search,
    /// Single-alert reads.
    Alert,
    Incident,
    /// Teams, schedules, services.
    Configuration,
    /// Who is on call.
    ScheduleOncalls,
}

impl Domain {
    /// The name used in `X-RateLimit-Reason` and `/v2/request-limits`.
    pub fn as_str(self) -> &'static str {
        match self {
            Domain::Search => "search",
            Domain::Alert => "alert",
            Domain::Incident => "incident",
            Domain::Configuration => "configuration",
            Domain::ScheduleOncalls => "schedule-oncalls",
        }
    }
}

/// Capacity of one domain: requests per rolling minute and per second.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DomainLimit {
    pub per_minute: u32,
    pub per_second: u32,
}

impl DomainLimit {
    /// Far beyond anything a test or bench does on two cores.
    pub const GENEROUS: DomainLimit = DomainLimit {
        per_minute: 6_000_000,
        per_second: 100_000,
    };
}

/// Limits for every domain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RateLimits {
    pub search: DomainLimit,
    pub alert: DomainLimit,
    pub incident: DomainLimit,
    pub configuration: DomainLimit,
    pub schedule_oncalls: DomainLimit,
}

impl RateLimits {
    /// The same limit for every domain.
    pub fn uniform(limit: DomainLimit) -> Self {
        RateLimits {
            search: limit,
            alert: limit,
            incident: limit,
            configuration: limit,
            schedule_oncalls: limit,
        }
    }

    pub fn get(&self, domain: Domain) -> DomainLimit {
        match domain {
            Domain::Search => self.search,
            Domain::Alert => self.alert,
            Domain::Incident => self.incident,
            Domain::Configuration => self.configuration,
            Domain::ScheduleOncalls => self.schedule_oncalls,
        }
    }
}

impl Default for RateLimits {
    fn default() -> Self {
        RateLimits::uniform(DomainLimit::GENEROUS)
    }
}

#[derive(Debug)]
struct Bucket {
    tokens: f64,
    capacity: f64,
    per_sec: f64,
}

impl Bucket {
    fn new(capacity: u32, period_secs: f64) -> Self {
        Bucket {
            tokens: f64::from(capacity),
            capacity: f64::from(capacity),
            per_sec: f64::from(capacity) / period_secs,
        }
    }

    fn refill(&mut self, elapsed_secs: f64) {
        self.tokens = (self.tokens + elapsed_secs * self.per_sec).min(self.capacity);
    }
}

#[derive(Debug)]
struct DomainBuckets {
    minute: Bucket,
    second: Bucket,
    last: Instant,
}

/// The buckets of all domains.
#[derive(Debug)]
pub struct RateLimiter {
    limits: RateLimits,
    buckets: Mutex<HashMap<Domain, DomainBuckets>>,
}

impl RateLimiter {
    pub fn new(limits: RateLimits) -> Self {
        RateLimiter {
            limits,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one token from both windows of `domain`; on refusal, the window (60 or 1 seconds)
    /// that was empty.
    pub fn try_acquire(&self, domain: Domain) -> Result<(), u32> {
        let now = Instant::now();
        let mut all = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        let limit = self.limits.get(domain);
        let b = all.entry(domain).or_insert_with(|| DomainBuckets {
            minute: Bucket::new(limit.per_minute, 60.0),
            second: Bucket::new(limit.per_second, 1.0),
            last: now,
        });
        let elapsed = now.duration_since(b.last).as_secs_f64();
        b.last = now;
        b.minute.refill(elapsed);
        b.second.refill(elapsed);
        if b.minute.tokens < 1.0 {
            return Err(60);
        }
        if b.second.tokens < 1.0 {
            return Err(1);
        }
        b.minute.tokens -= 1.0;
        b.second.tokens -= 1.0;
        Ok(())
    }
}
