//! Pacing: spacing requests by the services' own rate-limit signals so a client neither bursts
//! into 429s nor idles. It runs in front of the retry layer (which still handles whatever 429
//! gets through) and shares its per-kind counters with metrics and the resync summary.
//!
//! - [`Pacing::Budget`] (Port): every answer carries `x-ratelimit-limit/remaining/reset` and
//!   `x-ratelimit-period`. Requests are spaced at `limit / period` (less a small headroom for
//!   network jitter), the remaining budget is spread over the time to the reset when that is
//!   slower (another client of the same organisation spends it too), and nothing is sent while
//!   the budget is known to be spent. `x-ratelimit-reset` has whole-second resolution; when a
//!   window is seen to start (see [`SPARE`]) its end is known to within a round trip, and the
//!   remaining budget is spread over exactly the time left, so a pause is made good.
//! - [`Pacing::Adaptive`] (Opsgenie): answers say nothing about the budget, only a 429 per
//!   request domain. Each request kind (domain) has its own rate: unlimited until its first 429,
//!   then the rate of accepted requests seen in the last second times [`DECREASE`]; accepted
//!   answers to requests that had to wait for their slot raise it by [`INCREASE`] of the rate
//!   set at the last decrease per second (additive increase, multiplicative decrease, at most one
//!   decrease per round of requests sent after the previous one). A rate that did not hold
//!   anything back is not raised: it was not tested, and would burst once it mattered.
//!
//! Hand-written rather than `governor`: the rates here change on every answer, while a
//! `governor` limiter's quota is fixed when it is built (re-building it on each change would
//! drop its state); the scheduling itself is a dozen lines of GCRA (a "next free slot" instant,
//! allowed to fall [`BURST`] slots behind). Every wait is bounded by the retry policy's longest
//! server-asked wait and by [`MAX_WAIT`] (60 s), whatever a header says.

use reqwest::header::HeaderMap;
use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::Duration;
use tokio::time::Instant;

use super::retry::parse_wait;

/// No pacing wait is longer than this, whatever the headers say.
pub const MAX_WAIT: Duration = Duration::from_secs(60);
/// Share of Port's advertised rate used: the spacing survives a few milliseconds of jitter
/// between our clock and the server's window.
pub const HEADROOM: f64 = 0.96;
/// Factor applied to a domain's rate on a 429.
pub const DECREASE: f64 = 0.8;
/// Share of the rate set at the last decrease added per second of accepted paced answers: the
/// rate climbs back from [`DECREASE`] in about 8 s whatever its scale, one 429 per climb.
pub const INCREASE: f64 = 0.025;
/// No adaptive rate goes below this (requests per second).
pub const MIN_RATE: f64 = 1.0;
/// Slots a paced schedule may fall behind and catch up at once: a caller that paused (the
/// engine reads a page from Opsgenie between Port writes) gets that time back, up to two
/// requests' worth, instead of losing it. With [`HEADROOM`] a 50-per-second window still gets
/// at most 48 + 2.
pub const BURST: u32 = 2;
/// Requests kept in reserve when a window's end is known to within a round trip: the answer
/// whose `remaining` is `limit - 1` was the window's first request, so the window ends at most
/// `period` after that answer came. The remaining budget is then spread over exactly that time
/// (catching up any pause instead of losing it), less this many for answers still on the way.
pub const SPARE: u64 = 2;
/// Recent slots remembered to correct answers for requests they do not count yet.
const RESERVED_KEPT: usize = 1024;
/// Kinds a client can tell apart (see [`RequestKinds`]).
pub const MAX_KINDS: usize = 8;

/// How a client paces its requests.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Pacing {
    /// Only the retry layer's waits (after a 429).
    #[default]
    Off,
    /// One budget for the whole client, from `x-ratelimit-*` headers (Port).
    Budget,
    /// A rate per request kind, adapted on 429s (Opsgenie's request domains).
    Adaptive,
}

/// The kinds of request a client sends, for per-kind counters and per-kind pacing.
#[derive(Clone, Copy, Debug)]
pub struct RequestKinds {
    /// At most [`MAX_KINDS`] names; `classify` returns an index into them.
    pub names: &'static [&'static str],
    /// From the method and the URL's path.
    pub classify: fn(&reqwest::Method, &str) -> usize,
}

impl RequestKinds {
    /// Every request is of one kind, `other`.
    pub const SINGLE: RequestKinds = RequestKinds {
        names: &["other"],
        classify: |_, _| 0,
    };

    /// The kind index of a request to `url` (clamped to the known names).
    pub fn of(&self, method: &reqwest::Method, url: &str) -> usize {
        let last = self.names.len().clamp(1, MAX_KINDS) - 1;
        (self.classify)(method, path_of(url)).min(last)
    }
}

/// The path of an absolute URL (`/v1/x` of `https://host/v1/x?y`), without parsing it again.
pub fn path_of(url: &str) -> &str {
    let after_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
    let path = after_scheme
        .find('/')
        .map_or("/", |start| &after_scheme[start..]);
    path.split(['?', '#']).next().unwrap_or(path)
}

/// The budget Port reported last.
#[derive(Debug)]
struct Budget {
    /// Requests per second the limit allows (`limit / period`).
    rate: Option<f64>,
    /// Remaining requests of the window (lowest of the answers for it); `None` once the reset
    /// has passed and no answer of the new window has come.
    remaining: Option<u64>,
    /// Sends since `remaining` was seen.
    sent_since: u64,
    /// When the window resets (bounded by the cap): the header's instant, or sooner when the
    /// window was seen to start (see [`SPARE`]).
    reset: Instant,
    /// Whether `reset` is this client's own estimate (window start + period), not the header's.
    precise: bool,
    /// The reset header's value, to tell answers of the same window apart.
    reset_header: String,
}

/// One request kind's adaptive rate.
#[derive(Debug, Default)]
struct Domain {
    /// `None` until the first 429: unlimited.
    rate: Option<f64>,
    /// Requests per second added per second of paced, accepted answers.
    step: f64,
    /// When the rate was last lowered: a 429 to a request sent before it is the same event.
    decreased: Option<Instant>,
    /// Instants of recent accepted answers (the last second's, bounded).
    accepted: VecDeque<Instant>,
}

#[derive(Debug)]
struct State {
    /// Earliest instant the next request of each kind may be sent (GCRA's theoretical arrival).
    next_slot: [Option<Instant>; MAX_KINDS],
    /// How far behind `now` a schedule may fall ([`BURST`] of its last spacing).
    credit: [Duration; MAX_KINDS],
    budget: Option<Budget>,
    /// Slots handed out lately (Port): an answer does not count those sent after its request,
    /// or still waiting, so they are taken off its `remaining`.
    reserved: VecDeque<Instant>,
    domains: [Domain; MAX_KINDS],
}

/// A client's pacer; one per [`super::HttpClient`], shared by its clones.
#[derive(Debug)]
pub struct Pacer {
    mode: Pacing,
    /// No single wait is longer (at most [`MAX_WAIT`]).
    cap: Duration,
    state: Mutex<State>,
}

impl Pacer {
    /// `cap` bounds every wait (and is itself bounded by [`MAX_WAIT`]): the retry policy's
    /// longest server-asked wait, so pacing never waits longer than a retry would.
    pub fn new(mode: Pacing, cap: Duration) -> Self {
        Pacer {
            mode,
            cap: cap.min(MAX_WAIT),
            state: Mutex::new(State {
                next_slot: [None; MAX_KINDS],
                credit: [Duration::ZERO; MAX_KINDS],
                budget: None,
                reserved: VecDeque::new(),
                domains: Default::default(),
            }),
        }
    }

    pub fn mode(&self) -> Pacing {
        self.mode
    }

    /// Reserves a send slot for a request of `kind` and returns how long to wait for it
    /// (zero when it may go now). Slots are handed out in order, so concurrent callers queue.
    pub fn reserve(&self, kind: usize, now: Instant) -> Duration {
        if self.mode == Pacing::Off {
            return Duration::ZERO;
        }
        let kind = kind.min(MAX_KINDS - 1);
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        // Port's budget is the organisation's, not per kind: one schedule for all.
        let slot_index = if self.mode == Pacing::Budget { 0 } else { kind };
        let earliest = now.checked_sub(state.credit[slot_index]).unwrap_or(now);
        let mut slot = state.next_slot[slot_index].map_or(now, |slot| slot.max(earliest));
        let interval = match self.mode {
            Pacing::Budget => state.budget.as_mut().and_then(|budget| {
                // A spent budget: nothing goes before the reset.
                if budget.spent() && slot < budget.reset {
                    slot = budget.reset;
                }
                budget.sent_since += 1;
                budget.interval(slot)
            }),
            Pacing::Adaptive => state.domains[kind].rate.map(|rate| 1.0 / rate),
            Pacing::Off => None,
        };
        let Some(interval) = interval else {
            state.next_slot[slot_index] = None;
            state.credit[slot_index] = Duration::ZERO;
            return Duration::ZERO;
        };
        let interval = Duration::try_from_secs_f64(interval.max(0.0))
            .unwrap_or(self.cap)
            .min(self.cap);
        let slot = slot.min(now + self.cap);
        if self.mode == Pacing::Budget {
            if state.reserved.len() >= RESERVED_KEPT {
                state.reserved.pop_front();
            }
            state.reserved.push_back(slot);
        }
        state.next_slot[slot_index] = Some(slot + interval);
        state.credit[slot_index] = interval * BURST;
        slot.saturating_duration_since(now)
    }

    /// Learns from an answer to a request of `kind` sent at `sent` (after a pacing wait when
    /// `paced`): Port's budget headers, or Opsgenie's 429s and accepted answers. `now_ms` is the
    /// wall clock, for epoch resets.
    #[allow(clippy::too_many_arguments)]
    pub fn observe(
        &self,
        kind: usize,
        sent: Instant,
        paced: bool,
        status: u16,
        headers: &HeaderMap,
        now: Instant,
        now_ms: i64,
    ) {
        let kind = kind.min(MAX_KINDS - 1);
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        match self.mode {
            Pacing::Off => {}
            Pacing::Budget => {
                let pending = state.reserved.iter().filter(|slot| **slot > sent).count() as u64;
                let answer = (status, headers, pending);
                observe_budget(&mut state.budget, answer, now, self.cap, now_ms);
            }
            Pacing::Adaptive => state.domains[kind].observe(sent, paced, status, now),
        }
    }

    /// The adaptive rate of `kind` (requests per second; `None`: unlimited), for tests and logs.
    pub fn rate(&self, kind: usize) -> Option<f64> {
        let state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        match self.mode {
            Pacing::Budget => state.budget.as_ref().and_then(|b| b.rate),
            _ => state.domains[kind.min(MAX_KINDS - 1)].rate,
        }
    }
}

impl Budget {
    /// Requests this client may still send in the window, by its own count.
    fn left(&self) -> Option<u64> {
        self.remaining
            .map(|remaining| remaining.saturating_sub(self.sent_since))
    }

    fn spent(&self) -> bool {
        let spare = if self.precise { SPARE } else { 0 };
        self.left().is_some_and(|left| left <= spare)
    }

    /// Seconds from a send at `at` to the next: the advertised rate, slower when the remaining
    /// budget would not last until the reset. The reset is read one second early (its
    /// resolution), so a short window is paced by its rate alone instead of idling on a
    /// rounded-up reset.
    fn interval(&mut self, at: Instant) -> Option<f64> {
        if at >= self.reset {
            // A new window: until an answer says otherwise, its budget is whole again.
            self.sent_since = 0;
            self.remaining = None;
            self.precise = false;
        }
        let by_rate = self.rate.map(|rate| 1.0 / (rate * HEADROOM));
        if self.precise {
            let to_reset = self.reset.saturating_duration_since(at).as_secs_f64();
            let spread = self
                .left()
                .map(|left| left.saturating_sub(SPARE).max(1))
                .map(|left| to_reset / left as f64);
            // Catching up goes at most twice the advertised rate: a pause is made good, not
            // burst away.
            return match (spread, by_rate) {
                (Some(spread), Some(by_rate)) => Some(spread.max(by_rate / 2.0)),
                (spread, by_rate) => spread.or(by_rate),
            };
        }
        let to_reset = self
            .reset
            .saturating_duration_since(at)
            .saturating_sub(Duration::from_secs(1))
            .as_secs_f64();
        // No spacing needed while the remaining budget outlasts the window at full rate.
        let by_budget = self
            .left()
            .filter(|left| *left > 0 && to_reset > 0.0)
            .map(|left| to_reset / left as f64)
            .filter(|spread| by_rate.is_none_or(|by_rate| *spread > by_rate));
        match (by_rate, by_budget) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        }
    }
}

/// `answer`: status, headers, and the requests handed a slot after this one was sent.
fn observe_budget(
    budget: &mut Option<Budget>,
    (status, headers, pending): (u16, &HeaderMap, u64),
    now: Instant,
    cap: Duration,
    now_ms: i64,
) {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let number = |name: &str| header(name).and_then(|v| v.trim().parse::<u64>().ok());
    let (Some(remaining), Some(reset_header)) =
        (number("x-ratelimit-remaining"), header("x-ratelimit-reset"))
    else {
        return;
    };
    let Some(to_reset) = parse_wait(reset_header, now_ms) else {
        return;
    };
    let (limit, period) = (number("x-ratelimit-limit"), number("x-ratelimit-period"));
    let rate = match (limit, period) {
        (Some(limit), Some(period)) if limit > 0 && period > 0 => {
            Some(limit as f64 / period as f64)
        }
        _ => None,
    };
    // A 429 means the window is spent, whatever the counter said.
    let remaining = if status == 429 { 0 } else { remaining };
    let mut reset = now + to_reset.min(cap);
    // The first request of a window: it ends `period` after this answer at the latest.
    let started = status != 429 && limit.is_some_and(|limit| limit > 0 && remaining + 1 == limit);
    let own_end = period
        .filter(|_| started)
        .map(|period| now + Duration::from_secs(period).min(cap))
        .filter(|end| *end < reset);
    if let Some(end) = own_end {
        reset = end;
    }
    let precise = own_end.is_some();
    let left = remaining.saturating_sub(pending);
    match budget {
        // Answers of one window arrive out of order: the lowest count is the latest.
        Some(current) if current.reset_header == reset_header => {
            current.rate = rate.or(current.rate);
            if current
                .left()
                .is_none_or(|current_left| left < current_left)
            {
                (current.remaining, current.sent_since) = (Some(remaining), pending);
            }
            if !current.precise && precise {
                (current.reset, current.precise) = (reset, true);
            }
        }
        _ => {
            *budget = Some(Budget {
                rate: rate.or(budget.as_ref().and_then(|b| b.rate)),
                remaining: Some(remaining),
                sent_since: pending,
                reset,
                precise,
                reset_header: reset_header.to_owned(),
            });
        }
    }
}

impl Domain {
    fn observe(&mut self, sent: Instant, paced: bool, status: u16, now: Instant) {
        let second_ago = now.checked_sub(Duration::from_secs(1));
        while let (Some(first), Some(second_ago)) = (self.accepted.front(), second_ago) {
            if *first >= second_ago {
                break;
            }
            self.accepted.pop_front();
        }
        if status == 429 {
            let same_event = self.decreased.is_some_and(|at| sent < at);
            if !same_event {
                // What got through in the last second (and this one) is what the domain takes.
                let seen = self.accepted.len() as f64 + 1.0;
                let current = self.rate.map_or(seen, |rate| rate.min(seen));
                let rate = (current * DECREASE).max(MIN_RATE);
                self.rate = Some(rate);
                self.step = rate * INCREASE;
                self.decreased = Some(now);
            }
            return;
        }
        if (200..300).contains(&status) {
            if self.accepted.len() < 4096 {
                self.accepted.push_back(now);
            }
            if let Some(rate) = self.rate.as_mut().filter(|_| paced) {
                // One answer is 1/rate seconds' worth of requests.
                *rate += self.step / *rate;
            }
        }
    }
}

#[cfg(test)]
mod tests;
