//! Process metrics in Prometheus' text exposition format (version 0.0.4), written by hand: a
//! handful of counters, gauges and one histogram do not justify a metrics crate.

use crate::http::{HttpCounters, KindCounters};
use crate::sync::MappingUsed;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

/// Upper bounds (seconds) of the latency histogram buckets.
const LATENCY_BUCKETS: [f64; 16] = [
    0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
    1.0, 5.0, 30.0,
];

/// A source of HTTP client counters (Opsgenie or Port), read at scrape time.
pub type CounterSource = Arc<dyn Fn() -> HttpCounters + Send + Sync>;

/// Per-kind figures of the latest resync, as the engine reports them.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct KindFigures {
    pub fetched: u64,
    pub upserted: u64,
    /// Entities equal to Port's, not written.
    pub unchanged: u64,
    pub deleted: u64,
    pub failed: u64,
    pub duration: Duration,
}

/// Everything `/metrics` shows. Shared (`Arc`) between the server, the webhook workers and the
/// listeners; all updates are cheap.
#[derive(Default)]
pub struct Metrics {
    webhook_events: Mutex<BTreeMap<(String, &'static str), u64>>,
    webhook_latency: Mutex<Histogram>,
    webhook_response: Mutex<Histogram>,
    webhook_in_flight: AtomicU64,
    webhook_queue_capacity: AtomicU64,
    webhook_retries: AtomicU64,
    webhook_delete_checks: Mutex<BTreeMap<&'static str, u64>>,
    http_connections: AtomicU64,
    http_timeouts: Mutex<BTreeMap<&'static str, u64>>,
    resyncs: Mutex<BTreeMap<(&'static str, &'static str), u64>>,
    resync_running: AtomicBool,
    kinds: Mutex<BTreeMap<String, KindFigures>>,
    kind_totals: Mutex<BTreeMap<String, KindFigures>>,
    mapping: Mutex<Option<MappingUsed>>,
    ready: AtomicBool,
    clients: Mutex<Vec<(&'static str, CounterSource)>>,
}

#[derive(Default)]
struct Histogram {
    counts: [u64; LATENCY_BUCKETS.len()],
    count: u64,
    sum: f64,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // Metrics are plain numbers: a panic elsewhere cannot leave them meaningfully broken.
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

impl Metrics {
    pub fn new() -> Arc<Metrics> {
        Arc::new(Metrics::default())
    }

    /// Reports `source`'s counters under `api="<name>"`.
    pub fn add_client(&self, name: &'static str, source: CounterSource) {
        lock(&self.clients).push((name, source));
    }

    /// One webhook event finished with `outcome` (`upserted`, `deleted`, `ignored`, `failed`,
    /// `rejected`, …). `action` should already be bounded (see `webhook::action_label`).
    pub fn webhook_event(&self, action: &str, outcome: &'static str) {
        *lock(&self.webhook_events)
            .entry((action.to_owned(), outcome))
            .or_default() += 1;
    }

    /// Time from receiving an event to having applied it.
    pub fn webhook_latency(&self, elapsed: Duration) {
        lock(&self.webhook_latency).observe(elapsed);
    }

    /// Time the webhook handler took to answer (read, check, parse, queue).
    pub fn webhook_response(&self, elapsed: Duration) {
        lock(&self.webhook_response).observe(elapsed);
    }

    pub fn webhook_started(&self) {
        self.webhook_in_flight.fetch_add(1, Ordering::Relaxed);
    }

    pub fn webhook_finished(&self) {
        self.webhook_in_flight.fetch_sub(1, Ordering::Relaxed);
    }

    /// Events accepted but not yet applied.
    pub fn webhooks_in_flight(&self) -> u64 {
        self.webhook_in_flight.load(Ordering::Relaxed)
    }

    pub fn webhook_queue_capacity(&self, capacity: usize) {
        self.webhook_queue_capacity
            .store(capacity as u64, Ordering::Relaxed);
    }

    /// An event Opsgenie or Port could not answer for was kept to be tried again.
    pub fn webhook_retry(&self) {
        self.webhook_retries.fetch_add(1, Ordering::Relaxed);
    }

    /// What Opsgenie said when a `Delete` was checked: `gone` (404: deleted), `exists` (the
    /// alert was upserted instead) or `unanswered` (an error: the event is kept and retried).
    pub fn webhook_delete_check(&self, result: &'static str) {
        *lock(&self.webhook_delete_checks).entry(result).or_default() += 1;
    }

    pub fn http_connection_opened(&self) {
        self.http_connections.fetch_add(1, Ordering::Relaxed);
    }

    pub fn http_connection_closed(&self) {
        self.http_connections.fetch_sub(1, Ordering::Relaxed);
    }

    /// A client too slow to send its request's `header`s or `body`: the connection was closed.
    pub fn http_timeout(&self, phase: &'static str) {
        *lock(&self.http_timeouts).entry(phase).or_default() += 1;
    }

    pub fn resync_started(&self) {
        self.resync_running.store(true, Ordering::Relaxed);
    }

    /// A resync triggered by `trigger` (`start`, `polling`, `schedule`, `once`) ended.
    pub fn resync_finished(&self, trigger: &'static str, outcome: &'static str) {
        self.resync_running.store(false, Ordering::Relaxed);
        *lock(&self.resyncs).entry((trigger, outcome)).or_default() += 1;
    }

    /// Figures of one kind in the latest resync (also added to the running totals).
    pub fn kind_figures(&self, kind: &str, figures: KindFigures) {
        let mut totals = lock(&self.kind_totals);
        let total = totals.entry(kind.to_owned()).or_default();
        total.fetched += figures.fetched;
        total.upserted += figures.upserted;
        total.unchanged += figures.unchanged;
        total.deleted += figures.deleted;
        total.failed += figures.failed;
        total.duration += figures.duration;
        lock(&self.kinds).insert(kind.to_owned(), figures);
    }

    /// The mapping the last selection chose (at start, before each resync, and when polling
    /// sees Port's mapping change).
    pub fn mapping(&self, used: MappingUsed) {
        *lock(&self.mapping) = Some(used);
    }

    pub fn set_ready(&self, ready: bool) {
        self.ready.store(ready, Ordering::Relaxed);
    }

    pub fn is_ready(&self) -> bool {
        self.ready.load(Ordering::Relaxed)
    }

    /// The exposition text.
    pub fn render(&self) -> String {
        let mut out = String::with_capacity(4096);
        self.render_webhooks(&mut out);
        self.render_resyncs(&mut out);
        self.render_clients(&mut out);

        self.render_mapping(&mut out);
        header(
            &mut out,
            "opsgenie_port_ready",
            "gauge",
            "1 once the configuration is loaded and Port answered.",
        );
        let _ = writeln!(out, "opsgenie_port_ready {}", u8::from(self.is_ready()));
        out
    }

    fn render_mapping(&self, out: &mut String) {
        let mapping = lock(&self.mapping);
        header(
            out,
            "opsgenie_port_mapping_selected",
            "gauge",
            "The mapping in use: its back end, where it came from and why it was selected (1 for the current one).",
        );
        if let Some(used) = mapping.as_ref() {
            let _ = writeln!(
                out,
                "opsgenie_port_mapping_selected{{backend=\"{}\",origin=\"{}\",reason=\"{}\"}} 1",
                used.backend, used.origin, used.reason
            );
        }
        header(
            out,
            "opsgenie_port_mapping_drift",
            "gauge",
            "1 when the mapping Port holds differs from the one built into the binary (-1: not checked yet).",
        );
        let drift = match mapping.as_ref() {
            None => -1,
            Some(used) => i64::from(used.differing > 0),
        };
        let _ = writeln!(out, "opsgenie_port_mapping_drift {drift}");
        header(
            out,
            "opsgenie_port_mapping_drift_resources",
            "gauge",
            "Resources (or top-level keys) of Port's mapping that differ from the built one.",
        );
        let differing = mapping.as_ref().map_or(0, |used| used.differing);
        let _ = writeln!(out, "opsgenie_port_mapping_drift_resources {differing}");
        header(
            out,
            "opsgenie_port_mapping_blocked_resources",
            "gauge",
            "Resources of the mapping in use that do not run: their mapping has errors (see the log).",
        );
        let blocked = mapping.as_ref().map_or(0, |used| used.blocked);
        let _ = writeln!(out, "opsgenie_port_mapping_blocked_resources {blocked}");
    }

    fn render_webhooks(&self, out: &mut String) {
        header(
            out,
            "opsgenie_port_webhook_events_total",
            "counter",
            "Webhook events by action and outcome.",
        );
        for ((action, outcome), count) in lock(&self.webhook_events).iter() {
            let _ = writeln!(
                out,
                "opsgenie_port_webhook_events_total{{action=\"{}\",outcome=\"{outcome}\"}} {count}",
                escape_label(action)
            );
        }
        header(
            out,
            "opsgenie_port_webhook_in_flight",
            "gauge",
            "Webhook events accepted and not yet applied.",
        );
        let _ = writeln!(
            out,
            "opsgenie_port_webhook_in_flight {}",
            self.webhooks_in_flight()
        );
        header(
            out,
            "opsgenie_port_webhook_queue_capacity",
            "gauge",
            "Accepted, unapplied webhook events the queue holds at most (then 503).",
        );
        let _ = writeln!(
            out,
            "opsgenie_port_webhook_queue_capacity {}",
            self.webhook_queue_capacity.load(Ordering::Relaxed)
        );
        header(
            out,
            "opsgenie_port_webhook_retries_total",
            "counter",
            "Webhook events kept and tried again because Opsgenie or Port could not answer.",
        );
        let _ = writeln!(
            out,
            "opsgenie_port_webhook_retries_total {}",
            self.webhook_retries.load(Ordering::Relaxed)
        );
        header(
            out,
            "opsgenie_port_webhook_delete_checks_total",
            "counter",
            "Delete events checked with Opsgenie: gone (404, deleted), exists (upserted instead), unanswered (retried).",
        );
        for (result, count) in lock(&self.webhook_delete_checks).iter() {
            let _ = writeln!(
                out,
                "opsgenie_port_webhook_delete_checks_total{{result=\"{result}\"}} {count}"
            );
        }
        header(
            out,
            "opsgenie_port_http_connections",
            "gauge",
            "Open HTTP connections.",
        );
        let _ = writeln!(
            out,
            "opsgenie_port_http_connections {}",
            self.http_connections.load(Ordering::Relaxed)
        );
        header(
            out,
            "opsgenie_port_http_timeouts_total",
            "counter",
            "Connections closed because the client was too slow to send its request's headers or body.",
        );
        for (phase, count) in lock(&self.http_timeouts).iter() {
            let _ = writeln!(
                out,
                "opsgenie_port_http_timeouts_total{{phase=\"{phase}\"}} {count}"
            );
        }
        lock(&self.webhook_latency).render(
            out,
            "opsgenie_port_webhook_duration_seconds",
            "Time from receiving a webhook event to having applied it in Port.",
        );
        lock(&self.webhook_response).render(
            out,
            "opsgenie_port_webhook_response_seconds",
            "Time the webhook endpoint took to answer (read, check, parse, queue).",
        );
    }

    fn render_resyncs(&self, out: &mut String) {
        header(
            out,
            "opsgenie_port_resyncs_total",
            "counter",
            "Full resyncs by trigger and outcome.",
        );
        for ((trigger, outcome), count) in lock(&self.resyncs).iter() {
            let _ = writeln!(
                out,
                "opsgenie_port_resyncs_total{{trigger=\"{trigger}\",outcome=\"{outcome}\"}} {count}"
            );
        }
        header(
            out,
            "opsgenie_port_resync_running",
            "gauge",
            "1 while a full resync runs.",
        );
        let _ = writeln!(
            out,
            "opsgenie_port_resync_running {}",
            u8::from(self.resync_running.load(Ordering::Relaxed))
        );

        let kinds = lock(&self.kinds);
        let totals = lock(&self.kind_totals);
        type Pick = fn(&KindFigures) -> f64;
        let series: [(&str, &str, &str, Pick); 6] = [
            (
                "opsgenie_port_kind_fetched_total",
                "counter",
                "Raw items fetched from Opsgenie per kind, over all resyncs.",
                |f| f.fetched as f64,
            ),
            (
                "opsgenie_port_kind_upserted_total",
                "counter",
                "Entities upserted per kind, over all resyncs.",
                |f| f.upserted as f64,
            ),
            (
                "opsgenie_port_kind_unchanged_total",
                "counter",
                "Entities equal to what Port holds (not written) per kind, over all resyncs.",
                |f| f.unchanged as f64,
            ),
            (
                "opsgenie_port_kind_deleted_total",
                "counter",
                "Stale entities deleted per kind, over all resyncs.",
                |f| f.deleted as f64,
            ),
            (
                "opsgenie_port_kind_failed_total",
                "counter",
                "Items that failed to map or upsert per kind, over all resyncs.",
                |f| f.failed as f64,
            ),
            (
                "opsgenie_port_kind_duration_seconds_total",
                "counter",
                "Time spent syncing each kind, over all resyncs.",
                |f| f.duration.as_secs_f64(),
            ),
        ];
        for (name, kind_type, help, pick) in series {
            header(out, name, kind_type, help);
            for (kind, figures) in totals.iter() {
                let _ = writeln!(
                    out,
                    "{name}{{kind=\"{}\"}} {}",
                    escape_label(kind),
                    pick(figures)
                );
            }
        }
        header(
            out,
            "opsgenie_port_kind_last_duration_seconds",
            "gauge",
            "Duration of each kind in the latest resync.",
        );
        for (kind, figures) in kinds.iter() {
            let _ = writeln!(
                out,
                "opsgenie_port_kind_last_duration_seconds{{kind=\"{}\"}} {}",
                escape_label(kind),
                figures.duration.as_secs_f64()
            );
        }
    }

    fn render_clients(&self, out: &mut String) {
        let snapshot: Vec<(&'static str, HttpCounters)> = lock(&self.clients)
            .iter()
            .map(|(name, source)| (*name, source()))
            .collect();
        type Pick = fn(&HttpCounters) -> f64;
        let series: [(&str, &str, Pick); 7] = [
            (
                "opsgenie_port_api_requests_total",
                "HTTP requests sent per API, retries included.",
                |c| c.requests as f64,
            ),
            (
                "opsgenie_port_api_retries_total",
                "Retried HTTP requests per API.",
                |c| c.retries as f64,
            ),
            (
                "opsgenie_port_api_failures_total",
                "HTTP requests that failed after all retries per API.",
                |c| c.failed as f64,
            ),
            (
                "opsgenie_port_api_rate_limit_waits_total",
                "Waits caused by HTTP 429 per API.",
                |c| c.rate_limit_waits as f64,
            ),
            (
                "opsgenie_port_api_rate_limit_wait_seconds_total",
                "Time slept because of HTTP 429 per API.",
                |c| c.rate_limit_wait.as_secs_f64(),
            ),
            (
                "opsgenie_port_api_throttled_total",
                "HTTP 429 answers received per API.",
                |c| c.throttled as f64,
            ),
            (
                "opsgenie_port_api_paced_wait_seconds_total",
                "Time requests were held back by pacing (rate-limit headers, adapted rates) per API.",
                |c| c.paced_wait.as_secs_f64(),
            ),
        ];
        for (name, help, pick) in series {
            header(out, name, "counter", help);
            for (client, counters) in &snapshot {
                let _ = writeln!(out, "{name}{{api=\"{client}\"}} {}", pick(counters));
            }
        }
        // Per kind of request: Opsgenie's rate-limit domains, Port's kinds of call.
        type PickKind = fn(&KindCounters) -> u64;
        let per_kind: [(&str, &str, PickKind); 2] = [
            (
                "opsgenie_port_api_kind_requests_total",
                "HTTP requests per API and kind of request (Opsgenie: rate-limit domain).",
                |k| k.requests,
            ),
            (
                "opsgenie_port_api_kind_throttled_total",
                "HTTP 429 answers per API and kind of request.",
                |k| k.throttled,
            ),
        ];
        for (name, help, pick) in per_kind {
            header(out, name, "counter", help);
            for (client, counters) in &snapshot {
                for kind in counters.named_kinds() {
                    let _ = writeln!(
                        out,
                        "{name}{{api=\"{client}\",kind=\"{}\"}} {}",
                        escape_label(kind.name),
                        pick(kind)
                    );
                }
            }
        }
    }
}

impl Histogram {
    fn observe(&mut self, elapsed: Duration) {
        let seconds = elapsed.as_secs_f64();
        for (bound, count) in LATENCY_BUCKETS.iter().zip(self.counts.iter_mut()) {
            if seconds <= *bound {
                *count += 1;
            }
        }
        self.count += 1;
        self.sum += seconds;
    }

    fn render(&self, out: &mut String, name: &str, help: &str) {
        header(out, name, "histogram", help);
        for (bound, count) in LATENCY_BUCKETS.iter().zip(self.counts.iter()) {
            let _ = writeln!(out, "{name}_bucket{{le=\"{bound}\"}} {count}");
        }
        let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {}", self.count);
        let _ = writeln!(out, "{name}_sum {}", self.sum);
        let _ = writeln!(out, "{name}_count {}", self.count);
    }
}

fn header(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

/// Label values escape `\`, `"` and newlines.
fn escape_label(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line_value(text: &str, prefix: &str) -> Option<f64> {
        text.lines()
            .find(|line| line.starts_with(prefix))
            .and_then(|line| line.rsplit(' ').next())
            .and_then(|value| value.parse().ok())
    }

    #[test]
    fn counts_webhook_events_by_action_and_outcome() {
        let metrics = Metrics::new();
        metrics.webhook_event("Create", "upserted");
        metrics.webhook_event("Create", "upserted");
        metrics.webhook_event("Delete", "deleted");
        let text = metrics.render();
        assert_eq!(
            line_value(
                &text,
                "opsgenie_port_webhook_events_total{action=\"Create\",outcome=\"upserted\"}"
            ),
            Some(2.0)
        );
        assert_eq!(
            line_value(
                &text,
                "opsgenie_port_webhook_events_total{action=\"Delete\",outcome=\"deleted\"}"
            ),
            Some(1.0)
        );
    }

    #[test]
    fn per_kind_totals_add_up_over_resyncs() {
        let metrics = Metrics::new();
        for _ in 0..2 {
            metrics.kind_figures(
                "alert",
                KindFigures {
                    fetched: 10,
                    upserted: 3,
                    unchanged: 7,
                    ..KindFigures::default()
                },
            );
        }
        let text = metrics.render();
        let total = |name: &str| line_value(&text, &format!("{name}{{kind=\"alert\"}}"));
        assert_eq!(total("opsgenie_port_kind_fetched_total"), Some(20.0));
        assert_eq!(total("opsgenie_port_kind_upserted_total"), Some(6.0));
        assert_eq!(total("opsgenie_port_kind_unchanged_total"), Some(14.0));
    }

    #[test]
    fn histogram_buckets_are_cumulative() {
        let metrics = Metrics::new();
        metrics.webhook_latency(Duration::from_micros(300));
        metrics.webhook_latency(Duration::from_millis(3));
        metrics.webhook_latency(Duration::from_secs(10));
        metrics.webhook_response(Duration::from_secs(100));
        let text = metrics.render();
        let bucket = |le: &str| {
            line_value(
                &text,
                &format!("opsgenie_port_webhook_duration_seconds_bucket{{le=\"{le}\"}}"),
            )
        };
        assert_eq!(bucket("0.0005"), Some(1.0));
        assert_eq!(bucket("0.005"), Some(2.0));
        assert_eq!(bucket("5"), Some(2.0));
        assert_eq!(bucket("30"), Some(3.0));
        assert_eq!(bucket("+Inf"), Some(3.0));
    }

    #[test]
    fn mapping_gauges_start_unknown_then_follow_selections() {
        let metrics = Metrics::new();
        let text = metrics.render();
        assert_eq!(
            line_value(&text, "opsgenie_port_mapping_drift "),
            Some(-1.0)
        );
        assert!(!text.contains("opsgenie_port_mapping_selected{"));
        metrics.mapping(MappingUsed {
            backend: "interpreted",
            origin: "port",
            reason: "differs",
            headline: String::new(),
            blocked: 1,
            differing: 2,
        });
        let text = metrics.render();
        assert_eq!(line_value(&text, "opsgenie_port_mapping_drift "), Some(1.0));
        assert_eq!(
            line_value(&text, "opsgenie_port_mapping_drift_resources "),
            Some(2.0)
        );
        assert_eq!(
            line_value(&text, "opsgenie_port_mapping_blocked_resources "),
            Some(1.0)
        );
        assert_eq!(
            line_value(
                &text,
                "opsgenie_port_mapping_selected{backend=\"interpreted\",origin=\"port\",reason=\"differs\"} "
            ),
            Some(1.0)
        );
        metrics.mapping(MappingUsed {
            backend: "compiled",
            origin: "compiled",
            reason: "same",
            ..MappingUsed::default()
        });
        let text = metrics.render();
        assert_eq!(line_value(&text, "opsgenie_port_mapping_drift "), Some(0.0));
        assert!(!text.contains("reason=\"differs\""));
    }

    #[test]
    fn client_counters_are_read_at_scrape_time() {
        let metrics = Metrics::new();
        let requests = Arc::new(AtomicU64::new(1));
        let source = requests.clone();
        metrics.add_client(
            "port",
            Arc::new(move || HttpCounters {
                requests: source.load(Ordering::Relaxed),
                ..HttpCounters::default()
            }),
        );
        requests.store(7, Ordering::Relaxed);
        assert_eq!(
            line_value(
                &metrics.render(),
                "opsgenie_port_api_requests_total{api=\"port\"}"
            ),
            Some(7.0)
        );
    }

    #[test]
    fn throttling_and_pacing_are_shown_per_api_and_kind() {
        let metrics = Metrics::new();
        let mut counters = HttpCounters {
            requests: 12,
            throttled: 3,
            paced_wait: Duration::from_millis(1500),
            ..HttpCounters::default()
        };
        counters.kinds[0] = KindCounters {
            name: "search",
            requests: 10,
            throttled: 3,
        };
        counters.kinds[1] = KindCounters {
            name: "alert",
            requests: 2,
            throttled: 0,
        };
        metrics.add_client("opsgenie", Arc::new(move || counters));
        let text = metrics.render();
        let value = |series: &str| line_value(&text, series);
        assert_eq!(
            value("opsgenie_port_api_throttled_total{api=\"opsgenie\"}"),
            Some(3.0)
        );
        assert_eq!(
            value("opsgenie_port_api_paced_wait_seconds_total{api=\"opsgenie\"}"),
            Some(1.5)
        );
        assert_eq!(
            value("opsgenie_port_api_kind_requests_total{api=\"opsgenie\",kind=\"search\"}"),
            Some(10.0)
        );
        assert_eq!(
            value("opsgenie_port_api_kind_throttled_total{api=\"opsgenie\",kind=\"search\"}"),
            Some(3.0)
        );
        assert_eq!(
            value("opsgenie_port_api_kind_throttled_total{api=\"opsgenie\",kind=\"alert\"}"),
            Some(0.0)
        );
        // Slots without a name are not series.
        assert!(!text.contains("kind=\"\""), "{text}");
    }

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(escape_label("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }
}
