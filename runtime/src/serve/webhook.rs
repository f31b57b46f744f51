//! Opsgenie outgoing-webhook events (opsgenie-api.md §7): parsing with precise 400 messages, and
//! the bounded per-alert queue that applies events in order.
//!
//! An event is kept as its alert id and action only. Applying any event — `Delete` included —
//! re-reads the alert from Opsgenie and makes Port match the answer (see
//! [`Applier::apply`]): a 404 deletes the alert's entities, an alert Opsgenie returns is
//! upserted, an error is retried. So a forged or stale `Delete` deletes nothing, and repeated and
//! out-of-order events converge on Opsgenie's current state.
//!
//! Ordering: events for one alert run one at a time, in arrival order; an event that arrives
//! while another for the same alert is waiting merges into it (one re-read serves both). The
//! queue holds at most [`Limits::queue_capacity`] accepted, unapplied events; a full queue
//! refuses events that would need a new entry. An event Opsgenie or Port could not answer for
//! (timeouts, 429, 5xx, after the HTTP client's own retries) stays queued and is tried again
//! with backoff, without holding a worker; one that cannot change by trying again (a 4xx, a
//! mapping error) is counted `failed` and dropped.

use super::apply::{Applied, Applier};
use super::limits::{Limits, MAX_ALERT_ID_BYTES};
use super::log;
use super::metrics::Metrics;
use crate::http::unit_random;
use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use tokio::sync::{Notify, Semaphore};

/// The header carrying the shared secret (set it as a custom header in Opsgenie's Webhook
/// integration when `OCEAN__INTEGRATION__CONFIG__WEBHOOK_SECRET` is configured).
pub const SECRET_HEADER: &str = "x-opsgenie-port-secret";

/// Actions Opsgenie's Webhook integration sends: the names seen in captured payloads plus those
/// of the UI triggers Port's setup guide enables (opsgenie-api.md §7.4). Anything else (custom
/// actions, future names) is acknowledged with 202 and ignored.
pub const KNOWN_ACTIONS: [&str; 20] = [
    "Create",
    "Acknowledge",
    "UnAcknowledge",
    "Close",
    "Delete",
    "AddNote",
    "AddTags",
    "RemoveTags",
    "AddTeam",
    "AddRecipient",
    "AddResponder",
    "AssignOwnership",
    "TakeOwnership",
    "Escalate",
    "Snooze",
    "UpdateDescription",
    "UpdateMessage",
    "UpdatePriority",
    "AddDetails",
    "RemoveDetails",
];

/// One accepted event: all that is kept of a webhook once parsed. The body is dropped at the
/// door; applying re-reads the alert from Opsgenie anyway.
#[derive(Clone, Debug)]
pub struct WebhookEvent {
    /// One of [`KNOWN_ACTIONS`].
    pub action: &'static str,
    /// Validated by [`valid_alert_id`].
    pub alert_id: String,
    pub received: Instant,
}

impl WebhookEvent {
    pub fn new(action: &'static str, alert_id: &str) -> Self {
        WebhookEvent {
            action,
            alert_id: alert_id.to_owned(),
            received: Instant::now(),
        }
    }

    pub fn is_delete(&self) -> bool {
        self.action == "Delete"
    }
}

/// What a request body is.
#[derive(Debug)]
pub enum Parsed {
    Event(WebhookEvent),
    /// A well-formed body with an action this integration does not handle (its name cut to
    /// [`MAX_ECHOED_ACTION_CHARS`] characters).
    Ignored {
        action: String,
    },
}

/// Why a body was refused (HTTP 400).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BadPayload(pub String);

/// An ignored action's name is echoed in the answer up to this many characters.
pub const MAX_ECHOED_ACTION_CHARS: usize = 64;

/// Whether `id` can be an Opsgenie alert id: 1 to [`MAX_ALERT_ID_BYTES`] printable ASCII
/// characters (Opsgenie's are a UUID and a millisecond stamp). Anything else is refused at the
/// door: it cannot exist in Opsgenie, and a very long one cannot even form a request URL.
pub fn valid_alert_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= MAX_ALERT_ID_BYTES && id.bytes().all(|b| b.is_ascii_graphic())
}

/// Parses a webhook body: a JSON object with a string `action` and, for known actions, an
/// `alert` object with a string `alertId` that passes [`valid_alert_id`] (surrounding blanks
/// trimmed).
///
/// Only those two fields are read: everything else is skipped by the JSON scanner without being
/// built (no value tree, no recursion), so parsing allocates at most the two strings — memory
/// is bounded by the body's size and nesting depth cannot overflow the stack.
pub fn parse(body: &[u8]) -> Result<Parsed, BadPayload> {
    let envelope: Envelope<'_> =
        serde_json::from_slice(body).map_err(|e| BadPayload(format!("malformed JSON: {e}")))?;
    let Envelope::Object { action, alert } = envelope else {
        return Err(BadPayload(
            "the body must be a JSON object (Opsgenie's webhook payload)".into(),
        ));
    };
    let action = match action {
        Some(Text::Str(action)) if !action.is_empty() => action,
        Some(_) => {
            return Err(BadPayload(
                "field `action` must be a non-empty string".into(),
            ))
        }
        None => return Err(BadPayload("missing field `action`".into())),
    };
    let Some(known) = KNOWN_ACTIONS.iter().copied().find(|known| *known == action) else {
        return Ok(Parsed::Ignored {
            action: action.chars().take(MAX_ECHOED_ACTION_CHARS).collect(),
        });
    };
    let alert_id = match alert {
        Some(AlertField::Object {
            alert_id: Some(Text::Str(id)),
        }) if !id.trim().is_empty() => id,
        Some(AlertField::Object { alert_id: Some(_) }) => {
            return Err(BadPayload(
                "field `alert.alertId` must be a non-empty string".into(),
            ))
        }
        Some(AlertField::Object { alert_id: None }) => {
            return Err(BadPayload("missing field `alert.alertId`".into()))
        }
        Some(AlertField::Other) => {
            return Err(BadPayload("field `alert` must be an object".into()))
        }
        None => return Err(BadPayload("missing field `alert`".into())),
    };
    let alert_id = alert_id.trim();
    if !valid_alert_id(alert_id) {
        return Err(BadPayload(format!(
            "field `alert.alertId` is not an Opsgenie alert id: it must be 1 to \
             {MAX_ALERT_ID_BYTES} printable ASCII characters (got {} bytes)",
            alert_id.len()
        )));
    }
    Ok(Parsed::Event(WebhookEvent::new(known, alert_id)))
}

/// The top level of a webhook body, as far as [`parse`] reads it.
enum Envelope<'de> {
    Object {
        action: Option<Text<'de>>,
        alert: Option<AlertField<'de>>,
    },
    /// Any other JSON value.
    Other,
}

/// `alert`, as far as [`parse`] reads it.
enum AlertField<'de> {
    Object { alert_id: Option<Text<'de>> },
    Other,
}

/// A string field: borrowed from the body unless it had escapes.
enum Text<'de> {
    Str(Cow<'de, str>),
    /// Any other JSON value.
    Other,
}

/// Skips the rest of a sequence or map whose type ruled it out.
fn drain_seq<'de, A: SeqAccess<'de>>(mut seq: A) -> Result<(), A::Error> {
    while seq.next_element::<IgnoredAny>()?.is_some() {}
    Ok(())
}

fn drain_map<'de, A: MapAccess<'de>>(mut map: A) -> Result<(), A::Error> {
    while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
    Ok(())
}

/// Implements the non-string, non-map cases of a visitor as `$other`.
macro_rules! other_scalars {
    ($other:expr) => {
        fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
            Ok($other)
        }
        fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
            Ok($other)
        }
        fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
            Ok($other)
        }
        fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
            Ok($other)
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok($other)
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok($other)
        }
        fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
            drain_seq(seq)?;
            Ok($other)
        }
    };
}

impl<'de> Deserialize<'de> for Envelope<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visit;
        impl<'de> Visitor<'de> for Visit {
            type Value = Envelope<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a webhook payload")
            }
            other_scalars!(Envelope::Other);
            fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
                Ok(Envelope::Other)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let (mut action, mut alert) = (None, None);
                // Repeated keys: the last one counts, as in a parsed JSON object.
                while let Some(key) = map.next_key::<Key>()? {
                    match key {
                        Key::Action => action = Some(map.next_value::<Text<'de>>()?),
                        Key::Alert => alert = Some(map.next_value::<AlertField<'de>>()?),
                        Key::AlertId | Key::Other => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                Ok(Envelope::Object { action, alert })
            }
        }
        deserializer.deserialize_any(Visit)
    }
}

impl<'de> Deserialize<'de> for AlertField<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visit;
        impl<'de> Visitor<'de> for Visit {
            type Value = AlertField<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an alert object")
            }
            other_scalars!(AlertField::Other);
            fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
                Ok(AlertField::Other)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut alert_id = None;
                while let Some(key) = map.next_key::<Key>()? {
                    match key {
                        Key::AlertId => alert_id = Some(map.next_value::<Text<'de>>()?),
                        _ => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                Ok(AlertField::Object { alert_id })
            }
        }
        deserializer.deserialize_any(Visit)
    }
}

impl<'de> Deserialize<'de> for Text<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visit;
        impl<'de> Visitor<'de> for Visit {
            type Value = Text<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }
            other_scalars!(Text::Other);
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Text::Str(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Text::Str(Cow::Owned(v.to_owned())))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                drain_map(map)?;
                Ok(Text::Other)
            }
        }
        deserializer.deserialize_any(Visit)
    }
}

/// The object keys [`parse`] looks at; any other key is skipped without being kept.
enum Key {
    Action,
    Alert,
    AlertId,
    Other,
}

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visit;
        impl Visitor<'_> for Visit {
            type Value = Key;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object key")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(match v {
                    "action" => Key::Action,
                    "alert" => Key::Alert,
                    "alertId" => Key::AlertId,
                    _ => Key::Other,
                })
            }
        }
        deserializer.deserialize_identifier(Visit)
    }
}

/// The metrics label for an action: known names as is, everything else `other` (bounded).
pub fn action_label(action: &str) -> &str {
    if KNOWN_ACTIONS.contains(&action) {
        action
    } else {
        "other"
    }
}

/// Per-alert queues in front of an [`Applier`], bounded by [`Limits::queue_capacity`].
#[derive(Clone)]
pub struct WebhookQueue {
    inner: Arc<QueueInner>,
}

struct QueueInner {
    applier: Arc<dyn Applier>,
    metrics: Arc<Metrics>,
    limits: Limits,
    state: Mutex<State>,
    accepting: AtomicBool,
    idle: Notify,
    workers: Semaphore,
}

#[derive(Default)]
struct State {
    /// Alert id → its slot. Presence means a task runs for that alert (applying an event,
    /// waiting for a worker, or waiting to try again).
    slots: HashMap<Arc<str>, Slot>,
    /// Accepted events not applied yet: the running one of each slot plus the waiting ones.
    events: usize,
}

#[derive(Default)]
struct Slot {
    /// The event waiting behind the running one; later events merge into it.
    waiting: Option<Work>,
}

/// What is left of an accepted event in the queue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Work {
    /// The action it is counted under in the metrics.
    action: &'static str,
    /// A `Delete` is part of it: its check (does Opsgenie still have the alert?) is counted.
    delete: bool,
    /// When the oldest event it stands for arrived.
    received: Instant,
}

impl Work {
    fn of(event: &WebhookEvent) -> Work {
        Work {
            action: event.action,
            delete: event.is_delete(),
            received: event.received,
        }
    }

    /// `self` waits and `newer` arrives for the same alert: one re-read of the alert serves both,
    /// since every event is applied as "make Port match what Opsgenie has now". Returns the
    /// merged work and the action of the event it stands in for (counted `superseded`). A
    /// `Delete` stays in the merged work, so its check is counted whatever came after it.
    fn merge(self, newer: Work) -> (Work, &'static str) {
        let keep_newer = newer.delete || !self.delete;
        let (kept, superseded) = if keep_newer {
            (newer.action, self.action)
        } else {
            (self.action, newer.action)
        };
        let merged = Work {
            action: kept,
            delete: self.delete || newer.delete,
            received: self.received.min(newer.received),
        };
        (merged, superseded)
    }
}

/// Why an event was not queued.
#[derive(Debug, PartialEq, Eq)]
pub enum Rejected {
    ShuttingDown,
    /// [`Limits::queue_capacity`] events are waiting; the sender should try again later.
    Full,
}

impl WebhookQueue {
    pub fn new(applier: Arc<dyn Applier>, metrics: Arc<Metrics>, limits: &Limits) -> Self {
        metrics.webhook_queue_capacity(limits.queue_capacity);
        WebhookQueue {
            inner: Arc::new(QueueInner {
                applier,
                metrics,
                workers: Semaphore::new(limits.workers.max(1)),
                limits: limits.clone(),
                state: Mutex::new(State::default()),
                accepting: AtomicBool::new(true),
                idle: Notify::new(),
            }),
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.inner.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether new events are still taken (false once shutdown began).
    pub fn is_accepting(&self) -> bool {
        self.inner.accepting.load(Ordering::Acquire)
    }

    /// Queues `event` behind any running event for the same alert, merged into the one waiting
    /// there if any (always accepted: it costs nothing). An event that needs a new entry is
    /// refused when [`Limits::queue_capacity`] events are already accepted and not applied.
    pub fn submit(&self, event: WebhookEvent) -> Result<(), Rejected> {
        if !self.is_accepting() {
            return Err(Rejected::ShuttingDown);
        }
        let work = Work::of(&event);
        let metrics = &self.inner.metrics;
        let mut guard = self.state();
        let state = &mut *guard;
        let full = state.events >= self.inner.limits.queue_capacity;
        if let Some(slot) = state.slots.get_mut(event.alert_id.as_str()) {
            match slot.waiting.take() {
                Some(waiting) => {
                    let (merged, superseded) = waiting.merge(work);
                    slot.waiting = Some(merged);
                    metrics.webhook_event(superseded, "superseded");
                }
                None if full => return Err(Rejected::Full),
                None => {
                    slot.waiting = Some(work);
                    state.events += 1;
                    metrics.webhook_started();
                }
            }
            return Ok(());
        }
        if full {
            return Err(Rejected::Full);
        }
        let alert_id: Arc<str> = Arc::from(event.alert_id);
        state.slots.insert(alert_id.clone(), Slot::default());
        state.events += 1;
        metrics.webhook_started();
        drop(guard);
        let queue = self.clone();
        tokio::spawn(async move { queue.work(alert_id, work).await });
        Ok(())
    }

    /// Applies `work` for `alert_id` until it is applied or fails for good, then whatever queued
    /// up behind it; then retires the alert's slot. Between tries no worker is held.
    async fn work(self, alert_id: Arc<str>, mut work: Work) {
        let inner = &self.inner;
        let mut failures = 0u32;
        loop {
            let result = {
                // The semaphore is never closed, so acquiring only waits.
                let _permit = inner.workers.acquire().await;
                inner.applier.apply(&alert_id).await
            };
            match result {
                Ok(applied) => {
                    if work.delete {
                        let check = if applied.gone { "gone" } else { "exists" };
                        inner.metrics.webhook_delete_check(check);
                    }
                    self.record(&alert_id, work, applied.outcome());
                }
                Err(error) if error.transient => {
                    failures += 1;
                    if work.delete {
                        inner.metrics.webhook_delete_check("unanswered");
                    }
                    inner.metrics.webhook_retry();
                    let wait = inner.limits.retry_wait(failures, unit_random());
                    let message = format!(
                        "webhook {} for alert {alert_id} not applied (attempt {failures}): {}; \
                         kept, trying again in {:.1} s",
                        work.action,
                        error.message,
                        wait.as_secs_f64()
                    );
                    if failures == 1 {
                        log::warn(&message);
                    } else {
                        log::debug(&message);
                    }
                    tokio::time::sleep(wait).await;
                    // Events that arrived meanwhile are served by the same re-read.
                    let waiting = self
                        .state()
                        .slots
                        .get_mut(&alert_id)
                        .and_then(|slot| slot.waiting.take());
                    if let Some(waiting) = waiting {
                        let (merged, superseded) = work.merge(waiting);
                        work = merged;
                        inner.metrics.webhook_event(superseded, "superseded");
                        self.forget_one();
                    }
                    continue;
                }
                Err(error) => {
                    log::error(&format!(
                        "webhook {} for alert {alert_id} failed (not retried: it cannot \
                         change by trying again): {}",
                        work.action, error.message
                    ));
                    self.record(&alert_id, work, "failed");
                }
            }
            failures = 0;
            let next = {
                let mut state = self.state();
                state.events = state.events.saturating_sub(1);
                match state
                    .slots
                    .get_mut(&alert_id)
                    .and_then(|slot| slot.waiting.take())
                {
                    Some(next) => Some(next),
                    None => {
                        state.slots.remove(&alert_id);
                        None
                    }
                }
            };
            inner.metrics.webhook_finished();
            match next {
                Some(next) => work = next,
                None => break,
            }
        }
        if self.pending() == 0 {
            inner.idle.notify_waiters();
        }
    }

    fn record(&self, alert_id: &str, work: Work, outcome: &'static str) {
        log::debug(&format!(
            "webhook {} for alert {alert_id}: {outcome}",
            work.action
        ));
        self.inner.metrics.webhook_event(work.action, outcome);
        self.inner.metrics.webhook_latency(work.received.elapsed());
    }

    /// One accepted event merged into another: it is accounted for.
    fn forget_one(&self) {
        let mut state = self.state();
        state.events = state.events.saturating_sub(1);
        drop(state);
        self.inner.metrics.webhook_finished();
    }

    /// Events accepted and not yet applied.
    pub fn pending(&self) -> u64 {
        self.state().events as u64
    }

    /// Waits until every accepted event has been applied (or `limit` passed); true if idle.
    pub async fn wait_idle(&self, limit: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            let notified = self.inner.idle.notified();
            if self.pending() == 0 {
                return true;
            }
            // Re-check periodically too: the last worker may finish between the check and
            // the registration above.
            let tick = tokio::time::Instant::now() + Duration::from_millis(20);
            if tokio::time::timeout_at(tick.min(deadline), notified)
                .await
                .is_err()
                && tokio::time::Instant::now() >= deadline
            {
                return self.pending() == 0;
            }
        }
    }

    /// Stops accepting events (new ones get 503), waits up to `limit` for the accepted ones and
    /// returns how many were not applied.
    pub async fn close(&self, limit: Duration) -> u64 {
        self.inner.accepting.store(false, Ordering::Release);
        self.wait_idle(limit).await;
        self.pending()
    }
}

impl Applied {
    fn outcome(&self) -> &'static str {
        match (self.upserted, self.deleted) {
            (0, 0) => "unchanged",
            (_, 0) => "upserted",
            (0, _) => "deleted",
            _ => "upserted_and_deleted",
        }
    }
}

#[cfg(test)]
mod tests;
