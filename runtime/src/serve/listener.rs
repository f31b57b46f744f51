//! What triggers full resyncs: the event listener (`ONCE`, `POLLING`, `WEBHOOKS_ONLY`; `KAFKA`
//! is refused) plus `OCEAN__SCHEDULED_RESYNC_INTERVAL`, and the [`ResyncControl`] that runs them
//! one at a time — a newer resync cancels the one in progress — and reports each run's state to
//! Port (`running` → `completed` / `failed` / `aborted`).

use super::apply::BoxFuture;
use super::log;
use super::metrics::{KindFigures, Metrics};
use crate::config::EventListener;
use crate::http::time::{now_millis, parse_rfc3339_millis};
use crate::port::PortClient;
use crate::sync::MappingUsed;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use tokio::sync::watch;

/// A cancellation signal shared by a resync and whoever may stop it (the engine's own flag, so
/// a resync is stopped mid-request).
pub use crate::sync::CancellationFlag as Cancel;

/// How one resync ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ResyncOutcome {
    Completed,
    Failed(String),
    /// Stopped by a newer resync or by shutdown.
    Aborted,
}

impl ResyncOutcome {
    fn label(&self) -> &'static str {
        match self {
            ResyncOutcome::Completed => "completed",
            ResyncOutcome::Failed(_) => "failed",
            ResyncOutcome::Aborted => "aborted",
        }
    }
}

/// What a resync reports back.
#[derive(Clone, Debug)]
pub struct ResyncRun {
    pub outcome: ResyncOutcome,
    /// Figures per kind, for `/metrics`.
    pub kinds: Vec<(String, KindFigures)>,
    /// The mapping the resync ran.
    pub mapping: Option<MappingUsed>,
}

impl From<ResyncOutcome> for ResyncRun {
    fn from(outcome: ResyncOutcome) -> Self {
        ResyncRun {
            outcome,
            kinds: Vec::new(),
            mapping: None,
        }
    }
}

/// One full resync (the engine); must return [`ResyncOutcome::Aborted`] soon after `cancel`.
pub trait Resyncer: Send + Sync + 'static {
    fn resync(&self, cancel: Cancel) -> BoxFuture<'static, ResyncRun>;
}

/// Selects the mapping webhook events use: at start and, with `only_if_changed`, when polling
/// finds Port's mapping changed since the last selection (resyncs select their own). `None`:
/// nothing was selected.
pub trait MappingSelector: Send + Sync + 'static {
    fn select(&self, only_if_changed: bool) -> BoxFuture<'static, Option<MappingUsed>>;
}

/// Runs resyncs one at a time and reports their state to Port.
pub struct ResyncControl {
    resyncer: Arc<dyn Resyncer>,
    selector: Option<Arc<dyn MappingSelector>>,
    port: PortClient,
    identifier: String,
    metrics: Arc<Metrics>,
    /// `intervalInMinuets` (Port's spelling) for the state reports.
    interval_minutes: Option<u64>,
    current: Mutex<Option<Running>>,
    /// Held while one run replaces another, so concurrent triggers queue up in order.
    gate: tokio::sync::Mutex<()>,
    serial: AtomicU64,
    /// `updatedAt` of the latest state Port stored (epoch ms; 0 = none): the polling baseline
    /// before any resync request was processed.
    last_state_at: AtomicI64,
    /// `updatedAt` Port gave the `running` state of the latest resync (epoch ms; 0 = none).
    last_start_at: AtomicI64,
    stopping: AtomicBool,
}

struct Running {
    serial: u64,
    cancel: Cancel,
    /// Becomes true when the run has finished (including its state report).
    done: watch::Receiver<bool>,
}

impl ResyncControl {
    pub fn new(
        resyncer: Arc<dyn Resyncer>,
        selector: Option<Arc<dyn MappingSelector>>,
        port: PortClient,
        identifier: String,
        metrics: Arc<Metrics>,
        interval: Option<Duration>,
    ) -> Arc<Self> {
        Arc::new(ResyncControl {
            resyncer,
            selector,
            port,
            identifier,
            metrics,
            interval_minutes: interval.map(|i| i.as_secs() / 60),
            current: Mutex::new(None),
            gate: tokio::sync::Mutex::new(()),
            serial: AtomicU64::new(0),
            last_state_at: AtomicI64::new(0),
            last_start_at: AtomicI64::new(0),
            stopping: AtomicBool::new(false),
        })
    }

    fn current(&self) -> MutexGuard<'_, Option<Running>> {
        self.current.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// `updatedAt` of the latest resync state Port stored, if any.
    pub fn last_state_at(&self) -> Option<i64> {
        Some(self.last_state_at.load(Ordering::Acquire)).filter(|at| *at > 0)
    }

    /// `updatedAt` (Port's clock) of the `running` state of the latest resync, if Port took it.
    pub fn last_start_at(&self) -> Option<i64> {
        Some(self.last_start_at.load(Ordering::Acquire)).filter(|at| *at > 0)
    }

    /// Runs a resync to its end, first cancelling (and awaiting) one in progress. `trigger`
    /// names the cause in logs and metrics (`polling`, `schedule`, `once`).
    pub async fn run(self: &Arc<Self>, trigger: &'static str) -> ResyncOutcome {
        if self.stopping.load(Ordering::Acquire) {
            return ResyncOutcome::Aborted;
        }
        let gate = self.gate.lock().await;
        let previous = self.current().take();
        if let Some(previous) = previous {
            log::info(&format!(
                "a {trigger} resync supersedes the resync in progress; cancelling it"
            ));
            previous.cancel.cancel();
            wait_done(previous.done).await;
        }
        let serial = self.serial.fetch_add(1, Ordering::Relaxed) + 1;
        let cancel = Cancel::new();
        let (done_tx, done_rx) = watch::channel(false);
        *self.current() = Some(Running {
            serial,
            cancel: cancel.clone(),
            done: done_rx,
        });
        if self.stopping.load(Ordering::Acquire) {
            cancel.cancel();
        }
        drop(gate);

        // Spawned so a superseding run (or shutdown) can cancel it without dropping the
        // future mid-request.
        let this = self.clone();
        let task = tokio::spawn(async move {
            let outcome = this.run_reported(trigger, cancel).await;
            let _ = done_tx.send(true);
            outcome
        });
        let outcome = task
            .await
            .unwrap_or_else(|e| ResyncOutcome::Failed(format!("resync task failed: {e}")));
        let mut current = self.current();
        if current.as_ref().is_some_and(|run| run.serial == serial) {
            *current = None;
        }
        outcome
    }

    async fn run_reported(&self, trigger: &'static str, cancel: Cancel) -> ResyncOutcome {
        let started = log::iso_millis(now_millis());
        log::info(&format!("resync started ({trigger})"));
        self.metrics.resync_started();
        // Bookkeeping: a report Port keeps refusing is logged and the resync runs anyway.
        let running = tokio::select! {
            biased;
            _ = cancel.cancelled() => None,
            at = self.report(json!({
                "status": "running",
                "lastResyncStart": started,
                "lastResyncEnd": null,
                "intervalInMinuets": self.interval_minutes,
                "nextResync": self.next_resync(),
            })) => at,
        };
        self.last_start_at
            .store(running.unwrap_or(0), Ordering::Release);
        let run = self.resyncer.resync(cancel).await;
        for (kind, figures) in run.kinds {
            self.metrics.kind_figures(&kind, figures);
        }
        if let Some(mapping) = run.mapping {
            self.metrics.mapping(mapping);
        }
        let outcome = run.outcome;
        self.metrics.resync_finished(trigger, outcome.label());
        match &outcome {
            ResyncOutcome::Completed => log::info(&format!("resync completed ({trigger})")),
            ResyncOutcome::Failed(why) => log::error(&format!("resync failed ({trigger}): {why}")),
            ResyncOutcome::Aborted => log::warn(&format!("resync aborted ({trigger})")),
        }
        // A superseded run reports `aborted` before its successor reports `running`; its
        // successor (or shutdown) waits for that, so the report's retries are bounded then.
        let report = self.report(json!({
            "status": outcome.label(),
            "lastResyncStart": started,
            "lastResyncEnd": log::iso_millis(now_millis()),
            "intervalInMinuets": self.interval_minutes,
            "nextResync": self.next_resync(),
        }));
        if outcome == ResyncOutcome::Aborted {
            let _ = tokio::time::timeout(Duration::from_secs(5), report).await;
        } else {
            report.await;
        }
        outcome
    }

    /// When the schedule fires next (roughly: one interval from now), if there is one.
    fn next_resync(&self) -> Option<String> {
        let minutes = i64::try_from(self.interval_minutes.filter(|m| *m > 0)?).ok()?;
        Some(log::iso_millis(now_millis() + minutes * 60_000))
    }

    /// PATCHes the resync state (retried by the client); a failure is logged, never returned:
    /// the state is bookkeeping and no resync depends on it. Returns the `updatedAt` Port
    /// stored.
    async fn report(&self, state: Value) -> Option<i64> {
        match self
            .port
            .update_resync_state(&self.identifier, &state)
            .await
        {
            Ok(integration) => {
                let at = integration
                    .pointer("/resyncState/updatedAt")
                    .and_then(Value::as_str)
                    .and_then(parse_rfc3339_millis);
                if let Some(at) = at {
                    self.last_state_at.fetch_max(at, Ordering::AcqRel);
                }
                at
            }
            Err(error) => {
                log::warn(&format!(
                    "could not report the resync state {:?} (bookkeeping only: the resync does \
                     not depend on it): {error}",
                    state.get("status").and_then(Value::as_str).unwrap_or("?")
                ));
                None
            }
        }
    }

    /// Selects the mapping webhook events use (see [`MappingSelector`]).
    pub async fn select_mapping(&self, only_if_changed: bool) {
        let Some(selector) = &self.selector else {
            return;
        };
        if let Some(mapping) = selector.select(only_if_changed).await {
            self.metrics.mapping(mapping);
        }
    }

    /// Whether a resync is in progress.
    pub fn is_running(&self) -> bool {
        self.current().is_some()
    }

    /// Shutdown: no new resyncs; cancels the running one and waits for it to report
    /// `aborted`, reporting it itself when the run does not end in time — all within `limit`.
    /// Returns whether one was running.
    pub async fn stop(&self, limit: Duration) -> bool {
        self.stopping.store(true, Ordering::Release);
        let running = self
            .current()
            .as_ref()
            .map(|run| (run.cancel.clone(), run.done.clone()));
        let Some((cancel, done)) = running else {
            return false;
        };
        cancel.cancel();
        // The last part of the limit is kept for our own report (retries included).
        let own_report = (limit / 8).min(Duration::from_secs(1));
        if tokio::time::timeout(limit - own_report, wait_done(done))
            .await
            .is_err()
        {
            // The resync did not stop in time: report it aborted ourselves.
            log::warn("the resync did not stop in time; reporting it aborted");
            let report = self.report(json!({
                "status": "aborted",
                "lastResyncEnd": log::iso_millis(now_millis()),
            }));
            let _ = tokio::time::timeout(own_report, report).await;
        }
        true
    }
}

async fn wait_done(mut done: watch::Receiver<bool>) {
    let _ = done.wait_for(|finished| *finished).await;
}

/// The last resync request seen by polling.
#[derive(Debug, Default)]
pub struct PollState {
    pub request_at: Option<i64>,
    pub request_id: Option<String>,
}

impl PollState {
    /// Ocean's watermark: a request triggers when its `updatedAt` is strictly newer than the
    /// last processed request (or, before any, the last resync state). Improvement: a request
    /// with a new `id` and the same millisecond also triggers.
    pub fn should_resync(&mut self, request: &Value, last_state_at: Option<i64>) -> bool {
        let Some(at) = request
            .get("updatedAt")
            .and_then(Value::as_str)
            .and_then(parse_rfc3339_millis)
        else {
            return false;
        };
        let id = request.get("id").and_then(Value::as_str).map(str::to_owned);
        let baseline = self.request_at.or(last_state_at);
        let newer = baseline.is_none_or(|baseline| at > baseline);
        let same_time_new_id = baseline == Some(at)
            && self.request_at == Some(at)
            && id.is_some()
            && id != self.request_id;
        if newer || same_time_new_id {
            self.request_at = Some(at);
            self.request_id = id;
            true
        } else {
            false
        }
    }
}

/// The polling loop: every `interval`, ask Port for the resync request and resync (inline)
/// when it is new, else re-select the mapping when Port's changed (so webhook events follow an
/// edit made without a resync). Runs until `stop` fires.
///
/// `resync_at_start` (see [`start_resync_wanted`]): one resync first, as the 2023 Ocean's
/// `resyncOnStart` did for an integration without a resync state, so a fresh install fills the
/// catalog without waiting for a resync request or the schedule. Its `running` state is then
/// the baseline: a request made before it started is served by it, one made later triggers
/// another. Otherwise, as in Ocean (HEAD), a fresh process resyncs at start exactly when Port
/// holds a resync request.
pub async fn poll(
    control: Arc<ResyncControl>,
    port: PortClient,
    identifier: String,
    interval: Duration,
    stop: Cancel,
    resync_at_start: bool,
) {
    let mut state = PollState::default();
    if resync_at_start && !stop.is_cancelled() {
        control.run("start").await;
        state.request_at = control.last_start_at();
    }
    loop {
        match port.get_resync_request(&identifier).await {
            Ok(Some(request)) if state.should_resync(&request, control.last_state_at()) => {
                control.run("polling").await;
            }
            Ok(_) => control.select_mapping(true).await,
            Err(error) => log::warn(&format!("polling Port for resync requests: {error}")),
        }
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tokio::time::sleep(interval) => {}
        }
    }
}

/// Whether `serve` resyncs at start: with the `POLLING` listener and `resyncOnStart` (its
/// default), when Port has never seen a resync of the integration — it was just created, or
/// has no resync state (an install whose first start stopped before resyncing). A restart of
/// an integration that has been resynced waits for a resync request or the schedule.
pub fn start_resync_wanted(listener: &EventListener, never_resynced: bool) -> bool {
    matches!(
        listener,
        EventListener::Polling {
            resync_on_start: true,
            ..
        }
    ) && never_resynced
}

/// The scheduled resync: every `interval` (the first after one interval), until `stop`.
pub async fn schedule(control: Arc<ResyncControl>, interval: Duration, stop: Cancel) {
    loop {
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tokio::time::sleep(interval) => {}
        }
        control.run("schedule").await;
    }
}

/// Refuses listeners this binary does not implement.
pub fn check_supported(listener: &EventListener) -> Result<(), String> {
    match listener {
        EventListener::Kafka { .. } => Err(
            "OCEAN__EVENT_LISTENER type KAFKA is not supported by opsgenie-port; use POLLING \
             (Port's resync requests are polled over HTTPS, no Kafka credentials needed)"
                .to_owned(),
        ),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(id: &str, at: &str) -> Value {
        json!({"id": id, "updatedAt": at})
    }

    #[test]
    fn first_request_triggers_then_only_newer_ones() {
        let mut state = PollState::default();
        let first = request("r1", "2026-01-01T00:00:00.000Z");
        assert!(state.should_resync(&first, None));
        assert!(!state.should_resync(&first, None));
        let older = request("r0", "2025-12-31T23:59:59.000Z");
        assert!(!state.should_resync(&older, None));
        let newer = request("r2", "2026-01-01T00:00:01.000Z");
        assert!(state.should_resync(&newer, None));
    }

    #[test]
    fn a_new_id_in_the_same_millisecond_triggers() {
        let mut state = PollState::default();
        assert!(state.should_resync(&request("r1", "2026-01-01T00:00:00.000Z"), None));
        assert!(state.should_resync(&request("r2", "2026-01-01T00:00:00.000Z"), None));
    }

    #[test]
    fn the_last_state_is_the_baseline_before_any_request() {
        let mut state = PollState::default();
        let at = parse_rfc3339_millis("2026-01-01T00:00:05.000Z");
        assert!(!state.should_resync(&request("r1", "2026-01-01T00:00:00.000Z"), at));
        assert!(state.should_resync(&request("r2", "2026-01-01T00:00:06.000Z"), at));
    }

    #[test]
    fn unparsable_requests_do_not_trigger() {
        let mut state = PollState::default();
        assert!(!state.should_resync(&json!({"updatedAt": "yesterday"}), None));
        assert!(!state.should_resync(&json!({}), None));
    }

    #[test]
    fn only_polling_with_resync_on_start_resyncs_a_never_resynced_integration_at_start() {
        let polling = |resync_on_start| EventListener::Polling {
            interval: Duration::from_secs(60),
            resync_on_start,
        };
        assert!(start_resync_wanted(&polling(true), true));
        assert!(!start_resync_wanted(&polling(true), false));
        assert!(!start_resync_wanted(&polling(false), true));
        // ONCE resyncs anyway; WEBHOOKS_ONLY never does.
        assert!(!start_resync_wanted(&EventListener::Once, true));
        assert!(!start_resync_wanted(&EventListener::WebhooksOnly, true));
    }

    #[test]
    fn kafka_is_refused_with_a_hint() {
        let error = check_supported(&EventListener::Kafka {
            settings: Default::default(),
        })
        .unwrap_err();
        assert!(error.contains("not supported") && error.contains("POLLING"));
        assert!(check_supported(&EventListener::WebhooksOnly).is_ok());
    }

    #[tokio::test]
    async fn cancel_wakes_waiters() {
        let cancel = Cancel::new();
        let waiter = {
            let cancel = cancel.clone();
            tokio::spawn(async move { cancel.cancelled().await })
        };
        cancel.cancel();
        waiter.await.unwrap();
        assert!(cancel.is_cancelled());
    }
}
