//! Deterministic fault injection shared by both simulators.
//!
//! A [`FaultPlan`] decides, per request number, whether to fail and how. The decision is a pure
//! function of `(seed, request number)`, so a failing test can be replayed exactly.

use std::sync::atomic::{AtomicU64, Ordering};

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

/// Counts requests and decides faults from a [`FaultConfig`].
#[derive(Debug)]
pub struct FaultPlan {
    config: std::sync::RwLock<FaultConfig>,
    requests: AtomicU64,
    injected: AtomicU64,
}

impl FaultPlan {
    pub fn new(config: FaultConfig) -> Self {
        FaultPlan {
            config: std::sync::RwLock::new(config),
            requests: AtomicU64::new(0),
            injected: AtomicU64::new(0),
        }
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
    fn none_injects_nothing() {
        let p = FaultPlan::new(FaultConfig::none());
        assert!((0..1000).all(|_| p.next().is_none()));
    }
}
