//! The pacer on its own (explicit instants), then driven by concurrent tasks against models of
//! the two services' limiters in tokio's paused time: deterministic, and counted, not timed.

use super::*;
use reqwest::header::HeaderValue;
use std::sync::Arc;

const EPOCH_MS: i64 = 1_700_000_000_000;

fn port_headers(limit: u64, period: u64, remaining: u64, reset_epoch_s: i64) -> HeaderMap {
    let mut headers = HeaderMap::new();
    for (name, value) in [
        ("x-ratelimit-limit", limit.to_string()),
        ("x-ratelimit-period", period.to_string()),
        ("x-ratelimit-remaining", remaining.to_string()),
        ("x-ratelimit-reset", reset_epoch_s.to_string()),
    ] {
        headers.insert(name, HeaderValue::from_str(&value).unwrap());
    }
    headers
}

fn millis(duration: Duration) -> u128 {
    duration.as_millis()
}

#[test]
fn off_never_waits() {
    let pacer = Pacer::new(Pacing::Off, MAX_WAIT);
    let now = Instant::now();
    pacer.observe(
        0,
        now,
        false,
        429,
        &port_headers(1, 60, 0, 0),
        now,
        EPOCH_MS,
    );
    for _ in 0..100 {
        assert_eq!(pacer.reserve(0, now), Duration::ZERO);
    }
}

#[test]
fn nothing_is_paced_before_the_first_answer() {
    let pacer = Pacer::new(Pacing::Budget, MAX_WAIT);
    let now = Instant::now();
    for _ in 0..10 {
        assert_eq!(pacer.reserve(0, now), Duration::ZERO);
    }
}

#[test]
fn a_budget_spaces_requests_at_the_advertised_rate_less_headroom() {
    let pacer = Pacer::new(Pacing::Budget, MAX_WAIT);
    let now = Instant::now();
    let headers = port_headers(50, 1, 49, EPOCH_MS / 1000 + 1);
    pacer.observe(0, now, false, 200, &headers, now, EPOCH_MS);
    let waits: Vec<u128> = (0..4).map(|_| millis(pacer.reserve(0, now))).collect();
    // 1 / (50 × 0.96) s = 20.83 ms apart.
    assert_eq!(waits, [0, 20, 41, 62]);
    // Every kind shares Port's one budget.
    assert_eq!(millis(pacer.reserve(3, now)), 83);
}

#[test]
fn a_schedule_left_idle_catches_up_by_two_requests_at_most() {
    let pacer = Pacer::new(Pacing::Budget, MAX_WAIT);
    let now = Instant::now();
    let headers = port_headers(50, 1, 49, EPOCH_MS / 1000 + 1);
    pacer.observe(0, now, false, 200, &headers, now, EPOCH_MS);
    assert_eq!(pacer.reserve(0, now), Duration::ZERO);
    // A tenth of a second later (the caller was busy elsewhere): the two slots it missed at
    // most go at once, then the spacing holds again.
    let later = now + Duration::from_millis(100);
    let waits: Vec<u128> = (0..4).map(|_| millis(pacer.reserve(0, later))).collect();
    assert_eq!(waits, [0, 0, 0, 20]);
}

#[test]
fn a_windows_first_answer_dates_its_end_and_a_pause_is_made_good() {
    let t0 = Instant::now();
    let later = t0 + Duration::from_millis(500);
    // Not the window's first answer: its end is only known to the second, so the rate rules:
    // 1 / (10 × 0.96) s apart.
    let pacer = Pacer::new(Pacing::Budget, MAX_WAIT);
    let headers = port_headers(10, 1, 5, EPOCH_MS / 1000 + 1);
    pacer.observe(0, t0, false, 200, &headers, t0, EPOCH_MS);
    assert_eq!(pacer.reserve(0, later), Duration::ZERO);
    assert_eq!(millis(pacer.reserve(0, later)), 104);
    // The window's first answer (remaining = limit - 1): it ends within a second of it, and
    // after a pause of half of it the 6 left after this one (9, less it, less 2 spare) are
    // spread over the 0.5 s left.
    let pacer = Pacer::new(Pacing::Budget, MAX_WAIT);
    let headers = port_headers(10, 1, 9, EPOCH_MS / 1000 + 2);
    pacer.observe(0, t0, false, 200, &headers, t0, EPOCH_MS);
    assert_eq!(pacer.reserve(0, later), Duration::ZERO);
    assert_eq!(millis(pacer.reserve(0, later)), 83);
    // The rest of them evenly up to the window's end (two spare never used), then the new
    // window at the advertised rate until its own first answer comes.
    let waits: Vec<u128> = (0..6).map(|_| millis(pacer.reserve(0, later))).collect();
    assert_eq!(waits, [166, 249, 333, 416, 500, 604]);
}

#[test]
fn a_spent_budget_waits_for_the_reset_and_no_longer_than_the_cap() {
    let now = Instant::now();
    let pacer = Pacer::new(Pacing::Budget, MAX_WAIT);
    let headers = port_headers(1000, 60, 0, EPOCH_MS / 1000 + 30);
    pacer.observe(0, now, false, 200, &headers, now, EPOCH_MS);
    assert_eq!(pacer.reserve(0, now).as_secs(), 30);

    // A reset an hour away (or a bogus header) is waited for 60 s at most...
    let pacer = Pacer::new(Pacing::Budget, Duration::from_secs(300));
    let headers = port_headers(1000, 60, 0, EPOCH_MS / 1000 + 3600);
    pacer.observe(0, now, false, 200, &headers, now, EPOCH_MS);
    assert_eq!(pacer.reserve(0, now), MAX_WAIT);
    // ...and no longer than the retry policy's cap when that is lower.
    let pacer = Pacer::new(Pacing::Budget, Duration::from_millis(20));
    pacer.observe(0, now, false, 200, &headers, now, EPOCH_MS);
    assert_eq!(pacer.reserve(0, now), Duration::from_millis(20));
}

#[test]
fn a_429_spends_the_budget_whatever_the_counter_says() {
    let now = Instant::now();
    let pacer = Pacer::new(Pacing::Budget, MAX_WAIT);
    let headers = port_headers(1000, 60, 500, EPOCH_MS / 1000 + 10);
    pacer.observe(0, now, false, 429, &headers, now, EPOCH_MS);
    assert_eq!(pacer.reserve(0, now).as_secs(), 10);
}

#[test]
fn a_long_windows_remaining_budget_is_spread_until_its_reset() {
    let now = Instant::now();
    let pacer = Pacer::new(Pacing::Budget, MAX_WAIT);
    // 10 left for 31 s (read as 30: the header's resolution) while the rate would allow 16/s:
    // the nine after this one every 3.3 s, instead of ten at once and a 30-second stall.
    let headers = port_headers(1000, 60, 10, EPOCH_MS / 1000 + 31);
    pacer.observe(0, now, false, 200, &headers, now, EPOCH_MS);
    assert_eq!(pacer.reserve(0, now), Duration::ZERO);
    assert_eq!(millis(pacer.reserve(0, now)), 3_333);
    // The lowest remaining of a window wins: an older answer's higher count changes nothing.
    let stale = port_headers(1000, 60, 900, EPOCH_MS / 1000 + 31);
    pacer.observe(0, now, false, 200, &stale, now, EPOCH_MS);
    assert_eq!(millis(pacer.reserve(0, now)), 6_666);
}

#[test]
fn an_adaptive_domain_is_unlimited_until_its_first_429_then_decreases_once_per_event() {
    let pacer = Pacer::new(Pacing::Adaptive, MAX_WAIT);
    let start = Instant::now();
    let ok = HeaderMap::new();
    // 19 accepted within the last second, then a 429.
    for i in 0..19 {
        let at = start + Duration::from_millis(50 * i);
        assert_eq!(pacer.reserve(0, at), Duration::ZERO);
        pacer.observe(0, at, false, 200, &ok, at, EPOCH_MS);
    }
    assert_eq!(pacer.rate(0), None);
    let now = start + Duration::from_millis(950);
    pacer.observe(0, now, false, 429, &ok, now, EPOCH_MS);
    // (19 accepted + the refused one) × 0.8.
    assert_eq!(pacer.rate(0), Some(16.0));
    // A 429 to a request sent before the decrease is the same event.
    pacer.observe(0, start, false, 429, &ok, now, EPOCH_MS);
    assert_eq!(pacer.rate(0), Some(16.0));
    // Other domains are not affected.
    assert_eq!(pacer.rate(2), None);
    assert_eq!(pacer.reserve(2, now), Duration::ZERO);
    assert_eq!(pacer.reserve(2, now), Duration::ZERO);
    // The domain is now spaced at 1/16 s.
    assert_eq!(pacer.reserve(0, now), Duration::ZERO);
    assert_eq!(millis(pacer.reserve(0, now)), 62);
    // Answers to requests sent at once do not raise it: the rate held nothing back.
    let later = now + Duration::from_secs(1);
    pacer.observe(0, later, false, 200, &ok, later, EPOCH_MS);
    assert_eq!(pacer.rate(0), Some(16.0));
    // Paced ones raise it by 2.5 % of 16/s per second's worth (16 answers ≈ one second).
    for _ in 0..16 {
        pacer.observe(0, later, true, 200, &ok, later, EPOCH_MS);
    }
    let rate = pacer.rate(0).unwrap();
    assert!((16.38..16.42).contains(&rate), "{rate}");
    // A later 429 lowers it again.
    pacer.observe(0, later, false, 429, &ok, later, EPOCH_MS);
    assert!(pacer.rate(0).unwrap() < 14.0, "{:?}", pacer.rate(0));
}

#[test]
fn a_lone_429_cannot_stop_a_domain() {
    let pacer = Pacer::new(Pacing::Adaptive, MAX_WAIT);
    let now = Instant::now();
    pacer.observe(1, now, false, 429, &HeaderMap::new(), now, EPOCH_MS);
    assert_eq!(pacer.rate(1), Some(MIN_RATE));
    let after = now + Duration::from_millis(1);
    pacer.observe(1, after, false, 429, &HeaderMap::new(), after, EPOCH_MS);
    assert_eq!(pacer.rate(1), Some(MIN_RATE));
}

#[test]
fn paths_and_kinds() {
    assert_eq!(path_of("https://h:1/v1/x?y=/z"), "/v1/x");
    assert_eq!(path_of("http://h"), "/");
    assert_eq!(path_of("/v2/alerts#f"), "/v2/alerts");
    let kinds = RequestKinds {
        names: &["a", "b"],
        classify: |_, path| if path == "/b" { 1 } else { 7 },
    };
    assert_eq!(kinds.of(&reqwest::Method::GET, "http://h/b"), 1);
    // An index past the names is clamped to the last.
    assert_eq!(kinds.of(&reqwest::Method::GET, "http://h/c"), 1);
}

/// Port's limiter as the simulator has it: `limit` per window of a second, the window starting
/// at the first request after the previous one ended; the reset in whole epoch seconds.
struct FixedWindow {
    limit: u64,
    start: Instant,
    used: u64,
    origin: Instant,
}

impl FixedWindow {
    fn answer(&mut self, now: Instant) -> (u16, HeaderMap) {
        if now.duration_since(self.start) >= Duration::from_secs(1) {
            self.start = now;
            self.used = 0;
        }
        let status = if self.used < self.limit {
            self.used += 1;
            200
        } else {
            429
        };
        let start_ms = EPOCH_MS + self.start.duration_since(self.origin).as_millis() as i64;
        let reset = (start_ms + 1000 + 999) / 1000;
        (
            status,
            port_headers(self.limit, 1, self.limit - self.used, reset),
        )
    }
}

/// Opsgenie's limiter as the simulator has it: a bucket of `per_second` refilled continuously.
struct Bucket {
    tokens: f64,
    per_second: f64,
    last: Instant,
}

impl Bucket {
    fn answer(&mut self, now: Instant) -> (u16, HeaderMap) {
        let elapsed = now.duration_since(self.last).as_secs_f64();
        self.last = now;
        self.tokens = (self.tokens + elapsed * self.per_second).min(self.per_second);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            (200, HeaderMap::new())
        } else {
            (429, HeaderMap::new())
        }
    }
}

/// `workers` tasks send until `goal` requests were accepted; a 429 is retried after a second,
/// as the retry layer does. Returns (accepted, refused, virtual seconds).
async fn drive<F>(pacing: Pacing, workers: usize, goal: u64, server: F) -> (u64, u64, f64)
where
    F: FnMut(Instant, i64) -> (u16, HeaderMap) + Send + 'static,
{
    let pacer = Arc::new(Pacer::new(pacing, MAX_WAIT));
    let server = Arc::new(std::sync::Mutex::new(server));
    let tally = Arc::new(std::sync::Mutex::new((0u64, 0u64)));
    let origin = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..workers {
        let (pacer, server, tally) = (pacer.clone(), server.clone(), tally.clone());
        tasks.push(tokio::spawn(async move {
            loop {
                if tally.lock().unwrap().0 >= goal {
                    return;
                }
                let wait = pacer.reserve(0, Instant::now());
                tokio::time::sleep(wait).await;
                let sent = Instant::now();
                // Half the round trip on the way there, half on the way back.
                tokio::time::sleep(Duration::from_millis(2)).await;
                let now_ms = EPOCH_MS + Instant::now().duration_since(origin).as_millis() as i64;
                let (status, headers) = (server.lock().unwrap())(Instant::now(), now_ms);
                tokio::time::sleep(Duration::from_millis(2)).await;
                let now_ms = EPOCH_MS + Instant::now().duration_since(origin).as_millis() as i64;
                let paced = !wait.is_zero();
                pacer.observe(0, sent, paced, status, &headers, Instant::now(), now_ms);
                let throttled = status == 429;
                {
                    let mut tally = tally.lock().unwrap();
                    if throttled {
                        tally.1 += 1;
                    } else {
                        tally.0 += 1;
                    }
                }
                if throttled {
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let (accepted, refused) = *tally.lock().unwrap();
    (accepted, refused, origin.elapsed().as_secs_f64())
}

#[tokio::test(start_paused = true)]
async fn budget_pacing_keeps_a_fixed_window_busy_without_429s() {
    let origin = Instant::now();
    let window = move || {
        let mut window = FixedWindow {
            limit: 50,
            start: origin,
            used: 0,
            origin,
        };
        move |now: Instant, _: i64| window.answer(now)
    };
    let (accepted, refused, seconds) = drive(Pacing::Budget, 10, 1_000, window()).await;
    // ≥ 90 % of 50/s and ≤ 1 % refused.
    assert!(
        accepted as f64 / seconds >= 45.0,
        "{accepted} in {seconds}s, {refused} refused"
    );
    assert!(refused * 100 <= accepted, "{refused} refused");
    let (accepted, refused, _) = drive(Pacing::Off, 10, 1_000, window()).await;
    // Unpaced, ten workers burst through each window: every one of them is refused in turn.
    assert!(
        refused * 10 > accepted,
        "unpaced: {refused} refused, {accepted} accepted"
    );
}

#[tokio::test(start_paused = true)]
async fn adaptive_pacing_finds_a_domains_rate() {
    let bucket = || {
        let mut bucket = Bucket {
            tokens: 20.0,
            per_second: 20.0,
            last: Instant::now(),
        };
        move |now: Instant, _: i64| bucket.answer(now)
    };
    let (accepted, refused, seconds) = drive(Pacing::Adaptive, 5, 2_000, bucket()).await;
    // ≥ 80 % of 20/s and ≤ 2 % refused.
    assert!(
        accepted as f64 / seconds >= 16.0,
        "{accepted} in {seconds}s"
    );
    assert!(refused * 50 <= accepted, "{refused} refused of {accepted}");
    let (accepted, refused, _) = drive(Pacing::Off, 5, 2_000, bucket()).await;
    assert!(
        refused * 10 > accepted,
        "unpaced: {refused} refused, {accepted}"
    );
}

#[test]
fn opsgenie_requests_are_counted_by_rate_limit_domain_as_the_simulator_limits_them() {
    use reqwest::Method;
    let domains = crate::opsgenie::DOMAINS;
    let name = |method: Method, url: &str| domains.names[domains.of(&method, url)];
    let base = "https://api.opsgenie.com";
    for (url, domain) in [
        ("/v2/alerts?limit=100&query=x", "search"),
        ("/v2/users", "search"),
        ("/v2/alerts/a1", "alert"),
        ("/v1/incidents?query=status%3Aopen", "incident"),
        ("/v1/incidents/i1/associated-alert-ids?limit=25", "incident"),
        ("/v2/schedules/s1/on-calls?flat=true", "schedule-oncalls"),
        ("/v2/schedules?expand=rotation", "configuration"),
        ("/v2/teams/t1", "configuration"),
        ("/v1/services", "configuration"),
    ] {
        assert_eq!(name(Method::GET, &format!("{base}{url}")), domain, "{url}");
    }
}

#[test]
fn port_calls_are_counted_by_kind() {
    use reqwest::Method;
    let calls = crate::port::CALLS;
    let name = |method: Method, url: &str| calls.names[calls.of(&method, url)];
    let base = "https://api.getport.io/v1";
    for (method, url, kind) in [
        (Method::POST, "/auth/access_token", "auth"),
        (
            Method::POST,
            "/entities/search?include=identifier",
            "search",
        ),
        (
            Method::POST,
            "/blueprints/entities/datasource-entities",
            "search",
        ),
        (Method::GET, "/blueprints/bp/entities/e1", "search"),
        (
            Method::POST,
            "/blueprints/bp/entities/bulk?upsert=true",
            "upsert",
        ),
        (
            Method::POST,
            "/blueprints/bp/entities?upsert=true",
            "upsert",
        ),
        (
            Method::POST,
            "/blueprints/bp/bulk/entities/delete",
            "delete",
        ),
        (Method::DELETE, "/blueprints/bp/entities/e1", "delete"),
        (Method::PATCH, "/integration/x/resync-state", "config"),
        (Method::GET, "/blueprints/bp", "config"),
    ] {
        assert_eq!(name(method, &format!("{base}{url}")), kind, "{url}");
    }
}
