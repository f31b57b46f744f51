//! Deterministic fault injection shared by both simulators.
//!
//! A [`FaultPlan`] decides, per request number, whether to fail and how. The decision is a pure
//! function of `(seed, request number)`, so a failing test can be replayed exactly.
//!
//! Besides those random faults, a plan holds scripted ones: "the next N requests to this route
//! get that answer" ([`FaultPlan::on_route`]), for tests that fail one call precisely. The Port
//! simulator applies them (routes named as its router names them, e.g.
//! `PATCH /v1/integration/{id}/resync-state`); the Opsgenie simulator has no use for them yet.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

/// What a simulator does instead of answering normally.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// HTTP 429 with the service's rate-limit headers.
    RateLimited,
    /// HTTP 500/502/503 (cycled).
    ServerError(u16),
    /// Wait longer than any sane client timeout, then answer normally.
    Timeout,
    /// Send a `200` whose JSON body is cut in the middle.
    TruncatedBody,
    /// Close the connection without an answer.
    ConnectionReset,
}

/// Which faults may be injected and how often.
#[derive(Clone, Debug)]
pub struct FaultConfig {
    /// Probability in `[0, 1]` that a request gets a fault.
    pub rate: f64,
    pub seed: u64,
    /// The kinds to draw from; empty means none.
    pub kinds: Vec<FaultKind>,
    /// How long a [`Fault::Timeout`] stalls.
    pub timeout_stall: std::time::Duration,
}

/// The kinds of [`Fault`] a [`FaultConfig`] may choose from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaultKind {
    RateLimited,
    ServerError,
    Timeout,
    TruncatedBody,
    ConnectionReset,
}

impl FaultConfig {
    /// No faults at all.
    pub fn none() -> Self {
        FaultConfig {
            rate: 0.0,
            seed: 0,
            kinds: Vec::new(),
            timeout_stall: std::time::Duration::from_secs(5),
        }
    }

    /// Every kind of fault at the given rate.
    pub fn all(rate: f64, seed: u64) -> Self {
        FaultConfig {
            rate,
            seed,
            kinds: vec![
                FaultKind::RateLimited,
                FaultKind::ServerError,
                FaultKind::Timeout,
                FaultKind::TruncatedBody,
                FaultKind::ConnectionReset,
            ],
            timeout_stall: std::time::Duration::from_secs(5),
        }
    }
}

/// A scripted answer for requests to one route (see [`FaultPlan::on_route`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RouteFault {
    /// Answer `status` without handling the request (nothing is written). A 429 carries the
    /// rate-limit headers; `retry_after`, when given, is sent as `Retry-After`.
    Status {
        status: u16,
        retry_after: Option<String>,
    },
    /// Handle the request (its write happens), then answer `status` instead: the client does
    /// not learn that it succeeded.
    LostAnswer { status: u16 },
    /// Handle the request, then wait this long before answering.
    Delay(Duration),
}

impl RouteFault {
    /// A throttled answer asking the client to wait `seconds` (`Retry-After`).
    pub fn throttled(seconds: u64) -> Self {
        RouteFault::Status {
            status: 429,
            retry_after: Some(seconds.to_string()),
        }
    }

    /// A server error without any wait hint.
    pub fn server_error(status: u16) -> Self {
        RouteFault::Status {
            status,
            retry_after: None,
        }
    }
}

#[derive(Clone, Debug)]
struct RouteRule {
    route: String,
    fault: RouteFault,
    remaining: u64,
}

/// Counts requests and decides faults from a [`FaultConfig`] and the scripted route faults.
#[derive(Debug)]
pub struct FaultPlan {
    config: std::sync::RwLock<FaultConfig>,
    requests: AtomicU64,
    injected: AtomicU64,
    routes: Mutex<Vec<RouteRule>>,
}

impl FaultPlan {
    pub fn new(config: FaultConfig) -> Self {
        FaultPlan {
            config: std::sync::RwLock::new(config),
            requests: AtomicU64::new(0),
            injected: AtomicU64::new(0),
            routes: Mutex::new(Vec::new()),
        }
    }

    /// The next `times` requests to `route` (`"METHOD /path/{pattern}"`; `u64::MAX`: all of
    /// them) get `fault` instead of the random draw. Rules for one route apply in the order
    /// they were added.
    pub fn on_route(&self, route: &str, fault: RouteFault, times: u64) {
        if times == 0 {
            return;
        }
        self.routes
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(RouteRule {
                route: route.to_owned(),
                fault,
                remaining: times,
            });
    }

    /// Forgets every scripted route fault.
    pub fn clear_routes(&self) {
        self.routes
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }

    /// Called once per request to `route`: the scripted fault for it, if one is left.
    pub fn route_fault(&self, route: &str) -> Option<RouteFault> {
        let mut routes = self.routes.lock().unwrap_or_else(|e| e.into_inner());
        let index = routes.iter().position(|rule| rule.route == route)?;
        let rule = &mut routes[index];
        let fault = rule.fault.clone();
        rule.remaining = rule.remaining.saturating_sub(1);
        if rule.remaining == 0 {
            routes.remove(index);
        }
        self.injected.fetch_add(1, Ordering::Relaxed);
        Some(fault)
    }

    /// Replace the configuration (tests turn faults on and off between phases).
    pub fn set(&self, config: FaultConfig) {
        *self.config.write().unwrap_or_else(|e| e.into_inner()) = config;
    }

    /// Called once per request: the fault to inject, if any.
    pub fn next(&self) -> Option<Fault> {
        let n = self.requests.fetch_add(1, Ordering::Relaxed);
        let config = self.config.read().unwrap_or_else(|e| e.into_inner());
        if config.kinds.is_empty() || config.rate <= 0.0 {
            return None;
        }
        let draw = splitmix64(config.seed ^ n.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        // Top 53 bits as a uniform number in [0, 1).
        let unit = (draw >> 11) as f64 / (1u64 << 53) as f64;
        if unit >= config.rate {
            return None;
        }
        self.injected.fetch_add(1, Ordering::Relaxed);
        let pick = splitmix64(draw) as usize;
        Some(match config.kinds[pick % config.kinds.len()] {
            FaultKind::RateLimited => Fault::RateLimited,
            FaultKind::ServerError => Fault::ServerError([500, 502, 503][(pick / 7) % 3]),
            FaultKind::Timeout => Fault::Timeout,
            FaultKind::TruncatedBody => Fault::TruncatedBody,
            FaultKind::ConnectionReset => Fault::ConnectionReset,
        })
    }

    /// How long a [`Fault::Timeout`] stalls under the current configuration.
    pub fn timeout_stall(&self) -> std::time::Duration {
        self.config
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .timeout_stall
    }

    /// Requests seen so far.
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// Faults injected so far.
    pub fn injected(&self) -> u64 {
        self.injected.load(Ordering::Relaxed)
    }
}

/// SplitMix64: a tiny, well-mixed hash for deterministic draws.
pub fn splitmix64(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_is_roughly_respected_and_deterministic() {
        let a = FaultPlan::new(FaultConfig::all(0.3, 7));
        let b = FaultPlan::new(FaultConfig::all(0.3, 7));
        let fa: Vec<_> = (0..10_000).map(|_| a.next()).collect();
        let fb: Vec<_> = (0..10_000).map(|_| b.next()).collect();
        assert_eq!(fa, fb);
        let injected = fa.iter().filter(|f| f.is_some()).count();
        assert!((2_700..3_300).contains(&injected), "{injected}");
    }

    #[test]
    fn route_faults_apply_to_their_route_in_order_and_run_out() {
        let p = FaultPlan::new(FaultConfig::none());
        p.on_route("PATCH /v1/x", RouteFault::throttled(1), 2);
        p.on_route("PATCH /v1/x", RouteFault::LostAnswer { status: 502 }, 1);
        p.on_route("POST /v1/y", RouteFault::server_error(503), u64::MAX);
        assert_eq!(p.route_fault("GET /v1/x"), None);
        assert_eq!(p.route_fault("PATCH /v1/x"), Some(RouteFault::throttled(1)));
        assert_eq!(p.route_fault("PATCH /v1/x"), Some(RouteFault::throttled(1)));
        assert_eq!(
            p.route_fault("PATCH /v1/x"),
            Some(RouteFault::LostAnswer { status: 502 })
        );
        assert_eq!(p.route_fault("PATCH /v1/x"), None);
        for _ in 0..100 {
            assert_eq!(
                p.route_fault("POST /v1/y"),
                Some(RouteFault::server_error(503))
            );
        }
        assert_eq!(p.injected(), 103);
        p.clear_routes();
        assert_eq!(p.route_fault("POST /v1/y"), None);
    }

    #[test]
    fn none_injects_nothing() {
        let p = FaultPlan::new(FaultConfig::none());
        assert!((0..1000).all(|_| p.next().is_none()));
    }
}
